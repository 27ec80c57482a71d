// icl_gd.cpp - Lesson: "Transformers learn in-context by gradient descent"
// (von Oswald et al., 2023, arXiv:2212.07677).
//
// A prompt holds n examples (x_i, y_i) of an unknown linear map and a query
// x_q.  One linear self-attention (LSA) layer with hand-set weights (their
// Prop. 1) writes into the query's y-slot exactly the prediction of one
// gradient-descent step on the prompt's own least-squares loss; K stacked
// layers are K steps.  Nothing is trained here: the lesson builds the
// construction, checks it against explicit GD to rounding error, and puts the
// resulting error-vs-n curve beside the classical estimators (OLS, ridge,
// averaging, tuned one-step GD, 3-NN), Monte Carlo and closed form side by side.
//
// Work units (step): one chunk of kChunk prompts each, the chosen n first, then
// every context length of the curve grid, so the page never freezes.  Each
// length draws its prompts from its own stream (forked by n), chunk after
// chunk, so the numbers do not depend on how the units are split into calls.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "engine/icl/baselines.h"
#include "engine/icl/lsa.h"
#include "engine/icl/prompts.h"
#include "engine/icl/risk_curves.h"
#include "engine/rng.h"
#include "engine/timing.h"
#include "lessons/lesson.h"
#include "ui/panel.h"
#include "ui/plots.h"

namespace pg {
namespace {

const LessonInfo kInfo = {
    "icl-gd",
    "Transformers learn in context by gradient descent",
    "von Oswald et al.",
    2023,
    "2212.07677",
    "https://github.com/google-research/self-organising-systems/tree/master/transformers_learn_icl_by_gd",
    "B. In-context learning",
    LessonKind::analysis,
    Stepping::continuous,
    "One linear attention layer with hand-set weights is one gradient-descent step on the prompt.",
};

constexpr int kMaxLayers = 5;
constexpr int kChunk = 100;        // prompts per work unit (at most ~30 ms natively at d = 20, n = 80, K = 5)
constexpr int kAtNChunks = 20;     // 2000 prompts at the chosen n
constexpr int kCurveChunks = 10;   // 1000 prompts per point of the error-vs-n curves
constexpr int kCurvePrompts = kChunk * kCurveChunks;
constexpr int kCheckPrompts = 32;  // prompts for the LSA == GD check
constexpr int kShownTokens = 6;    // context y-slots drawn in the layer-by-layer view

// Streams forked from the seed, one per purpose.
enum Stream : uint64_t { kStreamAtN = 101, kStreamCheck = 102, kStreamOne = 103, kStreamCurves = 104 };

// Columns of the error-vs-n series: Monte Carlo first, then the closed forms.
enum CurveColumn { kN, kLsa, kOls, kRidge, kAveraging, kGd, kDebiasedGd, kKnn, kOlsClosed, kAveragingClosed,
                   kGdClosed, kLsaClosed, kGdStep };

// The curve grid: every n up to 10, then every 2 to 30, then every 5 to 80,
// in coarse-to-fine order (ends first, then halving the gaps) so the whole
// curve appears at once and sharpens as points arrive.
std::vector<int> curve_grid() {
  std::vector<int> ns;
  for (int n = 1; n <= 10; ++n) ns.push_back(n);
  for (int n = 12; n <= 30; n += 2) ns.push_back(n);
  for (int n = 35; n <= 80; n += 5) ns.push_back(n);
  const int G = int(ns.size());
  int stride = 1;
  while (stride < G) stride *= 2;
  std::vector<int> order;
  std::vector<bool> taken(size_t(G), false);
  if (G > 1) order.push_back(ns[size_t(G - 1)]), taken[size_t(G - 1)] = true;
  for (; stride >= 1; stride /= 2)
    for (int i = 0; i < G; i += stride)
      if (!taken[size_t(i)]) order.push_back(ns[size_t(i)]), taken[size_t(i)] = true;
  return order;
}

class IclGd : public Lesson {
 public:
  const LessonInfo& info() const override { return kInfo; }

