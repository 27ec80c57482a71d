// ui.cpp - see ui.h.
#include "web/ui.h"

#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <string>

#include "web/plots.h"

namespace ui {

void help_marker(const char* text) {
  ImGui::SameLine();
  ImGui::TextDisabled("(?)");
  if (ImGui::IsItemHovered()) {
    ImGui::BeginTooltip();
    ImGui::PushTextWrapPos(ImGui::GetFontSize() * 32.0f);
    ImGui::TextUnformatted(text);
    ImGui::PopTextWrapPos();
    ImGui::EndTooltip();
  }
}

bool section(const char* title, bool default_open) {
  ImGui::Spacing();
  return ImGui::CollapsingHeader(title, default_open ? ImGuiTreeNodeFlags_DefaultOpen : 0);
}

void paragraph(const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  ImGui::TextWrappedV(fmt, args);
  va_end(args);
}

void equation(const char* text) {
  ImGui::Indent(ImGui::GetFontSize());
  const ImVec4 tint = ImGui::GetStyle().Colors[ImGuiCol_WindowBg].x > 0.5f ? ImVec4(0.05f, 0.30f, 0.60f, 1)
                                                                           : ImVec4(0.60f, 0.82f, 1.00f, 1);
  ImGui::PushStyleColor(ImGuiCol_Text, tint);
  ImGui::TextWrapped("%s", text);
  ImGui::PopStyleColor();
  ImGui::Unindent(ImGui::GetFontSize());
}

void bullet(const char* fmt, ...) {
  ImGui::Bullet();
  va_list args;
  va_start(args, fmt);
  ImGui::TextWrappedV(fmt, args);
  va_end(args);
}

namespace {
struct KnobRect {
  std::string key;
  ImVec2 min, max;
  int frame;
};
KnobRect g_knob_rects[32];
int g_num_knob_rects = 0;

void remember_rect(const char* key, float frame_width) {
  const int frame = ImGui::GetFrameCount();
  KnobRect* slot = nullptr;
  for (int i = 0; i < g_num_knob_rects; ++i)
    if (g_knob_rects[i].key == key) slot = &g_knob_rects[i];
  if (!slot && g_num_knob_rects < 32) slot = &g_knob_rects[g_num_knob_rects++];
  // The widget's frame (slider track), not its label.
  const ImVec2 min = ImGui::GetItemRectMin(), max = ImGui::GetItemRectMax();
  if (slot) *slot = {key, min, ImVec2(min.x + frame_width, max.y), frame};
}
}  // namespace

bool knob_rect(const char* key, float out[4]) {
  for (int i = 0; i < g_num_knob_rects; ++i) {
    const KnobRect& r = g_knob_rects[i];
    if (r.key == key && r.frame >= ImGui::GetFrameCount() - 1) {
      out[0] = r.min.x, out[1] = r.min.y, out[2] = r.max.x, out[3] = r.max.y;
      return true;
    }
  }
  return false;
}

// Sliders write the bound member directly, then tell the session, which
// validates nothing further (the widget cannot leave the declared range) and
// decides between restarting and a live change.
bool knob(pg::PanelContext& ctx, const char* key) {
  pg::Session& session = ctx.session;
  const pg::ParamSpec* spec = session.params().find(key);
  if (!spec || session.is_hidden(key)) return false;
  bool changed = false;
  ImGui::PushID(key);
  const float width = ImGui::GetFontSize() * 16.0f;
  ImGui::SetNextItemWidth(width);
  const ImGuiSliderFlags flags = (spec->log_scale ? ImGuiSliderFlags_Logarithmic : 0) | ImGuiSliderFlags_AlwaysClamp;
  switch (spec->type) {
    case pg::ParamType::real: {
      float v = float(*spec->real_ptr);
      if (ImGui::SliderFloat(spec->label.c_str(), &v, float(spec->min), float(spec->max),
                             spec->log_scale ? "%.4g" : "%.3g", flags)) {
        // Keep four significant digits so URLs stay short and exact.
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.4g", double(v));
        std::string message;
        changed = session.set(key, buf, message);
      }
      break;
    }
    case pg::ParamType::integer: {
      int v = *spec->int_ptr;
      if (ImGui::SliderInt(spec->label.c_str(), &v, int(spec->min), int(spec->max), "%d", flags)) {
        std::string message;
        changed = session.set_number(key, v, message);
      }
      break;
    }
    case pg::ParamType::choice: {
      int v = *spec->int_ptr;
      const char* preview = spec->choices[size_t(v)].c_str();
      if (ImGui::BeginCombo(spec->label.c_str(), preview)) {
        for (size_t i = 0; i < spec->choices.size(); ++i) {
          if (ImGui::Selectable(spec->choices[i].c_str(), int(i) == v)) {
            std::string message;
            changed = session.set_number(key, double(i), message);
          }
        }
        ImGui::EndCombo();
      }
      break;
    }
    case pg::ParamType::toggle: {
      bool v = *spec->bool_ptr;
      if (ImGui::Checkbox(spec->label.c_str(), &v)) {
        std::string message;
        changed = session.set_number(key, v ? 1 : 0, message);
      }
      break;
    }
  }
  remember_rect(key, spec->type == pg::ParamType::toggle ? ImGui::GetFrameHeight() : width);
  help_marker(spec->help.c_str());
  ImGui::PopID();
  return changed;
}

bool all_knobs(pg::PanelContext& ctx) {
  bool changed = false;
  for (const pg::ParamSpec& spec : ctx.session.params().specs()) changed |= knob(ctx, spec.key.c_str());
  return changed;
}

void paper_table(const char* id, const PaperRow* rows, int count) {
  const ImGuiTableFlags flags = ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingStretchProp;
  if (!ImGui::BeginTable(id, 4, flags)) return;
  ImGui::TableSetupColumn("Quantity", 0, 1.3f);
  ImGui::TableSetupColumn("Paper reports", 0, 1.0f);
  ImGui::TableSetupColumn("Live, here", 0, 1.0f);
  ImGui::TableSetupColumn("Setting", 0, 1.6f);
  ImGui::TableHeadersRow();
  // Wrap at each cell's right edge (0), not at the panel's wrap position,
  // which lies past the narrower columns and would clip their text.
  ImGui::PushTextWrapPos(0.0f);
  for (int i = 0; i < count; ++i) {
    const PaperRow& r = rows[i];
    ImGui::TableNextRow();
    ImGui::TableSetColumnIndex(0);
    ImGui::TextWrapped("%s", r.quantity);
    ImGui::TableSetColumnIndex(1);
    ImGui::TextWrapped("%s", r.paper);
    ImGui::TableSetColumnIndex(2);
    if (std::isfinite(r.live)) {
      char buf[64];
      std::snprintf(buf, sizeof buf, r.live_format, r.live);
      ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(plot::palette(2)), "%s", buf);
    } else {
      ImGui::TextDisabled("not measured yet");
    }
    ImGui::TableSetColumnIndex(3);
    ImGui::TextWrapped("%s", r.note);
  }
  ImGui::PopTextWrapPos();
  ImGui::EndTable();
}

