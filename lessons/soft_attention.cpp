// soft_attention.cpp - Lesson: "SOFT: Softmax-free Transformer with Linear
// Complexity" (Lu, Yao, Zhang, Zhu, Xu, Gao, Xu, Xiang & Zhang, NeurIPS 2021,
// arXiv:2110.11945; official code https://github.com/fudan-zvg/SOFT).
//
// Attention with a Gaussian kernel instead of softmax, S_ij = exp(-|q_i - q_j|^2 / 2)
// (keys = queries, q scaled by d^(-1/4)), approximated through m landmarks as
// P A^+ P^T (Nystrom), with A^+ from the Newton-Schulz iteration: O(n m d)
// instead of O(n^2 d).  The lesson measures the approximation error, the
// iteration's residual and, live, the time of exact vs SOFT attention as n
// grows (engine/attention/soft.h).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "engine/attention/soft.h"
#include "engine/nn/nnmath.h"
#include "engine/rng.h"
#include "engine/simd.h"
#include "engine/timing.h"
#include "lessons/lesson.h"
#include "ui/panel.h"
#include "ui/plots.h"

namespace pg {
namespace {

const LessonInfo kInfo = {
    "soft-attention",
    "SOFT: Softmax-free Transformer with Linear Complexity",
    "Lu, Yao, Zhang, Zhu, Xu, Gao, Xu, Xiang & Zhang",
    2021,
    "2110.11945",
    "https://github.com/fudan-zvg/SOFT",
    "A. Softmax and attention kernels",
    LessonKind::kernel,
    Stepping::continuous,
    "A Gaussian kernel replaces softmax; landmarks and a Newton-Schulz inverse make attention linear in n.",
};

constexpr int kD = 16;                 // token and value dimension
constexpr int kHeat = 96;              // heatmaps: the first tokens
constexpr int kCheckN = 32;            // the "m = n" check: tokens = landmarks
constexpr int kCurveIters = 30;        // the residual curve's length
constexpr int kRounds = 3;             // timing rounds (best of)
constexpr int kPieceQueries = 64;      // exact attention above kWholeMax is timed in pieces of 64 queries
constexpr int kWholeMax = 512;         // up to here one call is timed whole (repeated for 1 ms)
constexpr int kGrid[] = {64, 128, 256, 512, 1024, 2048, 4096};
constexpr int kGridN = 7;
constexpr int kSweepM[] = {4, 8, 16, 32, 48, 64};
constexpr int kSweepN = 6;

double rel_frob(const std::vector<float>& a, const std::vector<float>& b) {
  double num = 0.0, den = 0.0;
  for (size_t i = 0; i < a.size(); ++i) {
    num += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
    den += double(b[i]) * b[i];
  }
  return den > 0 ? std::sqrt(num / den) : 0.0;
}

// Tokens along a smooth random path plus noise, as neighbouring image patches
// are alike: q_i = sum_f a_f sin(2 pi w_f i / n + phi_f) + sigma e_i.  Pooling
// contiguous runs then gives landmarks that sit among the tokens.
void smooth_tokens(Rng& rng, int n, int d, std::vector<float>& q) {
  constexpr int kWaves = 4;
  double amp[kWaves][kD], freq[kWaves], phase[kWaves];
  for (int f = 0; f < kWaves; ++f) {
    for (int c = 0; c < d; ++c) amp[f][c] = rng.normal(0.0, 0.9);
    freq[f] = 0.5 + 2.5 * rng.uniform();
    phase[f] = 2.0 * nnmath::kPi * rng.uniform();
  }
  q.assign(size_t(n) * d, 0.0f);
  for (int i = 0; i < n; ++i) {
    double wave[kWaves];
    for (int f = 0; f < kWaves; ++f) wave[f] = nnmath::sin(2.0 * nnmath::kPi * freq[f] * i / n + phase[f]);
    for (int c = 0; c < d; ++c) {
      double x = 0.3 * rng.normal();
      for (int f = 0; f < kWaves; ++f) x += amp[f][c] * wave[f];
      q[size_t(i) * d + c] = float(x);
    }
  }
}

class SoftAttention : public Lesson {
 public:
  const LessonInfo& info() const override { return kInfo; }

