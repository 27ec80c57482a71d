// layout.cpp - see layout.h.
#include "web/layout.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "imgui.h"
#include "imgui_internal.h"  // ImGui::ButtonEx with ImGuiButtonFlags_PressedOnClick
#include "lessons/strings.h"
#include "ui/panel.h"
#include "ui/plots.h"
#include "web/text_views.h"

namespace pg {
namespace {

LayoutRecord g_layout;

constexpr float kNarrowCssPx = 700.0f;

LayoutRect item_rect() {
  const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
  return {a.x, a.y, b.x - a.x, b.y - a.y};
}

// Whether a rectangle is at least partly inside the current window's visible region.
bool visible(const LayoutRect& r) {
  return ImGui::IsRectVisible(ImVec2(r.x, r.y), ImVec2(r.x + r.w, r.y + r.h));
}

// ------------------------------------------------------------------- knobs
// One knob: its label in a left column (wrapped if long), the widget filling
// the rest, the help marker at the end.  Sliders write the bound member
// directly, then tell the session, which decides between restarting and a
// live change (the widget cannot leave the declared range).
void draw_knob(Session& s, const ParamSpec& spec, float label_w, float widget_w) {
  ImGui::PushID(spec.key.c_str());
  const float x0 = ImGui::GetCursorPosX();
  ImGui::AlignTextToFramePadding();
  ImGui::PushTextWrapPos(x0 + label_w - ImGui::GetStyle().ItemSpacing.x);
  ImGui::TextUnformatted(spec.label.c_str());
  ImGui::PopTextWrapPos();
  ImGui::SameLine(x0 + label_w);
  ImGui::SetNextItemWidth(widget_w);
  std::string message;
  const ImGuiSliderFlags flags = (spec.log_scale ? ImGuiSliderFlags_Logarithmic : 0) | ImGuiSliderFlags_AlwaysClamp;
  switch (spec.type) {
    case ParamType::real: {
      float v = float(*spec.real_ptr);
      if (ImGui::SliderFloat("##v", &v, float(spec.min), float(spec.max), spec.log_scale ? "%.4g" : "%.3g", flags)) {
        char buf[32];  // four significant digits keep URLs short and exact
        std::snprintf(buf, sizeof buf, "%.4g", double(v));
        s.set(spec.key, buf, message);
      }
      break;
    }
    case ParamType::integer: {
      int v = *spec.int_ptr;
      if (ImGui::SliderInt("##v", &v, int(spec.min), int(spec.max), "%d", flags)) s.set_number(spec.key, v, message);
      break;
    }
    case ParamType::choice: {
      const int v = *spec.int_ptr;
      if (ImGui::BeginCombo("##v", spec.choices[size_t(v)].c_str())) {
        for (size_t i = 0; i < spec.choices.size(); ++i)
          if (ImGui::Selectable(spec.choices[i].c_str(), int(i) == v)) s.set_number(spec.key, double(i), message);
        ImGui::EndCombo();
      }
      break;
    }
    case ParamType::toggle: {
      bool v = *spec.bool_ptr;
      if (ImGui::Checkbox("##v", &v)) s.set_number(spec.key, v ? 1 : 0, message);
      break;
    }
  }
  LayoutRect r = item_rect();
  if (spec.type == ParamType::toggle) r.w = ImGui::GetFrameHeight();  // the box, not its (empty) label
  if (visible(r)) g_layout.knobs.push_back({spec.key, r});
  ui::help_marker(spec.help.c_str());
  ImGui::PopID();
}

// "Try a setting": the lesson's presets in a combo above the knobs.
void draw_presets(Session& s, float label_w, float widget_w) {
  if (s.presets().empty()) return;
  const float x0 = ImGui::GetCursorPosX();
  ImGui::AlignTextToFramePadding();
  ImGui::TextDisabled("try a setting");
  ImGui::SameLine(x0 + label_w);
  ImGui::SetNextItemWidth(widget_w);
  if (ImGui::BeginCombo("##presets", "choose...")) {
    for (size_t i = 0; i < s.presets().size(); ++i) {
      if (ImGui::Selectable(s.presets()[i].label.c_str())) {
        std::string message;
        if (!s.apply_preset(int(i), message)) s.add_message(message);
      }
      if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", s.presets()[i].knobs.c_str());
    }
    ImGui::EndCombo();
  }
}

// Knob rows sit closer than the panel's other items, so that a lesson with
// fifteen knobs still shows them all beside its main view on a laptop screen.
float knob_row_spacing() { return std::round(ImGui::GetStyle().ItemSpacing.y * 0.55f); }

void draw_knobs(Session& s) {
  ImGui::PushStyleVar(ImGuiStyleVar_ItemSpacing, ImVec2(ImGui::GetStyle().ItemSpacing.x, knob_row_spacing()));
  const float font = ImGui::GetFontSize(), width = ImGui::GetContentRegionAvail().x;
  const float marker = ImGui::CalcTextSize("(?)").x + ImGui::GetStyle().ItemSpacing.x * 2;
  const float label_w = std::clamp(width * 0.40f, font * 6.0f, font * 13.0f);
  const float widget_w = std::max(font * 5.0f, width - label_w - marker);
  draw_presets(s, label_w, widget_w);
  for (const ParamSpec& spec : s.params().specs())
    if (!s.is_hidden(spec.key)) draw_knob(s, spec, label_w, widget_w);
  ImGui::PopStyleVar();
}

// The knobs' height when drawn (one frame row each, a little more for wrapped labels).
float knobs_height(const Session& s) {
  int shown = s.presets().empty() ? 0 : 1;
  for (const ParamSpec& spec : s.params().specs()) shown += !s.is_hidden(spec.key);
  return shown * (ImGui::GetFrameHeight() + knob_row_spacing()) + ImGui::GetStyle().WindowPadding.y * 2;
}

// ------------------------------------------------------------------ header
void draw_run_controls(Session& s, bool hints) {
  const bool finished = s.done();
  if (s.steps_to_target() > 0 && !finished) {
    // An exact-run link (at=N): training to step N, then it pauses there.
    char overlay[64];
    std::snprintf(overlay, sizeof overlay, "reaching step %lld of %lld", (long long)s.steps_done(),
                  (long long)s.target_step);
    ImGui::ProgressBar(float(double(s.steps_done()) / double(s.target_step)),
                       ImVec2(std::min(ImGui::GetFontSize() * 16, ImGui::GetContentRegionAvail().x * 0.5f), 0), overlay);
    ImGui::SameLine();
    if (ImGui::Button("Stop")) s.target_step = -1;
    return;
  }
  auto record = [](const char* name) { g_layout.buttons.push_back({name, item_rect()}); };
  // Play and Pause act on the press, not the release: a click then takes
  // effect one frame sooner (issue 12: Pause within 100 ms), and there is
  // nothing to cancel by sliding off a play/pause toggle.
  auto toggle = [](const char* label) { return ImGui::ButtonEx(label, ImVec2(0, 0), ImGuiButtonFlags_PressedOnClick); };
  if (s.playing && !finished) {
    if (toggle("Pause")) s.playing = false;
    record("pause");
  } else {
    ImGui::BeginDisabled(finished);
    if (toggle(" Play ")) s.playing = true;
    ImGui::EndDisabled();
    record("play");
  }
  ImGui::SameLine();
  ImGui::BeginDisabled(finished);
  if (ImGui::Button("Step")) s.step_once();
  ImGui::EndDisabled();
  record("step");
  ImGui::SameLine();
  if (ImGui::Button("Reset")) s.reset();
  record("reset");
  ImGui::SameLine();
  // Slow motion: watch training one step at a time, at a readable pace.
  auto speed_text = [](int c) { return c ? std::to_string(c) + " steps/s" : std::string("full speed"); };
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 7.0f);
  if (ImGui::BeginCombo("##speed", speed_text(s.speed_steps_per_s).c_str())) {
    for (int c : Session::speed_choices()) {
      std::string message;
      if (ImGui::Selectable(speed_text(c).c_str(), c == s.speed_steps_per_s))
        s.set("speed", c ? std::to_string(c) : "max", message);
    }
    ImGui::EndCombo();
  }
  record("speed");
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("Steps per second while playing: slow it down to watch each step");
  ImGui::SameLine();
  const int64_t total = s.lesson().run_length();
  char progress[96] = "";
  if (total > 0 && !finished) {
    // Time left from the pace of the last few seconds of play.
    const double rate = s.steps_per_second();
    const double left = rate > 0 ? double(total - s.steps_done()) / rate : -1;
    if (left >= 0 && s.playing)
      std::snprintf(progress, sizeof progress, " of %lld, about %s left", (long long)total,
                    left < 90 ? (std::to_string(int(left + 0.5)) + " s").c_str()
                              : (std::to_string(int(left / 60 + 0.5)) + " min").c_str());
    else
      std::snprintf(progress, sizeof progress, " of %lld", (long long)total);
  }
  char line[192];
  std::snprintf(line, sizeof line, "step %lld%s%s%s", (long long)s.steps_done(), progress,
                finished ? " - finished" : "", hints ? "   (space: play/pause, r: reset)" : "");
  // On a narrow screen the read-out takes its own line rather than being cut.
  if (ImGui::CalcTextSize(line).x > ImGui::GetContentRegionAvail().x) ImGui::NewLine();
  ImGui::TextDisabled("%s", line);
}

void draw_status_and_problem(Session& s) {
  if (!s.status().empty()) {
    ImGui::PushStyleColor(ImGuiCol_Text, s.light_theme ? ImVec4(0.6f, 0.3f, 0.0f, 1) : ImVec4(1.0f, 0.8f, 0.35f, 1));
    ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + ImGui::GetContentRegionAvail().x - ImGui::GetFontSize() * 5);
    ImGui::TextWrapped("%s", s.status().c_str());
    ImGui::PopTextWrapPos();
    ImGui::PopStyleColor();
    ImGui::SameLine();
    if (ImGui::SmallButton("dismiss")) s.dismiss_status();
  }
  const std::string problem = s.problem();
  if (!problem.empty()) {
    ui::error_box("##problem", problem.c_str());
    if (ImGui::Button("Reset the experiment")) s.reset();
  }
}

