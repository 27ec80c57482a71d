// embedding_views.h - what the cosine-head lessons (elasticface, cfcd-madacos)
// share: the network that maps a 2-D toy point to a unit embedding on a circle
// or sphere and compares it with unit class weights, and the per-run views of
// the test set computed from it - the embeddings, their 2-D projection, the
// class weight directions, the test cosines, intra-class spread and the
// smallest angle between classes - and the side-by-side circle/sphere drawing.
//
// The data live in the lesson's outputs (declared here, at construction):
//   embeddings     (runs, n, dim)  unit test embeddings e/|e|
//   class_weights  (runs, C, dim)  unit class weight directions w_k/|w_k|
//   test_cosines   (runs, n, C)    the models' output cos(e, w_k)
//   embeddings_step (1,)           the step they are from
// (the labels are the base's test_labels).  refresh() refills them in the
// step path (from TrainerLesson::refresh_views); draw() only reads them and
// the plain members derived from them (2-D projections, the two angles),
// rebuilt by outputs_replaced() from another instance's copy.
#pragma once
#include <string>
#include <vector>

#include "engine/nn/model.h"
#include "engine/nn/trainer.h"
#include "lessons/outputs.h"

namespace pg {

// x (B, in) -> MLP 64-64 -> e (B, dim) -> e / |e| -> cos(e, w_k) (B, classes).
// The embedding layer has no bias (a bias there can dominate and point every
// embedding the same way).
nn::ModelSpec cosine_embedding_model(int input_dim, int embed_dim, int classes);

// The 2-D drawing position xy (2,) of a unit vector v (dim,): v itself for
// dim 2; for dim 3 the fixed view of the sphere (an orthographic projection
// after a yaw and a tilt); (0, 0) beyond 3.
void project_embedding(const float* v, int dim, float* xy);

class EmbeddingViews {
 public:
  static constexpr int kRuns = 2;  // runs 0 and 1 of the trainer, side by side

  // Declares the three arrays above on the lesson's outputs.
  explicit EmbeddingViews(Outputs& outputs);
  // Sizes every buffer and output for the trainer's test set (call after the runs are added).
  void reset(const nn::Trainer& trainer);
  // Recomputes every view from the current models.  Does not allocate.
  void refresh(nn::Trainer& trainer);
  // The outputs were replaced (Lesson::replace_outputs): rebuild what draw() reads.
  void outputs_replaced();
  // Both runs' embeddings on the circle (or sphere), side by side, within
  // width x height (height 0: their own size); `refresh_steps` is only
  // quoted in the help text.
  void draw(float width, float height, int refresh_steps) const;

  int n() const { return n_; }
  // The step the outputs are from.
  int refreshed_at() const { return refreshed_at_; }
  int classes() const { return C_; }
  // Test cosines of run r, (n, classes): the model's output.
  const float* cosines(int r) const { return cosines_.f.data() + size_t(r) * n_ * C_; }
  // Test labels, (n,).
  const int* labels() const { return labels_.data(); }
  // Mean angle (degrees) of the embeddings to their class's mean direction.
  double spread_deg(int r) const { return spread_[r]; }
  // Smallest angle (degrees) between two class weight vectors.
  double min_angle_deg(int r) const { return min_angle_[r]; }

 private:
  Array& embeddings_;  // (runs, n, dim)
  Array& weights_;     // (runs, C, dim)
  Array& cosines_;     // (runs, n, C)
  Array& step_;        // (1,): the step of the last refresh
  void derive_view_data();
  int runs_ = 0, n_ = 0, C_ = 0, D_ = 2, chunk_ = 0, emb_layer_ = 0, head_layer_ = 0;
  int refreshed_at_ = 0;  // step_, for the caption
  std::string names_[kRuns];
  std::vector<float> x_, xy_[kRuns], wxy_[kRuns], mean_;  // xy_ (n, 2), wxy_ (C, 2): what the scatter draws
  std::vector<int> idx_, labels_;
  double spread_[kRuns] = {0, 0}, min_angle_[kRuns] = {0, 0};
};

}  // namespace pg
