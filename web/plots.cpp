// plots.cpp - see plots.h.  Everything here is ImDrawList geometry computed
// from the data each frame; nothing allocates on the heap.
#include "web/plots.h"

#include <cfloat>
#include <cmath>
#include <cstdio>
#include <initializer_list>

namespace plot {

static ImageBackend* g_image_backend = nullptr;
void set_image_backend(ImageBackend* backend) { g_image_backend = backend; }

// ------------------------------------------------------------------ colors
// Nine anchors each, linearly interpolated.  The same numbers are in
// shaders/heatmap.frag, so the GPU and the rectangle paths agree.
// viridis (matplotlib, van der Walt & Smith) and a red-blue diverging map (ColorBrewer RdBu).
static const unsigned char kViridis[9][3] = {{68, 1, 84},    {71, 45, 123},  {59, 82, 139},
                                             {44, 114, 142}, {33, 145, 140}, {40, 174, 128},
                                             {94, 201, 98},  {173, 220, 48}, {253, 231, 37}};
static const unsigned char kDiverging[9][3] = {{5, 48, 97},    {33, 102, 172}, {67, 147, 195},
                                               {146, 197, 222}, {247, 247, 247}, {244, 165, 130},
                                               {214, 96, 77},  {178, 24, 43},  {103, 0, 31}};

ImU32 colormap(Colormap map, float t, float alpha) {
  if (!(t >= 0.0f)) t = 0.0f;  // NaN goes to the bottom color
  if (t > 1.0f) t = 1.0f;
  const unsigned char(*anchors)[3] = map == Colormap::viridis ? kViridis : kDiverging;
  const float f = t * 8.0f;
  int i = int(f);
  if (i > 7) i = 7;
  const float w = f - float(i);
  float rgb[3];
  for (int c = 0; c < 3; ++c) rgb[c] = (anchors[i][c] * (1.0f - w) + anchors[i + 1][c] * w) / 255.0f;
  return ImGui::ColorConvertFloat4ToU32(ImVec4(rgb[0], rgb[1], rgb[2], alpha));
}

static bool light_theme() { return ImGui::GetStyle().Colors[ImGuiCol_WindowBg].x > 0.5f; }

ImU32 palette(int i, float alpha) {
  // Okabe-Ito-like qualitative colors; darker variants on light backgrounds.
  static const float dark[8][3] = {{0.35f, 0.70f, 1.00f}, {1.00f, 0.60f, 0.20f}, {0.40f, 0.85f, 0.45f},
                                   {0.95f, 0.40f, 0.45f}, {0.75f, 0.55f, 1.00f}, {0.95f, 0.85f, 0.30f},
                                   {0.40f, 0.90f, 0.90f}, {0.95f, 0.55f, 0.85f}};
  static const float light[8][3] = {{0.00f, 0.38f, 0.75f}, {0.85f, 0.40f, 0.00f}, {0.10f, 0.55f, 0.20f},
                                    {0.80f, 0.10f, 0.20f}, {0.45f, 0.25f, 0.75f}, {0.60f, 0.50f, 0.00f},
                                    {0.00f, 0.55f, 0.55f}, {0.75f, 0.20f, 0.55f}};
  const float* c = (light_theme() ? light : dark)[((i % 8) + 8) % 8];
  return ImGui::ColorConvertFloat4ToU32(ImVec4(c[0], c[1], c[2], alpha));
}

ImU32 ink(float alpha) {
  ImVec4 c = ImGui::GetStyle().Colors[ImGuiCol_Text];
  c.w *= alpha;
  return ImGui::ColorConvertFloat4ToU32(c);
}
ImU32 faint_ink() { return ink(0.18f); }

// ------------------------------------------------------------- axis helpers
static ImVec2 resolve_size(ImVec2 size) {
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  if (size.x <= 0) size.x = avail.x + size.x;
  if (size.y <= 0) size.y = 200.0f * ImGui::GetFontSize() / 15.0f;
  if (size.x < 60) size.x = 60;
  return size;
}

struct Mapping {
  double lo, hi;
  bool log;
  float p0, p1;  // pixel positions of lo and hi
  float to_px(double v) const {
    const double t = log ? (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo))
                         : (v - lo) / (hi - lo);
    return p0 + float(t) * (p1 - p0);
  }
  double from_px(float px) const {
    const double t = (px - p0) / (p1 - p0);
    return log ? std::pow(10.0, std::log10(lo) + t * (std::log10(hi) - std::log10(lo))) : lo + t * (hi - lo);
  }
};

