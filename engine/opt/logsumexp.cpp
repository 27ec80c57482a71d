#include "engine/opt/logsumexp.h"

#include <cmath>

namespace opt {

void LogSumExpProblem::generate(int m, int n, double mu, pg::Rng& rng) {
  m_ = m, n_ = n, mu_ = mu;
  A_.resize(size_t(m) * n);
  b_.resize(size_t(m));
  for (double& a : A_) a = rng.uniform(-1.0, 1.0);
  for (double& v : b_) v = rng.uniform(-1.0, 1.0);
  for (int j = 0; j < n; ++j) {
    double mean = 0.0;
    for (int i = 0; i < m; ++i) mean += A_[size_t(i) * n + j];
    mean /= m;
    for (int i = 0; i < m; ++i) A_[size_t(i) * n + j] -= mean;
  }
  pi_.assign(size_t(m), 0.0);
  g_.assign(size_t(n), 0.0);
}

double LogSumExpProblem::value_grad(const double* x, double* grad) const {
  const int m = m_, n = n_;
  // z_i = (a_i^T x - b_i) / mu, shifted by max z for a stable log-sum-exp
  double zmax = -INFINITY;
  for (int i = 0; i < m; ++i) {
    const double* a = &A_[size_t(i) * n];
    double s = 0.0;
    for (int j = 0; j < n; ++j) s += a[j] * x[j];
    pi_[size_t(i)] = (s - b_[size_t(i)]) / mu_;
    if (pi_[size_t(i)] > zmax) zmax = pi_[size_t(i)];
  }
  if (!std::isfinite(zmax)) return NAN;
  double sum = 0.0;
  for (int i = 0; i < m; ++i) sum += pi_[size_t(i)] = detmath::exp(pi_[size_t(i)] - zmax);
  for (int i = 0; i < m; ++i) pi_[size_t(i)] /= sum;
  const double f = mu_ * (zmax + detmath::log(sum));
  if (grad) {
    for (int j = 0; j < n; ++j) grad[j] = 0.0;
    for (int i = 0; i < m; ++i) {
      const double* a = &A_[size_t(i) * n];
      const double p = pi_[size_t(i)];
      for (int j = 0; j < n; ++j) grad[j] += p * a[j];
    }
  }
  return f;
}

void LogSumExpProblem::hessian(const double* x, double* H, bool gauss_newton) const {
  const int m = m_, n = n_;
  value_grad(x, g_.data());  // pi and g at x
  for (int k = 0; k < n * n; ++k) H[k] = 0.0;
  for (int i = 0; i < m; ++i) {  // A^T diag(pi) A, lower triangle
    const double* a = &A_[size_t(i) * n];
    const double p = pi_[size_t(i)];
    for (int r = 0; r < n; ++r) {
      const double pa = p * a[r];
      for (int c = 0; c <= r; ++c) H[r * n + c] += pa * a[c];
    }
  }
  for (int r = 0; r < n; ++r)
    for (int c = 0; c <= r; ++c) {
      double h = H[r * n + c];
      if (!gauss_newton) h -= g_[size_t(r)] * g_[size_t(c)];
      H[r * n + c] = H[c * n + r] = h / mu_;
    }
}

}  // namespace opt
