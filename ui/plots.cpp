// plots.cpp - see plots.h.  Everything here is ImDrawList geometry computed
// from the data each frame; nothing allocates on the heap.
#include "ui/plots.h"

#include <algorithm>
#include <cctype>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <functional>
#include <initializer_list>
#include <vector>
#include <string>

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

// ------------------------------------------------------------ saving plots
static PlotSaveHandler g_save_handler;
void set_save_handler(PlotSaveHandler handler) { g_save_handler = std::move(handler); }

static std::string fmt9(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.9g", v);
  return b;
}
static std::string csv_cell(const char* text) {  // quoted when it holds a comma, quote or newline
  std::string t = text ? text : "";
  if (t.find_first_of(",\"\n") == std::string::npos) return t;
  std::string q = "\"";
  for (char c : t) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::string series_csv(const char* const* labels, const float* const* xs, const float* const* ys, const int* counts,
                       int num_series) {
  std::string out = "x";
  for (int s = 0; s < num_series; ++s) out += "," + csv_cell(labels[s]);
  out += "\n";
  // Rows keyed by x in first-seen order; a series' repeated x gets a new row.
  std::vector<double> row_x;
  std::vector<std::vector<std::string>> cells;
  for (int s = 0; s < num_series; ++s) {
    size_t next = 0;  // series are usually monotone in x: search onwards from the last match
    for (int i = 0; i < counts[s]; ++i) {
      const double x = xs[s] ? xs[s][i] : i;
      size_t r = next;
      while (r < row_x.size() && !(row_x[r] == x && cells[r][size_t(s)].empty())) ++r;
      if (r == row_x.size()) {
        row_x.push_back(x);
        cells.emplace_back(size_t(num_series));
      }
      cells[r][size_t(s)] = fmt9(ys[s][i]);
      next = r + 1;
    }
  }
  for (size_t r = 0; r < row_x.size(); ++r) {
    out += fmt9(row_x[r]);
    for (const std::string& c : cells[r]) out += "," + c;
    out += "\n";
  }
  return out;
}

std::string matrix_csv(const float* values, int rows, int cols) {
  std::string out = "row";
  for (int c = 0; c < cols; ++c) out += ",c" + std::to_string(c);
  out += "\n";
  for (int r = 0; r < rows; ++r) {
    out += std::to_string(r);
    for (int c = 0; c < cols; ++c) out += "," + fmt9(values[size_t(r) * cols + c]);
    out += "\n";
  }
  return out;
}

// Call right after the plot's InvisibleButton: a right-click opens its menu.
static void save_menu_trigger(const char* id) {
  if (!g_save_handler) return;
  ImGui::PushID(id);
  ImGui::OpenPopupOnItemClick("save", ImGuiPopupFlags_MouseButtonRight);
  ImGui::PopID();
}
// Call at the end of the plot: the menu, and the request when an item is chosen.
static void save_menu(const char* id, ImVec2 min, ImVec2 max, const std::function<std::string()>& csv) {
  if (!g_save_handler) return;
  ImGui::PushID(id);
  if (ImGui::BeginPopup("save")) {
    PlotSaveRequest req;
    std::string name = id;
    while (!name.empty() && name[0] == '#') name.erase(0, 1);
    for (char& c : name)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') c = '-';
    req.name = name.empty() ? "plot" : name;
    req.min = min, req.max = max;
    bool chosen = false;
    if (ImGui::MenuItem("Save as PNG")) req.png = true, chosen = true;
    if (csv && ImGui::MenuItem("Save data as CSV")) req.csv = csv(), chosen = true;
    ImGui::EndPopup();
    if (chosen) g_save_handler(req);
  }
  ImGui::PopID();
}

// square: the plotting rect (below the y label) is made square by shrinking
// the item's width or height.
static Frame begin_frame(const char* id, ImVec2 size, const char* x_label, const char* y_label,
                         float left_margin_chars = 4.5f, bool square = false, bool offer_save = false) {
  Frame f;
  size = resolve_size(size);
  const float font = ImGui::GetFontSize();
  f.outer_min = ImGui::GetCursorScreenPos();
  f.outer_max = ImVec2(f.outer_min.x + size.x, f.outer_min.y + size.y);
  const float left = font * left_margin_chars + ((y_label && *y_label) ? font * 1.2f : 0);
  const float bottom = font * 1.4f + ((x_label && *x_label) ? font * 1.2f : 0);
  f.min = ImVec2(f.outer_min.x + left, f.outer_min.y + font * 0.6f);
  f.max = ImVec2(f.outer_max.x - font * 0.8f, f.outer_max.y - bottom);
  if (square) {
    const float top = (y_label && *y_label) ? font * 0.9f : 0;  // the y label's line, added below
    const float w = f.max.x - f.min.x, h = f.max.y - f.min.y - top, side = std::fmax(1.0f, std::fmin(w, h));
    size.x -= w - side, size.y -= h - side;
    f.max.x -= w - side, f.max.y -= h - side;
    f.outer_max = ImVec2(f.outer_min.x + size.x, f.outer_min.y + size.y);
  }
  ImGui::InvisibleButton(id, size);
  f.hovered = ImGui::IsItemHovered();
  if (offer_save) save_menu_trigger(id);
  f.mouse = ImGui::GetIO().MousePos;
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

// ------------------------------------------------------------ pure helpers
int decimate_min_max(const float* xs, const float* ys, int count, int buckets, float* out_x, float* out_y) {
  if (count <= 0 || buckets <= 0) return 0;
  if (buckets > count) buckets = count;
  int n = 0;
  auto put = [&](int i) { out_x[n] = xs ? xs[i] : float(i), out_y[n] = ys[i], ++n; };
  for (int b = 0; b < buckets; ++b) {
    const int i0 = int((long long)b * count / buckets), i1 = int((long long)(b + 1) * count / buckets);
    int lo = -1, hi = -1;  // indices of the bucket's first smallest and first largest y
    for (int i = i0; i < i1; ++i) {
      if (!std::isfinite(ys[i]) || (xs && !std::isfinite(xs[i]))) continue;
      if (lo < 0 || ys[i] < ys[lo]) lo = i;
      if (hi < 0 || ys[i] > ys[hi]) hi = i;
    }
    if (lo < 0) {
      put(i0);  // nothing finite: keep one non-finite point, a gap
    } else {
      put(lo < hi ? lo : hi);
      if (lo != hi) put(lo < hi ? hi : lo);
    }
  }
  return n;
}

int histogram_bin(float v, float lo, float hi, int bins) {
  if (std::isnan(v) || bins <= 0) return -1;
  if (!(hi > lo)) return 0;
  const double t = (double(v) - lo) / (double(hi) - lo) * bins;  // double: no int overflow for huge v
  if (!(t >= 0)) return 0;
  return t >= bins ? bins - 1 : int(t);
}

void histogram_counts(const float* values, int n, float lo, float hi, int bins, float* counts) {
  for (int k = 0; k < bins; ++k) counts[k] = 0;
  for (int i = 0; i < n; ++i) {
    const int k = histogram_bin(values[i], lo, hi, bins);
    if (k >= 0) counts[k] += 1.0f;
  }
}

// Sweeps the threshold down through both classes' sorted scores; after each
// group of equal scores, (fpr, tpr) = (negatives, positives) at or above it.
int roc_points(const float* scores_pos, int n_pos, const float* scores_neg, int n_neg, float* scratch,
               float* fpr, float* tpr, int max_points) {
  int np = 0, nn = 0;
  for (int i = 0; i < n_pos; ++i)
    if (!std::isnan(scores_pos[i])) scratch[np++] = scores_pos[i];
  float *pos = scratch, *neg = scratch + np;
  for (int i = 0; i < n_neg; ++i)
    if (!std::isnan(scores_neg[i])) neg[nn++] = scores_neg[i];
  if (np == 0 || nn == 0 || max_points < 2) return 0;
  std::sort(pos, pos + np, std::greater<float>());
  std::sort(neg, neg + nn, std::greater<float>());
  // Thinning: with more than max_points - 1 groups possible, a point is written
  // only once the scores consumed pass the next of max_points - 1 even marks.
  const int total = np + nn, marks = max_points - 1;
  const bool thin = total > marks;
  auto mark = [&](int m) { return (long long)m * total / marks; };
  int out = 0, i = 0, j = 0, next = 1;
  fpr[out] = 0, tpr[out] = 0, ++out;
  while (i < np || j < nn) {
    const float t = i == np ? neg[j] : j == nn ? pos[i] : std::fmax(pos[i], neg[j]);
    while (i < np && pos[i] >= t) ++i;
    while (j < nn && neg[j] >= t) ++j;
    if (thin) {
      if (i + j < mark(next)) continue;
      while (next < marks && mark(next) <= i + j) ++next;
    }
    fpr[out] = float(j) / float(nn), tpr[out] = float(i) / float(np), ++out;
  }
  return out;
}

double auc_trapezoid(const float* fpr, const float* tpr, int n) {
  double area = 0;
  for (int i = 1; i < n; ++i) area += (double(fpr[i]) - fpr[i - 1]) * (double(tpr[i]) + tpr[i - 1]) * 0.5;
  return area;
}

// Marching squares over the squares of four neighbouring samples; emit(x0, y0,
// x1, y1) gets each segment in cell units (sample (r, c) at (c + .5, r + .5)).
// Corners, clockwise from the top left: 0 (r, c), 1 (r, c+1), 2 (r+1, c+1),
// 3 (r+1, c); edges: 0 top, 1 right, 2 bottom, 3 left.  A corner is inside
// when its value >= level; case = the inside corners' bits.
template <class Emit>
static void march_squares(const float* field, int rows, int cols, float level, Emit emit) {
  // The edges each case's segment joins (-1: none; 5 and 10 are saddles).
  static const signed char kEdges[16][2] = {{-1, -1}, {3, 0}, {0, 1}, {3, 1}, {1, 2}, {-1, -1}, {0, 2}, {2, 3},
                                            {2, 3},   {0, 2}, {-1, -1}, {1, 2}, {3, 1}, {0, 1}, {3, 0}, {-1, -1}};
  for (int r = 0; r + 1 < rows; ++r)
    for (int c = 0; c + 1 < cols; ++c) {
      const float v[4] = {field[r * cols + c], field[r * cols + c + 1], field[(r + 1) * cols + c + 1],
                          field[(r + 1) * cols + c]};
      if (!std::isfinite(v[0]) || !std::isfinite(v[1]) || !std::isfinite(v[2]) || !std::isfinite(v[3])) continue;
      int code = 0;
      for (int k = 0; k < 4; ++k) code |= (v[k] >= level) << k;
      if (code == 0 || code == 15) continue;
      const float cx[4] = {c + 0.5f, c + 1.5f, c + 1.5f, c + 0.5f}, cy[4] = {r + 0.5f, r + 0.5f, r + 1.5f, r + 1.5f};
      // Where edge e (from corner e to corner e+1) crosses the level; only
      // asked of crossed edges, whose ends differ.
      auto cross = [&](int e, float& x, float& y) {
        const int a = e, b = (e + 1) & 3;
        const float t = (level - v[a]) / (v[b] - v[a]);
        x = cx[a] + t * (cx[b] - cx[a]), y = cy[a] + t * (cy[b] - cy[a]);
      };
      auto segment = [&](int e0, int e1) {
        float x0, y0, x1, y1;
        cross(e0, x0, y0), cross(e1, x1, y1);
        emit(x0, y0, x1, y1);
      };
      if (code == 5 || code == 10) {
        // Saddle: if the centre (the mean) is inside, the inside corners join
        // through it and the segments cut off the outside ones.
        const bool centre_in = (v[0] + v[1] + v[2] + v[3]) * 0.25f >= level;
        if ((code == 5) == centre_in) segment(0, 1), segment(2, 3);
        else segment(3, 0), segment(1, 2);
      } else {
        segment(kEdges[code][0], kEdges[code][1]);
      }
    }
}

int contour_segments(const float* field, int rows, int cols, float level, float* segs, int max_segs) {
  int n = 0;
  march_squares(field, rows, cols, level, [&](float x0, float y0, float x1, float y1) {
    if (n >= max_segs) return;
    float* s = segs + 4 * n++;
    s[0] = x0, s[1] = y0, s[2] = x1, s[3] = y1;
  });
  return n;
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

// Dashes along a vertical or a horizontal line, dash px on, dash px off.
static void dashed_vline(ImDrawList* dl, float x, float y0, float y1, ImU32 color, float dash, float thick) {
  for (float y = y0; y < y1; y += dash * 2) dl->AddLine(ImVec2(x, y), ImVec2(x, std::fmin(y + dash, y1)), color, thick);
}
static void dashed_hline(ImDrawList* dl, float y, float x0, float x1, ImU32 color, float dash, float thick) {
  for (float x = x0; x < x1; x += dash * 2) dl->AddLine(ImVec2(x, y), ImVec2(std::fmin(x + dash, x1), y), color, thick);
}

// One legend row at (x0, y), font + 2 high on a translucent background: a line
// swatch (series) or a filled square (areas), then the label.
static void legend_row(ImDrawList* dl, float x0, float y, const char* label, ImU32 color, float thick, bool area) {
  const float font = ImGui::GetFontSize();
  const ImVec2 ts = ImGui::CalcTextSize(label);
  dl->AddRectFilled(ImVec2(x0, y), ImVec2(x0 + 10 + font + ts.x, y + font + 2), ImGui::GetColorU32(ImGuiCol_WindowBg, 0.75f));
  if (area) {
    dl->AddRectFilled(ImVec2(x0 + 2, y + 3), ImVec2(x0 + 2 + font, y + font - 1), color);
  } else {
    dl->AddLine(ImVec2(x0 + 2, y + font * 0.55f), ImVec2(x0 + 2 + font, y + font * 0.55f), color, thick * 1.5f);
  }
  dl->AddText(ImVec2(x0 + 6 + font, y), ink(), label);
}
static float legend_row_width(const char* label) { return ImGui::GetFontSize() + 10 + ImGui::CalcTextSize(label).x; }

// The state one draw() passes between its parts.  The legend goes in the top
// corner, left or right, that hides less: the series vertices and reference
// lines under each candidate box are counted while they are drawn.
struct LinePlot::View {
  Frame f;
  Mapping mx, my;
  float font, thick;
  bool has_legend;
  float legend_w, legend_h;
  ImVec2 left_min, right_min;     // the legend's candidate top-left corners
  int hidden_left, hidden_right;  // what each candidate box would cover
  float legend_x0;                // the chosen corner's x
};

// Data range over the series and the reference lines, then the axes' fixed
// ranges or padding (x data fill the width exactly on a linear axis).
void LinePlot::data_range(double& xlo, double& xhi, double& ylo, double& yhi) const {
  xlo = DBL_MAX, xhi = -DBL_MAX, ylo = DBL_MAX, yhi = -DBL_MAX;
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
}

// The legend's size (one row per labelled series) and its two candidate corners.
void LinePlot::measure_legend(View& v) const {
  v.has_legend = num_series_ > 1 || (num_series_ == 1 && series_[0].label && *series_[0].label);
  v.legend_w = 0, v.legend_h = 0;
  for (int s = 0; v.has_legend && s < num_series_; ++s) {
    if (!series_[s].label) continue;
    v.legend_w = std::fmax(v.legend_w, legend_row_width(series_[s].label));
    v.legend_h += v.font + 3;
  }
  v.left_min = ImVec2(v.f.min.x + 4, v.f.min.y + 4);
  v.right_min = ImVec2(v.f.max.x - 4 - v.legend_w, v.f.min.y + 4);
  v.hidden_left = v.hidden_right = 0;
}

static bool in_rect(ImVec2 min, ImVec2 size, ImVec2 p) {
  return p.x >= min.x && p.x <= min.x + size.x && p.y >= min.y && p.y <= min.y + size.y;
}

// Reference lines: dashed, labelled at the top end (vertical; drawn here) or
// above the line at one end (horizontal; placed by draw_hline_labels once the
// series have been counted).
void LinePlot::draw_reference_lines(View& v) {
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const Frame& f = v.f;
  const float dash = v.font * 0.5f;
  for (int r = 0; r < num_refs_; ++r) {
    const Ref& ref = refs_[r];
    if (!usable(ref.v, ref.vertical ? x_.log : y_.log)) continue;
    const float p = ref.vertical ? v.mx.to_px(ref.v) : v.my.to_px(ref.v);
    if (ref.vertical) {
      dashed_vline(dl, p, f.min.y, f.max.y, ref.color, dash, v.thick * 0.8f);
      // Labelled just above the frame when the plot has a top margin (a y
      // label makes one), clear of the legend and the data; else at the top.
      const bool above = f.min.y - f.outer_min.y >= v.font;
      if (ref.label) {
        dl->PushClipRect(f.outer_min, f.outer_max, false);  // the frame's clip would cut it
        dl->AddText(ImVec2(p + 3, above ? f.min.y - v.font - 1 : f.min.y + 2), ref.color, ref.label);
        dl->PopClipRect();
      }
      // The line itself may run under the legend's translucent box.
      if (p >= v.left_min.x && p <= v.left_min.x + v.legend_w) v.hidden_left += 2;
      if (p >= v.right_min.x && p <= v.right_min.x + v.legend_w) v.hidden_right += 2;
    } else {
      dashed_hline(dl, p, f.min.x, f.max.x, ref.color, dash, v.thick * 0.8f);
      if (ref.label) {
        const ImVec2 ts = ImGui::CalcTextSize(ref.label);
        hlabel_[r] = {ImVec2(f.min.x + 4, p - v.font - 1), ImVec2(f.max.x - ts.x - 4, p - v.font - 1), ts, 0, 0};
      }
    }
  }
}

// A drawn vertex p counts against the legend corners and the horizontal
// reference labels' ends it falls under.
void LinePlot::count_hidden(View& v, ImVec2 p) {
  if (v.has_legend) {
    const ImVec2 box(v.legend_w, v.legend_h);
    v.hidden_left += in_rect(v.left_min, box, p);
    v.hidden_right += in_rect(v.right_min, box, p);
  }
  for (int r = 0; r < num_refs_; ++r) {
    if (refs_[r].vertical || !refs_[r].label) continue;
    hlabel_[r].hidden_left += in_rect(hlabel_[r].left, hlabel_[r].size, p);
    hlabel_[r].hidden_right += in_rect(hlabel_[r].right, hlabel_[r].size, p);
  }
}

// Series.  One longer than 4 vertices per pixel column is drawn from its
// per-column min and max (decimate_min_max), so a 100k-point loss curve costs
// what a 1k one does and keeps its spikes.  Decimated, a dashed line dashes by
// pixel column and a point series joins each column's min and max (the cloud's
// extent); undecimated, a dashed line draws every other segment.
static constexpr int kMaxBuckets = 4096;  // pixel columns; 4K screens

void LinePlot::draw_series(View& v) {
  static float dec_x[2 * kMaxBuckets], dec_y[2 * kMaxBuckets];  // static: no heap, no 64 KB on the wasm stack
  ImDrawList* dl = ImGui::GetWindowDrawList();
  int buckets = int(v.f.max.x - v.f.min.x);
  buckets = buckets < 1 ? 1 : buckets > kMaxBuckets ? kMaxBuckets : buckets;
  const float radius = v.thick * 1.6f;
  const int dash_px = std::max(1, int(v.font * 0.5f));
  for (int s = 0; s < num_series_; ++s) {
    const Series& se = series_[s];
    const bool decimated = se.count > 4 * buckets;
    const float *xs = se.xs, *ys = se.ys;
    int count = se.count;
    if (decimated) count = decimate_min_max(se.xs, se.ys, se.count, buckets, dec_x, dec_y), xs = dec_x, ys = dec_y;
    ImVec2 prev;
    bool have_prev = false;
    for (int i = 0; i < count; ++i) {
      const double x = xs ? xs[i] : i, y = ys[i];
      if (!usable(x, x_.log) || !usable(y, y_.log)) {
        have_prev = false;
        continue;
      }
      const ImVec2 p(v.mx.to_px(x), v.my.to_px(y));
      count_hidden(v, p);
      if (se.points) {
        dl->AddCircleFilled(p, radius, se.color, 10);
        // A column's min and max are within a pixel of each other in x.
        if (decimated && have_prev && std::fabs(p.x - prev.x) < 1.0f) dl->AddLine(prev, p, se.color, radius * 2);
      } else if (have_prev) {
        const int column = int((prev.x + p.x) * 0.5f - v.f.min.x);
        const bool on = !se.dashed || (decimated ? column / dash_px % 2 == 0 : i % 2 == 0);
        if (on) dl->AddLine(prev, p, se.color, v.thick);
      } else if (i + 1 >= count || !usable(xs ? xs[i + 1] : i + 1, x_.log) || !usable(ys[i + 1], y_.log)) {
        // A point with no neighbour to join (a curve's first evaluation):
        // a dot, so that it is seen at all.
        dl->AddCircleFilled(p, v.thick * 1.5f, se.color, 8);
      }
      prev = p, have_prev = true;
    }
  }
}

// Horizontal reference labels: the right end unless the left hides less
// (the legend's box counts as hidden data).
void LinePlot::draw_hline_labels(const View& v) const {
  ImDrawList* dl = ImGui::GetWindowDrawList();
  for (int r = 0; r < num_refs_; ++r) {
    const Ref& ref = refs_[r];
    if (ref.vertical || !ref.label || !usable(ref.v, y_.log)) continue;
    const HLabel& h = hlabel_[r];
    int hidden_left = h.hidden_left, hidden_right = h.hidden_right;
    if (v.has_legend) {
      const ImVec2 legend_min(v.legend_x0, v.f.min.y + 4), legend_size(v.legend_w, v.legend_h);
      auto overlaps = [&](ImVec2 min) {
        return min.x < legend_min.x + legend_size.x && legend_min.x < min.x + h.size.x &&
               min.y < legend_min.y + legend_size.y && legend_min.y < min.y + h.size.y;
      };
      hidden_left += overlaps(h.left) ? 1000 : 0;
      hidden_right += overlaps(h.right) ? 1000 : 0;
    }
    dl->AddText(hidden_left < hidden_right ? h.left : h.right, ref.color, ref.label);
  }
}

void LinePlot::draw_legend(const View& v) const {
  if (!v.has_legend) return;
  ImDrawList* dl = ImGui::GetWindowDrawList();
  float y = v.f.min.y + 4;
  for (int s = 0; s < num_series_; ++s) {
    if (!series_[s].label) continue;
    legend_row(dl, v.legend_x0, y, series_[s].label, series_[s].color, v.thick, false);
    y += v.font + 3;
  }
}

// Hover: a vertical cursor and each series' value nearest to it (searched in
// the full series, not the decimated one).
void LinePlot::draw_hover_tooltip(const View& v) const {
  const Frame& f = v.f;
  if (!f.hovered || f.mouse.x < f.min.x || f.mouse.x > f.max.x) return;
  const double xv = v.mx.from_px(f.mouse.x);
  ImGui::GetWindowDrawList()->AddLine(ImVec2(f.mouse.x, f.min.y), ImVec2(f.mouse.x, f.max.y), ink(0.4f));
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
    if (best >= 0)
      ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(se.color), "%s: %.5g", se.label ? se.label : "", double(se.ys[best]));
  }
  for (int r = 0; r < num_refs_; ++r)
    if (refs_[r].label) ImGui::TextDisabled("%s: %.5g", refs_[r].label, refs_[r].v);
  ImGui::EndTooltip();
}

void LinePlot::draw() {
  double xlo, xhi, ylo, yhi;
  data_range(xlo, xhi, ylo, yhi);
  View v{};
  v.f = begin_frame(id_, size_, x_.label, y_.label, 4.5f, false, /*offer_save=*/true);
  v.mx = {xlo, xhi, x_.log, v.f.min.x, v.f.max.x};
  v.my = {ylo, yhi, y_.log, v.f.max.y, v.f.min.y};
  v.font = ImGui::GetFontSize();
  v.thick = std::fmax(1.5f, v.font / 9.0f);
  ImDrawList* dl = ImGui::GetWindowDrawList();
  draw_ticks(dl, v.mx, true, v.f.min, v.f.max);
  draw_ticks(dl, v.my, false, v.f.min, v.f.max);
  dl->PushClipRect(v.f.min, v.f.max, true);
  measure_legend(v);
  draw_reference_lines(v);
  draw_series(v);
  v.legend_x0 = v.hidden_right < v.hidden_left ? v.right_min.x : v.left_min.x;  // left on a tie
  draw_hline_labels(v);
  dl->PopClipRect();
  dl->AddRect(v.f.min, v.f.max, ink(0.35f));
  draw_legend(v);
  draw_hover_tooltip(v);
  save_menu(id_, v.f.outer_min, v.f.outer_max, [this] {
    const char* labels[kMaxSeries];
    const float *xs[kMaxSeries], *ys[kMaxSeries];
    int counts[kMaxSeries];
    for (int s = 0; s < num_series_; ++s)
      labels[s] = series_[s].label, xs[s] = series_[s].xs, ys[s] = series_[s].ys, counts[s] = series_[s].count;
    return series_csv(labels, xs, ys, counts, num_series_);
  });
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
// levels (num_levels,): the contour values, ticked across the bar.
static void color_bar(ImDrawList* dl, ImVec2 min, ImVec2 max, float vmin, float vmax, Colormap map,
                      const float* levels, int num_levels) {
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
  for (int i = 0; i < num_levels; ++i) {
    if (!(levels[i] >= vmin && levels[i] <= vmax)) continue;
    const float y = max.y - (max.y - min.y) * (levels[i] - vmin) / (vmax - vmin);
    dl->AddLine(ImVec2(min.x, y), ImVec2(max.x, y), ink(0.8f));
  }
}

// Iso-lines and the path overlay, in cell units mapped onto the image [a, b]
// of square cells `cell` px wide.
static void heatmap_overlays(ImDrawList* dl, ImVec2 a, ImVec2 b, float cell, const float* values, int rows,
                             int cols, const HeatmapStyle& style) {
  auto to_px = [&](float x, float y) { return ImVec2(a.x + x * cell, a.y + y * cell); };
  dl->PushClipRect(a, b, true);
  const ImU32 line = ink(0.7f);
  for (int l = 0; style.contour_levels && l < style.num_contours; ++l)
    march_squares(values, rows, cols, style.contour_levels[l], [&](float x0, float y0, float x1, float y1) {
      dl->AddLine(to_px(x0, y0), to_px(x1, y1), line, 1.0f);
    });
  if (style.path_xy && style.path_len > 0) {
    // A dark edge under the line keeps it visible on the colormap's bright end.
    const float thick = std::fmax(1.5f, ImGui::GetFontSize() / 8.0f);
    const ImU32 color = style.path_color ? style.path_color : IM_COL32(255, 255, 255, 230);
    const float* p = style.path_xy;
    for (int pass = 0; pass < 2; ++pass)
      for (int i = 1; i < style.path_len; ++i) {
        if (!std::isfinite(p[2 * i - 2]) || !std::isfinite(p[2 * i - 1]) || !std::isfinite(p[2 * i]) ||
            !std::isfinite(p[2 * i + 1]))
          continue;
        const ImVec2 u = to_px(p[2 * i - 2], p[2 * i - 1]), w = to_px(p[2 * i], p[2 * i + 1]);
        if (pass == 0) dl->AddLine(u, w, IM_COL32(0, 0, 0, 140), thick + 2.0f);
        else dl->AddLine(u, w, color, thick);
      }
    const int last = style.path_len - 1;
    if (std::isfinite(p[2 * last]) && std::isfinite(p[2 * last + 1])) {
      const ImVec2 end = to_px(p[2 * last], p[2 * last + 1]);
      dl->AddCircleFilled(end, thick * 2.0f, color, 12);
      dl->AddCircle(end, thick * 2.0f, IM_COL32(0, 0, 0, 200), 12);
    }
  }
  dl->PopClipRect();
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
  save_menu_trigger(id);
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
  if (style.num_contours > 0 || style.path_len > 0) heatmap_overlays(dl, a, b, cell, values, rows, cols, style);
  dl->AddRect(a, b, ink(0.35f));
  if (style.colorbar)
    color_bar(dl, ImVec2(b.x + font * 0.5f, a.y), ImVec2(b.x + font * 1.3f, b.y), vmin, vmax, style.map,
              style.contour_levels, style.contour_levels ? style.num_contours : 0);
  const ImVec2 mouse = ImGui::GetIO().MousePos;
  if (hovered && mouse.x >= a.x && mouse.x < b.x && mouse.y >= a.y && mouse.y < b.y) {
    const int c = int((mouse.x - a.x) / cell), r = int((mouse.y - a.y) / cell);
    if (r >= 0 && r < rows && c >= 0 && c < cols) {
      dl->AddRect(ImVec2(a.x + c * cell, a.y + r * cell), ImVec2(a.x + (c + 1) * cell, a.y + (r + 1) * cell), ink(), 0, 0, 2);
      ImGui::SetTooltip("row %d, col %d: %.5g", r, c, double(values[r * cols + c]));
    }
  }
  save_menu(id, p0, ImVec2(p0.x + size.x, p0.y + size.y), [=] { return matrix_csv(values, rows, cols); });
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

// ---------------------------------------------------------- histograms and ROC
// c with its alpha scaled by a.
static ImU32 scale_alpha(ImU32 c, float a) {
  const unsigned alpha = unsigned(float((c >> IM_COL32_A_SHIFT) & 0xFF) * a + 0.5f);
  return (c & ~IM_COL32_A_MASK) | (alpha << IM_COL32_A_SHIFT);
}

static void dashed_line(ImDrawList* dl, ImVec2 a, ImVec2 b, ImU32 color, float dash, float thick) {
  const float dx = b.x - a.x, dy = b.y - a.y, len = std::sqrt(dx * dx + dy * dy);
  for (float t = 0; t < len; t += dash * 2) {
    const float t1 = std::fmin(t + dash, len);
    dl->AddLine(ImVec2(a.x + dx * t / len, a.y + dy * t / len), ImVec2(a.x + dx * t1 / len, a.y + dy * t1 / len),
                color, thick);
  }
}

static float finite_or_zero(float v) { return std::isfinite(v) ? v : 0.0f; }

// One histogram: a translucent rectangle per bin, then the step outline
// rising from 0 at lo and returning to 0 at hi.  counts (bins,).
static void histogram_area(ImDrawList* dl, const Frame& f, const Mapping& my, const float* counts, int bins,
                           ImU32 color, float thick) {
  const float bw = (f.max.x - f.min.x) / bins;
  const ImU32 fill = scale_alpha(color, 0.25f);
  for (int k = 0; k < bins; ++k)
    if (counts[k] > 0)
      dl->AddRectFilled(ImVec2(f.min.x + k * bw, my.to_px(counts[k])), ImVec2(f.min.x + (k + 1) * bw, f.max.y), fill);
  dl->PathLineTo(ImVec2(f.min.x, f.max.y));
  for (int k = 0; k < bins; ++k) {
    const float y = my.to_px(finite_or_zero(counts[k]));
    dl->PathLineTo(ImVec2(f.min.x + k * bw, y));
    dl->PathLineTo(ImVec2(f.min.x + (k + 1) * bw, y));
  }
  dl->PathLineTo(ImVec2(f.max.x, f.max.y));
  dl->PathStroke(color, 0, thick);
}

void histogram_plot(const char* id, ImVec2 size, const char* x_label, float lo, float hi,
                    const float* const* counts, const char* const* labels, const ImU32* colors, int num_hist,
                    int bins, const double* vlines, int num_vlines) {
  if (bins < 1) bins = 1;
  if (!(hi > lo)) hi = lo + 1;
  double top = 0;
  for (int h = 0; h < num_hist; ++h)
    for (int k = 0; k < bins; ++k) top = std::fmax(top, finite_or_zero(counts[h][k]));
  Frame f = begin_frame(id, size, x_label, "");
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const Mapping mx{lo, hi, false, f.min.x, f.max.x}, my{0, top > 0 ? top * 1.08 : 1, false, f.max.y, f.min.y};
  draw_ticks(dl, mx, true, f.min, f.max);
  draw_ticks(dl, my, false, f.min, f.max);
  const float font = ImGui::GetFontSize(), thick = std::fmax(1.5f, font / 9.0f), bw = (f.max.x - f.min.x) / bins;
  auto color_of = [&](int h) { return colors && colors[h] ? colors[h] : palette(h); };
  dl->PushClipRect(f.min, f.max, true);
  for (int h = 0; h < num_hist; ++h) histogram_area(dl, f, my, counts[h], bins, color_of(h), thick);
  for (int i = 0; vlines && i < num_vlines; ++i)
    if (std::isfinite(vlines[i])) dashed_vline(dl, mx.to_px(vlines[i]), f.min.y, f.max.y, ink(0.55f), font * 0.5f, thick * 0.8f);
  dl->PopClipRect();
  dl->AddRect(f.min, f.max, ink(0.35f));

  // Legend in the top corner whose box the bars reach into less (left on a tie).
  float legend_w = 0, legend_h = 0;
  for (int h = 0; labels && h < num_hist; ++h)
    if (labels[h]) legend_w = std::fmax(legend_w, legend_row_width(labels[h])), legend_h += font + 3;
  if (legend_h > 0) {
    const float x_left = f.min.x + 4, x_right = f.max.x - 4 - legend_w, box_bottom = f.min.y + 4 + legend_h;
    auto hidden = [&](float x0) {
      float px = 0;  // bar height inside the box, summed over the bins under it
      for (int h = 0; h < num_hist; ++h)
        for (int k = 0; k < bins; ++k)
          if (f.min.x + (k + 1) * bw > x0 && f.min.x + k * bw < x0 + legend_w)
            px += std::fmax(0.0f, box_bottom - my.to_px(finite_or_zero(counts[h][k])));
      return px;
    };
    const float x0 = hidden(x_right) < hidden(x_left) ? x_right : x_left;
    float y = f.min.y + 4;
    for (int h = 0; h < num_hist; ++h)
      if (labels[h]) legend_row(dl, x0, y, labels[h], scale_alpha(color_of(h), 0.6f), thick, true), y += font + 3;
  }

  // Hover: the bin under the mouse, its range and every histogram's count.
  if (f.hovered && f.mouse.x >= f.min.x && f.mouse.x < f.max.x) {
    int k = int((f.mouse.x - f.min.x) / bw);
    k = k < 0 ? 0 : k >= bins ? bins - 1 : k;
    dl->AddRectFilled(ImVec2(f.min.x + k * bw, f.min.y), ImVec2(f.min.x + (k + 1) * bw, f.max.y), ink(0.08f));
    const double a = lo + double(hi - lo) * k / bins, b = lo + double(hi - lo) * (k + 1) / bins;
    ImGui::BeginTooltip();
    ImGui::Text("%s in [%.4g, %.4g)%s", x_label && *x_label ? x_label : "x", a, b,
                k == 0 && bins > 1 ? " and below" : k == bins - 1 && bins > 1 ? " and above" : "");
    for (int h = 0; h < num_hist; ++h)
      ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(color_of(h)), "%s: %.5g", labels && labels[h] ? labels[h] : "",
                         double(counts[h][k]));
    ImGui::EndTooltip();
  }
}

// A polyline through (xs, ys) (n,), skipping points within a pixel of the last
// one drawn (an ROC curve is monotone, so this keeps its shape) and breaking
// at non-finite points.
static void thinned_polyline(ImDrawList* dl, const Mapping& mx, const Mapping& my, const float* xs, const float* ys,
                             int n, ImU32 color, float thick) {
  ImVec2 prev;
  bool have_prev = false;
  for (int i = 0; i < n; ++i) {
    if (!std::isfinite(xs[i]) || !std::isfinite(ys[i])) {
      have_prev = false;
      continue;
    }
    const ImVec2 p(mx.to_px(xs[i]), my.to_px(ys[i]));
    if (!have_prev) {
      prev = p, have_prev = true;
      continue;
    }
    if (i + 1 < n && std::fabs(p.x - prev.x) < 1.0f && std::fabs(p.y - prev.y) < 1.0f) continue;
    dl->AddLine(prev, p, color, thick);
    prev = p;
  }
}

void roc_curves(const char* id, ImVec2 size, const float* const* fpr, const float* const* tpr, const int* n,
                const char* const* labels, const ImU32* colors, int num_curves) {
  Frame f = begin_frame(id, size, "false positive rate", "true positive rate", 3.5f, /*square=*/true);
  ImDrawList* dl = ImGui::GetWindowDrawList();
  // 0..1 with 2% room, so curves along the borders are not half clipped.
  const Mapping mx{-0.02, 1.02, false, f.min.x, f.max.x}, my{-0.02, 1.02, false, f.max.y, f.min.y};
  draw_ticks(dl, mx, true, f.min, f.max);
  draw_ticks(dl, my, false, f.min, f.max);
  const float font = ImGui::GetFontSize(), thick = std::fmax(1.5f, font / 9.0f);
  auto color_of = [&](int k) { return colors && colors[k] ? colors[k] : palette(k); };
  dl->PushClipRect(f.min, f.max, true);
  dashed_line(dl, ImVec2(mx.to_px(0.0), my.to_px(0.0)), ImVec2(mx.to_px(1.0), my.to_px(1.0)), ink(0.45f), font * 0.5f,
              thick * 0.8f);
  for (int k = 0; k < num_curves; ++k) thinned_polyline(dl, mx, my, fpr[k], tpr[k], n[k], color_of(k), thick);
  dl->PopClipRect();
  dl->AddRect(f.min, f.max, ink(0.35f));

  // Legend, label and AUC, in the bottom-right corner: the one a better than
  // chance curve stays out of.
  char buf[96];
  auto entry = [&](int k) {
    std::snprintf(buf, sizeof buf, "%s (AUC %.3f)", labels && labels[k] ? labels[k] : "",
                  auc_trapezoid(fpr[k], tpr[k], n[k]));
    return buf;
  };
  float legend_w = 0;
  int rows = 0;
  for (int k = 0; labels && k < num_curves; ++k)
    if (labels[k]) legend_w = std::fmax(legend_w, legend_row_width(entry(k))), ++rows;
  float y = f.max.y - 4 - rows * (font + 3);
  for (int k = 0; labels && k < num_curves; ++k)
    if (labels[k]) legend_row(dl, f.max.x - 4 - legend_w, y, entry(k), color_of(k), thick, false), y += font + 3;

  // Hover: the curve point nearest the mouse (within a few font sizes).
  if (!f.hovered) return;
  int best_k = -1, best_i = -1;
  float best_d = 4 * font * font;
  for (int k = 0; k < num_curves; ++k)
    for (int i = 0; i < n[k]; ++i) {
      const float dx = mx.to_px(fpr[k][i]) - f.mouse.x, dy = my.to_px(tpr[k][i]) - f.mouse.y;
      if (dx * dx + dy * dy < best_d) best_d = dx * dx + dy * dy, best_k = k, best_i = i;
    }
  if (best_k < 0) {
    ImGui::SetTooltip("fpr %.3f, tpr %.3f", mx.from_px(f.mouse.x), my.from_px(f.mouse.y));
    return;
  }
  const float x = fpr[best_k][best_i], t = tpr[best_k][best_i];
  dl->AddCircle(ImVec2(mx.to_px(x), my.to_px(t)), thick * 2.5f, ink(), 12, 1.5f);
  ImGui::SetTooltip("%s: fpr %.3f, tpr %.3f", labels && labels[best_k] ? labels[best_k] : "curve", double(x), double(t));
}

void roc_curve(const char* id, ImVec2 size, const float* fpr, const float* tpr, int n, const char* label, ImU32 color) {
  const ImU32 colors[1] = {color ? color : palette(0)};
  const char* labels[1] = {label};
  roc_curves(id, size, &fpr, &tpr, &n, label ? labels : nullptr, colors, 1);
}

}  // namespace plot
