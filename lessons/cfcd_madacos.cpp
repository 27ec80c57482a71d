// cfcd_madacos.cpp - Lesson: "Coarse-to-Fine: Learning Compact Discriminative
// Representation for Single-Stage Image Retrieval" (Zhu, Gao, Ke, Qiao & Sun,
// ICCV 2023; code github.com/bassyess/CFCD) - its MadaCos loss only.
//
// Two networks with the same initialization and the same mini-batches map
// 2-D toy points to a unit embedding on a circle (or sphere) and compare it with
// unit class weights (l2norm + cosine_linear, as in elasticface.cpp).  One is
// trained with MadaCos (engine/nn/losses_madacos.h: scale and margin set every
// batch from the median target cosine, so the median sample's target
// probability is a), the other with ArcFace at a fixed s = 32 and margin m.
// The panel follows s(t), m(t) and the median target cosine c_med(t), the test
// distribution of the target cosine vs the largest non-target cosine, and the
// embeddings of both runs.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

#include "engine/nn/losses_face.h"
#include "engine/nn/losses_madacos.h"
#include "lessons/embedding_views.h"
#include "lessons/trainer_lesson.h"
#include "web/plots.h"
#include "web/trainer_panel.h"
#include "web/ui.h"

namespace pg {
namespace {

const LessonInfo kInfo = {
    "cfcd-madacos",
    "Coarse-to-Fine (CFCD): the MadaCos loss",
    "Zhu, Gao, Ke, Qiao & Sun",
    2023,
    "2308.04008",
    "https://github.com/bassyess/CFCD",
    "C. Losses on top of softmax",
    LessonKind::trainer,
    "A cosine softmax whose scale and margin follow the batch's median sample, vs ArcFace's fixed ones.",
};

constexpr int kRefreshSteps = 25;  // embeddings and histograms are recomputed every this many steps
constexpr int kRunMadaCos = 0, kRunArcFace = 1;
constexpr double kArcScale = 32;   // ArcFace's fixed s: MadaCos's floor, and the usual face-recognition value
constexpr int kBins = 40;          // histogram bins over cos in [-1, 1]
constexpr int kCurvePoints = 1024;

class CfcdMadaCos : public TrainerLesson {
 public:
  const LessonInfo& info() const override { return kInfo; }

  void declare(ParamList& p) override {
    declare_training(p, kBlobs, 1500, 0.005, kBlobs, kMoons, /*min_batch=*/64, /*default_batch=*/128);
    p.real("a", "target probability a", &alpha_, 0.005, 0.3, 0.02,
           "MadaCos sets s and m so that the batch's median sample gives its true class probability exactly "
           "a.  Smaller a: a harder target, larger margins.  The official configs use 0.02.",
           true);
    p.real("log10_k", "log10 K", &log10_k_, 2, 8, 7,
           "K in s = ln(K (1-a)/a) / (1 - c_med).  Not the number of classes: the official code fixes "
           "K = 9999999 (log10 K = 7).  Larger K: a larger scale.");
    p.real("arc_m", "ArcFace margin m", &arc_margin_, 0, 0.6, 0.5,
           "The fixed angular margin of the ArcFace run (its scale is fixed at s = 32).");
    p.integer("classes", "classes", &classes_, 5, 10, 5,
              "Number of classes of the 2-D toy set (two moons always has 2).  More classes crowd the circle.");
    p.integer("dim", "embedding dimension", &dim_, 2, 3, 2,
              "2: embeddings and class weights live on a circle.  3: on a sphere (shown from one fixed "
              "viewpoint).  The paper uses 512.");
  }

  nn::ModelSpec model_for(const data::Dataset& d) const override {
    return cosine_embedding_model(d.dim, dim_, d.classes);
  }

  void configure_toy(data::ToyConfig& cfg) const override {
    cfg.classes = classes_;
    if (cfg.kind == data::ToyKind::blobs) cfg.noise = 0.12f;  // centres are closer with more classes
  }