static void fix_range(double& lo, double& hi, bool log) {
  if (log) {
    if (!(lo > 0)) lo = hi > 0 ? hi / 10 : 1e-3;
    if (!(hi > lo)) hi = lo * 10;
    // Round out to whole decades (or halves for short spans).
    lo = std::pow(10.0, std::floor(std::log10(lo) + 1e-9));
    hi = std::pow(10.0, std::ceil(std::log10(hi) - 1e-9));
    if (hi <= lo) hi = lo * 10;
  } else {
    if (!(hi > lo)) {
      const double c = std::isfinite(lo) ? lo : 0;
      lo = c - 0.5 - std::fabs(c) * 0.1;
      hi = c + 0.5 + std::fabs(c) * 0.1;
    }
    const double pad = (hi - lo) * 0.04;
    lo -= pad, hi += pad;
  }
}

static void format_tick(char* buf, size_t n, double v) {
  const double a = std::fabs(v);
  if (a != 0 && (a < 1e-3 || a >= 1e5)) {
    std::snprintf(buf, n, "%.0e", v);
  } else {
    std::snprintf(buf, n, "%.4g", v);
  }
}

// Draws ticks, grid lines and labels along one axis.
static void draw_ticks(ImDrawList* dl, const Mapping& m, bool horizontal, ImVec2 plot_min, ImVec2 plot_max) {
  char buf[32];
  const ImU32 grid = faint_ink(), text = ink(0.75f);
  const float font = ImGui::GetFontSize();
  auto tick = [&](double v) {
    const float px = m.to_px(v);
    format_tick(buf, sizeof buf, v);
    const ImVec2 ts = ImGui::CalcTextSize(buf);
    if (horizontal) {
      if (px < plot_min.x - 0.5f || px > plot_max.x + 0.5f) return;
      dl->AddLine(ImVec2(px, plot_min.y), ImVec2(px, plot_max.y), grid);
      dl->AddText(ImVec2(px - ts.x * 0.5f, plot_max.y + 2), text, buf);
    } else {
      if (px < plot_min.y - 0.5f || px > plot_max.y + 0.5f) return;
      dl->AddLine(ImVec2(plot_min.x, px), ImVec2(plot_max.x, px), grid);
      dl->AddText(ImVec2(plot_min.x - ts.x - 4, px - font * 0.5f), text, buf);
    }
  };
  if (m.log) {
    const int e0 = int(std::floor(std::log10(m.lo) + 1e-9)), e1 = int(std::ceil(std::log10(m.hi) - 1e-9));
    const int stride = (e1 - e0) > 8 ? (e1 - e0 + 7) / 8 : 1;
    for (int e = e0; e <= e1; e += stride) tick(std::pow(10.0, e));
    return;
  }
  const float span_px = std::fabs(m.p1 - m.p0);
  const int max_ticks = horizontal ? int(span_px / (font * 5)) : int(span_px / (font * 2.2f));
  const double raw = (m.hi - m.lo) / (max_ticks > 1 ? max_ticks : 1);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double f : {1.0, 2.0, 5.0, 10.0})
    if (mag * f >= raw) { step = mag * f; break; }
  for (double v = std::ceil(m.lo / step) * step; v <= m.hi + step * 1e-9; v += step)
    tick(std::fabs(v) < step * 1e-9 ? 0.0 : v);
}

// Frame for a 2-D plot: reserves the item, returns the inner plotting rect.
struct Frame {
  ImVec2 outer_min, outer_max, min, max;
  bool hovered;
  ImVec2 mouse;
};

static Frame begin_frame(const char* id, ImVec2 size, const char* x_label, const char* y_label,
                         float left_margin_chars = 4.5f) {
  Frame f;
  size = resolve_size(size);
  const float font = ImGui::GetFontSize();
  f.outer_min = ImGui::GetCursorScreenPos();
  f.outer_max = ImVec2(f.outer_min.x + size.x, f.outer_min.y + size.y);
  ImGui::InvisibleButton(id, size);
  f.hovered = ImGui::IsItemHovered();
  f.mouse = ImGui::GetIO().MousePos;
  const float left = font * left_margin_chars + ((y_label && *y_label) ? font * 1.2f : 0);
  const float bottom = font * 1.4f + ((x_label && *x_label) ? font * 1.2f : 0);
  f.min = ImVec2(f.outer_min.x + left, f.outer_min.y + font * 0.6f);
  f.max = ImVec2(f.outer_max.x - font * 0.8f, f.outer_max.y - bottom);
  ImDrawList* dl = ImGui::GetWindowDrawList();
  dl->AddRectFilled(f.min, f.max, ImGui::GetColorU32(ImGuiCol_FrameBg, 0.6f));
  if (x_label && *x_label) {
    const ImVec2 ts = ImGui::CalcTextSize(x_label);
    dl->AddText(ImVec2((f.min.x + f.max.x - ts.x) * 0.5f, f.outer_max.y - font * 1.15f), ink(0.85f), x_label);
  }
  if (y_label && *y_label) {
    // ImGui has no rotated text: write the label letter-stacked would be
    // illegible, so it goes above the axis instead.
    dl->AddText(ImVec2(f.outer_min.x, f.outer_min.y - font * 0.1f), ink(0.85f), y_label);
    f.min.y += font * 0.9f;
  }
  return f;
}

