// icl_multihead.cpp - Lesson: "In-Context Linear Regression Demystified:
// Training Dynamics and Mechanistic Interpretability of Multi-Head Softmax
// Attention" (He, Pan, Chen & Yang, 2025, arXiv:2503.12734).
//
// One layer of multi-head softmax attention is trained live, with Adam, on
// fresh in-context regression prompts (engine/icl/mha_trainer.h).  As it
// trains, every head's KQ = K^T Q turns into a multiple of the identity on the
// x-block and its OV = O V reads only the y-slot; the heads pair up with
// opposite signs, and the pair computes debiased gradient descent.  The views
// show the loss against classical estimators, the matrices forming, the
// per-head (omega, mu) pairs, the effective GD step they implement, and how
// the trained model does on longer prompts than it was trained on.
//
// One work unit = one Adam step.  The length curve is computed at reset (the
// untrained model) and once when the run ends (it allocates); the learner can
// also ask for it mid-run.  The views draw from copies of the trainer's
// curves and snapshots, refreshed at the end of every step() call.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "engine/icl/mha_trainer.h"
#include "lessons/lesson.h"
#include "ui/panel.h"
#include "ui/plots.h"

namespace pg {
namespace {

const LessonInfo kInfo = {
    "icl-multihead",
    "In-Context Linear Regression Demystified: multi-head softmax attention",
    "He, Pan, Chen & Yang",
    2025,
    "2503.12734",
    "https://github.com/Y-Agent/ICL_linear",
    "B. In-context learning",
    LessonKind::icl,
    Stepping::on_play,
    "Train multi-head softmax attention live and watch its heads pair up into debiased gradient descent.",
};

const int kHeadChoices[] = {1, 2, 4, 8};
const int kLengths[] = {10, 20, 30, 40, 60, 80, 100, 120, 160};  // the length-generalization grid
constexpr int kLengthPrompts = 512;
// Reference levels in the loss view are drawn as flat dashed series (a dashed
// series draws every other segment, so it needs many points).
constexpr int kRefPoints = 41;
enum Reference { kRefGd, kRefDebiased, kRefRidge, kRefOls, kNumRefs };

class IclMultihead : public Lesson {
 public:
  const LessonInfo& info() const override { return kInfo; }

  void declare(Declaration& d) override {
    ParamList& p = d.params;
    p.choice("heads", "heads H", &heads_choice_, {"1", "2", "4", "8"}, 2,
             "Number of attention heads.  One head cannot cancel the bias of the softmax average; two or "
             "more pair up with opposite signs and reach the debiased-GD loss.");
    p.integer("d", "input dimension d", &d_, 5, 16, 5,
              "Dimension of x.  The task is β ~ N(0, I/d), so predicting 0 has loss 1 + σ².  The paper's "
              "notebook uses d = 5.");
    p.integer("n", "training length n", &n_, 10, 80, 40, "Context examples per training prompt (the paper: L = 40).");
    p.integer("eval_n", "evaluation length", &eval_n_, 10, 160, 80,
              "A context length for the length-generalization read-out, marked on the plot.  Softmax "
              "attention averages, so it keeps working on prompts longer than it was trained on.")
        .restarts = false;
    p.real("noise", "label noise σ²", &noise_, 0.0, 0.5, 0.1, "Variance of the label noise (the paper: 0.1).");
    p.real("lr", "learning rate", &lr_, 1e-4, 3e-2, 3e-3,
           "Adam's learning rate at step 0; it decays linearly to a tenth of it over the run.  Changing it "
           "restarts the run (the trainer sets its optimizer up at reset).",
           true);
    p.integer("steps", "run length (steps)", &steps_, 500, 20000, 6000,
              "Adam steps in the run (batch of 64 fresh prompts each).  The learning-rate decay spans the run.",
              true);
    p.toggle("opposite", "opposite-pair init", &opposite_, false,
             "Off (the paper's setting): every weight random.  On: start each head's KQ at ±0.15 I, half the "
             "heads +, half -.  With H = 2 the random start sometimes lands in a same-sign local minimum; "
             "this init skips it, at the price of handing the model half of the pattern.");
    declare_text(d.text);
    d.view("loss", "Training loss and evaluation MSE against the classical estimators",
           [this](const ViewContext& v) { draw_loss_plot(v); });
    d.view("matrices", "What each head learned: KQ = K^T Q (D × D) and OV = O V (1 × D)",
           [this](const ViewContext& v) { draw_matrices(v); });
    d.view("pairs", "The heads' (ω_h, μ_h) and the GD step they implement", [this](const ViewContext& v) { draw_pairs(v); });
    d.view("lengths", "Length generalization: the trained model on prompts of other lengths",
           [this](const ViewContext& v) { draw_lengths(v); });
    declare_metrics(d);
  }

