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
// The views follow s(t), m(t) and the median target cosine c_med(t), the test
// distribution of the target cosine vs the largest non-target cosine (and its
// ROC), and the embeddings of both runs.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

#include "engine/nn/losses_face.h"
#include "engine/nn/losses_madacos.h"
#include "lessons/embedding_views.h"
#include "lessons/trainer_lesson.h"
#include "ui/panel.h"
#include "ui/plots.h"

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
    Stepping::on_play,
    "A cosine softmax whose scale and margin follow the batch's median sample, vs ArcFace's fixed ones.",
};

constexpr int kRefreshSteps = 25;  // embeddings and histograms are recomputed every this many steps
constexpr int kRunMadaCos = 0, kRunArcFace = 1;
constexpr double kArcScale = 32;   // ArcFace's fixed s: MadaCos's floor, and the usual face-recognition value
constexpr int kBins = 40;          // histogram bins over cos in [-1, 1]
constexpr int kCurvePoints = 1024;
constexpr int kRocPoints = 256;    // ROC points kept per run (roc_points thins evenly beyond)

class CfcdMadaCos : public TrainerLesson {
 public:
  CfcdMadaCos()
      : views_(outputs_),
        stats_(outputs_.series("margin_stats", {"step", "scale_s", "margin_m", "median_target_cos",
                                                "median_target_cos_arcface"})),
        hist_(outputs_.series("cos_histogram", {"cos", "target_madacos", "max_nontarget_madacos", "target_arcface",
                                                "max_nontarget_arcface"})),
        roc_{&outputs_.series("roc_madacos", {"fpr", "tpr"}), &outputs_.series("roc_arcface", {"fpr", "tpr"})} {}

  const LessonInfo& info() const override { return kInfo; }

  void declare(Declaration& d) override {
    ParamList& p = d.params;
    declare_training(d, kBlobs, 1500, 0.005, kBlobs, kMoons, /*min_batch=*/64, /*default_batch=*/128);
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
    declare_text(d.text);
    d.view("statistics", "MadaCos's scale and margin at every step", [this](const ViewContext& v) { draw_statistics(v); });
    declare_summary_view(d);
    declare_curves_view(d);
    d.view("histograms", "Test samples: target cosine vs largest non-target cosine",
           [this](const ViewContext& v) { draw_histograms(v); });
    d.view("roc", "How well the target cosine separates from the largest non-target cosine (ROC)",
           [this](const ViewContext& v) { draw_roc(v); });
    d.view("embeddings", "Test embeddings and class weight directions, both runs", [this](const ViewContext& v) {
      if (draw_data_status()) views_.draw(v.width, v.height, kRefreshSteps);
    });
    d.metric("test_acc_madacos", "test accuracy of the MadaCos run (fraction; whole test set after the run)");
    d.metric("test_acc_arcface", "test accuracy of the ArcFace run (s = 32, margin arc_m)");
    d.metric("scale_s", "MadaCos's scale s at the last step");
    d.metric("margin_m", "MadaCos's margin m at the last step (a cosine margin)");
    d.metric("median_target_cos", "c_med, the median target cosine of the last MadaCos batch");
    d.metric("median_target_cos_arcface", "the median target cosine of the last ArcFace batch");
    d.metric("below_nontarget_frac_madacos", "MadaCos run: fraction of test samples whose target cosine is below "
                                             "their largest non-target cosine (at the last view refresh)");
    d.metric("below_nontarget_frac_arcface", "the same for the ArcFace run");
    d.metric("intra_class_spread_deg_madacos", "MadaCos run: mean angle (degrees) of a test embedding to its "
                                               "class's mean direction");
    d.metric("intra_class_spread_deg_arcface", "the same for the ArcFace run");
    d.metric("train_loss_madacos", "smoothed mini-batch loss of the MadaCos run");
    d.metric("train_loss_arcface", "smoothed mini-batch loss of the ArcFace run");
    d.metric("steps_trained", "optimizer steps taken by each run");
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
    const int n = views_.n();
    order_.assign(size_t(trainer_.batch_size()), 0);
    scale_curve_.reserve(kCurvePoints);
    margin_curve_.reserve(kCurvePoints);
    for (nn::Curve& c : cmed_curve_) c.reserve(kCurvePoints);
    arc_cmed_ = NAN;
    for (auto& col : stats_.values) col.reserve(kCurvePoints);
    copy_stats();
    hist_.resize(kBins);
    for (int b = 0; b < kBins; ++b) hist_.col(0)[b] = float(-1.0 + (b + 0.5) * 2.0 / kBins);
    for (int r = 0; r < EmbeddingViews::kRuns; ++r) {
      target_[r].assign(size_t(n), 0.0f);
      other_[r].assign(size_t(n), 0.0f);
      for (auto& col : roc_[r]->values) col.reserve(kRocPoints);
      roc_[r]->clear();
    }
    roc_scratch_.assign(size_t(2) * n, 0.0f);
  }

