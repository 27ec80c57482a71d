// test_time_regression.cpp - Lesson: "Test-time regression: a unifying
// framework for designing sequence models with associative memory" (Wang,
// Shi & Fox, 2025, arXiv:2501.12352).
//
// A memory layer stores key-value pairs by fitting a regression from keys to
// values, and recalls by evaluating the fit at a query.  Six layers, each a
// choice of weights, function class and optimizer (engine/attention/
// regression.h, and softmax attention from engine/attention/attention.h),
// store the same t pairs; each stored key is then queried and the recalled
// value compared with the stored one, as the keys get more correlated.
//
// Work units (step): a quarter of one correlation of the recall-error curve
// (every layer, kTrials / kChunks trials).  The chosen correlation is measured in reset, so the
// read-outs exist at once; every unit draws from its own stream.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "engine/attention/attention.h"
#include "engine/attention/regression.h"
#include "engine/rng.h"
#include "engine/timing.h"
#include "lessons/lesson.h"
#include "ui/panel.h"
#include "ui/plots.h"

namespace pg {
namespace {

const LessonInfo kInfo = {
    "test-time-regression",
    "Test-time regression: sequence layers as associative memory",
    "Wang, Shi & Fox",
    2025,
    "2501.12352",
    "",
    "A. Softmax and attention kernels",
    LessonKind::analysis,
    Stepping::continuous,
    "Linear attention, least squares, DeltaNet and softmax as regressions from keys to values; recall as keys correlate.",
};

constexpr int kDim = 16;     // key dimension d
constexpr int kValDim = 8;   // value dimension
constexpr int kTrials = 20;  // trials per point of the curve
constexpr int kChunks = 4;   // work units per point (5 trials each: < 20 ms at t = 64)
const double kRhoGrid[] = {0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99};
constexpr int kGridSize = int(sizeof(kRhoGrid) / sizeof(kRhoGrid[0]));

enum Layer { kLinear, kLeastSquares, kGated, kDeltaNet, kSoftmax, kLocalLinear, kLayers };
const char* const kLayerKeys[kLayers] = {"linear", "least_squares", "gated", "deltanet", "softmax", "local_linear"};
const char* const kLayerLabels[kLayers] = {"linear attention", "least squares", "gated (forgetting)",
                                           "DeltaNet", "softmax (Nadaraya-Watson)", "local-linear"};
enum Stream : uint64_t { kStreamShown = 1, kStreamAtRho = 2, kStreamCurve = 100 };

// t pairs: unit keys k_j = normalize(sqrt(1 - rho) z_j + sqrt(rho) c), z_j ~ N(0, I/d), c a shared
// unit direction (so k_i . k_j ~ rho), or Gram-Schmidt-orthonormal keys; values ~ N(0, I/dv).
struct Pairs {
  int t = 0;
  std::vector<double> K, V;  // (t, d), (t, dv)
};

Pairs make_pairs(Rng& rng, int t, double rho, bool orthonormal) {
  Pairs p;
  p.t = t;
  p.K.resize(size_t(t) * kDim), p.V.resize(size_t(t) * kValDim);
  std::vector<double> c(kDim);
  double cn = 0;
  for (double& x : c) {
    x = rng.normal();
    cn += x * x;
  }
  for (double& x : c) x /= std::sqrt(cn);
  const double a = std::sqrt(1.0 - rho), b = std::sqrt(rho);
  for (int j = 0; j < t; ++j) {
    double* k = &p.K[size_t(j) * kDim];
    for (int e = 0; e < kDim; ++e) k[e] = a * rng.normal() / std::sqrt(double(kDim)) + b * c[size_t(e)];
    if (orthonormal && t <= kDim)  // Gram-Schmidt against the earlier keys
      for (int l = 0; l < j; ++l) {
        const double* o = &p.K[size_t(l) * kDim];
        double dot = 0;
        for (int e = 0; e < kDim; ++e) dot += k[e] * o[e];
        for (int e = 0; e < kDim; ++e) k[e] -= dot * o[e];
      }
    double n2 = 0;
    for (int e = 0; e < kDim; ++e) n2 += k[e] * k[e];
    for (int e = 0; e < kDim; ++e) k[e] /= std::sqrt(n2);
  }
  for (double& v : p.V) v = rng.normal() / std::sqrt(double(kValDim));
  return p;
}

class TestTimeRegression : public Lesson {
 public:
  const LessonInfo& info() const override { return kInfo; }

