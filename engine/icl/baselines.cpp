// baselines.cpp - see baselines.h.
#include "engine/icl/baselines.h"

#include <Eigen/Dense>
#include <cmath>
#include <limits>
#include <vector>

namespace icl {

using MatrixRM = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

double predict_ridge(const double* x, const double* y, int n, int d, double lambda, const double* xq) {
  Eigen::Map<const MatrixRM> X(x, n, d);
  Eigen::Map<const Eigen::VectorXd> Y(y, n), Xq(xq, d);
  Eigen::VectorXd w;
  if (lambda <= 0.0) {
    // Least squares; for n < d the minimum-norm interpolant.
    w = X.completeOrthogonalDecomposition().solve(Y);
  } else if (n >= d) {
    Eigen::MatrixXd G = X.transpose() * X;
    G.diagonal().array() += lambda;
    w = G.llt().solve(X.transpose() * Y);
  } else {
    Eigen::MatrixXd G = X * X.transpose();  // (n, n): cheaper when n < d
    G.diagonal().array() += lambda;
    w = X.transpose() * G.llt().solve(Y);
  }
  return w.dot(Xq);
}

double predict_gd(const double* x, const double* y, int n, int d, double eta, const double* xq) {
  // y^ = (eta/n) sum_l y_l <x_l, x_q>
  double acc = 0.0;
  for (int l = 0; l < n; ++l) {
    double dot = 0.0;
    for (int k = 0; k < d; ++k) dot += x[l * d + k] * xq[k];
    acc += y[l] * dot;
  }
  return eta * acc / n;
}

double predict_gd_steps(const double* x, const double* y, int n, int d, double eta, int steps, const double* xq) {
  std::vector<double> w(static_cast<size_t>(d), 0.0), grad(size_t(d), 0.0);
  for (int s = 0; s < steps; ++s) {
    for (int k = 0; k < d; ++k) grad[k] = 0.0;
    for (int l = 0; l < n; ++l) {
      double residual = y[l];
      for (int k = 0; k < d; ++k) residual -= w[k] * x[l * d + k];
      for (int k = 0; k < d; ++k) grad[k] += residual * x[l * d + k];
    }
    for (int k = 0; k < d; ++k) w[k] += eta * grad[k] / n;
  }
  double out = 0.0;
  for (int k = 0; k < d; ++k) out += w[k] * xq[k];
  return out;
}

double predict_debiased_gd(const double* x, const double* y, int n, int d, double eta, const double* xq) {
  // y^ = (eta/n) [sum_l y_l <x_l, x_q> - (sum_l y_l) <xbar, x_q>]
  double acc = 0.0, ysum = 0.0, xbar_dot = 0.0;
  for (int l = 0; l < n; ++l) {
    double dot = 0.0;
    for (int k = 0; k < d; ++k) dot += x[l * d + k] * xq[k];
    acc += y[l] * dot;
    ysum += y[l];
    xbar_dot += dot;
  }
  xbar_dot /= n;
  return eta * (acc - ysum * xbar_dot) / n;
}

double predict_knn(const double* x, const double* y, int n, int d, const double* xq, int k) {
  if (k > n) k = n;
  if (k > 16) k = 16;
  if (k <= 0) return 0.0;
  // Keep the k smallest distances in a sorted array (insertion; k is tiny).
  double best_dist[16];
  double best_y[16];
  int count = 0;
  for (int l = 0; l < n; ++l) {
    double dist = 0.0;
    for (int j = 0; j < d; ++j) {
      const double diff = x[l * d + j] - xq[j];
      dist += diff * diff;
    }
    if (count == k && dist >= best_dist[k - 1]) continue;
    int pos = count < k ? count++ : k - 1;
    while (pos > 0 && best_dist[pos - 1] > dist) {
      best_dist[pos] = best_dist[pos - 1];
      best_y[pos] = best_y[pos - 1];
      --pos;
    }
    best_dist[pos] = dist;
    best_y[pos] = y[l];
  }
  double mean = 0.0;
  for (int i = 0; i < count; ++i) mean += best_y[i];
  return mean / count;
}

double gd_step_opt(int d, int n, double noise_var, double tau2) {
  return tau2 * n / (tau2 * (n + d + 1) + noise_var);
}

double debiased_gd_step_opt(int d, int n, double noise_var, double tau2) {
  return tau2 * n / (tau2 * (n + d) + noise_var);
}

double gd_risk(int d, int n, double noise_var, double tau2, double eta) {
  const double S = tau2 * d;
  return noise_var + S * (1.0 - 2.0 * eta + eta * eta * (n + d + 1.0) / n) + eta * eta * noise_var * d / n;
}

double debiased_gd_risk(int d, int n, double noise_var, double tau2, double eta) {
  const double S = tau2 * d;
  const double m = n - 1.0;  // degrees of freedom left after centring
  return noise_var + S * (1.0 - 2.0 * eta * m / n + eta * eta * m * (n + d) / (double(n) * n)) +
         eta * eta * noise_var * d * m / (double(n) * n);
}

double averaging_risk(int d, int n, double noise_var, double tau2) {
  return gd_risk(d, n, noise_var, tau2, 1.0);
}

double ols_risk(int d, int n, double noise_var, double tau2) {
  if (n >= d + 2) return noise_var * (1.0 + double(d) / (n - d - 1));
  if (n <= d - 2) return noise_var + tau2 * (d - n) + noise_var * n / double(d - n - 1);
  // Near the interpolation threshold E tr((X^T X)^{-1}) diverges; without noise
  // the risk is still finite (the projection argument).
  if (noise_var == 0.0) return n >= d ? 0.0 : tau2 * (d - n);
  return std::numeric_limits<double>::infinity();
}

double ridge_risk_asymptotic(int d, int n, double noise_var, double tau2) {
  if (noise_var <= 0.0) return ols_risk(d, n, 0.0, tau2);
  const double gamma = double(d) / n;
  // Marchenko-Pastur Stieltjes transform at z = -s (s > 0), variance-1 entries:
  //   m(-s) = [sqrt((1 - gamma + s)^2 + 4 gamma s) - (1 - gamma + s)] / (2 gamma s)
  const double s = noise_var / (tau2 * n);
  const double a = 1.0 - gamma + s;
  const double m = (std::sqrt(a * a + 4.0 * gamma * s) - a) / (2.0 * gamma * s);
  return noise_var + noise_var * gamma * m;
}

namespace {

// R(eta) = sigma^2 + s [tau^2 (d - 2 eta t1 + eta^2 t2) + eta^2 sigma^2 nz]: the
// three expectations of a one-step estimator eta * (1/n) sum_l y_l x~_l.
struct StepMoments {
  double t1, t2, nz;  // E tr M, E tr M^2, E ||(1/n) sum eps_l x~_l||^2 / sigma^2
};

double step_risk(const StepMoments& m, int d, double noise_var, double tau2, double s, double eta) {
  return noise_var + s * (tau2 * (d - 2.0 * eta * m.t1 + eta * eta * m.t2) + eta * eta * noise_var * m.nz);
}
double step_opt(const StepMoments& m, double noise_var, double tau2) {
  return tau2 * m.t1 / (tau2 * m.t2 + noise_var * m.nz);
}

StepMoments plain_moments(int d, int n, const InputMoments& x) {
  const double s = x.var;
  return {d * s, (double(d) / n) * (x.m4 + (n + d - 2.0) * s * s), d * s / n};
}

// Centred inputs x~_l = x_l - xbar.  Per coordinate, x~_l = sum_k a_k u_k with
// a_l = (n-1)/n and the other n - 1 a_k = -1/n, so for independent u_k
//   E x~_l^2 = s (n-1)/n,  E x~_l x~_m = -s/n,
//   E x~_l^4 = m4 A4 + 3 s^2 (S2^2 - A4),   S2 = sum a^2 = (n-1)/n, A4 = sum a^4,
//   E x~_l^2 x~_m^2 = (m4 - 3 s^2) C4 + s^2 (S2^2 + 2 (sum a b)^2),  sum a b = -1/n,
//     C4 = sum a_k^2 b_k^2 = (2 (n-1)^2 + n - 2) / n^4,
// and across the d coordinates E (x~_l^T x~_m)^2 = d(d-1) c_lm^2 + d q_lm.
StepMoments centred_moments(int d, int n, const InputMoments& x) {
  const double s = x.var, m4 = x.m4, nn = n;
  const double S2 = (nn - 1) / nn, A4 = (std::pow(nn - 1, 4) + (nn - 1)) / std::pow(nn, 4);
  const double C4 = (2 * (nn - 1) * (nn - 1) + nn - 2) / std::pow(nn, 4);
  const double q_ll = m4 * A4 + 3 * s * s * (S2 * S2 - A4);
  const double q_lm = (m4 - 3 * s * s) * C4 + s * s * (S2 * S2 + 2.0 / (nn * nn));
  const double c_ll = s * (nn - 1) / nn, c_lm = -s / nn;
  const double diag = d * (d - 1.0) * c_ll * c_ll + d * q_ll, off = d * (d - 1.0) * c_lm * c_lm + d * q_lm;
  const double t2 = (nn * diag + nn * (nn - 1) * off) / (nn * nn);
  return {d * s * (nn - 1) / nn, t2, d * s * (nn - 1) / (nn * nn)};
}

}  // namespace

double gd_risk(int d, int n, double noise_var, double tau2, double eta, const InputMoments& x) {
  return step_risk(plain_moments(d, n, x), d, noise_var, tau2, x.var, eta);
}
double gd_step_opt(int d, int n, double noise_var, double tau2, const InputMoments& x) {
  return step_opt(plain_moments(d, n, x), noise_var, tau2);
}
double debiased_gd_risk(int d, int n, double noise_var, double tau2, double eta, const InputMoments& x) {
  return step_risk(centred_moments(d, n, x), d, noise_var, tau2, x.var, eta);
}
double debiased_gd_step_opt(int d, int n, double noise_var, double tau2, const InputMoments& x) {
  return step_opt(centred_moments(d, n, x), noise_var, tau2);
}

BaselineLosses evaluate_baselines(const PromptBatch& batch, const PromptConfig& config) {
  const int n = batch.n, d = batch.d;
  const double tau2 = config.prior == TaskPrior::isotropic_over_d ? 1.0 / d : 1.0;
  const double lambda = config.noise_var / tau2;
  const InputMoments moments = input_moments(config);
  const double eta = gd_step_opt(d, n, config.noise_var, tau2, moments);
  const double eta_deb = debiased_gd_step_opt(d, n, config.noise_var, tau2, moments);
  BaselineLosses sums;
  for (int b = 0; b < batch.B; ++b) {
    const double *x = batch.x_of(b), *y = batch.y_of(b), *xq = batch.xq_of(b);
    const double target = batch.yq[b];
    auto sq = [&](double pred) { return (pred - target) * (pred - target); };
    sums.ols += sq(predict_ols(x, y, n, d, xq));
    sums.ridge += sq(predict_ridge(x, y, n, d, lambda, xq));
    sums.gd += sq(predict_gd(x, y, n, d, eta, xq));
    sums.debiased_gd += sq(predict_debiased_gd(x, y, n, d, eta_deb, xq));
    sums.averaging += sq(predict_averaging(x, y, n, d, xq));
    sums.knn += sq(predict_knn(x, y, n, d, xq, 3));
  }
  const double inv = batch.B > 0 ? 1.0 / batch.B : 0.0;
  sums.ols *= inv;
  sums.ridge *= inv;
  sums.gd *= inv;
  sums.debiased_gd *= inv;
  sums.averaging *= inv;
  sums.knn *= inv;
  return sums;
}

}  // namespace icl
