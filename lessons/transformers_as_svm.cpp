// transformers_as_svm.cpp - Lesson: "Transformers as Support Vector Machines"
// (Tarzanagh, Li, Thrampoulidis & Oymak, 2023, arXiv:2308.16898; official
// code https://github.com/umich-sota/TF-as-SVM).
//
// One attention layer reads tokens X (T, d) with a query z and outputs
// f(X) = v^T X^T softmax(X W z).  Trained by (normalized) gradient descent on
// a logistic loss, W grows without bound, but its direction converges to the
// solution W_mm of a hard-margin SVM that separates the optimal token from
// the others: min ||W||_F s.t. (x_opt - x_t)^T W z >= 1.  With W = K Q^T the
// limit is the same SVM with the nuclear norm.  This lesson solves both
// (Hildreth's dual coordinate ascent; ADMM with singular-value thresholding and
// a duality-gap certificate, engine/icl/att_svm.h) and runs GD live next to them.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "engine/icl/att_svm.h"
#include "engine/rng.h"
#include "lessons/lesson.h"
#include "ui/panel.h"
#include "ui/plots.h"

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
    Stepping::on_play,
    "Gradient descent on attention weights turns toward a max-margin SVM that picks the optimal token.",
};

constexpr int kFramesPerRun = 150;  // a run animates over about this many frames
constexpr int kEntries = 4;         // the top-left 2x2 block of W, tracked per step
constexpr int kMaxTokens = 6;       // the `tokens` knob's maximum

