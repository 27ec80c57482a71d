// softmax_as_rnn.cpp - Lesson: "On the Expressiveness of Softmax Attention: A
// Recurrent Neural Network Perspective" (Mongaras & Larson, 2025,
// arXiv:2507.23632; official code
// https://github.com/gmongaras/On-the-Expressiveness-of-Softmax-Attention-A-Recurrent-Neural-Network-Perspective).
//
// exp(q.k) = sum_p (q.k)^p / p!  and  (q.k)^p = q^(x)p . k^(x)p, so causal
// softmax attention is a sum of linear-attention RNNs, one per order p, with
// Kronecker-power states of size d^p (engine/attention/taylor.h).  The lesson
// truncates at order P, compares with the exact layer under each of the three
// denominators, and steps the RNN token by token.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "engine/attention/taylor.h"
#include "engine/rng.h"
#include "lessons/lesson.h"
#include "ui/panel.h"
#include "ui/plots.h"

namespace pg {
namespace {

const LessonInfo kInfo = {
    "softmax-as-rnn",
    "On the Expressiveness of Softmax Attention: A Recurrent Neural Network Perspective",
    "Mongaras & Larson",
    2025,
    "2507.23632",
    "https://github.com/gmongaras/On-the-Expressiveness-of-Softmax-Attention-A-Recurrent-Neural-Network-Perspective",
    "A. Softmax and attention kernels",
    LessonKind::analysis,  // no length knob: the CLI tests' kernel-size override does not apply
    Stepping::on_play,
    "Softmax attention is a sum of RNNs, one per Taylor order; truncate it and watch what is lost.",
};

constexpr int kN = 48;         // tokens
constexpr int kD = 4;          // query/key dimension: the order-p state is d^p wide
constexpr int kDv = 4;         // value dimension
constexpr int kMaxOrder = 6;   // the knob's maximum
constexpr int kCurveOrders = 12;  // the error-vs-order curve: P = 0 .. 12
constexpr const char* kDenNames[] = {"G_t (the Taylor sum)", "L2 norm of the output", "divide by t"};

attn::TaylorDenominator denominator(int i) {
  return i == 1 ? attn::TaylorDenominator::l2_norm : i == 2 ? attn::TaylorDenominator::token_count
                                                            : attn::TaylorDenominator::taylor_sum;
}
double max_abs_diff(const std::vector<double>& a, const std::vector<double>& b, size_t count) {
  double e = 0.0;
  for (size_t i = 0; i < count; ++i) e = std::max(e, std::fabs(a[i] - b[i]));
  return e;
}

class SoftmaxAsRnn : public Lesson {
 public:
  const LessonInfo& info() const override { return kInfo; }
  bool views_draw_from_outputs() const override { return true; }  // tests/test_worker_mirror.cpp

  void declare(Declaration& d) override {
    ParamList& p = d.params;
    p.integer("order", "truncation order P", &order_, 1, kMaxOrder, 2,
              "Keep the Taylor terms p = 0 .. P of exp(s q.k): P + 1 RNNs.  P = 1 is linear attention (plus a "
              "constant).");
    p.real("scale", "logit scale", &scale_, 0.25, 4, 1,
           "Logits are scale * q.k / sqrt(d) (the official code: scale 1).  Larger logits need more terms.", true);
    p.choice("denominator", "denominator", &den_, {"taylor_sum", "l2_norm", "token_count"}, 0,
             "What the summed numerator is divided by: taylor_sum = G_t (-> softmax as P grows), l2_norm = the "
             "output's L2 norm, token_count = the number of visible tokens t (the official code's variants).");
    declare_text(d.text);
    d.view("maps", "Exact softmax weights vs order-P weights, and the error against P",
           [this](const ViewContext& v) { draw_maps(v); });
    d.view("rnn", "The RNN token by token: each order's share of G_t, and the error per token",
           [this](const ViewContext& v) { draw_rnn(v); });
    d.metric("max_abs_err", "max over tokens and channels of |order-P output − exact output|, same denominator "
                            "(the parallel form)");
    d.metric("state_size", "numbers in the order-P RNN's state: Σ_(p≤P) d^p (dv + 1), the same at every token");
    d.metric("kv_cache_size", "numbers exact softmax attention keeps after all tokens: n (d + dv), growing with n");
    d.metric("min_denominator", "min over t of the Taylor sum G_t = Σ_j Σ_(p≤P) (s q_t·k_j)^p / p! (can be ≤ 0 "
                                "for odd P)");
    d.metric("nonpositive_denominators", "tokens whose G_t ≤ 0");
    d.metric("max_abs_err_order_*", "max_abs_err at order 4 / 8 / 12 (the curve against P)");
    d.metric("recurrent_vs_parallel_max_abs", "max |RNN output − parallel (masked matrix) output| over the tokens "
                                              "stepped so far (0 before the first)");
    d.metric("tokens_processed", "tokens the RNN has consumed");
    d.metric("max_abs_logit", "the largest |s q_t·k_j| over visible pairs: the series needs P well beyond it");
  }

