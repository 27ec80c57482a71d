// losses_margin.h - margin losses on raw scores: one-vs-rest hinge and the Z-loss.
#pragma once

#include "engine/nn/loss.h"

namespace nn {

// One-vs-rest multi-class hinge, L1 and L2-SVM (Agarap 2017, "An architecture
// combining CNN and SVM", eq. 3-4; Tang 2013).  Targets t_bk = +1 for the label,
// -1 for every other class; scores o (B, C):
//   squared = false:  L = C_svm (1/B) sum_b sum_k max(0, 1 - t_bk o_bk)
//   squared = true :  L = C_svm (1/B) sum_b sum_k max(0, 1 - t_bk o_bk)^2
// With class_mean = true the sum over k becomes a mean (1/C) sum_k, as the
// official code's tf.reduce_mean over (batch, classes) (AFAgarap/cnn-svm,
// model/cnn_svm.py): L = C_svm mean_{b,k} max(0, 1 - t o)^2.
// The paper's 1/2 ||w||^2 term is not part of this loss (it acts on weights,
// not scores): lessons/cnn_svm.cpp adds it to the last layer's gradients.
// Gradients: dL/do = -C_svm/B t [1 - t o > 0]  (L1, a subgradient at the kink)
//            dL/do = -2 C_svm/B t max(0, 1 - t o)  (L2, continuous: the loss is C^1)
// (each divided by C as well with class_mean).
// The loss is exactly 0 once every margin t o >= 1.
class MultiClassHinge : public Loss {
 public:
  explicit MultiClassHinge(bool square = true, float c = 1.0f, bool mean_over_classes = false)
      : squared(square), c_svm(c), class_mean(mean_over_classes) {}
  const char* name() const override { return squared ? "squared hinge (L2-SVM)" : "hinge (L1-SVM)"; }
  float forward(const float* logits, const int* labels, int B, int C) override;
  void backward(const float* logits, const int* labels, int B, int C, float* dlogits) override;
  bool squared;
  float c_svm;
  bool class_mean;
};

// Z-loss (de Brebisson & Vincent 2016, "The Z-loss: a shift and scale
// invariant classification loss belonging to the spherical family", eq. 5-6).
// Per row of D = C scores o:
//   mu = mean(o),  sigma = sqrt(mean((o - mu)^2)),  z_k = (o_k - mu) / sigma
//   L = (1/B) sum_b (1/a) softplus(a (b - z_c)),   softplus(u) = log(1 + e^u)
//   dL/dz_c = -sigmoid(a (b - z_c))
//   dz_c/do_k = (1/sigma) ([k == c] - 1/D - z_c z_k / D)
// L is invariant under o -> alpha o + beta (alpha > 0), its gradient is
// orthogonal to 1 and to o, and z_c <= sqrt(D - 1).  Computed in double.
class ZLoss : public Loss {
 public:
  explicit ZLoss(float steepness = 1.0f, float offset = 1.0f) : a(steepness), b(offset) {}
  const char* name() const override { return "Z-loss"; }
  float forward(const float* logits, const int* labels, int B, int C) override;
  void backward(const float* logits, const int* labels, int B, int C, float* dlogits) override;
  // z-scores (C,) of one row of scores (C,), as the panel shows them
  static void z_scores(const float* row, int C, double* z);
  float a, b;
};

}  // namespace nn
