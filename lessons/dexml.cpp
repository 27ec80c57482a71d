// dexml.cpp - Lesson: "Dual-encoders for Extreme Multi-label Classification"
// (DEXML; Gupta et al., ICLR 2024, arXiv:2310.10636; official code
// nilesh2797/DEXML, read at HEAD 7690769: losses.py, utils/topk_utils.py).
//
// A small dual encoder - an MLP query tower with unit-norm output and one free
// unit-norm embedding per label - scores every label by s_l = cos(E(x), e_l)/tau.
// The same network is trained three times from the same initialization on the
// same mini-batches of synthetic multi-label scenes: with the multi-positive
// softmax (a SUM over the positives, as losses.py), the decoupled softmax (each
// positive competes only with the negatives) and the soft top-k loss (the
// positives' soft "in the top k" probabilities, threshold found by bisection).
// The views show P@1 / P@3 per loss, the cosine histograms of positive and
// negative labels, and each loss's floor.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

#include "engine/nn/losses_softmax.h"
#include "engine/nn/losses_topk.h"
#include "lessons/trainer_lesson.h"
#include "ui/panel.h"
#include "ui/plots.h"

namespace pg {
namespace {

const LessonInfo kInfo = {
    "dexml",
    "Dual-encoders for extreme multi-label classification",
    "Gupta, Khatri, Rawat, Bhojanapalli, Jain & Dhillon",
    2024,
    "2310.10636",
    "https://github.com/nilesh2797/DEXML",
    "C. Losses on top of softmax",
    LessonKind::trainer,
    Stepping::on_play,
    "Multi-positive softmax vs decoupled softmax vs soft top-k for a dual encoder on multi-label data.",
};

constexpr int kRunSoftmax = 0, kRunDecoupled = 1, kRunTopK = 2, kRuns = 3;
constexpr const char* kRunKeys[kRuns] = {"softmax", "decoupled", "topk"};
constexpr int kBins = 40;          // cosine histogram bins over [-1, 1]
constexpr int kRefreshSteps = 25;  // scores and histograms are recomputed every this many steps
constexpr int kEmbedding = 32;     // embedding dimension of both towers

class DexmlLesson : public TrainerLesson {
 public:
  DexmlLesson()
      : scores_out_(outputs_.array("scores")),
        positives_out_(outputs_.array("positive_sets")),
        hist_out_(outputs_.array("cosine_histograms")),
        precision_out_(outputs_.array("precision")) {}

  bool views_draw_from_outputs() const override { return true; }  // tests/test_worker_mirror.cpp

  const LessonInfo& info() const override { return kInfo; }

