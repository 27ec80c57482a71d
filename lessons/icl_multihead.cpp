// icl_multihead.cpp - Lesson: "In-Context Linear Regression Demystified:
// Training Dynamics and Mechanistic Interpretability of Multi-Head Softmax
// Attention" (He, Pan, Chen & Yang, 2025, arXiv:2503.12734).
//
// One layer of multi-head softmax attention is trained live, with Adam, on
// fresh in-context regression prompts (engine/icl/mha_trainer.h).  As it
// trains, every head's KQ = K^T Q turns into a multiple of the identity on the
// x-block and its OV = O V reads only the y-slot; the heads pair up with
// opposite signs, and the pair computes debiased gradient descent.  The panel
// shows the loss against classical estimators, the matrices forming, the
// per-head (omega, mu) pairs, the effective GD step they implement, and how
// the trained model does on longer prompts than it was trained on.
//
// One work unit = one Adam step.  When the run ends, the length curve is
// computed once (it allocates); the panel can also ask for it mid-run.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "engine/icl/mha_trainer.h"
#include "lessons/lesson.h"
#include "web/plots.h"
#include "web/ui.h"

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
    "Train multi-head softmax attention live and watch its heads pair up into debiased gradient descent.",
};

const int kHeadChoices[] = {1, 2, 4, 8};
const int kLengths[] = {10, 20, 30, 40, 60, 80, 100, 120, 160};  // the length-generalization grid
constexpr int kLengthPrompts = 512;

class IclMultihead : public Lesson {
 public:
  const LessonInfo& info() const override { return kInfo; }

  void declare(ParamList& p) override {
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
    lengths_.clear();
    length_at_step_ = -1;
    cache_step_ = -1;
    snap_cache_key_ = -1;
    view_snapshot_ = -1;
  }

  int step(int max_steps, double budget_ms) override {
    const int left = steps_ - trainer_.metrics().step;
    const int done = left > 0 ? trainer_.step(std::min(max_steps, left), budget_ms) : 0;
    if (trainer_.metrics().step >= steps_ && length_at_step_ != steps_) compute_lengths();
    return done;
  }

  bool done() const override { return trainer_.diverged() || trainer_.metrics().step >= steps_; }
  std::string problem() const override { return trainer_.diverged() ? trainer_.message() : ""; }

  void live_param_changed(const ParamSpec& spec) override {
    if (spec.key == "eval_n" && !lengths_.empty()) compute_lengths();  // a knob change, not a frame
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
    for (const icl::LengthPoint& p : lengths_)
      if (p.length == eval_n_) out.add("loss_at_eval_n", p.model_mse);
    out.add_timing("steps_per_second", trainer_.steps_per_second());
  }

  void draw(PanelContext& ctx) override;

 private:
  int heads() const { return kHeadChoices[heads_choice_]; }

  // Model loss against evaluation length (allocates: at run end or on request).
  void compute_lengths() {
    std::vector<int> ls(std::begin(kLengths), std::end(kLengths));
    ls.push_back(n_);
    ls.push_back(eval_n_);
    std::sort(ls.begin(), ls.end());
    ls.erase(std::unique(ls.begin(), ls.end()), ls.end());
    lengths_ = trainer_.length_curve(ls, kLengthPrompts);
    length_at_step_ = trainer_.metrics().step;
    len_x_.clear(), len_model_.clear(), len_gd_.clear(), len_deb_.clear(), len_ridge_.clear();
    for (const icl::LengthPoint& p : lengths_) {
      len_x_.push_back(float(p.length));
      len_model_.push_back(float(p.model_mse));
      len_gd_.push_back(float(p.gd_risk_tuned));
      len_deb_.push_back(float(p.debiased_gd_risk));
      len_ridge_.push_back(float(p.ridge_risk_asymptotic));
    }
  }

