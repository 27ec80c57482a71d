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

BaselineLosses evaluate_baselines(const PromptBatch& batch, const PromptConfig& config) {
  const int n = batch.n, d = batch.d;
  const double tau2 = config.prior == TaskPrior::isotropic_over_d ? 1.0 / d : 1.0;
  const double lambda = config.noise_var / tau2;
  const double eta = gd_step_opt(d, n, config.noise_var, tau2);
  const double eta_deb = debiased_gd_step_opt(d, n, config.noise_var, tau2);
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
