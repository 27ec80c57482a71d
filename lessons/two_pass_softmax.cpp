// two_pass_softmax.cpp - Lesson: The Two-Pass Softmax Algorithm
// (Dukhan & Ablavatski, 2020, arXiv:2001.04438).
//
// Softmax over a long vector is a few passes over memory and one or two
// exponentials per element.  The classic safe softmax needs three passes
// (max; exp and sum; normalize).  The paper keeps each exponential as a
// (mantissa, exponent) pair so that no maximum is needed up front: one pass
// accumulates the sum, the second writes the outputs.  Whether that wins
// depends on the machine: saving a pass saves memory traffic, and costs a
// second exponential per element.  This lesson measures both sides live (the
// machine's stream bandwidth and its exp throughput), predicts each variant's
// time with a roofline model, and times the variants (SIMD and scalar) in
// whatever runs it: the browser's wasm or native.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "engine/kernels/softmax.h"
#include "engine/kernels/vexp.h"
#include "engine/rng.h"
#include "engine/simd.h"
#include "engine/timing.h"
#include "lessons/lesson.h"
#include "ui/panel.h"
#include "ui/plots.h"

namespace pg {
namespace {

const LessonInfo kInfo = {
    "two-pass-softmax",
    "The Two-Pass Softmax Algorithm",
    "Dukhan & Ablavatski",
    2020,
    "2001.04438",
    "https://github.com/google/XNNPACK",
    "A. Softmax and attention kernels",
    LessonKind::kernel,
    Stepping::continuous,
    "Safe softmax in two memory passes instead of three, timed live and predicted by a roofline model.",
};

// The safe variants, in the order the panel lists them.
enum Variant { kReload, kRecompute, kTwoPass, kTwoPassV1, kOnline, kNumVariants };
const char* const kVariantNames[kNumVariants] = {"three-pass reload", "three-pass recompute", "two-pass",
                                                 "two-pass, first version", "online (max+sum)"};
const char* const kVariantKeys[kNumVariants] = {"three_pass_reload", "three_pass_recompute", "two_pass",
                                                "two_pass_v1", "online"};
const kern::SoftmaxAlg kAlg[kNumVariants] = {kern::SoftmaxAlg::three_pass_reload,
                                              kern::SoftmaxAlg::three_pass_recompute, kern::SoftmaxAlg::two_pass,
                                              kern::SoftmaxAlg::two_pass_v1, kern::SoftmaxAlg::online};
// Memory accesses per element (4 bytes each): reads + writes over all passes.
const int kAccessesPerElement[kNumVariants] = {5, 4, 3, 3, 3};

using SoftmaxFn = void (*)(const float*, float*, size_t);
const SoftmaxFn kFast[kNumVariants] = {kern::softmax_three_pass_reload, kern::softmax_three_pass_recompute,
                                       kern::softmax_two_pass, kern::softmax_two_pass_v1, kern::softmax_online};
const SoftmaxFn kScalar[kNumVariants] = {kern::softmax_three_pass_reload_ref, kern::softmax_three_pass_recompute_ref,
                                         kern::softmax_two_pass_ref, kern::softmax_two_pass_v1_ref,
                                         kern::softmax_online_ref};

// Timing rounds.  Every figure is the fastest round: on a machine shared with
// other work (a browser, other processes) it is the run least disturbed.
constexpr int kRounds = 9;
constexpr int kMaxN = 1 << 26;            // 64M elements: 512 MB for x and y
constexpr int kWholeMax = 1 << 20;        // up to here: whole calls, scalar twins, stored reference, exports
constexpr size_t kPiece = size_t(1) << 18;  // above: one unit = one pass over 256K elements
constexpr int kCacheN = 1 << 15;          // in-cache stream probes: 2 x 128 KB
constexpr int kExpN = 4096;               // exp probe: 16 KB, in L1
constexpr double kFloatMin = 1.17549435e-38;

// ---- the roofline model ---------------------------------------------------------
// A pass moves memory in one of three patterns, timed by the matching stream
// probe, and costs a number of vector operations per 4 elements (counted in
// softmax.cpp / vexp.h; loads and stores included, a multiply-add counted as
// 2 without FMA and 1 with it).  Each pass takes max(memory time, compute
// time): passes run one after another, and within a pass the two overlap.
enum Pattern { kRead, kCopy, kRmw, kNumPatterns };  // read x; read x + write y; y in place
struct PassCost {
  Pattern pattern;
  double ops;      // per 4 lanes, no FMA (this build)
  double ops_fma;  // per vector with multiply-add fused (the paper's machine)
};
struct VariantCost {
  int passes;
  PassCost pass[3];
};
// The exp probe (load, exp_inrange, add) is 23 operations per 4 lanes; it
// calibrates what one operation costs here.
constexpr double kExpProbeOps = 23;
const VariantCost kCost[kNumVariants] = {
    {3, {{kRead, 3, 3}, {kCopy, 25, 17}, {kRmw, 3, 3}}},          // max+min; sub, exp, store, add; scale
    {3, {{kRead, 3, 3}, {kRead, 24, 16}, {kCopy, 25, 17}}},       // max+min; exp, add; exp, mul, store
    {2, {{kRead, 30.5, 22.5}, {kCopy, 28, 20}}},                  // split, block max, 2^d, madd; split, 2^d, 2 mul
    {2, {{kRead, 42, 34}, {kCopy, 33, 25}}},                      // clamp, split, 2 x exp2_nonpos; clamp, split, ...
    {2, {{kRead, 33.5, 23.5}, {kCopy, 27, 19}}},                  // block max, 1.25 exp; exp, mul, store
};
// The paper's machine, assumed (the paper gives none of these): a Skylake-X
// core with AVX512, 16 lanes, FMA, 2 vector operations per cycle at 3 GHz;
// out of cache, one core streams 12 GB/s (a store also reads its line first),
// in cache 4x that; last-level cache 8 MiB.
constexpr double kPaperLanes = 16, kPaperNsPerOp = 1.0 / 6.0, kPaperGBs = 12, kPaperCacheGBs = 48;
constexpr double kPaperLlcBytes = 8.0 * 1024 * 1024;
// Bytes a pattern moves per element, write-allocate included.
const double kPatternBytes[kNumPatterns] = {4, 12, 8};
// The browser gives no cache sizes: assumed there.
constexpr double kAssumedLlcBytes = 32.0 * 1024 * 1024;

// Probes: the three stream patterns at the current N and in cache, the exp
// throughput, and reload on a slice with and without subnormal outputs.
// And each variant in cache (its compute time: exps and other operations).
enum Probe { kMemRead, kMemCopy, kMemRmw, kCacheRead, kCacheCopy, kCacheRmw, kExp, kSubOn, kSubOff, kInCache0,
             kNumProbes = kInCache0 + kNumVariants };

// The accuracy reference, in double with detmath::exp (bit-identical native
// and wasm, unlike libm or long double) and a compensated sum: its max and sum.
struct Reference {
  double mu = -HUGE_VAL, sum = 0;
  double at(float x) const { return detmath::exp(double(x) - mu) / sum; }
};
Reference make_reference(const std::vector<float>& x) {
  Reference r;
  for (float v : x) r.mu = std::fmax(r.mu, double(v));
  double carry = 0;  // Kahan summation
  for (float v : x) {
    const double y = detmath::exp(double(v) - r.mu) - carry, t = r.sum + y;
    carry = (t - r.sum) - y;
    r.sum = t;
  }
  return r;
}

// The last-level cache in bytes, or 0 when the platform does not say.
double llc_bytes() {
#if defined(__EMSCRIPTEN__)
  return 0;
#else
  for (int index = 4; index >= 2; --index) {
    std::ifstream f("/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(index) + "/size");
    std::string s;
    if (f >> s && !s.empty()) {
      double v = std::atof(s.c_str());
      if (s.back() == 'K') v *= 1024;
      if (s.back() == 'M') v *= 1024 * 1024;
      if (v > 0) return v;
    }
  }
  return 0;
#endif
}

// Stream kernels (4 lanes, unrolled by 8 elements).
float stream_read(const float* x, size_t n) {
  simd::f32x4 a = simd::zero(), b = simd::zero();
  const size_t whole = n / 8;
  for (size_t k = 0; k < whole; ++k) a = simd::add(a, simd::load(x + 8 * k)), b = simd::add(b, simd::load(x + 8 * k + 4));
  float t = simd::hsum(simd::add(a, b));
  for (size_t i = 8 * whole; i < n; ++i) t += x[i];
  return t;
}
void stream_copy(const float* x, float* y, size_t n) {
  const size_t whole = n / 8;
  for (size_t k = 0; k < whole; ++k) simd::store(y + 8 * k, simd::load(x + 8 * k)), simd::store(y + 8 * k + 4, simd::load(x + 8 * k + 4));
  for (size_t i = 8 * whole; i < n; ++i) y[i] = x[i];
}
void stream_rmw(float* y, size_t n, float c) {
  const simd::f32x4 vc = simd::set1(c);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    simd::store(y + i, simd::mul(simd::load(y + i), vc));
    simd::store(y + i + 4, simd::mul(simd::load(y + i + 4), vc));
  }
  for (; i < n; ++i) y[i] *= c;
}
float exp_probe(const float* x, size_t n) {
  simd::f32x4 a = simd::zero(), b = simd::zero();
  for (size_t i = 0; i + 8 <= n; i += 8) {
    a = simd::add(a, kern::exp_inrange_f32x4(simd::load(x + i)));
    b = simd::add(b, kern::exp_inrange_f32x4(simd::load(x + i + 4)));
  }
  return simd::hsum(simd::add(a, b));
}

int count_subnormal(const float* y, size_t n) {
  int c = 0;
  for (size_t i = 0; i < n; ++i) c += y[i] != 0.0f && std::fabs(y[i]) < float(kFloatMin);
  return c;
}

class TwoPassSoftmax : public Lesson {
 public:
  const LessonInfo& info() const override { return kInfo; }