  // Loss curves as floats, rebuilt when the trainer has moved on.
  void update_curve_cache() {
    if (cache_step_ == trainer_.metrics().step) return;
    cache_step_ = trainer_.metrics().step;
    const int m = trainer_.curve_size(), e = trainer_.eval_curve_size();
    curve_x_.resize(size_t(m)), curve_y_.resize(size_t(m));
    for (int i = 0; i < m; ++i) curve_x_[i] = float(trainer_.curve_step(i)), curve_y_[i] = trainer_.curve_loss(i);
    eval_x_.resize(size_t(e)), eval_y_.resize(size_t(e));
    for (int i = 0; i < e; ++i) eval_x_[i] = float(trainer_.eval_curve_step(i)), eval_y_[i] = trainer_.eval_curve_mse(i);
  }

  // Sum over heads of omega_h mu_h (and of mu_h) at every snapshot.
  void update_snapshot_cache() {
    const int S = trainer_.num_snapshots();
    const long key = long(S) * 1000003L + (S > 0 ? trainer_.snapshot_step(S - 1) : 0);
    if (key == snap_cache_key_) return;
    snap_cache_key_ = key;
    const int H = heads(), D = d_ + 1;
    snap_x_.resize(size_t(S)), snap_omega_mu_.resize(size_t(S)), snap_mu_.resize(size_t(S));
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
      snap_x_[i] = float(trainer_.snapshot_step(i));
      snap_omega_mu_[i] = float(om);
      snap_mu_[i] = float(mu_sum);
    }
  }

  void draw_loss_plot();
  void draw_matrices();
  void draw_pairs();
  void draw_lengths();
  void draw_paper();

  int heads_choice_ = 2, d_ = 5, n_ = 40, eval_n_ = 80, steps_ = 6000;
  double noise_ = 0.1, lr_ = 3e-3;
  bool opposite_ = false;
  icl::MhaTrainer trainer_;

  std::vector<icl::LengthPoint> lengths_;
  int length_at_step_ = -1;
  std::vector<float> len_x_, len_model_, len_gd_, len_deb_, len_ridge_;

  int cache_step_ = -1;
  std::vector<float> curve_x_, curve_y_, eval_x_, eval_y_;
  long snap_cache_key_ = -1;
  std::vector<float> snap_x_, snap_omega_mu_, snap_mu_;
  int view_snapshot_ = -1;  // -1: follow the latest
};

// ------------------------------------------------------------ panel pieces

void IclMultihead::draw_loss_plot() {
  update_curve_cache();
  const icl::MhaMetrics& m = trainer_.metrics();
  // The references are flat dashed series (named in the legend): as labelled
  // hlines, tuned and debiased GD sit too close for their labels.
  const float ends[2] = {0.0f, float(steps_)};
  const float gd[2] = {float(m.gd_loss), float(m.gd_loss)}, deb[2] = {float(m.debiased_gd_loss), float(m.debiased_gd_loss)};
  const float ridge[2] = {float(m.ridge_loss), float(m.ridge_loss)}, ols[2] = {float(m.ols_loss), float(m.ols_loss)};
  plot::LinePlot p("##loss", ImVec2(-1, ImGui::GetFontSize() * 16));
  p.axes("step", "MSE", /*log_y=*/true);
  p.x_range(0, steps_);
  p.y_range(std::max(0.5 * std::min(m.ridge_loss, m.ols_loss), 1e-3), 2.5);
  p.line("training loss (batch mean)", curve_x_.data(), curve_y_.data(), int(curve_x_.size()), plot::palette(0));
  p.points("evaluation MSE", eval_x_.data(), eval_y_.data(), int(eval_x_.size()), plot::palette(1));
  p.line("tuned one-step GD", ends, gd, 2, plot::palette(4), true);
  p.line("debiased GD", ends, deb, 2, plot::palette(3), true);
  p.line("ridge (Bayes optimal)", ends, ridge, 2, plot::palette(2), true);
  if (n_ >= d_ + 2) p.line("OLS", ends, ols, 2, plot::palette(5), true);
  p.draw();
  ImGui::TextDisabled("Reference lines: the classical estimators on the same %d evaluation prompts.",
                      trainer_.config().eval_prompts);
}

