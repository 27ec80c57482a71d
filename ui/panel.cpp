// panel.cpp - see panel.h.
#include "ui/panel.h"

#include <cmath>
#include <cstdarg>
#include <cstdio>

#include "ui/plots.h"

namespace ui {

const ImWchar* glyph_ranges() {
  static const ImWchar ranges[] = {
      0x0020, 0x00FF,  // Basic Latin + Latin-1
      0x02B0, 0x036F,  // modifier letters (ˡ) and combining marks (x̂, φ̌), drawn over the previous letter
      0x0370, 0x03FF,  // Greek
      0x1D00, 0x1DBF,  // phonetic extensions: superscript letters (ᵀ, ᵏ, ᵐ)
      0x2000, 0x206F,  // punctuation: dashes, quotes, ellipsis
      0x2070, 0x209F,  // super- and subscripts
      0x2100, 0x214F,  // letterlike symbols
      0x2190, 0x21FF,  // arrows
      0x2200, 0x22FF,  // mathematical operators
      0x2300, 0x23FF,  // misc technical (floor, ceil)
      0x25A0, 0x25FF,  // geometric shapes (play/pause glyphs)
      0x27E0, 0x27EF,  // angle brackets ⟨ ⟩
      0,
  };
  return ranges;
}

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

void paragraph(const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  ImGui::TextWrappedV(fmt, args);
  va_end(args);
}

static bool light() { return ImGui::GetStyle().Colors[ImGuiCol_WindowBg].x > 0.5f; }

void equation(const char* text) {
  ImGui::Indent(ImGui::GetFontSize());
  const ImVec4 tint = light() ? ImVec4(0.05f, 0.30f, 0.60f, 1) : ImVec4(0.60f, 0.82f, 1.00f, 1);
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

void note(const char* text) {
  ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyle().Colors[ImGuiCol_TextDisabled]);
  ImGui::TextWrapped("%s", text);
  ImGui::PopStyleColor();
}

// A box whose height follows its wrapped text: measure first, then draw.
static void boxed_text(const char* id, const char* text, ImVec4 bg, ImVec4 fg) {
  const ImGuiStyle& style = ImGui::GetStyle();
  const float width = ImGui::GetContentRegionAvail().x;
  const float inner = width - 2 * style.WindowPadding.x;
  const ImVec2 size = ImGui::CalcTextSize(text, nullptr, false, inner > 10 ? inner : 10);
  ImGui::PushStyleColor(ImGuiCol_ChildBg, bg);
  ImGui::PushStyleColor(ImGuiCol_Text, fg);
  ImGui::PushStyleVar(ImGuiStyleVar_ChildRounding, 4.0f);
  ImGui::BeginChild(id, ImVec2(width, size.y + 2 * style.WindowPadding.y), false,
                    ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_AlwaysUseWindowPadding);
  ImGui::PushTextWrapPos(0.0f);
  ImGui::TextUnformatted(text);
  ImGui::PopTextWrapPos();
  ImGui::EndChild();
  ImGui::PopStyleVar();
  ImGui::PopStyleColor(2);
}

void warning_box(const char* id, const char* text) {
  if (light()) boxed_text(id, text, ImVec4(1.0f, 0.95f, 0.80f, 1), ImVec4(0.40f, 0.26f, 0.0f, 1));
  else boxed_text(id, text, ImVec4(0.30f, 0.24f, 0.08f, 1), ImVec4(1.0f, 0.88f, 0.60f, 1));
}

void error_box(const char* id, const char* text) {
  boxed_text(id, text, ImVec4(0.55f, 0.08f, 0.10f, 0.9f), ImVec4(1, 1, 1, 1));
}

void progress_box(const char* what, float fraction) {
  char overlay[96];
  std::snprintf(overlay, sizeof overlay, "loading %s: %.0f%%", what, fraction * 100.0);
  ImGui::ProgressBar(fraction, ImVec2(std::fmin(ImGui::GetFontSize() * 20, ImGui::GetContentRegionAvail().x), 0),
                     overlay);
}

void download_box(const char* what, double received_bytes, double total_bytes) {
  char overlay[128];
  const double mb = 1.0 / (1024.0 * 1024.0);
  if (total_bytes > 0)
    std::snprintf(overlay, sizeof overlay, "loading %s: %.1f of %.1f MB", what, received_bytes * mb, total_bytes * mb);
  else if (received_bytes > 0)
    std::snprintf(overlay, sizeof overlay, "loading %s: %.1f MB", what, received_bytes * mb);
  else
    std::snprintf(overlay, sizeof overlay, "loading %s: connecting", what);
  const float fraction = total_bytes > 0 ? float(received_bytes / total_bytes) : 0.0f;
  ImGui::ProgressBar(fraction, ImVec2(std::fmin(ImGui::GetFontSize() * 20, ImGui::GetContentRegionAvail().x), 0),
                     overlay);
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

float column_width(int n, float min_font_sizes, float width) {
  if (n < 1) n = 1;
  const float avail = width > 0 ? width : ImGui::GetContentRegionAvail().x, gap = ImGui::GetStyle().ItemSpacing.x;
  const float min_w = min_font_sizes * ImGui::GetFontSize();
  int per_row = n;
  while (per_row > 1 && (avail - gap * float(per_row - 1)) / float(per_row) < min_w) --per_row;
  const float w = (avail - gap * float(per_row - 1)) / float(per_row);
  return w > 1.0f ? w : 1.0f;
}

void next_column(float width) {
  const float gap = ImGui::GetStyle().ItemSpacing.x;
  const float right = ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x;
  // The last item's right edge, plus a little slack for rounding.
  if (ImGui::GetItemRectMax().x + gap + width <= right + 1.0f) ImGui::SameLine();
}

void legend_swatch(ImU32 color, const char* label) {
  const float font = ImGui::GetFontSize();
  const ImVec2 p = ImGui::GetCursorScreenPos();
  ImGui::GetWindowDrawList()->AddRectFilled(ImVec2(p.x, p.y + font * 0.2f), ImVec2(p.x + font * 0.8f, p.y + font),
                                            color, 2.0f);
  ImGui::Dummy(ImVec2(font * 0.9f, font));
  ImGui::SameLine(0, font * 0.3f);
  ImGui::TextUnformatted(label);
}

void paper_table(const char* id, const PaperRowText* rows, int count) {
  const ImVec4 live_color = ImGui::ColorConvertU32ToFloat4(plot::palette(2));
  const float font = ImGui::GetFontSize();
  if (ImGui::GetContentRegionAvail().x < font * 40.0f) {
    // Narrow: one card per row, the numbers side by side, the setting below.
    ImGui::PushID(id);
    for (int i = 0; i < count; ++i) {
      const PaperRowText& r = rows[i];
      if (i) ImGui::Separator();
      ImGui::PushTextWrapPos(0.0f);
      ImGui::TextWrapped("%s", r.quantity);
      ImGui::TextDisabled("paper:");
      ImGui::SameLine();
      ImGui::TextUnformatted(r.paper);
      ImGui::TextDisabled("live, here:");
      ImGui::SameLine();
      if (r.live && *r.live) ImGui::TextColored(live_color, "%s", r.live);
      else ImGui::TextDisabled("not measured here");
      ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyle().Colors[ImGuiCol_TextDisabled]);
      ImGui::TextWrapped("%s", r.setting);
      ImGui::PopStyleColor();
      ImGui::PopTextWrapPos();
    }
    ImGui::PopID();
    return;
  }
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
    const PaperRowText& r = rows[i];
    ImGui::TableNextRow();
    ImGui::TableSetColumnIndex(0);
    ImGui::TextWrapped("%s", r.quantity);
    ImGui::TableSetColumnIndex(1);
    ImGui::TextWrapped("%s", r.paper);
    ImGui::TableSetColumnIndex(2);
    if (r.live && *r.live) ImGui::TextColored(live_color, "%s", r.live);
    else ImGui::TextDisabled("not measured here");
    ImGui::TableSetColumnIndex(3);
    ImGui::TextWrapped("%s", r.setting);
  }
  ImGui::PopTextWrapPos();
  ImGui::EndTable();
}

}  // namespace ui
