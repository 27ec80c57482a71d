// losses_madacos.h - MadaCos, the adaptive-scale, adaptive-margin cosine
// softmax of CFCD (Zhu et al., "Coarse-to-Fine: Learning Compact Discriminative
// Representation for Single-Stage Image Retrieval", ICCV 2023, arXiv:2308.04008,
// sec. 3.2), as in the official code github.com/bassyess/CFCD,
// core/model/madacos.py (MadaCosLayerFunction, method_B = 'default').
//
// Input: cos (B, C), cosines between L2-normalized features and L2-normalized
// class weights (a model ending in l2norm + cosine_linear, as for ArcFace).
// Every batch, with a the target probability wanted for the median sample:
//   c_med = median_i cos_{i, y_i}         the LOWER median (index (B-1)/2 of the
//                                          ascending order; torch.median's choice),
//                                          ties broken by sample index -> sample i*
//   s     = max(32, ln(K (1-a)/a) / (1 - c_med))
//   B*    = sum_{j != y_i*} e^(s cos_{i*, j})   at the median sample only
//   m     = max(0, c_med - ln(B* a/(1-a)) / s)
//   logits s cos_j (j != y), target s (cos_y - m);  L = (1/B) sum_i CE(logits_i, y_i)
// so the median sample's target probability is exactly a whenever m > 0
// (e^(s(c_med - m)) = B* a/(1-a)).  s and m are constants for the gradient: the
// official backward returns grad_logit * scale and nothing for scale or margin.
// K is not the number of classes: the official code hard-codes 9999999 (~1e7).
//
// Differences from the official code, numerical only: B* is kept as ln B* (a
// log-sum-exp), since e^(s cos) overflows once s grows past ~700; and 1 - c_med
// is floored at 1e-7 so that s stays finite when the median cosine rounds to 1.
#pragma once
#include <vector>

#include "engine/nn/loss.h"

namespace nn {

struct MadaCosConfig {
  double alpha = 0.02;    // a; the official configs use ALPHA: 0.02
  double log10_K = 7.0;   // official: K = 9999999
  double min_scale = 32;  // official: scale.fill_(32.) below 32
};

// What one batch gives: the median sample and the scale and margin derived from it.
struct MadaCosStats {
  int median_index = -1;  // i*, the sample whose target cosine is c_med
  double median_cos = 0;  // c_med
  double scale = 32;      // s
  double log_B = 0;       // ln B*
  double margin = 0;      // m
};

// The lower median of the target cosines cos[i, labels[i]] (B,): index (B-1)/2
// of the order by (cosine, sample index), so the sample is unique on every
// platform (NaN sorts first).  order (B,) is scratch.  Returns the sample index.
int median_target_index(const float* cosines, const int* labels, int B, int C, int* order);

// The statistics above for one batch (order (B,) is scratch).
MadaCosStats madacos_stats(const MadaCosConfig& config, const float* cosines, const int* labels, int B, int C,
                           int* order);

class MadaCos : public Loss {
 public:
  explicit MadaCos(const MadaCosConfig& config = MadaCosConfig()) : config(config) {}
  const char* name() const override { return "MadaCos"; }
  void reserve(int max_batch, int classes) override;
  float forward(const float* cosines, const int* labels, int B, int C) override;
  void backward(const float* cosines, const int* labels, int B, int C, float* dcosines) override;
  // softmax(s cos) with the last batch's s: prediction is argmax of the plain cosines
  void probabilities(const float* cosines, int B, int C, float* probs) const override;

  // The statistics of the last forward.
  const MadaCosStats& stats() const { return stats_; }
  // While frozen, forward keeps the last s and m (finite-difference checks
  // need a fixed function, as the official backward treats them).
  void freeze(bool frozen) { frozen_ = frozen; }

  MadaCosConfig config;

 private:
  MadaCosStats stats_;
  std::vector<int> order_;
  bool frozen_ = false;
};

}  // namespace nn