  void declare(Declaration& d) override {
    ParamList& p = d.params;
    p.integer("d", "input dimension d", &d_, 5, 20, 10,
              "Dimension of x.  The task is w ~ N(0, I_d); errors are divided by the error of predicting 0, "
              "E(wᵀx_q)² = d E x² (d for Gaussian x, d/3 for uniform x).");
    p.choice("x_dist", "inputs x", &x_dist_, {"uniform", "gaussian"}, 0,
             "uniform: x ~ U(−1, 1)^d, von Oswald et al.'s setting (their official code).  gaussian: "
             "x ~ N(0, I_d), the setting of Garg et al. and of most closed-form analyses.");
    p.integer("n", "context length n", &n_, 1, 80, 20,
              "Number of (x, y) examples in the prompt, for the read-outs and the single-prompt view.  The "
              "curves sweep n from 1 to 80.");
    p.real("noise", "label noise σ²", &noise_, 0.0, 0.5, 0.0,
           "Variance of the noise added to every y (and to the query's target).  The paper's setting is "
           "noiseless (0).");
    p.toggle("tuned", "tuned step η", &tuned_, true,
             "On: the step η is the one that minimizes one-step GD's expected error at each n (closed form). "
             "Off: the fixed η below.");
    p.real("eta", "step η (when not tuned)", &eta_, 0.01, 6.0, 0.5,
           "The GD step the construction uses when 'tuned' is off: P = η I, so each layer adds "
           "-(η/n) Σ y_i x_i^T x_j to every y-slot.  Too large and K > 1 steps diverge at small n (uniform x "
           "has E x² = 1/3, so its good steps are about 3 times larger).",
           true);
    p.integer("layers", "layers K", &layers_, 1, kMaxLayers, 3,
              "Stacked LSA layers, each one GD step.  With K = 1 and a tuned η the transformer is exactly "
              "tuned one-step GD.");
    declare_text(d.text);
    d.view("curves", "Error / d against context length: Monte Carlo (solid), closed forms (dashed, same color)",
           [this](const ViewContext& v) { draw_curves(v); });
    d.view("weights", "The weights of every layer", [this](const ViewContext& v) { draw_weights(v); });
    d.view("single_prompt", "One prompt at the chosen n, layer by layer: each layer is one GD step",
           [this](const ViewContext& v) { draw_single_prompt(v); });
    declare_metrics(d);
  }

  void reset(uint64_t seed) override {
    seed_ = seed;
    config_.d = d_;
    config_.n = n_;
    config_.noise_var = noise_;
    config_.prior = icl::TaskPrior::isotropic;  // von Oswald et al.: w ~ N(0, I)
    config_.x_dist = x_dist_ == 0 ? icl::InputDist::uniform : icl::InputDist::gaussian;
    moments_ = icl::input_moments(config_);
    signal_ = icl::signal_power(d_, 1.0, moments_);
    shape_.d = d_;
    shape_.layers = layers_;
    params_.assign(size_t(shape_.num_params()), 0.0);
    icl::lsa_set_gd_construction(shape_, params_.data(), eta_at(n_));
    construction_.set({layers_, 4, shape_.D(), shape_.D()}, params_.data());
    build_layer_matrices();

    // The chosen n: chunks of prompts drawn in sequence from one stream.
    at_n_rng_ = Rng(seed).fork(kStreamAtN);
    chunk_.resize(kChunk, n_, d_);
    at_n_ = AtN();

    grid_ = curve_grid();
    curves_.clear();
    curves_.reserve(grid_.size());
    curves_out_.clear();
    curve_params_.assign(size_t(shape_.num_params()), 0.0);
    next_unit_ = 0;

    check_lsa_vs_gd();
    build_single_prompt();
  }

  int step(int max_steps, double budget_ms) override {
    const int units = timing::run_budgeted(max_steps, budget_ms, [this] { return done(); }, [&] {
      if (next_unit_ < kAtNChunks) {
        run_at_n_chunk();
      } else {
        run_curve_chunk();
      }
      ++next_unit_;
    });
    return units;
  }

  bool done() const override { return next_unit_ >= kAtNChunks + kCurveChunks * int(grid_.size()) || diverged(); }

  // K steps of GD with a too-large step overshoot at small n: the error grows
  // geometrically with K.  An error/d above 1e3 (a thousand times that of
  // predicting 0) is no estimate any more: stop and say so.
  std::string problem() const override {
    if (!diverged()) return "";
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  "The %d GD steps diverge at this step size: the transformer's error/d is %.3g at n = %d (predicting 0 "
                  "gives 1).  Lower η or tick 'tuned', and reset.",
                  layers_, at_n_.lsa / (std::max(at_n_.prompts, 1) * double(d_)), n_);
    return buf;
  }