void metric(const char* label, const char* fmt, double value) {
  ImGui::TextUnformatted(label);
  // Values line up in a column unless the label is longer than it.
  const float column = ImGui::GetFontSize() * 18.0f;
  const float label_end = ImGui::GetItemRectMax().x - ImGui::GetWindowPos().x + ImGui::GetScrollX();
  ImGui::SameLine(label_end + ImGui::GetStyle().ItemSpacing.x > column ? 0.0f : column);
  if (std::isfinite(value)) {
    ImGui::Text(fmt, value);
  } else {
    ImGui::TextDisabled("-");
  }
}

void run_controls(pg::PanelContext& ctx) {
  pg::Session& s = ctx.session;
  const bool finished = s.lesson().done();
  if (s.playing && !finished) {
    if (ImGui::Button("Pause")) s.playing = false;
  } else {
    ImGui::BeginDisabled(finished);
    if (ImGui::Button(" Play ")) s.playing = true;
    ImGui::EndDisabled();
  }
  ImGui::SameLine();
  ImGui::BeginDisabled(finished);
  if (ImGui::Button("Step")) {
    s.playing = false;
    s.advance(1, 1e9);
  }
  ImGui::EndDisabled();
  ImGui::SameLine();
  if (ImGui::Button("Reset")) s.reset();
  ImGui::SameLine();
  ImGui::TextDisabled("step %lld%s   (space: play/pause, r: reset)", (long long)s.steps_done(),
                      finished ? " - finished" : "");
}

bool pack_status(const char* what, const pg::PackStatus& status) {
  switch (status.state) {
    case pg::PackState::ready:
      return true;
    case pg::PackState::loading: {
      char overlay[64];
      std::snprintf(overlay, sizeof overlay, "loading %s: %.0f%%", what, status.progress * 100.0);
      ImGui::ProgressBar(status.progress, ImVec2(ImGui::GetFontSize() * 20, 0), overlay);
      return false;
    }
    case pg::PackState::failed:
      ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1.0f, 0.45f, 0.4f, 1));
      ImGui::TextWrapped("The %s data pack could not be used: %s", what, status.message.c_str());
      ImGui::PopStyleColor();
      return false;
  }
  return false;
}

void problem_banner(pg::PanelContext& ctx) {
  const std::string problem = ctx.session.lesson().problem();
  if (problem.empty()) return;
  ImGui::PushStyleColor(ImGuiCol_ChildBg, ImVec4(0.55f, 0.08f, 0.10f, 0.85f));
  ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1, 1, 1, 1));
  const float h = ImGui::GetFontSize() * 3.2f;
  ImGui::BeginChild("##problem", ImVec2(0, h), true);
  ImGui::TextWrapped("%s", problem.c_str());
  if (ImGui::Button("Reset the experiment")) ctx.session.reset();
  ImGui::EndChild();
  ImGui::PopStyleColor(2);
}

}  // namespace ui