void draw_header(Session& s, const FrameOptions& o, bool narrow) {
  const LessonInfo& li = s.info();
  const float font = ImGui::GetFontSize();
  ImGui::SetWindowFontScale(1.25f);
  ImGui::PushTextWrapPos(0.0f);
  ImGui::TextUnformatted(li.title);
  ImGui::PopTextWrapPos();
  ImGui::SetWindowFontScale(1.0f);
  if (s.view_mode == ViewMode::full) {
    char meta[256];
    std::snprintf(meta, sizeof meta, "%s, %d%s%s   ·   %s lesson", li.authors, li.year, *li.arxiv ? "   ·   arXiv:" : "",
                  li.arxiv, kind_name(li.kind));
    ImGui::PushTextWrapPos(0.0f);
    ImGui::TextDisabled("%s", meta);
    ImGui::PopTextWrapPos();
  }
  // Frame time, right-aligned on the last header line when it fits.
  if (o.frame_ms > 0) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.1f ms/frame", o.frame_ms);
    const float w = ImGui::CalcTextSize(buf).x, right = ImGui::GetWindowContentRegionMax().x;
    const float line_end = ImGui::GetItemRectMax().x - ImGui::GetWindowPos().x;
    if (right - w > line_end + font) {
      ImGui::SameLine(right - w);
      ImGui::TextDisabled("%s", buf);
    }
  }
  if (li.stepping == Stepping::on_play) draw_run_controls(s, o.keyboard_hints && !narrow);
  draw_status_and_problem(s);
  ImGui::Separator();
}