  void metrics(MetricList& out) const override {
    out.add("lsa_vs_gd_max_abs_diff", lsa_vs_gd_max_abs_diff_);
    out.add("gd_step_tuned", icl::gd_step_opt(d_, n_, noise_, 1.0, moments_));
    out.add("closed_gd_tuned_at_n", closed_gd_tuned_at_n());
    out.add("closed_ols_at_n", uniform() ? -1.0 : clean(icl::ols_risk(d_, n_, noise_, 1.0) / d_));  // Gaussian x only
    out.add("closed_averaging_at_n", icl::gd_risk(d_, n_, noise_, 1.0, 1.0, moments_) / signal_);
    // Monte Carlo at the chosen n: NaN until the first chunk is in.
    const double inv = at_n_.prompts > 0 ? 1.0 / (at_n_.prompts * signal_) : NAN;
    out.add("err_lsa_at_n", at_n_.lsa * inv);
    out.add("err_gd_tuned_at_n", at_n_.gd * inv);
    out.add("err_gd_tuned_at_n_stderr", at_n_.prompts > 0 ? gd_stderr() : NAN);
    out.add("err_ols_at_n", at_n_.ols * inv);
    out.add("err_ridge_at_n", at_n_.ridge * inv);
    out.add("err_averaging_at_n", at_n_.averaging * inv);
    out.add("err_knn_at_n", at_n_.knn * inv);
    out.add("prompts_at_n", at_n_.prompts);
    out.add("curve_points", double(curves_.size()));
  }

 private:
  // Sums of squared errors at the chosen n (divided by prompts * signal power for the normalized error).
  struct AtN {
    int prompts = 0;
    double lsa = 0, gd = 0, gd_sq = 0, ols = 0, ridge = 0, averaging = 0, knn = 0;
  };

  static double clean(double v) { return std::isfinite(v) ? v : 1e30; }
  bool diverged() const {
    if (at_n_.prompts == 0) return false;
    const double err = at_n_.lsa / (at_n_.prompts * double(d_));
    return !std::isfinite(err) || err > 1e3;
  }
  bool uniform() const { return x_dist_ == 0; }

  // The step the construction uses at context length n (tuned for the chosen x distribution).
  double eta_at(int n) const { return tuned_ ? icl::gd_step_opt(d_, n, noise_, 1.0, moments_) : eta_; }

  double closed_gd_tuned_at_n() const {
    return icl::gd_risk(d_, n_, noise_, 1.0, icl::gd_step_opt(d_, n_, noise_, 1.0, moments_), moments_) / signal_;
  }
  // Standard error of the Monte Carlo tuned-GD normalized error at the chosen n.
  double gd_stderr() const {
    const int m = at_n_.prompts;
    if (m < 2) return 0;
    const double mean = at_n_.gd / m, var = (at_n_.gd_sq / m - mean * mean) * m / (m - 1);
    return std::sqrt(std::max(var, 0.0) / m) / signal_;
  }

  void declare_metrics(Declaration& d) {
    d.metric("lsa_vs_gd_max_abs_diff", "largest |y_pred(LSA) − y_pred(K explicit GD steps)| over K = 1..5 and 32 "
                                       "prompts at the chosen n (double precision: rounding only)");
    d.metric("gd_step_tuned", "the one-step GD step η* that minimizes the closed-form error at the chosen n for the "
                              "chosen x distribution (Gaussian, noiseless: n / (n + d + 1); uniform: about 3 times larger)");
    d.metric("closed_gd_tuned_at_n", "closed-form normalized error of tuned one-step GD at the chosen n");
    d.metric("closed_ols_at_n", "closed-form normalized error of OLS at the chosen n (1e30 where it is infinite); "
                                "-1 for uniform x, where OLS has no closed form");
    d.metric("closed_averaging_at_n", "closed-form normalized error of averaging (η = 1) at the chosen n");
    d.metric("err_lsa_at_n", "Monte Carlo normalized error of the K-layer constructed transformer at the chosen n "
                             "(NaN before the first chunk).  Normalized: divided by E(wᵀx_q)² = d E x², the error of "
                             "predicting 0 (error / d for Gaussian x, 3 error / d for uniform x)");
    d.metric("err_gd_tuned_at_n", "Monte Carlo normalized error of tuned one-step GD at the chosen n");
    d.metric("err_gd_tuned_at_n_stderr", "standard error of err_gd_tuned_at_n");
    d.metric("err_ols_at_n", "Monte Carlo normalized error of OLS at the chosen n");
    d.metric("err_ridge_at_n", "Monte Carlo normalized error of ridge (Bayes optimal for either x) at the chosen n");
    d.metric("err_averaging_at_n", "Monte Carlo normalized error of averaging at the chosen n");
    d.metric("err_knn_at_n", "Monte Carlo normalized error of 3-nearest-neighbour averaging at the chosen n");
    d.metric("prompts_at_n", "prompts evaluated so far at the chosen n (2000 when done)");
    d.metric("curve_points", "context lengths of the error-vs-n curves finished so far (30 when done)");
  }

