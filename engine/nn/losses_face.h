// losses_face.h - additive angular / cosine margin softmax losses on cosines:
// ArcFace, CosFace and ElasticFace (with its "+" variant).
//
// Input: cos (B, C), the cosines between L2-normalized features and
// L2-normalized class weights (a model ending in l2norm + cosine_linear).
// With theta_y the angle to the true class and a per-sample margin m_i:
//   ArcFace  (Deng et al. 2019, eq. 3): target logit  s cos(theta_y + m_i)
//   CosFace  (Wang et al. 2018, eq. 4): target logit  s (cos theta_y - m_i)
//   other logits s cos theta_j;  L = (1/B) sum_i CE(logits_i, y_i)
// ElasticFace (Boutros et al. 2022, eq. 6-7): m_i ~ N(m, sigma^2), drawn per
// sample at every step from the loss's own pg::Rng.  ElasticFace+ (sec. 3.3):
// the drawn margins are sorted and the LARGEST go to the HARDEST samples, those
// with the lowest target cosine (assign_margins_by_difficulty below builds that
// rank mapping explicitly).  The official code (fdbtrs/ElasticFace,
// utils/losses.py) writes instead
//   _, idicate_cosie = torch.sort(distmat, descending=True); margin, _ = torch.sort(margin)
//   m_hot.scatter_(1, label[index, None], margin[idicate_cosie])
// so sample i gets sorted_ascending[order_desc[i]]: the permutation where the
// text needs its inverse, a nearly random assignment (Spearman correlation of
// cosine and margin near 0 instead of -1).  PlusMapping::official_code
// reproduces it (assign_margins_official_code).  Without `elastic` every
// m_i = m (plain Arc/CosFace).
//
// cos(theta + m) is evaluated as c cos m - sqrt(1 - c^2) sin m (no acos), and
//   d cos(theta + m) / dc = cos m + c sin m / sqrt(1 - c^2),
// with c clamped to [-1 + 1e-6, 1 - 1e-6] (as implementations clamp before acos)
// so the derivative stays finite.  Computed in double.
//
// Beyond theta > pi - m, cos(theta + m) rises again as theta grows.  With
// `monotonic` (default, as insightface's ArcFace) the target logit there is
// s (cos theta - m sin m) instead, so it keeps falling with theta.  The
// ElasticFace code has no such branch (monotonic = false reproduces it); on
// low-dimensional toys that lets training collapse: every feature antipodal to
// every class weight gives a small loss at chance accuracy.
#pragma once
#include <cmath>
#include <cstdint>
#include <vector>

#include "engine/nn/loss.h"
#include "engine/rng.h"

namespace nn {

enum class MarginKind { arc, cos };

// ElasticFace+: how the sorted margins reach the samples.
//   paper_text     the paper's sec. 3.3: the hardest sample (lowest target cosine) gets the largest margin
//   official_code  fdbtrs/ElasticFace's margin[idicate_cosie] indexing (see above)
enum class PlusMapping { paper_text, official_code };

struct MarginConfig {
  MarginKind kind = MarginKind::arc;
  float scale = 64.0f;   // s
  float margin = 0.5f;   // m, the mean margin when elastic
  bool elastic = false;  // draw m_i ~ N(m, sigma^2)
  float sigma = 0.05f;
  bool plus = false;     // ElasticFace+: sort margins by sample difficulty
  PlusMapping plus_mapping = PlusMapping::paper_text;
  bool monotonic = true; // ArcFace only: cos theta - m sin m beyond theta > pi - m
};

class MarginSoftmax : public Loss {
 public:
  explicit MarginSoftmax(const MarginConfig& config = MarginConfig(), uint64_t seed = 1);
  const char* name() const override;
  void reserve(int max_batch, int classes) override;
  float forward(const float* cosines, const int* labels, int B, int C) override;
  void backward(const float* cosines, const int* labels, int B, int C, float* dcosines) override;
  // softmax(s cos): the margin is a training device, prediction uses plain cosines
  void probabilities(const float* cosines, int B, int C, float* probs) const override;
  void reseed(uint64_t seed) override { rng_ = pg::Rng(seed); }

  // The per-sample margins (B,) used by the last forward.
  const float* margins() const { return margins_.data(); }
  // Spearman rank correlation between the target cosines and the margins of
  // the last forward (NaN unless elastic): -1 for ElasticFace+ as the paper
  // states it, near 0 for plain ElasticFace and for the official code's "+".
  double margin_cosine_spearman() const { return spearman_; }
  // While frozen, forward reuses the last margins instead of drawing new ones
  // (finite-difference checks need a fixed function).
  void freeze_margins(bool frozen) { frozen_ = frozen; }

  MarginConfig config;

 private:
  void prepare_margins(const float* cosines, const int* labels, int B, int C);
  std::vector<float> margins_, drawn_, target_cos_, sorted_, rank_a_, rank_b_;
  std::vector<int> order_;
  double spearman_ = NAN;
  pg::Rng rng_;
  bool frozen_ = false;
};

// ElasticFace+ rank mapping.  target_cos (B,) and drawn margins (B,) ->
// assigned (B,), a permutation of drawn with
//   assigned[order[r]] = r-th largest margin,  order = samples by ascending target cosine
// (ties broken by sample index, so the mapping is unique on every platform).
// order (B,) and sorted (B,) are scratch.
void assign_margins_by_difficulty(const float* target_cos, const float* drawn, int B, int* order,
                                  float* sorted, float* assigned);

// The official code's "+" assignment, literally: order = samples by
// DESCENDING target cosine (ties by index), sorted = drawn ASCENDING, and
//   assigned[i] = sorted[order[i]]
// (the text's mapping is assigned[order[r]] = sorted[r]).  Scratch as above.
void assign_margins_official_code(const float* target_cos, const float* drawn, int B, int* order, float* sorted,
                                  float* assigned);

// Spearman's rank correlation of x (n,) and y (n,): the Pearson correlation of
// their ranks, ties given their average rank.  NaN when n < 2 or either is
// constant.  order (n,), rank_x (n,), rank_y (n,) are scratch.
double spearman_correlation(const float* x, const float* y, int n, int* order, float* rank_x, float* rank_y);

}  // namespace nn