// ------------------------------------------------------------------- views
// Last frame's height of each view, so a view scrolled out of sight can be
// skipped (a Dummy of its size keeps the scroll range) instead of drawn.
struct ViewHeights {
  std::string lesson;
  std::vector<float> h;
};
ViewHeights g_heights;

void draw_view(Session& s, size_t i, float slot_h) {
  const ViewSpec& v = s.views()[i];
  const float width = ImGui::GetContentRegionAvail().x;
  if (g_heights.lesson != s.info().id || g_heights.h.size() != s.views().size()) {
    g_heights.lesson = s.info().id;
    g_heights.h.assign(s.views().size(), 0.0f);
  }
  const ImVec2 at = ImGui::GetCursorScreenPos();
  const float known = g_heights.h[i];
  if (known > 0 && !ImGui::IsRectVisible(at, ImVec2(at.x + width, at.y + known))) {
    ImGui::Dummy(ImVec2(width, known));  // out of sight: not drawn this frame
    return;
  }
  ImGui::PushID(v.id.c_str());
  ImGui::BeginGroup();
  if (!v.title.empty()) {
    ImGui::PushTextWrapPos(0.0f);
    ImGui::TextUnformatted(v.title.c_str());
    ImGui::PopTextWrapPos();
  }
  ViewContext ctx;
  ctx.width = width;
  ctx.height = slot_h > 0 ? std::max(slot_h - (ImGui::GetCursorScreenPos().y - at.y), ImGui::GetFontSize() * 8) : 0;
  ctx.main = i == 0;
  ctx.light_theme = s.light_theme;
  ctx.font_size = ImGui::GetFontSize();
  ctx.hidden_keys = &s.hidden_keys;
  ctx.act = [&s](const char* action) { s.act(action); };
  // A view's text wraps at its slot's right edge (a long caption must not
  // widen the view past the screen).
  ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + width);
  v.draw(ctx);
  ImGui::PopTextWrapPos();
  ImGui::EndGroup();
  ImGui::PopID();
  const LayoutRect r = item_rect();
  g_heights.h[i] = r.h;
  if (visible(r)) g_layout.views.push_back({v.id, r});
  ImGui::Spacing();
}