  void declare(Declaration& d) override {
    ParamList& p = d.params;
    p.integer("n", "length N", &n_, 16, kMaxN, 1 << 16,
              "Number of elements in the vector (up to 64M: 512 MB for input and output).  Past the last-level "
              "cache, memory traffic sets a floor under every variant.  Above 1M only the SIMD kernels run, a "
              "pass over 256K elements per unit of work.",
              true);
    p.real("range", "input range R", &range_, 1, 1e4, 10,
           "Inputs are drawn uniformly from (-R, R).  Above R = 88.7, exp(x) overflows float32 without the max "
           "shift; from R = 44 on, some outputs are subnormal (below 2^-126).",
           true);
    p.toggle("simd", "use SIMD", &simd_, true,
             "Compare the 4-lane SIMD kernels (wasm SIMD128 in the browser, SSE2 natively) or their plain scalar "
             "twins (N up to 1M).");
    declare_text(d.text);
    d.view("timing", "Time per element: fastest of 9 rounds, SIMD and scalar", [this](const ViewContext& v) { draw_timing(v); });
    d.view("roofline", "Predicted two-pass speedup over three-pass reload, against N",
           [this](const ViewContext& v) { draw_roofline(v); });
    d.view("bandwidth", "Effective memory bandwidth (bytes each variant must move / time)",
           [this](const ViewContext& v) { draw_bandwidth(v); });
    d.view("subnormals", "Subnormal outputs and what they cost", [this](const ViewContext&) { draw_subnormals(); });
    d.view("accuracy", "Accuracy against a double-precision reference", [this](const ViewContext&) { draw_accuracy(); });
    d.metric("max_rel_err_*", "largest relative error of a variant (chosen path) against the double reference, "
                              "over outputs that are normal floats (above N = 1M: every k-th output, k = N / 1M)");
    d.metric("sum_minus_one_*", "Σ y − 1 of a variant's output (chosen path)");
    d.metric("nonfinite_outputs", "Inf/NaN outputs of the safe variants, every path run (should be 0)");
    d.metric("nonfinite_outputs_naive", "Inf/NaN outputs of e^x / Σ e^x without the max shift (N up to 1M)");
    d.metric("subnormal_outputs", "outputs of three-pass reload (chosen path) strictly between 0 and 2^-126");
    d.metric("ns_per_elem_*", "time per element (fastest round) of a variant on the chosen path; ..._scalar: of its scalar "
                              "twin (timing)");
    d.metric("two_pass_speedup_vs_reload_pct", "how much faster two-pass is than three-pass reload, in % (timing)");
    d.metric("two_pass_speedup_vs_recompute_pct", "the same against three-pass recompute (timing)");
    d.metric("two_pass_speedup_vs_v1_pct", "how much faster the lean two-pass is than its first version (timing)");
    d.metric("two_pass_predicted_speedup_pct", "the roofline model's two-pass speedup over reload at this N, from "
                                               "this machine's measured stream times and exp throughput (timing)");
    d.metric("paper_predicted_speedup_pct", "the same model with the paper's machine as assumed (16 lanes, FMA), "
                                            "out of cache (timing: it uses no measurement, but sits with them)");
    d.metric("stream_gb_per_s", "stream copy bandwidth at this N: 8 bytes (read x, write y) per element / time (timing)");
    d.metric("exp_gelem_per_s", "exp throughput in cache: 10^9 elements per second (load, exp, add) (timing)");
    d.metric_if_defined("break_even_gb_per_s",
                        "the copy bandwidth below which the model has two-pass beat reload here (timing); undefined "
                        "when the model has one algorithm ahead at every bandwidth from 1/100 to 1000 times the "
                        "measured one");
    d.metric("subnormal_cost_pct", "how much longer reload takes on a 1M slice with its subnormal outputs than with "
                                   "them pushed to 0; 0 when there are none (timing)");
    x_out_ = &outputs_.array("x");
    for (int v = 0; v < kNumVariants; ++v) y_out_[v] = &outputs_.array((std::string("y_") + kVariantKeys[v]).c_str());
    timings_ = &outputs_.series("timings", {"variant", "ns_per_elem_simd", "ns_per_elem_scalar", "gb_per_s",
                                            "predicted_ns_per_elem"});
    timings_->timing = true;
    curve_ = &outputs_.series("roofline", {"n", "this_machine_pct", "paper_pct"});
    curve_->timing = true;
  }

