// softcon.cpp - Lesson: "Multi-label guided soft contrastive learning for
// efficient Earth observation pretraining" (SoftCon; Wang, Albrecht & Zhu,
// 2024, arXiv:2405.20462; official repo zhu-xlab/softcon has inference code
// only, see papers/method-notes.md #3).
//
// One small encoder is trained twice from the same initialization on the same
// batches and augmentations of synthetic multi-label scenes: with InfoNCE
// alone, and with InfoNCE plus lambda times a per-cell soft term whose targets
// are the label similarities of the batch's scenes (engine/nn/losses_contrastive.h,
// a RECONSTRUCTION).  After the run a linear probe on the frozen embeddings
// measures multi-label mAP on the test scenes.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

#include "engine/data/registry.h"
#include "engine/nn/eval.h"
#include "engine/nn/losses_contrastive.h"
#include "engine/nn/model.h"
#include "engine/nn/optim.h"
#include "engine/rng.h"
#include "engine/timing.h"
#include "lessons/lesson.h"
#include "ui/panel.h"
#include "ui/plots.h"

namespace pg {
namespace {

const LessonInfo kInfo = {
    "softcon",
    "Multi-label guided soft contrastive learning",
    "Wang, Albrecht & Zhu",
    2024,
    "2405.20462",
    "https://github.com/zhu-xlab/softcon",
    "C. Losses on top of softmax",
    LessonKind::trainer,
    Stepping::on_play,
    "InfoNCE vs InfoNCE + a soft label-similarity term: linear-probe mAP on multi-label scenes.",
};

constexpr int kRuns = 2, kRunInfoNce = 0, kRunSoftCon = 1;
constexpr int kEmbed = 16;   // embedding dimension
constexpr int kShown = 24;   // test scenes in the similarity heatmaps
constexpr double kRidge = 1e-3;  // the probe's ridge

// Least squares with a ridge, in double: W (F, C) = (A^T A + r I)^-1 A^T Y,
// A (n, F), Y (n, C), by Cholesky.  F is small (embedding + bias).
void ridge_fit(const std::vector<double>& A, const std::vector<double>& Y, int n, int F, int C, double r,
               std::vector<double>& W) {
  std::vector<double> G(size_t(F) * F, 0.0), R(size_t(F) * C, 0.0);
  for (int i = 0; i < n; ++i)
    for (int a = 0; a < F; ++a) {
      const double x = A[size_t(i) * F + a];
      for (int b = 0; b < F; ++b) G[size_t(a) * F + b] += x * A[size_t(i) * F + b];
      for (int c = 0; c < C; ++c) R[size_t(a) * C + c] += x * Y[size_t(i) * C + c];
    }
  for (int a = 0; a < F; ++a) G[size_t(a) * F + a] += r * n;
  for (int j = 0; j < F; ++j) {  // G = L L^T in place (lower)
    for (int k = 0; k < j; ++k) G[size_t(j) * F + j] -= G[size_t(j) * F + k] * G[size_t(j) * F + k];
    G[size_t(j) * F + j] = std::sqrt(std::fmax(G[size_t(j) * F + j], 1e-300));
    for (int i = j + 1; i < F; ++i) {
      for (int k = 0; k < j; ++k) G[size_t(i) * F + j] -= G[size_t(i) * F + k] * G[size_t(j) * F + k];
      G[size_t(i) * F + j] /= G[size_t(j) * F + j];
    }
  }
  W = R;
  for (int c = 0; c < C; ++c) {
    for (int i = 0; i < F; ++i) {  // forward: L y = r
      double v = W[size_t(i) * C + c];
      for (int k = 0; k < i; ++k) v -= G[size_t(i) * F + k] * W[size_t(k) * C + c];
      W[size_t(i) * C + c] = v / G[size_t(i) * F + i];
    }
    for (int i = F - 1; i >= 0; --i) {  // back: L^T w = y
      double v = W[size_t(i) * C + c];
      for (int k = i + 1; k < F; ++k) v -= G[size_t(k) * F + i] * W[size_t(k) * C + c];
      W[size_t(i) * C + c] = v / G[size_t(i) * F + i];
    }
  }
}

class SoftConLesson : public Lesson {
 public:
  SoftConLesson()
      : map_curve_(outputs_.series("probe_map", {"step", "InfoNCE", "SoftCon"})),
        probe_scores_(outputs_.array("probe_scores")),
        test_sets_(outputs_.array("test_label_sets")),
        learned_sim_(outputs_.array("learned_similarity")),
        label_sim_(outputs_.array("label_similarity")),
        view_info_(outputs_.array("view_info")) {}