  int view_refresh_steps() const override { return kRefreshSteps; }

  // Embeddings, then from the test cosines (n, C) per run: the target cosine
  // and the largest non-target cosine of every sample, their histograms and
  // ROC, and the fraction of samples whose target cosine is below some
  // non-target cosine.
  void refresh_views() override {
    views_.refresh(trainer_);
    refreshed_at_ = trainer_.steps_done();
    const int n = views_.n(), C = views_.classes();
    const int* labels = views_.labels();
    for (int r = 0; r < EmbeddingViews::kRuns; ++r) {
      const float* cos = views_.cosines(r);
      int below = 0;
      for (int i = 0; i < n; ++i) {
        const int y = labels[i];
        const float t = cos[size_t(i) * C + y];
        float other = -INFINITY;
        for (int j = 0; j < C; ++j)
          if (j != y) other = std::max(other, cos[size_t(i) * C + j]);
        below += t < other;
        target_[r][size_t(i)] = t;
        other_[r][size_t(i)] = other;
      }
      below_frac_[r] = n > 0 ? double(below) / n : NAN;
      plot::histogram_counts(target_[r].data(), n, -1.0f, 1.0f, kBins, hist_.col(1 + 2 * r));
      plot::histogram_counts(other_[r].data(), n, -1.0f, 1.0f, kBins, hist_.col(2 + 2 * r));
      Series& roc = *roc_[r];  // resized within the capacity reserved in after_reset
      roc.resize(kRocPoints);
      roc.resize(plot::roc_points(target_[r].data(), n, other_[r].data(), n, roc_scratch_.data(), roc.col(0),
                                  roc.col(1), kRocPoints));
    }
  }

  // Training, then this step's s(t), m(t), c_med(t) into the stats output
  // (a copy of the bounded curves: the same after any split into frames).
  // s(t), m(t) and the median cosines into their series, after every step() call.
  void refresh_outputs() override { copy_stats(); }

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

 private:
  // The four curves into stats_ (columns: step, s, m, c_med, ArcFace c_med);
  // every curve gets a value at the same steps, so they share the step column.
  void copy_stats() {
    const nn::Curve* curves[4] = {&scale_curve_, &margin_curve_, &cmed_curve_[0], &cmed_curve_[1]};
    const int rows = scale_curve_.size();
    stats_.values[0].assign(scale_curve_.steps(), scale_curve_.steps() + rows);
    for (int c = 0; c < 4; ++c) {
      stats_.values[size_t(c) + 1].assign(curves[c]->values(), curves[c]->values() + std::min(rows, curves[c]->size()));
      stats_.values[size_t(c) + 1].resize(size_t(rows), NAN);  // a diverged run's curve stops early
    }
  }
  void declare_text(Walkthrough& t);
  void draw_statistics(const ViewContext& v) const;
  void draw_histograms(const ViewContext& v) const;
  void draw_roc(const ViewContext& v) const;

  double alpha_ = 0.02, log10_k_ = 7, arc_margin_ = 0.5;
  int classes_ = 5, dim_ = 2, refreshed_at_ = 0;
  EmbeddingViews views_;  // outputs embeddings, class_weights, test_cosines
  std::vector<int> order_;  // (batch,) scratch for the ArcFace median
  nn::Curve scale_curve_, margin_curve_, cmed_curve_[2];  // filled by the grad hook, every step
  double arc_cmed_ = NAN, below_frac_[2] = {NAN, NAN};
  Series& stats_;    // (steps): step, s, m, c_med (MadaCos), c_med (ArcFace)
  Series& hist_;     // (kBins): bin centre, then per run target and largest non-target counts
  Series* roc_[2];   // (points): fpr, tpr of "target cos vs largest non-target cos", per run
  std::vector<float> target_[2], other_[2], roc_scratch_;  // (n,) per run; scratch (2n,)
};

