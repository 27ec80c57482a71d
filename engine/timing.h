// timing.h - live kernel timing, shared by the kernel lessons: each unit of
// work times one (variant, path) pair - e.g. "two-pass softmax, SIMD" - by
// running it until at least min_ms of wall time has passed (browser timers
// are coarse: performance.now() is clamped to 0.1 ms or worse), and a round
// is every pair once.  The reported figure is the median over rounds, which
// shrugs off a frame where the browser or the OS took the core away.
//
//   timing::KernelTimer timer;
//   timer.configure(kNumVariants, 2, /*rounds=*/9, /*min_ms=*/1.0);
//   while (!timer.done()) timer.run_unit([&](int v, int path) { kernel[v][path](x, y, n); }, n);
//   timer.ns_per_element(v, path);  timer.gb_per_s(v, path, bytes_per_element);
//
// A call too long for one unit (a 64M-element softmax takes ~100 ms) is
// split: run_part(run, parts, n) runs one piece run(v, path, part) per unit,
// timed once each, and the pair's sample is the sum of its pieces' times.
//
// Fixed capacity, no allocation: lessons call run_unit from step().
#pragma once
#include <chrono>
#include <cmath>

namespace timing {

inline double now_ms() {
  using clock = std::chrono::steady_clock;
  return std::chrono::duration<double, std::milli>(clock::now().time_since_epoch()).count();
}

// Median of v[0..n), n <= 64, sorted in a stack copy.  NaN when n == 0.
inline double median(const double* v, int n) {
  if (n <= 0) return NAN;
  double s[64];
  if (n > 64) n = 64;
  for (int i = 0; i < n; ++i) {  // insertion sort: a few dozen values at most
    int j = i;
    for (; j > 0 && s[j - 1] > v[i]; --j) s[j] = s[j - 1];
    s[j] = v[i];
  }
  return n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
}

// The per-frame work loop of every lesson and trainer: unit() up to max_units
// times, stopping once done() or once budget_ms of wall time has passed.  The
// clock is read only after a unit, so the state after N units depends only on
// N, never on how frames split them, and a zero budget still does one unit.
// Returns the units done.
template <typename Done, typename Unit>
int run_budgeted(int max_units, double budget_ms, Done&& done, Unit&& unit) {
  const double start = now_ms();
  int units = 0;
  while (units < max_units && !done()) {
    unit();
    ++units;
    if (now_ms() - start >= budget_ms) break;
  }
  return units;
}

class KernelTimer {
 public:
  static constexpr int kMaxVariants = 16, kMaxPaths = 2, kMaxRounds = 64;

  void configure(int variants, int paths, int rounds, double min_ms) {
    variants_ = variants < 1 ? 1 : variants > kMaxVariants ? kMaxVariants : variants;
    paths_ = paths < 1 ? 1 : paths > kMaxPaths ? kMaxPaths : paths;
    rounds_ = rounds < 1 ? 1 : rounds > kMaxRounds ? kMaxRounds : rounds;
    min_ms_ = min_ms;
    clear();
  }
  // Forget every sample (new input, or "measure again").
  void clear() {
    next_ = 0, part_ = 0, part_ms_ = 0;
    for (int v = 0; v < kMaxVariants; ++v)
      for (int p = 0; p < kMaxPaths; ++p) count_[v][p] = 0, median_[v][p] = NAN;
  }
  bool done() const { return next_ >= units_total(); }
  int rounds_done() const { return next_ / (variants_ * paths_); }
  int rounds() const { return rounds_; }
  int units_total() const { return rounds_ * variants_ * paths_; }

  // Times the next (variant, path) pair: calls run(v, path) until min_ms has
  // passed and records nanoseconds per element.  Returns false when done.
  template <typename Run>
  bool run_unit(Run&& run, double elements) {
    if (done()) return false;
    const int v = (next_ / paths_) % variants_, path = next_ % paths_;
    int reps = 0;
    const double start = now_ms();
    double elapsed = 0;
    do {
      run(v, path);
      ++reps;
      elapsed = now_ms() - start;
    } while (elapsed < min_ms_);
    int& c = count_[v][path];
    samples_[v][path][c++] = elapsed * 1e6 / (double(reps) * elements);
    median_[v][path] = median(samples_[v][path], c);
    ++next_;
    return true;
  }

  // One piece of the next pair's call, split into `parts` pieces: run(v,
  // path, part) is timed once; after the last piece the pair's sample (the
  // sum of its pieces' times) is recorded.  Returns false when done.
  template <typename Run>
  bool run_part(Run&& run, int parts, double elements) {
    if (done()) return false;
    const int v = next_variant(), path = next_path();
    const double start = now_ms();
    run(v, path, part_);
    part_ms_ += now_ms() - start;
    if (++part_ < parts) return true;
    int& c = count_[v][path];
    samples_[v][path][c++] = part_ms_ * 1e6 / elements;
    median_[v][path] = median(samples_[v][path], c);
    part_ = 0, part_ms_ = 0;
    ++next_;
    return true;
  }
  // The pair (and piece) the next unit will time.
  int next_variant() const { return (next_ / paths_) % variants_; }
  int next_path() const { return next_ % paths_; }
  int next_part() const { return part_; }
  int samples(int v, int path) const { return count_[v][path]; }

  // Median over the rounds so far (NaN before the first sample).
  double ns_per_element(int v, int path) const { return median_[v][path]; }
  // The fastest round so far (NaN before the first sample): on a machine
  // shared with other work, the run least disturbed by it.
  double best_ns_per_element(int v, int path) const {
    const int c = count_[v][path];
    if (c == 0) return NAN;
    double b = samples_[v][path][0];
    for (int i = 1; i < c; ++i) b = samples_[v][path][i] < b ? samples_[v][path][i] : b;
    return b;
  }
  // Effective bandwidth: bytes moved per element / time per element (bytes per ns = GB/s).
  double gb_per_s(int v, int path, double bytes_per_element) const { return bytes_per_element / median_[v][path]; }

 private:
  int variants_ = 1, paths_ = 1, rounds_ = 1, next_ = 0, part_ = 0;
  double min_ms_ = 1.0, part_ms_ = 0;
  double samples_[kMaxVariants][kMaxPaths][kMaxRounds] = {};
  int count_[kMaxVariants][kMaxPaths] = {};
  double median_[kMaxVariants][kMaxPaths] = {};
};

}  // namespace timing