  void reset(uint64_t seed) override {
    Rng rng(seed);
    const int n = kN;
    q_.resize(size_t(n) * kD), k_.resize(size_t(n) * kD), v_.resize(size_t(n) * kDv);
    for (double& x : q_) x = rng.normal();
    for (double& x : k_) x = rng.normal();
    for (double& x : v_) x = rng.normal();
    s_ = scale_ / std::sqrt(double(kD));
    const auto den = denominator(den_);
    // Exact and order-P, as masked matrices.
    w_exact_.resize(size_t(n) * n), w_order_.resize(size_t(n) * n);
    y_exact_.resize(size_t(n) * kDv), y_order_.resize(size_t(n) * kDv), y_rnn_.assign(size_t(n) * kDv, 0.0);
    div_exact_.resize(n), div_order_.resize(n), taylor_g_.resize(n);
    attn::taylor_weights(q_.data(), k_.data(), n, kD, s_, -1, w_exact_.data());
    attn::taylor_weights(q_.data(), k_.data(), n, kD, s_, order_, w_order_.data());
    attn::taylor_apply(w_exact_.data(), v_.data(), n, kDv, den, y_exact_.data(), div_exact_.data());
    attn::taylor_apply(w_order_.data(), v_.data(), n, kDv, den, y_order_.data(), div_order_.data());
    max_err_ = max_abs_diff(y_order_, y_exact_, y_order_.size());
    max_logit_ = 0.0;
    for (int i = 0; i < n; ++i)
      for (int j = 0; j <= i; ++j) {
        double dot = 0.0;
        for (int c = 0; c < kD; ++c) dot += q_[size_t(i) * kD + c] * k_[size_t(j) * kD + c];
        max_logit_ = std::max(max_logit_, std::fabs(s_ * dot));
      }
    min_g_ = INFINITY, nonpositive_ = 0;
    for (int i = 0; i < n; ++i) {
      double g = 0.0;
      for (int j = 0; j <= i; ++j) g += w_order_[size_t(i) * n + j];
      taylor_g_[i] = g;
      min_g_ = std::min(min_g_, g);
      nonpositive_ += g <= 0.0;
    }
    // The maps: weights over each row's divisor (Y = map V).
    map_exact_.resize(size_t(n) * n), map_order_.resize(size_t(n) * n);
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j) {
        map_exact_[size_t(i) * n + j] = float(div_exact_[i] != 0 ? w_exact_[size_t(i) * n + j] / div_exact_[i] : 0);
        map_order_[size_t(i) * n + j] = float(div_order_[i] != 0 ? w_order_[size_t(i) * n + j] / div_order_[i] : 0);
      }
    // Error against the order, for every denominator.
    curve_.clear();
    std::vector<double> W(size_t(n) * n), y(size_t(n) * kDv), ye(size_t(n) * kDv);
    for (int P = 0; P <= kCurveOrders; ++P) {
      attn::taylor_weights(q_.data(), k_.data(), n, kD, s_, P, W.data());
      float errs[3];
      for (int c = 0; c < 3; ++c) {
        attn::taylor_apply(w_exact_.data(), v_.data(), n, kDv, denominator(c), ye.data(), nullptr);
        attn::taylor_apply(W.data(), v_.data(), n, kDv, denominator(c), y.data(), nullptr);
        errs[c] = float(max_abs_diff(y, ye, y.size()));
      }
      curve_.push({float(P), errs[0], errs[1], errs[2]});
    }
    rnn_.reset(kD, kDv, s_, order_);
    rec_err_ = 0.0;
    per_token_.clear();
    terms_.clear();
    export_arrays();
  }

