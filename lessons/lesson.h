// lesson.h - what a lesson is: the one place a paper's experiment declares its
// identity, its knobs and its metrics (DESIGN.md, "a lesson declares itself
// once").  From the declared knobs come the sliders, the URL parameters, the
// CLI's --set, the JS set/get and all validation; from the declared metrics
// come the panel's read-outs, the CLI's JSON, the JS metrics() and the tests.
//
// This header is UI-free: the CLI and the tests use it without a window.  The
// panel (draw) receives ImGui through the lesson's own .cpp file.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace pg {

enum class LessonKind { kernel, trainer, icl, analysis };
const char* kind_name(LessonKind kind);

// One catalogue entry.  `section` is the LESSONS.md section the gallery groups by.
struct LessonInfo {
  const char* id;        // kebab-case, stable: it is the URL
  const char* title;     // the paper's short title
  const char* authors;   // "Dukhan & Ablavatski"
  int year;
  const char* arxiv;     // "2001.04438" or "" when none
  const char* code_url;  // official code, or "" when none
  const char* section;   // "A. Softmax and attention kernels"
  LessonKind kind;
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

// ------------------------------------------------------------------- a lesson
struct PanelContext;  // web/ui.h: theme, hidden knobs, embed mode

class Lesson {
 public:
  virtual ~Lesson() = default;
  virtual const LessonInfo& info() const = 0;
  // Declare every knob once, bound to members.  Called once by the host.
  virtual void declare(ParamList& params) = 0;
  // Start the experiment afresh from the seed (buffers sized here).
  virtual void reset(uint64_t seed) = 0;
  // Advance: at most max_steps units of work, stopping early when budget_ms of
  // wall time is used.  Returns the units done.  The state after N units must
  // not depend on how they were split into calls (determinism by seed only).
  virtual int step(int max_steps, double budget_ms) = 0;
  // True when step() has nothing left to do (run finished or diverged).
  virtual bool done() const = 0;
  // Named results.  Deterministic ones first; timings marked with add_timing.
  virtual void metrics(MetricList& out) const = 0;
  // A problem the panel and the API must show (divergence, missing data), or "".
  virtual std::string problem() const { return ""; }
  // A knob that does not restart the experiment was changed (e.g. a learning rate).
  virtual void live_param_changed(const ParamSpec& /*spec*/) {}
  // The ImGui panel, in walkthrough order (The problem, The method, Try this,
  // What the paper reports).
  virtual void draw(PanelContext& ctx) = 0;
};

// --------------------------------------------------------------- the registry
struct LessonEntry {
  std::unique_ptr<Lesson> (*create)();
};
// Lessons in catalogue order (lessons/registry.cpp: one line per lesson).
const std::vector<LessonEntry>& lesson_registry();
// Infos of every registered lesson, in order (each lesson created once, cached).
const std::vector<LessonInfo>& lesson_infos();
// Index in the registry, or -1.
int find_lesson(const std::string& id);

}  // namespace pg
