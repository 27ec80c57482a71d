#include "engine/opt/methods.h"

#include <algorithm>
#include <cmath>

#include "engine/opt/linalg.h"

namespace opt {

// ------------------------------------------------------------ RegularizedNewton
void RegularizedNewton::reset(int dim, const double* /*x0*/) {
  n_ = dim;
  gamma_ = config_.gamma0;
  lambda_ = 0, f_ = 0, g_norm_ = 0;
  tries_ = failed_cholesky_ = 0;
  have_value_ = false;
  g_.assign(size_t(dim), 0.0);
  g_trial_.assign(size_t(dim), 0.0);
  dx_.assign(size_t(dim), 0.0);
  x_trial_.assign(size_t(dim), 0.0);
  H_.assign(size_t(dim) * dim, 0.0);
  M_.assign(size_t(dim) * dim, 0.0);
}

StepResult RegularizedNewton::step(const Objective& f, int t, double* x) {
  StepResult r;
  const int n = n_;
  if (!have_value_) {  // f and g at x_0, once
    f_ = f.value_grad(t, x, g_.data());
    g_norm_ = std::sqrt(dot(g_.data(), g_.data(), n));
    ++r.evaluations;
    have_value_ = true;
  }
  r.value = f_;
  r.accepted = false;
  tries_ = 0;
  if (g_norm_ == 0.0) {  // stationary: lambda = 0 and nothing to gain
    r.accepted = true;
    return r;
  }
  curvature_(x, H_.data());
  for (int i = 0; i < config_.max_tries; ++i) {
    ++tries_;
    lambda_ = g_norm_ / gamma_;
    for (int k = 0; k < n * n; ++k) M_[size_t(k)] = H_[size_t(k)];
    for (int k = 0; k < n; ++k) M_[size_t(k) * n + k] += lambda_;
    if (!cholesky_factor(M_.data(), n)) {  // indefinite: the same path as a rejected step
      ++failed_cholesky_;
      gamma_ = std::max(gamma_ * 0.5, config_.gamma_min);
      continue;
    }
    cholesky_solve(M_.data(), n, g_.data(), dx_.data());
    for (int k = 0; k < n; ++k) x_trial_[size_t(k)] = x[k] - dx_[size_t(k)];
    const double f_trial = f.value_grad(t, x_trial_.data(), g_trial_.data());
    ++r.evaluations;
    const double g_trial_sq = dot(g_trial_.data(), g_trial_.data(), n);
    if (f_ - f_trial >= g_trial_sq / (8.0 * lambda_)) {  // false for a NaN f_trial
      for (int k = 0; k < n; ++k) x[k] = x_trial_[size_t(k)], g_[size_t(k)] = g_trial_[size_t(k)];
      f_ = f_trial;
      g_norm_ = std::sqrt(g_trial_sq);
      gamma_ *= 2.0;
      r.accepted = true;
      break;
    }
    gamma_ = std::max(gamma_ * 0.5, config_.gamma_min);
  }
  r.value = f_;
  return r;
}

// --------------------------------------------------------- BacktrackingGradient
void BacktrackingGradient::reset(int dim, const double* /*x0*/) {
  n_ = dim;
  L_ = config_.L0;
  f_ = 0;
  have_value_ = false;
  g_.assign(size_t(dim), 0.0);
  g_trial_.assign(size_t(dim), 0.0);
  x_trial_.assign(size_t(dim), 0.0);
}

StepResult BacktrackingGradient::step(const Objective& f, int t, double* x) {
  StepResult r;
  const int n = n_;
  if (!have_value_) {
    f_ = f.value_grad(t, x, g_.data());
    ++r.evaluations;
    have_value_ = true;
  }
  r.accepted = false;
  for (int i = 0; i < config_.max_tries; ++i) {
    for (int k = 0; k < n; ++k) x_trial_[size_t(k)] = x[k] - g_[size_t(k)] / L_;
    const double f_trial = f.value_grad(t, x_trial_.data(), g_trial_.data());
    ++r.evaluations;
    if (!std::isfinite(f_trial)) {
      L_ *= 2.0;
      continue;
    }
    // <g, x+ - x> + (L/2) ||x+ - x||^2 with x+ - x = -g / L
    double lin = 0.0, sq = 0.0;
    for (int k = 0; k < n; ++k) {
      const double d = x_trial_[size_t(k)] - x[k];
      lin += g_[size_t(k)] * d;
      sq += d * d;
    }
    if (f_trial <= f_ + lin + 0.5 * L_ * sq) {
      for (int k = 0; k < n; ++k) x[k] = x_trial_[size_t(k)], g_[size_t(k)] = g_trial_[size_t(k)];
      f_ = f_trial;
      L_ = std::max(L_ * 0.5, config_.L_min);
      r.accepted = true;
      break;
    }
    L_ *= 2.0;
  }
  r.value = f_;
  return r;
}

// ---------------------------------------------------------------- online steps
namespace {
double online_eta(const OnlineStepConfig& c, double sum_sq) {
  return c.adaptive ? c.diameter / std::sqrt(c.delta + sum_sq) : c.eta;
}
}  // namespace

void OnlineGradientDescent::reset(int dim, const double* /*x0*/) {
  n_ = dim;
  eta_ = 0, sum_sq_ = 0;
  g_.assign(size_t(dim), 0.0);
}

StepResult OnlineGradientDescent::step(const Objective& f, int t, double* x) {
  StepResult r;
  eta_ = online_eta(config_, sum_sq_);
  r.value = f.value_grad(t, x, g_.data());
  r.evaluations = 1;
  double sq = 0.0;
  for (int k = 0; k < n_; ++k) {
    const double gk = g_[size_t(k)];
    sq += gk * gk;
    x[k] = x[k] - eta_ * gk;
  }
  if (f.project) f.project(x);
  sum_sq_ += sq;
  return r;
}

void OptimisticOmd::reset(int dim, const double* x0) {
  n_ = dim;
  eta_ = 0, sum_sq_ = 0, play_gap_sq_ = 0;
  x_hat_.assign(x0, x0 + dim);
  hint_g_.assign(size_t(dim), 0.0);  // M_0 = 0
  g_.assign(size_t(dim), 0.0);
}

StepResult OptimisticOmd::step(const Objective& f, int t, double* x) {
  StepResult r;
  const int n = n_;
  eta_ = online_eta(config_, sum_sq_);
  // x_t = Proj(x^_t - eta_t M_t)
  for (int k = 0; k < n; ++k) x[k] = x_hat_[size_t(k)] - eta_ * hint_g_[size_t(k)];
  if (f.project) f.project(x);
  double gap = 0.0;
  for (int k = 0; k < n; ++k) gap += (x[k] - x_hat_[size_t(k)]) * (x[k] - x_hat_[size_t(k)]);
  play_gap_sq_ += gap;
  r.value = f.value_grad(t, x, g_.data());
  r.evaluations = 1;
  // x^_(t+1) = Proj(x^_t - eta_t g_t);  S += ||g_t - M_t||^2
  double sq = 0.0;
  for (int k = 0; k < n; ++k) {
    const double d = g_[size_t(k)] - hint_g_[size_t(k)];
    sq += d * d;
    x_hat_[size_t(k)] = x_hat_[size_t(k)] - eta_ * g_[size_t(k)];
  }
  if (f.project) f.project(x_hat_.data());
  sum_sq_ += sq;
  if (hint_ == Hint::last_gradient)
    for (int k = 0; k < n; ++k) hint_g_[size_t(k)] = g_[size_t(k)];
  return r;
}

// ------------------------------------------------------------------ NnOptimizer
void NnOptimizer::reset(int dim, const double* x0) {
  optimizer_.init(dim, config_);
  params_.resize(size_t(dim));
  for (int k = 0; k < dim; ++k) params_[size_t(k)] = float(x0[k]);
  grads_.assign(size_t(dim), 0.0f);
  g_.assign(size_t(dim), 0.0);
  grad_norm_ = 0;
}

StepResult NnOptimizer::step(const Objective& f, int t, double* x) {
  StepResult r;
  const int n = int(params_.size());
  for (int k = 0; k < n; ++k) x[k] = double(params_[size_t(k)]);
  r.value = f.value_grad(t, x, g_.data());
  r.evaluations = 1;
  double sq = 0.0;
  for (int k = 0; k < n; ++k) {
    grads_[size_t(k)] = float(g_[size_t(k)]);
    sq += g_[size_t(k)] * g_[size_t(k)];
  }
  grad_norm_ = std::sqrt(sq);
  if (!std::isfinite(r.value) || !std::isfinite(sq)) {
    r.value = std::isfinite(r.value) ? NAN : r.value;  // report it; keep the parameters
    r.accepted = false;
    return r;
  }
  optimizer_.update(params_.data(), grads_.data(), schedule_.factor(t));
  for (int k = 0; k < n; ++k) x[k] = double(params_[size_t(k)]);
  return r;
}

}  // namespace opt
