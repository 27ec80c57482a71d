// noprop.cpp - NoProp-DT (noprop.h).
#include "engine/nn/noprop.h"

#include <algorithm>
#include <cmath>

#include "engine/nn/nnmath.h"

namespace nn {

NoPropSchedule NoPropSchedule::cosine(int T, double max_snr) {
  NoPropSchedule s;
  s.T = T;
  s.abar.resize(size_t(T) + 1);
  s.snr.resize(size_t(T) + 1);
  s.a.assign(size_t(T) + 1, 0.0);
  s.b.assign(size_t(T) + 1, 0.0);
  s.c.assign(size_t(T) + 1, 0.0);
  const double off = 0.008, half_pi = 1.5707963267948966;
  for (int t = 0; t <= T; ++t) {
    const double u = ((1.0 - double(t) / T) + off) / (1.0 + off);
    const double cu = nnmath::cos(u * half_pi);
    s.abar[size_t(t)] = std::min(1.0 - 1e-5, std::max(1e-5, cu * cu));
    s.snr[size_t(t)] = s.abar[size_t(t)] / (1.0 - s.abar[size_t(t)]);
  }
  // The loss weights' SNR differences, capped (see noprop.h: capping SNR itself
  // would give two late steps the same SNR and a block a zero weight).
  s.dsnr.assign(size_t(T) + 1, 0.0);
  for (int t = 1; t <= T; ++t) s.dsnr[size_t(t)] = std::min(max_snr, s.snr[size_t(t)] - s.snr[size_t(t) - 1]);
  // method-notes.md #4: alpha_(t-1) = abar_(t-1) / abar_t.
  for (int t = 1; t <= T; ++t) {
    const double ab = s.abar[size_t(t)], ab_prev = s.abar[size_t(t) - 1], alpha = ab_prev / ab;
    s.a[size_t(t)] = std::sqrt(ab) * (1.0 - alpha) / (1.0 - ab_prev);
    s.b[size_t(t)] = std::sqrt(alpha) * (1.0 - ab) / (1.0 - ab_prev);
    s.c[size_t(t)] = (1.0 - ab) * (1.0 - alpha) / (1.0 - ab_prev);
  }
  return s;
}

bool NoPropDT::init(int dim, int classes, const NoPropConfig& config, int max_batch, pg::Rng& rng) {
  config_ = config;
  dim_ = dim, classes_ = classes, max_batch_ = max_batch;
  schedule_ = NoPropSchedule::cosine(config.T, config.max_snr);
  blocks_.assign(size_t(config.T), Model());
  block_opt_.assign(size_t(config.T), Optimizer());
  for (int t = 0; t < config.T; ++t) {
    if (!blocks_[size_t(t)].init(mlp(dim + classes, {config.hidden, config.hidden}, classes), max_batch, rng)) return false;
    block_opt_[size_t(t)].init(blocks_[size_t(t)].num_params(), config.optimizer);
  }
  if (!classifier_.init(mlp(classes, {}, classes), max_batch, rng)) return false;
  classifier_opt_.init(classifier_.num_params(), config.optimizer);
  z_.assign(size_t(max_batch) * classes, 0.0f);
  in_.assign(size_t(max_batch) * (dim + classes), 0.0f);
  probs_.assign(size_t(max_batch) * classes, 0.0f);
  dlogits_.assign(size_t(max_batch) * classes, 0.0f);
  last_losses_.assign(size_t(config.T), 0.0);
  return true;
}

int NoPropDT::num_params() const {
  int n = classifier_.num_params();
  for (const Model& m : blocks_) n += m.num_params();
  return n;
}

void NoPropDT::sample_q(int t, const int* y, int B, pg::Rng& rng, float* z) const {
  const double mean = std::sqrt(schedule_.abar[size_t(t)]), sd = std::sqrt(1.0 - schedule_.abar[size_t(t)]);
  for (int i = 0; i < B; ++i)
    for (int k = 0; k < classes_; ++k) z[size_t(i) * classes_ + k] = float((k == y[i] ? mean : 0.0) + sd * rng.normal());
}

void NoPropDT::concat(const float* x, const float* z, int B, float* in) const {
  const int w = dim_ + classes_;
  for (int i = 0; i < B; ++i) {
    std::copy(x + size_t(i) * dim_, x + size_t(i + 1) * dim_, in + size_t(i) * w);
    std::copy(z + size_t(i) * classes_, z + size_t(i + 1) * classes_, in + size_t(i) * w + dim_);
  }
}

// probs (B, C) = softmax(logits), in float with the max subtracted.
static void softmax_rows(const float* logits, int B, int C, float* probs) {
  for (int i = 0; i < B; ++i) {
    const float* l = logits + size_t(i) * C;
    float* p = probs + size_t(i) * C;
    float mx = l[0];
    for (int k = 1; k < C; ++k) mx = std::max(mx, l[k]);
    float sum = 0;
    for (int k = 0; k < C; ++k) sum += (p[k] = nnmath::expf(l[k] - mx));
    for (int k = 0; k < C; ++k) p[k] /= sum;
  }
}

double NoPropDT::block_loss(int t, const float* x, const int* y, const float* z_prev, int B) {
  Model& m = block(t);
  concat(x, z_prev, B, in_.data());
  softmax_rows(m.forward(in_.data(), B), B, classes_, probs_.data());
  const double w = 0.5 * config_.T * config_.eta * schedule_.dsnr[size_t(t)];
  double sq = 0;
  for (int i = 0; i < B; ++i)
    for (int k = 0; k < classes_; ++k) {
      const double d = probs_[size_t(i) * classes_ + k] - (k == y[i] ? 1.0 : 0.0);
      sq += d * d;
    }
  return w * sq / B;
}

double NoPropDT::block_gradient(int t, const float* x, const int* y, const float* z_prev, int B) {
  const int C = classes_;
  Model& m = block(t);
  concat(x, z_prev, B, in_.data());
  const float* logits = m.forward(in_.data(), B);
  softmax_rows(logits, B, C, probs_.data());
  // L_t = w (1/B) sum ||p - e_y||^2, w = (T/2) eta dSNR;  dL/dp = 2 w (p - e_y) / B,
  // through softmax: dlogit_k = p_k (g_k - sum_j g_j p_j).
  const double w = 0.5 * config_.T * config_.eta * schedule_.dsnr[size_t(t)];
  double sq = 0;
  for (int i = 0; i < B; ++i) {
    const float* p = probs_.data() + size_t(i) * C;
    float* g = dlogits_.data() + size_t(i) * C;
    double gp = 0;
    for (int k = 0; k < C; ++k) {
      const double d = p[k] - (k == y[i] ? 1.0 : 0.0);
      sq += d * d;
      g[k] = float(2.0 * w * d / B);
      gp += double(g[k]) * p[k];
    }
    for (int k = 0; k < C; ++k) g[k] = float(double(p[k]) * (double(g[k]) - gp));
  }
  m.zero_grad();
  m.backward(dlogits_.data());
  return w * sq / B;
}

double NoPropDT::train_step(const float* x, const int* y, int B, pg::Rng& rng) {
  const int C = classes_;
  double total = 0;
  for (int t = 1; t <= config_.T; ++t) {
    // z_(t-1) from q, never from block t-1: no gradient path between blocks.
    sample_q(t - 1, y, B, rng, z_.data());
    last_losses_[size_t(t) - 1] = block_gradient(t, x, y, z_.data(), B);
    total += last_losses_[size_t(t) - 1];
    Model& m = block(t);
    block_opt_[size_t(t) - 1].update(m.params(), m.grads());
  }
  // The classifier on z_T ~ q(z_T | y): cross-entropy, mean over the batch.
  sample_q(config_.T, y, B, rng, z_.data());
  const float* logits = classifier_.forward(z_.data(), B);
  softmax_rows(logits, B, C, probs_.data());
  double ce = 0;
  for (int i = 0; i < B; ++i)
    for (int k = 0; k < C; ++k) {
      const float p = probs_[size_t(i) * C + k];
      if (k == y[i]) ce -= detmath::log(std::max(double(p), 1e-30));
      dlogits_[size_t(i) * C + k] = (p - (k == y[i] ? 1.0f : 0.0f)) / float(B);
    }
  last_classifier_loss_ = ce / B;
  classifier_.zero_grad();
  classifier_.backward(dlogits_.data());
  classifier_opt_.update(classifier_.params(), classifier_.grads());
  return total + last_classifier_loss_;
}

void NoPropDT::predict(const float* x, int n, pg::Rng& rng, int* pred, float* trajectory) {
  const int C = classes_, T = config_.T;
  for (int start = 0; start < n; start += max_batch_) {
    const int B = std::min(max_batch_, n - start);
    const float* xb = x + size_t(start) * dim_;
    for (int i = 0; i < B * C; ++i) z_[size_t(i)] = float(rng.normal());  // z_0 ~ N(0, I)
    auto record = [&](int t) {
      if (!trajectory) return;
      for (int i = 0; i < B; ++i)
        std::copy(z_.data() + size_t(i) * C, z_.data() + size_t(i + 1) * C,
                  trajectory + (size_t(start + i) * (T + 1) + t) * C);
    };
    record(0);
    for (int t = 1; t <= T; ++t) {
      Model& m = block(t);
      concat(xb, z_.data(), B, in_.data());
      softmax_rows(m.forward(in_.data(), B), B, C, probs_.data());  // u^_t (one-hot embedding)
      const double a = schedule_.a[size_t(t)], b = schedule_.b[size_t(t)], sc = std::sqrt(schedule_.c[size_t(t)]);
      for (int i = 0; i < B * C; ++i)
        z_[size_t(i)] = float(a * probs_[size_t(i)] + b * z_[size_t(i)] + sc * rng.normal());
      record(t);
    }
    const float* logits = classifier_.forward(z_.data(), B);
    for (int i = 0; i < B; ++i) {
      int best = 0;
      for (int k = 1; k < C; ++k)
        if (logits[size_t(i) * C + k] > logits[size_t(i) * C + best]) best = k;
      pred[start + i] = best;
    }
  }
}

double NoPropDT::kl_z0() const {
  const double ab = schedule_.abar[0], d = classes_;
  return 0.5 * (ab * 1.0 + d * (1.0 - ab) - d - d * detmath::log(1.0 - ab));
}

}  // namespace nn