  // One unit: the RNN consumes one token (state update, read-out).  At most
  // one per call, so Play shows the sequence being read (about a second).
  int step(int max_steps, double /*budget_ms*/) override {
    if (max_steps <= 0 || done()) return 0;
    const int t = rnn_.tokens(), n = kN;
    double* y = &y_rnn_[size_t(t) * kDv];
    rnn_.step(&q_[size_t(t) * kD], &k_[size_t(t) * kD], &v_[size_t(t) * kDv], denominator(den_), y);
    double err_par = 0.0, err_exact = 0.0;
    for (int c = 0; c < kDv; ++c) {
      err_par = std::max(err_par, std::fabs(y[c] - y_order_[size_t(t) * kDv + c]));
      err_exact = std::max(err_exact, std::fabs(y[c] - y_exact_[size_t(t) * kDv + c]));
    }
    rec_err_ = std::max(rec_err_, err_par);
    per_token_.push({float(t + 1), float(err_exact), float(taylor_g_[t])});
    terms_.clear();
    for (size_t p = 0; p < rnn_.order_terms().size(); ++p) terms_.push({float(p), float(rnn_.order_terms()[p])});
    y_rnn_out_.set({n, kDv}, y_rnn_.data());
    return 1;
  }
  bool done() const override { return rnn_.tokens() >= kN; }

  void metrics(MetricList& out) const override {
    out.add("max_abs_err", max_err_);
    out.add("state_size", double(attn::taylor_state_size(kD, kDv, order_)));
    out.add("kv_cache_size", double(kN) * (kD + kDv));
    out.add("min_denominator", min_g_);
    out.add("nonpositive_denominators", nonpositive_);
    out.add("max_abs_err_order_4", curve_.col(1 + den_)[4]);
    out.add("max_abs_err_order_8", curve_.col(1 + den_)[8]);
    out.add("max_abs_err_order_12", curve_.col(1 + den_)[12]);
    out.add("recurrent_vs_parallel_max_abs", rec_err_);
    out.add("tokens_processed", rnn_.tokens());
    out.add("max_abs_logit", max_logit_);
  }