// Per-head KQ (D, D) and OV (1, D), one shared symmetric color range each.
void IclMultihead::draw_matrices() {
  const int S = trainer_.num_snapshots(), H = heads(), D = d_ + 1;
  if (S == 0) return;
  int shown = view_snapshot_ < 0 || view_snapshot_ >= S ? S - 1 : view_snapshot_;
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 16);
  if (ImGui::SliderInt("snapshot", &shown, 0, S - 1, "")) view_snapshot_ = shown == S - 1 ? -1 : shown;
  ImGui::SameLine();
  ImGui::Text("step %d%s", trainer_.snapshot_step(shown), view_snapshot_ < 0 ? " (latest)" : "");
  ui::help_marker("Scrub back through training: the matrices are kept every 100 steps (thinned as the run grows).");
  float kq_max = 1e-6f, ov_max = 1e-6f;
  for (int h = 0; h < H; ++h) {
    const float *kq = trainer_.snapshot_kq(shown, h), *ov = trainer_.snapshot_ov(shown, h);
    for (int i = 0; i < D * D; ++i) kq_max = std::max(kq_max, std::fabs(kq[i]));
    for (int i = 0; i < D; ++i) ov_max = std::max(ov_max, std::fabs(ov[i]));
  }
  const int cols = std::min(H, 4);
  const float gap = ImGui::GetStyle().ItemSpacing.x, font = ImGui::GetFontSize();
  const float w = std::min((ImGui::GetContentRegionAvail().x - gap * (cols - 1)) / cols, font * 13.0f);
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
    plot::heatmap("##kq", ImVec2(w, w + font * 1.4f), trainer_.snapshot_kq(shown, h), D, D, hs);
    hs.vmin = -ov_max, hs.vmax = ov_max;
    hs.title = "OV";
    plot::heatmap("##ov", ImVec2(w, w / D + font * 1.4f), trainer_.snapshot_ov(shown, h), 1, D, hs);
    ImGui::PopID();
    ImGui::EndGroup();
  }
  ImGui::TextDisabled("Blue negative, red positive; KQ within ±%.2f, OV within ±%.2f.  The last row/column is y.",
                      kq_max, ov_max);
}

// (omega_h, mu_h) per head, and sum_h omega_h mu_h against the optimal steps.
void IclMultihead::draw_pairs() {
  update_snapshot_cache();
  const icl::MhaMetrics& m = trainer_.metrics();
  const int H = heads();
  float xy[2 * icl::kMaxHeads];
  int cls[icl::kMaxHeads];
  double om_max = 1e-3, mu_max = 1e-3;
  for (int h = 0; h < H; ++h) {
    xy[2 * h] = float(m.omega[h]), xy[2 * h + 1] = float(m.mu[h]), cls[h] = h;
    om_max = std::max(om_max, std::fabs(m.omega[h]));
    mu_max = std::max(mu_max, std::fabs(m.mu[h]));
  }
  const float font = ImGui::GetFontSize();
  const float side = std::min(font * 15.0f, ImGui::GetContentRegionAvail().x * 0.4f);
  ImGui::BeginGroup();
  ImGui::Text("(ω_h, μ_h) per head");
  plot::ScatterStyle ss;
  ss.x_min = -1.2 * om_max, ss.x_max = 1.2 * om_max, ss.y_min = -1.2 * mu_max, ss.y_max = 1.2 * mu_max;
  ss.equal_aspect = false;
  ss.radius = 4;
  ss.arrows = xy;
  ss.num_arrows = H;
  plot::scatter("##pairs", ImVec2(side, side), xy, cls, H, ss);
  ImGui::TextDisabled("x: ω_h   y: μ_h (eval step %d)", m.eval_step);
  ImGui::EndGroup();
  ImGui::SameLine();
  plot::LinePlot p("##step", ImVec2(-1, side + font * 2.4f));
  p.axes("step", "Σ_h ω_h μ_h  (the GD step)");
  p.x_range(0, steps_);
  p.line("Σ ω_h μ_h", snap_x_.data(), snap_omega_mu_.data(), int(snap_x_.size()), plot::palette(0));
  p.line("Σ μ_h", snap_x_.data(), snap_mu_.data(), int(snap_x_.size()), plot::palette(1));
  p.y_range(-1.0, 1.4);
  p.hline(m.debiased_gd_step_opt, "best debiased-GD step", plot::palette(3));
  p.draw();
}