// ------------------------------------------------------------------ line plot
LinePlot::LinePlot(const char* id, ImVec2 size) : id_(id), size_(size) {}

void LinePlot::axes(const char* x_label, const char* y_label, bool log_y, bool log_x) {
  x_.label = x_label, y_.label = y_label, y_.log = log_y, x_.log = log_x;
}

void LinePlot::line(const char* label, const float* xs, const float* ys, int count, ImU32 color, bool dashed) {
  if (num_series_ >= kMaxSeries || !ys) return;
  series_[num_series_] = {label, xs, ys, count, color ? color : palette(num_series_), dashed, false};
  ++num_series_;
}

void LinePlot::points(const char* label, const float* xs, const float* ys, int count, ImU32 color) {
  if (num_series_ >= kMaxSeries || !ys) return;
  series_[num_series_] = {label, xs, ys, count, color ? color : palette(num_series_), false, true};
  ++num_series_;
}

void LinePlot::hline(double y, const char* label, ImU32 color) {
  if (num_refs_ >= kMaxRefs || !std::isfinite(y)) return;
  refs_[num_refs_++] = {y, label, color ? color : ink(0.55f), false};
}

void LinePlot::vline(double x, const char* label, ImU32 color) {
  if (num_refs_ >= kMaxRefs || !std::isfinite(x)) return;
  refs_[num_refs_++] = {x, label, color ? color : ink(0.55f), true};
}

static bool usable(double v, bool log) { return std::isfinite(v) && (!log || v > 0); }

