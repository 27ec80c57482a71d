// transformers_as_svm.cpp - Lesson: "Transformers as Support Vector Machines"
// (Tarzanagh, Li, Thrampoulidis & Oymak, 2023, arXiv:2308.16898; official
// code https://github.com/umich-sota/TF-as-SVM).
//
// One attention layer reads tokens X (T, d) with a query z and outputs
// f(X) = v^T X^T softmax(X W z).  Trained by (normalized) gradient descent on
// a logistic loss, W grows without bound, but its direction converges to the
// solution W_mm of a hard-margin SVM that separates the optimal token from
// the others: min ||W||_F s.t. (x_opt - x_t)^T W z >= 1.  This lesson solves
// that SVM (Hildreth's dual coordinate ascent, engine/icl/att_svm.h), shows
// its KKT residuals, and runs GD live next to it.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "engine/icl/att_svm.h"
#include "engine/rng.h"
#include "lessons/lesson.h"
#include "web/plots.h"
#include "web/ui.h"

namespace pg {
namespace {

const LessonInfo kInfo = {
    "transformers-as-svm",
    "Transformers as Support Vector Machines",
    "Tarzanagh, Li, Thrampoulidis & Oymak",
    2023,
    "2308.16898",
    "https://github.com/umich-sota/TF-as-SVM",
    "B. In-context learning",
    LessonKind::icl,
    "Gradient descent on attention weights turns toward a max-margin SVM that picks the optimal token.",
};

constexpr int kFramesPerRun = 150;  // a run animates over about this many frames
constexpr int kEntries = 4;         // the top-left 2x2 block of W, tracked per step

// <x, W z> for W (d, d).
double bilinear(const double* x, const double* W, const double* z, int d) {
  double acc = 0.0;
  for (int r = 0; r < d; ++r) {
    double wz = 0.0;
    for (int c = 0; c < d; ++c) wz += W[r * d + c] * z[c];
    acc += x[r] * wz;
  }
  return acc;
}

class TransformersAsSvm : public Lesson {
 public:
  const LessonInfo& info() const override { return kInfo; }

  void declare(ParamList& p) override {
    p.real("lr", "step size η", &lr_, 0.01, 1, 0.1,
           "Normalized GD: W ← W − η ∇L / ‖∇L‖_F, so every step has length η (the official code uses 0.1).", true);
    p.real("init", "initialization scale", &init_, 0.01, 10, 0.1,
           "Initial weights are N(0, s²/d).  A large start can lock GD onto a locally optimal token.", true);
    p.integer("tokens", "tokens T", &tokens_, 3, 6, 4, "Tokens per sample (one of them is optimal).");
    p.integer("samples", "samples n", &samples_, 1, 8, 1,
              "Training samples, each with its own tokens, query and label.  Many samples in a small d may "
              "leave no W that separates every optimal token.");
    p.integer("d", "dimension d", &dim_, 2, 8, 2,
              "Token dimension.  d = 2 draws exactly; larger d is over-parameterized (the paper: helps global "
              "convergence).");
    p.choice("param", "parameterization", &param_, {"W", "KQ^T"}, 0,
             "Train W directly (limit: Frobenius-norm SVM) or as K Q^T with two factors (limit: nuclear-norm SVM).");
    p.integer("steps", "GD steps", &steps_, 50, 5000, 1000, "Length of the run.", true);
  }

  void reset(uint64_t seed) override {
    Rng rng(seed);
    icl::sample_att_svm(samples_, tokens_, dim_, rng, data_);
    opt_ = icl::optimal_tokens(data_);
    sol_ = icl::solve_att_svm(data_, opt_, 1e-14, 20000);
    kkt_ = icl::att_svm_kkt(data_, sol_);
    kkt_max_ = std::max({kkt_.primal, kkt_.dual, kkt_.complementarity, kkt_.stationarity});
    margin_min_ = min_margin(sol_.W.data(), opt_);
    svm_ok_ = sol_.feasible && kkt_.primal < 1e-6;
    svm_norm_ = frobenius(sol_.W);

    icl::AttGdConfig config;
    config.lr = lr_;
    config.factorized = param_ == 1;
    config.init_scale = init_;
    config.seed = rng.next_u64();
    run_.reset(data_, config);

    probs_.assign(size_t(tokens_), 0.0);
    corr_hist_.assign(size_t(steps_) + 1, NAN);
    prob_hist_.assign(size_t(steps_) + 1, NAN);
    norm_hist_.assign(size_t(steps_) + 1, NAN);
    for (auto& h : entry_hist_) h.assign(size_t(steps_) + 1, NAN);
    record(0);
    per_call_ = std::max(1, steps_ / kFramesPerRun);
    local_key_.clear();  // the panel's locally-optimal SVM is recomputed
    view_sample_ = 0;
  }