  void add_runs(const nn::ModelSpec& spec, const nn::OptimizerConfig& adam) override {
    nn::MadaCosConfig mada;
    mada.alpha = alpha_;
    mada.log10_K = log10_k_;
    nn::MarginConfig arc;
    arc.kind = nn::MarginKind::arc;
    arc.scale = float(kArcScale);
    arc.margin = float(arc_margin_);
    arc.monotonic = true;
    trainer_.add_run("MadaCos", spec, std::make_unique<nn::MadaCos>(mada), adam);
    trainer_.add_run("ArcFace", spec, std::make_unique<nn::MarginSoftmax>(arc), adam);
    // After every backward: record this step's s, m and c_med (MadaCos), and
    // the ArcFace run's median target cosine from its batch cosines (B, C).
    trainer_.set_grad_hook([this](int r, nn::Model& model, const float*, const int* labels, int B) {
      const int step = trainer_.steps_done() + 1;
      if (r == kRunMadaCos) {
        const nn::MadaCosStats& st = static_cast<const nn::MadaCos&>(*trainer_.run(r).loss).stats();
        scale_curve_.add(step, float(st.scale));
        margin_curve_.add(step, float(st.margin));
        cmed_curve_[r].add(step, float(st.median_cos));
      } else if (r == kRunArcFace) {
        const float* cos = model.layer_output(model.num_layers() - 1);
        const int C = model.output_size();
        const int i = nn::median_target_index(cos, labels, B, C, order_.data());
        arc_cmed_ = i >= 0 ? cos[i * C + labels[i]] : NAN;
        cmed_curve_[r].add(step, float(arc_cmed_));
      }
    });
  }

  void after_reset() override {
    views_.reset(trainer_);
    order_.assign(size_t(trainer_.batch_size()), 0);
    scale_curve_.reserve(kCurvePoints);
    margin_curve_.reserve(kCurvePoints);
    for (nn::Curve& c : cmed_curve_) c.reserve(kCurvePoints);
    arc_cmed_ = NAN;
    for (int b = 0; b < kBins; ++b) bin_x_[b] = float(-1.0 + (b + 0.5) * 2.0 / kBins);
  }

  int view_refresh_steps() const override { return kRefreshSteps; }

  // Embeddings, then from the test cosines (n, C) per run: histograms of the
  // target cosine and of the largest non-target cosine, and the fraction of
  // samples whose target cosine is below some non-target cosine.
  void refresh_views() override {
    views_.refresh(trainer_);
    const data::Dataset& test = trainer_.test_data();
    const int n = views_.n(), C = views_.classes();
    for (int r = 0; r < EmbeddingViews::kRuns; ++r) {
      std::fill(hist_target_[r], hist_target_[r] + kBins, 0.0f);
      std::fill(hist_other_[r], hist_other_[r] + kBins, 0.0f);
      const float* cos = views_.cosines(r);
      int below = 0;
      for (int i = 0; i < n; ++i) {
        const int y = test.y[i];
        const float t = cos[size_t(i) * C + y];
        float other = -INFINITY;
        for (int j = 0; j < C; ++j)
          if (j != y) other = std::max(other, cos[size_t(i) * C + j]);
        below += t < other;
        hist_target_[r][bin_of(t)] += 1.0f;
        hist_other_[r][bin_of(other)] += 1.0f;
      }
      below_frac_[r] = n > 0 ? double(below) / n : NAN;
    }
  }

  void metrics(MetricList& out) const override {
    const bool ready = data_ready();
    const nn::MadaCosStats* st = ready ? &static_cast<const nn::MadaCos&>(*trainer_.run(kRunMadaCos).loss).stats() : nullptr;
    out.add("test_acc_madacos", test_accuracy(kRunMadaCos));
    out.add("test_acc_arcface", test_accuracy(kRunArcFace));
    out.add("scale_s", st ? st->scale : NAN);
    out.add("margin_m", st ? st->margin : NAN);
    out.add("median_target_cos", st ? st->median_cos : NAN);
    out.add("median_target_cos_arcface", ready ? arc_cmed_ : NAN);
    out.add("below_nontarget_frac_madacos", ready ? below_frac_[kRunMadaCos] : NAN);
    out.add("below_nontarget_frac_arcface", ready ? below_frac_[kRunArcFace] : NAN);
    out.add("intra_class_spread_deg_madacos", ready ? views_.spread_deg(kRunMadaCos) : NAN);
    out.add("intra_class_spread_deg_arcface", ready ? views_.spread_deg(kRunArcFace) : NAN);
    out.add("train_loss_madacos", ready ? trainer_.run(kRunMadaCos).smoothed_loss : NAN);
    out.add("train_loss_arcface", ready ? trainer_.run(kRunArcFace).smoothed_loss : NAN);
    out.add("steps_trained", ready ? trainer_.steps_done() : 0);
  }

  void draw(PanelContext& ctx) override;

