// session.h - one open lesson with its knobs, seed and page options: the single
// implementation behind the page's JS API and postMessage, the URL hash, the
// CLI and the tests.  Part of the host (web/): it includes lessons, lessons
// never include it.  UI-free.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "lessons/lesson.h"

namespace pg {

struct Snapshot;  // web/snapshot.h

// What the page shows of a lesson: everything, or (for course pages that
// bring their own text) only the run controls, the knobs and the views.
enum class ViewMode { full, demo };

class Session {
 public:
  Session();  // opens the first registered lesson with seed 1

  // Opens a registered lesson (defaults, current seed).  Unknown id: returns
  // false with a message and keeps the current lesson.
  bool open(const std::string& id, std::string& message);
  // The lesson, with any pending reset done first (opening a lesson, a URL
  // state and restarting knobs only schedule one; see run_pending_reset).
  Lesson& lesson() { run_pending_reset(); return *lesson_; }
  const Lesson& lesson() const { run_pending_reset(); return *lesson_; }
  const LessonInfo& info() const { return lesson_->info(); }
  ParamList& params() { return params_; }
  const ParamList& params() const { return params_; }
  // What the lesson declared.
  const Walkthrough& text() const { return text_; }
  const std::vector<ViewSpec>& views() const { return views_; }
  const std::vector<MetricDoc>& metric_docs() const { return metric_docs_; }
  const std::vector<Preset>& presets() const { return presets_; }
  // Knobs to their defaults, then the preset's values, then a reset (the seed
  // stays).  False with a message for an index out of range or a bad value.
  bool apply_preset(int index, std::string& message);

  // Knobs and page options (seed, view, theme, embed, hide, origin) by name.  A
  // restarting knob resets the experiment (lazily, once per frame, so a
  // slider drag does not reset sixty times a second).
  bool set(const std::string& key, const std::string& text, std::string& message);
  bool set_number(const std::string& key, double value, std::string& message);
  // After a widget wrote the bound member directly (ImGui slider).
  void knob_changed(const std::string& key);
  std::string get(const std::string& key, bool& ok) const;
  static bool is_page_option(const std::string& key);

  uint64_t seed() const { return seed_; }
  static constexpr uint64_t kMaxSeed = 4294967295ull;
  // Parse an untrusted seed ("7"); false with a message when malformed.
  static bool parse_seed(const std::string& text, uint64_t& seed, std::string& message);
  void reset(uint64_t seed);
  void reset() { reset(seed_); }

  // Runs any pending reset, then up to max_steps units within budget_ms.
  // Nothing (0) while a worker runs the lesson (see below).
  int advance(int max_steps, double budget_ms);
  // One unit now, or (while a worker runs the lesson) as soon as it can.
  void step_once();
  // The lesson's run state as the host shows it: the worker's when it runs
  // the lesson, the lesson's own otherwise.
  bool done() const;
  std::string problem() const;
  // Steps per wall-clock second over the last couple of seconds of advancing
  // (0 until measured; for the "time left" estimate, never for results).
  double steps_per_second() const { return rate_; }
  // Runs pending resets (call before reading metrics or drawing).
  void refresh();
  int64_t steps_done() const { return steps_done_; }
  // Whether the host should call advance() this frame: continuous lessons
  // measure until done; on_play lessons train while playing.
  bool wants_steps() const;

  // Play state for lessons that train (the page's play/pause).
  bool playing = false;
  // at=N (an exact-run link): the host steps until N units are done, then
  // pauses there.  -1: no target.  Not part of state_string (a reload
  // would otherwise retrain); "Copy link" adds it for the current step.
  int64_t target_step = -1;
  static constexpr int64_t kMaxTarget = 1000000000;
  // Units left to reach the target (0 when none or reached).
  int64_t steps_to_target() const;
  // Page options, carried in the URL but not lesson knobs.
  bool embed = false;
  bool light_theme = false;
  ViewMode view_mode = ViewMode::full;
  // Slow motion for lessons that train: at most this many steps per second
  // (0: as many as the frame's time budget allows).  Page option speed=.
  int speed_steps_per_s = 0;
  static const std::vector<int>& speed_choices();  // 0 (max), 60, 15, 4, 1
  // Steps the host may take this frame at the chosen speed, given the time
  // since the last frame (INT_MAX at full speed).
  int steps_for_frame(double dt_ms);
  std::vector<std::string> hidden_keys;  // knobs hidden by hide=a,b
  // origin=a,b: the only parent pages whose postMessage is obeyed (empty: any).
  // Set by the URL or the page's own script; shell.js refuses it by postMessage.
  std::vector<std::string> allowed_origins;
  bool is_hidden(const std::string& key) const;