  bool views_draw_from_outputs() const override { return true; }  // tests/test_worker_mirror.cpp

  const LessonInfo& info() const override { return kInfo; }

  void declare(Declaration& d) override {
    ParamList& p = d.params;
    p.real("lambda", "soft-term weight lambda", &lambda_, 0, 4, 1,
           "L = L_InfoNCE + lambda L_soft.  Not verified: the paper's value is unknown (a third-party "
           "implementation uses 0.1).  0 makes the second run plain InfoNCE.");
    p.choice("similarity", "label similarity", &similarity_, {"jaccard", "cosine"}, 0,
             "Soft target of a pair of scenes: Jaccard |a n b| / |a u b| or cosine |a n b| / sqrt(|a||b|) of "
             "their label sets (not verified which the paper uses).");
    p.real("tau", "temperature tau", &tau_, 0.05, 1, 0.2, "Scores are z_i . z'_j / tau for both terms.");
    p.real("aug", "augmentation noise", &aug_, 0, 1, 0.3, "Std of the Gaussian noise that makes the two views.");
    p.integer("labels", "labels per scene (max)", &labels_, 1, 8, 4, "A scene holds 1 to this many objects.");
    p.integer("steps", "training steps", &steps_, 50, 5000, 600, "Optimizer steps for each run.", true);
    ParamSpec& lr = p.real("lr", "learning rate", &lr_, 1e-4, 0.1, 0.003, "Adam's step size.", true);
    lr.restarts = false;
    p.integer("batch", "batch size", &batch_, 8, 128, 32, "Scenes per batch: the score matrix is batch x batch.", true);
    declare_text(d.text);
    d.view("similarity", "Learned vs label similarity of 24 test scenes",
           [this](const ViewContext& v) { draw_similarity(v); });
    d.view("map", "Linear-probe mAP", [this](const ViewContext& v) { draw_map(v); });
    d.metric("map_infonce", "macro mAP of a linear probe on the InfoNCE embeddings (test scenes)");
    d.metric("map_softcon", "macro mAP of a linear probe on the InfoNCE + soft-term embeddings");
    d.metric("map_raw", "macro mAP of the same probe on the raw scene features (a reference)");
    d.metric("sim_corr_infonce", "correlation of learned cosine and label similarity over test pairs, InfoNCE");
    d.metric("sim_corr_softcon", "correlation of learned cosine and label similarity over test pairs, SoftCon");
    d.metric("train_loss_infonce", "smoothed batch loss, InfoNCE");
    d.metric("train_loss_softcon", "smoothed batch loss, InfoNCE + lambda soft term");
    d.metric("steps_trained", "optimizer steps taken by each run");
  }

  void reset(uint64_t seed) override {
    const data::DatasetInfo& info = *data::find_dataset("multilabel-scenes");
    data::DatasetOptions o;
    o.set("n", 1200);
    o.set("classes", 12);
    o.set("max_objects", labels_);
    info.make(o, seed, train_, test_);
    rng_ = Rng(seed).fork(17);
    done_steps_ = 0;
    dim_ = train_.dim;
    C_ = train_.classes;
    W_ = train_.target_width;
    B_ = std::min(batch_, train_.n);
    nn::ModelSpec spec = nn::ModelSpec::vectors(dim_);
    spec.linear(64).relu().linear(kEmbed).l2norm();
    const int max_rows = std::max(2 * B_, 64);
    Rng init = Rng(seed).fork(3);
    for (int r = 0; r < kRuns; ++r) {
      Rng copy = init;
      models_[r].init(spec, max_rows, copy);
      nn::OptimizerConfig adam;
      adam.lr = float(lr_);
      opt_[r].init(models_[r].num_params(), adam);
      smoothed_[r] = NAN;
    }
    x2_.assign(size_t(2) * B_ * dim_, 0.0f);
    idx_.assign(size_t(B_), 0);
    sets_.assign(size_t(B_) * W_, -1);
    S_.assign(size_t(B_) * B_, 0.0f);
    dS_ = S_;
    Y_ = S_;
    I_ = S_;
    for (int i = 0; i < B_; ++i) I_[size_t(i) * B_ + i] = 1.0f;
    dz_.assign(size_t(2) * B_ * kEmbed, 0.0f);
    map_curve_.values.assign(3, {});
    map_[0] = map_[1] = corr_[0] = corr_[1] = NAN;
    const std::vector<float> sets(test_.label_sets.begin(), test_.label_sets.end());
    test_sets_.set({test_.n, W_}, sets.data());
    probe();
    publish_view_info();
  }