  void declare_text(Walkthrough& t) {
    t.section("The problem")
        .paragraph("In-context learning: a model reads a prompt of examples (x_1, y_1), ..., (x_n, y_n) and a query "
                   "x_q, and predicts y_q without any change to its own weights.  Here every prompt comes from a "
                   "fresh linear task y = w^T x with w ~ N(0, I_d), so the model cannot memorize w: it has to "
                   "estimate it from the n examples in front of it.  How can attention do that?")
        .paragraph("von Oswald et al. show a weight setting for one linear self-attention layer whose output is "
                   "exactly one step of gradient descent on the prompt's least-squares loss, and that trained "
                   "transformers end up close to it.");
    t.section("The method")
        .paragraph("Tokens stack input and label: e_i = (x_i, y_i) for the context, e_q = (x_q, 0) for the query.  "
                   "A linear self-attention layer (no softmax) updates every token from the context:")
        .equation("e_j ← e_j + (1/n) P W_V Σ_i e_i (W_K e_i)^T (W_Q e_j)")
        .paragraph("The construction (Prop. 1) uses the x-part for keys and queries and the y-part for values:")
        .equation("W_K = W_Q = [[I_d, 0], [0, 0]],   W_V = [[0, 0], [0, −1]],   P = η I")
        .paragraph("Then only y-slots change, and each one receives −(η/n) Σ_i y_i x_i^T x_j.  One GD step from "
                   "w = 0 on L(w) = 1/(2n) Σ_i (w^T x_i − y_i)^2 gives Δw = (η/n) Σ_i y_i x_i, so the query's "
                   "y-slot ends at −Δw^T x_q: the prediction with a minus sign.")
        .equation("y_pred = −e_q[y] = (η/n) Σ_i y_i x_i^T x_q")
        .paragraph("The context y-slots become residuals y_i − Δw^T x_i, so a second identical layer takes the "
                   "next GD step on them: K layers = K steps of GD from w = 0.")
        .paragraph("Errors are shown normalized by the error of predicting 0, E(wᵀx_q)² = d s with s = E x_k² "
                   "(s = 1 for Gaussian x: von Oswald et al.'s error / d; s = 1/3 for x ~ U(−1, 1)).  For inputs "
                   "with independent coordinates of variance s and fourth moment m₄, one GD step has, noiseless,")
        .equation("R(η) / (d s) = 1 − 2η s + η² (m₄ + (n + d − 2) s²) / n,   best at η* = s n / (m₄ + (n + d − 2) s²)")
        .paragraph("(E tr(XᵀX)² = n d (m₄ + (n + d − 2) s²), from E‖x‖⁴ = d m₄ + d(d−1) s² and E (x_iᵀx_j)² = d s²; "
                   "noise adds terms in σ²).  Gaussian x (s = 1, m₄ = 3): R/d = 1 − 2η + η² (n + d + 1)/n, "
                   "η* = n / (n + d + 1), error (d + 1)/(n + d + 1); averaging (η = 1) gives (d + 1)/n and OLS "
                   "1 − n/d for n < d and 0 beyond.  Uniform x (s = 1/3, m₄ = 1/5): the step is about 3 times "
                   "larger and the error slightly lower, only the lighter tails (the fourth moment) differ.  OLS "
                   "has no closed form for uniform x (E (XᵀX)⁻¹ is not a Wishart moment): Monte Carlo only.")
        .warning("x distribution: von Oswald et al.'s official code, whose notebooks reproduce the paper's figures, "
                 "draws x ~ U(−1, 1)^d (data.py, create_reg_data: \"x ~ U(-1, 1), w ~ N(0,1)\", uniform on "
                 "±input_range/2 with input_range = 2); that is the default here.  The Gaussian choice is the setting of the closed forms above and of Garg et al.  With "
                 "uniform x and the Gaussian step n/(n + d + 1), one-step GD would be badly under-stepped "
                 "(E x x^T = I/3); the tuned step here is tuned for the chosen distribution.");
    t.section("Try this")
        .bullet("Set K = 1 (tuned step): the transformer's curve lies exactly on tuned one-step GD.")
        .bullet("Raise K: more layers, more GD steps, lower error for n > d, on the way to OLS and ridge.  "
                "(The tuned step is tuned for one step, so K > 1 is not the best K-step GD.)")
        .bullet("Untick 'tuned' and raise η with K = 3: at small n the GD steps overshoot and the error explodes.")
        .bullet("Add noise: OLS blows up near n = d, ridge stays best, and every curve stops at the σ²/d floor.")
        .paragraph("The construction equals explicit GD (K = 1..5, 32 prompts at the chosen n): "
                   "max |y_pred(LSA) − y_pred(GD)| = {lsa_vs_gd_max_abs_diff:%.2e}.")
        .note("Both computed in double precision; the difference is rounding error only.")
        .paragraph("At the chosen n ({prompts_at_n:%.0f} prompts), normalized error: transformer, K layers "
                   "{err_lsa_at_n:%.4f}; tuned one-step GD {err_gd_tuned_at_n:%.4f} ± {err_gd_tuned_at_n_stderr:%.4f} "
                   "(closed form {closed_gd_tuned_at_n:%.4f}); OLS {err_ols_at_n:%.4f}; ridge (Bayes optimal) "
                   "{err_ridge_at_n:%.4f}.")
        .note("In the single-prompt view, faint lines: the first context y-slots, which hold the residuals "
              "y_i − w_k^T x_i.  Bold: the query's prediction.  Dots: K explicit GD steps; they sit on the line.");
    t.section("What the paper reports")
        .paper("one LSA layer vs one GD step (Prop. 1)", "identical by construction", "lsa_vs_gd_max_abs_diff",
               "max diff %.1e (live)", "Live: K = 1..5 layers against explicit GD in double precision.")
        .paper("tuned one-step GD, normalized error at this n", "(d+1)/(n+d+1) (closed form)", "err_gd_tuned_at_n",
               "%.4f (Monte Carlo)",
               "Gaussian x.  The closed form is this lesson's derivation, not a number printed in the paper.")
        .when([this] { return !uniform(); })
        .paper("tuned one-step GD, normalized error at this n", "1 − s η* (closed form, s = 1/3)", "err_gd_tuned_at_n",
               "%.4f (Monte Carlo)",
               "x ~ U(−1, 1)^d as in the paper and its code.  The closed form (m₄ = 1/5) is this lesson's "
               "derivation, not a number printed in the paper.")
        .when([this] { return uniform(); })
        .paragraph("The paper's experiments train LSA transformers on such prompts (d = 10) and find their loss, "
                   "predictions and gradients nearly match this construction with a learned step, and that "
                   "K trained layers track K steps of GD.  This lesson builds the construction directly; "
                   "it does not train, which is a simplification.");
  }

