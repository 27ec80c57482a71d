// losses_softmax.cpp - see losses_softmax.h.
//
// Cross-entropy runs every training step, so it works in float with
// nnmath::expf (the batch sum is accumulated in double).  The other losses here
// are lesson-sized and compute in double with detmath::exp/log.  Both are
// bit-identical native and wasm.
#include "engine/nn/losses_softmax.h"

#include <cmath>

#include "engine/nn/nnmath.h"
#include "engine/rng.h"

namespace nn {

// ------------------------------------------------------ softmax cross-entropy

float SoftmaxCrossEntropy::forward(const float* logits, const int* labels, int B, int C) {
  double total = 0.0;
  for (int b = 0; b < B; ++b) {
    const float* z = logits + b * C;
    float zmax = scale * z[0];
    for (int j = 1; j < C; ++j) zmax = scale * z[j] > zmax ? scale * z[j] : zmax;
    float sum = 0.0f;
    for (int j = 0; j < C; ++j) sum += nnmath::expf(scale * z[j] - zmax);
    // log sum_j e^(s z_j) - s z_y = log(sum) + zmax - s z_y
    total += detmath::log(double(sum)) + double(zmax) - double(scale * z[labels[b]]);
  }
  return float(total / B);
}

void SoftmaxCrossEntropy::backward(const float* logits, const int* labels, int B, int C, float* dlogits) {
  softmax_rows(dlogits, logits, B, C, scale);
  const float factor = scale / float(B);
  for (int b = 0; b < B; ++b) {
    float* d = dlogits + b * C;
    d[labels[b]] -= 1.0f;
    for (int j = 0; j < C; ++j) d[j] *= factor;
  }
}

void SoftmaxCrossEntropy::probabilities(const float* logits, int B, int C, float* probs) const {
  softmax_rows(probs, logits, B, C, scale);
}

// ------------------------------------------------------------------ StableMax

float StableMaxCrossEntropy::forward(const float* logits, const int* labels, int B, int C) {
  double total = 0.0;
  for (int b = 0; b < B; ++b) {
    const float* z = logits + b * C;
    double sum = 0.0;
    for (int j = 0; j < C; ++j) sum += s(z[j]);
    total += detmath::log(sum) - detmath::log(s(z[labels[b]]));
  }
  return float(total / B);
}

void StableMaxCrossEntropy::backward(const float* logits, const int* labels, int B, int C, float* dlogits) {
  for (int b = 0; b < B; ++b) {
    const float* z = logits + b * C;
    float* d = dlogits + b * C;
    double sum = 0.0;
    for (int j = 0; j < C; ++j) sum += s(z[j]);
    for (int j = 0; j < C; ++j) {
      const double x = z[j];
      const double ds = x >= 0.0 ? 1.0 : 1.0 / ((1.0 - x) * (1.0 - x));
      double g = ds / sum;
      if (j == labels[b]) g -= ds / s(x);
      d[j] = float(g / B);
    }
  }
}

void StableMaxCrossEntropy::probabilities(const float* logits, int B, int C, float* probs) const {
  for (int b = 0; b < B; ++b) {
    double sum = 0.0;
    for (int j = 0; j < C; ++j) sum += s(logits[b * C + j]);
    for (int j = 0; j < C; ++j) probs[b * C + j] = float(s(logits[b * C + j]) / sum);
  }
}

// ------------------------------------------------------ multi-label (DEXML)

void PositiveSetLoss::reserve(int, int classes) { is_positive_.assign(classes, 0); }

int PositiveSetLoss::mark_row(const int* labels, int b, int C) {
  if (int(is_positive_.size()) < C) is_positive_.assign(C, 0);
  for (int j = 0; j < C; ++j) is_positive_[j] = 0;
  const int* row_labels = labels + b * positives_per_row;
  int count = 0;
  for (int k = 0; k < positives_per_row; ++k) {
    const int l = row_labels[k];
    if (l >= 0 && l < C && !is_positive_[l]) {
      is_positive_[l] = 1;
      ++count;
    }
  }
  return count;
}

float MultiPositiveSoftmax::forward(const float* logits, const int* labels, int B, int C) {
  double total = 0.0;
  for (int b = 0; b < B; ++b) {
    const int count = mark_row(labels, b, C);
    if (count == 0) continue;
    const float* z = logits + b * C;
    double smax = double(scale) * z[0];
    for (int j = 1; j < C; ++j) smax = std::fmax(smax, double(scale) * z[j]);
    double sum = 0.0, positive_sum = 0.0;
    for (int j = 0; j < C; ++j) {
      const double sj = double(scale) * z[j];
      sum += detmath::exp(sj - smax);
      if (is_positive_[j]) positive_sum += sj;
    }
    const double lse = smax + detmath::log(sum);
    if (sum_over_positives) total += count * lse - positive_sum;  // -sum_l (s_l - lse)
    else total += lse - positive_sum / count;                     // -(1/|P|) sum_l (s_l - lse)
  }
  return float(total / B);
}

void MultiPositiveSoftmax::backward(const float* logits, const int* labels, int B, int C, float* dlogits) {
  for (int b = 0; b < B; ++b) {
    float* d = dlogits + b * C;
    const int count = mark_row(labels, b, C);
    if (count == 0) {
      for (int j = 0; j < C; ++j) d[j] = 0.0f;
      continue;
    }
    const float* z = logits + b * C;
    double smax = double(scale) * z[0];
    for (int j = 1; j < C; ++j) smax = std::fmax(smax, double(scale) * z[j]);
    double sum = 0.0;
    for (int j = 0; j < C; ++j) sum += detmath::exp(double(scale) * z[j] - smax);
    for (int j = 0; j < C; ++j) {
      const double p = detmath::exp(double(scale) * z[j] - smax) / sum;
      const double g = sum_over_positives ? count * p - (is_positive_[j] ? 1.0 : 0.0)
                                          : p - (is_positive_[j] ? 1.0 / count : 0.0);
      d[j] = float(double(scale) * g / B);
    }
  }
}

// Per row: N' = sum_{j not in P} e^(s_j - m_neg) with m_neg the largest negative
// score; for a positive l, m_l = max(s_l, m_neg) and
//   e^s_l + N = e^m_l (e^(s_l - m_l) + N' e^(m_neg - m_l)) = e^m_l den_l,
// so every exponent is <= 0 and den_l >= 1 (no overflow, no log 0).
struct DecoupledRow {
  double m_neg = -HUGE_VAL, n_shifted = 0.0;
  int count = 0;
};

static DecoupledRow decoupled_row(const float* z, const unsigned char* is_positive, int C, float scale) {
  DecoupledRow r;
  for (int j = 0; j < C; ++j) {
    if (!is_positive[j]) r.m_neg = std::fmax(r.m_neg, double(scale) * z[j]);
  }
  for (int j = 0; j < C; ++j) {
    if (is_positive[j]) ++r.count;
    else r.n_shifted += detmath::exp(double(scale) * z[j] - r.m_neg);
  }
  return r;
}

float DecoupledSoftmax::forward(const float* logits, const int* labels, int B, int C) {
  double total = 0.0;
  for (int b = 0; b < B; ++b) {
    const int count = mark_row(labels, b, C);
    if (count == 0) continue;
    const float* z = logits + b * C;
    const DecoupledRow r = decoupled_row(z, is_positive_.data(), C, scale);
    if (r.n_shifted == 0.0) continue;  // every class is positive: nothing to compete with
    double row_loss = 0.0;
    for (int l = 0; l < C; ++l) {
      if (!is_positive_[l]) continue;
      const double sl = double(scale) * z[l];
      const double ml = std::fmax(sl, r.m_neg);
      const double den = detmath::exp(sl - ml) + r.n_shifted * detmath::exp(r.m_neg - ml);
      row_loss += ml + detmath::log(den) - sl;  // -log(e^s_l / (e^s_l + N))
    }
    total += row_loss / count;
  }
  return float(total / B);
}

void DecoupledSoftmax::backward(const float* logits, const int* labels, int B, int C, float* dlogits) {
  for (int b = 0; b < B; ++b) {
    float* d = dlogits + b * C;
    for (int j = 0; j < C; ++j) d[j] = 0.0f;
    const int count = mark_row(labels, b, C);
    if (count == 0) continue;
    const float* z = logits + b * C;
    const DecoupledRow r = decoupled_row(z, is_positive_.data(), C, scale);
    if (r.n_shifted == 0.0) continue;
    const double factor = double(scale) / (double(B) * count);
    double negative_weight = 0.0;  // sum_l e^(m_neg - m_l) / den_l
    for (int l = 0; l < C; ++l) {
      if (!is_positive_[l]) continue;
      const double sl = double(scale) * z[l];
      const double ml = std::fmax(sl, r.m_neg);
      const double den = detmath::exp(sl - ml) + r.n_shifted * detmath::exp(r.m_neg - ml);
      const double q = detmath::exp(sl - ml) / den;
      d[l] = float(-factor * (1.0 - q));
      negative_weight += detmath::exp(r.m_neg - ml) / den;
    }
    for (int j = 0; j < C; ++j) {
      if (is_positive_[j]) continue;
      d[j] = float(factor * detmath::exp(double(scale) * z[j] - r.m_neg) * negative_weight);
    }
  }
}

}  // namespace nn