void CfcdMadaCos::declare_text(Walkthrough& t) {
  t.section("The problem")
      .paragraph("Image retrieval and face recognition train an embedding as a classifier over many classes, then "
                 "compare embeddings by cosine.  Cosine-softmax losses such as ArcFace need two hand-set numbers, "
                 "the scale s of the logits and the margin m, and keep them fixed while the embeddings change under "
                 "them.  The paper observes that with a fixed margin many training samples still end up closer to "
                 "a wrong class than to their own.  CFCD's MadaCos loss sets s and m afresh from every mini-batch, "
                 "so that they rise as training progresses and the supervision strengthens with it.");
  t.section("The method")
      .paragraph("Cosines between the normalized embedding and the normalized class weights, as in ArcFace; "
                 "take the median of the batch's target cosines (the lower median for an even batch) and "
                 "call that sample the median sample:")
      .equation("c_med = median_i cos θ_(i,y_i)")
      .paragraph("The scale grows without bound as c_med approaches 1 (K is a constant, see below); it never "
                 "goes below 32:")
      .equation("s = max(32, ln(K (1−a)/a) / (1 − c_med))")
      .paragraph("The margin then gives the median sample's true class exactly the probability a against "
                 "its actual non-target cosines:")
      .equation("B = Σ_(j≠y) e^(s cos θ_j) (median sample)      m = max(0, c_med − ln(B a/(1−a)) / s)")
      .equation("logit_j = s cos θ_j  (j ≠ y)      logit_y = s (cos θ_y − m)      L = cross-entropy")
      .paragraph("s and m are constants for the gradient.  This follows the official code "
                 "(core/model/madacos.py), where K is fixed at 9999999 rather than the number of classes.  "
                 "Samples harder than the median sample get a target probability below a, easier ones above; "
                 "as training raises c_med, s rises with it and the same a demands a tighter class.");
  t.section("Try this")
      .bullet("Watch s(t) and c_med(t): as the classes tighten, c_med creeps toward 1 and the scale climbs "
              "far above ArcFace's 32, while m settles where the median sample keeps probability a.")
      .bullet("Raise a to 0.3: the median sample is asked for less, the margin shrinks (it is 0 whenever "
              "the batch already beats a), and the classes stay looser.")
      .bullet("Compare the two histograms: how much of the largest wrong-class cosine curve lies to the "
              "right of the target cosine curve, for each run?")
      .bullet("Try 8 classes and a few seeds: on this 2-D toy MadaCos sometimes merges two classes for good "
              "(with K = 10^7 in its formula, s explodes once c_med nears 1), where fixed ArcFace separates "
              "them.  Lowering log10 K lowers the scale (s grows with ln K).");
  t.section("What the paper reports")
      .paper("Samples whose target cosine is below a non-target cosine, fixed-margin loss",
             "over 20% (Fig. 1(a), fixed-margin losses)", "below_nontarget_frac_arcface", "%.1f%% (ArcFace)",
             "Paper: landmark training images after convergence.  Live: this toy's test set, at the current step.",
             100)
      .paper("The same fraction with MadaCos", "(not quoted here)", "below_nontarget_frac_madacos",
             "%.1f%% (MadaCos)", "Live: this toy's test set, at the current step.", 100)
      .paragraph("The left column is the paper's; the right is measured live in this page.  Here the fraction "
                 "equals the test error of the cosine classifier (prediction = the largest cosine).")
      .note("Teaching simplification: 2-D toy points and 5-10 classes instead of 81,313 landmark classes; 2-D or "
            "3-D embeddings instead of 512-D; the paper's coarse-to-fine local descriptor stage is not part of "
            "this lesson.");
}

