// lesson.h - what a lesson is: the one place a paper's experiment declares its
// identity, its knobs, its walkthrough text, its outputs, its metrics and its
// views (DESIGN.md, "a lesson declares itself once").
//
//   knobs    -> sliders, URL parameters, the CLI's --set, JS set/get, validation
//   text     -> the ImGui panel, the page's "Read as text" view, `playground-cli doc`
//   outputs  -> what the views draw, and `playground-cli run --export`
//   metrics  -> the panel's read-outs, the CLI's JSON, JS metrics(), the tests
//   views    -> the live plots, laid out by the host beside the knobs
//
// Layers run one way: engine <- ui <- lessons <- web (the host).  This header
// is UI-free; views receive a ViewContext (their slot, the theme) and draw
// with ImGui and ui/ in the lesson's own .cpp file.  A lesson never sees the
// host's session state (web/session.h).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lessons/outputs.h"
#include "lessons/walkthrough.h"

namespace pg {

enum class LessonKind { kernel, trainer, icl, analysis };
const char* kind_name(LessonKind kind);

// What the host does with step(): `on_play` lessons train when the learner
// presses Play (the host shows Play/Pause/Step/Reset); `continuous` lessons
// measure on their own until done() (timings, Monte Carlo curves).
enum class Stepping { on_play, continuous };
const char* stepping_name(Stepping stepping);

// One catalogue entry.  `section` is the LESSONS.md section the gallery groups by.
struct LessonInfo {
  const char* id;        // kebab-case, stable: it is the URL
  const char* title;     // the paper's short title
  const char* authors;   // "Dukhan & Ablavatski"
  int year;
  const char* arxiv;     // "2001.04438" or "" when none
  const char* code_url;  // official code, or "" when none
  const char* section;   // "A. Softmax and attention kernels"
  LessonKind kind;       // for the gallery only; capabilities come from `stepping`
  Stepping stepping;
  const char* summary;   // one line for the gallery
};

// ---------------------------------------------------------------- parameters
enum class ParamType { real, integer, choice, toggle };

struct ParamSpec {
  std::string key;    // URL / CLI / JS name: [a-z0-9_]+
  std::string label;  // slider label
  std::string help;   // one line, shown by the help marker
  ParamType type = ParamType::real;
  double min = 0, max = 1, def = 0;
  bool log_scale = false;
  bool restarts = true;               // changing it resets the experiment
  std::vector<std::string> choices;   // for ParamType::choice
  // Where the value lives: the lesson's own member (bound at declare time).
  double* real_ptr = nullptr;
  int* int_ptr = nullptr;
  bool* bool_ptr = nullptr;
};

// The knobs of one lesson, bound to its member variables.  Every write goes
// through set_*(), which validates and clamps; lessons read their members.
class ParamList {
 public:
  // Declarations (call from Lesson::declare).  Each writes the default into *v.
  ParamSpec& real(const char* key, const char* label, double* v, double min, double max,
                  double def, const char* help, bool log_scale = false);
  ParamSpec& integer(const char* key, const char* label, int* v, int min, int max, int def,
                     const char* help, bool log_scale = false);
  ParamSpec& choice(const char* key, const char* label, int* v,
                    std::vector<std::string> choices, int def, const char* help);
  ParamSpec& toggle(const char* key, const char* label, bool* v, bool def, const char* help);

  const std::vector<ParamSpec>& specs() const { return specs_; }
  const ParamSpec* find(const std::string& key) const;
  std::vector<std::string> keys() const;

  // The current value as a double (choice: index, toggle: 0/1).
  double value(const ParamSpec& spec) const;
  // Canonical text of the current value ("65536", "0.1", "mnist", "1").
  std::string text(const ParamSpec& spec) const;
  // The range as text, for docs: "16 .. 4194304 (log)", "one of l2, l1", "on/off".
  std::string range_text(const ParamSpec& spec) const;
  bool is_default(const ParamSpec& spec) const;
  void reset_to_defaults();