  void declare(Declaration& d) override {
    ParamList& p = d.params;
    const int scenes = data::dataset_index("multilabel-scenes");
    declare_training(d, scenes, 800, 0.003, scenes, scenes, 8, 64);
    p.real("tau", "temperature tau", &tau_, 0.02, 1.0, 0.05,
           "Scores are s_l = cos(E(x), e_l) / tau.  The official configuration uses tau = 0.05.", true);
    p.integer("k", "top-k K", &k_, 1, 10, 3,
              "K of the soft top-k loss: the soft probabilities p_j sum to K.  The official default is 5 on data "
              "with many more labels; 3 here matches P@3.");
    p.real("alpha", "top-k steepness alpha", &alpha_, 0.5, 20, 2,
           "alpha in p_j = sigmoid(alpha (s_j + t)), applied to s = cos / tau (official default 2).  Large alpha: "
           "a hard top-k; small alpha: every label gets a share.",
           true);
    p.integer("labels", "labels per point (max)", &labels_, 1, 8, 4,
              "Each scene holds 1 to this many objects; its labels are the objects present.  1 makes every "
              "loss a single-positive one (decoupled == softmax).");
    p.integer("classes", "labels in the catalogue", &classes_, 8, 64, 24,
              "Number of labels (object types); the dual encoder learns one embedding per label.");
    p.real("noise", "feature noise", &noise_, 0, 2, 0.3, "Std of the Gaussian added to each scene's features.");
    declare_text(d.text);
    d.view("precision", "P@1 and P@3 of the three losses", [this](const ViewContext& v) { draw_precision(v); });
    d.view("cosines", "Cosines of positive and negative labels, per loss",
           [this](const ViewContext& v) { draw_cosines(v); });
    declare_summary_view(d);
    declare_curves_view(d);
    for (int r = 0; r < kRuns; ++r) {
      metric_keys_[r][0] = std::string("p_at_1_") + kRunKeys[r];
      metric_keys_[r][1] = std::string("p_at_3_") + kRunKeys[r];
      metric_keys_[r][2] = std::string("train_loss_") + kRunKeys[r];
    }
    d.metric("p_at_1_softmax", "P@1 on the test scenes, multi-positive softmax (sum over positives)");
    d.metric("p_at_3_softmax", "P@3 on the test scenes, multi-positive softmax");
    d.metric("p_at_1_decoupled", "P@1 on the test scenes, decoupled softmax");
    d.metric("p_at_3_decoupled", "P@3 on the test scenes, decoupled softmax");
    d.metric("p_at_1_topk", "P@1 on the test scenes, soft top-k loss");
    d.metric("p_at_3_topk", "P@3 on the test scenes, soft top-k loss");
    d.metric("train_loss_softmax", "smoothed mini-batch loss, multi-positive softmax");
    d.metric("train_loss_decoupled", "smoothed mini-batch loss, decoupled softmax");
    d.metric("train_loss_topk", "smoothed mini-batch loss, soft top-k");
    d.metric("softmax_floor", "mean over training scenes of |P| ln |P|: the lowest the summed softmax loss can go");
    d.metric("mean_positives", "mean number of labels per training scene");
    d.metric("steps_trained", "optimizer steps taken by each loss");
  }

  void configure_dataset(data::DatasetOptions& o) const override {
    o.set("classes", classes_);
    o.set("max_objects", std::min(labels_, classes_));
    o.set("noise", noise_);
  }

  void configure_trainer(nn::TrainerConfig& config, nn::OptimizerConfig&) const override {
    config.top_k = 3;            // P@3
    config.detect_stuck = false;  // P@1 is not an accuracy over classes; chance depends on |P|
  }

  // The query tower: MLP -> unit norm; the label tower: one unit-norm vector
  // per label (cosine_linear), so the outputs are the cosines.
  nn::ModelSpec model_for(const data::Dataset& d) const override {
    nn::ModelSpec spec = nn::ModelSpec::vectors(d.dim);
    spec.linear(64).relu().linear(kEmbedding).l2norm().cosine_linear(d.classes);
    return spec;
  }

  void add_runs(const nn::ModelSpec& spec, const nn::OptimizerConfig& adam) override {
    const int W = trainer_.train_data().target_width;
    const float scale = float(1.0 / tau_);
    trainer_.add_run("softmax", spec, std::make_unique<nn::MultiPositiveSoftmax>(W, scale, true), adam);
    trainer_.add_run("decoupled", spec, std::make_unique<nn::DecoupledSoftmax>(W, scale), adam);
    trainer_.add_run("soft top-k", spec, std::make_unique<nn::SoftTopKLoss>(W, scale, double(k_), alpha_), adam);
  }

  void after_reset() override {
    const data::Dataset& test = trainer_.test_data();
    const data::Dataset& train = trainer_.train_data();
    C_ = test.classes;
    W_ = test.target_width;
    n_ = test.n;
    x_.assign(size_t(n_) * test.dim, 0.0f);
    sets_.assign(size_t(n_) * W_, -1);
    std::vector<int> idx(static_cast<size_t>(n_));
    for (int i = 0; i < n_; ++i) idx[i] = i;
    test.gather(idx.data(), n_, x_.data(), nullptr);
    test.gather_targets(idx.data(), n_, sets_.data(), nullptr);
    chunk_ = std::max(1, std::min(n_, trainer_.batch_size()));
    const std::vector<float> sets(sets_.begin(), sets_.end());
    positives_out_.set({n_, W_}, sets.data());
    scores_out_.set({kRuns, n_, C_}, std::vector<float>(size_t(kRuns) * n_ * C_, 0.0f).data());
    hist_out_.set({kRuns, 2, kBins}, std::vector<float>(size_t(kRuns) * 2 * kBins, 0.0f).data());
    flags_.assign(size_t(C_), 0);
    pos_buf_.assign(size_t(n_) * W_, 0.0f);
    neg_buf_.assign(size_t(n_) * C_, 0.0f);
    // The summed softmax's floor: sum_l -log(1/|P|) = |P| ln |P| per scene.
    double floor = 0.0, count = 0.0;
    for (int i = 0; i < train.n; ++i) {
      const int m = distinct_positives(train.label_sets.data() + size_t(i) * W_);
      floor += m > 0 ? m * std::log(double(m)) : 0.0;
      count += m;
    }
    softmax_floor_ = train.n > 0 ? floor / train.n : NAN;
    mean_positives_ = train.n > 0 ? count / train.n : NAN;
  }

