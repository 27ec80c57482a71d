// losses_softmax.h - cross-entropy over a softmax and its relatives.
#pragma once
#include <vector>

#include "engine/nn/loss.h"

namespace nn {

// Softmax cross-entropy with a scale (inverse temperature) s, stable through
// log-sum-exp:
//   L = (1/B) sum_b [ log sum_j e^(s z_bj) - s z_by ]
//   dL/dz_bj = (s/B) (p_bj - [j == y_b]),   p_b = softmax(s z_b)
// s = 1 is the plain softmax head; on cosine outputs (l2norm + cosine_linear)
// s = 1/tau is the normalized softmax with temperature tau (NormFace, and the
// hyperspherical head of Pereira et al. with logit_k = s cos theta_k).
class SoftmaxCrossEntropy : public Loss {
 public:
  explicit SoftmaxCrossEntropy(float s = 1.0f) : scale(s) {}
  const char* name() const override { return "softmax cross-entropy"; }
  float forward(const float* logits, const int* labels, int B, int C) override;
  void backward(const float* logits, const int* labels, int B, int C, float* dlogits) override;
  void probabilities(const float* logits, int B, int C, float* probs) const override;
  float scale;
};

// StableMax cross-entropy (Prieto et al. 2025, "Grokking at the edge of
// numerical stability", eq. 6-7):
//   s(x) = x + 1 for x >= 0,  1 / (1 - x) for x < 0
//   p_i = s(z_i) / sum_j s(z_j),   L = -(1/B) sum_b log p_by
//   dL/dz_j = (1/B) (s'(z_j) / S - [j == y] s'(z_y) / s(z_y)),
//   s'(x) = 1 (x >= 0), 1 / (1 - x)^2 (x < 0)
// s grows linearly, not exponentially, so float32 sums do not saturate
// ("Softmax Collapse").  Computed in double.
class StableMaxCrossEntropy : public Loss {
 public:
  const char* name() const override { return "StableMax cross-entropy"; }
  float forward(const float* logits, const int* labels, int B, int C) override;
  void backward(const float* logits, const int* labels, int B, int C, float* dlogits) override;
  void probabilities(const float* logits, int B, int C, float* probs) const override;
  static double s(double x) { return x >= 0.0 ? x + 1.0 : 1.0 / (1.0 - x); }
};

// Multi-label losses of DEXML (Gupta et al. 2024, sec. 3).  Labels are (B, P):
// up to P positives per row, padded with -1 (a row needs at least one).  With
// scores s_bj = scale * logits_bj and P_b the positive set.
// PositiveSetLoss holds what the two share: P labels per row, the scale, and
// the row's positive set as flags over the classes.
class PositiveSetLoss : public Loss {
 public:
  PositiveSetLoss(int positives, float s) : positives_per_row(positives), scale(s) {}
  void reserve(int max_batch, int classes) override;
  // Label-set targets (the trainer's data::TargetKind::label_set): t.labels is
  // (B, t.width), which becomes positives_per_row.
  TargetKind target_kind() const override { return TargetKind::label_set; }
  float forward_targets(const float* logits, const Targets& t, int B, int C) override {
    positives_per_row = t.width;
    return forward(logits, t.labels, B, C);
  }
  void backward_targets(const float* logits, const Targets& t, int B, int C, float* dlogits) override {
    positives_per_row = t.width;
    backward(logits, t.labels, B, C, dlogits);
  }
  int positives_per_row;
  float scale;

 protected:
  // Marks row b's positives in is_positive_ (C,) and returns how many distinct
  // valid ones it has (-1 padding and duplicates ignored).
  int mark_row(const int* labels, int b, int C);
  std::vector<unsigned char> is_positive_;  // (C,) row scratch
};

// Multi-positive softmax:
//   L = (1/B) sum_b -(1/|P_b|) sum_{l in P_b} log( e^s_l / sum_j e^s_j )
//   dL/ds_j = (1/B) (p_j - [j in P_b] / |P_b|)
// Its minimum is log |P_b| (the probability mass is shared by the positives).
// sum_over_positives drops the 1/|P_b|, as the official DEXML losses.py
// 'softmax' does (lines 64-72):
//   L = (1/B) sum_b -sum_{l in P_b} log softmax_l,   dL/ds_j = (1/B) (|P_b| p_j - [j in P_b])
// whose minimum is |P_b| log |P_b|.
class MultiPositiveSoftmax : public PositiveSetLoss {
 public:
  explicit MultiPositiveSoftmax(int positives, float s = 1.0f, bool sum = false)
      : PositiveSetLoss(positives, s), sum_over_positives(sum) {}
  const char* name() const override { return "multi-positive softmax"; }
  float forward(const float* logits, const int* labels, int B, int C) override;
  void backward(const float* logits, const int* labels, int B, int C, float* dlogits) override;
  bool sum_over_positives;
};

// Decoupled softmax: each positive competes only with the negatives,
//   L = (1/B) sum_b -(1/|P_b|) sum_{l in P_b} log( e^s_l / (e^s_l + sum_{j not in P_b} e^s_j) )
//   dL/ds_l = -(1/(B|P|)) (1 - q_l),  q_l = e^s_l / (e^s_l + N),  N = sum_{j not in P} e^s_j
//   dL/ds_j = (1/(B|P|)) sum_{l in P} e^s_j / (e^s_l + N)     for j not in P
// With one positive it equals softmax cross-entropy; its minimum is 0.
class DecoupledSoftmax : public PositiveSetLoss {
 public:
  explicit DecoupledSoftmax(int positives, float s = 1.0f) : PositiveSetLoss(positives, s) {}
  const char* name() const override { return "decoupled softmax"; }
  float forward(const float* logits, const int* labels, int B, int C) override;
  void backward(const float* logits, const int* labels, int B, int C, float* dlogits) override;
};

}  // namespace nn
