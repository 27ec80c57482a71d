// embedding_views.cpp - see embedding_views.h.
#include "lessons/embedding_views.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "ui/panel.h"
#include "ui/plots.h"

namespace pg {
namespace {

constexpr double kDeg = 180.0 / 3.14159265358979323846;

double angle_deg(const float* a, const float* b, int dim) {
  double dot = 0;
  for (int k = 0; k < dim; ++k) dot += double(a[k]) * b[k];
  return std::acos(std::max(-1.0, std::min(1.0, dot))) * kDeg;
}

void normalize(float* v, int dim) {
  double n = 0;
  for (int k = 0; k < dim; ++k) n += double(v[k]) * v[k];
  n = std::sqrt(n);
  if (n > 0)
    for (int k = 0; k < dim; ++k) v[k] = float(v[k] / n);
}

}  // namespace

// The fixed view of the sphere for dim = 3: rotate by yaw about z, then tilt
// about x, and keep the first two coordinates (an orthographic projection).
constexpr double kYaw = 0.6, kTilt = 0.5;
void project_embedding(const float* v, int dim, float* xy) {
  if (dim > 3) {  // not drawn (draw() says so)
    xy[0] = xy[1] = 0.0f;
    return;
  }
  if (dim == 2) {
    xy[0] = v[0], xy[1] = v[1];
    return;
  }
  const double cy = std::cos(kYaw), sy = std::sin(kYaw), ct = std::cos(kTilt), st = std::sin(kTilt);
  const double x = cy * v[0] - sy * v[1], y = sy * v[0] + cy * v[1], z = v[2];
  xy[0] = float(x);
  xy[1] = float(ct * z - st * y);  // looking slightly from below the equator: z up
}

nn::ModelSpec cosine_embedding_model(int input_dim, int embed_dim, int classes) {
  nn::ModelSpec spec = nn::ModelSpec::vectors(input_dim);
  spec.linear(64).relu().linear(64).relu().linear(embed_dim, false).l2norm().cosine_linear(classes);
  return spec;
}

EmbeddingViews::EmbeddingViews(Outputs& outputs)
    : embeddings_(outputs.array("embeddings")),
      weights_(outputs.array("class_weights")),
      cosines_(outputs.array("test_cosines")),
      step_(outputs.array("embeddings_step")) {}

void EmbeddingViews::reset(const nn::Trainer& trainer) {
  const data::Dataset& test = trainer.test_data();
  runs_ = std::min(kRuns, trainer.num_runs());
  n_ = test.n;
  C_ = test.classes;
  const nn::Model& model = trainer.run(0).model;
  emb_layer_ = model.num_layers() - 2;   // the l2norm layer
  head_layer_ = model.num_layers() - 1;  // cosine_linear: weights (C, dim)
  D_ = model.layer_output_shape(emb_layer_).size();
  chunk_ = std::min(n_, model.max_batch());
  x_.assign(size_t(chunk_) * test.dim, 0.0f);
  idx_.assign(size_t(chunk_), 0);
  labels_ = test.y;
  refreshed_at_ = 0;
  const float step = 0;
  step_.set({1}, &step);
  embeddings_.set({runs_, n_, D_}, std::vector<float>(size_t(runs_) * n_ * D_, 0.0f).data());
  weights_.set({runs_, C_, D_}, std::vector<float>(size_t(runs_) * C_ * D_, 0.0f).data());
  cosines_.set({runs_, n_, C_}, std::vector<float>(size_t(runs_) * n_ * C_, 0.0f).data());
  for (int r = 0; r < kRuns; ++r) {
    names_[r] = r < runs_ ? trainer.run(r).name : "";
    xy_[r].assign(size_t(n_) * 2, 0.0f);
    wxy_[r].assign(size_t(C_) * 2, 0.0f);
    spread_[r] = min_angle_[r] = NAN;
  }
  mean_.assign(size_t(C_) * D_, 0.0f);
}

// Test embeddings (n, dim), cosines and class weight directions, per run,
// into the outputs; then what the views draw from them.
void EmbeddingViews::refresh(nn::Trainer& trainer) {
  const float step = float(trainer.steps_done());
  step_.set({1}, &step);
  const data::Dataset& test = trainer.test_data();
  for (int r = 0; r < runs_; ++r) {
    nn::Model& model = trainer.run(r).model;
    float* emb = embeddings_.f.data() + size_t(r) * n_ * D_;  // (n, dim)
    float* w = weights_.f.data() + size_t(r) * C_ * D_;       // (C, dim)
    for (int start = 0; start < n_; start += chunk_) {
      const int B = std::min(chunk_, n_ - start);
      for (int i = 0; i < B; ++i) idx_[i] = start + i;
      test.gather(idx_.data(), B, x_.data(), nullptr);
      const float* cos = model.forward(x_.data(), B);   // (B, C)
      const float* e = model.layer_output(emb_layer_);  // (B, dim), unit rows
      std::copy(e, e + size_t(B) * D_, emb + size_t(start) * D_);
      std::copy(cos, cos + size_t(B) * C_, cosines_.f.data() + (size_t(r) * n_ + start) * C_);
    }
    const float* w_raw = model.params() + model.param_offset(head_layer_);  // (C, dim), not normalized
    std::copy(w_raw, w_raw + size_t(C_) * D_, w);
    for (int k = 0; k < C_; ++k) normalize(w + size_t(k) * D_, D_);
  }
  derive_view_data();
}

void EmbeddingViews::outputs_replaced() { derive_view_data(); }

// From the outputs alone: the 2-D view of the embeddings and class
// directions, and the two angle metrics, per run.
void EmbeddingViews::derive_view_data() {
  refreshed_at_ = step_.f.empty() ? 0 : int(step_.f[0]);
  if (embeddings_.f.size() != size_t(runs_) * n_ * D_ || weights_.f.size() != size_t(runs_) * C_ * D_) return;
  for (int r = 0; r < runs_; ++r) {
    const float* emb = embeddings_.f.data() + size_t(r) * n_ * D_;  // (n, dim)
    const float* w = weights_.f.data() + size_t(r) * C_ * D_;       // (C, dim)
    for (int k = 0; k < C_; ++k) project_embedding(w + size_t(k) * D_, D_, &wxy_[r][size_t(k) * 2]);
    for (int i = 0; i < n_; ++i) project_embedding(emb + size_t(i) * D_, D_, &xy_[r][size_t(i) * 2]);
    // class mean directions, then the mean angle of each embedding to its class's
    std::fill(mean_.begin(), mean_.end(), 0.0f);
    for (int i = 0; i < n_; ++i)
      for (int k = 0; k < D_; ++k) mean_[size_t(labels_[i]) * D_ + k] += emb[size_t(i) * D_ + k];
    for (int c = 0; c < C_; ++c) normalize(&mean_[size_t(c) * D_], D_);
    double spread = 0;
    for (int i = 0; i < n_; ++i) spread += angle_deg(emb + size_t(i) * D_, &mean_[size_t(labels_[i]) * D_], D_);
    spread_[r] = n_ > 0 ? spread / n_ : NAN;
    double least = 180.0;
    for (int a = 0; a < C_; ++a)
      for (int b = a + 1; b < C_; ++b) least = std::min(least, angle_deg(w + size_t(a) * D_, w + size_t(b) * D_, D_));
    min_angle_[r] = least;
  }
}

void EmbeddingViews::draw(float width, float height, int refresh_steps) const {
  // The caption wraps short of the help marker, which follows it on its last line.
  const ImGuiStyle& style = ImGui::GetStyle();
  ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + width - ImGui::CalcTextSize("(?)").x - 2 * style.ItemSpacing.x);
  ImGui::Text("e/|e| (dots, by class) and w_k/|w_k| (arrows), step %d", refreshed_at_);
  ImGui::PopTextWrapPos();
  ImGui::SameLine();
  char help[400];
  std::snprintf(help, sizeof help,
                D_ == 3 ? "Each dot is a test point's embedding on the unit sphere, colored by its class; each "
                          "arrow is a class weight vector.  The sphere is seen from one fixed viewpoint (an "
                          "orthographic projection), so dots on the far side overlap those in front.  Recomputed "
                          "every %d steps."
                        : "Each dot is a test point's embedding on the unit circle, colored by its class; each "
                          "arrow is a class weight vector.  Recomputed every %d steps.",
                refresh_steps);
  ui::help_marker(help);
  // Two squares side by side; below the caption, each has its name above and its angles below.
  const float line = ImGui::GetTextLineHeightWithSpacing(), font = ImGui::GetFontSize();
  const float w = ui::column_width(2, 10, width);  // stacked on a phone
  const float h = height > 0 ? std::max(font * 6.0f, std::min(w, height - 3.0f * line))
                             : std::min(w, font * 22.0f);
  for (int r = 0; r < runs_; ++r) {
    if (r) ui::next_column(w);
    ImGui::BeginGroup();
    ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + w);  // the captions stay within their column
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(plot::palette(r)), "%s", names_[r].c_str());
    ImGui::PushID(r);
    plot::ScatterStyle scatter;
    scatter.x_min = scatter.y_min = -1.25, scatter.x_max = scatter.y_max = 1.25;
    scatter.radius = 2.5f;
    scatter.arrows = wxy_[r].data();
    scatter.num_arrows = C_;
    scatter.unit_circle = true;
    if (D_ <= 3) {
      plot::scatter("##embeddings", ImVec2(w, h), xy_[r].data(), labels_.data(), n_, scatter);
    } else {
      ImGui::TextWrapped("%d-D embeddings are not drawn (the view shows a circle or a sphere: set the "
                         "embedding dimension to 2 or 3).  The angles below are measured in %d dimensions.",
                         D_, D_);
    }
    ImGui::Text("spread %.1f°   closest classes %.1f° apart", spread_[r], min_angle_[r]);
    ImGui::PopTextWrapPos();
    ImGui::PopID();
    ImGui::EndGroup();
  }
}

}  // namespace pg
