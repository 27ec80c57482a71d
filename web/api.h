// api.h - the page's JavaScript API as plain C functions over one Session.
// web/shell.js wraps them as window.playground and answers postMessage with
// them; the tests call them natively.  Every function takes untrusted text
// and returns a JSON string ({"ok": true, ...} or {"ok": false, "error": ...}).
// The returned pointer stays valid until the next call.
#pragma once

#include "web/session.h"

#if defined(__EMSCRIPTEN__)
#include <emscripten/emscripten.h>
#define PG_EXPORT EMSCRIPTEN_KEEPALIVE
#else
#define PG_EXPORT
#endif

namespace pg {
Session& app_session();
}

extern "C" {
PG_EXPORT const char* pg_lessons();
PG_EXPORT const char* pg_open(const char* id);
PG_EXPORT const char* pg_set(const char* key, const char* value);
PG_EXPORT const char* pg_get(const char* key);
PG_EXPORT const char* pg_metrics();
PG_EXPORT const char* pg_step(int n);
PG_EXPORT const char* pg_reset(const char* seed);  // "" keeps the current seed
PG_EXPORT const char* pg_play(int on);             // 1 play, 0 pause, -1 toggle
PG_EXPORT const char* pg_state();
PG_EXPORT const char* pg_apply_state(const char* state);
PG_EXPORT const char* pg_take_messages();          // messages since the last call, as a JSON array
PG_EXPORT const char* pg_knob_rect(const char* key);  // test hook: {x0,y0,x1,y1} in canvas pixels
// Where the last frame drew each knob, view and the text, in CSS pixels of the
// canvas (web/layout.h); shell.js adds the canvas's offset for playground.layout().
PG_EXPORT const char* pg_layout(double pixels_per_css_px);
PG_EXPORT const char* pg_export();  // the run as JSON (web/export.h run_export_json)
PG_EXPORT const char* pg_text();  // the walkthrough with live values, for the HTML reading view
PG_EXPORT int pg_embed();
PG_EXPORT void pg_set_theme(int light);
}