  // Parse untrusted text, validate, clamp and store.  Returns false (value
  // unchanged) on a rejected value; `message` says what happened either way
  // ("" when the value was taken as is, "n: 1e9 is above the maximum 4194304;
  // using 4194304" when clamped, "n: 'abc' is not a number" when rejected).
  bool set_text(const std::string& key, const std::string& text, std::string& message);
  // Store a number (from a slider or the JS API), clamped to the range.
  bool set_value(const std::string& key, double v, std::string& message);

 private:
  ParamSpec& add(ParamSpec spec);
  void store(const ParamSpec& spec, double v);
  std::vector<ParamSpec> specs_;
};

// --------------------------------------------------------------------- metrics
struct Metric {
  std::string key;    // snake_case, stable: CLI JSON, JS, tests
  double value;
  bool timing;        // a wall-clock measurement: differs between runs and machines
};

class MetricList {
 public:
  void add(const char* key, double value) { items_.push_back({key, value, false}); }
  void add_timing(const char* key, double value) { items_.push_back({key, value, true}); }
  const std::vector<Metric>& items() const { return items_; }
  const Metric* find(const std::string& key) const;
  void clear() { items_.clear(); }

 private:
  std::vector<Metric> items_;
};

// What a metric means, for `playground-cli doc` and the reading view.  A key
// ending in '*' covers a family ("ns_per_elem_*").
struct MetricDoc {
  std::string key, meaning;
  // Some quantities do not exist in every run (a crossing the model never
  // reaches): such a metric is NaN then, shown as '–', null in JSON.  Every
  // other metric is finite once a run has finished (tested).
  bool may_be_undefined = false;
};

// --------------------------------------------------------------------- views
// Where and how a view draws this frame.  `size` is the slot the host gives
// it, in pixels (y = 0: the view picks its own height).  `main` is set for the
// lesson's first view, which the host keeps beside the knobs.
struct ViewContext {
  float width = 0, height = 0;
  bool main = false;
  bool light_theme = false;
  float font_size = 15;
  // Knobs the page hides (hide=a,b): a view that mentions a knob may drop it.
  const std::vector<std::string>* hidden_keys = nullptr;
  // A view's button that changes the run ("Recompute now") asks for it here,
  // never by calling the lesson: the host runs Lesson::act where the run is
  // (this instance, or the page's training worker).
  std::function<void(const char* action)> act;
};

struct ViewSpec {
  std::string id;     // stable: the layout() rectangles and the tests name views by it
  std::string title;  // a caption above the view
  std::function<void(const ViewContext&)> draw;
};

// A named setting worth trying ("the paper's headline setting"): knob values
// as a query string, applied over the defaults.  The host shows them above
// the knobs; the tests check every key and value is valid.
struct Preset {
  std::string label;  // "Fashion-MNIST, 16-D embeddings (the paper's headline)"
  std::string knobs;  // "dataset=fashion-mnist&dim=16"
};

// Everything a lesson declares, once, in Lesson::declare.  (Outputs are
// declared on the lesson's own `outputs_`, see outputs.h.)
struct Declaration {
  ParamList& params;
  Walkthrough& text;
  std::vector<ViewSpec>& views;
  std::vector<MetricDoc>& metric_docs;
  std::vector<Preset>& presets;

