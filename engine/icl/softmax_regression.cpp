// softmax_regression.cpp - see softmax_regression.h.
#include "engine/icl/softmax_regression.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>

#include "engine/icl/normal.h"
#include "engine/timing.h"

namespace icl {

void softmax_of_affine(const double* A, int n, int d, const double* x, double* f) {
  double zmax = -INFINITY;
  for (int i = 0; i < n; ++i) {
    double z = 0.0;
    for (int k = 0; k < d; ++k) z += A[i * d + k] * x[k];
    f[i] = z;
    if (z > zmax) zmax = z;
  }
  double sum = 0.0;
  for (int i = 0; i < n; ++i) {
    f[i] = detmath::exp(f[i] - zmax);
    sum += f[i];
  }
  for (int i = 0; i < n; ++i) f[i] /= sum;
}

void SoftmaxRegression::sample(int outputs, int dim, double scale, pg::Rng& rng) {
  n = outputs;
  d = dim;
  A.assign(size_t(n) * d, 0.0);
  b.assign(size_t(n), 0.0);
  fill_normal(rng, A.data(), n * d, scale / std::sqrt(double(d)));
  std::vector<double> x_star(static_cast<size_t>(d));
  fill_normal(rng, x_star.data(), d);
  forward(x_star.data(), b.data());
}

void SoftmaxRegression::forward(const double* x, double* f) const { softmax_of_affine(A.data(), n, d, x, f); }

double SoftmaxRegression::loss(const double* x) const {
  std::vector<double> f(static_cast<size_t>(n));
  forward(x, f.data());
  double sum = 0.0;
  for (int i = 0; i < n; ++i) sum += (f[i] - b[i]) * (f[i] - b[i]);
  return 0.5 * sum;
}

void SoftmaxRegression::grad(const double* x, double* g) const {
  std::vector<double> f(static_cast<size_t>(n));
  forward(x, f.data());
  grad_given_f(f.data(), g);
}

void SoftmaxRegression::grad_given_f(const double* f, double* g) const {
  // r = f - b;  J r = f * r - f <f, r>  (J = diag f - f f^T);  g = A^T J r
  double fr = 0.0;
  for (int i = 0; i < n; ++i) fr += f[i] * (f[i] - b[i]);
  for (int k = 0; k < d; ++k) g[k] = 0.0;
  for (int i = 0; i < n; ++i) {
    const double jr = f[i] * ((f[i] - b[i]) - fr);
    for (int k = 0; k < d; ++k) g[k] += A[i * d + k] * jr;
  }
}

void SoftmaxRegression::landscape(double x0_lo, double x0_hi, double x1_lo, double x1_hi, int nx, int ny,
                                  double* out) const {
  double x[2];
  for (int i = 0; i < ny; ++i) {
    x[1] = ny > 1 ? x1_lo + (x1_hi - x1_lo) * i / (ny - 1) : x1_lo;
    for (int j = 0; j < nx; ++j) {
      x[0] = nx > 1 ? x0_lo + (x0_hi - x0_lo) * j / (nx - 1) : x0_lo;
      out[i * nx + j] = loss(x);
    }
  }
}

void data_twin(const double* A, int n, int d, const double* x, const double* dx, double* A_twin) {
  double xx = 0.0;
  for (int k = 0; k < d; ++k) xx += x[k] * x[k];
  for (int i = 0; i < n; ++i) {
    double a_dx = 0.0;  // (A dx)_i
    for (int k = 0; k < d; ++k) a_dx += A[i * d + k] * dx[k];
    for (int k = 0; k < d; ++k) A_twin[i * d + k] = A[i * d + k] + a_dx * x[k] / xx;
  }
}

double spectral_norm(const double* A, int n, int d) {
  Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> M(A, n, d);
  return Eigen::JacobiSVD<Eigen::MatrixXd>(M).singularValues()(0);
}

double softmax_rounding_bound(int n, int d, double a_norm, double x_norm) {
  const double u = 1.1102230246251565e-16;  // 2^-53
  return u * ((4.0 * d + 4.0) * a_norm * x_norm + n + 8.0);
}

double lipschitz_step_floor(int n, int d, double a_norm, double x_norm, double tol) {
  return a_norm > 0 ? 4.0 * softmax_rounding_bound(n, d, a_norm, x_norm) / (tol * a_norm) : 0.0;
}

void SoftmaxRegressionGd::reset(const SoftmaxRegression& problem, const double* x0, double lr, int max_path) {
  problem_ = problem;
  const int n = problem.n, d = problem.d;
  lr_ = lr;
  x_.assign(x0, x0 + d);
  x_prev_.assign(x0, x0 + d);
  x0_.assign(x0, x0 + d);
  g_.assign(size_t(d), 0.0);
  f_.assign(size_t(n), 0.0);
  f_prev_.assign(size_t(n), 0.0);
  dx_total_.assign(size_t(d), 0.0);
  twin_ = problem.A;
  max_path_ = max_path < 1 ? 1 : max_path;
  path_.assign(size_t(max_path_) * d, 0.0);
  std::copy(x0, x0 + d, path_.begin());
  path_count_ = 1;
  steps_ = 0;
  last_ratio_ = last_dx_norm_ = last_floor_ = 0.0;
  a_norm_ = spectral_norm(problem.A.data(), n, d);
  loss_ = problem.loss(x_.data());
}

int SoftmaxRegressionGd::step(int max_steps, double budget_ms) {
  const int n = problem_.n, d = problem_.d;
  return timing::run_budgeted(max_steps, budget_ms, [] { return false; }, [&] {
    problem_.forward(x_.data(), f_prev_.data());
    problem_.grad_given_f(f_prev_.data(), g_.data());
    // dx is what the stored x really moved by (x + dx is rounded), so the
    // measured ratio is that of the step taken.
    double dx_sq = 0.0, x_sq = 0.0, x_prev_sq = 0.0;
    for (int k = 0; k < d; ++k) {
      x_prev_[k] = x_[k];
      x_[k] += -lr_ * g_[k];
      const double dx = x_[k] - x_prev_[k];
      dx_total_[k] += dx;
      dx_sq += dx * dx;
      x_sq += x_[k] * x_[k];
      x_prev_sq += x_prev_[k] * x_prev_[k];
    }
    last_dx_norm_ = std::sqrt(dx_sq);
    last_floor_ = lipschitz_step_floor(n, d, a_norm_, std::sqrt(std::max(x_sq, x_prev_sq)), kLipschitzRoundingTol);
    problem_.forward(x_.data(), f_.data());
    double df_sq = 0.0, loss = 0.0;
    for (int i = 0; i < n; ++i) {
      df_sq += (f_[i] - f_prev_[i]) * (f_[i] - f_prev_[i]);
      loss += (f_[i] - problem_.b[i]) * (f_[i] - problem_.b[i]);
    }
    loss_ = 0.5 * loss;
    last_ratio_ = dx_sq > 0 ? std::sqrt(df_sq / dx_sq) : 0.0;
    // The data twin of the whole path so far: f(twin, x_0) = f(A, x_t).
    data_twin(problem_.A.data(), n, d, x0_.data(), dx_total_.data(), twin_.data());
    ++steps_;
    if (path_count_ < max_path_) {
      std::copy(x_.begin(), x_.end(), path_.begin() + size_t(path_count_) * d);
      ++path_count_;
    }
  });
}

}  // namespace icl