  void reset(uint64_t seed) override {
    const size_t n = size_t(n_);
    whole_ = n_ <= kWholeMax;
    Rng rng(seed);
    x_.resize(n);
    y_.resize(n);
    for (float& v : x_) v = float(rng.uniform(-range_, range_));
    ref_ = make_reference(x_);
    ref_vals_.resize(whole_ ? n : 0);
    for (size_t i = 0; i < ref_vals_.size(); ++i) ref_vals_[i] = ref_.at(x_[i]);
    stride_ = whole_ ? 1 : (n + kWholeMax - 1) / kWholeMax;
    for (auto& a : accuracy_)
      for (Accuracy& p : a) p = Accuracy();
    naive_nonfinite_ = -1;
    if (whole_) {
      // Accuracy of every variant and path; the chosen path's output is kept for export.
      const int chosen = simd_ ? 0 : 1;
      for (int v = 0; v < kNumVariants; ++v) {
        for (int path = 0; path < 2; ++path) {
          (path == 0 ? kFast : kScalar)[v](x_.data(), y_.data(), n);
          Accuracy& a = accuracy_[v][path];
          check_range(a, 0, n);
          a.finish();
          if (path == chosen) y_out_[v]->set({n_}, y_.data());
        }
      }
      x_out_->set({n_}, x_.data());
      kern::softmax_naive(x_.data(), y_.data(), n);
      naive_nonfinite_ = 0;
      for (float v : y_) naive_nonfinite_ += !std::isfinite(v);
    } else {
      x_out_->set({0}, x_.data());  // 64M-element arrays are not kept twice
      for (Array* a : y_out_) a->set({0}, y_.data());
    }
    // Probe inputs: in-cache streams, the exp probe, and a slice of x (at most
    // 1M elements) as its own softmax, with its subnormal outputs and without.
    cache_x_.resize(kCacheN);
    for (int i = 0; i < kCacheN; ++i) cache_x_[i] = x_[size_t(i) % n];
    cache_y_.assign(kCacheN, 0.0f);
    exp_x_.resize(kExpN);
    for (int i = 0; i < kExpN; ++i) exp_x_[i] = -20.0f * float(i) / kExpN;
    const size_t ns = n < size_t(kWholeMax) ? n : size_t(kWholeMax);
    sub_on_.assign(x_.begin(), x_.begin() + ptrdiff_t(ns));
    sub_off_ = sub_on_;
    sub_y_.resize(ns);
    kern::softmax_three_pass_reload(sub_on_.data(), sub_y_.data(), ns);
    slice_subnormals_ = 0;
    for (size_t i = 0; i < ns; ++i) {
      if (sub_y_[i] != 0.0f && sub_y_[i] < float(kFloatMin)) {
        sub_off_[i] -= 64.0f;  // e^(x - 64 - mu) is below the exp's floor: exactly 0
        ++slice_subnormals_;
      }
    }
    timer_.configure(kNumVariants, whole_ ? 2 : 1, kRounds, 1.0);
    probes_.configure(kNumProbes, 1, kRounds, 1.0);
    llc_ = llc_bytes();
    refresh();
  }