void LinePlot::draw() {
  // Data ranges.
  double xlo = DBL_MAX, xhi = -DBL_MAX, ylo = DBL_MAX, yhi = -DBL_MAX;
  for (int s = 0; s < num_series_; ++s) {
    const Series& se = series_[s];
    for (int i = 0; i < se.count; ++i) {
      const double x = se.xs ? se.xs[i] : i, y = se.ys[i];
      if (!usable(x, x_.log) || !usable(y, y_.log)) continue;
      xlo = std::fmin(xlo, x), xhi = std::fmax(xhi, x);
      ylo = std::fmin(ylo, y), yhi = std::fmax(yhi, y);
    }
  }
  for (int r = 0; r < num_refs_; ++r) {
    const Ref& ref = refs_[r];
    if (ref.vertical && usable(ref.v, x_.log)) xlo = std::fmin(xlo, ref.v), xhi = std::fmax(xhi, ref.v);
    if (!ref.vertical && usable(ref.v, y_.log)) ylo = std::fmin(ylo, ref.v), yhi = std::fmax(yhi, ref.v);
  }
  if (xlo > xhi) xlo = 0, xhi = 1;
  if (ylo > yhi) ylo = 0, yhi = 1;
  if (x_.min != x_.max) xlo = x_.min, xhi = x_.max;
  else if (!x_.log && xhi > xlo) { /* x data fill the width exactly */ }
  else fix_range(xlo, xhi, x_.log);
  if (y_.min != y_.max) ylo = y_.min, yhi = y_.max;
  else fix_range(ylo, yhi, y_.log);
  if (!(xhi > xlo)) xhi = xlo + 1;

  Frame f = begin_frame(id_, size_, x_.label, y_.label);
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const Mapping mx{xlo, xhi, x_.log, f.min.x, f.max.x}, my{ylo, yhi, y_.log, f.max.y, f.min.y};
  draw_ticks(dl, mx, true, f.min, f.max);
  draw_ticks(dl, my, false, f.min, f.max);
  dl->PushClipRect(f.min, f.max, true);
  const float font = ImGui::GetFontSize(), thick = std::fmax(1.5f, font / 9.0f);

  // The legend goes in the top corner, left or right, that hides less: count
  // the series vertices and reference lines under each candidate box.
  const bool has_legend = num_series_ > 1 || (num_series_ == 1 && series_[0].label && *series_[0].label);
  float legend_w = 0, legend_h = 0;
  for (int s = 0; has_legend && s < num_series_; ++s) {
    if (!series_[s].label) continue;
    legend_w = std::fmax(legend_w, font + 10 + ImGui::CalcTextSize(series_[s].label).x);
    legend_h += font + 3;
  }
  const ImVec2 left_min(f.min.x + 4, f.min.y + 4), right_min(f.max.x - 4 - legend_w, f.min.y + 4);
  auto in_box = [&](ImVec2 box_min, ImVec2 p) {
    return p.x >= box_min.x && p.x <= box_min.x + legend_w && p.y >= box_min.y && p.y <= box_min.y + legend_h;
  };
  int hidden_left = 0, hidden_right = 0;

  // Reference lines: dashed, labelled at their right end (horizontal) or
  // top end (vertical).
  for (int r = 0; r < num_refs_; ++r) {
    const Ref& ref = refs_[r];
    if (!usable(ref.v, ref.vertical ? x_.log : y_.log)) continue;
    const float p = ref.vertical ? mx.to_px(ref.v) : my.to_px(ref.v);
    const float dash = font * 0.5f;
    if (ref.vertical) {
      for (float y = f.min.y; y < f.max.y; y += dash * 2) dl->AddLine(ImVec2(p, y), ImVec2(p, std::fmin(y + dash, f.max.y)), ref.color, thick * 0.8f);
      // Labelled just above the frame when the plot has a top margin (a y
      // label makes one), clear of the legend and the data; else at the top.
      const bool above = f.min.y - f.outer_min.y >= font;
      if (ref.label) {
        dl->PushClipRect(f.outer_min, f.outer_max, false);  // the frame's clip would cut it
        dl->AddText(ImVec2(p + 3, above ? f.min.y - font - 1 : f.min.y + 2), ref.color, ref.label);
        dl->PopClipRect();
      }
      // The line itself may run under the legend's translucent box.
      if (p >= left_min.x && p <= left_min.x + legend_w) hidden_left += 2;
      if (p >= right_min.x && p <= right_min.x + legend_w) hidden_right += 2;
    } else {
      for (float x = f.min.x; x < f.max.x; x += dash * 2) dl->AddLine(ImVec2(x, p), ImVec2(std::fmin(x + dash, f.max.x), p), ref.color, thick * 0.8f);
      // Its label goes above the line at the right or the left end, whichever
      // hides less data (counted with the series below, drawn after them).
      if (ref.label) {
        const ImVec2 ts = ImGui::CalcTextSize(ref.label);
        hlabel_[r] = {ImVec2(f.min.x + 4, p - font - 1), ImVec2(f.max.x - ts.x - 4, p - font - 1), ts, 0, 0};
      }
    }
  }
  auto in_rect = [](ImVec2 min, ImVec2 size, ImVec2 p) {
    return p.x >= min.x && p.x <= min.x + size.x && p.y >= min.y && p.y <= min.y + size.y;
  };

  // Series.  Long series are decimated to about one vertex per pixel column
  // (min/max kept) so a 100k-point loss curve costs what a 1k one does.
  for (int s = 0; s < num_series_; ++s) {
    const Series& se = series_[s];
    const int stride = se.count > 4 * int(f.max.x - f.min.x) ? se.count / int(f.max.x - f.min.x) : 1;
    ImVec2 prev;
    bool have_prev = false;
    for (int i = 0; i < se.count; i += stride) {
      const double x = se.xs ? se.xs[i] : i, y = se.ys[i];
      if (!usable(x, x_.log) || !usable(y, y_.log)) {
        have_prev = false;
        continue;
      }
      const ImVec2 p(mx.to_px(x), my.to_px(y));
      if (has_legend) {
        hidden_left += in_box(left_min, p);
        hidden_right += in_box(right_min, p);
      }
      for (int r = 0; r < num_refs_; ++r) {
        if (refs_[r].vertical || !refs_[r].label) continue;
        hlabel_[r].hidden_left += in_rect(hlabel_[r].left, hlabel_[r].size, p);
        hlabel_[r].hidden_right += in_rect(hlabel_[r].right, hlabel_[r].size, p);
      }
      if (se.points) {
        dl->AddCircleFilled(p, thick * 1.6f, se.color, 10);
      } else if (have_prev && (!se.dashed || (i / stride) % 2 == 0)) {
        dl->AddLine(prev, p, se.color, thick);
      }
      prev = p, have_prev = true;
    }
  }
  // The legend's top corner: the one that hides less (left on a tie).
  const float legend_x0 = hidden_right < hidden_left ? right_min.x : left_min.x;
  // Horizontal reference labels: the right end unless the left hides less
  // (the legend's box counts as hidden data).
  for (int r = 0; r < num_refs_; ++r) {
    const Ref& ref = refs_[r];
    if (ref.vertical || !ref.label || !usable(ref.v, y_.log)) continue;
    HLabel& h = hlabel_[r];
    if (has_legend) {
      const ImVec2 legend_min(legend_x0, f.min.y + 4), legend_size(legend_w, legend_h);
      auto overlaps = [&](ImVec2 min) {
        return min.x < legend_min.x + legend_size.x && legend_min.x < min.x + h.size.x &&
               min.y < legend_min.y + legend_size.y && legend_min.y < min.y + h.size.y;
      };
      h.hidden_left += overlaps(h.left) ? 1000 : 0;
      h.hidden_right += overlaps(h.right) ? 1000 : 0;
    }
    dl->AddText(h.hidden_left < h.hidden_right ? h.left : h.right, ref.color, ref.label);
  }
  dl->PopClipRect();
  dl->AddRect(f.min, f.max, ink(0.35f));

  // Legend, in the top corner chosen above.
  if (has_legend) {
    const float x0 = legend_x0;
    float y = f.min.y + 4;
    for (int s = 0; s < num_series_; ++s) {
      if (!series_[s].label) continue;
      const ImVec2 ts = ImGui::CalcTextSize(series_[s].label);
      dl->AddRectFilled(ImVec2(x0, y), ImVec2(x0 + 10 + font + ts.x, y + font + 2),
                        ImGui::GetColorU32(ImGuiCol_WindowBg, 0.75f));
      dl->AddLine(ImVec2(x0 + 2, y + font * 0.55f), ImVec2(x0 + 2 + font, y + font * 0.55f), series_[s].color, thick * 1.5f);
      dl->AddText(ImVec2(x0 + 6 + font, y), ink(), series_[s].label);
      y += font + 3;
    }
  }

  // Hover: a vertical cursor and each series' value nearest to it.
  if (f.hovered && f.mouse.x >= f.min.x && f.mouse.x <= f.max.x) {
    const double xv = mx.from_px(f.mouse.x);
    dl->AddLine(ImVec2(f.mouse.x, f.min.y), ImVec2(f.mouse.x, f.max.y), ink(0.4f));
    ImGui::BeginTooltip();
    char buf[32];
    format_tick(buf, sizeof buf, xv);
    ImGui::Text("%s = %s", x_.label && *x_.label ? x_.label : "x", buf);
    for (int s = 0; s < num_series_; ++s) {
      const Series& se = series_[s];
      int best = -1;
      double best_d = DBL_MAX;
      for (int i = 0; i < se.count; ++i) {
        const double x = se.xs ? se.xs[i] : i;
        const double d = std::fabs((x_.log && x > 0 && xv > 0) ? std::log(x / xv) : x - xv);
        if (d < best_d) best_d = d, best = i;
      }
      if (best >= 0) {
        ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(se.color), "%s: %.5g", se.label ? se.label : "", double(se.ys[best]));
      }
    }
    for (int r = 0; r < num_refs_; ++r)
      if (refs_[r].label) ImGui::TextDisabled("%s: %.5g", refs_[r].label, refs_[r].v);
    ImGui::EndTooltip();
  }
}

