// two_pass_softmax.cpp - Lesson: The Two-Pass Softmax Algorithm
// (Dukhan & Ablavatski, 2020, arXiv:2001.04438).
//
// Softmax is memory-bound: each pass over a long vector costs a trip to
// memory.  The classic safe softmax needs three passes (max; exp and sum;
// normalize).  The paper keeps each exponential as a (mantissa, exponent) pair
// so that no maximum is needed up front: one pass accumulates the sum, the
// second writes the outputs.  This lesson runs every variant on the same
// input, checks accuracy against a double-precision reference, and times them
// live (SIMD and scalar) in whatever runs it: the browser's wasm or native.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <vector>

#include "engine/kernels/softmax.h"
#include "engine/rng.h"
#include "engine/simd.h"
#include "lessons/lesson.h"
#include "web/plots.h"
#include "web/ui.h"

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
    "Safe softmax in two memory passes instead of three, timed live in your browser.",
};

// The four safe variants, in the order the panel lists them.
enum Variant { kReload, kRecompute, kTwoPass, kOnline, kNumVariants };
const char* const kVariantNames[kNumVariants] = {"three-pass reload", "three-pass recompute", "two-pass",
                                                 "online (max+sum)"};
const char* const kVariantKeys[kNumVariants] = {"three_pass_reload", "three_pass_recompute", "two_pass",
                                                "online"};
// Memory accesses per element (4 bytes each): reads + writes over all passes.
const int kAccessesPerElement[kNumVariants] = {5, 4, 3, 3};

using SoftmaxFn = void (*)(const float*, float*, size_t);
const SoftmaxFn kFast[kNumVariants] = {kern::softmax_three_pass_reload, kern::softmax_three_pass_recompute,
                                       kern::softmax_two_pass, kern::softmax_online};
const SoftmaxFn kScalar[kNumVariants] = {kern::softmax_three_pass_reload_ref, kern::softmax_three_pass_recompute_ref,
                                         kern::softmax_two_pass_ref, kern::softmax_online_ref};

constexpr int kRounds = 9;  // timing rounds; the panel shows the median
constexpr int kUnitsPerRound = 2 * 4;  // every variant, SIMD and scalar

double now_ms() {
  using clock = std::chrono::steady_clock;
  return std::chrono::duration<double, std::milli>(clock::now().time_since_epoch()).count();
}

// The accuracy reference, in double with detmath::exp (bit-identical native
// and wasm, unlike libm or long double) and a compensated sum.  ref is (N,).
void reference_softmax(const std::vector<float>& x, std::vector<double>& ref) {
  double mu = -HUGE_VAL;
  for (float v : x) mu = std::fmax(mu, double(v));
  double sum = 0, carry = 0;  // Kahan summation
  for (size_t i = 0; i < x.size(); ++i) {
    ref[i] = detmath::exp(double(x[i]) - mu);
    const double y = ref[i] - carry, t = sum + y;
    carry = (t - sum) - y;
    sum = t;
  }
  for (double& r : ref) r /= sum;
}

// Median of at most kRounds samples, sorted in a stack copy (no allocation).
double median(const std::vector<double>& samples) {
  if (samples.empty()) return NAN;
  double v[kRounds];
  const size_t n = samples.size() < size_t(kRounds) ? samples.size() : size_t(kRounds);
  for (size_t i = 0; i < n; ++i) {  // insertion sort: at most kRounds values
    const double x = samples[i];
    size_t j = i;
    for (; j > 0 && v[j - 1] > x; --j) v[j] = v[j - 1];
    v[j] = x;
  }
  return v[n / 2];
}

class TwoPassSoftmax : public Lesson {
 public:
  const LessonInfo& info() const override { return kInfo; }

  void declare(ParamList& p) override {
    p.integer("n", "length N", &n_, 16, 1 << 22, 1 << 16,
              "Number of elements in the vector.  Above a few hundred thousand the data no longer fit in "
              "cache and memory traffic decides the speed.",
              true);
    p.real("range", "input range R", &range_, 1, 1e4, 100,
           "Inputs are drawn uniformly from (-R, R).  Above R = 88.7, exp(x) overflows float32 without the "
           "max shift.",
           true);
    p.toggle("simd", "use SIMD", &simd_, true,
             "Compare the 4-lane SIMD kernels (wasm SIMD128 in the browser, SSE natively) or their plain "
             "scalar twins in the paper table.");
  }

  void reset(uint64_t seed) override {
    Rng rng(seed);
    x_.resize(size_t(n_));
    y_.resize(size_t(n_));
    ref_.resize(size_t(n_));
    for (float& v : x_) v = float(rng.uniform(-range_, range_));
    reference_softmax(x_, ref_);
    // Accuracy of every variant and path against the double reference.
    for (int v = 0; v < kNumVariants; ++v) {
      for (int path = 0; path < 2; ++path) {
        (path == 0 ? kFast : kScalar)[v](x_.data(), y_.data(), size_t(n_));
        measure_accuracy(accuracy_[v][path]);
      }
    }
    kern::softmax_naive(x_.data(), y_.data(), size_t(n_));
    naive_nonfinite_ = count_nonfinite();
    clear_timings();
  }