  void declare(Declaration& d) override {
    ParamList& p = d.params;
    p.real("rho", "key correlation ρ", &rho_, 0.0, 0.99, 0.5,
           "Every pair of keys has correlation about ρ (a shared direction of weight √ρ).  The curves sweep ρ; "
           "the read-outs and the matrices are at this ρ.");
    p.integer("pairs", "pairs t", &pairs_, 1, 64, 12,
              "Key-value pairs stored, then recalled.  Keys have d = 16 dimensions: beyond t = 16 no linear map "
              "can store every pair exactly.");
    p.real("beta", "DeltaNet step β", &beta_, 0.05, 1.9, 1.0,
           "DeltaNet's online gradient step.  With β = 1 and unit keys each new pair is stored exactly (and may "
           "overwrite older ones).");
    p.real("inv_tau", "kernel sharpness 1/τ", &inv_tau_, 1.0, 64.0, 8.0,
           "The kernel exp(q·k / τ) of softmax attention (Nadaraya-Watson) and of local-linear regression.", true);
    p.real("lambda", "ridge λ", &lambda_, 1e-6, 10.0, 1e-3,
           "The ridge of least squares, (Σ k kᵀ + λ I)⁻¹, and of local-linear regression's slope.", true);
    p.real("gamma", "forgetting γ", &gamma_, 0.5, 1.0, 0.9,
           "The gated layer's decay per pair: the weight of pair j is γ^(t−j) (gated linear attention).");
    p.toggle("orthonormal", "orthonormal keys", &orthonormal_, false,
             "Gram-Schmidt the keys (when t ≤ 16): then linear attention and least squares both recall exactly.  "
             "The correlation ρ no longer applies.");
    declare_text(d.text);
    d.view("curves", "Recall error against key correlation ρ (1 = no better than recalling 0)",
           [this](const ViewContext& v) { draw_curves(v); });
    d.view("memories", "The fitted memories M (rows: value dims, columns: key dims) and the keys' Gram matrix",
           [this](const ViewContext& v) { draw_memories(v); });
    declare_metrics(d);
  }

  void reset(uint64_t seed) override {
    seed_ = seed;
    Rng rng = Rng(seed).fork(kStreamShown);
    shown_ = make_pairs(rng, pairs_, rho_, orthonormal_);
    recall_all(shown_, shown_err_, true);
    // The checks on the shown pairs (regression.h's identities, live).
    const int t = shown_.t;
    std::vector<double> M_gd(size_t(kValDim) * kDim, 0.0), M_batch(M_gd.size());
    attn::ttr_gd_step(M_gd.data(), shown_.K.data(), shown_.V.data(), t, kDim, kValDim, 1.0);
    linear_vs_gd_ = max_abs_diff(M_gd, M_[kLinear]);
    attn::ttr_least_squares_memory(shown_.K.data(), shown_.V.data(), t, kDim, kValDim, lambda_, M_batch.data());
    rls_vs_batch_ = std::max(max_abs_diff(M_batch, M_rls_), max_abs_diff(Y_[kLeastSquares], Y_batch_));
    newest_err_ = 0;  // DeltaNet: the newest pair's recall, ||M_t k_t - v_t||_inf
    for (int r = 0; r < kValDim; ++r) {
      double s = 0;
      for (int c = 0; c < kDim; ++c) s += M_[kDeltaNet][size_t(r) * kDim + c] * shown_.K[size_t(t - 1) * kDim + c];
      newest_err_ = std::max(newest_err_, std::fabs(s - shown_.V[size_t(t - 1) * kValDim + r]));
    }
    key_corr_ = 0;
    for (int i = 0; i < t; ++i)
      for (int j = 0; j < i; ++j) key_corr_ += dot(&shown_.K[size_t(i) * kDim], &shown_.K[size_t(j) * kDim]);
    key_corr_ = t > 1 ? key_corr_ / (0.5 * t * (t - 1)) : 0.0;
    export_shown();
    // The chosen rho now, from its own stream (the curve's points have theirs).
    Rng at_rng = Rng(seed).fork(kStreamAtRho);
    at_rho_ = Errors();
    measure_chunk(rho_, at_rng, kTrials, at_rho_);
    for (double& x : at_rho_.err) x /= kTrials;
    curve_.assign(size_t(kGridSize), {});
    acc_ = Errors();
    next_unit_ = 0, points_ = 0;
    refresh_curve();
  }

