// worker_host.h - the Web Worker's side of training a lesson off the page's
// main thread (the page's side is web/worker_link.h).
//
// The worker loads the same wasm module as the page (web/worker.js) and
// keeps its own Session.  The page says which run (its generation, the
// state string, how many units the page had already done), then how to
// drive it (play, pause, an at=N target, k single steps, live knobs).  The
// worker replays the page's units first, so its run continues exactly where
// the page's stood: a run's state after N units does not depend on how they
// were split (Lesson::step), nor on which thread did them.
//
// UI-free; part of the host (web/).  Natively, tests connect a WorkerHost
// to a WorkerLink in one process (tests/test_worker_mirror.cpp).
#pragma once
#include <climits>
#include <cstdint>
#include <string>
#include <vector>

#include "web/session.h"

namespace pg {

class WorkerHost {
 public:
  explicit WorkerHost(Session& session) : s_(session) {}

  // A new run: the lesson, knobs and seed of `state` (Session::state_string),
  // reset, then `replay` units before anything the page asks for.  Returns
  // the problems applying the state found ("" when none; the page has
  // already shown them).
  std::string run(uint64_t generation, const std::string& state, int64_t replay);
  // How the page wants the run driven (ignored for another generation).
  void control(uint64_t generation, bool playing, int64_t target);
  // n single steps (the Step button, JS step(n)), after any replay.
  void steps(uint64_t generation, int64_t n);
  // Knobs that do not restart the run, and the speed: "key=value" pairs.
  void set(uint64_t generation, const std::vector<std::pair<std::string, std::string>>& pairs);
  // A view's action on the page (Lesson::act), done here after any replay.
  void act(uint64_t generation, const std::string& action);

  // Works for up to budget_ms.  dt_ms: time since the last call (for the
  // speed= slow motion).  At most max_units (the tests take small slices).
  // Returns the units done, or -1 when there is nothing to do until the
  // page says more (paused, finished, no run).
  int advance(double budget_ms, double dt_ms, int max_units = INT_MAX);
  // Whether a snapshot would show the page's run (a run exists and its
  // replay is over: until then the page shows its own, equal state).
  bool has_snapshot() const { return active_ && replay_to_ < 0; }
  // The run now, as snapshot bytes (web/snapshot.h) into `out`; working:
  // false for the last one before the worker waits (web/train_worker.js).
  void snapshot(std::string& out, bool working = true) const;
  uint64_t generation() const { return generation_; }

 private:
  void apply_wanted();
  Session& s_;
  bool active_ = false;
  uint64_t generation_ = 0;
  int64_t replay_to_ = -1;  // units still to replay up to (-1: done)
  // What the page asked for, applied once the replay is over.
  bool want_playing_ = false;
  int64_t want_target_ = -1;
  int64_t want_steps_ = 0;
  std::vector<std::string> want_actions_;
};

}  // namespace pg