  void run_at_n_chunk() {
    icl::sample_prompts(config_, at_n_rng_, chunk_);
    const double eta_gd = icl::gd_step_opt(d_, n_, noise_, 1.0, moments_), lambda = icl::ridge_lambda(config_);
    for (int b = 0; b < chunk_.B; ++b) {
      const double *x = chunk_.x_of(b), *y = chunk_.y_of(b), *xq = chunk_.xq_of(b), t = chunk_.yq[b];
      auto sq = [t](double pred) { return (pred - t) * (pred - t); };
      at_n_.lsa += sq(lsa_.predict(shape_, params_.data(), x, y, n_, xq));
      const double g = sq(icl::predict_gd(x, y, n_, d_, eta_gd, xq));
      at_n_.gd += g;
      at_n_.gd_sq += g * g;
      at_n_.ols += sq(icl::predict_ols(x, y, n_, d_, xq));
      at_n_.ridge += sq(icl::predict_ridge(x, y, n_, d_, lambda, xq));
      at_n_.averaging += sq(icl::predict_averaging(x, y, n_, d_, xq));
      at_n_.knn += sq(icl::predict_knn(x, y, n_, d_, xq, 3));
    }
    at_n_.prompts += chunk_.B;
  }

  // One chunk of one length of the curves; the length's point is finished
  // (normalized, closed forms added) with its last chunk.
  void run_curve_chunk() {
    const int unit = next_unit_ - kAtNChunks, chunk = unit % kCurveChunks;
    const int n = grid_[size_t(unit / kCurveChunks)];
    icl::PromptConfig c = config_;
    c.n = n;
    const double eta = eta_at(n);
    if (chunk == 0) {
      curve_rng_ = Rng(seed_).fork(kStreamCurves + 16 * uint64_t(n));
      curve_batch_.resize(kChunk, n, d_);
      icl::lsa_set_gd_construction(shape_, curve_params_.data(), eta);
      acc_ = icl::RiskCurvePoint();
      acc_.n = n;
    }
    icl::sample_prompts(c, curve_rng_, curve_batch_);
    const icl::BaselineLosses mc = icl::evaluate_baselines(curve_batch_, c);  // means over the chunk
    acc_.mc.ols += mc.ols, acc_.mc.ridge += mc.ridge, acc_.mc.gd += mc.gd;
    acc_.mc.debiased_gd += mc.debiased_gd, acc_.mc.averaging += mc.averaging, acc_.mc.knn += mc.knn;
    double sum = 0;
    for (int b = 0; b < curve_batch_.B; ++b) {
      const double err = curve_lsa_.predict(shape_, curve_params_.data(), curve_batch_.x_of(b), curve_batch_.y_of(b),
                                            n, curve_batch_.xq_of(b)) - curve_batch_.yq[b];
      sum += err * err;
    }
    acc_.lsa += sum / curve_batch_.B;
    if (chunk + 1 < kCurveChunks) return;
    // Normalize: mean over chunks, divided by the signal power d E x² (tau^2 = 1):
    // von Oswald et al.'s error / d for Gaussian x, 3 error / d for uniform x.
    const double s = 1.0 / (kCurveChunks * signal_);
    icl::RiskCurvePoint& p = acc_;
    p.lsa *= s, p.mc.ols *= s, p.mc.ridge *= s, p.mc.gd *= s, p.mc.debiased_gd *= s, p.mc.averaging *= s, p.mc.knn *= s;
    p.gd_step = icl::gd_step_opt(d_, n, noise_, 1.0, moments_);
    // OLS has a closed form for Gaussian x only (E (X^T X)^-1 is Wishart there).
    p.ols_closed = uniform() ? NAN : icl::ols_risk(d_, n, noise_, 1.0) / d_;
    p.averaging_closed = icl::gd_risk(d_, n, noise_, 1.0, 1.0, moments_) / signal_;
    p.gd_tuned_closed = icl::gd_risk(d_, n, noise_, 1.0, p.gd_step, moments_) / signal_;
    p.lsa_closed = layers_ == 1 ? icl::gd_risk(d_, n, noise_, 1.0, eta, moments_) / signal_ : NAN;
    curves_.push_back(p);
    refresh_curves();
  }