  // One unit = one normalized GD step.  At most per_call_ per call, so the
  // run animates over a couple of seconds whatever its length.
  int step(int max_steps, double budget_ms) override {
    int done = 0;
    const int limit = std::min(max_steps, per_call_);
    while (done < limit && !this->done()) {
      run_.step(1, budget_ms);
      record(run_.steps());
      ++done;
    }
    return done;
  }

  bool done() const override { return run_.steps() >= steps_ || !std::isfinite(run_.loss()); }

  std::string problem() const override {
    return std::isfinite(run_.loss()) ? "" : "The loss is not finite: the run diverged.  Lower η and reset.";
  }

  void metrics(MetricList& out) const override {
    const int t = run_.steps();
    out.add("correlation", corr_hist_[t]);
    out.add("opt_token_prob", prob_hist_[t]);
    out.add("w_norm", norm_hist_[t]);
    out.add("kkt_max_violation", kkt_max_);
    out.add("svm_margin_min", margin_min_);
    out.add("svm_norm", svm_norm_);
    out.add("loss", run_.loss());
    out.add("gd_steps", t);
  }

  void draw(PanelContext& ctx) override;

 private:
  static double frobenius(const std::vector<double>& W) {
    double s = 0.0;
    for (double w : W) s += w * w;
    return std::sqrt(s);
  }

  // min over samples i and tokens t != sel_i of (x_sel - x_t)^T W z_i.
  double min_margin(const double* W, const std::vector<int>& sel) const {
    double m = INFINITY;
    for (int i = 0; i < data_.n; ++i) {
      const double s_opt = bilinear(data_.token(i, sel[i]), W, data_.query(i), data_.d);
      for (int t = 0; t < data_.T; ++t)
        if (t != sel[i]) m = std::min(m, s_opt - bilinear(data_.token(i, t), W, data_.query(i), data_.d));
    }
    return m;
  }

  // Softmax weight on opt_i, averaged over samples (no allocation).
  double opt_prob() {
    double sum = 0.0;
    for (int i = 0; i < data_.n; ++i) {
      icl::att_forward(data_, i, run_.W().data(), probs_.data());
      sum += probs_[opt_[i]];
    }
    return sum / data_.n;
  }

  void record(int t) {
    const std::vector<double>& W = run_.W();
    const double norm = run_.norm();
    corr_hist_[t] = float(run_.correlation(sol_.W));
    prob_hist_[t] = float(opt_prob());
    norm_hist_[t] = float(norm);
    const int d = data_.d;
    const int idx[kEntries] = {0, 1, d, d + 1};
    for (int k = 0; k < kEntries; ++k) entry_hist_[k][t] = float(norm > 0 ? W[idx[k]] / norm : 0.0);
  }

  void update_local_svm();
  void draw_tokens(float side);