void IclMultihead::draw_lengths() {
  if (ImGui::Button(lengths_.empty() ? "Compute now" : "Recompute now")) compute_lengths();
  ImGui::SameLine();
  if (lengths_.empty())
    ImGui::TextDisabled("Computed when the run finishes (%d prompts per length), or now with the button.", kLengthPrompts);
  else
    ImGui::TextDisabled("Computed at step %d, %d prompts per length.", length_at_step_, kLengthPrompts);
  if (lengths_.empty()) return;
  const int m = int(len_x_.size());
  plot::LinePlot p("##lengths", ImVec2(-1, ImGui::GetFontSize() * 14));
  p.axes("evaluation length", "MSE", /*log_y=*/true);
  p.line("trained model", len_x_.data(), len_model_.data(), m, plot::palette(0));
  p.line("debiased GD, the model's step (closed)", len_x_.data(), len_deb_.data(), m, plot::palette(3), true);
  p.line("GD, step tuned per length (closed)", len_x_.data(), len_gd_.data(), m, plot::palette(4), true);
  p.line("ridge (asymptotic)", len_x_.data(), len_ridge_.data(), m, plot::palette(2), true);
  p.vline(n_, "trained n");
  p.vline(eval_n_, "eval");
  p.draw();
  for (const icl::LengthPoint& pt : lengths_)
    if (pt.length == eval_n_) {
      ImGui::Text("At length %d: model %.4f, debiased GD with its step %.4f, tuned GD %.4f", pt.length,
                  pt.model_mse, pt.debiased_gd_risk, pt.gd_risk_tuned);
    }
}

void IclMultihead::draw_paper() {
  const icl::MhaMetrics& m = trainer_.metrics();
  const bool same = d_ == 5 && n_ == 40 && std::fabs(noise_ - 0.1) < 1e-9;
  const bool single = heads() == 1;
  const char* note = same ? "Same setting (d = 5, L = 40, σ² = 0.1); live at the current step." :
                            "Live values are for the current setting, not the paper's (d = 5, L = 40, σ² = 0.1).";
  const ui::PaperRow rows[] = {
      {"multi-head attention, MSE", "0.243", single ? NAN : m.eval_mse, "%.3f (live)", note},
      {"one-step GD (tuned), MSE", "0.241", m.gd_loss, "%.3f (live)", "Monte Carlo on the evaluation prompts."},
      {"debiased GD (tuned), MSE", "0.243", m.debiased_gd_loss, "%.3f (live)", "Monte Carlo on the evaluation prompts."},
      {"single-head attention, MSE", "0.405", single ? m.eval_mse : NAN, "%.3f (live)", "Live when heads = 1."},
      {"ridge (Bayes optimal), MSE", "0.115", m.ridge_loss, "%.3f (live)",
       "The best any estimator can do; one softmax layer is not expected to reach it."},
  };
  ui::paper_table("##paper", rows, 5);
  ImGui::TextDisabled("Paper column: the official repository's notebook at d = 5, L = 40, as noted in our catalogue.");
  if (!same) ImGui::TextDisabled("Set d = 5, n = 40, σ² = 0.1 to compare like with like.");
}