  // One unit: one timing of one (variant, path) pair (repeated until 1 ms
  // has passed) for N up to 1M; above, one pass of one variant over 256K
  // elements (about 1 ms SIMD), so no unit blocks a frame for long.  Probes
  // and kernels alternate round by round.
  int step(int max_steps, double budget_ms) override {
    const int units = timing::run_budgeted(max_steps, budget_ms, [this] { return done(); }, [&] {
      if (!probes_.done() && (timer_.done() || probes_.rounds_done() <= timer_.rounds_done())) probe_unit();
      else kernel_unit();
    });
    refresh();
    return units;
  }

  bool done() const override { return timer_.done() && probes_.done(); }

  void metrics(MetricList& out) const override {
    const int path = simd_ ? 0 : 1;
    char key[64];
    for (int v = 0; v < kNumVariants; ++v) {
      std::snprintf(key, sizeof key, "max_rel_err_%s", kVariantKeys[v]);
      out.add(key, accuracy_[v][path].max_rel_err);
    }
    for (int v = 0; v < kNumVariants; ++v) {
      std::snprintf(key, sizeof key, "sum_minus_one_%s", kVariantKeys[v]);
      out.add(key, accuracy_[v][path].sum_minus_one);
    }
    int nonfinite = 0;
    for (const auto& a : accuracy_)
      for (const Accuracy& p : a) nonfinite += p.nonfinite;
    out.add("nonfinite_outputs", nonfinite);
    out.add("nonfinite_outputs_naive", naive_nonfinite_ < 0 ? NAN : double(naive_nonfinite_));
    out.add("subnormal_outputs", accuracy_[kReload][path].complete ? double(accuracy_[kReload][path].subnormal) : NAN);
    for (int v = 0; v < kNumVariants; ++v) {
      std::snprintf(key, sizeof key, "ns_per_elem_%s", kVariantKeys[v]);
      out.add_timing(key, ns(v, path));
    }
    for (int v = 0; v < kNumVariants; ++v) {
      std::snprintf(key, sizeof key, "ns_per_elem_%s_scalar", kVariantKeys[v]);
      out.add_timing(key, ns(v, 1));
    }
    out.add_timing("two_pass_speedup_vs_reload_pct", speedup_pct(ns(kReload, path), ns(kTwoPass, path)));
    out.add_timing("two_pass_speedup_vs_recompute_pct", speedup_pct(ns(kRecompute, path), ns(kTwoPass, path)));
    out.add_timing("two_pass_speedup_vs_v1_pct", speedup_pct(ns(kTwoPassV1, path), ns(kTwoPass, path)));
    out.add_timing("two_pass_predicted_speedup_pct", predicted_pct_);
    out.add_timing("paper_predicted_speedup_pct", paper_pct_);
    out.add_timing("stream_gb_per_s", 8.0 / probes_.best_ns_per_element(kMemCopy, 0));
    out.add_timing("exp_gelem_per_s", 1.0 / probes_.best_ns_per_element(kExp, 0));
    out.add_timing("break_even_gb_per_s", break_even_gbs_);
    out.add_timing("subnormal_cost_pct", subnormal_cost_pct());
  }

 private:
  struct Accuracy {
    double max_rel_err = NAN, sum_minus_one = NAN;
    int nonfinite = 0, subnormal = 0;
    bool complete = false;
    double worst = 0, sum = 0;  // running, while the output is checked piece by piece
    void finish() {
      max_rel_err = nonfinite ? NAN : worst;
      sum_minus_one = sum - 1.0;
      complete = true;
    }
  };