  void reset(uint64_t seed) override {
    icl::MhaTrainerConfig c;
    c.d = d_;
    c.n = n_;
    c.heads = kHeadChoices[heads_choice_];
    c.noise_var = noise_;
    c.lr = float(lr_);
    c.lr_decay_steps = steps_;
    c.init_opposite_pairs = opposite_;
    c.seed = seed;
    trainer_.reset(c);
    eval_prompts_ = trainer_.config().eval_prompts;
    snap_key_ = -1;
    view_snapshot_ = -1;
    refresh_outputs();
    compute_lengths();  // the untrained model: loss_at_eval_n exists from the start
  }

  int step(int max_steps, double budget_ms) override {
    const int left = steps_ - trainer_.metrics().step;
    const int done = left > 0 ? trainer_.step(std::min(max_steps, left), budget_ms) : 0;
    refresh_outputs();
    if (trainer_.metrics().step >= steps_ && length_at_step_ != steps_) compute_lengths();
    return done;
  }

  bool done() const override { return trainer_.diverged() || trainer_.metrics().step >= steps_; }

  int64_t run_length() const override { return steps_; }
  std::string problem() const override { return trainer_.diverged() ? trainer_.message() : ""; }

  bool views_draw_from_outputs() const override { return true; }  // tests/test_worker_mirror.cpp
  void act(const std::string& action) override {
    if (action == "lengths") compute_lengths();
  }

  void live_param_changed(const ParamSpec& spec) override {
    if (spec.key == "eval_n") compute_lengths();  // a knob change, not a frame
  }

  void metrics(MetricList& out) const override {
    const icl::MhaMetrics& m = trainer_.metrics();
    out.add("loss", m.eval_mse);
    out.add("train_loss", m.train_loss);
    out.add("ridge_loss", m.ridge_loss);
    out.add("ols_loss", m.ols_loss);
    out.add("gd_loss", m.gd_loss);
    out.add("debiased_gd_loss", m.debiased_gd_loss);
    out.add("gd_risk_closed", m.gd_risk);
    out.add("debiased_gd_risk_closed", m.debiased_gd_risk);
    out.add("omega_mu_sum", m.omega_mu_sum);
    out.add("gd_step_opt", m.gd_step_opt);
    out.add("debiased_gd_step_opt", m.debiased_gd_step_opt);
    out.add("mu_sum", m.mu_sum);
    out.add("ov_last_entry_frac", m.ov_last_entry_frac);
    out.add("kq_identity_frac", m.kq_identity_frac_weighted);
    out.add("eval_step", m.eval_step);
    out.add("steps_trained", m.step);
    out.add("loss_at_eval_n", loss_at_eval_n_);
    out.add_timing("steps_per_second", trainer_.steps_per_second());
  }

 private:
  int heads() const { return kHeadChoices[heads_choice_]; }