  void declare(Declaration& d) override {
    ParamList& p = d.params;
    p.integer("n", "tokens n", &n_, 64, 4096, 1024, "Sequence length of the accuracy experiment (the timing sweep "
                                                    "always runs n = 64 .. 4096, plus this n).", true);
    p.integer("m", "landmarks m", &m_, 4, 64, 32, "Landmarks (pooled tokens).  The paper uses m = 49 at every stage.");
    p.integer("iters", "Newton iterations", &iters_, 0, 30, 20, "Newton-Schulz steps for A^+ (the official code: 20).");
    p.toggle("ridge", "ridge 0.01 I", &ridge_, true,
             "Invert A + 0.01 I, as the official code does (not in the paper's text).  Off: invert A itself.");
    p.real("bandwidth", "bandwidth h", &bandwidth_, 0.3, 3, 1,
           "Kernel exp(-|q_i - q_j|^2 / (2 sqrt(d) h^2)); h = 1 is the paper's.", true);
    p.choice("variant", "variant", &variant_, {"soft", "symmetric"}, 0,
             "soft: P A^+ P^T V.  symmetric (SOFT-Norm): uses D^-1/2 A^+ D^-1/2 (D = row sums of A), no ridge, and halves its "
             "Newton start until ||I - A V_0||_1 <= 1.01.");
    declare_text(d.text);
    d.view("timing", "Time of exact vs SOFT attention against n (this machine, live), and the error against m",
           [this](const ViewContext& v) { draw_timing(v); });
    d.view("maps", "The exact kernel S and SOFT's P A^+ P^T (first 96 tokens)", [this](const ViewContext& v) { draw_maps(v); });
    d.view("newton", "Newton-Schulz residuals against the iteration", [this](const ViewContext& v) { draw_newton(v); });
    d.metric("rel_frob_err", "||Y_SOFT - Y_exact||_F / ||Y_exact||_F, Y_exact = S V the exact kernel attention");
    d.metric("newton_residual", "||I - A V_k||_F after the chosen iterations (A the landmark kernel, without ridge)");
    d.metric("newton_residual_ridged", "||I - (A + ridge I) V_k||_F: the residual of the matrix actually inverted");
    d.metric("newton_alpha", "the start V_0 = alpha (A + ridge I): alpha = 1.8 / (max row sum of A)^2 (symmetric "
                             "variant: 2 / (max row sum)^2, halved)");
    d.metric("alpha_halvings", "how often the symmetric variant halved alpha (0 for plain SOFT)");
    d.metric("rel_frob_err_m_eq_n", "relative error when the landmarks are the tokens (first 32 tokens, m = n = 32, "
                                    "no ridge, 30 iterations): exact up to the iteration's rounding");
    d.metric("rel_frob_err_m_eq_n_ridge", "the same with the 0.01 I ridge: the ridge alone keeps it from exact");
    d.metric("landmarks", "landmarks used (m, at most n)");
    d.metric("kernel_scale", "s in exp(-s |q_i - q_j|^2 / 2): 1 / (sqrt(d) h^2)");
    d.metric("ms_full", "time of exact kernel attention S V at this n, in ms (best of 3 rounds; timing)");
    d.metric("ms_soft", "time of SOFT at this n and m, in ms (best of 3 rounds; timing)");
    d.metric("speedup_at_4096", "ms_full / ms_soft at n = 4096 (timing)");
    d.metric("crossover_n", "the n at which SOFT becomes faster than exact attention, interpolated in log n; 64 if "
                            "it is faster everywhere measured, 0 if nowhere up to 4096 (timing)");
    timing_ = &outputs_.series("timing", {"n", "ms_full", "ms_soft"});
    timing_->timing = true;
  }

