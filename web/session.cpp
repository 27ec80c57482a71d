// session.cpp - see session.h.
#include "web/session.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <climits>
#include <cmath>

#include "lessons/strings.h"
#include "web/snapshot.h"

namespace pg {

Session::Session() { install(0); }

void Session::install(int index) {
  lesson_ = lesson_registry()[size_t(index)].create();
  params_ = ParamList();
  text_ = Walkthrough();
  views_.clear();
  metric_docs_.clear();
  presets_.clear();
  Declaration d{params_, text_, views_, metric_docs_, presets_};
  lesson_->declare(d);
  playing = false;
  target_step = -1;
  hidden_keys.clear();
  schedule_reset();
}

bool Session::open(const std::string& id, std::string& message) {
  message.clear();
  const int index = find_lesson(id);
  if (index < 0) {
    message = "unknown lesson '" + printable(id) + "'; staying on " + info().id;
    add_message(message);
    return false;
  }
  install(index);
  return true;
}

// scheme://host[:port], nothing else: no path, no credentials, no wildcard.
static bool valid_origin(const std::string& o) {
  size_t i;
  if (o.rfind("https://", 0) == 0) i = 8;
  else if (o.rfind("http://", 0) == 0) i = 7;
  else return false;
  if (o.size() > 200 || i >= o.size()) return false;
  bool colon = false;
  for (; i < o.size(); ++i) {
    const char c = o[i];
    if (c == ':') {
      if (colon) return false;
      colon = true;
    } else if (colon ? !(c >= '0' && c <= '9') : !(std::isalnum((unsigned char)c) || c == '-' || c == '.')) {
      return false;
    }
  }
  return o.back() != ':';
}

bool Session::is_page_option(const std::string& key) {
  return key == "seed" || key == "view" || key == "theme" || key == "embed" || key == "hide" || key == "origin" ||
         key == "at" || key == "speed";
}

// Page options through the same path as knobs (JS set, postMessage, URL).
bool Session::set_page_option(const std::string& key, const std::string& raw, std::string& message) {
  const std::string text = trim(raw);
  message.clear();
  if (key == "seed") {
    uint64_t seed;
    if (!parse_seed(text, seed, message)) return false;
    reset(seed);
    return true;
  }
  if (key == "view") {
    if (text == "demo" || text == "full") {
      view_mode = text == "demo" ? ViewMode::demo : ViewMode::full;
      return true;
    }
    message = "view: '" + printable(text) + "' is not one of full, demo; keeping " +
              (view_mode == ViewMode::demo ? "demo" : "full");
    return false;
  }
  if (key == "theme") {
    if (text == "light" || text == "dark") {
      light_theme = text == "light";
      return true;
    }
    message = "theme: '" + printable(text) + "' is not one of light, dark";
    return false;
  }
  if (key == "embed") {
    if (text == "1" || text == "true" || text == "0" || text == "false") {
      embed = text == "1" || text == "true";
      return true;
    }
    message = "embed: '" + printable(text) + "' is not 0 or 1";
    return false;
  }
  if (key == "speed") {
    for (int c : speed_choices())
      if (text == (c ? std::to_string(c) : "max")) {
        speed_steps_per_s = c;
        speed_credit_ = 0;
        return true;
      }
    message = "speed: '" + printable(text) + "' is not one of max, 60, 15, 4, 1 (steps per second); keeping " +
              (speed_steps_per_s ? std::to_string(speed_steps_per_s) : std::string("max"));
    return false;
  }
  if (key == "at") {
    double v;
    if (!parse_number(text, v) || v < 0 || v != std::floor(v) || v > double(kMaxTarget)) {
      message = "at: '" + printable(text) + "' is not a whole number of steps from 0 to 1000000000";
      return false;
    }
    target_step = int64_t(v);
    if (target_step > steps_done_) playing = false;  // the host steps to it, then stays paused
    return true;
  }
  if (key == "origin") {
    // Parent pages allowed to drive this lesson by postMessage: a comma-
    // separated list of origins ("https://course.example.org"); empty: any.
    std::vector<std::string> list;
    for (const std::string& o : split(text, ',')) {
      if (o.empty()) continue;
      if (!valid_origin(o)) {
        message = "origin: '" + printable(o) + "' is not an origin like https://example.org or " +
                  "http://127.0.0.1:8080; keeping the current list";
        return false;  // a bad list never widens (or narrows) what was allowed
      }
      list.push_back(o);
    }
    allowed_origins = list;
    return true;
  }
  // hide: a comma-separated list of knob keys (unknown ones are reported and skipped).
  hidden_keys.clear();
  for (const std::string& k : split(text, ',')) {
    if (params_.find(k)) {
      hidden_keys.push_back(k);
    } else if (!k.empty()) {
      message += (message.empty() ? "" : "; ") + std::string("hide: unknown parameter '") + printable(k) + "'";
    }
  }
  return message.empty();
}

bool Session::set(const std::string& key, const std::string& text, std::string& message) {
  if (is_page_option(key)) {
    const bool ok = set_page_option(key, text, message);
    if (!message.empty()) add_message(message);
    return ok;
  }
  const bool ok = params_.set_text(key, text, message);
  if (!message.empty()) add_message(message);
  if (ok) knob_changed(key);
  return ok;
}

bool Session::set_number(const std::string& key, double value, std::string& message) {
  if (is_page_option(key)) return set(key, format_number(value), message);
  const bool ok = params_.set_value(key, value, message);
  if (!message.empty()) add_message(message);
  if (ok) knob_changed(key);
  return ok;
}

void Session::knob_changed(const std::string& key) {
  const ParamSpec* spec = params_.find(key);
  if (!spec) return;
  if (spec->restarts) {
    schedule_reset();
  } else if (!in_worker_) {  // else the worker's copy takes it (web/worker_link.h)
    lesson().live_param_changed(*spec);
  }
}

std::string Session::get(const std::string& key, bool& ok) const {
  const ParamSpec* spec = params_.find(key);
  ok = spec != nullptr;
  if (key == "seed") {
    ok = true;
    return std::to_string(seed_);
  }
  if (is_page_option(key)) {
    ok = true;
    if (key == "view") return view_mode == ViewMode::demo ? "demo" : "full";
    if (key == "theme") return light_theme ? "light" : "dark";
    if (key == "embed") return embed ? "1" : "0";
    if (key == "at") return target_step >= 0 ? std::to_string(target_step) : "";
    if (key == "speed") return speed_steps_per_s ? std::to_string(speed_steps_per_s) : "max";
    std::string joined;
    if (key == "origin") {
      for (const std::string& o : allowed_origins) joined += (joined.empty() ? "" : ",") + o;
      return joined;
    }
    for (const std::string& k : hidden_keys) joined += (joined.empty() ? "" : ",") + k;
    return joined;
  }
  return spec ? params_.text(*spec) : "";
}

bool Session::parse_seed(const std::string& text, uint64_t& seed, std::string& message) {
  double v;
  if (!parse_number(trim(text), v) || v < 0 || v != std::floor(v) || v > double(kMaxSeed)) {
    message = "seed: '" + printable(text) + "' is not a whole number from 0 to 4294967295";
    return false;
  }
  seed = uint64_t(v);
  return true;
}

void Session::reset(uint64_t seed) {
  seed_ = seed;
  reset_pending_ = true;
  new_generation();
  run_pending_reset();
}

void Session::run_pending_reset() const {
  if (!reset_pending_) return;
  reset_pending_ = false;
  steps_done_ = 0;
  lesson_->reset(seed_);
}

void Session::refresh() {
  run_pending_reset();
  lesson_->poll();
}

int Session::advance(int max_steps, double budget_ms) {
  refresh();
  if (max_steps <= 0 || in_worker_ || lesson_->done()) return 0;
  // Reaching an at=N target: never past it (unless the learner pressed Play).
  const int64_t to_target = steps_to_target();
  if (to_target > 0 && !playing && to_target < max_steps) max_steps = int(to_target);
  const int done = lesson_->step(max_steps, budget_ms);
  steps_done_ += done;
  note_pace(steps_done_ - done);
  return done;
}

// The pace, over windows of two seconds; a pause (a gap) starts a new window.
// Then: an at=N target reached pauses here.
void Session::note_pace(int64_t steps_before) {
  const double now = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
  if (rate_t0_ms_ < 0 || now - rate_last_ms_ > 500 || steps_done_ < rate_steps0_) rate_t0_ms_ = now, rate_steps0_ = steps_before;
  rate_last_ms_ = now;
  if (now - rate_t0_ms_ >= 2000) {
    rate_ = double(steps_done_ - rate_steps0_) / ((now - rate_t0_ms_) / 1000.0);
    rate_t0_ms_ = now, rate_steps0_ = steps_done_;
  }
  if (target_step >= 0 && steps_done_ >= target_step) target_step = -1;  // reached: pause here
}

void Session::act(const std::string& action) {
  if (in_worker_) {
    if (pending_actions.size() < 16) pending_actions.push_back(action);
  } else {
    lesson().act(action);
  }
}

void Session::step_once() {
  playing = false;
  if (in_worker_) {
    if (!done()) ++pending_steps;
  } else {
    advance(1, 1e9);
  }
}

bool Session::done() const {
  if (in_worker_ && have_snapshot_) return mirror_done_;
  return lesson().done();
}

std::string Session::problem() const {
  if (in_worker_ && have_snapshot_) return mirror_problem_;
  return lesson().problem();
}

bool Session::apply_snapshot(const Snapshot& snap) {
  run_pending_reset();
  if (snap.generation != generation_ || !in_worker_ || !lesson_->views_draw_from_outputs()) return false;
  if (!lesson_->replace_outputs(snap.outputs)) return false;
  have_snapshot_ = true;
  mirror_metrics_ = snap.metrics;
  mirror_problem_ = snap.problem;
  mirror_done_ = snap.done;
  worker_working_ = snap.working;
  const int64_t before = steps_done_;
  steps_done_ = snap.steps;
  if (steps_done_ != before) note_pace(before);
  return true;
}

bool Session::apply_preset(int index, std::string& message) {
  message.clear();
  if (index < 0 || index >= int(presets_.size())) {
    message = "preset " + std::to_string(index) + " does not exist";
    return false;
  }
  params_.reset_to_defaults();
  for (const std::string& part : split(presets_[size_t(index)].knobs, '&')) {
    const size_t eq = part.find('=');
    std::string m;
    if (eq == std::string::npos || !params_.set_text(part.substr(0, eq), part.substr(eq + 1), m) || !m.empty())
      message += (message.empty() ? "" : "; ") + (m.empty() ? "bad preset entry '" + printable(part) + "'" : m);
  }
  reset(seed_);
  return message.empty();
}

const std::vector<int>& Session::speed_choices() {
  static const std::vector<int> choices = {0, 60, 15, 4, 1};
  return choices;
}

int Session::steps_for_frame(double dt_ms) {
  // Reaching an at=N link and continuous measurements always go at full speed.
  if (speed_steps_per_s <= 0 || steps_to_target() > 0 || info().stepping == Stepping::continuous) return INT_MAX;
  if (!(dt_ms > 0)) dt_ms = 0;
  speed_credit_ = std::min(speed_credit_ + speed_steps_per_s * std::min(dt_ms, 250.0) / 1000.0, 2.0 + speed_steps_per_s / 30.0);
  const int n = int(std::floor(speed_credit_ + 1e-9));  // sixty frames of 1/60 s make one second
  speed_credit_ -= n;
  return n;
}

bool Session::wants_steps() const {
  if (done()) return false;
  return info().stepping == Stepping::continuous || playing || steps_to_target() > 0;
}

int64_t Session::steps_to_target() const {
  return target_step > steps_done_ ? target_step - steps_done_ : 0;
}

bool Session::is_hidden(const std::string& key) const {
  for (const std::string& k : hidden_keys)
    if (k == key) return true;
  return false;
}

std::string Session::state_string() const {
  std::string s = info().id;
  char sep = '?';
  for (const ParamSpec& spec : params_.specs()) {
    if (params_.is_default(spec)) continue;
    s += sep + spec.key + "=" + percent_encode(params_.text(spec));
    sep = '&';
  }
  s += sep + std::string("seed=") + std::to_string(seed_);
  if (embed) s += "&embed=1";
  if (light_theme) s += "&theme=light";
  if (view_mode == ViewMode::demo) s += "&view=demo";
  if (speed_steps_per_s) s += "&speed=" + std::to_string(speed_steps_per_s);
  if (!allowed_origins.empty()) {
    std::string joined;
    for (const std::string& o : allowed_origins) joined += (joined.empty() ? "" : ",") + o;
    s += "&origin=" + percent_encode(joined);
  }
  if (!hidden_keys.empty()) {
    std::string joined;
    for (const std::string& k : hidden_keys) joined += (joined.empty() ? "" : ",") + k;
    s += "&hide=" + joined;
  }
  return s;
}

std::vector<std::string> Session::apply_state(const std::string& raw) {
  std::vector<std::string> problems;
  std::string state = raw;
  if (state.size() > 4096) {
    problems.push_back("the address is too long (" + std::to_string(state.size()) + " characters); ignoring it");
    for (const auto& p : problems) add_message(p);
    return problems;
  }
  if (!state.empty() && state[0] == '#') state.erase(0, 1);
  if (!state.empty() && state[0] == '/') state.erase(0, 1);
  std::string id = state, query;
  const size_t q = state.find('?');
  if (q != std::string::npos) {
    id = state.substr(0, q);
    query = state.substr(q + 1);
  }
  id = percent_decode(id);
  // The lesson may also be given as lesson=<id> in the query.
  std::vector<std::pair<std::string, std::string>> pairs;
  if (!query.empty()) {
    for (const std::string& part : split(query, '&')) {
      if (part.empty()) continue;
      const size_t eq = part.find('=');
      const std::string key = percent_decode(part.substr(0, eq));
      const std::string value = eq == std::string::npos ? "" : percent_decode(part.substr(eq + 1));
      if (key == "lesson") {
        id = value;
        continue;
      }
      pairs.emplace_back(key, value);
    }
  }
  std::string message;
  size_t reported = 0;  // problems open() has already shown (one toast each, not two)
  if (!id.empty() && id != info().id) {
    if (!open(id, message)) problems.push_back(message), reported = 1;
  } else {
    params_.reset_to_defaults();
    hidden_keys.clear();
  }
  embed = false;
  light_theme = false;
  view_mode = ViewMode::full;
  speed_steps_per_s = 0;
  allowed_origins.clear();
  target_step = -1;
  uint64_t seed = seed_;
  std::string at;
  for (const auto& [key, value] : pairs) {
    if (key == "seed") {
      if (!parse_seed(value, seed, message)) problems.push_back(message);
    } else if (key == "at") {
      at = value;  // after the reset below
    } else if (is_page_option(key)) {
      if (!set_page_option(key, value, message) || !message.empty()) problems.push_back(message);
    } else if (!params_.set_text(key, value, message)) {
      problems.push_back(message);
    } else if (!message.empty()) {
      problems.push_back(message);
    }
  }
  seed_ = seed;
  schedule_reset();  // once, after every knob (run when the lesson is next read)
  if (!at.empty() && !set_page_option("at", at, message)) problems.push_back(message);
  for (size_t i = reported; i < problems.size(); ++i) add_message(problems[i]);
  return problems;
}

std::string Session::params_json() const {
  std::string s = "{";
  bool first = true;
  for (const ParamSpec& spec : params_.specs()) {
    s += (first ? "" : ",") + json_string(spec.key) + ":";
    first = false;
    if (spec.type == ParamType::choice) {
      s += json_string(params_.text(spec));
    } else {
      s += json_number(params_.value(spec));
    }
  }
  return s + "}";
}

MetricList Session::current_metrics() {
  refresh();
  if (in_worker_ && have_snapshot_) return mirror_metrics_;
  MetricList list;
  lesson_->metrics(list);
  return list;
}

std::string Session::metrics_json() {
  const MetricList list = current_metrics();
  std::string s = "{";
  bool first = true;
  for (const Metric& m : list.items()) {
    s += (first ? "" : ",") + json_string(m.key) + ":" + json_number(m.value);
    first = false;
  }
  return s + "}";
}

std::string Session::run_json(bool exact) {
  std::string metrics = "{";
  const MetricList all = current_metrics();  // kept alive for the loop (a temporary's items() would dangle)
  for (const Metric& m : all.items())
    metrics += (metrics.size() > 1 ? "," : "") + json_string(m.key) + ":" +
               (exact ? json_number_exact(m.value) : json_number(m.value));
  metrics += "}";
  const std::string timing = timing_keys_json();
  std::string s = "{\"id\":" + json_string(info().id) + ",\"seed\":" + std::to_string(seed_) +
                  ",\"steps\":" + std::to_string(steps_done_) + ",\"params\":" + params_json() +
                  ",\"metrics\":" + metrics + ",\"timing\":" + timing;
  const std::string problem = this->problem();
  if (!problem.empty()) s += ",\"problem\":" + json_string(problem);
  return s + "}";
}

std::string Session::timing_keys_json() {
  refresh();
  // Which metrics are wall-clock timings (they differ run to run; everything
  // else is a pure function of the lesson, the knobs and the seed).
  MetricList list;
  lesson_->metrics(list);
  std::string timing = "[";
  for (const Metric& m : list.items())
    if (m.timing) timing += (timing.size() > 1 ? "," : "") + json_string(m.key);
  return timing + "]";
}

void Session::add_message(const std::string& m) {
  status_ = m;
  messages_.push_back(m);
  if (messages_.size() > 8) messages_.erase(messages_.begin());
}

std::string lessons_json() {
  // Built once, as lesson_infos(): the registry is fixed after static initialization.
  static const std::string json = [] {
    std::string s = "[";
    bool first = true;
    for (const LessonInfo& li : lesson_infos()) {
      s += first ? "" : ",";
      first = false;
      s += "{\"id\":" + json_string(li.id) + ",\"title\":" + json_string(li.title) +
           ",\"authors\":" + json_string(li.authors) + ",\"section\":" + json_string(li.section) +
           ",\"kind\":" + json_string(kind_name(li.kind)) + ",\"stepping\":" + json_string(stepping_name(li.stepping)) + ",\"paper\":" + json_string(li.title) +
           ",\"year\":" + std::to_string(li.year) + ",\"arxiv\":" + json_string(li.arxiv) +
           ",\"code\":" + json_string(li.code_url) + ",\"summary\":" + json_string(li.summary) + "}";
    }
    return s + "]";
  }();
  return json;
}

}  // namespace pg
