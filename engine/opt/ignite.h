// ignite.h - IGNITE (Dao et al., 2025, "Incorporating surrogate gradient norm
// to improve offline optimization techniques"; official code cuong-dm/IGNITE,
// design_baselines/gradient_ascent_IGNITE/trainers.py 71-122) and the small
// surrogate network it regularizes.
//
// Offline optimization fits a surrogate f_beta(x) to a fixed set of (x, y)
// and then climbs the surrogate.  IGNITE adds a constraint on the surrogate's
// sharpness: with G(beta) = (1/b) sum_i f_beta(x_i) the mean prediction on a
// clean batch, it asks rho ||grad_beta G|| <= epsilon, and enforces it with a
// Lagrange multiplier lambda.  The official step:
//   g_L = grad_beta L (the regression loss on noise-corrupted inputs)
//   g_G = grad_beta G(beta),  u = g_G / ||g_G||
//   h   = grad_beta G(beta + r u) - g_G          (two gradients of G, no Hessian)
//   step the optimizer on g_L + lambda (rho / r) h
//   lambda <- lambda + eta_lambda (rho ||g_G|| - epsilon)     (NO clip at 0)
// h / r -> H_G u as r -> 0, and H_G u = grad ||grad G||, so lambda (rho / r) h
// is the gradient of the penalty lambda rho ||grad_beta G||.
//
//   opt::SurrogateMlp net;  net.init(2, 64, 2);
//   opt::IgniteCorrection ignite;  ignite.reset(net.num_params(), opt::IgniteConfig{});
//   ...  ignite.apply(grad_G, beta, grad);   // grad += lambda (rho/r) h; lambda updated
#pragma once
#include <functional>
#include <vector>

#include "engine/rng.h"

namespace opt {

// A regression MLP in double: x (d,) -> [linear, tanh] x depth -> linear -> f (scalar).
// depth 0 is the linear model f = w^T x + c (linear in its parameters).
// Parameter layout: per layer W (out, in) row-major, then b (out,).
// tanh is 1 - 2 / (e^(2z) + 1) with detmath::exp (identical native and wasm).
class SurrogateMlp {
 public:
  void init(int input_dim, int width, int depth);
  int num_params() const { return num_params_; }
  int input_dim() const { return input_dim_; }
  // Glorot-uniform weights, zero biases, into theta (num_params,).
  void init_params(pg::Rng& rng, double* theta) const;

  // f_theta(x) for x (d,).
  double predict(const double* theta, const double* x);
  // f_theta(x), and df/dx into dx (d,).
  double predict_input_grad(const double* theta, const double* x, double* dx);
  // G = (1/n) sum_i f(x_i) for x (n, d); grad (num_params,) = dG/dtheta.
  double mean_prediction(const double* theta, const double* x, int n, double* grad);
  // L = (1/n) sum_i (f(x_i) - y_i)^2 / 2 (the Gaussian NLL with unit variance,
  // up to a constant) for x (n, d), y (n,); grad (num_params,) = dL/dtheta.
  double squared_error(const double* theta, const double* x, const double* y, int n, double* grad);

 private:
  // One sample: activations into acts_; returns f.
  double forward(const double* theta, const double* x);
  // One sample's backward for d loss / d f = dout: accumulates into grad
  // (num_params,) when not null and writes d loss / dx into dx (d,) when not null.
  void backward(const double* theta, double dout, double* grad, double* dx);
  struct Layer {
    int in = 0, out = 0, offset = 0;
  };
  std::vector<Layer> layers_;
  std::vector<std::vector<double>> acts_;  // acts_[0] = x, acts_[l + 1] = layer l's output (after tanh)
  std::vector<double> delta_, delta_next_;
  int input_dim_ = 0, num_params_ = 0;
};

// grad (n,) = the gradient of G at theta (n,).
using GradientClosure = std::function<void(const double* theta, double* grad)>;

// IGNITE's finite-difference term at beta (n,): g_G = gradient(beta) into g (n,),
// u = g / ||g||, h (n,) = gradient(beta + r u) - g.  shifted (n,) is scratch.
// Returns ||g||.  A zero gradient gives h = 0 (u undefined, no step).
double sharpness_difference(const GradientClosure& gradient, const double* beta, int n, double r, double* g,
                            double* h, double* shifted);

struct IgniteConfig {
  double rho = 0.05, r = 0.05;  // the official defaults (experiments.py 23-27)
  double epsilon = 1e-3, eta_lambda = 1e-3, lambda0 = 1e-3;
  bool dual_update = true;  // false: lambda stays at lambda0 (the official IGNITE2)
};

class IgniteCorrection {
 public:
  void reset(int n, const IgniteConfig& config);
  // One step's correction at beta (n,): grad (n,) += lambda (rho / r) h with
  // the lambda of this step, then lambda <- lambda + eta (rho ||g_G|| - eps)
  // (when dual_update).  Returns ||g_G||.  Allocation-free.
  double apply(const GradientClosure& grad_G, const double* beta, double* grad);
  double lambda() const { return lambda_; }
  const IgniteConfig& config() const { return config_; }
  const std::vector<double>& last_h() const { return h_; }

 private:
  IgniteConfig config_;
  double lambda_ = 0;
  std::vector<double> g_, h_, shifted_;
};

}  // namespace opt