  void reset(uint64_t seed) override {
    Rng rng(seed);
    const int n = n_, d = kD;
    smooth_tokens(rng, n, d, q_);
    v_.resize(size_t(n) * d);
    for (float& x : v_) x = float(rng.normal());
    scale_ = float(1.0 / (std::sqrt(double(d)) * bandwidth_ * bandwidth_));
    spec_ = make_spec(std::min(m_, n), iters_);
    // Exact kernel attention and SOFT.
    y_exact_.resize(size_t(n) * d), y_soft_.resize(size_t(n) * d);
    attn::gaussian_attention_forward(q_.data(), n, q_.data(), n, d, v_.data(), d, scale_, y_exact_.data());
    landmarks_.resize(size_t(spec_.m) * d);
    attn::soft_attention_forward(spec_, q_.data(), v_.data(), n, d, d, y_soft_.data(), &trace_, landmarks_.data());
    rel_err_ = rel_frob(y_soft_, y_exact_);
    // The residual curve (same start, 30 iterations) and the landmark kernel.
    std::vector<float> A(size_t(spec_.m) * spec_.m), Ainv(A.size());
    attn::gaussian_kernel(landmarks_.data(), spec_.m, landmarks_.data(), spec_.m, d, scale_, A.data());
    attn::NewtonSpec curve_spec = effective(spec_);
    curve_spec.iters = kCurveIters;
    attn::newton_schulz_inverse(A.data(), spec_.m, curve_spec, Ainv.data(), &curve_);
    a_out_.set({spec_.m, spec_.m}, A.data());
    newton_.clear();
    for (int k = 0; k <= kCurveIters; ++k)
      newton_.push({float(k), float(curve_.residual_plain[k]), float(curve_.residual[k])});
    // Error against m.
    sweep_.clear();
    std::vector<float> y(size_t(n) * d);
    for (int i = 0; i < kSweepN && kSweepM[i] <= n; ++i) {
      attn::soft_attention_forward(make_spec(kSweepM[i], iters_), q_.data(), v_.data(), n, d, d, y.data());
      sweep_.push({float(kSweepM[i]), float(rel_frob(y, y_exact_))});
    }
    exact_check();
    // The heatmaps: the first tokens' block of S and of P A^+ P^T.
    const int h = std::min(kHeat, n);
    heat_exact_.resize(size_t(h) * h), heat_soft_.resize(size_t(h) * h), heat_diff_.resize(size_t(h) * h);
    attn::gaussian_kernel(q_.data(), h, q_.data(), h, d, scale_, heat_exact_.data());
    attn::soft_attention_weights(spec_, q_.data(), n, d, h, heat_soft_.data());
    for (size_t i = 0; i < heat_diff_.size(); ++i) heat_diff_[i] = heat_soft_[i] - heat_exact_[i];
    heat_n_ = h;
    export_arrays();
    // Timing: every grid size (and this n) x {exact, SOFT}, on its own tokens.
    sizes_.assign(kGrid, kGrid + kGridN);
    if (std::find(sizes_.begin(), sizes_.end(), n) == sizes_.end()) sizes_.push_back(n);
    std::sort(sizes_.begin(), sizes_.end());
    Rng trng = rng.fork(7);
    smooth_tokens(trng, kGrid[kGridN - 1], d, tq_);
    tv_.resize(tq_.size()), ty_.resize(tq_.size());
    for (float& x : tv_) x = float(trng.normal());
    timer_.configure(int(sizes_.size()), 2, kRounds, 1.0);
    refresh_timing();
  }

  // One unit: one timing of one (size, method) pair; exact attention above
  // n = 512 one piece of 64 queries at a time (a few ms at most).
  int step(int max_steps, double budget_ms) override {
    const int units = timing::run_budgeted(max_steps, budget_ms, [this] { return done(); }, [&] {
      timing_unit();
    });
    refresh_timing();
    return units;
  }
  bool done() const override { return timer_.done(); }

