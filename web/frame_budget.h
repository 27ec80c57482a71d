// frame_budget.h - how long the lesson may work in the next frame.
//
// The page trains on the main thread, between drawing frames.  A fixed budget
// (it was 7 ms) wastes the frame when drawing is cheap and overruns it when
// drawing is dear.  This fills the frame instead, to a cap on the app's own
// work per frame (lesson steps + building and submitting the UI):
//
//   cap    = min(kWorkCapMs, kVsyncShare x the display interval)
//   budget = cap - draw - unit        (never below kMinBudgetMs)
//
// where draw is the non-lesson work of recent frames (a high quantile, so a
// heavy view does not push the frame over) and unit is the time of one lesson
// unit (the loop checks the clock after each unit, so it may overrun its budget
// by one unit).  The display interval is the 25th percentile of recent frame
// intervals: the refresh rate when frames keep up, and not fooled by the odd
// pair of frames the browser runs back to back.  When drawing alone takes more
// than the cap (a slow machine, software GL), the lesson still gets
// kMinBudgetMs: the page stays responsive and training goes on, slowly.
//
// Plain arithmetic over the last kWindow frames, no clock of its own: the host
// passes the measurements (web/app.cpp), tests pass made-up ones.
#pragma once
#include <algorithm>
#include <cmath>
#include <deque>
#include <utility>
#include <vector>

namespace pg {

class FrameBudget {
 public:
  static constexpr double kWorkCapMs = 11.0;   // issue 12: the app's work per frame under 12 ms at p95
  static constexpr double kVsyncShare = 0.7;   // leave the browser 30% of each frame (input, compositing, GC)
  static constexpr double kMinBudgetMs = 2.0;  // training goes on, slowly, on a slow machine
  static constexpr int kWindow = 120;          // two seconds at 60 fps

  // After a frame: the interval since the previous frame started (0 for the
  // first), the app's whole work in it, the part the lesson's steps took, and
  // the units they did.
  void end_frame(double interval_ms, double work_ms, double step_ms, int units) {
    const int i = next_;
    next_ = (next_ + 1) % kWindow;
    if (filled_ < kWindow) ++filled_;
    interval_[i] = interval_ms > 0 && std::isfinite(interval_ms) ? interval_ms : 0;
    work_[i] = std::isfinite(work_ms) ? std::max(0.0, work_ms) : 0;
    draw_[i] = std::max(0.0, work_[i] - (std::isfinite(step_ms) ? std::max(0.0, step_ms) : 0));
    if (units > 0 && std::isfinite(step_ms) && step_ms > 0) {
      // The last unit's cost is what can overrun; the mean over this frame's units
      // is the best estimate the host has.  A slow EMA, but a rise is taken at once.
      const double per_unit = step_ms / units;
      unit_ms_ = per_unit > unit_ms_ ? per_unit : 0.9 * unit_ms_ + 0.1 * per_unit;
    }
  }

  double budget_ms() const {
    const double budget = cap_ms() - draw_ms() - unit_ms_;
    return budget > kMinBudgetMs ? budget : kMinBudgetMs;
  }
  // min(kWorkCapMs, kVsyncShare x the display interval).
  double cap_ms() const {
    const double interval = quantile(interval_, 0.25, true);
    if (interval == 0) return kWorkCapMs;
    return std::min(kWorkCapMs, kVsyncShare * interval);
  }
  // The non-lesson work: the 90th percentile of recent frames.
  double draw_ms() const { return quantile(draw_, 0.9); }
  double unit_ms() const { return unit_ms_; }
  double work_p95_ms() const { return quantile(work_, 0.95); }
  int frames() const { return filled_; }

 private:
  // Nearest-rank quantile of the recorded frames (skipping zeros when asked:
  // the first frame has no interval).
  double quantile(const double* v, double q, bool skip_zeros = false) const {
    double s[kWindow];
    int n = 0;
    for (int k = 0; k < frames(); ++k)
      if (!skip_zeros || v[k] > 0) s[n++] = v[k];
    if (n == 0) return 0;
    const int k = std::clamp(int(std::ceil(q * n)) - 1, 0, n - 1);
    std::nth_element(s, s + k, s + n);
    return s[k];
  }

  double interval_[kWindow] = {}, work_[kWindow] = {}, draw_[kWindow] = {};
  int next_ = 0, filled_ = 0;
  double unit_ms_ = 0;
};

// The app's work in the frames built over the last kWindowMs, for the
// bench's "work p95" (bench/browser.mjs).  A window of frames would not do:
// the page builds frames only when something changes (web/redraw.h), so
// 120 of them can reach back to before the run began.
class RecentWork {
 public:
  static constexpr double kWindowMs = 3000;
  void add(double now_ms, double work_ms) {
    frames_.emplace_back(now_ms, std::isfinite(work_ms) ? std::max(0.0, work_ms) : 0.0);
    while (!frames_.empty() && frames_.front().first < now_ms - kWindowMs) frames_.pop_front();
  }
  // Nearest-rank 95th percentile of the frames built since now - kWindowMs (0: none).
  double p95(double now_ms) const {
    std::vector<double> w;
    for (const auto& [t, ms] : frames_)
      if (t >= now_ms - kWindowMs) w.push_back(ms);
    if (w.empty()) return 0;
    const size_t k = size_t(std::clamp(int(std::ceil(0.95 * double(w.size()))) - 1, 0, int(w.size()) - 1));
    std::nth_element(w.begin(), w.begin() + long(k), w.end());
    return w[k];
  }

 private:
  std::deque<std::pair<double, double>> frames_;
};

}  // namespace pg