void draw_text(Session& s) {
  const MetricList metrics = s.current_metrics();
  draw_walkthrough(s.text(), metrics);
}

// --------------------------------------------------------------- the frame
void wide_layout(Session& s, bool demo) {
  const ImGuiStyle& style = ImGui::GetStyle();
  const float font = ImGui::GetFontSize();
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const float left_w = std::clamp(avail.x * 0.38f, font * 20.0f, font * 34.0f);
  ImGui::BeginChild("##side", ImVec2(left_w, 0), false);
  {
    // Every knob stays in sight (up to 80% of the column; the walkthrough
    // below scrolls on its own in the rest).
    // Wrapped labels make rows taller than the estimate: last frame's measured
    // height wins when it is larger.  Kept per lesson in this ImGui context's
    // window state (not a static: two contexts, as the worker-mirror test
    // draws, must not see each other's frames).
    ImGuiStorage* side_state = ImGui::GetStateStorage();
    const ImGuiID measured_id = ImGui::GetID(s.info().id);
    const float measured_h = side_state->GetFloat(measured_id, 0.0f);
    const float knobs_h = demo ? 0.0f : std::min(std::max(knobs_height(s), measured_h), avail.y * 0.8f);
    ImGui::BeginChild("##knobs", ImVec2(0, knobs_h), false, ImGuiWindowFlags_AlwaysUseWindowPadding);
    draw_knobs(s);
    side_state->SetFloat(measured_id, ImGui::GetCursorPosY() + ImGui::GetStyle().WindowPadding.y);
    ImGui::EndChild();
    if (!demo) {
      ImGui::Separator();
      ImGui::BeginChild("##text", ImVec2(0, 0), false, ImGuiWindowFlags_AlwaysUseWindowPadding);
      ImGui::PushTextWrapPos(0.0f);
      draw_text(s);
      ImGui::PopTextWrapPos();
      ImGui::Dummy(ImVec2(0, font));
      ImGui::EndChild();
      g_layout.has_text = true;
      g_layout.text = item_rect();
    }
  }
  ImGui::EndChild();
  ImGui::SameLine(0, style.ItemSpacing.x * 1.5f);
  ImGui::BeginChild("##views", ImVec2(0, 0), false, ImGuiWindowFlags_AlwaysUseWindowPadding);
  // The main view fills the visible height (a plot much taller than wide
  // reads badly, so at most 0.8 of the width); the others take their own.
  const float pane_h = ImGui::GetContentRegionAvail().y, pane_w = ImGui::GetContentRegionAvail().x;
  for (size_t i = 0; i < s.views().size(); ++i) draw_view(s, i, i == 0 ? std::min(pane_h, pane_w * 0.8f) : 0.0f);
  ImGui::EndChild();
}