  int step(int max_steps, double budget_ms) override {
    const int n = timing::run_budgeted(max_steps, budget_ms, [this] { return done_steps_ >= steps_; }, [&] {
      train_step();
      ++done_steps_;
      if (done_steps_ % 100 == 0 || done_steps_ == steps_) probe();
    });
    publish_view_info();
    return n;
  }
  bool done() const override { return done_steps_ >= steps_ || !problem().empty(); }
  int64_t run_length() const override { return steps_; }
  std::string problem() const override {
    for (int r = 0; r < kRuns; ++r)
      if (!(std::isfinite(smoothed_[r]) || done_steps_ == 0)) return "training diverged (the loss is not finite): lower lr";
    return "";
  }
  void live_param_changed(const ParamSpec& spec) override {
    if (spec.key == "lr")
      for (nn::Optimizer& o : opt_) o.set_lr(float(lr_));
  }

  void metrics(MetricList& out) const override {
    out.add("map_infonce", map_[kRunInfoNce]);
    out.add("map_softcon", map_[kRunSoftCon]);
    out.add("map_raw", map_raw_);
    out.add("sim_corr_infonce", corr_[kRunInfoNce]);
    out.add("sim_corr_softcon", corr_[kRunSoftCon]);
    out.add("train_loss_infonce", smoothed_[kRunInfoNce]);
    out.add("train_loss_softcon", smoothed_[kRunSoftCon]);
    out.add("steps_trained", done_steps_);
  }

 private:
  // One step of both runs on the same batch and the same two views.
  void train_step() {
    for (int i = 0; i < B_; ++i) idx_[i] = int(rng_.below(uint32_t(train_.n)));
    train_.gather(idx_.data(), B_, x2_.data(), nullptr);
    std::copy(x2_.begin(), x2_.begin() + size_t(B_) * dim_, x2_.begin() + size_t(B_) * dim_);
    for (float& v : x2_) v += float(aug_ * rng_.normal());
    train_.gather_targets(idx_.data(), B_, sets_.data(), nullptr);
    nn::label_similarity(sets_.data(), B_, W_, C_,
                         similarity_ == 0 ? nn::LabelSimilarity::jaccard : nn::LabelSimilarity::cosine, Y_.data());
    for (int r = 0; r < kRuns; ++r) {
      nn::Model& m = models_[r];
      const float* z = m.forward(x2_.data(), 2 * B_);  // (2B, E): view 1 rows, then view 2
      const float* zp = z + size_t(B_) * kEmbed;
      nn::contrastive_scores(z, zp, B_, kEmbed, float(tau_), S_.data());
      const double lambda = r == kRunSoftCon ? lambda_ : 0.0;
      const double loss = nn::softcon_loss(S_.data(), r == kRunSoftCon ? Y_.data() : I_.data(), B_, lambda, dS_.data());
      nn::contrastive_scores_backward(dS_.data(), z, zp, B_, kEmbed, float(tau_), dz_.data(),
                                      dz_.data() + size_t(B_) * kEmbed);
      m.zero_grad();
      m.backward(dz_.data());
      opt_[r].update(m.params(), m.grads());
      smoothed_[r] = std::isfinite(smoothed_[r]) ? 0.95 * smoothed_[r] + 0.05 * loss : loss;
    }
  }

  // Embeddings (n, E) of a data set's clean features under run r (chunked).
  void embed(int r, const data::Dataset& d, std::vector<double>& A) {
    const int F = kEmbed + 1, chunk = models_[r].max_batch();
    A.assign(size_t(d.n) * F, 1.0);
    std::vector<int> rows(static_cast<size_t>(chunk));
    std::vector<float> x(static_cast<size_t>(chunk) * d.dim);
    for (int s = 0; s < d.n; s += chunk) {
      const int m = std::min(chunk, d.n - s);
      for (int i = 0; i < m; ++i) rows[i] = s + i;
      d.gather(rows.data(), m, x.data(), nullptr);
      const float* z = models_[r].forward(x.data(), m);
      for (int i = 0; i < m; ++i)
        for (int k = 0; k < kEmbed; ++k) A[size_t(s + i) * F + k] = z[size_t(i) * kEmbed + k];
    }
  }

