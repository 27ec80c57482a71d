// embedding_views.h - what the cosine-head lessons (elasticface, cfcd-madacos)
// share: the network that maps a 2-D toy point to a unit embedding on a circle
// or sphere and compares it with unit class weights, and the per-run views of
// the test set computed from it - the embeddings, their 2-D projection, the
// class weight directions, the test cosines, intra-class spread and the
// smallest angle between classes - and the side-by-side circle/sphere drawing.
#pragma once
#include <vector>

#include "engine/nn/model.h"
#include "engine/nn/trainer.h"

namespace pg {

// x (B, in) -> MLP 64-64 -> e (B, dim) -> e / |e| -> cos(e, w_k) (B, classes).
// The embedding layer has no bias (a bias there can dominate and point every
// embedding the same way).
nn::ModelSpec cosine_embedding_model(int input_dim, int embed_dim, int classes);

class EmbeddingViews {
 public:
  static constexpr int kRuns = 2;  // runs 0 and 1 of the trainer, side by side

  // Sizes every buffer for the trainer's test set (call after the runs are added).
  void reset(const nn::Trainer& trainer);
  // Recomputes every view from the current models.  Does not allocate.
  void refresh(nn::Trainer& trainer);
  // Both runs' embeddings on the circle (or sphere), side by side; `refresh_steps`
  // is only quoted in the help text.
  void draw(const nn::Trainer& trainer, int refresh_steps) const;

  int n() const { return n_; }
  int classes() const { return C_; }
  // Test cosines of run r, (n, classes): the model's output.
  const float* cosines(int r) const { return cos_[r].data(); }
  // Mean angle (degrees) of the embeddings to their class's mean direction.
  double spread_deg(int r) const { return spread_[r]; }
  // Smallest angle (degrees) between two class weight vectors.
  double min_angle_deg(int r) const { return min_angle_[r]; }

 private:
  int n_ = 0, C_ = 0, D_ = 2, chunk_ = 0, emb_layer_ = 0, head_layer_ = 0;
  std::vector<float> x_, emb_[kRuns], xy_[kRuns], w_[kRuns], wxy_[kRuns], cos_[kRuns], mean_;
  std::vector<int> idx_;
  double spread_[kRuns] = {0, 0}, min_angle_[kRuns] = {0, 0};
};

}  // namespace pg