  void declare_text(Walkthrough& t) {
    t.section("The problem")
        .paragraph("softmax(x)_i = e^(x_i) / Σ_j e^(x_j) turns scores into probabilities.  Computed literally it "
                   "overflows: e^x exceeds the largest float32 once x > 88.7.  The safe form subtracts the maximum "
                   "first, which costs an extra pass over the data.  Whether that pass matters depends on what "
                   "limits the kernel: the memory (bytes per second) or the arithmetic (exponentials per second).")
        .paragraph("On this input, the naive e^x / Σ e^x gives {nonfinite_outputs_naive:%.0f} non-finite outputs; "
                   "the safe variants give {nonfinite_outputs:%.0f}.");
    t.section("The method")
        .paragraph("Three-pass, reload (5 memory accesses per element, 1 exp):")
        .equation("μ = max_i x_i;   y_i = e^(x_i − μ), σ = Σ y_i  (store y);   y_i ← y_i / σ")
        .paragraph("Three-pass, recompute (4 accesses, 2 exps): the second pass only sums, the third recomputes "
                   "e^(x_i − μ) / σ.")
        .paragraph("Two-pass (3 accesses, 2 exps): write e^x = m·2^n with n = round(x·log₂e) and m = e^(x − n·ln2) "
                   "in [2^−½, 2^½].  Pairs add without overflow by aligning exponents:")
        .equation("n' = max(n_σ, n_i);   m_σ ← m_σ·2^(n_σ − n') + m_i·2^(n_i − n');   then  y_i = (m_i / m_σ)·2^(n_i − n_σ)")
        .paragraph("The kernel follows the paper's author's code (XNNPACK's f32-raddextexp and f32-vscaleextexp): "
                   "16 elements at a time, the block's largest exponent first, one rescale of the sum per block, "
                   "2^d built in 3 operations, no clamp.  Its first version, still timed here, rescaled on every "
                   "vector, built 2^d in 6 operations and clamped x in both passes: about 75 operations per 4 "
                   "elements over both passes against 58.  Online softmax (Milakov & Gimelshein, 2018) also needs "
                   "two passes: a running max and a rescaled running sum.")
        .paragraph("The roofline model: each pass takes max(its bytes / the bandwidth, its compute time).  The "
                   "bandwidth is measured here by stream probes with the passes' own access patterns (read x; read "
                   "x and write y; y in place), at this N and in cache.  The compute time is each variant's own "
                   "time in cache (its exps and other operations, measured), split across its passes by operation "
                   "count; an exp probe puts the exps alone at {exp_gelem_per_s:%.2f} G/s (21 operations per 4 "
                   "elements without FMA).  At this N: copy {stream_gb_per_s:%.1f} GB/s; the model predicts "
                   "two-pass {two_pass_predicted_speedup_pct:%+.0f}% against reload, measured "
                   "{two_pass_speedup_vs_reload_pct:%+.0f}%.")
        .paragraph("In the model two-pass would win here once the copy bandwidth fell below "
                   "{break_even_gb_per_s:%.1f} GB/s.")
        .when([this] { return std::isfinite(break_even_gbs_); })
        .paragraph("In the model one algorithm stays ahead at every copy bandwidth from 1/100 to 1000 "
                   "times the measured one: the compute times alone decide, so there is no break-even bandwidth "
                   "here.")
        .when([this] { return done() && !std::isfinite(break_even_gbs_); })
        .warning("Here the model and the measurement disagree in sign: read the prediction as the model's, not as "
                 "a forecast for this setting (timings on a shared machine, or a regime the model leaves out, "
                 "such as subnormals or the cache levels between L2 and memory).")
        .when([this] { return model_disagrees(); })
        .warning("Relaxed-SIMD fused multiply-add is not offered: Debian's Emscripten 3.1.6 (LLVM 14) compiles "
                 "__builtin_wasm_fma_f32x4 with -mrelaxed-simd to the proposal's prototype opcode (0xfd 0xaf), "
                 "which V8 rejects (\"invalid simd opcode\", node 20 and Chromium); the standard "
                 "f32x4.relaxed_madd (0xfd 0x105) needs a newer LLVM.  So every kernel here runs without FMA: "
                 "a multiply-add is 2 operations.");
    t.section("Try this")
        .bullet("Compare two-pass with its first version: same algorithm, same results, "
                "{two_pass_speedup_vs_v1_pct:%+.0f}% faster from the leaner loop alone.")
        .bullet("Push N to 16M or 64M (past the last-level cache): the copy bandwidth falls to memory speed "
                "({stream_gb_per_s:%.1f} GB/s), and the saved pass starts to count: compare the measured "
                "{two_pass_speedup_vs_reload_pct:%+.0f}% with the model's {two_pass_predicted_speedup_pct:%+.0f}%.  "
                "With 4 lanes and no FMA both passes of two-pass stay near compute-bound, so the gain is small or "
                "negative here; the roofline view shows the paper's machine, where it pulls ahead.")
        .bullet("Set R = 100: a few percent of the outputs are subnormal ({subnormal_outputs:%.0f} here) and the "
                "subnormal view shows what that costs (wasm cannot flush them to zero).")
        .bullet("Set R above 88.7 and watch the naive formula produce Inf/NaN while every safe variant stays exact.")
        .bullet("Turn SIMD off (N up to 1M): the scalar twin of two-pass takes {ns_per_elem_two_pass_scalar:%.1f} ns "
                "per element against {ns_per_elem_two_pass:%.1f} for 4 lanes.");
    t.section("What the paper reports")
        .paper("two-pass vs three-pass, AVX512 (16 lanes, FMA)", "up to 28% faster", "paper_predicted_speedup_pct",
               "%+.0f%% (model, assumed machine)",
               "Paper: measured on Skylake-X, out-of-cache N.  Live: this lesson's roofline model with the paper's "
               "machine as assumed (16 lanes, FMA, 2 operations per cycle at 3 GHz, 12 GB/s): not a measurement.")
        .paper("two-pass vs three-pass, AVX2 (8 lanes, FMA)", "up to 18% faster", "", "",
               "No AVX2 build here: SIMD128 and SSE2 are 4 lanes without FMA.")
        .paper("two-pass vs three-pass, 4 lanes without FMA", "not measured in the paper",
               "two_pass_speedup_vs_reload_pct", "%+.0f%% vs reload (live)",
               "Live: this machine's wasm or native build at the N above, against the faster three-pass (reload).")
        .note("Paper numbers are quoted from the paper; the paper compares each instruction set's two-pass with "
              "its three-pass kernels.  The live rows are measured or modelled now, here.")
        .warning("Scalar twins, the stored reference and the exported arrays stop at N = 1M; above, the accuracy "
                 "is checked on every k-th output (k = N / 1M) as the timed run writes it.")
        .when([this] { return !whole_; })
        .warning("N above 1M runs the SIMD kernels only: the scalar columns are empty.")
        .when([this] { return !whole_ && !simd_; });
  }