  static void multi_hot(const data::Dataset& d, std::vector<double>& Y) {
    Y.assign(size_t(d.n) * d.classes, 0.0);
    for (int i = 0; i < d.n; ++i)
      for (int k = 0; k < d.target_width; ++k) {
        const int l = d.label_sets[size_t(i) * d.target_width + k];
        if (l >= 0 && l < d.classes) Y[size_t(i) * d.classes + l] = 1.0;
      }
  }

  // mAP of a ridge probe fit on train features A_train and applied to A_test; scores into out (n_test, C).
  double probe_map(const std::vector<double>& A_train, const std::vector<double>& A_test, int F, float* out) {
    std::vector<double> Y, Wt;
    multi_hot(train_, Y);
    ridge_fit(A_train, Y, train_.n, F, C_, kRidge, Wt);
    std::vector<float> scores(size_t(test_.n) * C_);
    for (int i = 0; i < test_.n; ++i)
      for (int c = 0; c < C_; ++c) {
        double v = 0.0;
        for (int a = 0; a < F; ++a) v += A_test[size_t(i) * F + a] * Wt[size_t(a) * C_ + c];
        scores[size_t(i) * C_ + c] = float(v);
      }
    if (out) std::copy(scores.begin(), scores.end(), out);
    return nn::macro_average_precision(scores.data(), test_.n, C_, test_.label_sets.data(), W_);
  }

  // The linear probe (a closed-form ridge regression on the multi-hot labels,
  // standing in for a trained linear classifier), the similarity heatmaps and
  // the mAP curve.  Every 100 steps and at the end.
  void probe() {
    const int F = kEmbed + 1, n_shown = std::min(kShown, test_.n);
    probe_scores_.set({kRuns, test_.n, C_}, std::vector<float>(size_t(kRuns) * test_.n * C_, 0.0f).data());
    std::vector<float> lab(size_t(n_shown) * n_shown);
    nn::label_similarity(test_.label_sets.data(), n_shown, W_, C_,
                         similarity_ == 0 ? nn::LabelSimilarity::jaccard : nn::LabelSimilarity::cosine, lab.data());
    label_sim_.set({n_shown, n_shown}, lab.data());
    std::vector<float> learned(size_t(kRuns) * n_shown * n_shown);
    for (int r = 0; r < kRuns; ++r) {
      std::vector<double> A_train, A_test;
      embed(r, train_, A_train);
      embed(r, test_, A_test);
      map_[r] = probe_map(A_train, A_test, F, probe_scores_.f.data() + size_t(r) * test_.n * C_);
      // correlation of cosine and label similarity over the shown pairs (i < j)
      double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
      int n = 0;
      for (int i = 0; i < n_shown; ++i)
        for (int j = 0; j < n_shown; ++j) {
          double c = 0.0;
          for (int k = 0; k < kEmbed; ++k) c += A_test[size_t(i) * F + k] * A_test[size_t(j) * F + k];
          learned[(size_t(r) * n_shown + i) * n_shown + j] = float(c);
          if (j <= i) continue;
          const double y = lab[size_t(i) * n_shown + j];
          sx += c, sy += y, sxx += c * c, syy += y * y, sxy += c * y, ++n;
        }
      const double cov = sxy / n - sx / n * sy / n, vx = sxx / n - sx / n * sx / n, vy = syy / n - sy / n * sy / n;
      corr_[r] = vx > 0 && vy > 0 ? cov / std::sqrt(vx * vy) : NAN;
    }
    learned_sim_.set({kRuns, n_shown, n_shown}, learned.data());
    if (done_steps_ == 0) {  // the raw features, once
      std::vector<double> A_train(size_t(train_.n) * (dim_ + 1), 1.0), A_test(size_t(test_.n) * (dim_ + 1), 1.0);
      for (int i = 0; i < train_.n; ++i)
        for (int k = 0; k < dim_; ++k) A_train[size_t(i) * (dim_ + 1) + k] = train_.x[size_t(i) * dim_ + k];
      for (int i = 0; i < test_.n; ++i)
        for (int k = 0; k < dim_; ++k) A_test[size_t(i) * (dim_ + 1) + k] = test_.x[size_t(i) * dim_ + k];
      map_raw_ = probe_map(A_train, A_test, dim_ + 1, nullptr);
    }
    map_curve_.values[0].push_back(float(done_steps_));
    map_curve_.values[1].push_back(float(map_[0]));
    map_curve_.values[2].push_back(float(map_[1]));
  }