  void declare_metrics(Declaration& d) {
    d.metric("loss", "the model's MSE on the fixed evaluation prompts (1024, at the training length), at eval_step");
    d.metric("train_loss", "mean training loss (fresh prompts) over the last curve window");
    d.metric("ridge_loss", "ridge (Bayes optimal) on the same evaluation prompts");
    d.metric("ols_loss", "OLS on the same evaluation prompts");
    d.metric("gd_loss", "tuned one-step GD on the same evaluation prompts");
    d.metric("debiased_gd_loss", "tuned debiased GD (inputs centred) on the same evaluation prompts");
    d.metric("gd_risk_closed", "closed-form risk of tuned one-step GD at the training length");
    d.metric("debiased_gd_risk_closed", "closed-form risk of tuned debiased GD at the training length");
    d.metric("omega_mu_sum", "Σ_h ω_h μ_h: the debiased-GD step the trained heads implement");
    d.metric("gd_step_opt", "the optimal one-step GD step n / (n + d + 1 + σ² d)");
    d.metric("debiased_gd_step_opt", "the optimal debiased-GD step");
    d.metric("mu_sum", "Σ_h μ_h: about 0 when the heads pair up with opposite signs");
    d.metric("ov_last_entry_frac", "Σ_h |μ_h| / Σ_h ||OV_h||: 1 when every head reads only the y-slot");
    d.metric("kq_identity_frac", "share of each head's KQ x-block that is a multiple of the identity, weighted by |μ_h|");
    d.metric("eval_step", "the step of the last evaluation (every 100 steps)");
    d.metric("steps_trained", "Adam steps taken");
    d.metric("loss_at_eval_n", "model MSE at the evaluation length, from the length curve (computed at reset, "
                               "when the run ends, when eval_n changes or on request)");
    d.metric("steps_per_second", "training speed, wall clock (timing)");
  }

  void declare_text(Walkthrough& t) {
    t.section("The problem")
        .paragraph("Each prompt is a fresh linear regression task: x_l ~ N(0, I_d), β ~ N(0, I/d), y_l = β^T x_l + ε_l.  "
                   "A transformer sees n pairs (x_l, y_l) and a query x_q and must predict y_q.  Linear attention is "
                   "known to be able to implement gradient descent on the prompt (see the icl-gd lesson).  But "
                   "real transformers use softmax attention: what does a trained softmax layer compute?");
    t.section("The method")
        .paragraph("One layer, H heads, tokens z_l = (x_l, y_l) and query z_q = (x_q, 0), D = d + 1, no biases, "
                   "the query attends only to the context (eq. 2.2 of the paper):")
        .equation("y_pred = Σ_h O_h V_h Z softmax( Z^T K_h^T Q_h z_q / √D )")
        .paragraph("Trained with Adam on the squared error over fresh prompts, each head settles into a simple form:")
        .equation("K_h^T Q_h ≈ ω_h √D [[I_d, 0], [0, 0]],     O_h V_h ≈ (0, ..., 0, μ_h)")
        .paragraph("so head h outputs μ_h Σ_l softmax(ω_h a)_l y_l with a_l = x_l^T x_q.  For small ω the softmax is "
                   "nearly uniform, softmax(ω a)_l ≈ (1 + ω (a_l − mean(a))) / n, and a pair of heads (+ω, +μ), "
                   "(−ω, −μ) cancels the even terms:")
        .equation("y_pred ≈ (η/n) Σ_l y_l (x_l − x_mean)^T x_q,     η = Σ_h ω_h μ_h")
        .paragraph("That is debiased GD: one GD step with the inputs centred on their mean.  A single head "
                   "cannot cancel the (μ/n) Σ y_l term and does worse.  The loss of one GD step in closed form:")
        .equation("R(η) = σ² + 1 − 2η + η² (n + d + 1 + σ² d) / n,     η* = n / (n + d + 1 + σ² d)");
    t.section("Try this")
        .bullet("Press Play: within a few thousand steps the loss drops to the tuned-GD line.")
        .bullet("Watch the KQ heatmaps turn diagonal and the OV strips light up only at the last (y) entry.")
        .bullet("Heads = 1: the loss stays well above GD.  Heads = 2 or 4: the heads pair up with opposite signs.")
        .bullet("After the run, read the length plot: the model trained at n keeps improving on longer prompts.")
        .paragraph("Evaluation MSE (live): {loss:%.4f}; tuned GD {gd_loss:%.4f}, debiased GD {debiased_gd_loss:%.4f}, "
                   "ridge {ridge_loss:%.4f}.")
        .paragraph("Share of OV on the y entry: {ov_last_entry_frac:%.3f}.  Share of KQ's x-block on ω I: "
                   "{kq_identity_frac:%.3f}.")
        .note("Σ_h |μ_h| / Σ_h ||OV_h|| is 1 when every head reads only the y-slot of the tokens it attends to.  The "
              "KQ share is how much of each head's x-block is a multiple of the identity, weighted by |μ_h|.")
        .paragraph("Σ_h ω_h μ_h (the model's GD step): {omega_mu_sum:%.4f}; optimal: debiased "
                   "{debiased_gd_step_opt:%.4f}, plain GD {gd_step_opt:%.4f};  Σ_h μ_h = {mu_sum:%.4f}.");
    const auto multi = [this] { return heads() != 1; };
    const auto single = [this] { return heads() == 1; };
    t.section("What the paper reports")
        .paper("multi-head attention, MSE", "0.243", "loss", "%.3f (live)",
               "Paper: d = 5, L = 40, σ² = 0.1.  Live: the current setting, at the current step.")
        .when(multi)
        .paper("one-step GD (tuned), MSE", "0.241", "gd_loss", "%.3f (live)", "Monte Carlo on the evaluation prompts.")
        .paper("debiased GD (tuned), MSE", "0.243", "debiased_gd_loss", "%.3f (live)",
               "Monte Carlo on the evaluation prompts.")
        .paper("single-head attention, MSE", "0.405", "loss", "%.3f (live)", "Live when heads = 1.")
        .when(single)
        .paper("ridge (Bayes optimal), MSE", "0.115", "ridge_loss", "%.3f (live)",
               "The best any estimator can do; one softmax layer is not expected to reach it.")
        .note("Paper column: the official repository's notebook at d = 5, L = 40, as noted in our catalogue.")
        .note("Live values are for the current setting, not the paper's (d = 5, L = 40, σ² = 0.1).  Set d = 5, "
              "n = 40, σ² = 0.1 to compare like with like.")
        .when([this] { return !(d_ == 5 && n_ == 40 && std::fabs(noise_ - 0.1) < 1e-9); });
  }

