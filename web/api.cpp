// api.cpp - see api.h.
#include "web/api.h"

#include <algorithm>
#include <chrono>
#include <climits>
#include <string>

#include "lessons/strings.h"
#include "web/export.h"
#include "web/layout.h"
#include "web/redraw.h"
#include "web/text_views.h"

namespace pg {
Session& app_session() {
  static Session session;
  return session;
}
}  // namespace pg

using pg::json_string;

namespace {

std::string g_reply;

const char* reply(const std::string& s) {
  g_reply = s;
  return g_reply.c_str();
}

const char* error(const std::string& message) {
  pg::app_session().add_message(message);
  pg::request_redraw();
  return reply("{\"ok\":false,\"error\":" + json_string(message) + "}");
}

std::string safe(const char* s) { return s ? std::string(s) : std::string(); }

// The id/key arrives from JS as any string; refuse absurd sizes early.
bool too_long(const std::string& s) { return s.size() > 256; }

}  // namespace

extern "C" {

const char* pg_lessons() { return reply(pg::lessons_json()); }

const char* pg_open(const char* id_c) {
  pg::request_redraw();  // the page shows the change (web/redraw.h)
  const std::string id = safe(id_c);
  if (too_long(id)) return error("lesson id is too long");
  std::string message;
  if (!pg::app_session().open(id, message)) return reply("{\"ok\":false,\"error\":" + json_string(message) + "}");
  return reply("{\"ok\":true,\"id\":" + json_string(id) + ",\"params\":" + pg::app_session().params_json() + "}");
}

const char* pg_set(const char* key_c, const char* value_c) {
  pg::request_redraw();  // the page shows the change (web/redraw.h)
  pg::Session& s = pg::app_session();
  const std::string key = safe(key_c), value = safe(value_c);
  if (too_long(key)) return error("parameter name is too long");
  std::string message;
  const bool ok = s.set(key, value, message);  // knobs and page options (seed, view, theme, embed, hide)
  bool found;
  const std::string current = s.get(key, found);
  std::string out = std::string("{\"ok\":") + (ok ? "true" : "false");
  if (found) out += ",\"value\":" + json_string(current);
  if (!message.empty()) out += std::string(",\"") + (ok ? "message" : "error") + "\":" + json_string(message);
  out += ",\"metrics\":" + s.metrics_json() + "}";
  return reply(out);
}

const char* pg_get(const char* key_c) {
  const std::string key = safe(key_c);
  if (too_long(key)) return error("parameter name is too long");
  bool found;
  const std::string value = pg::app_session().get(key, found);
  if (!found) return error("unknown parameter '" + pg::printable(key) + "'");
  return reply("{\"ok\":true,\"key\":" + json_string(key) + ",\"value\":" + json_string(value) + "}");
}

const char* pg_metrics() {
  pg::Session& s = pg::app_session();
  std::string out = "{\"ok\":true,\"id\":" + json_string(s.info().id) + ",\"steps\":" + std::to_string(s.steps_done()) +
                    ",\"playing\":" + (s.playing ? "true" : "false") + ",\"done\":" + (s.done() ? "true" : "false") +
                    ",\"target\":" + std::to_string(s.target_step) + ",\"metrics\":" + s.metrics_json() +
                    ",\"timing\":" + s.timing_keys_json();
  if (s.in_worker()) out += std::string(",\"worker\":true,\"worker_busy\":") + (s.worker_busy() ? "true" : "false");
  if (s.pending_steps > 0) out += ",\"pending\":" + std::to_string(s.pending_steps);
  const std::string problem = s.problem();
  if (!problem.empty()) out += ",\"problem\":" + json_string(problem);
  return reply(out + "}");
}

// Runs n units synchronously (a test or a teacher's script asked for them),
// but never more than 10 s of work, so a huge n cannot hang the page.  While
// the page's worker runs the lesson they are queued there instead: the reply
// says "pending" and later metrics() show them done.
const char* pg_step(int n) {
  pg::request_redraw();  // the page shows the change (web/redraw.h)
  pg::Session& s = pg::app_session();
  if (n < 0) return error("step: n must be 0 or more");
  if (s.in_worker()) {
    s.playing = false;
    if (!s.done()) s.pending_steps += std::min<int64_t>(n, pg::Session::kMaxTarget);
    return pg_metrics();
  }
  const auto start = std::chrono::steady_clock::now();
  int done = 0;
  while (done < n && !s.done()) {
    const double used = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (used > 10000) break;
    const int k = s.advance(n - done, 10000 - used);
    if (k == 0) break;
    done += k;
  }
  return pg_metrics();
}

const char* pg_reset(const char* seed_c) {
  pg::request_redraw();  // the page shows the change (web/redraw.h)
  pg::Session& s = pg::app_session();
  const std::string text = safe(seed_c);
  if (text.empty()) {
    s.reset();
  } else {
    uint64_t seed;
    std::string message;
    if (!pg::Session::parse_seed(text, seed, message)) return error(message);
    s.reset(seed);
  }
  return pg_metrics();
}

const char* pg_play(int on) {
  pg::request_redraw();  // the page shows the change (web/redraw.h)
  pg::Session& s = pg::app_session();
  s.playing = on < 0 ? !s.playing : on != 0;
  return reply(std::string("{\"ok\":true,\"playing\":") + (s.playing ? "true" : "false") + "}");
}

const char* pg_state() { return reply(pg::app_session().state_string()); }

const char* pg_apply_state(const char* state_c) {
  pg::request_redraw();  // the page shows the change (web/redraw.h)
  const std::vector<std::string> problems = pg::app_session().apply_state(safe(state_c));
  std::string list = "[";
  for (size_t i = 0; i < problems.size(); ++i) list += (i ? "," : "") + json_string(problems[i]);
  return reply(std::string("{\"ok\":") + (problems.empty() ? "true" : "false") + ",\"messages\":" + list + "]}");
}

// Messages (bad input, clamping) for the page to show.  The session keeps the
// last few; this returns the ones not returned before.
const char* pg_take_messages() {
  pg::Session& s = pg::app_session();
  std::string list = "[";
  bool first = true;
  for (const std::string& m : s.messages()) {
    list += (first ? "" : ",") + json_string(m);
    first = false;
  }
  s.clear_messages();
  return reply(list + "]");
}

const char* pg_knob_rect(const char* key_c) {
  const std::string key = safe(key_c);
  for (const auto& [k, r] : pg::last_layout().knobs)
    if (k == key)
      return reply("{\"ok\":true,\"x0\":" + pg::json_number(r.x) + ",\"y0\":" + pg::json_number(r.y) +
                   ",\"x1\":" + pg::json_number(r.x + r.w) + ",\"y1\":" + pg::json_number(r.y + r.h) + "}");
  return reply("{\"ok\":false}");
}

const char* pg_layout(double pixels_per_css_px) { return reply(pg::layout_json(float(pixels_per_css_px))); }

const char* pg_export() { return reply(pg::run_export_json(pg::app_session())); }

const char* pg_text() { return reply(pg::walkthrough_json(pg::app_session())); }

int pg_embed() { return pg::app_session().embed ? 1 : 0; }
void pg_set_theme(int light) {
  pg::app_session().light_theme = light != 0;
  pg::request_redraw();
}
}