void IclMultihead::draw(PanelContext& ctx) {
  (void)ctx;
  if (ui::section("The problem")) {
    ui::paragraph(
        "Each prompt is a fresh linear regression task: x_l ~ N(0, I_d), β ~ N(0, I/d), y_l = β^T x_l + ε_l.  "
        "A transformer sees n pairs (x_l, y_l) and a query x_q and must predict y_q.  Linear attention is "
        "known to be able to implement gradient descent on the prompt (see the icl-gd lesson).  But "
        "real transformers use softmax attention: what does a trained softmax layer compute?");
  }
  if (ui::section("The method")) {
    ui::paragraph("One layer, H heads, tokens z_l = (x_l, y_l) and query z_q = (x_q, 0), D = d + 1, no biases, "
                  "the query attends only to the context (eq. 2.2 of the paper):");
    ui::equation("y_pred = Σ_h O_h V_h Z softmax( Z^T K_h^T Q_h z_q / √D )");
    ui::paragraph("Trained with Adam on the squared error over fresh prompts, each head settles into a simple form:");
    ui::equation("K_h^T Q_h ≈ ω_h √D [[I_d, 0], [0, 0]],     O_h V_h ≈ (0, ..., 0, μ_h)");
    ui::paragraph("so head h outputs μ_h Σ_l softmax(ω_h a)_l y_l with a_l = x_l^T x_q.  For small ω the softmax is "
                  "nearly uniform, softmax(ω a)_l ≈ (1 + ω (a_l − mean(a))) / n, and a pair of heads (+ω, +μ), "
                  "(−ω, −μ) cancels the even terms:");
    ui::equation("y_pred ≈ (η/n) Σ_l y_l (x_l − x_mean)^T x_q,     η = Σ_h ω_h μ_h");
    ui::paragraph("That is debiased GD: one GD step with the inputs centred on their mean.  A single head "
                  "cannot cancel the (μ/n) Σ y_l term and does worse.  The loss of one GD step in closed form:");
    ui::equation("R(η) = σ² + 1 − 2η + η² (n + d + 1 + σ² d) / n,     η* = n / (n + d + 1 + σ² d)");
  }
  if (ui::section("Try this")) {
    ui::all_knobs(ctx);
    ui::bullet("Press Play: within a few thousand steps the loss drops to the tuned-GD line.");
    ui::bullet("Watch the KQ heatmaps turn diagonal and the OV strips light up only at the last (y) entry.");
    ui::bullet("Heads = 1: the loss stays well above GD.  Heads = 2 or 4: the heads pair up with opposite signs.");
    ui::bullet("After the run, read the length plot: the model trained at n keeps improving on longer prompts.");
    ImGui::Spacing();
    const icl::MhaMetrics& m = trainer_.metrics();
    ui::metric("evaluation MSE (live):", "%.4f", m.eval_mse);
    ImGui::SameLine();
    ImGui::TextDisabled("  tuned GD %.4f   debiased GD %.4f   ridge %.4f", m.gd_loss, m.debiased_gd_loss, m.ridge_loss);
    draw_loss_plot();
    ImGui::Text("What each head learned: KQ = K^T Q (D × D) and OV = O V (1 × D)");
    draw_matrices();
    ui::metric("share of OV on the y entry:", "%.3f", m.ov_last_entry_frac);
    ui::help_marker("Σ_h |μ_h| / Σ_h ||OV_h||: 1 when every head reads only the y-slot of the tokens it attends to.");
    ui::metric("share of KQ's x-block on ω I:", "%.3f", m.kq_identity_frac_weighted);
    ui::help_marker("How much of each head's x-block is a multiple of the identity, weighted by |μ_h|.");
    ImGui::Spacing();
    draw_pairs();
    ui::metric("Σ_h ω_h μ_h (the model's GD step):", "%.4f", m.omega_mu_sum);
    ImGui::SameLine();
    ImGui::TextDisabled("  optimal: debiased %.4f, plain GD %.4f;  Σ_h μ_h = %.4f", m.debiased_gd_step_opt,
                        m.gd_step_opt, m.mu_sum);
    ImGui::Spacing();
    ImGui::Text("Length generalization: the trained model on prompts of other lengths");
    draw_lengths();
  }
  if (ui::section("What the paper reports")) draw_paper();
}

}  // namespace

std::unique_ptr<Lesson> make_icl_multihead() { return std::make_unique<IclMultihead>(); }

}  // namespace pg