  // Copies of the trainer's state for the views and the export: curves every
  // call (bounded: 2048 points at most), snapshots when a new one was taken.
  void refresh_outputs() {
    metrics_ = trainer_.metrics();
    const int m = trainer_.curve_size(), e = trainer_.eval_curve_size(), H = heads(), D = d_ + 1;
    loss_curve_.resize(m);
    for (int i = 0; i < m; ++i) loss_curve_.col(0)[i] = float(trainer_.curve_step(i)), loss_curve_.col(1)[i] = trainer_.curve_loss(i);
    eval_curve_.resize(e);
    for (int i = 0; i < e; ++i) eval_curve_.col(0)[i] = float(trainer_.eval_curve_step(i)), eval_curve_.col(1)[i] = trainer_.eval_curve_mse(i);
    eval_losses_.clear();
    eval_losses_.push({float(metrics_.eval_mse), float(metrics_.ridge_loss), float(metrics_.ols_loss), float(metrics_.gd_loss),
                        float(metrics_.debiased_gd_loss), float(metrics_.averaging_loss), float(metrics_.knn_loss)});
    omega_.set({H}, metrics_.omega);
    mu_.set({H}, metrics_.mu);
    publish_view_info();
    const int S = trainer_.num_snapshots();
    const long key = long(S) * 1000003L + (S > 0 ? trainer_.snapshot_step(S - 1) : 0);
    if (key != snap_key_) {
      snap_key_ = key;
      refresh_snapshots(S, H, D);
    }
    derive_view_data();
  }

  // The numbers the views show that no series holds, as an output.
  void publish_view_info() {
    const double info[kViewInfo] = {double(metrics_.eval_step), metrics_.debiased_gd_step_opt, double(length_at_step_),
                                    double(eval_prompts_), loss_at_eval_n_, at_eval_n_[1], at_eval_n_[2]};
    view_info_.set({kViewInfo}, info);
  }