  // "two-pass-softmax?n=4096&seed=7": the lesson id, every non-default knob
  // and the seed (plus embed/hide/theme/view when set).  What the URL hash holds.
  std::string state_string() const;
  // Applies a state string from an untrusted source.  Unknown lesson: keeps
  // the current one.  Returns one message per problem (empty: all applied).
  std::vector<std::string> apply_state(const std::string& state);

  // ---- Training in a Web Worker (web/worker_link.h).  A worker runs a copy
  // of the lesson; from hand_to_worker() until the next reset this lesson
  // instance no longer steps and shows the worker's snapshots: their outputs
  // (Lesson::replace_outputs), metrics, problem, done and step count.
  // Changes with every reset, restart and lesson switch: a snapshot of an
  // older run is ignored.
  uint64_t generation() const { return generation_; }
  bool in_worker() const { return in_worker_; }
  // The worker is still stepping the run (until its last snapshot after a
  // pause, a target or the end says it stopped).
  bool worker_busy() const { return in_worker_ && (!have_snapshot_ || worker_working_); }
  void hand_to_worker() { in_worker_ = true; }
  // False (and nothing changed) for another generation's snapshot, a lesson
  // whose views do not draw from outputs, or outputs that do not fit.
  bool apply_snapshot(const Snapshot& snapshot);
  // Units asked for (the Step button, JS step(n)) while the worker runs the
  // lesson: the link sends them and clears this.
  int64_t pending_steps = 0;
  // A view's action (ViewContext::act): done on the lesson now, or queued
  // for the worker while it runs the lesson (the link sends and clears them).
  void act(const std::string& action);
  std::vector<std::string> pending_actions;

  // JSON for the API and the CLI.
  std::string params_json() const;
  std::string metrics_json();
  // {"id","seed","steps","params","metrics","timing"[,"problem"]}; with
  // exact = true numbers are printed with %.17g (they read back bit for bit).
  std::string run_json(bool exact = false);
  std::string timing_keys_json();  // ["ns_per_elem_...", ...]
  MetricList current_metrics();

  // The last user-facing messages (bad input, clamping), newest last.
  const std::vector<std::string>& messages() const { return messages_; }
  void add_message(const std::string& m);
  void clear_messages() { messages_.clear(); }
  // The newest message, kept for the panel's status line until dismissed.
  const std::string& status() const { return status_; }
  void dismiss_status() { status_.clear(); }

 private:
  void install(int index);
  bool set_page_option(const std::string& key, const std::string& text, std::string& message);
  std::unique_ptr<Lesson> lesson_;
  ParamList params_;
  Walkthrough text_;
  std::vector<ViewSpec> views_;
  std::vector<MetricDoc> metric_docs_;
  std::vector<Preset> presets_;
  uint64_t seed_ = 1;
  // A reset scheduled but not yet run: the lesson's state is the old one
  // until then, so every read of the lesson runs it first.  Opening a lesson
  // with a URL of five knobs thus resets once, not six times, and a state
  // that is only parsed and written back (the URL round trip) resets never.
  void schedule_reset() { reset_pending_ = true; steps_done_ = 0; new_generation(); }
  void new_generation() {
    ++generation_;
    in_worker_ = false, have_snapshot_ = false, pending_steps = 0;
    pending_actions.clear();
    mirror_metrics_.clear(), mirror_problem_.clear(), mirror_done_ = false;
  }
  void note_pace(int64_t steps_before);
  uint64_t generation_ = 0;
  bool in_worker_ = false, have_snapshot_ = false, mirror_done_ = false, worker_working_ = false;
  MetricList mirror_metrics_;
  std::string mirror_problem_;
  void run_pending_reset() const;
  double speed_credit_ = 0;  // fractional steps owed at a slow speed
  double rate_ = 0, rate_t0_ms_ = -1, rate_last_ms_ = -1;  // steps_per_second's window
  int64_t rate_steps0_ = 0;
  mutable bool reset_pending_ = false;
  mutable int64_t steps_done_ = 0;
  std::vector<std::string> messages_;
  std::string status_;
};

std::string lessons_json();

}  // namespace pg