  void metrics(MetricList& out) const override {
    out.add("rel_frob_err", rel_err_);
    out.add("newton_residual", trace_.residual_plain[trace_.iters]);
    out.add("newton_residual_ridged", trace_.residual[trace_.iters]);
    out.add("newton_alpha", trace_.alpha);
    out.add("alpha_halvings", trace_.halvings);
    out.add("rel_frob_err_m_eq_n", check_err_);
    out.add("rel_frob_err_m_eq_n_ridge", check_err_ridge_);
    out.add("landmarks", spec_.m);
    out.add("kernel_scale", scale_);
    out.add_timing("ms_full", ms(size_index(n_), 0));
    out.add_timing("ms_soft", ms(size_index(n_), 1));
    out.add_timing("speedup_at_4096", ms(size_index(4096), 0) / ms(size_index(4096), 1));
    out.add_timing("crossover_n", crossover());
  }

 private:
  void declare_text(Walkthrough& t) {
    t.section("The problem")
        .paragraph("Softmax attention compares every token with every other: n² scores, O(n² d) work and an n × n "
                   "matrix.  Linear-time approximations usually factor the softmax, which it resists: e^(q·k) is not "
                   "a low-rank matrix in any cheap way.  SOFT changes the kernel instead.  With keys equal to the "
                   "queries and a Gaussian kernel, the attention matrix is symmetric positive semi-definite, and a "
                   "few landmark tokens reconstruct it (the Nyström method).");
    t.section("The method")
        .equation("S_ij = exp(−|q_i − q_j|² / 2),  q scaled by d^(−1/4)      (here: s = 1/(√d h²) on raw q)")
        .equation("S ≈ P A⁺ Pᵀ,   P = K(Q, L) (n × m),   A = K(L, L) (m × m),   L = m landmarks")
        .equation("Y = P (A⁺ (Pᵀ V))      O(n m d): nothing n × n is formed")
        .paragraph("A⁺ comes from the Newton-Schulz iteration, only matrix products (GPU-friendly):")
        .equation("V₀ = α (A + 0.01 I),  α = 1.8 / (max_i Σ_j A_ij)²,   V_(k+1) = 2 V_k − V_k (A + 0.01 I) V_k")
        .paragraph("Its residual R_k = I − (A + 0.01 I) V_k squares every step, R_(k+1) = R_k², so convergence is "
                   "quadratic once ‖R‖ < 1.  The 0.9 in α = 0.9 · 2 / (row sum)² keeps the start inside the region "
                   "of convergence even for a rank-one A = 1 1ᵀ.  Now: α = {newton_alpha:%.3g}, and after the "
                   "iterations ‖I − A V‖_F = {newton_residual:%.2e}.")
        .paragraph("The symmetric-normalization variant (SOFT-Norm in the code) replaces A⁺ by D^(−1/2) V D^(−1/2) with "
                   "D the row sums of A, uses no ridge, and starts at α = 2 / (row sum)², halved until "
                   "max_j Σ_i |I − A V₀|_ij ≤ 1.01 ({alpha_halvings:%.0f} halvings here).")
        .warning("Landmarks: the paper learns them with a strided convolution (kernel = stride = the stage's ratio) "
                 "followed by LayerNorm and GELU, over the image's token grid, m = 49.  This lesson has no training: "
                 "it pools (averages) contiguous runs of tokens instead, on a synthetic sequence whose neighbours are "
                 "alike.")
        .note("Following the official code rather than the paper's text: the ridge 0.01 I (the paper writes A⁺), "
              "α computed from A before the ridge, 20 iterations by default.  With the ridge, SOFT is no longer "
              "exact even when the landmarks are the tokens: {rel_frob_err_m_eq_n_ridge:%.1e} relative error with it, "
              "{rel_frob_err_m_eq_n:%.1e} without (m = n = 32).")
        .note("Data: tokens on a smooth random path in d = 16 plus noise, values N(0, 1); the exact layer S V is the "
              "Gaussian-kernel attention itself (SOFT does not normalize rows, so its output grows with n).");
    t.section("Try this")
        .bullet("Watch the timing plot fill in: exact attention grows like n², SOFT like n.  On this machine SOFT "
                "becomes faster near n = {crossover_n:%.0f}; at n = 4096 it is {speedup_at_4096:%.1f}× faster.")
        .bullet("Lower m to 4: the error grows (the plot against m).  Raise it to 64: smaller, at a higher cost.")
        .bullet("Set Newton iterations to 0..5 and watch the error: until the residual drops below 1 the inverse is "
                "poor.  The residual plot shows the squaring: each step doubles the digits.")
        .bullet("Turn the ridge off: ‖I − A V‖ now falls toward float rounding instead of stopping at the ridge's bias "
                "(about 1 here: pooled landmarks of a smooth path are close, so A is ill-conditioned and inverting "
                "A + 0.01 I is far from inverting A), but it needs about 30 iterations instead of 20.")
        .paragraph("Now: relative error {rel_frob_err:%.2e} with {landmarks:%.0f} landmarks; exact {ms_full:%.2f} ms, "
                   "SOFT {ms_soft:%.2f} ms.");
    t.section("What the paper reports")
        .paper("ImageNet top-1, SOFT-Tiny (13M params, 1.9 GFLOPs)", "79.3%", "", "",
               "Not measurable here: it needs ImageNet training.  Small 82.2, Medium 82.9, Large 83.1, Huge 83.3 (README).")
        .paper("complexity in the sequence length", "linear (O(n))", "speedup_at_4096", "%.1fx faster at n = 4096",
               "Paper: GPU memory and speed against n.  Live: this machine's CPU/wasm, d = 16, one head.")
        .paper("Newton-Schulz iterations (official code)", "20", "newton_residual_ridged", "‖I − (A + ridge I) V‖ = %.1e",
               "Live: after the chosen iterations on the pooled landmarks, for the matrix actually inverted.");
  }