  // ------------------------------------------------------------ work units
  size_t pieces() const { return (size_t(n_) + kPiece - 1) / kPiece; }
  void piece_range(int piece, size_t& b, size_t& e) const {
    b = size_t(piece) * kPiece;
    e = b + kPiece < size_t(n_) ? b + kPiece : size_t(n_);
  }

  void kernel_unit() {
    const size_t n = size_t(n_);
    if (whole_) {
      timer_.run_unit([&](int v, int path) { (path == 0 ? kFast : kScalar)[v](x_.data(), y_.data(), n); }, double(n));
      return;
    }
    const int v = timer_.next_variant(), part = timer_.next_part();
    const int np = int(pieces()), passes = kCost[v].passes;
    timer_.run_part(
        [&](int var, int, int k) {
          if (k == 0) state_ = kern::SoftmaxPasses(kAlg[var], n);
          size_t b, e;
          piece_range(k % np, b, e);
          kern::softmax_pass(state_, k / np, x_.data(), y_.data(), b, e);
        },
        passes * np, double(n));
    // The first run of each variant is also its accuracy check, a piece at a
    // time as the last pass writes it (outside the timed region).
    if (part / np == passes - 1 && !accuracy_[v][0].complete) {
      size_t b, e;
      piece_range(part % np, b, e);
      if (state_.whole_row_done) b = 0, e = n;  // a fallback row was written whole
      check_range(accuracy_[v][0], b, e);
      if (e == n) accuracy_[v][0].finish();
    }
  }

  void probe_unit() {
    const int p = probes_.next_variant();
    const size_t n = size_t(n_);
    if (!whole_ && p <= kMemRmw) {
      const int np = int(pieces());
      probes_.run_part(
          [&](int probe, int, int k) {
            size_t b, e;
            piece_range(k, b, e);
            run_probe(probe, b, e);
          },
          np, double(n));
      return;
    }
    const double elements = p <= kMemRmw ? double(n) : p <= kCacheRmw || p >= kInCache0 ? double(kCacheN)
                            : p == kExp ? double(kExpN) : double(sub_on_.size());
    probes_.run_unit([&](int probe, int) { run_probe(probe, 0, n); }, elements);
  }

  void run_probe(int p, size_t b, size_t e) {
    switch (p) {
      case kMemRead: sink_ += stream_read(x_.data() + b, e - b); break;
      case kMemCopy: stream_copy(x_.data() + b, y_.data() + b, e - b); break;
      case kMemRmw: stream_rmw(y_.data() + b, e - b, 1.0f); break;  // y = x (the copy just ran): no subnormals
      case kCacheRead: sink_ += stream_read(cache_x_.data(), kCacheN); break;
      case kCacheCopy: stream_copy(cache_x_.data(), cache_y_.data(), kCacheN); break;
      case kCacheRmw: stream_rmw(cache_y_.data(), kCacheN, 1.0f); break;
      case kExp: sink_ += exp_probe(exp_x_.data(), kExpN); break;
      case kSubOn:
      case kSubOff:
        if (slice_subnormals_ == 0) break;  // nothing to compare
        kern::softmax_three_pass_reload((p == kSubOn ? sub_on_ : sub_off_).data(), sub_y_.data(), sub_y_.size());
        break;
      default:  // a variant in cache
        if (p >= kInCache0 && p < kNumProbes) kFast[p - kInCache0](cache_x_.data(), cache_y_.data(), kCacheN);
        break;
    }
  }

  // Accuracy of y_[b, e) against the reference (every stride_-th element).
  void check_range(Accuracy& a, size_t b, size_t e) const {
    for (size_t i = b; i < e; ++i) {
      const float y = y_[i];
      if (!std::isfinite(y)) {
        ++a.nonfinite;
        continue;
      }
      a.sum += y;
      a.subnormal += y != 0.0f && std::fabs(y) < float(kFloatMin);
      if (i % stride_ == 0) {
        const double r = whole_ ? ref_vals_[i] : ref_.at(x_[i]);
        if (r >= kFloatMin) a.worst = std::fmax(a.worst, std::fabs(y - r) / r);
      }
    }
  }

  // ------------------------------------------------------------ the model
  double ns(int v, int path) const { return timer_.best_ns_per_element(v, path); }
  static double speedup_pct(double baseline, double two_pass) { return (baseline / two_pass - 1.0) * 100.0; }

  // Predicted ns per element of variant v: each pass takes max(memory time
  // of its pattern, its compute time).  Here the compute time is the
  // variant's own time in cache (measured: its exps and other operations),
  // split across the passes by operation count; for the paper's machine it is
  // operations x the assumed ns per operation / lanes.
  double predict_here(int v, const double* mem_ns, double mem_scale = 1) const {
    const double in_cache = probes_.best_ns_per_element(kInCache0 + v, 0);
    double ops = 0, t = 0;
    for (int p = 0; p < kCost[v].passes; ++p) ops += kCost[v].pass[p].ops;
    for (int p = 0; p < kCost[v].passes; ++p) {
      const PassCost& c = kCost[v].pass[p];
      t += std::fmax(mem_ns[c.pattern] * mem_scale, in_cache * c.ops / ops);
    }
    return t;
  }
  static double predict_paper(int v, const double* mem_ns) {
    double t = 0;
    for (int p = 0; p < kCost[v].passes; ++p) {
      const PassCost& c = kCost[v].pass[p];
      t += std::fmax(mem_ns[c.pattern], c.ops_fma * kPaperNsPerOp / kPaperLanes);
    }
    return t;
  }
  // What one vector operation costs here, from the exp probe (for the text).
  double ns_per_op() const { return probes_.best_ns_per_element(kExp, 0) * 4.0 / kExpProbeOps; }
  void mem_ns(bool in_cache, double* out) const {
    for (int k = 0; k < kNumPatterns; ++k) out[k] = probes_.best_ns_per_element((in_cache ? kCacheRead : kMemRead) + k, 0);
  }
  double paper_speedup(double n) const {
    const bool in_cache = 8.0 * n <= kPaperLlcBytes;
    double mem[kNumPatterns];
    for (int k = 0; k < kNumPatterns; ++k) mem[k] = kPatternBytes[k] / (in_cache ? kPaperCacheGBs : kPaperGBs);
    return speedup_pct(predict_paper(kReload, mem), predict_paper(kTwoPass, mem));
  }
  double llc_or_assumed() const { return llc_ > 0 ? llc_ : kAssumedLlcBytes; }