void narrow_layout(Session& s, bool demo) {
  const float font = ImGui::GetFontSize();
  ImGui::BeginChild("##body", ImVec2(0, 0), false, ImGuiWindowFlags_AlwaysUseWindowPadding);
  const float w = ImGui::GetContentRegionAvail().x, h = ImGui::GetContentRegionAvail().y;
  ImGui::PushTextWrapPos(0.0f);
  if (!s.views().empty()) draw_view(s, 0, std::min(w * 0.85f, h * 0.62f));
  ImGui::Separator();
  draw_knobs(s);
  ImGui::Separator();
  for (size_t i = 1; i < s.views().size(); ++i) draw_view(s, i, 0.0f);
  if (!demo) {
    ImGui::Separator();
    const ImVec2 top = ImGui::GetCursorScreenPos();
    draw_text(s);
    const ImVec2 bottom = ImGui::GetCursorScreenPos();
    const LayoutRect r{top.x, top.y, w, bottom.y - top.y};
    g_layout.has_text = visible(r);
    g_layout.text = r;
  }
  ImGui::PopTextWrapPos();
  ImGui::Dummy(ImVec2(0, font * 2));
  ImGui::EndChild();
}

}  // namespace

void draw_lesson(Session& s, const FrameOptions& o) {
  s.refresh();
  g_layout = LayoutRecord();
  g_layout.frame = ImGui::GetFrameCount();
  g_layout.font_px = ImGui::GetFontSize();
  const float css = o.pixels_per_css_px > 0 ? o.pixels_per_css_px : 1.0f;
  const bool narrow = ImGui::GetContentRegionAvail().x / css < kNarrowCssPx;
  const bool demo = s.view_mode == ViewMode::demo;
  g_layout.narrow = narrow;
  draw_header(s, o, narrow);
  if (narrow) narrow_layout(s, demo);
  else wide_layout(s, demo);
}

const LayoutRecord& last_layout() { return g_layout; }

std::string layout_json(float css) {
  if (!(css > 0)) css = 1;
  auto rect = [css](const LayoutRect& r) {
    return "{\"x\":" + json_number(r.x / css) + ",\"y\":" + json_number(r.y / css) + ",\"w\":" + json_number(r.w / css) +
           ",\"h\":" + json_number(r.h / css) + "}";
  };
  std::string out = std::string("{\"narrow\":") + (g_layout.narrow ? "true" : "false") +
                    ",\"font_px\":" + json_number(g_layout.font_px / css) + ",\"knobs\":{";
  for (size_t i = 0; i < g_layout.knobs.size(); ++i)
    out += (i ? "," : "") + json_string(g_layout.knobs[i].first) + ":" + rect(g_layout.knobs[i].second);
  out += "},\"views\":[";
  for (size_t i = 0; i < g_layout.views.size(); ++i) {
    std::string r = rect(g_layout.views[i].second);
    out += (i ? ",{\"id\":" : "{\"id\":") + json_string(g_layout.views[i].first) + "," + r.substr(1);
  }
  out += "],\"buttons\":{";
  for (size_t i = 0; i < g_layout.buttons.size(); ++i)
    out += (i ? "," : "") + json_string(g_layout.buttons[i].first) + ":" + rect(g_layout.buttons[i].second);
  out += "},\"text\":" + (g_layout.has_text ? rect(g_layout.text) : std::string("null"));
  return out + "}";
}

}  // namespace pg