  // Everything the views read that is not an output, from the outputs: the
  // (omega, mu) points, the reference levels, each snapshot's color ranges
  // and the numbers at the evaluation length.  So a copy of the outputs (a
  // worker's, Lesson::replace_outputs) draws the same views.
  void derive_view_data() {
    const int H = int(omega_.d.size()), D = d_ + 1, S = int(snapshot_steps_.size());
    double om_max = 1e-3, mu_max = 1e-3;
    for (int h = 0; h < H && h < icl::kMaxHeads; ++h) {
      pair_xy_[2 * h] = float(omega_.d[size_t(h)]), pair_xy_[2 * h + 1] = float(mu_.d[size_t(h)]), pair_cls_[h] = h;
      om_max = std::max(om_max, std::fabs(omega_.d[size_t(h)]));
      mu_max = std::max(mu_max, std::fabs(mu_.d[size_t(h)]));
    }
    pair_range_[0] = om_max, pair_range_[1] = mu_max;
    // eval_losses: model, ridge, ols, gd_tuned, debiased_gd, ...
    const Series& e = eval_losses_;
    const bool have = e.rows() > 0;
    ridge_level_ = have ? e.col(1)[0] : NAN, ols_level_ = have ? e.col(2)[0] : NAN;
    const double levels[kNumRefs] = {have ? e.col(3)[0] : NAN, have ? e.col(4)[0] : NAN, ridge_level_, ols_level_};
    for (int k = 0; k < kRefPoints; ++k) {
      ref_x_[k] = float(steps_) * k / (kRefPoints - 1);
      for (int r = 0; r < kNumRefs; ++r) ref_y_[r][k] = float(levels[r]);
    }
    snap_scale_.assign(size_t(S) * 2, 1e-6f);
    for (int i = 0; i < S && int(kq_history_.f.size()) >= S * H * D * D && int(ov_history_.f.size()) >= S * H * D; ++i)
      for (int h = 0; h < H; ++h) {
        const float* kq = kq_history_.f.data() + (size_t(i) * H + h) * D * D;
        const float* ov = ov_history_.f.data() + (size_t(i) * H + h) * D;
        for (int j = 0; j < D * D; ++j) snap_scale_[2 * i] = std::max(snap_scale_[2 * i], std::fabs(kq[j]));
        for (int j = 0; j < D; ++j) snap_scale_[2 * i + 1] = std::max(snap_scale_[2 * i + 1], std::fabs(ov[j]));
      }
    const bool info = view_info_.d.size() == size_t(kViewInfo);
    eval_step_ = info ? int(view_info_.d[0]) : 0;
    best_debiased_step_ = info ? view_info_.d[1] : NAN;
    length_at_step_ = info ? int(view_info_.d[2]) : -1;
    eval_prompts_ = info ? int(view_info_.d[3]) : 0;
    loss_at_eval_n_ = at_eval_n_[0] = info ? view_info_.d[4] : NAN;
    at_eval_n_[1] = info ? view_info_.d[5] : NAN;
    at_eval_n_[2] = info ? view_info_.d[6] : NAN;
  }

  void outputs_replaced() override { derive_view_data(); }

  // The snapshot history (S, H, D, D) and (S, H, D), the latest of them, each
  // snapshot's color ranges, and Σ_h ω_h μ_h, Σ_h μ_h at every snapshot.
  void refresh_snapshots(int S, int H, int D) {
    static const float kNone = 0.0f;
    kq_history_.set({S, H, D, D}, S > 0 ? trainer_.snapshot_kq(0, 0) : &kNone);
    ov_history_.set({S, H, D}, S > 0 ? trainer_.snapshot_ov(0, 0) : &kNone);
    kq_.set({S > 0 ? H : 0, D, D}, S > 0 ? trainer_.snapshot_kq(S - 1, 0) : &kNone);
    ov_.set({S > 0 ? H : 0, D}, S > 0 ? trainer_.snapshot_ov(S - 1, 0) : &kNone);
    std::vector<float> steps(static_cast<size_t>(S));
    pattern_.resize(S);
    for (int i = 0; i < S; ++i) {
      double om = 0, mu_sum = 0;
      for (int h = 0; h < H; ++h) {
        const float *kq = trainer_.snapshot_kq(i, h), *ov = trainer_.snapshot_ov(i, h);
        double diag = 0;
        for (int k = 0; k < d_; ++k) diag += kq[k * D + k];
        const double omega = diag / d_ / std::sqrt(double(D)), mu = ov[d_];  // as mha_head_pattern
        om += omega * mu;
        mu_sum += mu;
      }
      steps[size_t(i)] = float(trainer_.snapshot_step(i));
      pattern_.col(0)[i] = steps[size_t(i)];
      pattern_.col(1)[i] = float(om);
      pattern_.col(2)[i] = float(mu_sum);
    }
    snapshot_steps_.set({S}, S > 0 ? steps.data() : &kNone);
  }