  double lr_ = 0.1, init_ = 0.1;
  int tokens_ = 4, samples_ = 1, dim_ = 2, param_ = 0, steps_ = 1000;
  icl::AttSvmData data_;
  std::vector<int> opt_;
  icl::AttSvmSolution sol_;
  icl::KktResiduals kkt_;
  double kkt_max_ = 0, margin_min_ = 0, svm_norm_ = 0;
  bool svm_ok_ = true;
  icl::AttGdRun run_;
  int per_call_ = 1;
  std::vector<double> probs_;  // (T,)
  std::vector<float> corr_hist_, prob_hist_, norm_hist_, entry_hist_[kEntries];  // (steps + 1,)
  // Panel state: the SVM for the tokens GD currently selects, when they differ
  // from the optimal ones (local convergence), cached by that selection.
  std::vector<int> local_key_, selected_;
  icl::AttSvmSolution local_sol_;
  bool local_ok_ = false;
  int view_sample_ = 0;
};

void TransformersAsSvm::update_local_svm() {
  selected_ = icl::selected_tokens(data_, run_.W().data());
  if (selected_ == local_key_) return;
  local_key_ = selected_;
  local_sol_ = icl::solve_att_svm(data_, selected_, 1e-14, 20000);
  local_ok_ = local_sol_.feasible && icl::att_svm_kkt(data_, local_sol_).primal < 1e-6;
}

// ------------------------------------------------------------ the 2-D picture
// Tokens of one sample on the unit circle (the optimal one green), the query
// z (yellow), and three directions: Y v (green: the token furthest along it
// is optimal), W_mm z (blue: the SVM's effective query) and W z (orange:
// GD's), drawn with lengths 1, 0.85 and 0.7 (directions only).  Attention weights token t by e^<x_t, W z>, so the arrow W z decides.
void TransformersAsSvm::draw_tokens(float side) {
  const int i = std::min(view_sample_, data_.n - 1), T = data_.T, d = data_.d;
  float xy[2 * 8], arrows[3 * 2];
  int classes[8];
  for (int t = 0; t < T; ++t) {
    xy[2 * t] = float(data_.token(i, t)[0]);
    xy[2 * t + 1] = float(data_.token(i, t)[1]);
    classes[t] = t == opt_[i] ? 2 : 3;
  }
  xy[2 * T] = float(data_.query(i)[0]);
  xy[2 * T + 1] = float(data_.query(i)[1]);
  classes[T] = 5;
  // Lengths 1, 0.85 and 0.7 so that arrow heads stay apart once aligned.
  auto unit_arrow = [&](int k, const double* W, double length) {
    double q[2] = {0, 0};
    for (int r = 0; r < 2; ++r)
      for (int c = 0; c < d; ++c) q[r] += W[r * d + c] * data_.query(i)[c];
    const double len = std::hypot(q[0], q[1]);
    arrows[2 * k] = float(len > 0 ? length * q[0] / len : 0);
    arrows[2 * k + 1] = float(len > 0 ? length * q[1] / len : 0);
  };
  unit_arrow(0, sol_.W.data(), 1.0);
  unit_arrow(1, run_.W().data(), 0.85);
  const double vlen = std::hypot(data_.v[0], data_.v[1]);
  arrows[4] = float(0.7 * data_.Y[i] * data_.v[0] / (vlen > 0 ? vlen : 1));
  arrows[5] = float(0.7 * data_.Y[i] * data_.v[1] / (vlen > 0 ? vlen : 1));
  plot::ScatterStyle style;
  style.radius = 5.0f;
  style.x_min = -1.25, style.x_max = 1.25, style.y_min = -1.25, style.y_max = 1.25;
  style.unit_circle = true;
  style.arrows = arrows;
  style.num_arrows = 3;
  plot::scatter("##tokens", ImVec2(side, side), xy, classes, T + 1, style);
}

void TransformersAsSvm::draw(PanelContext& ctx) {
  if (ui::section("The problem")) {
    ui::paragraph(
        "Attention decides which tokens to look at through softmax(X W z): a score per token, then a softmax.  "
        "What does gradient descent on W actually learn?  Tarzanagh et al. show that, for one attention layer, "
        "W grows without bound while its direction settles on a very specific matrix: the solution of a "
        "support vector machine that separates the most useful token of each input from all the others.  "
        "Attention, trained, becomes a max-margin token selector.");
  }
  if (ui::section("The method")) {
    ui::paragraph("Sample i: tokens X (T × d, rows x_t), a query z, a label Y = ±1, a fixed value head v:");
    ui::equation("f(X) = v^T X^T softmax(X W z)        L(W) = mean_i log(1 + e^(−Y_i f(X_i)))");
    ui::paragraph("The loss wants all attention on the token with the largest Y <v, x_t>: the optimal token x_opt.  "
                  "Softmax never puts weight exactly 1 on it, so the scores keep growing and ‖W‖ → ∞.  The direction "
                  "it takes is that of the attention SVM (Att-SVM):");
    ui::equation("W_mm = argmin ‖W‖_F   s.t.   (x_opt − x_t)^T W z ≥ 1   for every sample and every t ≠ opt");
    ui::paragraph("The claim: W(k) / ‖W(k)‖ → W_mm / ‖W_mm‖.  As in the official code, GD here is normalized, "
                  "W ← W − η ∇L / ‖∇L‖_F, so ‖W‖ grows about linearly and the direction shows quickly.  If W = K Q^T "
                  "is trained through its factors, the limit is instead the SVM with the nuclear norm ‖W‖_* as "
                  "objective (with one sample the two coincide: W_mm is rank one).  GD may also settle on a locally "
                  "optimal token; then the SVM for the tokens it selected is the limit.");
    ui::paragraph("W_mm is found from the dual, max_λ≥0 Σ λ_k − ½ ‖Σ λ_k a_k‖², a_k = (x_opt − x_t) z^T, one "
                  "coordinate at a time (Hildreth), then polished by a direct solve on the active constraints.");
    ui::paragraph("Teaching simplifications: unit-norm random tokens as in the official generator, a small d, and "
                  "only the Frobenius SVM is solved (for K Q^T with n > 1 it is not the exact limit).");
  }
  if (ui::section("Try this")) {
    ui::all_knobs(ctx);
    ui::bullet("Press Play and watch the orange arrow W z swing onto the blue SVM arrow W_mm z.");
    ui::bullet("Local convergence: n = 2, d = 3, T = 6, initialization 3 (seed 1).  GD locks onto tokens that are "
               "not optimal, the correlation with W_mm goes negative, yet W follows the SVM of the tokens it "
               "selected (bottom right).");
    ui::bullet("Take n = 6 samples in d = 2: maybe no W separates them all.  Raise d: over-parameterization "
               "makes the SVM feasible again.");
    ui::bullet("Switch to K Q^T: with one sample it heads to the same direction.");
    ImGui::Spacing();
    if (!svm_ok_) {
      ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1.0f, 0.55f, 0.35f, 1));
      ImGui::TextWrapped("No W separates every optimal token at this n, T, d (the Att-SVM is infeasible): the "
                         "primal residual stays at %.2g.  The correlation below has no limit to reach.  Raise d or lower n.",
                         kkt_.primal);
      ImGui::PopStyleColor();
    }
    const float avail = ImGui::GetContentRegionAvail().x, gap = ImGui::GetStyle().ItemSpacing.x;
    const float w = (avail - gap) * 0.5f, font = ImGui::GetFontSize();
    const float side = std::min(w, font * 20.0f);
    ImGui::BeginGroup();
    ImGui::Text("Tokens of sample %d%s", std::min(view_sample_, data_.n - 1) + 1,
                data_.d > 2 ? " (first two coordinates)" : "");
    draw_tokens(side);
    if (data_.n > 1) {
      ImGui::SetNextItemWidth(side * 0.6f);
      int shown = view_sample_ + 1;  // 1-based on screen, as in the caption
      if (ImGui::SliderInt("sample shown", &shown, 1, data_.n, "%d", ImGuiSliderFlags_AlwaysClamp))
        view_sample_ = shown - 1;
    }
    auto swatch = [](int color, const char* text) {
      ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(plot::palette(color)), "■");
      ImGui::SameLine(0, 4);
      ImGui::TextDisabled("%s", text);
    };
    swatch(2, "optimal token, and Y v");
    swatch(3, "other tokens");
    swatch(5, "query z");
    swatch(0, "SVM: direction of W_mm z");
    swatch(1, "GD: direction of W z");
    ImGui::EndGroup();
    ImGui::SameLine();
    ImGui::BeginGroup();
    {
      const int count = run_.steps() + 1;
      plot::LinePlot p("##entries", ImVec2(w, side));
      p.axes("step", data_.d > 2 ? "W / ‖W‖, top-left 2×2 block" : "entries of W / ‖W‖");
      p.x_range(0, steps_);
      static const char* const names[kEntries] = {"W₁₁", "W₁₂", "W₂₁", "W₂₂"};
      const int d = data_.d;
      const int idx[kEntries] = {0, 1, d, d + 1};
      for (int k = 0; k < kEntries; ++k) {
        p.line(names[k], nullptr, entry_hist_[k].data(), count, plot::palette(k + 1));
        p.hline(svm_norm_ > 0 ? sol_.W[idx[k]] / svm_norm_ : 0.0, k == 0 ? "W_mm/‖W_mm‖" : nullptr,
                plot::palette(k + 1, 0.7f));
      }
      p.draw();
      ImGui::TextDisabled("dashed: the same entries of W_mm / ‖W_mm‖");
    }
    ImGui::EndGroup();