  int view_refresh_steps() const override { return kRefreshSteps; }

  // Scores (runs, n_test, C) = cos / tau of every test scene and label, and
  // the histograms of positive and negative cosines (runs, 2, bins).
  void refresh_views() override {
    for (int r = 0; r < kRuns && r < trainer_.num_runs(); ++r) {
      nn::Model& model = trainer_.run(r).model;
      float* s = scores_out_.f.data() + size_t(r) * n_ * C_;
      int n_pos = 0, n_neg = 0;
      const int dim = trainer_.test_data().dim;
      for (int start = 0; start < n_; start += chunk_) {  // the model holds at most a batch
        const int m = std::min(chunk_, n_ - start);
        const float* o = model.forward(x_.data() + size_t(start) * dim, m);  // (m, C) cosines
        for (int i = start; i < start + m; ++i) {
          distinct_positives(sets_.data() + size_t(i) * W_);
          for (int j = 0; j < C_; ++j) {
            const float c = o[size_t(i - start) * C_ + j];
            s[size_t(i) * C_ + j] = float(c / tau_);
            if (flags_[j]) pos_buf_[n_pos++] = c;
            else neg_buf_[n_neg++] = c;
          }
        }
      }
      float* h = hist_out_.f.data() + size_t(r) * 2 * kBins;
      plot::histogram_counts(pos_buf_.data(), n_pos, -1.0f, 1.0f, kBins, h);
      plot::histogram_counts(neg_buf_.data(), n_neg, -1.0f, 1.0f, kBins, h + kBins);
      for (int b = 0; b < kBins; ++b) {  // as fractions, so both fit one axis
        h[b] = n_pos ? h[b] / n_pos : 0.0f;
        h[kBins + b] = n_neg ? h[kBins + b] / n_neg : 0.0f;
      }
    }
  }

  // The precision view's numbers, after every step() call: each run's P@1
  // and P@3 from its last evaluation (0 before the first), then the steps done.
  void refresh_outputs() override {
    double values[2 * kRuns + 1] = {};
    for (int r = 0; r < kRuns && r < trainer_.num_runs(); ++r) {
      const nn::EvalResult& e = trainer_.run(r).last_eval;
      values[r] = e.samples ? 100.0f * e.accuracy : 0.0f;
      values[kRuns + r] = e.samples ? 100.0f * e.precision_at_k : 0.0f;
    }
    values[2 * kRuns] = trainer_.steps_done();
    precision_out_.set({2 * kRuns + 1}, values);
  }

  void metrics(MetricList& out) const override {
    const bool ready = data_ready();
    for (int r = 0; r < kRuns; ++r) {
      const bool have = ready && r < trainer_.num_runs() && trainer_.run(r).last_eval.samples > 0;
      out.add(metric_keys_[r][0].c_str(), have ? trainer_.run(r).last_eval.accuracy : NAN);
      out.add(metric_keys_[r][1].c_str(), have ? trainer_.run(r).last_eval.precision_at_k : NAN);
    }
    for (int r = 0; r < kRuns; ++r)
      out.add(metric_keys_[r][2].c_str(), ready && r < trainer_.num_runs() ? trainer_.run(r).smoothed_loss : NAN);
    out.add("softmax_floor", ready ? softmax_floor_ : NAN);
    out.add("mean_positives", ready ? mean_positives_ : NAN);
    out.add("steps_trained", ready ? trainer_.steps_done() : 0);
  }