  // Model loss against evaluation length (allocates: at reset, run end, or on request).
  void compute_lengths() {
    std::vector<int> ls(std::begin(kLengths), std::end(kLengths));
    ls.push_back(n_);
    ls.push_back(eval_n_);
    std::sort(ls.begin(), ls.end());
    ls.erase(std::unique(ls.begin(), ls.end()), ls.end());
    const std::vector<icl::LengthPoint> points = trainer_.length_curve(ls, kLengthPrompts);
    length_at_step_ = trainer_.metrics().step;
    lengths_out_.clear();
    loss_at_eval_n_ = NAN;
    for (const icl::LengthPoint& p : points) {
      lengths_out_.push({float(p.length), float(p.model_mse), float(p.gd_risk_tuned), float(p.debiased_gd_risk),
                          float(p.ridge_risk_asymptotic)});
      if (p.length == eval_n_) {
        loss_at_eval_n_ = p.model_mse;
        at_eval_n_[0] = p.model_mse, at_eval_n_[1] = p.debiased_gd_risk, at_eval_n_[2] = p.gd_risk_tuned;
      }
    }
    publish_view_info();
    derive_view_data();
  }

  // ------------------------------------------------------------------ views
  void draw_loss_plot(const ViewContext& v) const {
    const float h = v.height > 0 ? v.height - v.font_size * 1.8f : v.font_size * 16;
    plot::LinePlot p("##loss", ImVec2(v.width, std::max(h, v.font_size * 8)));
    p.axes("step", "MSE", /*log_y=*/true);
    p.x_range(0, steps_);
    p.y_range(std::max(0.5 * std::min(ridge_level_, ols_level_), 1e-3), 2.5);
    p.line("training loss (batch mean)", loss_curve_.col(0), loss_curve_.col(1), loss_curve_.rows(), plot::palette(0));
    p.points("evaluation MSE", eval_curve_.col(0), eval_curve_.col(1), eval_curve_.rows(), plot::palette(1));
    // The references are flat dashed series (named in the legend): as labelled
    // hlines, tuned and debiased GD sit too close for their labels.
    p.line("tuned one-step GD", ref_x_, ref_y_[kRefGd], kRefPoints, plot::palette(4), true);
    p.line("debiased GD", ref_x_, ref_y_[kRefDebiased], kRefPoints, plot::palette(3), true);
    p.line("ridge (Bayes optimal)", ref_x_, ref_y_[kRefRidge], kRefPoints, plot::palette(2), true);
    if (n_ >= d_ + 2) p.line("OLS", ref_x_, ref_y_[kRefOls], kRefPoints, plot::palette(5), true);
    p.draw();
    ImGui::TextDisabled("Reference lines: the classical estimators on the same %d evaluation prompts.",
                        eval_prompts_);
  }