  // The views' curves: the points computed so far (coarse-to-fine), by n.
  void refresh_curves() {
    std::vector<icl::RiskCurvePoint> sorted = curves_;
    std::sort(sorted.begin(), sorted.end(),
              [](const icl::RiskCurvePoint& a, const icl::RiskCurvePoint& b) { return a.n < b.n; });
    curves_out_.clear();
    for (const icl::RiskCurvePoint& p : sorted)
      curves_out_.push({float(p.n), float(p.lsa), float(p.mc.ols), float(p.mc.ridge), float(p.mc.averaging),
                         float(p.mc.gd), float(p.mc.debiased_gd), float(p.mc.knn),
                         std::isfinite(p.ols_closed) ? float(p.ols_closed) : NAN, float(p.averaging_closed),
                         float(p.gd_tuned_closed), float(p.lsa_closed), float(p.gd_step)});
  }

  // Prop. 1 checked: K layers of the construction against K explicit GD steps,
  // for K = 1..5, on kCheckPrompts fixed prompts at the chosen n.
  void check_lsa_vs_gd() {
    Rng rng = Rng(seed_).fork(kStreamCheck);
    icl::PromptBatch batch;
    batch.resize(kCheckPrompts, n_, d_);
    icl::sample_prompts(config_, rng, batch);
    const double eta = eta_at(n_);
    double worst = 0;
    for (int k = 1; k <= kMaxLayers; ++k) {
      icl::LsaShape s;
      s.d = d_;
      s.layers = k;
      std::vector<double> w(size_t(s.num_params()));
      icl::lsa_set_gd_construction(s, w.data(), eta);
      icl::LsaStack<double> stack;
      for (int b = 0; b < batch.B; ++b) {
        const double lsa = stack.predict(s, w.data(), batch.x_of(b), batch.y_of(b), n_, batch.xq_of(b));
        const double gd = icl::predict_gd_steps(batch.x_of(b), batch.y_of(b), n_, d_, eta, k, batch.xq_of(b));
        worst = std::max(worst, std::fabs(lsa - gd));
      }
    }
    lsa_vs_gd_max_abs_diff_ = worst;
  }

  // Layer 1's W_K (= W_Q), W_V and P W_V, the value path's effective matrix
  // (every layer is the same): (3, D, D).
  void build_layer_matrices() {
    const int D = shape_.D();
    std::vector<float> m(size_t(3) * D * D, 0.0f);
    const double *WK = &params_[size_t(shape_.wk_offset(0))], *WV = &params_[size_t(shape_.wv_offset(0))],
                 *P = &params_[size_t(shape_.p_offset(0))];
    for (int i = 0; i < D * D; ++i) m[size_t(i)] = float(WK[i]), m[size_t(D * D + i)] = float(WV[i]);
    for (int i = 0; i < D; ++i)
      for (int j = 0; j < D; ++j) {
        double s = 0;
        for (int k = 0; k < D; ++k) s += P[i * D + k] * WV[k * D + j];
        m[size_t(2 * D * D + i * D + j)] = float(s);
      }
    layer_matrices_.set({3, D, D}, m.data());
    eta_shown_ = eta_at(n_);
  }

