// worker_link.h - the page's side of training in a Web Worker.
//
// Why: the main thread draws the page, and a frame leaves a trainer only
// part of it (web/frame_budget.h); drawing with software GL can take most
// of it.  A worker runs a second instance of the engine on its own thread at
// full speed, and the page keeps drawing.  No SharedArrayBuffer (embedding
// must not need special headers): everything crosses as messages.
//
// The protocol (page -> worker; each names the page's run by its generation):
//   run      {gen, state, replay}   a new run: state string, units the page already did
//   control  {gen, playing, target} play/pause and the at=N target
//   steps    {gen, n}               n single steps
//   set      {gen, pairs}           knobs that do not restart, and speed
//   act      {gen, action}          a view's button (Lesson::act)
// worker -> page: ready, then snapshots (web/snapshot.h) about 15 times a
// second while it works and one when it stops; the page's Session takes them
// (Session::apply_snapshot).
//
// Only lessons whose views draw from their outputs alone go to the worker
// (Lesson::views_draw_from_outputs), and only lessons that train on Play
// (continuous ones measure timings where the page runs).  Until the first
// Play the page's own instance holds the run, so a knob drag shows at once.
// UI-free and platform-free: `post` is the transport (shell.js's worker on
// the web; a WorkerHost in the same process in the tests).
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "web/session.h"

namespace pg {

struct WorkerMessage {
  enum Type { run, control, steps, set, act } type = run;
  uint64_t generation = 0;
  std::string state;    // run
  int64_t replay = 0;   // run
  bool playing = false; // control
  int64_t target = -1;  // control
  int64_t n = 0;        // steps
  std::vector<std::pair<std::string, std::string>> pairs;  // set
  std::string action;   // act
};

class WorkerLink {
 public:
  using Post = std::function<void(const WorkerMessage&)>;
  explicit WorkerLink(Post post) : post_(std::move(post)) {}

  // The worker has loaded and can take runs (false again if it failed).
  void set_ready(bool ready) { ready_ = ready; }
  bool ready() const { return ready_; }
  // Whether this session's lesson can train in the worker.
  static bool suits(const Session& s);
  // Once a frame, instead of Session::advance.  Returns true when the
  // worker runs the lesson (or will: the page must not step it), false when
  // the page should step it itself.
  bool drive(Session& s);

 private:
  Post post_;
  bool ready_ = false;
  uint64_t generation_ = ~uint64_t(0);  // the run the worker has
  bool sent_playing_ = false;
  int64_t sent_target_ = -1;
  std::string sent_live_;
};

// "lr=0.01&speed=max": the knobs that do not restart, and the speed.
std::string live_settings(const Session& s, std::vector<std::pair<std::string, std::string>>* pairs = nullptr);

}  // namespace pg