  // Per-head KQ (D, D) and OV (1, D) of one snapshot, one shared symmetric color range each.
  void draw_matrices(const ViewContext& v) {
    const int S = int(snapshot_steps_.size()), H = heads(), D = d_ + 1;
    if (S == 0) return;
    int shown = view_snapshot_ < 0 || view_snapshot_ >= S ? S - 1 : view_snapshot_;
    // The step is written on the slider itself, so a narrow (phone) column
    // has no text squeezed beside it.
    char label[64];
    std::snprintf(label, sizeof label, "snapshot at step %d%s", int(snapshot_steps_.f[size_t(shown)]),
                  view_snapshot_ < 0 ? " (latest)" : "");
    ImGui::SetNextItemWidth(std::min(v.font_size * 22, ImGui::GetContentRegionAvail().x - v.font_size * 2.5f));
    if (ImGui::SliderInt("##snapshot", &shown, 0, S - 1, label)) view_snapshot_ = shown == S - 1 ? -1 : shown;  // input only
    ui::help_marker("Scrub back through training: the matrices are kept every 100 steps (thinned as the run grows).");
    const float kq_max = snap_scale_[2 * size_t(shown)], ov_max = snap_scale_[2 * size_t(shown) + 1];
    const float* kq = kq_history_.f.data() + size_t(shown) * H * D * D;
    const float* ov = ov_history_.f.data() + size_t(shown) * H * D;
    const int cols = std::min(H, 4);
    const float gap = ImGui::GetStyle().ItemSpacing.x, font = v.font_size;
    const float w = std::min((v.width - gap * (cols - 1)) / cols, font * 13.0f);
    for (int h = 0; h < H; ++h) {
      if (h % cols) ImGui::SameLine();
      ImGui::BeginGroup();
      ImGui::PushID(h);
      char title[32];
      plot::HeatmapStyle hs;
      hs.map = plot::Colormap::diverging;
      hs.colorbar = false;
      hs.vmin = -kq_max, hs.vmax = kq_max;
      std::snprintf(title, sizeof title, "head %d: KQ", h + 1);
      hs.title = title;
      plot::heatmap("##kq", ImVec2(w, w + font * 1.4f), kq + size_t(h) * D * D, D, D, hs);
      hs.vmin = -ov_max, hs.vmax = ov_max;
      hs.title = "OV";
      plot::heatmap("##ov", ImVec2(w, w / D + font * 1.4f), ov + size_t(h) * D, 1, D, hs);
      ImGui::PopID();
      ImGui::EndGroup();
    }
    ImGui::TextDisabled("Blue negative, red positive; KQ within ±%.2f, OV within ±%.2f.  The last row/column is y.",
                        kq_max, ov_max);
  }

  // (omega_h, mu_h) per head, and sum_h omega_h mu_h against the optimal steps.
  void draw_pairs(const ViewContext& v) const {
    const int H = heads();
    const float font = v.font_size;
    const float side = std::min(font * 15.0f, v.width * 0.4f);
    ImGui::BeginGroup();
    ImGui::Text("(ω_h, μ_h) per head");
    plot::ScatterStyle ss;
    ss.x_min = -1.2 * pair_range_[0], ss.x_max = 1.2 * pair_range_[0];
    ss.y_min = -1.2 * pair_range_[1], ss.y_max = 1.2 * pair_range_[1];
    ss.equal_aspect = false;
    ss.radius = 4;
    ss.arrows = pair_xy_;
    ss.num_arrows = H;
    plot::scatter("##pairs", ImVec2(side, side), pair_xy_, pair_cls_, H, ss);
    ImGui::TextDisabled("x: ω_h   y: μ_h (eval step %d)", eval_step_);
    ImGui::EndGroup();
    ImGui::SameLine();
    plot::LinePlot p("##step", ImVec2(-1, side + font * 2.4f));
    p.axes("step", "Σ_h ω_h μ_h  (the GD step)");
    p.x_range(0, steps_);
    p.line("Σ ω_h μ_h", pattern_.col(0), pattern_.col(1), pattern_.rows(), plot::palette(0));
    p.line("Σ μ_h", pattern_.col(0), pattern_.col(2), pattern_.rows(), plot::palette(1));
    p.y_range(-1.0, 1.4);
    p.hline(best_debiased_step_, "best debiased-GD step", plot::palette(3));
    p.draw();
  }