// ------------------------------------------------------------------ bar chart
void bar_chart(const char* id, ImVec2 size, const char* const* labels, const float* values, int count,
               const char* unit, const float* values2, const char* legend1, const char* legend2) {
  const float font = ImGui::GetFontSize();
  if (size.y <= 0) size.y = count * font * (values2 ? 2.4f : 1.6f) + font * 2.0f;
  size = resolve_size(size);
  ImVec2 p0 = ImGui::GetCursorScreenPos();
  ImGui::InvisibleButton(id, size);
  const bool hovered = ImGui::IsItemHovered();
  ImDrawList* dl = ImGui::GetWindowDrawList();
  float label_w = 0, vmax = 0;
  for (int i = 0; i < count; ++i) {
    label_w = std::fmax(label_w, ImGui::CalcTextSize(labels[i]).x);
    if (std::isfinite(values[i])) vmax = std::fmax(vmax, values[i]);
    if (values2 && std::isfinite(values2[i])) vmax = std::fmax(vmax, values2[i]);
  }
  if (!(vmax > 0)) vmax = 1;
  const float x0 = p0.x + label_w + font * 0.6f, x1 = p0.x + size.x - font * 6.5f;
  const float row_h = (size.y - font * 1.6f) / (count > 0 ? count : 1);
  const ImVec2 mouse = ImGui::GetIO().MousePos;
  for (int i = 0; i < count; ++i) {
    const float y = p0.y + i * row_h;
    dl->AddText(ImVec2(x0 - font * 0.4f - ImGui::CalcTextSize(labels[i]).x, y + (row_h - font) * 0.5f), ink(), labels[i]);
    auto bar = [&](float v, float top, float h, ImU32 col) {
      if (!std::isfinite(v)) {
        dl->AddText(ImVec2(x0 + 2, top), palette(3), "non-finite");
        return;
      }
      const float w = (x1 - x0) * v / vmax;
      dl->AddRectFilled(ImVec2(x0, top), ImVec2(x0 + w, top + h), col, 2.0f);
      char buf[48];
      std::snprintf(buf, sizeof buf, "%.3g %s", double(v), unit ? unit : "");
      dl->AddText(ImVec2(x0 + w + 4, top + (h - font) * 0.5f), ink(0.9f), buf);
    };
    if (values2) {
      bar(values[i], y + row_h * 0.08f, row_h * 0.42f, palette(0));
      bar(values2[i], y + row_h * 0.52f, row_h * 0.42f, palette(1));
    } else {
      bar(values[i], y + row_h * 0.15f, row_h * 0.7f, palette(0));
    }
    if (hovered && mouse.y >= y && mouse.y < y + row_h) {
      ImGui::BeginTooltip();
      ImGui::Text("%s: %.5g %s", labels[i], double(values[i]), unit ? unit : "");
      if (values2) ImGui::Text("%s: %.5g %s", legend2 ? legend2 : "second", double(values2[i]), unit ? unit : "");
      ImGui::EndTooltip();
    }
  }
  if (values2 && legend1 && legend2) {
    const float y = p0.y + size.y - font * 1.3f;
    dl->AddRectFilled(ImVec2(x0, y + 3), ImVec2(x0 + font, y + font - 3), palette(0));
    dl->AddText(ImVec2(x0 + font * 1.3f, y), ink(), legend1);
    const float x2 = x0 + font * 2.0f + ImGui::CalcTextSize(legend1).x;
    dl->AddRectFilled(ImVec2(x2, y + 3), ImVec2(x2 + font, y + font - 3), palette(1));
    dl->AddText(ImVec2(x2 + font * 1.3f, y), ink(), legend2);
  }
}

