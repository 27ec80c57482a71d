// optim.h - optimizers over flat float parameter arrays (llm.c style).
//
// A model exposes its parameters and gradients as one contiguous block each
// (params, grads: (P,)), so an optimizer is one loop.  Adam/AdamW follow
// Kingma & Ba (2015) and Loshchilov & Hutter (2019): AdamW decays the weights
// directly (theta -= lr * wd * theta), Adam adds wd * theta to the gradient.
// Below the optimizer: global-norm gradient clipping and learning-rate
// schedules (their factor multiplies the lr through update()'s lr_scale).
#pragma once
#include <cmath>
#include <vector>

#include "engine/nn/nnmath.h"
#include "engine/simd.h"

namespace nn {

enum class OptimizerKind { sgd, adam, adamw };

// Gradient entries and optimizer moments below these magnitudes are set to
// exactly 0 (simd::flush_below explains why: subnormal numbers are ~100x
// slower on x86, and the browser cannot turn on flush-to-zero).  Training is
// unchanged to float precision: a gradient entry of 2^-50 (9e-16) moves a
// parameter by lr * 2^-50 under SGD and by < lr * 1e-7 under Adam (whose
// denominator is >= eps = 1e-8), both far below one float ulp of a weight.
// The thresholds keep every product in the updates normal: g^2 (1 - beta2)
// >= 2^-100 * 1e-6, and b m >= 2^-101 for beta >= 1/2.
constexpr float kTinyGradient = 8.8817841970012523e-16f;  // 2^-50
constexpr float kTinyMoment = 7.8886090522101181e-31f;    // 2^-100

struct OptimizerConfig {
  OptimizerKind kind = OptimizerKind::adam;
  float lr = 1e-3f;
  float momentum = 0.9f;  // SGD only
  float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;
  float weight_decay = 0.0f;
};

// The scalar twin of simd::flush_below.
inline float flush_below(float x, float threshold) { return (x < 0.0f ? -x : x) < threshold ? 0.0f : x; }

// x[i] = flush_below(x[i], threshold) over x: (n,).
inline void flush_below(float* x, int n, float threshold) {
  const simd::f32x4 t = simd::set1(threshold);
  int i = 0;
  for (; i + 4 <= n; i += 4) simd::store(x + i, simd::flush_below(simd::load(x + i), t));
  for (; i < n; ++i) x[i] = flush_below(x[i], threshold);
}

class Optimizer {
 public:
  void init(int num_params, const OptimizerConfig& config) {
    config_ = config;
    m_.assign(num_params, 0.0f);
    v_.assign(num_params, 0.0f);
    t_ = 0;
    beta1_pow_ = beta2_pow_ = 1.0;
  }
  const OptimizerConfig& config() const { return config_; }
  void set_lr(float lr) { config_.lr = lr; }
  int steps_taken() const { return t_; }
  // The moment estimates, (P,) each (Adam: m and v; SGD: the momentum in m).
  const std::vector<float>& first_moment() const { return m_; }
  const std::vector<float>& second_moment() const { return v_; }

  // params, grads: (P,).  lr_scale multiplies the learning rate (schedules).
  // The loops run 4 lanes at a time through simd.h and the tail runs the same
  // operations one float at a time, so every element sees the identical
  // sequence of IEEE operations on every backend (and no FMA).
  void update(float* params, const float* grads, float lr_scale = 1.0f) {
    ++t_;
    const float lr = config_.lr * lr_scale;
    switch (config_.kind) {
      case OptimizerKind::sgd:
        sgd_update(params, grads, lr);
        break;
      case OptimizerKind::adam:
      case OptimizerKind::adamw: {
        // beta^t as running products (no libm pow: identical native and wasm).
        beta1_pow_ *= config_.beta1;
        beta2_pow_ *= config_.beta2;
        const float bias1 = float(1.0 - beta1_pow_), bias2 = float(1.0 - beta2_pow_);
        if (config_.kind == OptimizerKind::adamw) adam_update<true>(params, grads, lr, bias1, bias2);
        else adam_update<false>(params, grads, lr, bias1, bias2);
        break;
      }
    }
  }