    const int count = run_.steps() + 1;
    {
      plot::LinePlot p("##corr", ImVec2(w, font * 12));
      p.axes("step", "correlation <W, W_mm> / (‖W‖ ‖W_mm‖)");
      p.x_range(0, steps_);
      p.line("GD", nullptr, corr_hist_.data(), count, plot::palette(1));
      p.hline(1.0, "1", plot::palette(0));
      p.draw();
    }
    ImGui::SameLine();
    {
      plot::LinePlot p("##prob", ImVec2(w, font * 12));
      p.axes("step", "softmax weight on the optimal token");
      p.x_range(0, steps_);
      p.y_range(0, 1.05);
      p.line("mean over samples", nullptr, prob_hist_.data(), count, plot::palette(2));
      p.hline(1.0, "1", plot::ink(0.5f));
      p.draw();
    }
    {
      plot::LinePlot p("##norm", ImVec2(w, font * 12));
      p.axes("step", "‖W‖_F", true);
      p.x_range(0, steps_);
      p.line("GD", nullptr, norm_hist_.data(), count, plot::palette(4));
      p.hline(svm_norm_, "‖W_mm‖", plot::palette(0));
      p.draw();
    }
    ImGui::SameLine();
    ImGui::BeginGroup();
    ImGui::TextUnformatted("The SVM solver (KKT residuals, 0 at the exact solution)");
    ui::metric("primal: max(0, 1 − margin):", "%.2e", kkt_.primal);
    ui::metric("dual: max(0, −λ):", "%.2e", kkt_.dual);
    ui::metric("complementarity: max |λ (margin − 1)|:", "%.2e", kkt_.complementarity);
    ui::metric("stationarity: ‖W − Σ λ_k a_k‖_max:", "%.2e", kkt_.stationarity);
    ui::metric("smallest margin (x_opt − x_t)^T W_mm z:", "%.10g", margin_min_);
    ui::metric("‖W_mm‖_F:", "%.4f", svm_norm_);
    int active = 0;
    for (double l : sol_.lambda) active += l > 0;
    ui::metric("support constraints (λ > 0):", "%.0f", active);
    ui::metric("Hildreth sweeps:", "%.0f", sol_.sweeps);
    ImGui::Spacing();
    update_local_svm();
    int differ = 0;
    for (int i = 0; i < data_.n; ++i) differ += selected_[i] != opt_[i];
    ui::metric("samples where GD attends to a non-optimal token:", "%.0f", differ);
    if (differ > 0 && local_ok_)
      ui::metric("correlation with the SVM of the selected tokens:", "%.4f", run_.correlation(local_sol_.W));
    ImGui::EndGroup();
  }
  if (ui::section("What the paper reports")) {
    ui::paragraph(
        "The paper proves the directional convergence (globally under conditions, locally in general) and "
        "checks it with experiments plotted as curves: GD paths in 2-D, softmax probabilities and the "
        "correlation coefficient <W, W_mm> / (‖W‖ ‖W_mm‖) rising toward 1.  It reports these as figures, so the "
        "paper column is qualitative.");
    const ui::PaperRow rows[] = {
        {"correlation of W(k) with W_mm", "→ 1 (figures)", corr_hist_[run_.steps()], "%.4f",
         "Live: normalized GD, η and steps as set; the official code also uses η = 0.1."},
        {"softmax weight on the selected token", "→ 1 (figures)", prob_hist_[run_.steps()], "%.4f",
         "Live: averaged over the n samples, on the globally optimal tokens."},
        {"K Q^T parameterization", "→ nuclear-norm SVM direction", param_ == 1 ? corr_hist_[run_.steps()] : NAN,
         "%.4f vs W_mm", "Live only with parameterization K Q^T; compared with the Frobenius W_mm (equal for n = 1)."},
    };
    ui::paper_table("##paper", rows, 3);
  }
}

}  // namespace

std::unique_ptr<Lesson> make_transformers_as_svm() { return std::make_unique<TransformersAsSvm>(); }

}  // namespace pg