  // One unit = one timing of one variant on one path, repeated until at
  // least 1 ms has passed (browser timers are coarse).  A round is all
  // variants on both paths; the panel shows the median over rounds.
  int step(int max_steps, double budget_ms) override {
    const double start = now_ms();
    int done = 0;
    while (done < max_steps && !this->done()) {
      const int v = (next_unit_ / 2) % kNumVariants, path = next_unit_ % 2;
      samples_[v][path].push_back(time_ns_per_element(v, path));
      median_ns_[v][path] = median(samples_[v][path]);  // the panel reads this every frame
      ++next_unit_, ++done;
      if (next_unit_ % kUnitsPerRound == 0) ++rounds_;
      if (now_ms() - start >= budget_ms) break;
    }
    return done;
  }

  bool done() const override { return rounds_ >= kRounds; }

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
    for (int v = 0; v < kNumVariants; ++v)
      for (int p = 0; p < 2; ++p) nonfinite += accuracy_[v][p].nonfinite;
    out.add("nonfinite_outputs", nonfinite);
    out.add("nonfinite_outputs_naive", naive_nonfinite_);
    for (int v = 0; v < kNumVariants; ++v) {
      std::snprintf(key, sizeof key, "ns_per_elem_%s", kVariantKeys[v]);
      out.add_timing(key, ns_per_element(v, path));
    }
    for (int v = 0; v < kNumVariants; ++v) {
      std::snprintf(key, sizeof key, "ns_per_elem_%s_scalar", kVariantKeys[v]);
      out.add_timing(key, ns_per_element(v, 1));
    }
    out.add_timing("two_pass_speedup_vs_reload_pct", speedup_pct(kReload, path));
    out.add_timing("two_pass_speedup_vs_recompute_pct", speedup_pct(kRecompute, path));
  }

  void draw(PanelContext& ctx) override;

 private:
  struct Accuracy {
    double max_rel_err = NAN, sum_minus_one = NAN;
    int nonfinite = 0;
  };

  // Relative error where the reference is a normal float (below FLT_MIN the
  // float result underflows by design, for every variant alike).
  void measure_accuracy(Accuracy& a) const {
    double worst = 0, sum = 0;
    int nonfinite = 0;
    for (size_t i = 0; i < x_.size(); ++i) {
      const double y = y_[i], r = ref_[i];
      if (!std::isfinite(y)) {
        ++nonfinite;
        continue;
      }
      sum += y;
      if (r >= 1.17549435e-38) worst = std::fmax(worst, std::fabs(y - r) / r);
    }
    a.max_rel_err = nonfinite ? NAN : worst;
    a.sum_minus_one = sum - 1.0;
    a.nonfinite = nonfinite;
  }

  int count_nonfinite() const {
    int count = 0;
    for (float v : y_) count += !std::isfinite(v);
    return count;
  }

  double time_ns_per_element(int v, int path) {
    const SoftmaxFn fn = (path == 0 ? kFast : kScalar)[v];
    int reps = 0;
    const double start = now_ms();
    double elapsed = 0;
    do {
      fn(x_.data(), y_.data(), size_t(n_));
      ++reps;
      elapsed = now_ms() - start;
    } while (elapsed < 1.0);
    return elapsed * 1e6 / (double(reps) * double(n_));
  }

  double ns_per_element(int v, int path) const { return median_ns_[v][path]; }

  // Forget all timings (new input, or "Measure again").
  void clear_timings() {
    for (int v = 0; v < kNumVariants; ++v)
      for (int p = 0; p < 2; ++p) {
        samples_[v][p].clear();
        samples_[v][p].reserve(kRounds);
        median_ns_[v][p] = NAN;
      }
    rounds_ = 0;
    next_unit_ = 0;
  }
  double gb_per_s(int v, int path) const {
    return kAccessesPerElement[v] * 4.0 / ns_per_element(v, path);  // bytes per ns == GB/s
  }
  double speedup_pct(int baseline, int path) const {
    return (ns_per_element(baseline, path) / ns_per_element(kTwoPass, path) - 1.0) * 100.0;
  }

  int n_ = 1 << 16;
  double range_ = 100;
  bool simd_ = true;
  std::vector<float> x_, y_;
  std::vector<double> ref_;
  Accuracy accuracy_[kNumVariants][2];
  int naive_nonfinite_ = 0;
  std::vector<double> samples_[kNumVariants][2];
  double median_ns_[kNumVariants][2] = {};
  int rounds_ = 0;
  int next_unit_ = 0;
};