 private:
  void declare_text(Walkthrough& t) {
    t.section("The problem")
        .paragraph("Linear attention is an RNN: a fixed-size state S_t = S_(t−1) + φ(k_t) v_tᵀ, read out with φ(q_t).  "
                   "Softmax attention seems different in kind: it keeps every key and value (a cache that grows with "
                   "t).  This paper shows that softmax attention is an RNN too, only an infinitely wide one, and that "
                   "linear attention is its first-order term.  Truncating the series shows what the higher orders buy.");
    t.section("The method")
        .equation("exp(s q·k) = Σ_p (s q·k)^p / p!,      (q·k)^p = (q^⊗p)·(k^⊗p)")
        .paragraph("Each power is a dot product of Kronecker powers (all products of p coordinates, d^p of them), so "
                   "each order is a linear-attention RNN with that feature map:")
        .equation("S_t^(p) = S_(t−1)^(p) + k_t^⊗p v_tᵀ,   z_t^(p) = z_(t−1)^(p) + k_t^⊗p")
        .equation("o_t = Σ_(p≤P) s^p/p! (q_t^⊗p)ᵀ S_t^(p)  /  G_t,    G_t = Σ_(p≤P) s^p/p! (q_t^⊗p)·z_t^(p)")
        .paragraph("As P → ∞ this is exactly causal softmax attention.  The state has Σ_(p≤P) d^p (dv + 1) numbers: "
                   "{state_size:%.0f} here (d = 4, dv = 4), fixed, against a cache of {kv_cache_size:%.0f} that exact "
                   "attention holds after 48 tokens and that keeps growing.  The denominator G_t can be replaced by a "
                   "norm of the output; the official code has a no-denominator variant that divides by the token count "
                   "and RMS/L2 output-norm variants, and an 80-term series in float64 at scale 1/√d.")
        .paragraph("Here: 48 tokens, q, k, v ~ N(0, I), logits s q·k with s = scale/√d, all in double.  The error "
                   "compares the order-P layer with the exact layer under the same denominator.")
        .warning("G_t = {min_denominator:%.3g} at its smallest: an odd-order Taylor polynomial of exp goes negative "
                 "for very negative logits, and {nonpositive_denominators:%.0f} token(s) now divide by G_t ≤ 0 (a "
                 "zero G_t gives a zero output).  Even orders are always positive.")
        .when([this] { return min_g_ <= 0.0; });
    t.section("Try this")
        .bullet("Press Play: the RNN reads the 48 tokens one by one; its outputs match the masked-matrix form to "
                "{recurrent_vs_parallel_max_abs:%.1e} (rounding).")
        .bullet("Raise the order: the error falls factorially once P exceeds the largest logit, here "
                "{max_abs_logit:%.1f} (the curve).  At order 12 it is {max_abs_err_order_12:%.1e}.")
        .bullet("Set the logit scale to 4 and P = 1 or 3: G_t turns negative for some tokens (the warning above) "
                "and the G_t denominator blows the output up; the L2 norm denominator stays bounded.")
        .bullet("Compare the state size with the cache: at P = 6 the RNN holds 5 × 5461 numbers, far more than the "
                "cache of 48 tokens, which is why the truncation is a theory device, not a speed-up, at large P.")
        .paragraph("Now: a {state_size:%.0f}-number state, max |error| {max_abs_err:%.2e}.");
    t.section("What the paper reports")
        .paper("softmax attention = the infinite sum of order-p RNNs", "exact identity (the Taylor series)",
               "max_abs_err_order_12", "%.1e at P = 12",
               "Live: 48 tokens, d = 4, logit scale as set; the error of the truncated layer against the exact one.")
        .paper("the RNN form equals the parallel (masked matrix) form", "by construction",
               "recurrent_vs_parallel_max_abs", "%.1e", "Live: the RNN's outputs so far against the masked matrix.")
        .paper("dividing by a vector norm instead of G_t", "stable, close to softmax in training (third-party summary)",
               "", "", "Not measured here (no training); from a summary of the paper, not checked against its tables.")
        .paper("official code's Taylor variant", "80 terms, float64, scale 1/√d", "", "",
               "The lesson's knob stops at P = 6 (the state is d^P wide); the curve goes to 12.  The paper's "
               "language-model results (its tables) are not reproduced here.");
  }

  void export_arrays() {
    const int n = kN;
    q_out_.set({n, kD}, q_.data());
    k_out_.set({n, kD}, k_.data());
    v_out_.set({n, kDv}, v_.data());
    w_exact_out_.set({n, n}, w_exact_.data());
    w_order_out_.set({n, n}, w_order_.data());
    y_exact_out_.set({n, kDv}, y_exact_.data());
    y_order_out_.set({n, kDv}, y_order_.data());
    y_rnn_out_.set({n, kDv}, y_rnn_.data());
    div_out_.set({n}, div_order_.data());
    const double params[3] = {s_, double(order_), double(den_)};
    params_out_.set({3}, params);
  }

  // ------------------------------------------------------------------ views
  void draw_maps(const ViewContext& v) const {
    const float w = ui::column_width(3, 9);
    const float side = std::min(w, v.height > 0 ? v.height - v.font_size * 3 : v.font_size * 14);
    plot::HeatmapStyle hs;
    hs.map = plot::Colormap::diverging;
    float vmax = 0;
    for (float x : map_exact_) vmax = std::max(vmax, std::fabs(x));
    hs.vmin = -vmax, hs.vmax = vmax;
    hs.title = "exact: e^(s q·k) / divisor";
    plot::heatmap("##exact", ImVec2(w, side), map_exact_.data(), kN, kN, hs);
    ui::next_column(w);
    hs.title = "order P: Σ_(p≤P) (s q·k)^p/p! / divisor";
    plot::heatmap("##order", ImVec2(w, side), map_order_.data(), kN, kN, hs);
    ui::next_column(w);
    plot::LinePlot p("##err", ImVec2(w, side));
    p.axes("order P", "max |error|", true);
    for (int c = 0; c < 3; ++c) p.line(kDenNames[c], curve_.col(0), curve_.col(1 + c), curve_.rows(), plot::palette(c + 1), c != den_);
    p.vline(order_, "P", plot::faint_ink());
    p.draw();
    ImGui::TextDisabled("Rows: queries t; columns: keys j ≤ t.  Same colour scale for both maps.");
  }

