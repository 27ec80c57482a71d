// ui.h - the panel sections every lesson shares: walkthrough headers, knobs
// generated from the declared parameters, the paper-vs-live table, run
// controls and text helpers.  Lessons call these instead of drawing their own.
#pragma once
#include "imgui.h"
#include "lessons/lesson.h"
#include "lessons/packs.h"
#include "lessons/session.h"

namespace pg {

struct PanelContext {
  Session& session;
  // Set by the host for the frame; lessons may read them.
  float font_size = 15.0f;
};

}  // namespace pg

namespace ui {

// "(?)" that shows a tooltip, as in imgui_demo.cpp.
void help_marker(const char* text);
// A walkthrough section ("The problem", "The method", "Try this",
// "What the paper reports"); returns whether it is open.
bool section(const char* title, bool default_open = true);
// Wrapped paragraph.
void paragraph(const char* fmt, ...) IM_FMTARGS(1);
// An equation line, indented and tinted so it reads as math.
void equation(const char* text);
// A bullet with wrapped text.
void bullet(const char* fmt, ...) IM_FMTARGS(1);

// The slider / combo / checkbox for one declared knob (skipped when hidden by
// the page's hide= option).  Returns true when the user changed it.
bool knob(pg::PanelContext& ctx, const char* key);
// Where the knob's widget was drawn in the last frame (display pixels), for
// the browser tests that drag sliders; false if it was not drawn.
bool knob_rect(const char* key, float out_min_max[4]);
// Every knob of the lesson, in declaration order.
bool all_knobs(pg::PanelContext& ctx);

// One row of "What the paper reports": the paper's number beside the live one.
// live may be NaN ("not measured yet").  note says what differs (setting, size).
struct PaperRow {
  const char* quantity;
  const char* paper;  // as printed in the paper, e.g. "28% faster"
  double live;
  const char* live_format;  // e.g. "%.1f%% faster"
  const char* note;
};
void paper_table(const char* id, const PaperRow* rows, int count);

// A labelled live number.
void metric(const char* label, const char* fmt, double value);

// Play / pause / step / reset and the step counter, for lessons that train.
void run_controls(pg::PanelContext& ctx);
// "Loading the MNIST pack... 45%" with a progress bar, or the pack's error in
// a red box.  Returns true when the pack is ready to use.
bool pack_status(const char* what, const pg::PackStatus& status);
// A red box with the lesson's problem (divergence, missing data), and a reset button.
void problem_banner(pg::PanelContext& ctx);

}  // namespace ui