  void preset(const char* label, const char* knobs) { presets.push_back({label, knobs}); }
  // A view; the first one declared is the main view ("Try this" talks about it).
  void view(const char* id, const char* title, std::function<void(const ViewContext&)> draw) {
    views.push_back({id, title, std::move(draw)});
  }
  void metric(const char* key, const char* meaning) { metric_docs.push_back({key, meaning}); }
  // A metric that is NaN when its quantity does not exist here; the meaning says when.
  void metric_if_defined(const char* key, const char* meaning) { metric_docs.push_back({key, meaning, true}); }
};

// ------------------------------------------------------------------- a lesson
class Lesson {
 public:
  virtual ~Lesson() = default;
  virtual const LessonInfo& info() const = 0;
  // Declare every knob, the walkthrough, the outputs, the metrics' meanings
  // and the views, once.  Called once by the host, before the first reset.
  virtual void declare(Declaration& d) = 0;
  // Start the experiment afresh from the seed (buffers sized here).  Outputs
  // must describe the new state when it returns.
  virtual void reset(uint64_t seed) = 0;
  // Advance: at most max_steps units of work, stopping early when budget_ms of
  // wall time is used.  Returns the units done.  The state after N units,
  // outputs included, must not depend on how they were split into calls.
  // Views' data are refreshed here (on a cadence), never in a view's draw.
  virtual int step(int max_steps, double budget_ms) = 0;
  // True when step() has nothing left to do (run finished or diverged).
  virtual bool done() const = 0;
  // How many step() units a whole run takes, when the lesson knows (a
  // trainer's run length): the host shows "step k of N" and the time left.
  // 0: unknown or open-ended.
  virtual int64_t run_length() const { return 0; }
  // Named results.  Deterministic ones first; timings marked with add_timing.
  virtual void metrics(MetricList& out) const = 0;
  // A problem the panel and the API must show (divergence, missing data), or "".
  virtual std::string problem() const { return ""; }
  // A knob that does not restart the experiment was changed (e.g. a learning rate).
  virtual void live_param_changed(const ParamSpec& /*spec*/) {}
  // A view asked for `action` (ViewContext::act): do it now.
  virtual void act(const std::string& /*action*/) {}
  // Called by the host every frame, playing or not: take what arrived
  // asynchronously (a data pack fetched by the page).  Must be cheap.
  virtual void poll() {}

  // The declared outputs (series and arrays), as of the last reset or step.
  const Outputs& outputs() const { return outputs_; }

  // Whether the views draw from the outputs alone (with the knobs and what
  // reset() built): then another instance's outputs, copied here, make the
  // views show that instance's run.  The page trains such lessons in a Web
  // Worker and draws them here (web/worker_link.h).  Proven for every lesson
  // that says so: tests/test_worker_mirror.cpp draws a trained instance and
  // a fresh one given its outputs, and compares every vertex.
  virtual bool views_draw_from_outputs() const { return false; }
  // Takes another instance's outputs (same lesson, same knobs): every
  // declared series and array by key.  False, with nothing changed, when
  // they do not match this lesson's declaration.
  bool replace_outputs(const Outputs& from);

 protected:
  // The outputs were replaced (replace_outputs): rebuild anything the views
  // read that is derived from them.
  virtual void outputs_replaced() {}

  Outputs outputs_;
};

// --------------------------------------------------------------- the registry
// Each lesson file registers itself with one line at its end:
//   PG_REGISTER_LESSON(TwoPassSoftmax, 1);
// The number is the lesson's number in the catalogue (LESSONS.md): it orders
// the gallery and must be unique.  Nothing else needs editing to add a lesson.
struct LessonEntry {
  std::unique_ptr<Lesson> (*create)();
  int order;
};
bool register_lesson(std::unique_ptr<Lesson> (*create)(), int order);
// Lessons in catalogue order.
const std::vector<LessonEntry>& lesson_registry();
// Infos of every registered lesson, in order (each lesson created once, cached).
const std::vector<LessonInfo>& lesson_infos();
// Index in the registry, or -1.
int find_lesson(const std::string& id);

#define PG_REGISTER_LESSON(Class, order)                                          \
  static std::unique_ptr<::pg::Lesson> pg_create_##Class() { return std::make_unique<Class>(); } \
  [[maybe_unused]] static const bool pg_registered_##Class = ::pg::register_lesson(pg_create_##Class, order)

}  // namespace pg