  int step(int max_steps, double budget_ms) override {
    const int units = timing::run_budgeted(max_steps, budget_ms, [this] { return done(); }, [&] {
      const int g = next_unit_ / kChunks, chunk = next_unit_ % kChunks;
      if (chunk == 0) curve_rng_ = Rng(seed_).fork(kStreamCurve + uint64_t(g));
      measure_chunk(kRhoGrid[g], curve_rng_, kTrials / kChunks, acc_);
      if (chunk + 1 == kChunks) {
        Errors& e = curve_[size_t(g)];
        for (int l = 0; l < kLayers; ++l) e.err[l] = acc_.err[l] / kTrials, acc_.err[l] = 0;
        ++points_;
        refresh_curve();
      }
      ++next_unit_;
    });
    return units;
  }

  bool done() const override { return next_unit_ >= kGridSize * kChunks; }

  void metrics(MetricList& out) const override {
    for (int l = 0; l < kLayers; ++l) out.add(("recall_err_" + std::string(kLayerKeys[l])).c_str(), at_rho_.err[l]);
    out.add("rls_vs_batch_max_abs", rls_vs_batch_);
    out.add("linear_vs_gd_step_max_abs", linear_vs_gd_);
    out.add("deltanet_newest_err", newest_err_);
    out.add("key_corr_mean", key_corr_);
    out.add("curve_points", double(points_));
  }

 private:
  struct Errors {
    double err[kLayers] = {0, 0, 0, 0, 0, 0};
  };

  static double dot(const double* a, const double* b) {
    double s = 0;
    for (int c = 0; c < kDim; ++c) s += a[c] * b[c];
    return s;
  }
  static double max_abs_diff(const std::vector<double>& a, const std::vector<double>& b) {
    double e = 0;
    for (size_t i = 0; i < a.size() && i < b.size(); ++i) e = std::max(e, std::fabs(a[i] - b[i]));
    return e;
  }

  // Every layer stores the t pairs and recalls each stored key; err[l] =
  // sum ||y_j - v_j||^2 / sum ||v_j||^2.  keep: also hold the memories and
  // recalled values (for the shown pairs).
  void recall_all(const Pairs& p, Errors& e, bool keep) {
    const int t = p.t;
    const double *K = p.K.data(), *V = p.V.data();
    std::vector<double> Y[kLayers];
    for (auto& y : Y) y.assign(size_t(t) * kValDim, 0.0);
    std::vector<double> M[kLayers], M_rls(size_t(kValDim) * kDim);
    for (int l = 0; l < 4; ++l) M[l].assign(size_t(kValDim) * kDim, 0.0);
    const std::vector<double> gamma(size_t(t), gamma_);
    // Non-causal: every query reads the memory after all t pairs.
    attn::ttr_linear_forward(K, K, V, Y[kLinear].data(), t, t, kDim, kValDim, false, M[kLinear].data());
    attn::ttr_rls_forward(K, K, V, Y[kLeastSquares].data(), t, t, kDim, kValDim, lambda_, false, M_rls.data());
    attn::ttr_least_squares_memory(K, V, t, kDim, kValDim, lambda_, M[kLeastSquares].data());
    attn::ttr_gated_forward(K, K, V, gamma.data(), Y[kGated].data(), t, t, kDim, kValDim, false, M[kGated].data());
    attn::ttr_delta_forward(K, K, V, beta_, Y[kDeltaNet].data(), t, t, kDim, kValDim, false, M[kDeltaNet].data());
    attn::ttr_local_linear_forward(K, K, V, Y[kLocalLinear].data(), t, t, kDim, kValDim, inv_tau_, lambda_, false);
    softmax_recall(p, Y[kSoftmax]);
    double vv = 0;
    for (double v : p.V) vv += v * v;
    for (int l = 0; l < kLayers; ++l) {
      double s = 0;
      for (size_t i = 0; i < Y[l].size(); ++i) s += (Y[l][i] - p.V[i]) * (Y[l][i] - p.V[i]);
      e.err[l] = std::isfinite(s) ? s / std::max(vv, 1e-300) : 1e30;
    }
    if (keep) {
      for (int l = 0; l < kLayers; ++l) Y_[l] = Y[l];
      for (int l = 0; l < 4; ++l) M_[l] = M[l];
      M_rls_ = M_rls;
      Y_batch_.assign(size_t(t) * kValDim, 0.0);  // the batch fit's recall, for the RLS check
      attn::ttr_least_squares_forward_ref(K, K, V, Y_batch_.data(), t, t, kDim, kValDim, lambda_, false);
    }
  }

