// panel.h - the panel pieces every lesson and the host share: help markers,
// text helpers (paragraph, equation, bullet, note, warning box), labelled
// live numbers, progress and error boxes, the paper-vs-live table, and a
// column helper.  ImGui and the engine only: nothing here knows a Session or
// a lesson (layers: engine <- ui <- lessons <- web).
#pragma once
#include "imgui.h"

namespace ui {

// "(?)" that shows a tooltip, as in imgui_demo.cpp.
// The code points the UI font holds (ImGui ranges, 0-terminated): what any
// panel text may use.  scripts/make_font subsets DejaVu Sans to the same list,
// and a test checks every lesson's declared text against it.
const ImWchar* glyph_ranges();

void help_marker(const char* text);
// Wrapped paragraph.
void paragraph(const char* fmt, ...) IM_FMTARGS(1);
// An equation line, indented and tinted so it reads as math.
void equation(const char* text);
// A bullet with wrapped text.
void bullet(const char* fmt, ...) IM_FMTARGS(1);
// Muted, wrapped text: a remark or caveat.
void note(const char* text);
// A tinted box with wrapped text: a deviation from the paper, an unverified
// item, a setting that cannot reproduce the headline.
void warning_box(const char* id, const char* text);
// A red box with wrapped text (a failure the learner must see).
void error_box(const char* id, const char* text);
// "loading <what>: 45%" as a progress bar.
void progress_box(const char* what, float fraction);
// A download: "loading MNIST: 2.1 of 7.9 MB"; total 0 (unknown) shows what has arrived.
void download_box(const char* what, double received_bytes, double total_bytes);

// A labelled live number; NaN shows "-".
void metric(const char* label, const char* fmt, double value);

// Width of one of `n` equal columns across the available width, for plots
// side by side, each at least `min_font_sizes` font sizes wide: where the
// width does not hold n of them (a phone), fewer per row, each wider, and
// next_column() puts the rest on new rows.  Line plots need ~14 font sizes
// to keep their axis labels apart; small heatmaps pass less.
// `width` > 0: across that width instead of the available one.
float column_width(int n, float min_font_sizes = 14.0f, float width = 0.0f);
// Between two columns: on the same line when the next one (`width` wide)
// fits beside the last item, else on a new row.
void next_column(float width);

// A small filled square in a series' color followed by its label, for legends
// drawn outside a plot (a run's name above its plot).
void legend_swatch(ImU32 color, const char* label);

// "What the paper reports": the paper's number beside the live one, as a
// table when there is room and as one card per row when the column is narrow.
// live == nullptr or "": "not measured here" (the setting says why).
struct PaperRowText {
  const char* quantity;
  const char* paper;
  const char* live;
  const char* setting;
};
void paper_table(const char* id, const PaperRowText* rows, int count);

}  // namespace ui