 private:
  // g = grad + wd theta;  m = mu m + g;  theta -= lr m
  void sgd_update(float* params, const float* grads, float lr) {
    const int P = int(m_.size());
    const float wd = config_.weight_decay, mu = config_.momentum;
    float* m = m_.data();
    int i = 0;
    const simd::f32x4 vwd = simd::set1(wd), vmu = simd::set1(mu), vlr = simd::set1(lr),
                      tiny_g = simd::set1(kTinyGradient), tiny_m = simd::set1(kTinyMoment);
    for (; i + 4 <= P; i += 4) {
      const simd::f32x4 p = simd::load(params + i);
      const simd::f32x4 g = simd::add(simd::flush_below(simd::load(grads + i), tiny_g), simd::mul(vwd, p));
      const simd::f32x4 mi = simd::flush_below(simd::add(simd::mul(vmu, simd::load(m + i)), g), tiny_m);
      simd::store(m + i, mi);
      simd::store(params + i, simd::sub(p, simd::mul(vlr, mi)));
    }
    for (; i < P; ++i) {
      const float g = flush_below(grads[i], kTinyGradient) + wd * params[i];
      m[i] = flush_below(mu * m[i] + g, kTinyMoment);
      params[i] = params[i] - lr * m[i];
    }
  }

  // Adam:  g = grad + wd theta  (AdamW: g = grad)
  //        m = b1 m + (1 - b1) g,  v = b2 v + (1 - b2) g^2
  //        theta -= (lr / bias1) m / (sqrt(v) / sqrt(bias2) + eps)   [- lr wd theta for AdamW]
  // which is lr m^ / (sqrt(v^) + eps) with m^ = m / bias1, v^ = v / bias2,
  // arranged as PyTorch does so each element costs one sqrt and one division.
  template <bool decoupled>
  void adam_update(float* params, const float* grads, float lr, float bias1, float bias2) {
    const int P = int(m_.size());
    const float wd = config_.weight_decay, b1 = config_.beta1, b2 = config_.beta2, eps = config_.eps;
    const float c1 = 1.0f - b1, c2 = 1.0f - b2;
    const float step_size = lr / bias1, inv_sqrt_bias2 = float(1.0 / std::sqrt(double(bias2))), lr_wd = lr * wd;
    float *m = m_.data(), *v = v_.data();
    int i = 0;
    const simd::f32x4 vwd = simd::set1(wd), vb1 = simd::set1(b1), vb2 = simd::set1(b2), vc1 = simd::set1(c1),
                      vc2 = simd::set1(c2), vstep = simd::set1(step_size), vinv = simd::set1(inv_sqrt_bias2),
                      veps = simd::set1(eps), vlr_wd = simd::set1(lr_wd), tiny_g = simd::set1(kTinyGradient),
                      tiny_m = simd::set1(kTinyMoment);
    for (; i + 4 <= P; i += 4) {
      simd::f32x4 p = simd::load(params + i);
      simd::f32x4 g = simd::flush_below(simd::load(grads + i), tiny_g);
      if (!decoupled) g = simd::add(g, simd::mul(vwd, p));
      const simd::f32x4 mi =
          simd::flush_below(simd::add(simd::mul(vb1, simd::load(m + i)), simd::mul(vc1, g)), tiny_m);
      const simd::f32x4 vi =
          simd::flush_below(simd::add(simd::mul(vb2, simd::load(v + i)), simd::mul(simd::mul(vc2, g), g)), tiny_m);
      simd::store(m + i, mi);
      simd::store(v + i, vi);
      const simd::f32x4 denom = simd::add(simd::mul(simd::sqrt(vi), vinv), veps);
      if (decoupled) p = simd::sub(p, simd::mul(vlr_wd, p));
      simd::store(params + i, simd::sub(p, simd::div(simd::mul(vstep, mi), denom)));
    }
    for (; i < P; ++i) {
      float p = params[i];
      float g = flush_below(grads[i], kTinyGradient);
      if (!decoupled) g = g + wd * p;
      m[i] = flush_below(b1 * m[i] + c1 * g, kTinyMoment);
      v[i] = flush_below(b2 * v[i] + (c2 * g) * g, kTinyMoment);
      const float denom = std::sqrt(v[i]) * inv_sqrt_bias2 + eps;
      if (decoupled) p = p - lr_wd * p;
      params[i] = p - (step_size * m[i]) / denom;
    }
  }

