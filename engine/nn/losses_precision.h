// losses_precision.h - softmax cross-entropy whose normalizer is summed in an
// emulated precision (float16-like, float32, float64) and a stated order
// (reduced_sum.h), so Softmax Collapse happens as it would in that precision.
//
//   t_j = round(e^(z_j - z_max))            (the max term is exactly 1)
//   S   = the ordered, rounded sum of the t_j  (reduced_sum.h)
//   L   = (1/B) sum_b [ log S_b - (z_by - z_max,b) ]          (in double)
//   p_j = round(t_j / S),   dL/dz_j = (1/B) (p_j - [j == y])
// When S rounds to exactly 1 and y holds the max, the sample's loss is 0 and
// its correct-class gradient p_y - 1 is exactly 0 (Prieto et al. 2025, sec. 3:
// the gradient that remains, p_j = t_j for the other classes, is below the
// precision's resolution relative to 1).  In float64 this is ordinary softmax
// cross-entropy.
#pragma once
#include <vector>

#include "engine/nn/loss.h"
#include "engine/nn/reduced_sum.h"

namespace nn {

class PrecisionSoftmaxCrossEntropy : public Loss {
 public:
  PrecisionSoftmaxCrossEntropy(SumPrecision p, SumOrder o) : precision(p), order(o) {}
  const char* name() const override { return "softmax cross-entropy (emulated precision)"; }
  void reserve(int max_batch, int classes) override;
  float forward(const float* logits, const int* labels, int B, int C) override;
  void backward(const float* logits, const int* labels, int B, int C, float* dlogits) override;
  void probabilities(const float* logits, int B, int C, float* probs) const override;
  // Samples of the last forward whose loss was exactly 0 (Softmax Collapse).
  int collapsed_in_last_forward() const { return collapsed_; }
  SumPrecision precision;
  SumOrder order;

 private:
  mutable std::vector<double> terms_;  // (C,) row scratch
  int collapsed_ = 0;
};

}  // namespace nn