// s(t) on a log axis beside m(t) and both runs' c_med(t), filling the slot.
void CfcdMadaCos::draw_statistics(const ViewContext& v) const {
  if (!draw_data_status()) return;
  const float w = ui::column_width(2);
  const float line = ImGui::GetTextLineHeightWithSpacing();
  // Filling the slot, but no taller than wide: a tall narrow curve reads badly.
  const float h = v.height > 0 ? std::max(v.font_size * 8, std::min(w, v.height - line)) : v.font_size * 13;
  const int n = stats_.rows();
  ImGui::BeginGroup();
  ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + w);
  ImGui::Text("MadaCos scale s(t)");
  ImGui::SameLine();
  ui::help_marker("The scale of the logits at every training step, s = max(32, ln(K (1-a)/a) / (1 - c_med)).  "
                  "As the classes tighten, c_med approaches 1 and s grows (log axis).  ArcFace keeps s = 32.");
  plot::LinePlot ps("##scale", ImVec2(w, h));
  ps.axes("step", "s", /*log_y=*/true);
  ps.line("MadaCos s", stats_.col(0), stats_.col(1), n, plot::palette(kRunMadaCos));
  ps.hline(kArcScale, "ArcFace s = 32", plot::palette(kRunArcFace));
  ps.draw();
  ImGui::PopTextWrapPos();
  ImGui::EndGroup();
  ImGui::SameLine();
  ImGui::BeginGroup();
  ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + w);
  ImGui::Text("Margin m(t) and median target cosine c_med(t)");
  ImGui::SameLine();
  ui::help_marker("m: MadaCos's margin at every step (CosFace-style, subtracted from the target cosine).  "
                  "c_med: the batch's median target cosine, for both runs.  The dashed line is ArcFace's fixed "
                  "angular margin (in radians, added to the angle: not the same unit as a cosine margin).");
  plot::LinePlot pm("##margin", ImVec2(w, h));
  pm.axes("step", "cosine / margin");
  pm.line("MadaCos m", stats_.col(0), stats_.col(2), n, plot::palette(3));
  pm.line("MadaCos c_med", stats_.col(0), stats_.col(3), n, plot::palette(kRunMadaCos));
  pm.line("ArcFace c_med", stats_.col(0), stats_.col(4), n, plot::palette(kRunArcFace));
  pm.hline(arc_margin_, "ArcFace m (rad)", plot::faint_ink());
  pm.draw();
  ImGui::PopTextWrapPos();
  ImGui::EndGroup();
}

// Per run, the target and largest non-target cosine histograms overlaid.
void CfcdMadaCos::draw_histograms(const ViewContext& v) const {
  if (!draw_data_status()) return;
  ImGui::Text("step %d", refreshed_at_);
  ImGui::SameLine();
  ui::help_marker("For every test point: the cosine to its own class weight (the run's color) and the largest "
                  "cosine to any other class weight (the other histogram), counted in 40 bins over [-1, 1].  A "
                  "sample whose target cosine is below its largest non-target cosine is misclassified by the "
                  "cosine classifier.  Recomputed every 25 steps.");
  const float w = ui::column_width(2);
  const float h = v.height > 0 ? std::max(v.font_size * 8, v.height - ImGui::GetTextLineHeightWithSpacing()) : v.font_size * 12;
  const char* const labels[2] = {"target cos", "max non-target cos"};
  for (int r = 0; r < 2; ++r) {
    if (r) ImGui::SameLine();
    ImGui::BeginGroup();
    ImGui::PushID(r);
    ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + w);
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(plot::palette(r)), "%s: %.1f%% below a non-target",
                       run_name(r).c_str(), 100.0 * below_frac_[r]);
    const float* counts[2] = {hist_.col(1 + 2 * r), hist_.col(2 + 2 * r)};
    const ImU32 colors[2] = {plot::palette(r), plot::palette(4)};
    plot::histogram_plot("##hist", ImVec2(w, h), "cosine", -1.0f, 1.0f, counts, labels, colors, 2, kBins);
    ImGui::PopTextWrapPos();
    ImGui::PopID();
    ImGui::EndGroup();
  }
}

// Both runs' ROC in one square: a random target cosine beats a random largest
// non-target cosine with probability AUC.
void CfcdMadaCos::draw_roc(const ViewContext& v) const {
  if (!draw_data_status()) return;
  const float* fpr[2] = {roc_[0]->col(0), roc_[1]->col(0)};
  const float* tpr[2] = {roc_[0]->col(1), roc_[1]->col(1)};
  const int n[2] = {roc_[0]->rows(), roc_[1]->rows()};
  const char* labels[2] = {run_name(0).c_str(), run_name(1).c_str()};
  const ImU32 colors[2] = {plot::palette(0), plot::palette(1)};
  const float side = std::min(v.width, v.height > 0 ? v.height : v.font_size * 18);
  plot::roc_curves("##roc", ImVec2(side, side), fpr, tpr, n, labels, colors, 2);
  ImGui::SameLine();
  ui::help_marker("Positives: every test sample's target cosine; negatives: every test sample's largest "
                  "non-target cosine.  Each threshold on the cosine gives one point (false positive rate, true "
                  "positive rate).  Computed with the histograms, every 25 steps.");
}

}  // namespace

PG_REGISTER_LESSON(CfcdMadaCos, 14);

}  // namespace pg