// -------------------------------------------------------------------- heatmap
static void color_bar(ImDrawList* dl, ImVec2 min, ImVec2 max, float vmin, float vmax, Colormap map) {
  const int steps = 32;
  const float h = (max.y - min.y) / steps;
  for (int i = 0; i < steps; ++i) {
    const float t = 1.0f - (i + 0.5f) / steps;
    dl->AddRectFilled(ImVec2(min.x, min.y + i * h), ImVec2(max.x, min.y + (i + 1) * h + 0.5f), colormap(map, t));
  }
  dl->AddRect(min, max, ink(0.4f));
  char buf[32];
  const float font = ImGui::GetFontSize();
  format_tick(buf, sizeof buf, vmax);
  dl->AddText(ImVec2(max.x + 3, min.y), ink(0.8f), buf);
  format_tick(buf, sizeof buf, vmin);
  dl->AddText(ImVec2(max.x + 3, max.y - font), ink(0.8f), buf);
  if (vmin < 0 && vmax > 0) {
    const float y0 = max.y - (max.y - min.y) * (0 - vmin) / (vmax - vmin);
    dl->AddText(ImVec2(max.x + 3, y0 - font * 0.5f), ink(0.6f), "0");
  }
}

void heatmap(const char* id, ImVec2 size, const float* values, int rows, int cols, const HeatmapStyle& style) {
  const float font = ImGui::GetFontSize();
  size = resolve_size(size);
  float vmin = style.vmin, vmax = style.vmax;
  if (vmin == vmax) {
    vmin = FLT_MAX, vmax = -FLT_MAX;
    for (int i = 0; i < rows * cols; ++i)
      if (std::isfinite(values[i])) vmin = std::fmin(vmin, values[i]), vmax = std::fmax(vmax, values[i]);
    if (vmin > vmax) vmin = 0, vmax = 1;
    if (style.map == Colormap::diverging) {
      const float a = std::fmax(std::fabs(vmin), std::fabs(vmax));
      vmin = -a, vmax = a;
    }
    if (vmax <= vmin) vmax = vmin + 1e-6f;
  }
  ImVec2 p0 = ImGui::GetCursorScreenPos();
  ImGui::InvisibleButton(id, size);
  const bool hovered = ImGui::IsItemHovered();
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const float title_h = style.title ? font * 1.3f : 0;
  if (style.title) dl->AddText(p0, ink(), style.title);
  const float bar_w = style.colorbar ? font * 4.5f : 0;
  // Square-ish cells: fit the image in the box keeping the aspect ratio.
  float w = size.x - bar_w, h = size.y - title_h;
  const float cell = std::fmin(w / cols, h / rows);
  w = cell * cols, h = cell * rows;
  const ImVec2 a(p0.x, p0.y + title_h), b(p0.x + w, p0.y + title_h + h);
  ImTextureID tex = nullptr;
  if (g_image_backend)
    tex = g_image_backend->scalar_image(ImGui::GetID(id), values, cols, rows, vmin, vmax, style.map);
  if (tex) {
    dl->AddImage(tex, a, b);
  } else {
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < cols; ++c) {
        const float t = (values[r * cols + c] - vmin) / (vmax - vmin);
        dl->AddRectFilled(ImVec2(a.x + c * cell, a.y + r * cell), ImVec2(a.x + (c + 1) * cell, a.y + (r + 1) * cell),
                          colormap(style.map, t));
      }
  }
  dl->AddRect(a, b, ink(0.35f));
  if (style.colorbar)
    color_bar(dl, ImVec2(b.x + font * 0.5f, a.y), ImVec2(b.x + font * 1.3f, b.y), vmin, vmax, style.map);
  const ImVec2 mouse = ImGui::GetIO().MousePos;
  if (hovered && mouse.x >= a.x && mouse.x < b.x && mouse.y >= a.y && mouse.y < b.y) {
    const int c = int((mouse.x - a.x) / cell), r = int((mouse.y - a.y) / cell);
    if (r >= 0 && r < rows && c >= 0 && c < cols) {
      dl->AddRect(ImVec2(a.x + c * cell, a.y + r * cell), ImVec2(a.x + (c + 1) * cell, a.y + (r + 1) * cell), ink(), 0, 0, 2);
      ImGui::SetTooltip("row %d, col %d: %.5g", r, c, double(values[r * cols + c]));
    }
  }
}

