// probe_lesson.cpp - "fuzz-probe" (see probe_lesson.h): a lesson whose reset
// and step cost microseconds, declared with every kind of knob (log-scale
// and linear reals, an integer, a choice, a toggle, a knob that does not
// restart), presets, a walkthrough with live numbers, formats, conditions and
// paper rows, two views, outputs, and metrics that take every value the host
// must print: NaN, +-infinity, -0, denormals, 1e308, large integers.
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "lessons/lesson.h"
#include "tests/fuzz/probe_lesson.h"

namespace fuzzprobe {

int64_t deep_every_flag(int argc, char** argv, int64_t fallback) {
  const char* flag = "-pg_deep_every=";
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], flag, std::strlen(flag)) == 0) {
      const long long n = std::atoll(argv[i] + std::strlen(flag));
      if (n >= 1) return n;
    }
  return fallback;
}

namespace {

const pg::LessonInfo kInfo = {
    kId, "Fuzz probe", "the fuzz harnesses", 2025, "", "", "Z. Harness only", pg::LessonKind::trainer,
    pg::Stepping::on_play, "A lesson with every kind of knob and metric, cheap to reset (tests/fuzz only).",
};

class Probe : public pg::Lesson {
 public:
  const pg::LessonInfo& info() const override { return kInfo; }

  void declare(pg::Declaration& d) override {
    pg::ParamList& p = d.params;
    p.real("x", "a log-scale real", &x_, 1e-6, 1e6, 1, "Scales every metric.", true);
    p.real("y", "a linear real", &y_, -5, 5, 0, "Added to `value`.");
    p.integer("k", "an integer", &k_, -3, 1 << 20, 4, "The run length (k <= 0: open-ended) and the array size.");
    p.choice("mode", "what the metrics do", &mode_, {"plain", "nan", "inf", "diverge", "tiny"}, 0,
             "nan, inf, tiny: `edge` takes that value; diverge: problem() reports after k steps.");
    p.toggle("flag", "a toggle", &flag_, false, "Shows the conditional warning.");
    p.real("rate", "a live knob", &rate_, 0, 1, 0.5, "Does not restart the run.").restarts = false;
    d.preset("Every knob off its default", "x=1000&y=-2.5&k=7&mode=inf&flag=1&rate=0.25");
    d.preset("Diverges after three steps", "mode=diverge&k=3");
    d.view("main", "The main view", [](const pg::ViewContext&) {});  // the harnesses never draw
    d.view("second", "A second view", [](const pg::ViewContext&) {});
    d.metric("value", "x * k + y");
    d.metric_if_defined("edge", "NaN, infinity, a denormal or 1e308 * x, as `mode` says");
    d.metric("steps", "units done since the reset");
    d.metric("big", "2^53 + k: an integer a %.9g print rounds");
    d.metric("neg_zero", "-0");
    d.metric("live_rate", "the live knob, as last changed");
    d.metric("ns_per_step", "a timing (fixed here)");
    d.text.section("The problem")
        .paragraph("value = {value}, edge = {edge:%.3g}, steps {steps:%.0f}, a missing one {no_such_metric} "
                   "and a literal {{brace}}.")
        .equation("value = x · k + y");
    d.text.section("Try this").bullet("Set mode = nan: {edge} reads –.").warning("flag is on: {big:%.0f}").when([this] {
      return flag_;
    });
    d.text.section("What the paper reports")
        .paper("value", "42", "value", "%.2f", "Live: the knobs as set.")
        .paper("edge, scaled", "1e308", "edge", "%g%%", "Scaled by 100.", 100)
        .paper("not measured", "n/a", "", "", "Nothing live.");
    curve_ = &outputs_.series("curve", {"step", "value"});
    a32_ = &outputs_.array("values_f32");
    a64_ = &outputs_.array("values_f64");
  }

  void reset(uint64_t seed) override {
    seed_ = seed, steps_ = 0, live_rate_ = rate_;
    curve_->clear();
    refresh_outputs();
  }
  int step(int max_steps, double /*budget_ms*/) override {
    int done = 0;
    while (done < max_steps && !this->done()) ++steps_, ++done, curve_->push({float(steps_), float(value())});
    refresh_outputs();
    return done;
  }
  bool done() const override { return k_ > 0 && steps_ >= k_; }
  int64_t run_length() const override { return k_ > 0 ? k_ : 0; }
  std::string problem() const override {
    if (mode_ != 3 || steps_ < k_) return "";
    // What a message may hold: quotes, a backslash, control characters, UTF-8.
    return "diverged at step " + std::to_string(steps_) + ": loss \"inf\" \\ ≥ 1e308\n\tseed " + std::to_string(seed_);
  }
  void live_param_changed(const pg::ParamSpec& spec) override {
    if (spec.key == "rate") live_rate_ = rate_;
  }

  void metrics(pg::MetricList& out) const override {
    out.add("value", value());
    out.add("edge", edge());
    out.add("steps", double(steps_));
    out.add("big", 9007199254740992.0 + k_);
    out.add("neg_zero", -0.0);
    out.add("live_rate", live_rate_);
    out.add_timing("ns_per_step", 12.5);
  }

 private:
  double value() const { return x_ * k_ + y_; }
  double edge() const {
    switch (mode_) {
      case 1: return std::numeric_limits<double>::quiet_NaN();
      case 2: return (flag_ ? -1 : 1) * std::numeric_limits<double>::infinity();
      case 4: return std::numeric_limits<double>::denorm_min() * (k_ + 4);
      default: return 1e308 * x_;  // infinite for x > 1.8: an overflow, as a diverged loss
    }
  }
  void refresh_outputs() {
    const int n = k_ < 0 ? 0 : k_ > 64 ? 64 : k_;
    float f[64];
    double g[64];
    for (int i = 0; i < n; ++i) f[i] = float(edge() * i), g[i] = value() / (i + 1);
    a32_->set({n}, f);
    a64_->set({1, n}, g);
  }

  double x_ = 1, y_ = 0, rate_ = 0.5, live_rate_ = 0.5;
  int k_ = 4, mode_ = 0;
  bool flag_ = false;
  uint64_t seed_ = 1;
  int64_t steps_ = 0;
  pg::Series* curve_ = nullptr;
  pg::Array *a32_ = nullptr, *a64_ = nullptr;
};

}  // namespace

// After the catalogue (1..31), so the harnesses' Session opens lesson 0 as the page does.
PG_REGISTER_LESSON(Probe, 1000);

}  // namespace fuzzprobe