  attn::SoftSpec make_spec(int m, int iters) const {
    attn::SoftSpec s;
    s.m = m, s.scale = scale_, s.symmetric = variant_ == 1;
    s.newton.iters = iters, s.newton.ridge = ridge_ ? 0.01f : 0.0f;
    return s;
  }
  static attn::NewtonSpec effective(const attn::SoftSpec& s) {
    attn::NewtonSpec ns = s.newton;
    if (s.symmetric) ns.ridge = 0.0f, ns.halve_alpha = true;
    return ns;
  }

  // SOFT with m = n on the first tokens (landmarks = tokens), ridge off and on.
  void exact_check() {
    const int n = std::min(kCheckN, n_), d = kD;
    std::vector<float> exact(size_t(n) * d), y(size_t(n) * d);
    attn::gaussian_attention_forward(q_.data(), n, q_.data(), n, d, v_.data(), d, scale_, exact.data());
    attn::SoftSpec s;
    s.m = n, s.scale = scale_, s.newton.iters = kCurveIters, s.newton.ridge = 0.0f;
    attn::soft_attention_forward(s, q_.data(), v_.data(), n, d, d, y.data());
    check_err_ = rel_frob(y, exact);
    s.newton.ridge = 0.01f;
    attn::soft_attention_forward(s, q_.data(), v_.data(), n, d, d, y.data());
    check_err_ridge_ = rel_frob(y, exact);
  }

  void export_arrays() {
    const int n = n_, d = kD;
    q_out_.set({n, d}, q_.data());
    v_out_.set({n, d}, v_.data());
    y_exact_out_.set({n, d}, y_exact_.data());
    y_soft_out_.set({n, d}, y_soft_.data());
    landmarks_out_.set({spec_.m, d}, landmarks_.data());
    heat_exact_out_.set({heat_n_, heat_n_}, heat_exact_.data());
    heat_soft_out_.set({heat_n_, heat_n_}, heat_soft_.data());
    const double params[4] = {scale_, double(spec_.m), double(spec_.newton.iters), spec_.symmetric ? 0.0 : spec_.newton.ridge};
    params_out_.set({4}, params);
  }

  // ------------------------------------------------------------ timing
  int size_index(int n) const {
    for (size_t i = 0; i < sizes_.size(); ++i)
      if (sizes_[i] == n) return int(i);
    return -1;
  }
  double ms(int v, int path) const { return v < 0 ? NAN : timer_.best_ns_per_element(v, path) * 1e-6; }