// -------------------------------------------------------- scatter and regions
struct Box {
  double x_min, x_max, y_min, y_max;
};

static Box fit_box(const float* xy, int n, double x_min, double x_max, double y_min, double y_max) {
  Box bx{x_min, x_max, y_min, y_max};
  if (x_min == x_max || y_min == y_max) {
    bx = {DBL_MAX, -DBL_MAX, DBL_MAX, -DBL_MAX};
    for (int i = 0; i < n; ++i) {
      if (!std::isfinite(xy[2 * i]) || !std::isfinite(xy[2 * i + 1])) continue;
      bx.x_min = std::fmin(bx.x_min, xy[2 * i]), bx.x_max = std::fmax(bx.x_max, xy[2 * i]);
      bx.y_min = std::fmin(bx.y_min, xy[2 * i + 1]), bx.y_max = std::fmax(bx.y_max, xy[2 * i + 1]);
    }
    if (bx.x_min > bx.x_max) bx = {-1, 1, -1, 1};
    fix_range(bx.x_min, bx.x_max, false);
    fix_range(bx.y_min, bx.y_max, false);
  }
  return bx;
}

static void draw_points(ImDrawList* dl, const Mapping& mx, const Mapping& my, const float* xy, const int* classes,
                        int n, float radius) {
  for (int i = 0; i < n; ++i) {
    const ImVec2 p(mx.to_px(xy[2 * i]), my.to_px(xy[2 * i + 1]));
    dl->AddCircleFilled(p, radius + 1.0f, ink(0.8f), 8);
    dl->AddCircleFilled(p, radius, palette(classes ? classes[i] : 0), 8);
  }
}

static void point_tooltip(const Frame& f, const Mapping& mx, const Mapping& my, const float* xy, const int* classes, int n) {
  if (!f.hovered) return;
  int best = -1;
  float best_d = ImGui::GetFontSize() * ImGui::GetFontSize();
  for (int i = 0; i < n; ++i) {
    const float dx = mx.to_px(xy[2 * i]) - f.mouse.x, dy = my.to_px(xy[2 * i + 1]) - f.mouse.y;
    if (dx * dx + dy * dy < best_d) best_d = dx * dx + dy * dy, best = i;
  }
  if (best >= 0)
    ImGui::SetTooltip("point %d: (%.3f, %.3f), class %d", best, double(xy[2 * best]), double(xy[2 * best + 1]),
                      classes ? classes[best] : 0);
  else
    ImGui::SetTooltip("(%.3f, %.3f)", mx.from_px(f.mouse.x), my.from_px(f.mouse.y));
}

static Frame square_frame(const char* id, ImVec2 size, bool equal_aspect, Box& bx) {
  Frame f = begin_frame(id, size, "", "", 3.5f);
  if (equal_aspect) {
    // Same units per pixel on both axes: widen the box along the short side.
    const double sx = (bx.x_max - bx.x_min) / (f.max.x - f.min.x), sy = (bx.y_max - bx.y_min) / (f.max.y - f.min.y);
    if (sx > sy) {
      const double c = (bx.y_min + bx.y_max) / 2, half = sx * (f.max.y - f.min.y) / 2;
      bx.y_min = c - half, bx.y_max = c + half;
    } else {
      const double c = (bx.x_min + bx.x_max) / 2, half = sy * (f.max.x - f.min.x) / 2;
      bx.x_min = c - half, bx.x_max = c + half;
    }
  }
  return f;
}