  // One prompt through the K layers: the y-slots after every layer.
  void build_single_prompt() {
    Rng rng = Rng(seed_).fork(kStreamOne);
    icl::PromptBatch one;
    one.resize(1, n_, d_);
    icl::sample_prompts(config_, rng, one);
    one_target_.set({1}, &one.yq[0]);
    lsa_.predict(shape_, params_.data(), one.x_of(0), one.y_of(0), n_, one.xq_of(0));
    const int D = shape_.D(), shown = std::min(n_, kShownTokens);
    std::vector<double> tokens;  // (K + 1, n + 1, D)
    for (int l = 0; l <= layers_; ++l) tokens.insert(tokens.end(), lsa_.tokens_after(l), lsa_.tokens_after(l) + (n_ + 1) * D);
    one_tokens_.set({layers_ + 1, n_ + 1, D}, tokens.data());
    // Columns: layer, query prediction, explicit GD, then the first y-slots.
    one_series_.columns = {"layer", "query_prediction", "explicit_gd"};
    for (int i = 0; i < shown; ++i) one_series_.columns.push_back("y_slot_" + std::to_string(i + 1));
    one_series_.values.assign(one_series_.columns.size(), std::vector<float>(size_t(layers_ + 1)));
    for (int l = 0; l <= layers_; ++l) {
      const double* e = lsa_.tokens_after(l);  // (n + 1, D)
      one_series_.col(0)[l] = float(l);
      one_series_.col(1)[l] = float(-e[size_t(n_) * D + d_]);
      one_series_.col(2)[l] = float(icl::predict_gd_steps(one.x_of(0), one.y_of(0), n_, d_, eta_at(n_), l, one.xq_of(0)));
      for (int i = 0; i < shown; ++i) one_series_.col(3 + i)[l] = float(e[size_t(i) * D + d_]);
    }
  }

  // ------------------------------------------------------------------ views
  // Error/d against n: Monte Carlo solid, closed forms dashed.
  void draw_curves(const ViewContext& v) const {
    const Series& c = curves_out_;
    const int m = c.rows();
    char lsa_label[48];
    std::snprintf(lsa_label, sizeof lsa_label, "transformer, K = %d", layers_);
    const float h = v.height > 0 ? v.height - v.font_size * 1.8f : v.font_size * 20;
    plot::LinePlot p("##curves", ImVec2(v.width, std::max(h, v.font_size * 8)));
    p.axes("context length n", uniform() ? "error / (d/3)" : "error / d");
    p.x_range(0, 80);
    p.y_range(0, 2.2);
    p.line("OLS", c.col(kN), c.col(kOls), m, plot::palette(1));
    p.line("ridge (Bayes)", c.col(kN), c.col(kRidge), m, plot::palette(2));
    p.line("averaging", c.col(kN), c.col(kAveraging), m, plot::palette(3));
    p.line("tuned 1-step GD", c.col(kN), c.col(kGd), m, plot::palette(4));
    p.line("3-NN", c.col(kN), c.col(kKnn), m, plot::palette(5));
    p.line(lsa_label, c.col(kN), c.col(kLsa), m, plot::palette(0));
    // Closed forms: dashed, same colors, kept out of the legend (a null label).
    p.line(nullptr, c.col(kN), c.col(kOlsClosed), m, plot::palette(1), true);
    p.line(nullptr, c.col(kN), c.col(kAveragingClosed), m, plot::palette(3), true);
    p.line(nullptr, c.col(kN), c.col(kGdClosed), m, plot::palette(4), true);
    if (layers_ == 1 && !tuned_) p.line(nullptr, c.col(kN), c.col(kLsaClosed), m, plot::palette(0), true);
    p.vline(n_, "n");
    if (noise_ > 0) p.hline(noise_ / signal_, "σ² floor");
    p.draw();
    if (!done()) ImGui::TextDisabled("Monte Carlo: %d of %d lengths (%d prompts each)...", m, int(grid_.size()), kCurvePrompts);
    else ImGui::TextDisabled("Monte Carlo: %d prompts per length; 1 is the error of predicting 0.%s", kCurvePrompts,
                             uniform() ? "  OLS: no closed form for uniform x." : "");
  }

