// probe_lesson.h - what the API and CLI harnesses share: "fuzz-probe", a
// lesson linked into those two harnesses only (probe_lesson.cpp), and the
// budget that lets a few inputs go on with the real lessons.
//
// Why: a real lesson's reset and step build data sets and train (1-75 ms
// natively, 10 ms-1 s under ASan), so a harness whose every input reset one
// ran at 11 executions a second.  The host code these harnesses fuzz (the
// Session, the pg_* API, the CLI, knob parsing, the JSON and text views) is
// the same whatever lesson sits behind it, so most inputs drive it against
// the probe, whose reset and step cost microseconds and whose knobs, metrics
// (NaN, infinities, denormals), problem text and walkthrough cover what the
// host handles.  Real lessons are still opened, declared and configured by
// every input that names one (cheap: resets are lazy); going further with a
// real lesson (a reset, steps, metrics) takes a token from DeepBudget.
#pragma once
#include <cstdint>
#include <string>

namespace fuzzprobe {

constexpr const char* kId = "fuzz-probe";
inline bool is_probe(const std::string& id) { return id == kId; }

// One input in `every` (counted over the executions of this process) may go
// on with a real lesson; the others stop just before the first reset of one.
// Deterministic for a given sequence of inputs, and an input run on its own
// (a crash being reproduced) always has its token.
class DeepBudget {
 public:
  explicit DeepBudget(int64_t every) : every_(every) {}
  void next_input() { ++runs_; }
  bool take() {
    if (runs_ - last_ < every_) return false;
    last_ = runs_;
    return true;
  }

 private:
  int64_t every_, runs_ = 0, last_ = INT64_MIN / 2;
};

// -pg_deep_every=N on the harness's command line (default 1000): scripts/sanitize's
// short runs give the real lessons a larger share than the long ones.
int64_t deep_every_flag(int argc, char** argv, int64_t fallback);

}  // namespace fuzzprobe