void scatter(const char* id, ImVec2 size, const float* xy, const int* classes, int n, const ScatterStyle& style) {
  Box bx = fit_box(xy, n, style.x_min, style.x_max, style.y_min, style.y_max);
  Frame f = square_frame(id, size, style.equal_aspect, bx);
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const Mapping mx{bx.x_min, bx.x_max, false, f.min.x, f.max.x}, my{bx.y_min, bx.y_max, false, f.max.y, f.min.y};
  draw_ticks(dl, mx, true, f.min, f.max);
  draw_ticks(dl, my, false, f.min, f.max);
  dl->PushClipRect(f.min, f.max, true);
  const ImVec2 origin(mx.to_px(0.0), my.to_px(0.0));
  if (style.unit_circle)
    dl->AddCircle(origin, float(mx.to_px(1.0) - mx.to_px(0.0)), ink(0.3f), 96, 1.0f);
  draw_points(dl, mx, my, xy, classes, n, style.radius * ImGui::GetFontSize() / 15.0f);
  for (int i = 0; style.arrows && i < style.num_arrows; ++i) {
    const ImVec2 tip(mx.to_px(style.arrows[2 * i]), my.to_px(style.arrows[2 * i + 1]));
    const float dx = tip.x - origin.x, dy = tip.y - origin.y, len = std::sqrt(dx * dx + dy * dy);
    const float thick = 2.5f * ImGui::GetFontSize() / 15.0f;
    dl->AddLine(origin, tip, ink(0.9f), thick + 2.0f);
    dl->AddLine(origin, tip, palette(i), thick);
    if (len > 1.0f) {  // arrow head
      const float ux = dx / len, uy = dy / len, h = ImGui::GetFontSize() * 0.6f;
      const ImVec2 a(tip.x - ux * h - uy * h * 0.5f, tip.y - uy * h + ux * h * 0.5f);
      const ImVec2 b(tip.x - ux * h + uy * h * 0.5f, tip.y - uy * h - ux * h * 0.5f);
      dl->AddTriangleFilled(tip, a, b, palette(i));
      dl->AddTriangle(tip, a, b, ink(0.9f));
    }
  }
  dl->PopClipRect();
  dl->AddRect(f.min, f.max, ink(0.35f));
  point_tooltip(f, mx, my, xy, classes, n);
}

void decision_regions(const char* id, ImVec2 size, const int* grid_class, const float* grid_confidence, int grid,
                      double x_min, double x_max, double y_min, double y_max, const float* xy, const int* classes,
                      int n) {
  Box bx{x_min, x_max, y_min, y_max};
  Frame f = square_frame(id, size, false, bx);
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const Mapping mx{bx.x_min, bx.x_max, false, f.min.x, f.max.x}, my{bx.y_min, bx.y_max, false, f.max.y, f.min.y};
  // Class color, faded toward the background where the model is unsure.
  ImTextureID tex = nullptr;
  if (g_image_backend) {
    static uint32_t pixels[256 * 256];
    const int g = grid > 256 ? 256 : grid;
    for (int i = 0; i < g * g; ++i) {
      const float conf = grid_confidence ? grid_confidence[i] : 1.0f;
      pixels[i] = palette(grid_class[i], 0.15f + 0.45f * conf);
    }
    tex = g_image_backend->rgba_image(ImGui::GetID(id), pixels, g, g);
  }
  if (tex) {
    dl->AddImage(tex, f.min, f.max);
  } else {
    // Runs of equal color in a row become one rectangle.
    const float cw = (f.max.x - f.min.x) / grid, ch = (f.max.y - f.min.y) / grid;
    for (int r = 0; r < grid; ++r) {
      int start = 0;
      ImU32 run_color = 0;
      for (int c = 0; c <= grid; ++c) {
        ImU32 col = 0;
        if (c < grid) {
          const float conf = grid_confidence ? grid_confidence[r * grid + c] : 1.0f;
          col = palette(grid_class[r * grid + c], 0.15f + 0.45f * float(int(conf * 8.0f)) / 8.0f);
        }
        if (c == grid || (c > start && col != run_color)) {
          dl->AddRectFilled(ImVec2(f.min.x + start * cw, f.min.y + r * ch), ImVec2(f.min.x + c * cw, f.min.y + (r + 1) * ch),
                            run_color);
          start = c;
        }
        run_color = col;
      }
    }
  }
  draw_ticks(dl, mx, true, f.min, f.max);
  draw_ticks(dl, my, false, f.min, f.max);
  dl->PushClipRect(f.min, f.max, true);
  draw_points(dl, mx, my, xy, classes, n, 3.0f * ImGui::GetFontSize() / 15.0f);
  dl->PopClipRect();
  dl->AddRect(f.min, f.max, ink(0.35f));
  point_tooltip(f, mx, my, xy, classes, n);
}

}  // namespace plot