  void draw_lengths(const ViewContext& v) {
    if (ImGui::Button("Recompute now") && v.act) v.act("lengths");  // input: the learner asks for it
    ImGui::SameLine();
    ImGui::TextDisabled("Computed at step %d (at reset and when the run finishes), %d prompts per length.",
                        length_at_step_, kLengthPrompts);
    const Series& s = lengths_out_;
    const int m = s.rows();
    plot::LinePlot p("##lengths", ImVec2(v.width, v.height > 0 ? v.height : v.font_size * 14));
    p.axes("evaluation length", "MSE", /*log_y=*/true);
    p.line("trained model", s.col(0), s.col(1), m, plot::palette(0));
    p.line("debiased GD, the model's step (closed)", s.col(0), s.col(3), m, plot::palette(3), true);
    p.line("GD, step tuned per length (closed)", s.col(0), s.col(2), m, plot::palette(4), true);
    p.line("ridge (asymptotic)", s.col(0), s.col(4), m, plot::palette(2), true);
    p.vline(n_, "trained n");
    p.vline(eval_n_, "eval");
    p.draw();
    if (std::isfinite(loss_at_eval_n_))
      ImGui::Text("At length %d: model %.4f, debiased GD with its step %.4f, tuned GD %.4f", eval_n_, at_eval_n_[0],
                  at_eval_n_[1], at_eval_n_[2]);
  }

  int heads_choice_ = 2, d_ = 5, n_ = 40, eval_n_ = 80, steps_ = 6000;
  double noise_ = 0.1, lr_ = 3e-3;
  bool opposite_ = false;
  icl::MhaTrainer trainer_;

  // Plain copies for the views, refreshed in step (see refresh_outputs).
  icl::MhaMetrics metrics_;
  int eval_prompts_ = 0;
  float pair_xy_[2 * icl::kMaxHeads] = {};  // (H, 2): omega_h, mu_h
  int pair_cls_[icl::kMaxHeads] = {};
  double pair_range_[2] = {1e-3, 1e-3};     // max |omega|, max |mu|
  float ref_x_[kRefPoints] = {}, ref_y_[kNumRefs][kRefPoints] = {};  // the loss view's reference levels
  long snap_key_ = -1;                      // snapshot count and last step, to notice a new one
  std::vector<float> snap_scale_;           // (S, 2): max |KQ|, max |OV| over the heads of each snapshot
  int length_at_step_ = -1;
  double loss_at_eval_n_ = NAN, at_eval_n_[3] = {NAN, NAN, NAN};  // model, debiased GD, tuned GD
  double ridge_level_ = NAN, ols_level_ = NAN, best_debiased_step_ = NAN;
  int eval_step_ = 0;
  int view_snapshot_ = -1;                  // the matrices view's slider; -1: follow the latest

  // Outputs.  The trainer keeps only means over its evaluation prompts (no
  // per-prompt errors), so eval_losses holds those means: one row, the model
  // and every baseline.  pattern: per snapshot, Σ_h ω_h μ_h and Σ_h μ_h.
  Series& loss_curve_ = outputs_.series("train_loss", {"step", "loss"});  // mean of the window ending at step
  Series& eval_curve_ = outputs_.series("eval_mse", {"step", "model"});   // on the evaluation prompts
  Series& eval_losses_ = outputs_.series("eval_losses", {"model", "ridge", "ols", "gd_tuned", "debiased_gd",
                                                         "averaging", "knn"});
  Series& pattern_ = outputs_.series("pattern", {"step", "omega_mu_sum", "mu_sum"});
  Series& lengths_out_ = outputs_.series("length_curve", {"length", "model", "gd_tuned", "debiased_gd",
                                                          "ridge_asymptotic"});
  Array& kq_ = outputs_.array("kq");                          // (H, D, D) latest snapshot
  Array& ov_ = outputs_.array("ov");                          // (H, D) latest snapshot
  Array& kq_history_ = outputs_.array("kq_history");          // (S, H, D, D)
  Array& ov_history_ = outputs_.array("ov_history");          // (S, H, D)
  Array& snapshot_steps_ = outputs_.array("snapshot_steps");  // (S,)
  Array& omega_ = outputs_.array("omega");                    // (H,) f64, at the last evaluation
  Array& mu_ = outputs_.array("mu");                          // (H,) f64
  // (7,) f64: eval step, best debiased-GD step, step of the length curve,
  // evaluation prompts, and at the evaluation length the model's MSE, debiased GD's, tuned GD's.
  enum { kViewInfo = 7 };
  Array& view_info_ = outputs_.array("view_info");
};

}  // namespace

PG_REGISTER_LESSON(IclMultihead, 8);

}  // namespace pg