  // The construction's matrices for layer 1, from layer_matrices (3, D, D).
  void draw_weights(const ViewContext& v) const {
    const int D = int(layer_matrices_.shape[1]);
    const float* m = layer_matrices_.f.data();
    const float gap = ImGui::GetStyle().ItemSpacing.x;
    const float w = std::min((v.width - 2 * gap) / 3.0f, v.font_size * 14.0f);
    plot::HeatmapStyle hs;
    hs.map = plot::Colormap::diverging;
    hs.vmin = -1, hs.vmax = 1;
    hs.title = "W_K = W_Q";
    const ImVec2 size(w, w - v.font_size * 3.0f);  // square cells beside the color bar
    plot::heatmap("##wk", size, m, D, D, hs);
    ImGui::SameLine();
    hs.title = "W_V";
    plot::heatmap("##wv", size, m + D * D, D, D, hs);
    ImGui::SameLine();
    hs.title = "P W_V  (P = η I)";
    hs.vmin = float(-std::max(eta_shown_, 1e-6)), hs.vmax = float(std::max(eta_shown_, 1e-6));
    plot::heatmap("##pv", size, m + 2 * D * D, D, D, hs);
    ImGui::TextDisabled("Rows and columns 1..%d are x, the last is y.  η = %.4g%s.", D - 1, eta_shown_,
                        tuned_ ? " (tuned for this n)" : "");
  }

  // One prompt: the context y-slots (residuals) and the query's prediction, layer by layer.
  void draw_single_prompt(const ViewContext& v) const {
    const Series& s = one_series_;
    const int L = s.rows();
    plot::LinePlot p("##slots", ImVec2(v.width, v.height > 0 ? v.height : v.font_size * 14));
    p.axes("after layer", "y-slot value");
    p.x_range(0, std::max(1, L - 1));
    char labels[kShownTokens][24];
    for (int i = 0; i + 3 < s.cols() && i < kShownTokens; ++i) {
      std::snprintf(labels[i], sizeof labels[i], "y-slot %d", i + 1);
      p.line(labels[i], s.col(0), s.col(3 + i), L, plot::palette(i + 1, 0.45f));
    }
    p.line("query: −y-slot", s.col(0), s.col(1), L, plot::palette(0));
    p.points("explicit GD, k steps", s.col(0), s.col(2), L, plot::ink(0.9f));
    p.hline(one_target_.d[0], "true y_q");
    p.draw();
  }

  int d_ = 10, n_ = 20, layers_ = 3, x_dist_ = 0;
  double noise_ = 0, eta_ = 0.5;
  icl::InputMoments moments_;  // E x_k^2, E x_k^4 of the chosen x distribution
  double signal_ = 10;         // E (w^T x_q)^2 = d E x_k^2: errors are divided by it
  bool tuned_ = true;
  uint64_t seed_ = 1;

  icl::PromptConfig config_;
  icl::LsaShape shape_;
  std::vector<double> params_;  // the construction, (layers, 4, D, D)
  icl::LsaStack<double> lsa_;
  Rng at_n_rng_;
  icl::PromptBatch chunk_;
  AtN at_n_;
  double lsa_vs_gd_max_abs_diff_ = 0;
  double eta_shown_ = 0;  // the construction's step at the chosen n

  std::vector<int> grid_;
  Rng curve_rng_;
  icl::PromptBatch curve_batch_;
  std::vector<double> curve_params_;  // the construction with the step for the current length
  icl::LsaStack<double> curve_lsa_;
  icl::RiskCurvePoint acc_;
  std::vector<icl::RiskCurvePoint> curves_;  // in the order computed (coarse-to-fine)
  int next_unit_ = 0;

  // Outputs.
  // One row per finished length, by n: Monte Carlo and closed forms, normalized error
  // (error / (d E x²)); ols_closed is NaN for uniform x.
  Series& curves_out_ = outputs_.series("error_curves", {"n", "transformer", "ols", "ridge", "averaging", "gd_tuned",
                                                         "debiased_gd", "knn", "ols_closed", "averaging_closed",
                                                         "gd_tuned_closed", "transformer_closed", "gd_step"});
  Array& construction_ = outputs_.array("construction");      // (K, 4, D, D) f64: W_Q | W_K | W_V | P per layer
  Array& layer_matrices_ = outputs_.array("layer_matrices");  // (3, D, D): W_K = W_Q, W_V, P W_V of layer 1
  // The single prompt: (K + 1) rows of layer, query prediction, explicit GD, y-slots 1..6;
  // its tokens after each layer (K + 1, n + 1, D) f64; its true y_q (1,) f64.
  Series& one_series_ = outputs_.series("single_prompt", {"layer"});
  Array& one_tokens_ = outputs_.array("single_prompt_tokens");
  Array& one_target_ = outputs_.array("single_prompt_target");
};

}  // namespace

PG_REGISTER_LESSON(IclGd, 7);

}  // namespace pg
