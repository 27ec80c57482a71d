// params.cpp - declaring, validating and printing a lesson's knobs.
// Every value that reaches a lesson (slider, URL, CLI, JS, postMessage) passes
// through ParamList::set_text or set_value, so the checks live here once.
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "lessons/lesson.h"
#include "lessons/strings.h"

namespace pg {

const char* kind_name(LessonKind kind) {
  switch (kind) {
    case LessonKind::kernel: return "kernel";
    case LessonKind::trainer: return "trainer";
    case LessonKind::icl: return "icl";
    case LessonKind::analysis: return "analysis";
  }
  return "unknown";
}

const char* stepping_name(Stepping stepping) {
  return stepping == Stepping::on_play ? "on_play" : "continuous";
}

ParamSpec& ParamList::add(ParamSpec spec) {
  specs_.push_back(std::move(spec));
  ParamSpec& s = specs_.back();
  store(s, s.def);
  return s;
}

ParamSpec& ParamList::real(const char* key, const char* label, double* v, double min,
                           double max, double def, const char* help, bool log_scale) {
  ParamSpec s;
  s.key = key, s.label = label, s.help = help, s.type = ParamType::real;
  s.min = min, s.max = max, s.def = def, s.log_scale = log_scale, s.real_ptr = v;
  return add(std::move(s));
}

ParamSpec& ParamList::integer(const char* key, const char* label, int* v, int min, int max,
                              int def, const char* help, bool log_scale) {
  ParamSpec s;
  s.key = key, s.label = label, s.help = help, s.type = ParamType::integer;
  s.min = min, s.max = max, s.def = def, s.log_scale = log_scale, s.int_ptr = v;
  return add(std::move(s));
}

ParamSpec& ParamList::choice(const char* key, const char* label, int* v,
                             std::vector<std::string> choices, int def, const char* help) {
  ParamSpec s;
  s.key = key, s.label = label, s.help = help, s.type = ParamType::choice;
  s.min = 0, s.max = double(choices.size()) - 1, s.def = def, s.int_ptr = v;
  s.choices = std::move(choices);
  return add(std::move(s));
}

ParamSpec& ParamList::toggle(const char* key, const char* label, bool* v, bool def,
                             const char* help) {
  ParamSpec s;
  s.key = key, s.label = label, s.help = help, s.type = ParamType::toggle;
  s.min = 0, s.max = 1, s.def = def ? 1 : 0, s.bool_ptr = v;
  return add(std::move(s));
}

const ParamSpec* ParamList::find(const std::string& key) const {
  for (const ParamSpec& s : specs_)
    if (s.key == key) return &s;
  return nullptr;
}

std::vector<std::string> ParamList::keys() const {
  std::vector<std::string> out;
  for (const ParamSpec& s : specs_) out.push_back(s.key);
  return out;
}

double ParamList::value(const ParamSpec& s) const {
  switch (s.type) {
    case ParamType::real: return *s.real_ptr;
    case ParamType::integer:
    case ParamType::choice: return *s.int_ptr;
    case ParamType::toggle: return *s.bool_ptr ? 1 : 0;
  }
  return 0;
}

std::string ParamList::text(const ParamSpec& s) const {
  switch (s.type) {
    case ParamType::real: return format_number(*s.real_ptr);
    case ParamType::integer: return std::to_string(*s.int_ptr);
    case ParamType::choice: return s.choices[size_t(*s.int_ptr)];
    case ParamType::toggle: return *s.bool_ptr ? "1" : "0";
  }
  return "";
}

std::string ParamList::range_text(const ParamSpec& s) const {
  switch (s.type) {
    case ParamType::real:
    case ParamType::integer:
      return format_number(s.min) + " .. " + format_number(s.max) + (s.log_scale ? " (log scale)" : "");
    case ParamType::choice: {
      std::string out = "one of ";
      for (size_t i = 0; i < s.choices.size(); ++i) out += (i ? ", " : "") + s.choices[i];
      return out;
    }
    case ParamType::toggle: return "0 or 1";
  }
  return "";
}

bool ParamList::is_default(const ParamSpec& s) const { return value(s) == s.def; }

void ParamList::reset_to_defaults() {
  for (const ParamSpec& s : specs_) store(s, s.def);
}

void ParamList::store(const ParamSpec& s, double v) {
  switch (s.type) {
    case ParamType::real: *s.real_ptr = v; break;
    case ParamType::integer:
    case ParamType::choice: *s.int_ptr = int(std::lround(v)); break;
    case ParamType::toggle: *s.bool_ptr = v != 0; break;
  }
}

bool ParamList::set_value(const std::string& key, double v, std::string& message) {
  message.clear();
  const ParamSpec* s = find(key);
  if (!s) {
    message = "unknown parameter '" + printable(key) + "'";
    return false;
  }
  if (!std::isfinite(v)) {
    message = s->key + ": not a finite number; keeping " + text(*s);
    return false;
  }
  if (s->type == ParamType::integer || s->type == ParamType::choice) v = std::round(v);
  if (s->type == ParamType::toggle) v = v != 0 ? 1 : 0;
  if (v < s->min || v > s->max) {
    const double clamped = v < s->min ? s->min : s->max;
    message = s->key + ": " + format_number(v) + " is " + (v < s->min ? "below the minimum " : "above the maximum ") +
              format_number(clamped) + "; using " + format_number(clamped);
    v = clamped;
  }
  store(*s, v);
  return true;
}

bool ParamList::set_text(const std::string& key, const std::string& raw, std::string& message) {
  message.clear();
  const ParamSpec* s = find(key);
  if (!s) {
    message = "unknown parameter '" + printable(key) + "'";
    return false;
  }
  if (raw.size() > 64) {
    message = s->key + ": value is too long (" + std::to_string(raw.size()) + " characters); keeping " + text(*s);
    return false;
  }
  const std::string t = trim(raw);
  if (s->type == ParamType::choice) {
    for (size_t i = 0; i < s->choices.size(); ++i)
      if (s->choices[i] == t) return set_value(key, double(i), message);
    std::string names;
    for (const std::string& c : s->choices) names += (names.empty() ? "" : ", ") + c;
    message = s->key + ": '" + printable(t) + "' is not one of " + names + "; keeping " + text(*s);
    return false;
  }
  if (s->type == ParamType::toggle) {
    if (t == "1" || t == "true" || t == "on" || t == "yes") return set_value(key, 1, message);
    if (t == "0" || t == "false" || t == "off" || t == "no") return set_value(key, 0, message);
    message = s->key + ": '" + printable(t) + "' is not on/off (use 1 or 0); keeping " + text(*s);
    return false;
  }
  double v;
  if (!parse_number(t, v)) {
    message = s->key + ": '" + printable(t) + "' is not a number; keeping " + text(*s);
    return false;
  }
  return set_value(key, v, message);
}

const Metric* MetricList::find(const std::string& key) const {
  for (const Metric& m : items_)
    if (m.key == key) return &m;
  return nullptr;
}

}  // namespace pg