  void refresh() {
    const int path = simd_ ? 0 : 1;
    double mem[kNumPatterns], cache[kNumPatterns];
    mem_ns(false, mem);
    mem_ns(true, cache);
    predicted_pct_ = speedup_pct(predict_here(kReload, mem), predict_here(kTwoPass, mem));
    paper_pct_ = paper_speedup(double(kMaxN));
    // The copy bandwidth at which the model has the two algorithms tie here:
    // scale every memory time by f until they do (bisection on log f).
    break_even_gbs_ = NAN;
    if (std::isfinite(predicted_pct_)) {
      auto gap = [&](double f) { return predict_here(kReload, mem, f) - predict_here(kTwoPass, mem, f); };
      double lo = 0.01, hi = 1000;
      if (gap(lo) < 0 && gap(hi) > 0) {
        for (int it = 0; it < 60; ++it) {
          const double mid = std::sqrt(lo * hi);
          (gap(mid) < 0 ? lo : hi) = mid;
        }
        break_even_gbs_ = 8.0 / (mem[kCopy] * hi);
      }
    }
    timings_->clear();
    for (int v = 0; v < kNumVariants; ++v)
      timings_->push({float(v), float(ns(v, 0)), float(ns(v, 1)),
                      float(kAccessesPerElement[v] * 4.0 / ns(v, path)),
                      float(predict_here(v, mem))});
    // The curve against N: in-cache stream times while x and y fit in the
    // last-level cache, this N's beyond it (when this N is beyond it).
    const double llc = llc_or_assumed();
    const bool beyond = 8.0 * n_ > llc;
    curve_->clear();
    for (int k = 10; k <= 26; ++k) {
      const double n = std::ldexp(1.0, k);
      const bool in_cache = 8.0 * n <= llc;
      const double* m = in_cache ? cache : mem;
      const double here = (in_cache || beyond)
                              ? speedup_pct(predict_here(kReload, m), predict_here(kTwoPass, m))
                              : NAN;
      curve_->push({float(n), float(here), float(paper_speedup(n))});
    }
  }

  bool model_disagrees() const {
    const double measured = speedup_pct(ns(kReload, 0), ns(kTwoPass, 0));
    return std::isfinite(measured) && std::isfinite(predicted_pct_) && (measured > 0) != (predicted_pct_ > 0);
  }
  double subnormal_cost_pct() const {
    if (slice_subnormals_ == 0) return 0;  // none: nothing to pay
    return (probes_.best_ns_per_element(kSubOn, 0) / probes_.best_ns_per_element(kSubOff, 0) - 1.0) * 100.0;
  }

  // ------------------------------------------------------------------ views
  void draw_timing(const ViewContext& v) {
    const char* labels[kNumVariants];
    for (int i = 0; i < kNumVariants; ++i) labels[i] = kVariantNames[i];
    if (timer_.rounds_done() == 0)
      ImGui::TextDisabled("Timing... (%s)", whole_ ? "each variant runs for 1 ms per round, a few per frame"
                                                   : "one pass over 256K elements per unit, a few per frame");
    else ImGui::TextDisabled("%d of %d rounds, %s, N = %d", timer_.rounds_done(), kRounds, simd::backend_name(), n_);
    plot::bar_chart("##ns", ImVec2(v.width, v.height > 0 ? v.height - v.font_size * 2.5f : 0), labels, timings_->col(1),
                    kNumVariants, "ns", whole_ ? timings_->col(2) : nullptr, "SIMD", whole_ ? "scalar" : nullptr);
    if (ImGui::Button("Measure again")) timer_.clear(), probes_.clear();  // input: the next steps re-measure
  }