 private:
  void declare_text(Walkthrough& t);
  void draw_precision(const ViewContext& v) const;
  void draw_cosines(const ViewContext& v) const;
  // Marks a row's positives (W_,) in flags_ and returns how many distinct ones.
  int distinct_positives(const int* row) {
    std::fill(flags_.begin(), flags_.end(), 0);
    int m = 0;
    for (int k = 0; k < W_; ++k)
      if (row[k] >= 0 && row[k] < C_ && !flags_[row[k]]) flags_[row[k]] = 1, ++m;
    return m;
  }

  double tau_ = 0.05, alpha_ = 2, noise_ = 0.3, softmax_floor_ = NAN, mean_positives_ = NAN;
  int k_ = 3, labels_ = 4, classes_ = 24, C_ = 0, W_ = 0, n_ = 0, chunk_ = 1;
  std::string metric_keys_[kRuns][3];
  Array& scores_out_;     // (runs, n_test, C): s = cos / tau; run 0 softmax, 1 decoupled, 2 soft top-k
  Array& positives_out_;  // (n_test, W): each test scene's labels, -1 padded
  Array& hist_out_;       // (runs, 2, bins): fractions of positive (0) and negative (1) cosines per bin
  Array& precision_out_;  // (2 runs + 1,) f64: P@1 of each run, P@3 of each run (percent, as drawn), steps done
  std::vector<float> x_, pos_buf_, neg_buf_;
  std::vector<int> sets_;
  std::vector<unsigned char> flags_;
};

void DexmlLesson::declare_text(Walkthrough& t) {
  t.section("The problem")
      .paragraph("In extreme multi-label classification a document has several correct labels out of a huge "
                 "catalogue.  A dual encoder embeds the document and every label into the same space and ranks "
                 "labels by cosine, so its size does not grow with one classifier head per label.  Trained with "
                 "the usual contrastive (InfoNCE) loss, though, it lags the per-label heads.  Gupta et al. trace "
                 "that to the loss: when a point has many positives, a softmax over all labels makes the "
                 "positives fight each other for one unit of probability.");
  t.section("The method")
      .paragraph("Scores are cosines over a temperature, s_l = cos(E(x), E(l)) / τ, and P is the point's set of "
                 "positive labels.  Three losses, trained side by side from the same start on the same batches:")
      .equation("softmax:     L = − Σ_(l∈P) log( e^(s_l) / Σ_j e^(s_j) )")
      .equation("decoupled:   L = − (1/|P|) Σ_(l∈P) log( e^(s_l) / (e^(s_l) + Σ_(j∉P) e^(s_j)) )")
      .equation("soft top-k:  L = − (1/|P|) Σ_(l∈P) log σ(α (s_l + t)),   Σ_j σ(α (s_j + t)) = K")
      .bullet("Softmax: all positives share one denominator, so each can reach at most probability 1/|P|; the "
              "loss never drops below |P| ln |P| (here {softmax_floor:%.3f} on average over the training scenes, "
              "with {mean_positives:%.2f} labels per scene) and keeps pushing positives against each other.")
      .bullet("Decoupled: a positive competes only with the negatives, so every positive can win at once and "
              "the loss can reach 0.  With one positive it is exactly the softmax loss.")
      .bullet("Soft top-k: t is found by 32 bisection steps so that the soft memberships σ(α(s_j + t)) sum to K; "
              "the loss asks the positives to be in the top K, not to beat each other.  Its gradient goes through "
              "t by implicit differentiation: with v_j = α σ_j (1 − σ_j), dσ/ds = diag(v) − v vᵀ / Σ v.")
      .note("As the official losses.py: the softmax loss SUMS over the positives (the paper's text is read as an "
            "average in some summaries); the decoupled and top-k losses divide by |P|.  Each is then averaged over "
            "the batch.");
  t.section("Try this")
      .bullet("Compare P@1 and P@3 of the three losses in the bars below, and the train-loss curves: the softmax "
              "curve flattens near its floor |P| ln |P|, the decoupled one goes toward 0.")
      .bullet("Set 'labels per point' to 1: every loss becomes single-positive; softmax and decoupled then train "
              "identically (same numbers).")
      .bullet("Raise the labels per point to 8: the softmax's positives now share an ever smaller probability.")
      .bullet("Change alpha: large values make the top-k membership nearly hard (and its gradient sparse).")
      .paragraph("Live: P@1 softmax {p_at_1_softmax:%.3f}, decoupled {p_at_1_decoupled:%.3f}, soft top-k "
                 "{p_at_1_topk:%.3f}.");
  t.section("What the paper reports")
      .paragraph("With the decoupled softmax (and the top-k loss for P@k), a plain dual encoder matches or beats "
                 "the best extreme classifiers with per-label heads by up to 2% P@1 while having about 20 times "
                 "fewer trainable parameters.  The official README reports P@1 / P@5 of 86.78 / 60.19 on "
                 "EURLex-4K and 85.78 / 50.53 on LF-Wikipedia-500K.")
      .paper("P@1, decoupled softmax", "86.78% (EURLex-4K, official README)", "p_at_1_decoupled", "%.1f%%",
             "Paper: DistilBERT dual encoder, 3,956 labels.  Live: an MLP on synthetic scenes, 24 labels.", 100)
      .paper("P@1, multi-positive softmax", "below decoupled (paper's loss study)", "p_at_1_softmax", "%.1f%%",
             "The same network, init and batches with the summed softmax loss.", 100)
      .paper("P@1, soft top-k", "(not quoted here)", "p_at_1_topk", "%.1f%%", "Live: K and alpha from the knobs.", 100)
      .paper("P@3, decoupled softmax", "(the README reports P@5)", "p_at_3_decoupled", "%.1f%%",
             "Live: P@3 on the test scenes.", 100)
      .warning("Simplifications here: the official training samples ONE positive per row per step (K positives for "
               "top-k), leaving the unsampled positives in the softmax's denominator and masking them (score −100) "
               "for decoupled and top-k; this lesson always uses the full positive set.  The query tower is a small "
               "MLP on synthetic features and each label has a free embedding (no text encoder, no in-batch "
               "negatives: every label is scored).  A 2% gain on million-label catalogues is not something 24 "
               "labels can show; read the gap between the three losses, not its size.");
}

void DexmlLesson::draw_precision(const ViewContext& v) const {
  if (!draw_data_status()) return;
  const char* labels[kRuns * 2] = {"softmax P@1", "decoupled P@1", "soft top-k P@1",
                                   "softmax P@3", "decoupled P@3", "soft top-k P@3"};
  if (precision_out_.d.size() != size_t(2 * kRuns + 1)) return;
  float values[kRuns * 2];
  for (int i = 0; i < kRuns * 2; ++i) values[i] = float(precision_out_.d[size_t(i)]);
  ImGui::Text("test scenes, step %d", int(precision_out_.d[2 * kRuns]));
  ImGui::SameLine();
  ui::help_marker("P@k: the share of a scene's k highest-scored labels that are among its true labels, averaged "
                  "over the test scenes.  A scene with fewer than k labels cannot reach 1.");
  const float line = ImGui::GetTextLineHeightWithSpacing();
  const float h = v.height > 0 ? std::max(v.height - 2.0f * line, v.font_size * 10) : v.font_size * 12;
  plot::bar_chart("##pk", ImVec2(ui::column_width(1), h), labels, values, kRuns * 2, "%");
}

void DexmlLesson::draw_cosines(const ViewContext&) const {
  if (!draw_data_status()) return;
  const float w = ui::column_width(kRuns, 10), h = ImGui::GetFontSize() * 10;
  const char* names[2] = {"positives", "negatives"};
  const ImU32 colors[2] = {plot::palette(2), plot::ink(0.45f)};
  for (int r = 0; r < kRuns; ++r) {
    if (r) ui::next_column(w);
    ImGui::BeginGroup();
    ImGui::PushID(r);
    ImGui::TextUnformatted(run_name(r).c_str());
    const float* hr = hist_out_.f.data() + size_t(r) * 2 * kBins;
    const float* counts[2] = {hr, hr + kBins};
    plot::histogram_plot("##cos", ImVec2(w, h), "cosine", -1.0f, 1.0f, counts, names, colors, 2, kBins);
    ImGui::PopID();
    ImGui::EndGroup();
  }
}

}  // namespace

PG_REGISTER_LESSON(DexmlLesson, 17);

}  // namespace pg