 private:
  static int bin_of(float c) {
    if (!(c > -1.0f)) return 0;  // also NaN (a cast of NaN to int is undefined)
    if (!(c < 1.0f)) return kBins - 1;
    const int b = int((double(c) + 1.0) * 0.5 * kBins);
    return b < kBins ? b : kBins - 1;
  }
  void draw_statistics();
  void draw_histograms();

  double alpha_ = 0.02, log10_k_ = 7, arc_margin_ = 0.5;
  int classes_ = 5, dim_ = 2;
  EmbeddingViews views_;
  std::vector<int> order_;  // (batch,) scratch for the ArcFace median
  nn::Curve scale_curve_, margin_curve_, cmed_curve_[2];
  double arc_cmed_ = NAN, below_frac_[2] = {NAN, NAN};
  float bin_x_[kBins] = {}, hist_target_[2][kBins] = {}, hist_other_[2][kBins] = {};
};

void CfcdMadaCos::draw_statistics() {
  const float w = (ImGui::GetContentRegionAvail().x - ImGui::GetStyle().ItemSpacing.x) * 0.5f;
  const float h = ImGui::GetFontSize() * 13.0f;
  ImGui::BeginGroup();
  ImGui::Text("MadaCos scale s(t)");
  ImGui::SameLine();
  ui::help_marker("The scale of the logits at every training step, s = max(32, ln(K (1-a)/a) / (1 - c_med)).  "
                  "As the classes tighten, c_med approaches 1 and s grows (log axis).  ArcFace keeps s = 32.");
  plot::LinePlot ps("##scale", ImVec2(w, h));
  ps.axes("step", "s", /*log_y=*/true);
  ps.line("MadaCos s", scale_curve_.steps(), scale_curve_.values(), scale_curve_.size(), plot::palette(kRunMadaCos));
  ps.hline(kArcScale, "ArcFace s = 32", plot::palette(kRunArcFace));
  ps.draw();
  ImGui::EndGroup();
  ImGui::SameLine();
  ImGui::BeginGroup();
  ImGui::Text("Margin m(t) and median target cosine c_med(t)");
  ImGui::SameLine();
  ui::help_marker("m: MadaCos's margin at every step (CosFace-style, subtracted from the target cosine).  "
                  "c_med: the batch's median target cosine, for both runs.  The dashed line is ArcFace's fixed "
                  "angular margin (in radians, added to the angle: not the same unit as a cosine margin).");
  plot::LinePlot pm("##margin", ImVec2(w, h));
  pm.axes("step", "cosine / margin");
  pm.line("MadaCos m", margin_curve_.steps(), margin_curve_.values(), margin_curve_.size(), plot::palette(3));
  pm.line("MadaCos c_med", cmed_curve_[0].steps(), cmed_curve_[0].values(), cmed_curve_[0].size(),
          plot::palette(kRunMadaCos));
  pm.line("ArcFace c_med", cmed_curve_[1].steps(), cmed_curve_[1].values(), cmed_curve_[1].size(),
          plot::palette(kRunArcFace));
  pm.hline(arc_margin_, "ArcFace m (rad)", plot::faint_ink());
  pm.draw();
  ImGui::EndGroup();
}

void CfcdMadaCos::draw_histograms() {
  ImGui::Text("Test samples: target cosine vs largest non-target cosine, step %d", trainer_.steps_done());
  ImGui::SameLine();
  ui::help_marker("For every test point: the cosine to its own class weight (the run's color) and the largest "
                  "cosine to any other class weight (the other line), counted in 40 bins over [-1, 1].  A sample whose target "
                  "cosine is below its largest non-target cosine is misclassified by the cosine classifier.  "
                  "Recomputed every 25 steps.");
  const float w = (ImGui::GetContentRegionAvail().x - ImGui::GetStyle().ItemSpacing.x) * 0.5f;
  const float h = ImGui::GetFontSize() * 12.0f;
  for (int r = 0; r < 2; ++r) {
    if (r) ImGui::SameLine();
    ImGui::BeginGroup();
    ImGui::PushID(r);
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(plot::palette(r)), "%s: %.1f%% below a non-target",
                       trainer_.run(r).name.c_str(), 100.0 * below_frac_[r]);
    plot::LinePlot p("##hist", ImVec2(w, h));
    p.axes("cosine", "test samples");
    p.x_range(-1, 1);
    p.line("target cos", bin_x_, hist_target_[r], kBins, plot::palette(r));
    p.line("max non-target cos", bin_x_, hist_other_[r], kBins, plot::palette(4));
    p.draw();
    ImGui::PopID();
    ImGui::EndGroup();
  }
}

void CfcdMadaCos::draw(PanelContext& ctx) {
  if (ui::section("The problem")) {
    ui::paragraph(
        "Image retrieval and face recognition train an embedding as a classifier over many classes, then "
        "compare embeddings by cosine.  Cosine-softmax losses such as ArcFace need two hand-set numbers, the "
        "scale s of the logits and the margin m, and keep them fixed while the embeddings change under them.  "
        "The paper observes that with a fixed margin many training samples still end up closer to a wrong "
        "class than to their own.  CFCD's MadaCos loss sets s and m afresh from every mini-batch, so that "
        "they rise as training progresses and the supervision strengthens with it.");
  }
  if (ui::section("The method")) {
    ui::paragraph("Cosines between the normalized embedding and the normalized class weights, as in ArcFace; "
                  "take the median of the batch's target cosines (the lower median for an even batch) and "
                  "call that sample the median sample:");
    ui::equation("c_med = median_i cos θ_{i,y_i}");
    ui::paragraph("The scale grows without bound as c_med approaches 1 (K is a constant, see below); it never "
                  "goes below 32:");
    ui::equation("s = max(32, ln(K (1−a)/a) / (1 − c_med))");
    ui::paragraph("The margin then gives the median sample's true class exactly the probability a against "
                  "its actual non-target cosines:");
    ui::equation("B = Σ_{j≠y} e^{s cos θ_j} (median sample)      m = max(0, c_med − ln(B a/(1−a)) / s)");
    ui::equation("logit_j = s cos θ_j  (j ≠ y)      logit_y = s (cos θ_y − m)      L = cross-entropy");
    ui::paragraph("s and m are constants for the gradient.  This follows the official code "
                  "(core/model/madacos.py), where K is fixed at 9999999 rather than the number of classes.  "
                  "Samples harder than the median sample get a target probability below a, easier ones above; "
                  "as training raises c_med, s rises with it and the same a demands a tighter class.");
  }
  if (ui::section("Try this")) {
    ui::all_knobs(ctx);
    ui::bullet("Watch s(t) and c_med(t): as the classes tighten, c_med creeps toward 1 and the scale climbs "
               "far above ArcFace's 32, while m settles where the median sample keeps probability a.");
    ui::bullet("Raise a to 0.3: the median sample is asked for less, the margin shrinks (it is 0 whenever "
               "the batch already beats a), and the classes stay looser.");
    ui::bullet("Compare the two histograms: how much of the largest wrong-class cosine curve lies to the "
               "right of the target cosine curve, for each run?");
    ui::bullet("Try 8 classes and a few seeds: on this 2-D toy MadaCos sometimes merges two classes for good "
               "(with K = 10^7 in its formula, s explodes once c_med nears 1), where fixed ArcFace separates "
               "them.  Lowering log10 K lowers the scale (s grows with ln K).");
    ImGui::Spacing();
    if (draw_data_status()) {
      ui::trainer_summary(trainer_);
      ui::trainer_curves(trainer_);
      draw_statistics();
      draw_histograms();
      views_.draw(trainer_, kRefreshSteps);
    }
  }
  if (ui::section("What the paper reports")) {
    const bool ready = data_ready();
    const ui::PaperRow rows[] = {
        {"Samples whose target cosine is below a non-target cosine, fixed-margin loss",
         "over 20% (Fig. 1(a), fixed-margin losses)", ready ? 100.0 * below_frac_[kRunArcFace] : NAN,
         "%.1f%% (ArcFace)",
         "Paper: landmark training images after convergence.  Live: this toy's test set, at the current step."},
        {"The same fraction with MadaCos", "(not quoted here)",
         ready ? 100.0 * below_frac_[kRunMadaCos] : NAN, "%.1f%% (MadaCos)",
         "Live: this toy's test set, at the current step."},
    };
    ui::paper_table("##paper", rows, 2);
    ui::paragraph("The left column is the paper's; the right is measured live in this page.  Here the fraction "
                  "equals the test error of the cosine classifier (prediction = the largest cosine).");
    ImGui::TextDisabled("Teaching simplification: 2-D toy points and 5-10 classes instead of 81,313 landmark "
                        "classes; 2-D or 3-D embeddings instead of 512-D; the paper's coarse-to-fine local "
                        "descriptor stage is not part of this lesson.");
  }
}

}  // namespace

std::unique_ptr<Lesson> make_cfcd_madacos() { return std::make_unique<CfcdMadaCos>(); }

}  // namespace pg