  void timing_unit() {
    const int v = timer_.next_variant(), path = timer_.next_path(), n = sizes_[size_t(v)], d = kD;
    if (path == 1) {
      const attn::SoftSpec s = make_spec(std::min(m_, n), iters_);
      timer_.run_unit([&](int, int) { attn::soft_attention_forward(s, tq_.data(), tv_.data(), n, d, d, ty_.data()); }, 1.0);
    } else if (n <= kWholeMax) {
      timer_.run_unit(
          [&](int, int) { attn::gaussian_attention_forward(tq_.data(), n, tq_.data(), n, d, tv_.data(), d, scale_, ty_.data()); },
          1.0);
    } else {
      const int parts = (n + kPieceQueries - 1) / kPieceQueries;
      timer_.run_part(
          [&](int, int, int part) {
            const int q0 = part * kPieceQueries, nq = std::min(kPieceQueries, n - q0);
            attn::gaussian_attention_forward(tq_.data() + size_t(q0) * d, nq, tq_.data(), n, d, tv_.data(), d, scale_,
                                             ty_.data() + size_t(q0) * d);
          },
          parts, 1.0);
    }
  }

  void refresh_timing() {
    timing_->clear();
    for (size_t i = 0; i < sizes_.size(); ++i) timing_->push({float(sizes_[i]), float(ms(int(i), 0)), float(ms(int(i), 1))});
  }

  // Where exact / SOFT crosses 1, interpolated in log n (see the metric's doc).
  double crossover() const {
    double prev_n = 0, prev_r = 0;
    bool have_prev = false;
    for (int g = 0; g < kGridN; ++g) {
      const int i = size_index(kGrid[g]);
      const double r = ms(i, 0) / ms(i, 1);
      if (!std::isfinite(r) || r <= 0) return NAN;
      if (r >= 1.0) {
        if (!have_prev) return kGrid[g];
        const double a = std::log(prev_r), b = std::log(r);
        const double t = b > a ? (0.0 - a) / (b - a) : 0.0;
        return std::exp(std::log(prev_n) + t * (std::log(double(kGrid[g])) - std::log(prev_n)));
      }
      prev_n = kGrid[g], prev_r = r, have_prev = true;
    }
    return 0.0;
  }

  // ------------------------------------------------------------------ views
  void draw_timing(const ViewContext& v) {
    const float w = ui::column_width(2), h = v.height > 0 ? v.height - v.font_size * 3.0f : v.font_size * 14;
    const Series& t = *timing_;
    {
      plot::LinePlot p("##time", ImVec2(w, std::max(h, v.font_size * 8)));
      p.axes("tokens n", "ms per forward (best of rounds)", true, true);
      p.line("exact S V, O(n² d)", t.col(0), t.col(1), t.rows(), plot::palette(1));
      p.line("SOFT, O(n m d)", t.col(0), t.col(2), t.rows(), plot::palette(2));
      const double cross = crossover();
      if (std::isfinite(cross) && cross > 0) p.vline(cross, "crossover", plot::ink(0.5f));
      p.vline(n_, "this n", plot::faint_ink());
      p.draw();
    }
    ui::next_column(w);
    {
      plot::LinePlot p("##err_m", ImVec2(w, std::max(h, v.font_size * 8)));
      p.axes("landmarks m", "relative error of Y", true);
      p.line("SOFT vs exact", sweep_.col(0), sweep_.col(1), sweep_.rows(), plot::palette(2));
      p.vline(spec_.m, "this m", plot::faint_ink());
      p.draw();
    }
    if (timer_.rounds_done() < kRounds)
      ImGui::TextDisabled("Timing round %d of %d (%s); exact attention above n = 512 runs 64 queries per frame slice.",
                          timer_.rounds_done() + 1, kRounds, simd::backend_name());
    else
      ImGui::TextDisabled("Best of %d rounds, %s, d = %d, m = %d.", kRounds, simd::backend_name(), kD, std::min(m_, n_));
    if (ImGui::Button("Measure again")) timer_.clear();  // input: the next steps re-measure
  }