  // Softmax attention as Nadaraya-Watson: the shared operator (float), keys
  // as queries, not causal, scale 1/τ.
  void softmax_recall(const Pairs& p, std::vector<double>& y) const {
    const int t = p.t;
    std::vector<float> K(p.K.begin(), p.K.end()), V(p.V.begin(), p.V.end()), Phi(size_t(t) * t),
        Y(size_t(t) * kValDim);
    attn::OpSpec spec;
    spec.op = attn::Op::softmax, spec.causal = false, spec.scale = float(inv_tau_);
    attn::attention_weights(spec, K.data(), K.data(), t, kDim, Phi.data());
    attn::weights_apply(Phi.data(), V.data(), t, kValDim, Y.data());
    for (size_t i = 0; i < Y.size(); ++i) y[i] = Y[i];
  }

  // `trials` trials at correlation rho drawn from rng; their errors are added to acc.
  void measure_chunk(double rho, Rng& rng, int trials, Errors& acc) {
    for (int b = 0; b < trials; ++b) {
      Errors e;
      recall_all(make_pairs(rng, pairs_, rho, orthonormal_), e, false);
      for (int l = 0; l < kLayers; ++l) acc.err[l] += e.err[l];
    }
  }

  void refresh_curve() {
    curve_out_.clear();
    for (int g = 0; g < points_; ++g) {
      const Errors& e = curve_[size_t(g)];
      curve_out_.push({float(kRhoGrid[g]), float(e.err[0]), float(e.err[1]), float(e.err[2]), float(e.err[3]),
                       float(e.err[4]), float(e.err[5])});
    }
  }

  void export_shown() {
    const int t = shown_.t;
    keys_out_.set({t, kDim}, shown_.K.data());
    values_out_.set({t, kValDim}, shown_.V.data());
    for (int l = 0; l < kLayers; ++l) y_out_[l]->set({t, kValDim}, Y_[l].data());
    for (int l = 0; l < 4; ++l) m_out_[l]->set({kValDim, kDim}, M_[l].data());
    m_rls_out_.set({kValDim, kDim}, M_rls_.data());
    gram_.assign(size_t(t) * t, 0.0f);
    for (int i = 0; i < t; ++i)
      for (int j = 0; j < t; ++j) gram_[size_t(i) * t + j] = float(dot(&shown_.K[size_t(i) * kDim], &shown_.K[size_t(j) * kDim]));
    for (int l = 0; l < 4; ++l) m_shown_[l].assign(M_[l].begin(), M_[l].end());
  }

  void declare_metrics(Declaration& d) {
    d.metric("recall_err_*", "recall error of one layer at the chosen ρ: Σ_j ||y_j − v_j||² / Σ_j ||v_j||² when every "
                             "stored key is queried, mean over 20 trials (1: no better than recalling 0)");
    d.metric("rls_vs_batch_max_abs", "largest |difference| between recursive least squares (Sherman-Morrison, one pair "
                                     "at a time) and the batch fit, over M and the recalled values, shown pairs");
    d.metric("linear_vs_gd_step_max_abs", "largest |M_linear − M_one GD step| on the shown pairs: linear attention's "
                                          "memory is one gradient step from 0 with step 1 (rounding only)");
    d.metric("deltanet_newest_err", "max |M_t k_t − v_t| for DeltaNet on the shown pairs: 0 up to rounding when β = 1 "
                                    "(the newest pair is stored exactly)");
    d.metric("key_corr_mean", "mean k_i·k_j over the shown pairs (i ≠ j): the correlation the keys really have");
    d.metric("curve_points", "correlations of the curve finished so far (12 when done)");
  }

  void declare_text(Walkthrough& t);
  void draw_curves(const ViewContext& v) const;
  void draw_memories(const ViewContext& v) const;

  double rho_ = 0.5, beta_ = 1, inv_tau_ = 8, lambda_ = 1e-3, gamma_ = 0.9;
  int pairs_ = 12;
  bool orthonormal_ = false;
  uint64_t seed_ = 1;
  Pairs shown_;
  Errors shown_err_, at_rho_;
  std::vector<Errors> curve_;
  Errors acc_;      // sums of the current point's chunks
  Rng curve_rng_;   // the current point's stream
  int next_unit_ = 0, points_ = 0;
  std::vector<double> Y_[kLayers], M_[4], M_rls_, Y_batch_;
  double linear_vs_gd_ = 0, rls_vs_batch_ = 0, newest_err_ = 0, key_corr_ = 0;
  std::vector<float> gram_, m_shown_[4];  // what the memories view draws

