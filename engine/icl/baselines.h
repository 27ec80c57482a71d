// baselines.h - classical estimators on an in-context regression prompt, and
// their risks in closed form (lessons icl-gd, icl-multihead).
//
// Every predictor sees one prompt: x (n, d) row-major, y (n), and the query
// x_q (d), and returns y^ for the query.  Every risk is
//   R = E (y^ - y_q)^2,   y_q = beta^T x_q + eps_q,
// over beta ~ N(0, tau^2 I_d), x, x_q ~ N(0, I_d), eps ~ N(0, sigma^2), so it
// includes the query's own noise sigma^2 (He et al. 2025 report it this way).
// "Normalized" risk divides the signal part by E||beta||^2 = tau^2 d, which is
// von Oswald et al.'s "error / d" for tau^2 = 1 and the plain risk for tau^2 = 1/d.
#pragma once
#include "engine/icl/prompts.h"

namespace icl {

// ---------------------------------------------------------------- predictors

// Ridge regression w = (X^T X + lambda I)^{-1} X^T y (the dual form
// X^T (X X^T + lambda I)^{-1} y when n < d).  lambda = 0 gives least squares,
// the minimum-norm interpolant when n < d.
double predict_ridge(const double* x, const double* y, int n, int d, double lambda, const double* xq);
inline double predict_ols(const double* x, const double* y, int n, int d, const double* xq) {
  return predict_ridge(x, y, n, d, 0.0, xq);
}

// One gradient-descent step from w = 0 on L(w) = 1/(2n) sum_l (w^T x_l - y_l)^2:
//   w = (eta / n) sum_l y_l x_l,   y^ = w^T x_q.
double predict_gd(const double* x, const double* y, int n, int d, double eta, const double* xq);

// K gradient-descent steps from w = 0 on the same loss,
//   w_{k+1} = w_k + (eta / n) sum_l (y_l - w_k^T x_l) x_l,   y^ = w_K^T x_q,
// what K stacked layers of von Oswald et al.'s construction compute (lsa.h).
double predict_gd_steps(const double* x, const double* y, int n, int d, double eta, int steps, const double* xq);

// Debiased GD (He et al. 2025): the inputs centred on their context mean,
//   y^ = (eta / n) sum_l y_l (x_l - xbar)^T x_q.
// What two softmax heads with KQ = +-omega I compute for small omega.
double predict_debiased_gd(const double* x, const double* y, int n, int d, double eta, const double* xq);

// The averaging estimator w = (1/n) sum_l y_l x_l (GD with eta = 1).
inline double predict_averaging(const double* x, const double* y, int n, int d, const double* xq) {
  return predict_gd(x, y, n, d, 1.0, xq);
}

// k nearest neighbours in x (Euclidean), mean of their labels; k <= 16.
double predict_knn(const double* x, const double* y, int n, int d, const double* xq, int k = 3);

// ------------------------------------------------------------ tuned settings

// Bayes-optimal ridge: the posterior mean under beta ~ N(0, tau^2 I) is ridge
// with lambda = sigma^2 / tau^2, i.e. sigma^2 d for N(0, I/d) (as in He et al.'s
// code) and sigma^2 for N(0, I).
inline double ridge_lambda(const PromptConfig& c) { return c.noise_var / prior_variance(c); }

// The step that minimizes gd_risk: eta* = tau^2 n / (tau^2 (n + d + 1) + sigma^2);
// for tau^2 = 1/d that is n / (n + d + 1 + sigma^2 d).
double gd_step_opt(int d, int n, double noise_var, double tau2);
// The step that minimizes debiased_gd_risk: tau^2 n / (tau^2 (n + d) + sigma^2).
double debiased_gd_step_opt(int d, int n, double noise_var, double tau2);

// ------------------------------------------------------------- closed forms
// E[(X^T X)^2] = n (n + d + 1) I for Gaussian X (n, d) (Wishart second moment)
// gives, with S = tau^2 d (signal power):
//   gd:          R(eta) = sigma^2 + S [1 - 2 eta + eta^2 (n + d + 1)/n] + eta^2 sigma^2 d / n
//                (tau^2 = 1/d: sigma^2 + 1 - 2 eta + eta^2 (n + d + 1 + sigma^2 d)/n,
//                 He et al.; at eta*: sigma^2 + S (1 - eta*), noiseless (d+1)/(n+d+1))
//   averaging:   R(1) = sigma^2 + S (d + 1)/n + sigma^2 d/n
//   debiased gd: centring leaves a Wishart with n - 1 degrees of freedom:
//                sigma^2 + S [1 - 2 eta (n-1)/n + eta^2 (n-1)(n+d)/n^2] + eta^2 sigma^2 d (n-1)/n^2
//   ols:         n >= d + 2: sigma^2 (1 + d / (n - d - 1));
//                n <= d - 2: sigma^2 + tau^2 (d - n) + sigma^2 n / (d - n - 1)
//                (min-norm; noiseless and normalized: 1 - n/d); infinite in between.
double gd_risk(int d, int n, double noise_var, double tau2, double eta);
double debiased_gd_risk(int d, int n, double noise_var, double tau2, double eta);
double averaging_risk(int d, int n, double noise_var, double tau2);
double ols_risk(int d, int n, double noise_var, double tau2);
// Bayes-optimal ridge in the proportional limit d, n -> inf, d/n = gamma
// (Marchenko-Pastur): R = sigma^2 + sigma^2 gamma m(-sigma^2 / (tau^2 n)), m the
// MP Stieltjes transform.  For tau^2 = 1/d this is He et al.'s ridge_loss
// 1/2 [sigma^2 + (gamma-1)/gamma + sqrt(4 sigma^2 + (sigma^2 + (1-gamma)/gamma)^2)].
// A reference line only: at d = 10 it is a few percent off the finite-d risk.
double ridge_risk_asymptotic(int d, int n, double noise_var, double tau2);

// -------------------------------------------- closed forms for any i.i.d. x
// x with independent coordinates of variance s and fourth moment m4 (U(-1, 1):
// s = 1/3, m4 = 1/5).  With M = X^T X / n and ŵ = eta M w + (eta/n) X^T eps,
//   R(eta) = sigma^2 + s [tau^2 (d - 2 eta E tr M + eta^2 E tr M^2) + eta^2 sigma^2 E tr M / n]
//   E tr M = d s,   E tr M^2 = (d/n) [m4 + (n + d - 2) s^2]
// (the diagonal terms E||x||^4 = d m4 + d(d-1) s^2, the others E (x_i^T x_j)^2 = d s^2).
// Gaussian moments give back gd_risk.  Debiased GD (x centred on the context
// mean) needs the fourth moments of centred samples; see baselines.cpp.
// These are exact for any n, d; OLS has no such closed form outside the
// Gaussian case (E (X^T X)^-1 depends on the whole distribution).
double gd_risk(int d, int n, double noise_var, double tau2, double eta, const InputMoments& x);
double gd_step_opt(int d, int n, double noise_var, double tau2, const InputMoments& x);
double debiased_gd_risk(int d, int n, double noise_var, double tau2, double eta, const InputMoments& x);
double debiased_gd_step_opt(int d, int n, double noise_var, double tau2, const InputMoments& x);
// The signal power E (beta^T x_q)^2 = tau^2 d s: predicting 0 costs this (plus sigma^2).
inline double signal_power(int d, double tau2, const InputMoments& x) { return tau2 * d * x.var; }

// -------------------------------------------------------- Monte Carlo check

struct BaselineLosses {
  double ols = 0, ridge = 0, gd = 0, debiased_gd = 0, averaging = 0, knn = 0;
};
// Mean squared error against y_q over a batch, with ridge_lambda(config),
// gd_step_opt and debiased_gd_step_opt for the batch's own (n, d) and the
// config's input distribution.
BaselineLosses evaluate_baselines(const PromptBatch& batch, const PromptConfig& config);

}  // namespace icl
