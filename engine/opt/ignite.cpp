// ignite.cpp - the surrogate MLP and IGNITE's sharpness correction (ignite.h).
#include "engine/opt/ignite.h"

#include <algorithm>
#include <cmath>

namespace opt {
namespace {
double tanh_det(double z) {  // 1 - 2 / (e^(2z) + 1); saturated beyond |z| = 20
  if (z > 20.0) return 1.0;
  if (z < -20.0) return -1.0;
  return 1.0 - 2.0 / (detmath::exp(2.0 * z) + 1.0);
}
}  // namespace

void SurrogateMlp::init(int input_dim, int width, int depth) {
  input_dim_ = input_dim;
  layers_.clear();
  acts_.assign(size_t(depth) + 2, {});
  acts_[0].assign(size_t(input_dim), 0.0);
  int in = input_dim, offset = 0, widest = input_dim;
  for (int l = 0; l <= depth; ++l) {
    Layer L;
    L.in = in, L.out = l == depth ? 1 : width, L.offset = offset;
    offset += L.out * L.in + L.out;
    layers_.push_back(L);
    acts_[size_t(l) + 1].assign(size_t(L.out), 0.0);
    in = L.out;
    widest = std::max(widest, L.out);
  }
  num_params_ = offset;
  delta_.assign(size_t(widest), 0.0);
  delta_next_.assign(size_t(widest), 0.0);
}

void SurrogateMlp::init_params(pg::Rng& rng, double* theta) const {
  for (const Layer& L : layers_) {
    const double a = std::sqrt(6.0 / double(L.in + L.out));
    for (int i = 0; i < L.out * L.in; ++i) theta[L.offset + i] = rng.uniform(-a, a);
    for (int o = 0; o < L.out; ++o) theta[L.offset + L.out * L.in + o] = 0.0;
  }
}

double SurrogateMlp::forward(const double* theta, const double* x) {
  std::copy(x, x + input_dim_, acts_[0].begin());
  const int last = int(layers_.size()) - 1;
  for (int l = 0; l <= last; ++l) {
    const Layer& L = layers_[size_t(l)];
    const double* W = theta + L.offset;  // (out, in)
    const double* b = W + L.out * L.in;  // (out,)
    const double* in = acts_[size_t(l)].data();
    double* out = acts_[size_t(l) + 1].data();
    for (int o = 0; o < L.out; ++o) {
      double z = b[o];
      const double* w = W + size_t(o) * L.in;
      for (int i = 0; i < L.in; ++i) z += w[i] * in[i];
      out[o] = l == last ? z : tanh_det(z);
    }
  }
  return acts_.back()[0];
}

void SurrogateMlp::backward(const double* theta, double dout, double* grad, double* dx) {
  const int last = int(layers_.size()) - 1;
  delta_[0] = dout;  // d loss / d (pre-activation) of the current layer
  for (int l = last; l >= 0; --l) {
    const Layer& L = layers_[size_t(l)];
    const double* W = theta + L.offset;
    const double* in = acts_[size_t(l)].data();
    if (grad) {
      double* gW = grad + L.offset;
      double* gb = gW + L.out * L.in;
      for (int o = 0; o < L.out; ++o) {
        const double d = delta_[size_t(o)];
        double* row = gW + size_t(o) * L.in;
        for (int i = 0; i < L.in; ++i) row[i] += d * in[i];
        gb[o] += d;
      }
    }
    if (l == 0 && !dx) break;
    // d loss / d in = W^T delta; through tanh below (in = tanh(z): dz = din (1 - in^2)).
    for (int i = 0; i < L.in; ++i) {
      double s = 0.0;
      for (int o = 0; o < L.out; ++o) s += W[size_t(o) * L.in + i] * delta_[size_t(o)];
      delta_next_[size_t(i)] = l == 0 ? s : s * (1.0 - in[i] * in[i]);
    }
    if (l == 0) {
      std::copy(delta_next_.begin(), delta_next_.begin() + input_dim_, dx);
      break;
    }
    std::swap(delta_, delta_next_);
  }
}

double SurrogateMlp::predict(const double* theta, const double* x) { return forward(theta, x); }

double SurrogateMlp::predict_input_grad(const double* theta, const double* x, double* dx) {
  const double f = forward(theta, x);
  backward(theta, 1.0, nullptr, dx);
  return f;
}

double SurrogateMlp::mean_prediction(const double* theta, const double* x, int n, double* grad) {
  std::fill(grad, grad + num_params_, 0.0);
  double sum = 0.0;
  const double inv_n = 1.0 / double(n);
  for (int i = 0; i < n; ++i) {
    sum += forward(theta, x + size_t(i) * input_dim_);
    backward(theta, inv_n, grad, nullptr);
  }
  return sum * inv_n;
}

double SurrogateMlp::squared_error(const double* theta, const double* x, const double* y, int n, double* grad) {
  std::fill(grad, grad + num_params_, 0.0);
  double sum = 0.0;
  const double inv_n = 1.0 / double(n);
  for (int i = 0; i < n; ++i) {
    const double e = forward(theta, x + size_t(i) * input_dim_) - y[i];
    sum += 0.5 * e * e;
    backward(theta, e * inv_n, grad, nullptr);
  }
  return sum * inv_n;
}

// ------------------------------------------------------------------ IGNITE
// trainers.py 84-104: g_G, u = g_G / ||g_G|| (global norm over every tensor),
// beta += r u, g_G' = grad G, beta -= r u (here: a shifted copy), h = g_G' - g_G.
double sharpness_difference(const GradientClosure& gradient, const double* beta, int n, double r, double* g,
                            double* h, double* shifted) {
  gradient(beta, g);
  double sq = 0.0;
  for (int i = 0; i < n; ++i) sq += g[i] * g[i];
  const double norm = std::sqrt(sq);
  if (!(norm > 0.0) || !std::isfinite(norm)) {
    std::fill(h, h + n, 0.0);
    return norm;
  }
  const double scale = r / norm;
  for (int i = 0; i < n; ++i) shifted[i] = beta[i] + scale * g[i];
  gradient(shifted, h);
  for (int i = 0; i < n; ++i) h[i] -= g[i];
  return norm;
}

void IgniteCorrection::reset(int n, const IgniteConfig& config) {
  config_ = config;
  lambda_ = config.lambda0;
  g_.assign(size_t(n), 0.0);
  h_.assign(size_t(n), 0.0);
  shifted_.assign(size_t(n), 0.0);
}

// trainers.py 106-122: apply g_L + lambda (rho / r) h, then the dual ascent on
// lambda with no max(0, .) (papers/method-notes.md #8: the draft's clip is not in the code).
double IgniteCorrection::apply(const GradientClosure& grad_G, const double* beta, double* grad) {
  const int n = int(g_.size());
  const double norm = sharpness_difference(grad_G, beta, n, config_.r, g_.data(), h_.data(), shifted_.data());
  const double c = lambda_ * (config_.rho / config_.r);
  if (c != 0.0)  // lambda = 0: the plain step, bit for bit
    for (int i = 0; i < n; ++i) grad[i] += c * h_[size_t(i)];
  if (config_.dual_update) lambda_ += config_.eta_lambda * (config_.rho * norm - config_.epsilon);
  return norm;
}

}  // namespace opt
