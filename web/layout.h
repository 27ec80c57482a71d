// layout.h - how the host lays a lesson out on the screen, the same in the
// page, the desktop window and the headless tests:
//
//   wide (>= 700 CSS px)                      narrow (< 700 CSS px)
//   +------------------------------------+    +----------------+
//   | title · authors · run controls     |    | title, run     |
//   +-------------+----------------------+    +----------------+
//   | knobs       | main view            |    | main view      |
//   |-------------|  (fills the height)  |    | knobs          |
//   | walkthrough |----------------------|    | other views    |
//   | (scrolls on | other views          |    | walkthrough    |
//   |  its own)   | (scroll on their own)|    | (one scroll)   |
//   +-------------+----------------------+    +----------------+
//
// view=demo drops the walkthrough (the knobs take the whole left column).
// Every frame records where each knob, view and the text were drawn, for
// playground.layout() and the tests.
#pragma once
#include <string>
#include <vector>

#include "web/session.h"

namespace pg {

struct LayoutRect {
  float x = 0, y = 0, w = 0, h = 0;  // display pixels, relative to the ImGui display origin
};

struct LayoutRecord {
  int frame = -1;
  bool narrow = false;
  float font_px = 0;  // the panel's text size
  std::vector<std::pair<std::string, LayoutRect>> knobs;  // declaration order, drawn ones only
  std::vector<std::pair<std::string, LayoutRect>> views;  // main view first, drawn ones only
  std::vector<std::pair<std::string, LayoutRect>> buttons;  // run controls: "play"/"pause", "step", "reset"
  bool has_text = false;
  LayoutRect text;
};

struct FrameOptions {
  float pixels_per_css_px = 1;  // devicePixelRatio in the page
  double frame_ms = 0;          // shown in the header (0: not shown)
  bool keyboard_hints = true;   // "space: play/pause" beside the run controls
};

// Draws the open lesson into the current ImGui window's remaining region.
void draw_lesson(Session& session, const FrameOptions& options);

// Where things were drawn in the last frame.
const LayoutRecord& last_layout();
// The same in CSS pixels relative to the canvas, as JSON:
// {"narrow":b,"font_px":f,"knobs":{"n":{"x":..,"y":..,"w":..,"h":..}},"views":[{"id":..,...}],
//  "buttons":{"play":{...},"step":{...},"reset":{...}},"text":{...}|null}
std::string layout_json(float pixels_per_css_px);

}  // namespace pg