  Array& keys_out_ = outputs_.array("keys");      // (t, d): also the queries
  Array& values_out_ = outputs_.array("values");  // (t, dv)
  Array* y_out_[kLayers] = {&outputs_.array("y_linear"),   &outputs_.array("y_least_squares"),
                            &outputs_.array("y_gated"),    &outputs_.array("y_deltanet"),
                            &outputs_.array("y_softmax"),  &outputs_.array("y_local_linear")};
  Array* m_out_[4] = {&outputs_.array("m_linear"), &outputs_.array("m_least_squares"), &outputs_.array("m_gated"),
                      &outputs_.array("m_deltanet")};  // (dv, d)
  Array& m_rls_out_ = outputs_.array("m_rls");       // (dv, d): recursive least squares
  Series& curve_out_ = outputs_.series("recall_err_vs_rho", {"rho", "linear", "least_squares", "gated", "deltanet",
                                                             "softmax", "local_linear"});
};

void TestTimeRegression::declare_text(Walkthrough& t) {
  t.section("The problem")
      .paragraph("A sequence layer with associative memory must store pairs (k_j, v_j) as they stream past and, "
                 "given a query, return the value stored under the closest key.  Linear attention, state space "
                 "models, DeltaNet and softmax attention do this in visibly different ways.  Is there one "
                 "principle behind them, and does it say which will fail when keys look alike?")
      .paragraph("Wang, Shi & Fox read every such layer as a regression solved at test time: memorizing is fitting "
                 "a map from keys to values, recalling is evaluating it at the query.");
  t.section("The method")
      .equation("M_t = argmin_m ½ Σ_j γ_j ||v_j − m(k_j)||²,   y = M_t(q)")
      .paragraph("Three choices make a layer: the weights γ_j, the function class of m, and how the minimization "
                 "is carried out.  With m linear (a matrix M):")
      .bullet("linear attention: one gradient step from M = 0 with step 1, M = Σ_j v_j k_jᵀ.  It equals the "
              "least-squares fit only if the keys are orthonormal: it ignores how the keys correlate.")
      .bullet("least squares: the exact fit, M = (Σ v kᵀ)(Σ k kᵀ + λ I)⁻¹; recursively (RLS), one pair at a "
              "time with the Sherman-Morrison update of P = (Σ k kᵀ + λ I)⁻¹.")
      .bullet("gated (forgetting): weights γ^(t−j), one gradient step: M_j = γ M_(j−1) + v_j k_jᵀ, as gated "
              "linear attention and SSMs do.")
      .bullet("DeltaNet: one online gradient step per pair, M_j = M_(j−1) − β (M_(j−1) k_j − v_j) k_jᵀ.")
      .paragraph("With a kernel instead of a matrix (nonparametric regression):")
      .bullet("softmax attention is the Nadaraya-Watson estimator, a locally constant fit with the kernel "
              "exp(q·k / τ): y = Σ_j exp(q·k_j/τ) v_j / Σ_j exp(q·k_j/τ).")
      .bullet("local-linear regression fits a line around the query under the same weights: "
              "y = v̄ + S_vk (S_kk + λ I)⁻¹ (q − k̄), with the kernel-weighted means and covariances.  It is the "
              "paper's higher-order generalization of softmax attention.")
      .paragraph("Here t pairs with unit keys in d = 16 dimensions and Gaussian values are stored; every stored key "
                 "is then queried.  The keys share a common direction, so k_i·k_j ≈ ρ (shown pairs: mean "
                 "{key_corr_mean:%.2f}).")
      .warning("Not verified against code: no official repository was found.  The identities the lesson relies "
               "on are algebra, and they are checked live: linear attention's memory equals one gradient step "
               "(max diff {linear_vs_gd_step_max_abs:%.1e}), recursive least squares equals the batch fit "
               "({rls_vs_batch_max_abs:%.1e}), DeltaNet with β = 1 stores the newest pair exactly "
               "({deltanet_newest_err:%.1e}).")
      .note("Teaching choices, not the paper's: the recall test (every stored key queried after all pairs, no "
            "causal mask); a constant forgetting factor γ; local-linear regression with the ridge λ on its slope; "
            "softmax attention computed by the shared attention operator in float, the other layers in double.");
  t.section("Try this")
      .bullet("At the chosen ρ: linear attention {recall_err_linear:%.3f}, least squares {recall_err_least_squares:%.2e}, "
              "gated {recall_err_gated:%.3f}, DeltaNet {recall_err_deltanet:%.3f}, softmax "
              "{recall_err_softmax:%.3f}, local-linear {recall_err_local_linear:%.3f}.  Slide ρ up: linear "
              "attention's crosstalk grows with the correlation, least squares undoes it.")
      .bullet("Tick 'orthonormal keys': linear attention and DeltaNet recall exactly, least squares up to its ridge "
              "(t ≤ 16); only the gated layer still loses its older pairs to forgetting.")
      .bullet("Raise the pairs above 16: no linear map from 16-d keys can store them all, and least squares' error "
              "jumps; the kernel layers (softmax, local-linear) keep going.")
      .bullet("Set λ to 10: least squares is pulled toward 0.  Move β: with β = 1 DeltaNet stores each new pair "
              "exactly, but the correction disturbs the older pairs in proportion to their correlation with the "
              "new key, so one pass is not the least-squares fit.  Raise 1/τ: softmax becomes nearest-neighbour "
              "lookup, exact here because every query is a stored, unit-norm key (the paper's case for "
              "normalizing queries and keys).");
  t.section("What the paper reports")
      .paper("linear attention and correlated keys", "fails to capture inter-token correlations (abstract)",
             "recall_err_linear", "recall error %.3f at this ρ", "Live: 16-d unit keys, correlation ρ as set.")
      .paper("least squares (the exact regression)", "accounts for key correlations", "recall_err_least_squares",
             "recall error %.2e at this ρ", "Live: ridge λ as set; exact when t ≤ 16 and λ → 0.")
      .paper("local-linear vs softmax (Nadaraya-Watson)", "a higher-order generalization of softmax attention",
             "recall_err_local_linear", "local-linear %.3f at this ρ",
             "Live: same kernel exp(q·k/τ) as softmax; compare recall_err_softmax.")
      .note("The paper's claims above are quoted from its abstract; no table or figure numbers were read for this "
            "lesson.");
}

void TestTimeRegression::draw_curves(const ViewContext& v) const {
  const Series& c = curve_out_;
  const int rows = c.rows();
  plot::LinePlot p("##curves", ImVec2(v.width, v.height > 0 ? v.height : v.font_size * 16));
  p.axes("key correlation ρ", "recall error", true);
  p.x_range(0, 1);
  p.y_range(1e-8, 4);
  std::vector<float> clamped[kLayers];  // a log axis cannot show exact zeros: floor at 1e-8
  for (int l = 0; l < kLayers; ++l) {
    clamped[l].resize(size_t(rows));
    for (int r = 0; r < rows; ++r) clamped[l][size_t(r)] = std::max(c.col(1 + l)[r], 1e-8f);
    p.line(kLayerLabels[l], c.col(0), clamped[l].data(), rows, plot::palette(l));
  }
  p.vline(rho_, "ρ");
  p.hline(1.0, "recall 0");
  p.draw();
  if (!done()) ImGui::TextDisabled("measuring: %d of %d correlations (%d trials each)...", points_, kGridSize, kTrials);
  else ImGui::TextDisabled("%d trials per point; errors below 1e-8 are drawn at 1e-8.", kTrials);
}

void TestTimeRegression::draw_memories(const ViewContext& v) const {
  const float w = ui::column_width(5, 8);
  const float h = std::max(v.font_size * 6.0f, std::min(w, v.font_size * 10.0f));
  const char* const titles[4] = {"M, linear attention", "M, least squares", "M, gated", "M, DeltaNet"};
  for (int l = 0; l < 4; ++l) {
    if (l > 0) ui::next_column(w);
    plot::HeatmapStyle hs;
    hs.map = plot::Colormap::diverging;
    hs.title = titles[l];
    ImGui::PushID(l);
    plot::heatmap("##m", ImVec2(w, h), m_shown_[l].data(), kValDim, kDim, hs);
    ImGui::PopID();
  }
  ui::next_column(w);
  plot::HeatmapStyle hs;
  hs.map = plot::Colormap::diverging;
  hs.vmin = -1, hs.vmax = 1;
  hs.title = "keys' Gram k_i·k_j";
  plot::heatmap("##gram", ImVec2(w, h), gram_.data(), shown_.t, shown_.t, hs);
}

}  // namespace

PG_REGISTER_LESSON(TestTimeRegression, 6);

}  // namespace pg
