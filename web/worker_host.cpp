// worker_host.cpp - see worker_host.h.
#include "web/worker_host.h"

#include <algorithm>
#include <climits>

#include "web/snapshot.h"

namespace pg {

std::string WorkerHost::run(uint64_t generation, const std::string& state, int64_t replay) {
  std::string problems;
  for (const std::string& p : s_.apply_state(state)) problems += (problems.empty() ? "" : "; ") + p;
  s_.reset();
  s_.clear_messages();
  active_ = true;
  generation_ = generation;
  want_playing_ = false, want_target_ = -1, want_steps_ = 0;
  want_actions_.clear();
  replay_to_ = replay > 0 ? std::min(replay, Session::kMaxTarget) : -1;
  s_.playing = false;
  s_.target_step = replay_to_;
  return problems;
}

void WorkerHost::control(uint64_t generation, bool playing, int64_t target) {
  if (!active_ || generation != generation_) return;
  want_playing_ = playing;
  want_target_ = target >= 0 ? std::min(target, Session::kMaxTarget) : -1;
  if (replay_to_ < 0) apply_wanted();
}

void WorkerHost::steps(uint64_t generation, int64_t n) {
  if (!active_ || generation != generation_ || n <= 0) return;
  want_steps_ = std::min(want_steps_ + n, Session::kMaxTarget);
  if (replay_to_ < 0) apply_wanted();
}

void WorkerHost::set(uint64_t generation, const std::vector<std::pair<std::string, std::string>>& pairs) {
  if (!active_ || generation != generation_) return;
  for (const auto& [key, value] : pairs) {
    const ParamSpec* spec = s_.params().find(key);
    if (key != "speed" && (!spec || spec->restarts)) continue;  // a restart is a new run, never a set
    std::string message;
    s_.set(key, value, message);
  }
  s_.clear_messages();
}

void WorkerHost::act(uint64_t generation, const std::string& action) {
  if (!active_ || generation != generation_) return;
  if (want_actions_.size() < 16) want_actions_.push_back(action);
  if (replay_to_ < 0) apply_wanted();
}

// The page's wishes, once the replay has brought the run to where the page was.
void WorkerHost::apply_wanted() {
  for (const std::string& action : want_actions_) s_.act(action);
  want_actions_.clear();
  s_.playing = want_playing_;
  s_.target_step = want_target_;
  if (want_steps_ > 0) {
    s_.playing = false;
    s_.target_step = std::max(s_.target_step, s_.steps_done() + want_steps_);
    want_steps_ = 0;
  }
}

int WorkerHost::advance(double budget_ms, double dt_ms, int max_units) {
  if (!active_) return -1;
  if (replay_to_ >= 0) {
    const int units = s_.advance(max_units, budget_ms);  // Session caps it at the replay target
    if (s_.steps_done() >= replay_to_ || s_.done()) {
      replay_to_ = -1;
      apply_wanted();
    }
    return units;
  }
  if (!s_.wants_steps()) return -1;
  return s_.advance(std::min(max_units, s_.steps_for_frame(dt_ms)), budget_ms);
}

void WorkerHost::snapshot(std::string& out, bool working) const {
  encode_snapshot(generation_, s_.steps_done(), working, s_.lesson(), out);
}

}  // namespace pg
