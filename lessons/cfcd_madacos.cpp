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
constexpr int kTrainSubset = 1000; // training samples measured for the paper's Fig. 1(a) fraction
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

  bool views_draw_from_outputs() const override { return true; }  // tests/test_worker_mirror.cpp

  const LessonInfo& info() const override { return kInfo; }

  void declare(Declaration& d) override {
    ParamList& p = d.params;
    declare_training(d, kBlobs, 1500, 0.005, kBlobs, kFashionMnist, /*min_batch=*/64, /*default_batch=*/128);
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
    p.integer("dim", "embedding dimension", &dim_, 2, 32, 2,
              "2: embeddings and class weights live on a circle.  3: on a sphere (shown from one fixed "
              "viewpoint).  Above 3 the embeddings are not drawn (the angles are still measured).  The paper "
              "uses 512; 16 with Fashion-MNIST shows the paper's headline.");
    d.preset("Fashion-MNIST, 16-D embeddings: the paper's headline shows", "dataset=fashion-mnist&dim=16");
    d.preset("five blobs on a circle (the default toy)", "dataset=blobs");
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
    d.metric("below_nontarget_with_margin_frac_arcface", "ArcFace run, training samples: fraction with cos(theta_y + m) below the "
                                                "largest non-target cosine (the paper's Fig. 1(a) quantity; at the last view refresh)");
    d.metric("below_nontarget_with_margin_frac_madacos", "MadaCos run, training samples: fraction with cos theta_y - m(t) below the "
                                                "largest non-target cosine");
    d.metric("below_nontarget_frac_arcface_train", "ArcFace run, training samples: fraction whose target cosine is below "
                                                   "the largest non-target cosine (training error)");
    d.metric("below_nontarget_frac_madacos_train", "the same for the MadaCos run");
    d.metric("min_inter_class_angle_deg_arcface", "ArcFace run: smallest angle (degrees) between two class weight vectors");
    d.metric("arc_margin_deg", "the ArcFace run's margin arc_m in degrees");
    d.metric("log_k_term", "ln(K (1-a)/a), the numerator of MadaCos's scale: s = max(32, this / (1 - c_med))");
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
    // A fixed, evenly spaced subset of the training set for the training-sample fractions.
    const data::Dataset& train = trainer_.train_data();
    const int nt = std::min(train.n, kTrainSubset);
    train_idx_.resize(size_t(nt));
    for (int i = 0; i < nt; ++i) train_idx_[size_t(i)] = int((long long)(i) * train.n / nt);
    train_chunk_ = std::min(nt, trainer_.run(0).model.max_batch());
    train_x_.assign(size_t(train_chunk_) * train.dim, 0.0f);
    train_y_.assign(size_t(train_chunk_), 0);
    for (int r = 0; r < 2; ++r) train_margin_frac_[r] = train_below_frac_[r] = NAN;
  }

  int view_refresh_steps() const override { return kRefreshSteps; }

  // Embeddings, then from the test cosines (n, C) per run: the target cosine
  // and the largest non-target cosine of every sample, their histograms and
  // ROC, and the fraction of samples whose target cosine is below some
  // non-target cosine.
  void refresh_views() override {
    views_.refresh(trainer_);
    measure_train_subset();
    derive_view_data();
    const int n = views_.n();
    for (int r = 0; r < EmbeddingViews::kRuns; ++r) {
      plot::histogram_counts(target_[r].data(), n, -1.0f, 1.0f, kBins, hist_.col(1 + 2 * r));
      plot::histogram_counts(other_[r].data(), n, -1.0f, 1.0f, kBins, hist_.col(2 + 2 * r));
      Series& roc = *roc_[r];  // resized within the capacity reserved in after_reset
      roc.resize(kRocPoints);
      roc.resize(plot::roc_points(target_[r].data(), n, other_[r].data(), n, roc_scratch_.data(), roc.col(0),
                                  roc.col(1), kRocPoints));
    }
  }

  // From the test cosines (an output) and the labels: every sample's target
  // and largest non-target cosine, the fraction of samples whose target is
  // below, and the step they are from.  The step path and a worker's copy
  // (outputs_replaced) both come here.
  void derive_view_data() {
    refreshed_at_ = views_.refreshed_at();
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
    }
  }

  void outputs_replaced() override {
    TrainerLesson::outputs_replaced();
    views_.outputs_replaced();
    if (data_ready()) derive_view_data();
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
    out.add("below_nontarget_with_margin_frac_arcface", ready ? train_margin_frac_[kRunArcFace] : NAN);
    out.add("below_nontarget_with_margin_frac_madacos", ready ? train_margin_frac_[kRunMadaCos] : NAN);
    out.add("below_nontarget_frac_arcface_train", ready ? train_below_frac_[kRunArcFace] : NAN);
    out.add("below_nontarget_frac_madacos_train", ready ? train_below_frac_[kRunMadaCos] : NAN);
    out.add("min_inter_class_angle_deg_arcface", ready ? views_.min_angle_deg(kRunArcFace) : NAN);
    out.add("arc_margin_deg", arc_margin_ * 57.29577951308232);
    out.add("log_k_term", log10_k_ * 2.302585092994045684 + std::log((1.0 - alpha_) / alpha_));
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
  // On the fixed training subset, per run: the fraction of samples whose
  // target logit with the run's margin (ArcFace cos(theta_y + m), MadaCos
  // cos theta_y - m(t)) is below the largest non-target cosine, and the same
  // without the margin.  Does not allocate.
  void measure_train_subset() {
    const data::Dataset& train = trainer_.train_data();
    const int nt = int(train_idx_.size());
    if (nt == 0) return;
    for (int r = 0; r < 2; ++r) {
      nn::Model& model = trainer_.run(r).model;
      const int C = model.output_size();
      const double m = r == kRunArcFace ? arc_margin_
                                        : static_cast<const nn::MadaCos&>(*trainer_.run(r).loss).stats().margin;
      int below = 0, below_margin = 0;
      for (int start = 0; start < nt; start += train_chunk_) {
        const int B = std::min(train_chunk_, nt - start);
        train.gather(train_idx_.data() + start, B, train_x_.data(), train_y_.data());
        const float* cos = model.forward(train_x_.data(), B);  // (B, C)
        for (int i = 0; i < B; ++i) {
          const int y = train_y_[size_t(i)];
          const double t = cos[size_t(i) * C + y];
          double other = -INFINITY;
          for (int j = 0; j < C; ++j)
            if (j != y) other = std::max(other, double(cos[size_t(i) * C + j]));
          double with_margin;
          if (r == kRunArcFace) {
            // cos(theta + m); past pi the margin has pushed the target as far as it goes (-1)
            const double theta = std::acos(std::max(-1.0, std::min(1.0, t)));
            with_margin = theta + m >= 3.14159265358979323846 ? -1.0 : std::cos(theta + m);
          } else {
            with_margin = t - m;
          }
          below += t < other;
          below_margin += with_margin < other;
        }
      }
      train_below_frac_[r] = double(below) / nt;
      train_margin_frac_[r] = double(below_margin) / nt;
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
  std::vector<int> train_idx_, train_y_;  // (subset,) training indices; (chunk,) their labels
  std::vector<float> train_x_;            // (chunk, input dim)
  int train_chunk_ = 0;
  double train_margin_frac_[2] = {NAN, NAN}, train_below_frac_[2] = {NAN, NAN};
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
                 "as training raises c_med, s rises with it and the same a demands a tighter class.")
      .warning("Why s reaches thousands here: the official code hard-codes K = 9999999 "
               "(math.log(9999999 * (1.-alpha) / alpha)), so the numerator is ln(K (1−a)/a) = {log_k_term:%.1f}, "
               "whatever the data.  The scale is that divided by 1 − c_med, and on an easy data set c_med "
               "approaches 1: now c_med = {median_target_cos:%.5f}, so s = {scale_s:%.0f} (ArcFace: 32).  On the "
               "2-D toys c_med ends near 0.993-0.999 and s near 3,000-26,000; a small network fits the "
               "Fashion-MNIST training samples as tightly (measured: c_med 0.995-0.998, s 4,000-11,000 after "
               "1,500 steps with dim = 16).  The paper's s on landmarks is not quoted here.  At s in the thousands the softmax is a hard maximum: a sample "
               "gets a gradient only while it is within about 1/s of losing, which is why the toy runs can "
               "freeze with two classes merged.  Lower log10 K to see s fall (s grows with ln K).")
      .when([this] { return data_ready(); });
  t.section("Try this")
      .bullet("Watch s(t) and c_med(t): as the classes tighten, c_med creeps toward 1 and the scale climbs "
              "far above ArcFace's 32, while m settles where the median sample keeps probability a.")
      .bullet("Raise a to 0.3: the median sample is asked for less, the margin shrinks (it is 0 whenever "
              "the batch already beats a), and the classes stay looser.")
      .bullet("Compare the two histograms: how much of the largest wrong-class cosine curve lies to the "
              "right of the target cosine curve, for each run?")
      .bullet("The paper's headline needs hard samples, which the blobs do not have: set dataset = "
              "fashion-mnist and dim = 16 (shirts, T-shirts and pullovers overlap), then compare the rows "
              "below.")
      .bullet("Try 8 classes and a few seeds: on this 2-D toy MadaCos sometimes merges two classes for good "
              "(with K = 10^7 in its formula, s explodes once c_med nears 1), where fixed ArcFace separates "
              "them.  Lowering log10 K lowers the scale (s grows with ln K).");
  t.section("What the paper reports")
      .paragraph("Fig. 1(a) of the paper plots, for landmark training samples after convergence under a "
                 "fixed-margin loss, cos(θ_y + m) − max_(j≠y) cos θ_j: the target logit with ArcFace's margin "
                 "against the largest non-target cosine.  The text says more than 20% of the samples are "
                 "below zero.  Here the same fraction is measured on 1,000 training samples (or all of a "
                 "smaller training set) every 25 steps, with and without the margin.")
      .paper("Training samples with cos(θ_y + m) below the largest non-target cosine, fixed margin",
             "over 20% (Fig. 1(a), ArcFace)", "below_nontarget_with_margin_frac_arcface", "%.1f%% (ArcFace)",
             "Paper: landmark training images (81,313 classes, 512-D) after convergence.  Live: this data "
             "set's training samples, at the current step.", 100)
      .paper("The same without the margin: cos θ_y below the largest non-target cosine", "(not quoted)",
             "below_nontarget_frac_arcface_train", "%.1f%% (ArcFace)", "Live: the training error of the cosine "
             "classifier.", 100)
      .paper("The same without the margin, MadaCos", "(not quoted)", "below_nontarget_frac_madacos_train",
             "%.1f%% (MadaCos)", "Live: the same training samples.", 100)
      .paper("Test samples whose target cosine is below a non-target cosine", "(not quoted)",
             "below_nontarget_frac_arcface", "%.1f%% (ArcFace)", "Live: the test error of the cosine classifier.",
             100)
      .paper("The same, MadaCos", "(not quoted)", "below_nontarget_frac_madacos", "%.1f%% (MadaCos)",
             "Live: this data set's test set.", 100)
      .warning("Why the blobs show 0%: at the end of a run their classes are separable with room to spare.  "
               "Measured (5 blobs, 1,500 steps, seed 1): the ArcFace run's closest class weights end 52° "
               "apart and a class spreads 2.5° around its centre, while the margin adds only 28.6°, so every "
               "training sample beats its nearest wrong class even with the margin.  Live now: closest "
               "classes {min_inter_class_angle_deg_arcface:%.1f}° apart, spread "
               "{intra_class_spread_deg_arcface:%.1f}°, margin {arc_margin_deg:%.1f}°, fraction with the "
               "margin {below_nontarget_with_margin_frac_arcface:%.3f}.  The landmark data has samples no "
               "embedding places near their class (background, occlusion, viewpoint).  Fashion-MNIST has some "
               "(shirts, T-shirts, pullovers): measured with dataset = fashion-mnist and dim = 16 (1,500 "
               "steps, seeds 1-3), the ArcFace fraction was 26-27% with the margin (11-14% without), and 33% "
               "and 26% with dim = 8 and 32; it is 0% on 5 blobs and 3.5% on 10 blobs.")
      .when([this] { return dataset_ == kBlobs; })
      .paragraph("MadaCos's own margin cannot be read the same way: it is set so that the median sample's "
                 "target probability is a = 0.02, which puts its margin target cos θ_y − m below the largest "
                 "non-target cosine by construction whenever ln((1−a)/a) > ln(C−1), and with it typically about "
                 "half the batch (now {below_nontarget_with_margin_frac_madacos:%.2f} of the training samples).  "
                 "Compare the runs without the margin.")
      .note("Teaching simplification: 2-D toy points or small image sets and 5-10 classes instead of 81,313 "
            "landmark classes; 2-32-D embeddings instead of 512-D; a small MLP instead of a ResNet; the paper's "
            "coarse-to-fine local descriptor stage is not part of this lesson.");
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
  ui::next_column(w);
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
    if (r) ui::next_column(w);
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