  // The numbers the views and the text read that no other output holds
  // (f64: as computed), after every step() call; outputs_replaced takes them
  // back from a worker's copy.
  void publish_view_info() {
    const double info[kViewInfo] = {double(done_steps_), map_[kRunInfoNce], map_[kRunSoftCon], map_raw_};
    view_info_.set({kViewInfo}, info);
  }
  void outputs_replaced() override {
    if (view_info_.d.size() != size_t(kViewInfo)) return;
    done_steps_ = int(view_info_.d[0]);
    map_[kRunInfoNce] = view_info_.d[1], map_[kRunSoftCon] = view_info_.d[2], map_raw_ = view_info_.d[3];
  }

  void declare_text(Walkthrough& t);
  void draw_map(const ViewContext& v) const;
  void draw_similarity(const ViewContext& v) const;

  double lambda_ = 1, tau_ = 0.2, aug_ = 0.3, lr_ = 0.003;
  int similarity_ = 0, labels_ = 4, steps_ = 600, batch_ = 32;
  int done_steps_ = 0, dim_ = 0, C_ = 0, W_ = 0, B_ = 0;
  double map_[kRuns] = {NAN, NAN}, corr_[kRuns] = {NAN, NAN}, smoothed_[kRuns] = {NAN, NAN}, map_raw_ = NAN;
  data::Dataset train_, test_;
  Rng rng_;
  nn::Model models_[kRuns];
  nn::Optimizer opt_[kRuns];
  std::vector<float> x2_, S_, dS_, Y_, I_, dz_;
  std::vector<int> idx_, sets_;
  Series& map_curve_;     // step, InfoNCE, SoftCon probe mAP
  Array& probe_scores_;   // (runs, n_test, C): the probe's scores on the test scenes
  Array& test_sets_;      // (n_test, W): the test scenes' labels, -1 padded
  Array& learned_sim_;    // (runs, 24, 24): cosine of the shown test scenes' embeddings
  Array& label_sim_;      // (24, 24): their label similarity
  static constexpr int kViewInfo = 4;
  Array& view_info_;      // (kViewInfo,) f64: steps done, probe mAP of InfoNCE and SoftCon, of the raw features
};

void SoftConLesson::declare_text(Walkthrough& t) {
  t.section("The problem")
      .paragraph("Contrastive pretraining treats two views of the same image as the only positive pair and every "
                 "other image in the batch as a negative.  Satellite scenes break that assumption: two different "
                 "scenes that both hold water, forest and roads are semantically close, and pushing them apart "
                 "is wrong.  Free land-cover maps give every scene a multi-label annotation that says how close.");
  t.section("The method")
      .paragraph("Embed two views of each scene in a batch (z_i and z'_j, unit norm) and score every pair, "
                 "S_ij = z_i · z'_j / τ.  The official figure adds two targets over this matrix: the one-positive "
                 "InfoNCE diagonal, and a soft target per cell from the label sets' similarity (1 on the diagonal):")
      .equation("L = (1/B) Σ_i [log Σ_j e^(S_ij) − S_ii]  +  λ (1/B²) Σ_ij BCE(σ(S_ij), Y_ij)")
      .equation("Y_ij = |L_i ∩ L_j| / |L_i ∪ L_j|  (Jaccard; or cosine |L_i ∩ L_j| / √(|L_i| |L_j|))")
      .bullet("λ = 0 is plain InfoNCE (tested to the last bit of float precision).")
      .bullet("After training, a linear probe on the frozen embeddings predicts the labels; mAP on the test "
              "scenes measures how much label structure the embedding kept.")
      .warning("Reconstruction, not verified: the official repository has no loss code.  The per-cell form "
               "(sigmoid cross-entropy, as in a third-party implementation), the similarity (Jaccard or cosine), "
               "τ and λ are our choices, exposed as knobs.");
  t.section("Try this")
      .bullet("Compare the two mAPs, then set λ = 0: the runs become identical.")
      .bullet("Watch the heatmaps: the soft term makes the learned similarities follow the label similarity "
              "(correlation {sim_corr_softcon:%.2f} vs {sim_corr_infonce:%.2f} for InfoNCE).")
      .bullet("Set labels per scene to 1: label similarity is then 0 or 1 and both runs see nearly the same signal.");
  t.section("What the paper reports")
      .paragraph("With soft contrastive continual pretraining from vision foundation models, ResNet-50 / ViT-S "
                 "reach 84.8 / 85.0 linear-probe mAP on BigEarthNet-10%, ViT-B 86.8 (multispectral) and 82.5 (SAR).")
      .paper("linear-probe mAP, soft contrastive", "85.0 (ViT-S/14, BigEarthNet-10%)", "map_softcon", "%.1f",
             "Paper: continual pretraining from DINOv2.  Live: a 2-layer MLP on 12-label synthetic scenes.", 100)
      .paper("linear-probe mAP, InfoNCE only", "(baseline; not quoted here)", "map_infonce", "%.1f",
             "The same encoder, init, batches and views without the soft term.", 100)
      .paper("linear-probe mAP, raw features", "(no paper counterpart)", "map_raw", "%.1f",
             "The probe on the scenes' input features: what the embedding must beat.", 100)
      .note("Not reproduced here: in this toy the soft term does not raise the probe's mAP ({map_softcon:%.3f} vs "
            "{map_infonce:%.3f} for InfoNCE), although it does pull the learned similarities toward the label "
            "similarity (correlation {sim_corr_softcon:%.2f} vs {sim_corr_infonce:%.2f}).  The synthetic scenes "
            "are sums of label prototypes, so a linear probe on the raw features already reaches {map_raw:%.3f}: "
            "there is little label structure left for pretraining to add.")
      .when([this] { return done_steps_ >= steps_ && !(map_[kRunSoftCon] > map_[kRunInfoNce]); })
      .warning("Simplifications: one shared encoder for both views (no EMA teacher, no Siamese masking, no "
               "foundation-model initialization); the probe is a closed-form ridge regression on multi-hot labels "
               "rather than a trained linear classifier; Gaussian noise is the only augmentation.  Toy numbers "
               "are not comparable with the paper's.");
}

void SoftConLesson::draw_map(const ViewContext&) const {
  const char* labels[3] = {"InfoNCE", "InfoNCE + soft", "raw features"};
  const float values[3] = {float(100 * map_[0]), float(100 * map_[1]), float(100 * map_raw_)};
  ImGui::Text("step %d of %d", done_steps_, steps_);
  ui::help_marker("Macro mAP of a linear probe on the frozen embeddings, on the test scenes; refreshed every 100 steps.");
  plot::bar_chart("##map", ImVec2(ui::column_width(1), ImGui::GetFontSize() * 6), labels, values, 3, "%");
}

void SoftConLesson::draw_similarity(const ViewContext& v) const {
  if (label_sim_.shape.size() != 2) return;
  const int n = int(label_sim_.shape[0]);
  const float line = ImGui::GetTextLineHeightWithSpacing();
  float w = ui::column_width(3, 9);
  if (v.height > 0) w = std::min(w, std::max(v.height - 2.0f * line, v.font_size * 10));
  const char* titles[3] = {"label similarity", "InfoNCE cosine", "SoftCon cosine"};
  for (int k = 0; k < 3; ++k) {
    if (k) ui::next_column(w);
    ImGui::BeginGroup();
    ImGui::PushID(k);
    ImGui::TextUnformatted(titles[k]);
    plot::HeatmapStyle style;
    style.vmin = k == 0 ? 0.0f : -1.0f;
    style.vmax = 1.0f;
    const float* values = k == 0 ? label_sim_.f.data() : learned_sim_.f.data() + size_t(k - 1) * n * n;
    plot::heatmap("##sim", ImVec2(w, w), values, n, n, style);
    ImGui::PopID();
    ImGui::EndGroup();
  }
}

}  // namespace

PG_REGISTER_LESSON(SoftConLesson, 16);

}  // namespace pg