// Columns of the history series.
enum HistoryColumn { kStep, kCorrelation, kOptProb, kNorm, kEntry0, kCorrelationNuclear = kEntry0 + kEntries };

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
  bool views_draw_from_outputs() const override { return true; }  // tests/test_worker_mirror.cpp

  void declare(Declaration& d) override {
    ParamList& p = d.params;
    p.real("lr", "step size η", &lr_, 0.01, 1, 0.1,
           "Normalized GD: W ← W − η ∇L / ‖∇L‖_F, so every step has length η (the official code uses 0.1).", true);
    p.real("init", "initialization scale", &init_, 0.01, 10, 0.1,
           "Initial weights are N(0, s²/d).  A large start can lock GD onto a locally optimal token.", true);
    p.integer("tokens", "tokens T", &tokens_, 3, kMaxTokens, 4, "Tokens per sample (one of them is optimal).");
    p.integer("samples", "samples n", &samples_, 1, 8, 1,
              "Training samples, each with its own tokens, query and label.  Many samples in a small d may "
              "leave no W that separates every optimal token.");
    p.integer("d", "dimension d", &dim_, 2, 8, 2,
              "Token dimension.  d = 2 draws exactly; larger d is over-parameterized (the paper: helps global "
              "convergence).");
    p.choice("param", "parameterization", &param_, {"W", "KQ^T"}, 0,
             "Train W directly (limit: Frobenius-norm SVM W_mm) or as K Q^T with two d × d factors (limit: "
             "nuclear-norm SVM W_*).");
    p.integer("steps", "GD steps", &steps_, 50, 5000, 1000, "Length of the run.", true);
    declare_text(d.text);
    d.view("tokens", "The tokens, the SVM's and GD's effective queries, and W's direction",
           [this](const ViewContext& v) { draw_main(v); });
    d.view("curves", "Correlation with W_mm and attention on the optimal token", [this](const ViewContext& v) { draw_curves(v); });
    d.view("solver", "‖W‖ and the SVM solver", [this](const ViewContext& v) { draw_solver(v); });
    d.metric("correlation", "<W, W_mm> / (‖W‖_F ‖W_mm‖_F) after the steps taken: 1 when GD has W_mm's direction");
    d.metric("opt_token_prob", "softmax weight on the optimal token, averaged over the samples");
    d.metric("w_norm", "‖W‖_F (grows without bound)");
    d.metric("kkt_max_violation", "largest KKT residual (primal, dual, complementarity, stationarity) of the Att-SVM "
                                  "solution");
    d.metric("svm_margin_min", "smallest margin (x_opt − x_t)^T W_mm z over samples and non-optimal tokens (1 at the "
                               "solution)");
    d.metric("svm_norm", "‖W_mm‖_F");
    d.metric("correlation_nuclear", "<W, W_*> / (‖W‖_F ‖W_*‖_F) after the steps taken, W_* the nuclear-norm Att-SVM "
                                    "solution: the limit for W = K Q^T");
    d.metric("nuclear_svm_norm", "‖W_*‖_* = Σ σ_i(W_*), the nuclear-norm SVM's objective");
    d.metric("nuclear_svm_gap", "relative duality gap of W_*: (‖W_*‖_* − Σλ/‖Σ λ_k a_k‖₂) / ‖W_*‖_*, a certificate "
                                "that no feasible W has a smaller nuclear norm by more than this fraction");
    d.metric("nuclear_svm_margin_min", "smallest margin (x_opt − x_t)^T W_* z (1: W_* is feasible)");
    d.metric("nuclear_svm_rank", "rank of W_* (singular values above 1e-6 σ_max)");
    d.metric("frobenius_svm_nuclear_norm", "‖W_mm‖_*, the nuclear norm of the Frobenius solution (≥ ‖W_*‖_*, "
                                           "equal when W_mm is rank one, e.g. one sample)");
    d.metric("loss", "mean logistic loss of the current W");
    d.metric("gd_steps", "normalized GD steps taken");
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
    active_ = 0;
    for (double l : sol_.lambda) active_ += l > 0;
    nuc_ = icl::solve_att_svm_nuclear(data_, opt_);
    nuc_margin_min_ = min_margin(nuc_.W.data(), opt_);
    fro_nuclear_ = icl::nuclear_norm(sol_.W.data(), dim_);
    nuc_fro_norm_ = frobenius(nuc_.W);

    icl::AttGdConfig config;
    config.lr = lr_;
    config.factorized = param_ == 1;
    config.init_scale = init_;
    config.seed = rng.next_u64();
    run_.reset(data_, config);

    probs_.assign(size_t(tokens_), 0.0);
    attention_.assign(size_t(data_.n) * data_.T, 0.0);
    history_.clear();
    for (auto& c : history_.values) c.reserve(size_t(steps_) + 1);
    per_call_ = std::max(1, steps_ / kFramesPerRun);
    local_key_.clear();  // the locally-optimal SVM is recomputed
    view_sample_ = 0;
    export_problem();
    record(0);
    refresh_views();
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
    refresh_views();
    return done;
  }

  bool done() const override { return run_.steps() >= steps_ || !std::isfinite(run_.loss()); }

  int64_t run_length() const override { return steps_; }

  std::string problem() const override {
    if (!std::isfinite(run_.loss())) return "The loss is not finite: the run diverged.  Lower η and reset.";
    if (!svm_ok_) {
      char buf[256];
      std::snprintf(buf, sizeof buf,
                    "The reference Att-SVM has no solution here (no W separates every optimal token at n = %d, T = %d, "
                    "d = %d; KKT residual %.2g): there is no direction for GD to converge to.  Raise d or lower n.",
                    samples_, tokens_, dim_, kkt_max_);
      return buf;
    }
    return "";
  }

  void metrics(MetricList& out) const override {
    const int last = history_.rows() - 1;  // the row of step run_.steps()
    out.add("correlation", history_.col(kCorrelation)[last]);
    out.add("opt_token_prob", history_.col(kOptProb)[last]);
    out.add("w_norm", history_.col(kNorm)[last]);
    out.add("kkt_max_violation", kkt_max_);
    out.add("svm_margin_min", margin_min_);
    out.add("svm_norm", svm_norm_);
    out.add("correlation_nuclear", history_.col(kCorrelationNuclear)[last]);
    out.add("nuclear_svm_norm", nuc_.nuclear_norm);
    out.add("nuclear_svm_gap", nuc_.gap);
    out.add("nuclear_svm_margin_min", nuc_margin_min_);
    out.add("nuclear_svm_rank", nuc_.rank);
    out.add("frobenius_svm_nuclear_norm", fro_nuclear_);
    out.add("loss", run_.loss());
    out.add("gd_steps", run_.steps());
  }

 private:
  void declare_text(Walkthrough& t) {
    t.section("The problem")
        .paragraph("Attention decides which tokens to look at through softmax(X W z): a score per token, then a softmax.  "
                   "What does gradient descent on W actually learn?  Tarzanagh et al. show that, for one attention layer, "
                   "W grows without bound while its direction settles on a very specific matrix: the solution of a "
                   "support vector machine that separates the most useful token of each input from all the others.  "
                   "Attention, trained, becomes a max-margin token selector.");
    t.section("The method")
        .paragraph("Sample i: tokens X (T × d, rows x_t), a query z, a label Y = ±1, a fixed value head v:")
        .equation("f(X) = v^T X^T softmax(X W z)        L(W) = mean_i log(1 + e^(−Y_i f(X_i)))")
        .paragraph("The loss wants all attention on the token with the largest Y <v, x_t>: the optimal token x_opt.  "
                   "Softmax never puts weight exactly 1 on it, so the scores keep growing and ‖W‖ → ∞.  The direction "
                   "it takes is that of the attention SVM (Att-SVM):")
        .equation("W_mm = argmin ‖W‖_F   s.t.   (x_opt − x_t)^T W z ≥ 1   for every sample and every t ≠ opt")
        .paragraph("The claim: W(k) / ‖W(k)‖ → W_mm / ‖W_mm‖.  As in the official code, GD here is normalized, "
                   "W ← W − η ∇L / ‖∇L‖_F, so ‖W‖ grows about linearly and the direction shows quickly.  If W = K Q^T "
                   "is trained through its factors (each factor's step normalized), the limit is instead the SVM with "
                   "the nuclear norm ‖W‖_* = Σ σ_i(W) as objective:")
        .equation("W_* = argmin ‖W‖_*   s.t.   (x_opt − x_t)^T W z ≥ 1   (the same constraints)")
        .paragraph("It favours low rank.  With one sample the two coincide (W_mm = u z^T / ‖z‖² is rank one).  Here "
                   "‖W_*‖_* = {nuclear_svm_norm:%.4f} (rank {nuclear_svm_rank:%.0f}) against ‖W_mm‖_* = "
                   "{frobenius_svm_nuclear_norm:%.4f}.  GD may also settle on a locally optimal token; then the SVM "
                   "for the tokens it selected is the limit.")
        .paragraph("W_mm is found from the dual, max_λ≥0 Σ λ_k − ½ ‖Σ λ_k a_k‖², a_k = (x_opt − x_t) z^T, one "
                   "coordinate at a time (Hildreth), then polished by a direct solve on the active constraints.  W_* "
                   "by ADMM: alternately shrink the singular values of W by 1/ρ (the nuclear norm's proximal step) "
                   "and project onto the margin constraints (a small QP, by Hildreth again).  Its certificate is the "
                   "dual max Σ λ_k s.t. ‖Σ λ_k a_k‖₂ ≤ 1 (the spectral norm): any λ ≥ 0 bounds ‖W_*‖_* from below, "
                   "and the relative gap to the feasible W found is {nuclear_svm_gap:%.1e}.")
        .paragraph("Teaching simplifications: unit-norm random tokens as in the official generator, and a small d.  "
                   "Once the softmax saturates, the plain gradient is a sum of terms e^−(score gap) that underflow "
                   "to 0 near ‖W‖ ~ 1000 (K Q^T gets there within a few hundred steps), which would freeze the run; "
                   "the normalized step only needs the gradient's direction, so it is formed rescaled (log domain) "
                   "and the run goes on.");
    t.section("Try this")
        .bullet("Press Play and watch the orange arrow W z swing onto the blue SVM arrow W_mm z.")
        .bullet("Local convergence: n = 2, d = 3, T = 6, initialization 3 (seed 1).  GD locks onto tokens that are "
                "not optimal, the correlation with W_mm goes negative, yet W follows the SVM of the tokens it "
                "selected (the solver view).")
        .bullet("Take n = 6 samples in d = 2: maybe no W separates them all.  Raise d: over-parameterization "
                "makes the SVM feasible again.")
        .bullet("Switch to K Q^T: with one sample it heads to the same direction.")
        .bullet("n = 3 samples, d = 4 (seed 1): with W, GD's correlation with W_mm reaches 0.9999 and with W_* "
                "only 0.97; switch to K Q^T and it is the other way round: the factorization changes the implicit "
                "bias to the nuclear norm.")
        .paragraph("Now: correlation with W_mm {correlation:%.4f}, with the nuclear-norm W_* {correlation_nuclear:%.4f}.");
    t.section("What the paper reports")
        .paragraph("The paper proves the directional convergence (globally under conditions, locally in general) and "
                   "checks it with experiments plotted as curves: GD paths in 2-D, softmax probabilities and the "
                   "correlation coefficient <W, W_mm> / (‖W‖ ‖W_mm‖) rising toward 1.  It reports these as figures, so "
                   "the paper column is qualitative.")
        .paper("correlation of W(k) with W_mm", "→ 1 (figures)", "correlation", "%.4f",
               "Live: normalized GD, η and steps as set; the official code also uses η = 0.1.")
        .paper("softmax weight on the selected token", "→ 1 (figures)", "opt_token_prob", "%.4f",
               "Live: averaged over the n samples, on the globally optimal tokens.")
        .paper("K Q^T parameterization", "→ nuclear-norm SVM direction", "correlation_nuclear", "%.4f vs W_*",
               "Live only with parameterization K Q^T: the correlation with the nuclear-norm solution W_* "
               "(equal to W_mm for n = 1).")
        .when([this] { return param_ == 1; })
        .paper("W parameterization", "→ Frobenius SVM direction, not W_*", "correlation_nuclear", "%.4f vs W_*",
               "Live with parameterization W: the correlation with the nuclear-norm W_*, for contrast (below the "
               "one with W_mm when the two SVMs differ).")
        .when([this] { return param_ == 0; });
  }

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

  // One row of the history: step t's correlation, attention, norm and the
  // top-left 2x2 block of W / ||W||.
  void record(int t) {
    const std::vector<double>& W = run_.W();
    const double norm = run_.norm();
    const int d = data_.d;
    const int idx[kEntries] = {0, 1, d, d + 1};
    float e[kEntries];
    for (int k = 0; k < kEntries; ++k) e[k] = float(norm > 0 ? W[idx[k]] / norm : 0.0);
    history_.push({float(t), float(run_.correlation(sol_.W)), float(opt_prob()), float(norm), e[0], e[1], e[2], e[3],
                   float(run_.correlation(nuc_.W))});
  }

  // The problem and its SVM, once per reset; the tokens picture's points.
  void export_problem() {
    const int n = data_.n, T = data_.T, d = data_.d;
    tokens_out_.set({n, T, d}, data_.X.data());
    queries_out_.set({n, d}, data_.z.data());
    labels_out_.set({n}, data_.Y.data());
    value_out_.set({d}, data_.v.data());
    const std::vector<float> opt(opt_.begin(), opt_.end());
    opt_out_.set({n}, opt.data());
    w_mm_out_.set({d, d}, sol_.W.data());
    lambda_out_.set({int64_t(sol_.lambda.size())}, sol_.lambda.data());
    w_nuc_out_.set({d, d}, nuc_.W.data());
    nuc_lambda_out_.set({int64_t(nuc_.lambda.size())}, nuc_.lambda.data());
    // Tokens of every sample, then its query: (n, T + 1, 2), first two coordinates.
    token_xy_.assign(size_t(n) * (T + 1) * 2, 0.0f);
    token_cls_.assign(size_t(n) * (T + 1), 0);
    for (int i = 0; i < n; ++i) {
      float* xy = &token_xy_[size_t(i) * (T + 1) * 2];
      int* cls = &token_cls_[size_t(i) * (T + 1)];
      for (int t = 0; t < T; ++t) {
        xy[2 * t] = float(data_.token(i, t)[0]), xy[2 * t + 1] = float(data_.token(i, t)[1]);
        cls[t] = t == opt_[i] ? 2 : 3;
      }
      xy[2 * T] = float(data_.query(i)[0]), xy[2 * T + 1] = float(data_.query(i)[1]);
      cls[T] = 5;
    }
    arrows_.assign(size_t(n) * 6, 0.0f);
  }

  // The current W for the export: attention, the tokens W selects, the SVM
  // for them when they differ from the optimal ones (local convergence;
  // solved again only when the selection changes) and W's correlation with
  // it; then what the views draw, derived from those outputs.
  void refresh_views() {
    const int n = data_.n, T = data_.T, d = data_.d;
    const std::vector<double>& W = run_.W();
    w_out_.set({d, d}, W.data());
    for (int i = 0; i < n; ++i) icl::att_forward(data_, i, W.data(), &attention_[size_t(i) * T]);
    attention_out_.set({n, T}, attention_.data());
    selected_ = icl::selected_tokens(data_, W.data());
    const std::vector<float> sel(selected_.begin(), selected_.end());
    selected_out_.set({n}, sel.data());
    if (selected_ != local_key_) {
      local_key_ = selected_;
      local_sol_ = icl::solve_att_svm(data_, selected_, 1e-14, 20000);
      local_ok_ = local_sol_.feasible && icl::att_svm_kkt(data_, local_sol_).primal < 1e-6;
      w_local_out_.set({d, d}, local_sol_.W.data());
    }
    const double local[2] = {local_ok_ ? 1.0 : 0.0, run_.correlation(local_sol_.W)};
    local_out_.set({2}, local);
    derive_view_data();
  }

  // A worker's outputs arrived (Lesson::replace_outputs): the same derivation.
  void outputs_replaced() override { derive_view_data(); }

  // From the outputs (W, the selected tokens, the selected tokens' SVM) and
  // what reset() built (the problem, W_mm): the solver view's numbers and the
  // arrows of the tokens picture.
  void derive_view_data() {
    const int n = data_.n, d = data_.d;
    if (w_out_.d.size() != size_t(d) * d || selected_out_.f.size() != size_t(n) || local_out_.d.size() != 2) return;
    differ_ = 0;
    for (int i = 0; i < n; ++i) differ_ += int(selected_out_.f[size_t(i)]) != opt_[i];
    local_ok_ = local_out_.d[0] != 0.0;
    local_correlation_ = local_out_.d[1];
    // Arrows per sample, directions only: W_mm z (length 1), W z (0.85), Y v (0.7),
    // so that arrow heads stay apart once aligned.
    const double* W = w_out_.d.data();
    for (int i = 0; i < n; ++i) {
      float* a = &arrows_[size_t(i) * 6];
      unit_arrow(sol_.W.data(), data_.query(i), 1.0, a);
      unit_arrow(W, data_.query(i), 0.85, a + 2);
      const double vlen = std::hypot(data_.v[0], data_.v[1]);
      a[4] = float(0.7 * data_.Y[i] * data_.v[0] / (vlen > 0 ? vlen : 1));
      a[5] = float(0.7 * data_.Y[i] * data_.v[1] / (vlen > 0 ? vlen : 1));
    }
  }

  // The first two coordinates of W z, scaled to `length`.
  void unit_arrow(const double* W, const double* z, double length, float* out) const {
    const int d = data_.d;
    double q[2] = {0, 0};
    for (int r = 0; r < 2; ++r)
      for (int c = 0; c < d; ++c) q[r] += W[r * d + c] * z[c];
    const double len = std::hypot(q[0], q[1]);
    out[0] = float(len > 0 ? length * q[0] / len : 0);
    out[1] = float(len > 0 ? length * q[1] / len : 0);
  }

  // ------------------------------------------------------------------ views
  // The tokens picture beside W's entries, as large as the slot allows (the
  // main view): side by side whenever there is a slot to fill, also on a
  // phone (two small pictures beat a column taller than the screen).
  void draw_main(const ViewContext& v) {
    const float gap = ImGui::GetStyle().ItemSpacing.x, line = ImGui::GetTextLineHeightWithSpacing();
    if (!svm_ok_) {
      char text[256];
      std::snprintf(text, sizeof text,
                    "No W separates every optimal token at this n, T, d (the Att-SVM is infeasible): the primal residual "
                    "stays at %.2g.  The correlation has no limit to reach.  Raise d or lower n.",
                    kkt_.primal);
      ui::warning_box("##infeasible", text);
    }
    const bool stacked = v.width < v.font_size * 36 && v.height <= 0;
    const float w = stacked ? v.width : (v.width - gap) * 0.5f;
    const float captions = (svm_ok_ ? 8.0f : 11.0f) * line;  // title, slider, legend (and the warning)
    float side = std::min(w, v.font_size * 20);
    if (v.height > 0) side = std::max(v.font_size * 6, std::min(w, v.height - captions));
    ImGui::BeginGroup();
    ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + side);
    draw_tokens(side);
    ImGui::PopTextWrapPos();
    ImGui::EndGroup();
    if (!stacked) ImGui::SameLine();
    ImGui::BeginGroup();
    draw_entries(w, stacked ? v.font_size * 14 : side);
    ImGui::EndGroup();
  }

  // Tokens of one sample on the unit circle (the optimal one green), the query
  // z (yellow), and three directions: Y v (green: the token furthest along it
  // is optimal), W_mm z (blue: the SVM's effective query) and W z (orange:
  // GD's).  Attention weights token t by e^<x_t, W z>, so the arrow W z decides.
  void draw_tokens(float side) {
    const int i = std::min(view_sample_, data_.n - 1), T = data_.T;
    ImGui::Text("Tokens of sample %d%s", i + 1, data_.d > 2 ? " (first two coordinates)" : "");
    plot::ScatterStyle style;
    style.radius = 5.0f;
    style.x_min = -1.25, style.x_max = 1.25, style.y_min = -1.25, style.y_max = 1.25;
    style.unit_circle = true;
    style.arrows = &arrows_[size_t(i) * 6];
    style.num_arrows = 3;
    plot::scatter("##tokens", ImVec2(side, side), &token_xy_[size_t(i) * (T + 1) * 2], &token_cls_[size_t(i) * (T + 1)],
                  T + 1, style);
    if (data_.n > 1) {
      ImGui::SetNextItemWidth(side * 0.6f);
      int shown = view_sample_ + 1;  // 1-based on screen, as in the caption
      if (ImGui::SliderInt("sample shown", &shown, 1, data_.n, "%d", ImGuiSliderFlags_AlwaysClamp))
        view_sample_ = shown - 1;  // input only
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
  }

  // The top-left 2x2 block of W / ||W|| against step, W_mm / ||W_mm|| dashed.
  void draw_entries(float w, float side) const {
    const Series& h = history_;
    plot::LinePlot p("##entries", ImVec2(w, side));
    p.axes("step", data_.d > 2 ? "W / ‖W‖, top-left 2×2 block" : "entries of W / ‖W‖");
    p.x_range(0, steps_);
    static const char* const names[kEntries] = {"W₁₁", "W₁₂", "W₂₁", "W₂₂"};
    const int d = data_.d;
    const int idx[kEntries] = {0, 1, d, d + 1};
    // The limit of the chosen parameterization: W_mm for W, the nuclear-norm W_* for K Q^T.
    const std::vector<double>& limit = param_ == 1 ? nuc_.W : sol_.W;
    const double limit_norm = param_ == 1 ? nuc_fro_norm_ : svm_norm_;
    for (int k = 0; k < kEntries; ++k) {
      p.line(names[k], h.col(kStep), h.col(kEntry0 + k), h.rows(), plot::palette(k + 1));
      p.hline(limit_norm > 0 ? limit[idx[k]] / limit_norm : 0.0, k == 0 ? (param_ == 1 ? "W_*/‖W_*‖" : "W_mm/‖W_mm‖") : nullptr,
              plot::palette(k + 1, 0.7f));
    }
    p.draw();
    ImGui::TextDisabled(param_ == 1 ? "dashed: the same entries of W_* / ‖W_*‖ (nuclear-norm SVM)"
                                    : "dashed: the same entries of W_mm / ‖W_mm‖");
  }

  void draw_curves(const ViewContext& v) const {
    const Series& h = history_;
    const float w = ui::column_width(2), height = v.height > 0 ? v.height : v.font_size * 12;
    {
      plot::LinePlot p("##corr", ImVec2(w, height));
      p.x_range(0, steps_);
      p.axes("step", "correlation of W with W_mm and with W_*");
      p.line("W_mm (Frobenius)", h.col(kStep), h.col(kCorrelation), h.rows(), plot::palette(1));
      p.line("W_* (nuclear)", h.col(kStep), h.col(kCorrelationNuclear), h.rows(), plot::palette(4));
      p.hline(1.0, "1", plot::palette(0));
      p.draw();
    }
    ui::next_column(w);
    {
      plot::LinePlot p("##prob", ImVec2(w, height));
      p.axes("step", "softmax weight on the optimal token");
      p.x_range(0, steps_);
      p.y_range(0, 1.05);
      p.line("mean over samples", h.col(kStep), h.col(kOptProb), h.rows(), plot::palette(2));
      p.hline(1.0, "1", plot::ink(0.5f));
      p.draw();
    }
  }

  // ||W|| against step beside the solver's KKT residuals (0 at the exact solution).
  void draw_solver(const ViewContext& v) const {
    const Series& h = history_;
    const float w = ui::column_width(2);
    {
      plot::LinePlot p("##norm", ImVec2(w, v.font_size * 12));
      p.axes("step", "‖W‖_F", true);
      p.x_range(0, steps_);
      p.line("GD", h.col(kStep), h.col(kNorm), h.rows(), plot::palette(4));
      p.hline(svm_norm_, "‖W_mm‖", plot::palette(0));
      p.draw();
    }
    ui::next_column(w);
    ImGui::BeginGroup();
    ImGui::TextUnformatted("The SVM solver (KKT residuals, 0 at the exact solution)");
    ui::metric("primal: max(0, 1 − margin):", "%.2e", kkt_.primal);
    ui::metric("dual: max(0, −λ):", "%.2e", kkt_.dual);
    ui::metric("complementarity: max |λ (margin − 1)|:", "%.2e", kkt_.complementarity);
    ui::metric("stationarity: ‖W − Σ λ_k a_k‖_max:", "%.2e", kkt_.stationarity);
    ui::metric("smallest margin (x_opt − x_t)^T W_mm z:", "%.10g", margin_min_);
    ui::metric("‖W_mm‖_F:", "%.4f", svm_norm_);
    ui::metric("support constraints (λ > 0):", "%.0f", active_);
    ui::metric("Hildreth sweeps:", "%.0f", sol_.sweeps);
    ImGui::Spacing();
    ImGui::TextUnformatted("The nuclear-norm SVM W_* (ADMM)");
    ui::metric("‖W_*‖_*:", "%.6f", nuc_.nuclear_norm);
    ui::metric("‖W_mm‖_*:", "%.6f", fro_nuclear_);
    ui::metric("duality gap (relative):", "%.1e", nuc_.gap);
    ui::metric("smallest margin (x_opt − x_t)^T W_* z:", "%.10g", nuc_margin_min_);
    ui::metric("rank of W_*:", "%.0f", nuc_.rank);
    ui::metric("ADMM iterations:", "%.0f", nuc_.iterations);
    ImGui::Spacing();
    ui::metric("samples where GD attends to a non-optimal token:", "%.0f", differ_);
    if (differ_ > 0 && local_ok_) ui::metric("correlation with the SVM of the selected tokens:", "%.4f", local_correlation_);
    ImGui::EndGroup();
  }

  double lr_ = 0.1, init_ = 0.1;
  int tokens_ = 4, samples_ = 1, dim_ = 2, param_ = 0, steps_ = 1000;
  icl::AttSvmData data_;
  std::vector<int> opt_;
  icl::AttSvmSolution sol_;
  icl::KktResiduals kkt_;
  double kkt_max_ = 0, margin_min_ = 0, svm_norm_ = 0;
  icl::NuclearSvmSolution nuc_;    // the nuclear-norm Att-SVM (the K Q^T limit)
  double nuc_margin_min_ = 0, fro_nuclear_ = 0, nuc_fro_norm_ = 0;
  int active_ = 0;  // support constraints (lambda > 0)
  bool svm_ok_ = true;
  icl::AttGdRun run_;
  int per_call_ = 1;
  std::vector<double> probs_;      // (T,)
  std::vector<double> attention_;  // (n, T) softmax(X_i W z_i)
  // The SVM for the tokens GD currently selects (local convergence), cached by that selection.
  std::vector<int> local_key_, selected_;
  icl::AttSvmSolution local_sol_;
  bool local_ok_ = false;
  int differ_ = 0;                 // samples whose selected token is not the optimal one
  double local_correlation_ = NAN;
  // The tokens picture: (n, T + 1, 2) points and classes, (n, 3, 2) arrows.
  std::vector<float> token_xy_, arrows_;
  std::vector<int> token_cls_;
  int view_sample_ = 0;            // the tokens view's slider

  // Outputs.  history: per step, correlation, attention on opt, ‖W‖, W/‖W‖ top-left 2x2.
  Series& history_ = outputs_.series("history", {"step", "correlation", "opt_token_prob", "w_norm", "w11", "w12",
                                                 "w21", "w22", "correlation_nuclear"});
  Array& tokens_out_ = outputs_.array("tokens");             // (n, T, d) f64
  Array& queries_out_ = outputs_.array("queries");           // (n, d) f64
  Array& labels_out_ = outputs_.array("labels");             // (n,) f64, ±1
  Array& value_out_ = outputs_.array("value_head");          // (d,) f64 the fixed value head v
  Array& opt_out_ = outputs_.array("optimal_tokens");        // (n,) each sample's optimal token
  Array& w_mm_out_ = outputs_.array("w_mm");                 // (d, d) f64 the Att-SVM solution
  Array& w_nuc_out_ = outputs_.array("w_nuclear");           // (d, d) f64 the nuclear-norm Att-SVM solution W_*
  Array& nuc_lambda_out_ = outputs_.array("nuclear_lambda");  // (constraints,) f64 its dual certificate
  Array& lambda_out_ = outputs_.array("svm_lambda");         // (constraints,) f64 its duals, by sample then token
  Array& w_out_ = outputs_.array("w");                       // (d, d) f64 GD's W now (K Q^T when factorized)
  Array& attention_out_ = outputs_.array("attention");       // (n, T) f64 softmax(X_i W z_i)
  Array& selected_out_ = outputs_.array("selected_tokens");  // (n,) the token each attention peaks on
  Array& w_local_out_ = outputs_.array("w_selected_svm");    // (d, d) f64 the SVM for those (W_mm if optimal)
  Array& local_out_ = outputs_.array("selected_svm_info");   // (2,) f64: that SVM is feasible (1/0), W's correlation with it
};

}  // namespace

PG_REGISTER_LESSON(TransformersAsSvm, 10);

}  // namespace pg