void TwoPassSoftmax::draw(PanelContext& ctx) {
  const int path = simd_ ? 0 : 1;
  if (ui::section("The problem")) {
    ui::paragraph(
        "softmax(x)_i = e^(x_i) / Σ_j e^(x_j) turns scores into probabilities.  Computed literally it "
        "overflows: e^x exceeds the largest float32 once x > 88.7.  The safe form subtracts the maximum "
        "first, which costs an extra pass over the data.  For long vectors the arithmetic is cheap and "
        "the passes over memory are what you pay for.");
    ImGui::Spacing();
    ui::metric("naive e^x / Σ e^x, non-finite outputs:", "%.0f", naive_nonfinite_);
    ui::help_marker("The naive formula without the max shift, on the same input.  Raise R above 88.7 to see it break.");
    ui::metric("safe variants, non-finite outputs:", "%.0f",
               accuracy_[0][path].nonfinite + accuracy_[1][path].nonfinite + accuracy_[2][path].nonfinite +
                   accuracy_[3][path].nonfinite);
  }
  if (ui::section("The method")) {
    ui::paragraph("Three-pass, reload (5 memory accesses per element):");
    ui::equation("μ = max_i x_i;   y_i = e^(x_i − μ), σ = Σ y_i  (store y);   y_i ← y_i / σ");
    ui::paragraph("Three-pass, recompute (4 accesses): the second pass only sums, the third recomputes e^(x_i − μ) / σ.");
    ui::paragraph("Two-pass (3 accesses): write e^x = m·2^n with n = round(x·log₂e) and m = e^(x − n·ln2) in "
                  "[2^−½, 2^½].  Pairs add without overflow by aligning exponents:");
    ui::equation("n' = max(n_σ, n_i);   m_σ ← m_σ·2^(n_σ − n') + m_i·2^(n_i − n');   then  y_i = (m_i / m_σ)·2^(n_i − n_σ)");
    ui::paragraph("Online softmax (Milakov & Gimelshein, 2018) also needs two passes: it keeps a running max "
                  "and rescales the running sum whenever the max grows.  Attention kernels use it.");
  }
  if (ui::section("Try this")) {
    ui::all_knobs(ctx);
    ui::bullet("Push N above 1M: the vector leaves the cache and the pass count decides the speed.");
    ui::bullet("Set R above 88.7 and watch the naive formula produce Inf/NaN while every safe variant stays exact.");
    ui::bullet("Turn SIMD off: the scalar twins compute the same thing four times slower.");
    ImGui::Spacing();
    if (rounds_ == 0) {
      ImGui::TextDisabled("Timing... (each variant runs for 1 ms per round, a few per frame)");
    }
    const char* labels[kNumVariants];
    float simd_ns[kNumVariants], scalar_ns[kNumVariants], gbs[kNumVariants];
    for (int v = 0; v < kNumVariants; ++v) {
      labels[v] = kVariantNames[v];
      simd_ns[v] = float(ns_per_element(v, 0));
      scalar_ns[v] = float(ns_per_element(v, 1));
      gbs[v] = float(gb_per_s(v, path));
    }
    ImGui::Text("Time per element (median of %d rounds, %s):", rounds_, simd::backend_name());
    plot::bar_chart("##ns", ImVec2(-1, 0), labels, simd_ns, kNumVariants, "ns", scalar_ns, "SIMD", "scalar");
    ImGui::Text("Effective memory bandwidth (%s path):", simd_ ? "SIMD" : "scalar");
    plot::bar_chart("##gbs", ImVec2(-1, 0), labels, gbs, kNumVariants, "GB/s");
    if (ImGui::Button("Measure again")) clear_timings();
    ImGui::Spacing();
    ImGui::Text("Accuracy against a double-precision reference (%s path):", simd_ ? "SIMD" : "scalar");
    if (ImGui::BeginTable("##acc", 3, ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg)) {
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
  }
  if (ui::section("What the paper reports")) {
    const ui::PaperRow rows[] = {
        {"two-pass vs three-pass, AVX512", "up to 28% faster", speedup_pct(kReload, path), "%+.0f%% vs reload (live)",
         "Paper: Skylake-X, out-of-cache N.  Live: this machine's wasm or native build at the N above."},
        {"two-pass vs three-pass, AVX2", "up to 18% faster", speedup_pct(kRecompute, path), "%+.0f%% vs recompute (live)",
         "Paper: AVX2 on the same CPU.  Live: 4-lane SIMD; the gain needs N well beyond the cache."},
    };
    ui::paper_table("##paper", rows, 2);
    ImGui::TextDisabled("Paper numbers are quoted from the paper; the live column is measured now, here.");
  }
}

}  // namespace

std::unique_ptr<Lesson> make_two_pass_softmax() { return std::make_unique<TwoPassSoftmax>(); }

}  // namespace pg