  OptimizerConfig config_;
  std::vector<float> m_, v_;
  int t_ = 0;
  double beta1_pow_ = 1.0, beta2_pow_ = 1.0;
};

// Global-norm clipping (Pascanu, Mikolov & Bengio 2013, alg. 2): when
// ||g||_2 > max_norm, g <- g * max_norm / ||g||.  grads is (P,).  Returns the
// norm before clipping (what a panel plots); max_norm <= 0 only measures.
inline float clip_grad_norm(float* grads, int num_params, float max_norm) {
  // In double, in a fixed order (element i goes to partial sum i mod 4, then
  // (s0 + s1) + (s2 + s3)): the same bits everywhere, and four independent
  // additions in flight instead of one serial chain.
  double s[4] = {0.0, 0.0, 0.0, 0.0};
  int i = 0;
  for (; i + 4 <= num_params; i += 4)
    for (int l = 0; l < 4; ++l) s[l] += double(grads[i + l]) * grads[i + l];
  for (; i < num_params; ++i) s[i % 4] += double(grads[i]) * grads[i];
  const double sum_sq = (s[0] + s[1]) + (s[2] + s[3]);
  const float norm = float(std::sqrt(sum_sq));
  if (max_norm > 0.0f && norm > max_norm) {
    const float factor = max_norm / norm;
    for (int i = 0; i < num_params; ++i) grads[i] *= factor;
  }
  return norm;
}

enum class ScheduleKind { constant, cosine, warmup_cosine, linear };

// Learning-rate schedule as a factor on the base lr, by 0-based step t:
//   constant:       1
//   cosine:         f_min + (1 - f_min) (1 + cos(pi t / T)) / 2   (Loshchilov & Hutter 2017,
//                   SGDR without restarts), f_min after T
//   warmup_cosine:  (t + 1) / W for t < W (linear warm-up, Goyal et al. 2017),
//                   then the cosine over the remaining T - W steps
//   linear:         1 - (1 - f_min) t / T, f_min after T (in float, no libm: the
//                   icl-multihead trainer's decay, the same bits everywhere)
// T = total_steps (<= 0 means "never decays"), W = warmup_steps.
struct LrSchedule {
  ScheduleKind kind = ScheduleKind::constant;
  int total_steps = 0;
  int warmup_steps = 0;
  float min_factor = 0.0f;

  float factor(int t) const {
    if (kind == ScheduleKind::constant) return 1.0f;
    if (kind == ScheduleKind::linear) {
      if (total_steps <= 0) return 1.0f;
      const float progress = t >= total_steps ? 1.0f : float(t) / float(total_steps);
      return 1.0f - (1.0f - min_factor) * progress;
    }
    int start = 0;
    if (kind == ScheduleKind::warmup_cosine && warmup_steps > 0) {
      if (t < warmup_steps) return float(t + 1) / float(warmup_steps);
      start = warmup_steps;
    }
    const int span = total_steps - start;
    if (total_steps <= 0 || span <= 0) return 1.0f;
    if (t - start >= span) return min_factor;
    const double progress = double(t - start) / double(span);
    const double cosine = 0.5 * (1.0 + nnmath::cos(nnmath::kPi * progress));
    return float(min_factor + (1.0 - min_factor) * cosine);
  }
};

}  // namespace nn