  // Reads the outputs only (a worker's copy draws the same): per_token_ has
  // one row per token the RNN has consumed.
  void draw_rnn(const ViewContext& v) const {
    const float w = ui::column_width(2), h = v.height > 0 ? v.height - v.font_size * 3 : v.font_size * 12;
    const int tokens = per_token_.rows();
    {
      char labels[kMaxOrder + 1][16];
      const char* names[kMaxOrder + 1];
      float vals[kMaxOrder + 1] = {};
      const int count = terms_.rows();
      for (int p = 0; p < count && p <= kMaxOrder; ++p) {
        std::snprintf(labels[p], sizeof labels[p], "p = %d", p);
        names[p] = labels[p];
        vals[p] = terms_.col(1)[p];
      }
      ImGui::BeginGroup();
      ImGui::Text("Token %d of %d: each order's term of G_t", tokens, kN);
      if (count > 0) plot::bar_chart("##terms", ImVec2(w, h - v.font_size * 1.5f), names, vals, count, "");
      else ImGui::TextDisabled("Press Play (or Step) to run the RNN.");
      ImGui::EndGroup();
    }
    ui::next_column(w);
    plot::LinePlot p("##tok", ImVec2(w, h));
    p.axes("token t", "|RNN output − exact|", true);
    p.x_range(1, kN);
    p.line("order-P RNN", per_token_.col(0), per_token_.col(1), per_token_.rows(), plot::palette(1));
    p.draw();
    ui::metric("state (numbers, fixed):", "%.0f", double(attn::taylor_state_size(kD, kDv, order_)));
    ImGui::SameLine();
    ui::metric("   KV cache so far:", "%.0f", double(tokens) * (kD + kDv));
  }

  int order_ = 2, den_ = 0;
  double scale_ = 1, s_ = 0.5;
  std::vector<double> q_, k_, v_, w_exact_, w_order_, y_exact_, y_order_, y_rnn_, div_exact_, div_order_, taylor_g_;
  std::vector<float> map_exact_, map_order_;
  double max_err_ = 0, min_g_ = 0, rec_err_ = 0, max_logit_ = 0;
  int nonpositive_ = 0;
  attn::TaylorRnn rnn_;

  Series& curve_ = outputs_.series("error_vs_order", {"order", "taylor_sum", "l2_norm", "token_count"});
  Series& per_token_ = outputs_.series("per_token", {"t", "abs_err", "taylor_sum_G"});
  Series& terms_ = outputs_.series("order_terms", {"p", "term"});  // the last token's s^p/p! (q^(x)p).z^(p)
  Array& q_out_ = outputs_.array("q");              // (n, d) f64
  Array& k_out_ = outputs_.array("k");              // (n, d) f64
  Array& v_out_ = outputs_.array("v");              // (n, dv) f64
  Array& w_exact_out_ = outputs_.array("w_exact");  // (n, n) f64 e^(s q_i.k_j), j <= i
  Array& w_order_out_ = outputs_.array("w_order");  // (n, n) f64 the order-P Taylor sum of it
  Array& y_exact_out_ = outputs_.array("y_exact");  // (n, dv) f64 exact layer, chosen denominator
  Array& y_order_out_ = outputs_.array("y_order");  // (n, dv) f64 order-P layer (parallel form)
  Array& y_rnn_out_ = outputs_.array("y_rnn");      // (n, dv) f64 the RNN's outputs so far (0 beyond)
  Array& div_out_ = outputs_.array("divisor");      // (n,) f64 what each order-P row was divided by
  Array& params_out_ = outputs_.array("params");    // (3,) f64: s, P, denominator index
};

}  // namespace

PG_REGISTER_LESSON(SoftmaxAsRnn, 3);

}  // namespace pg
