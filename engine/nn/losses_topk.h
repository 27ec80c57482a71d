// losses_topk.h - the soft top-k operator and the soft top-k loss of DEXML
// (Gupta et al. 2024, sec. 3.3; official code nilesh2797/DEXML,
// utils/topk_utils.py and losses.py 'topk').
//
// Soft top-k of scores s (C,): a threshold t such that
//   p_j = sigmoid(alpha (s_j + t)),   sum_j p_j = k            (0 < k < C)
// Each p_j is a smooth "is j among the k best?" in (0, 1).  sum_j p_j grows
// monotonically with t, so t is found by bisection, as the official code does:
// n_iter halvings of [lo, hi] = [-max s - 10/alpha, -min s + 10/alpha] (at lo
// every p_j <= sigmoid(-10), at hi every p_j >= sigmoid(10)), here with float
// sigmoids, then safeguarded Newton steps in double so that sum_j p_j = k to double
// precision (losses_topk.cpp says why).
//
// Jacobian (implicit differentiation of sum_j p_j = k; topk_utils.py 20-33):
//   v_j = alpha p_j (1 - p_j),   dp/ds = diag(v) - v v^T / sum_j v_j
// It is symmetric and its rows sum to 0 (a uniform shift of s moves t, not p).
//
//   std::vector<double> p(C);
//   double t = nn::soft_topk_forward(s, C, 5.0, 2.0, 32, p.data());
//   nn::soft_topk_backward(p.data(), C, 2.0, dp, ds);   // ds = J^T dp
#pragma once
#include "engine/nn/losses_softmax.h"

namespace nn {

constexpr int kSoftTopKIterations = 32;  // configs/dual-encoder.yaml topk_n_iter

// s, p are (C,).  k is clamped into (0, C).  Returns t; writes p_j.
double soft_topk_forward(const double* s, int C, double k, double alpha, int iterations, double* p);
// ds (C,) = J^T dp for the p of soft_topk_forward (J is symmetric).
void soft_topk_backward(const double* p, int C, double alpha, const double* dp, double* ds);

// Soft top-k loss (losses.py 94-104): scores s = scale * logits,
//   L = (1/B) sum_b -(1/|P_b|) sum_{l in P_b} log p_l(s_b)
// with p the soft top-k at k and alpha.  Through the Jacobian, with
// d log p_l / d(alpha (s_l + t)) = 1 - p_l computed directly (no 1/p_l):
//   dL/ds_i = -(1/(B|P|)) (alpha [i in P] (1 - p_i) - v_i (sum_{l in P} alpha (1 - p_l)) / sum_j v_j)
// backward() reuses the p of the forward() just before it (call them in pairs,
// as loss.h asks), so the bisection runs once per step.
class SoftTopKLoss : public PositiveSetLoss {
 public:
  SoftTopKLoss(int positives, float s, double top_k, double steepness)
      : PositiveSetLoss(positives, s), k(top_k), alpha(steepness) {}
  const char* name() const override { return "soft top-k"; }
  void reserve(int max_batch, int classes) override;
  float forward(const float* logits, const int* labels, int B, int C) override;
  void backward(const float* logits, const int* labels, int B, int C, float* dlogits) override;
  double k, alpha;
  int iterations = kSoftTopKIterations;

 private:
  double row_topk(const float* z, int C);  // scores_ and p_ for one row; returns t
  std::vector<double> scores_, p_;        // (C,) row scratch
  std::vector<double> batch_p_;           // (B, C): the last forward's p, reused by backward
};

}  // namespace nn
