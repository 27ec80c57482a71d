// losses_vector.h - losses on float-vector targets (data::TargetKind::vector):
// regression and soft (probability) targets.  targets are (B, C), one value
// per output.  Given plain class labels instead (the int API), both read the
// one-hot vector of the label.
#pragma once
#include "engine/nn/loss.h"

namespace nn {

// Mean squared error over every entry:
//   L = 1/(B C) sum_b sum_j (z_bj - t_bj)^2,   dL/dz_bj = 2 (z_bj - t_bj) / (B C)
class MeanSquaredError : public Loss {
 public:
  const char* name() const override { return "mean squared error"; }
  TargetKind target_kind() const override { return TargetKind::vector; }
  float forward(const float* logits, const int* labels, int B, int C) override;
  void backward(const float* logits, const int* labels, int B, int C, float* dlogits) override;
  float forward_targets(const float* logits, const Targets& t, int B, int C) override;
  void backward_targets(const float* logits, const Targets& t, int B, int C, float* dlogits) override;
};

// Cross-entropy against a soft target distribution t_b (rows need not sum to 1):
//   L = (1/B) sum_b -sum_j t_bj log p_bj,   p_b = softmax(z_b)
//   dL/dz_bj = (1/B) (p_bj sum_k t_bk - t_bj)
// With one-hot targets it is softmax cross-entropy.  Computed in double.
class SoftTargetCrossEntropy : public Loss {
 public:
  const char* name() const override { return "soft-target cross-entropy"; }
  TargetKind target_kind() const override { return TargetKind::vector; }
  float forward(const float* logits, const int* labels, int B, int C) override;
  void backward(const float* logits, const int* labels, int B, int C, float* dlogits) override;
  float forward_targets(const float* logits, const Targets& t, int B, int C) override;
  void backward_targets(const float* logits, const Targets& t, int B, int C, float* dlogits) override;
};

}  // namespace nn