  void draw_maps(const ViewContext& v) const {
    const float w = ui::column_width(3, 9);
    const float side = std::min(w, v.height > 0 ? v.height - v.font_size * 3 : v.font_size * 14);
    plot::HeatmapStyle hs;
    hs.vmin = 0, hs.vmax = 1;
    hs.title = "exact S";
    plot::heatmap("##S", ImVec2(w, side), heat_exact_.data(), heat_n_, heat_n_, hs);
    ui::next_column(w);
    hs.title = "SOFT: P A⁺ Pᵀ";
    plot::heatmap("##soft", ImVec2(w, side), heat_soft_.data(), heat_n_, heat_n_, hs);
    ui::next_column(w);
    plot::HeatmapStyle hd;
    hd.map = plot::Colormap::diverging;
    hd.title = "difference";
    plot::heatmap("##diff", ImVec2(w, side), heat_diff_.data(), heat_n_, heat_n_, hd);
    ImGui::TextDisabled("Rows and columns: the first %d tokens; landmarks pooled from all %d.", heat_n_, n_);
  }

  void draw_newton(const ViewContext& v) const {
    plot::LinePlot p("##newton", ImVec2(v.width, v.height > 0 ? v.height - v.font_size * 2 : v.font_size * 12));
    p.axes("iteration k", "Frobenius norm", true);
    p.line("‖I − A V_k‖", newton_.col(0), newton_.col(1), newton_.rows(), plot::palette(1));
    p.line("‖I − (A + ridge I) V_k‖", newton_.col(0), newton_.col(2), newton_.rows(), plot::palette(2), true);
    p.vline(spec_.newton.iters, "chosen", plot::faint_ink());
    p.hline(1.0, "1", plot::faint_ink());
    p.draw();
    ImGui::TextDisabled("Quadratic once below 1 (each step squares the residual), then a plateau: float rounding, "
                        "or with the ridge the bias of inverting A + 0.01 I instead of A.");
  }

  int n_ = 1024, m_ = 32, iters_ = 20, variant_ = 0;
  bool ridge_ = true;
  double bandwidth_ = 1;
  float scale_ = 0.25f;
  attn::SoftSpec spec_;
  attn::NewtonTrace trace_, curve_;
  std::vector<float> q_, v_, y_exact_, y_soft_, landmarks_, heat_exact_, heat_soft_, heat_diff_;
  int heat_n_ = 0;
  double rel_err_ = 0, check_err_ = 0, check_err_ridge_ = 0;
  std::vector<int> sizes_;
  std::vector<float> tq_, tv_, ty_;  // the timing sweep's tokens (4096, d), values and output
  timing::KernelTimer timer_;

  Series* timing_ = nullptr;                                                   // per size: ms exact, ms SOFT (timing)
  Series& newton_ = outputs_.series("newton", {"k", "residual", "residual_ridged"});  // ||I - A V_k||, ||I - P_r V_k||
  Series& sweep_ = outputs_.series("error_vs_m", {"m", "rel_frob_err"});
  Array& q_out_ = outputs_.array("q");                  // (n, d) tokens = queries = keys
  Array& v_out_ = outputs_.array("v");                  // (n, d) values
  Array& y_exact_out_ = outputs_.array("y_exact");      // (n, d) S V
  Array& y_soft_out_ = outputs_.array("y_soft");        // (n, d) P A^+ P^T V
  Array& landmarks_out_ = outputs_.array("landmarks");  // (m, d) pooled tokens
  Array& a_out_ = outputs_.array("landmark_kernel");    // (m, m) A = K(L, L)
  Array& heat_exact_out_ = outputs_.array("S_block");   // (h, h) S on the first h <= 96 tokens
  Array& heat_soft_out_ = outputs_.array("soft_block"); // (h, h) P A^+ P^T on them
  Array& params_out_ = outputs_.array("params");        // (4,) f64: kernel scale s, m, iterations, ridge
};

}  // namespace

PG_REGISTER_LESSON(SoftAttention, 2);

}  // namespace pg