  void draw_roofline(const ViewContext& v) const {
    const double llc = llc_or_assumed();
    char line[256];  // wrapped: on a narrow column the sentence would run past the edge
    std::snprintf(line, sizeof line, "Copy %.1f GB/s at this N, %.1f GB/s in cache; %.2f G exps/s.  Last-level cache %.0f MiB%s.",
                  8.0 / probes_.best_ns_per_element(kMemCopy, 0), 8.0 / probes_.best_ns_per_element(kCacheCopy, 0),
                  1.0 / probes_.best_ns_per_element(kExp, 0), llc / 1048576.0,
                  llc_ > 0 ? " (read from the system)" : " (assumed: the browser does not say)");
    ui::note(line);
    ImGui::TextDisabled("x and y (%.0f MB) %s the cache.  Model %+.0f%%, measured %+.0f%% at N = %d.", 8.0 * n_ / 1e6,
                        8.0 * n_ <= llc ? "fit in" : "exceed", predicted_pct_,
                        speedup_pct(ns(kReload, 0), ns(kTwoPass, 0)), n_);
    const int rows = curve_->rows();
    float px = float(n_), py = float(speedup_pct(ns(kReload, 0), ns(kTwoPass, 0)));
    plot::LinePlot lp("##roof", ImVec2(v.width, v.height > 0 ? v.height - v.font_size * 4 : v.font_size * 14));
    lp.axes("N (elements)", "two-pass vs reload, %", false, true);
    lp.line("this machine (model)", curve_->col(0), curve_->col(1), rows);
    lp.line("paper's machine (model, assumed)", curve_->col(0), curve_->col(2), rows, 0, true);
    lp.points("measured here", &px, &py, 1);
    lp.hline(0, "break-even");
    lp.draw();
    // Where this machine's curve changes sign, if it does.
    const float* c = curve_->col(1);
    int cross = -1;
    for (int i = 1; i < rows; ++i)
      if (std::isfinite(c[i - 1]) && std::isfinite(c[i]) && (c[i - 1] > 0) != (c[i] > 0)) cross = i;
    if (cross >= 0) ImGui::TextDisabled("This machine: the algorithms cross near N = %.0f.", curve_->col(0)[cross]);
    else if (8.0 * n_ <= llc)
      ImGui::TextDisabled("This machine beyond the cache: set N above %.0fM to measure it.", llc / 8.0 / 1048576.0);
    else if (std::isfinite(break_even_gbs_))
      ImGui::TextDisabled("This machine: no crossing up to 64M; two-pass would need copy below %.1f GB/s.", break_even_gbs_);
    else ImGui::TextDisabled("This machine: no crossing up to 64M at any plausible copy bandwidth.");
    ImGui::TextDisabled("Paper's machine (assumed): %+.0f%% out of cache, %+.0f%% in cache.", paper_pct_,
                        paper_speedup(1024));
  }

  void draw_bandwidth(const ViewContext& v) const {
    const char* labels[kNumVariants];
    for (int i = 0; i < kNumVariants; ++i) labels[i] = kVariantNames[i];
    ImGui::TextDisabled("%s path; 5, 4, 3, 3 and 3 float accesses per element", simd_ ? "SIMD" : "scalar");
    plot::bar_chart("##gbs", ImVec2(v.width, 0), labels, timings_->col(3), kNumVariants, "GB/s");
  }

  void draw_subnormals() const {
    const int path = simd_ ? 0 : 1;
    const Accuracy& a = accuracy_[kReload][path];
    if (!a.complete) {
      ImGui::TextDisabled("Counting... (the first timed run of reload writes the outputs)");
      return;
    }
    ImGui::Text("%d of %d outputs (%.2f%%) are subnormal: below 2^-126, above 0.", a.subnormal, n_,
                100.0 * a.subnormal / n_);
    if (slice_subnormals_ == 0) {
      ImGui::TextDisabled("None here: every variant measures the algorithm.  Try R = 100.");
      return;
    }
    ImGui::Text("Cost: reload takes %+.0f%% longer on a %d-element slice with its %d subnormal outputs than with "
                "them pushed to 0 (%.1f ns per subnormal output).",
                subnormal_cost_pct(), int(sub_on_.size()), slice_subnormals_,
                (probes_.best_ns_per_element(kSubOn, 0) - probes_.best_ns_per_element(kSubOff, 0)) * double(sub_on_.size()) /
                    slice_subnormals_);
    ImGui::TextDisabled("x86 processors take a slow path for subnormal results unless told to flush them to zero, "
                        "which wasm cannot: the timings above then measure subnormals as much as the algorithms.");
  }

  void draw_accuracy() const {
    const int path = simd_ ? 0 : 1;
    ImGui::TextDisabled("%s path%s", simd_ ? "SIMD" : "scalar", whole_ ? "" : ", every k-th output");
    if (!ImGui::BeginTable("##acc", 3, ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg)) return;
    ImGui::TableSetupColumn("variant");
    ImGui::TableSetupColumn("max relative error");
    ImGui::TableSetupColumn("Σ y − 1");
    ImGui::TableHeadersRow();
    for (int v = 0; v < kNumVariants; ++v) {
      ImGui::TableNextRow();
      ImGui::TableSetColumnIndex(0);
      ImGui::TextUnformatted(kVariantNames[v]);
      ImGui::TableSetColumnIndex(1);
      ImGui::Text("%.2e  (%.1f ulp)", accuracy_[v][path].max_rel_err, accuracy_[v][path].max_rel_err / 5.96e-8);
      ImGui::TableSetColumnIndex(2);
      ImGui::Text("%.2e", accuracy_[v][path].sum_minus_one);
    }
    ImGui::EndTable();
  }

  int n_ = 1 << 16;
  double range_ = 10;
  bool simd_ = true;
  bool whole_ = true;
  std::vector<float> x_, y_;
  Reference ref_;
  std::vector<double> ref_vals_;  // (N,) the reference outputs, N up to 1M
  size_t stride_ = 1;
  Accuracy accuracy_[kNumVariants][2];
  int naive_nonfinite_ = 0;
  timing::KernelTimer timer_, probes_;
  kern::SoftmaxPasses state_{kern::SoftmaxAlg::two_pass, 0};
  std::vector<float> cache_x_, cache_y_, exp_x_, sub_on_, sub_off_, sub_y_;
  int slice_subnormals_ = 0;
  double llc_ = 0;
  double predicted_pct_ = NAN, paper_pct_ = NAN, break_even_gbs_ = NAN;
  volatile float sink_ = 0;
  Array* x_out_ = nullptr;                // (N,) the input (N up to 1M)
  Array* y_out_[kNumVariants] = {};       // (N,) each variant's output on the chosen path (N up to 1M)
  Series* timings_ = nullptr;             // one row per variant
  Series* curve_ = nullptr;               // the model's speedup against N
};

}  // namespace

PG_REGISTER_LESSON(TwoPassSoftmax, 1);

}  // namespace pg
