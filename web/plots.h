// plots.h - the plot widgets every panel uses, drawn with ImDrawList (and GL
// textures for images through an optional backend).  There is no ImPlot in
// Debian or npm, so these are ours: line plots with several series, a legend,
// labelled (log) axes and reference lines; bar charts; heatmaps with a
// perceptual colormap and a color bar; scatter plots; decision-region images.
// Hovering shows values.
//
//   plot::LinePlot p("##loss", ImVec2(-1, 220));
//   p.axes("step", "loss", /*log_y=*/true);
//   p.line("softmax CE", steps, losses, n);
//   p.hline(0.241f, "tuned GD (paper)");
//   p.draw();
#pragma once
#include <cstdint>

#include "imgui.h"

namespace plot {

enum class Colormap { viridis, diverging };
// Color of t in [0, 1] (the same anchors the GLSL heatmap shader uses).
ImU32 colormap(Colormap map, float t, float alpha = 1.0f);
// The i-th categorical color (series, classes), adjusted to the theme.
ImU32 palette(int i, float alpha = 1.0f);
// Colors that follow the current ImGui style (dark or light theme).
ImU32 ink(float alpha = 1.0f);
ImU32 faint_ink();

// Images: an optional GPU path for heatmaps and decision regions.  The web and
// desktop app install one (web/gl_images.cpp); tests and the CLI draw the
// same pictures as rectangles instead.
struct ImageBackend {
  virtual ~ImageBackend() = default;
  // Scalar field (h, w) mapped through the colormap on the GPU; returns a texture.
  virtual ImTextureID scalar_image(ImGuiID id, const float* values, int w, int h, float vmin,
                                   float vmax, Colormap map) = 0;
  // Ready-made RGBA8 pixels (h, w).
  virtual ImTextureID rgba_image(ImGuiID id, const uint32_t* rgba, int w, int h) = 0;
};
void set_image_backend(ImageBackend* backend);

struct Axis {
  const char* label = "";
  bool log = false;
  double min = 0, max = 0;  // min == max: fit the data
};

class LinePlot {
 public:
  LinePlot(const char* id, ImVec2 size);
  void axes(const char* x_label, const char* y_label, bool log_y = false, bool log_x = false);
  void x_range(double min, double max) { x_.min = min, x_.max = max; }
  void y_range(double min, double max) { y_.min = min, y_.max = max; }
  // xs may be null (x = 0, 1, 2, ...).  Data are referenced, not copied: keep
  // them alive until draw().  color 0 picks the palette color of the series.
  void line(const char* label, const float* xs, const float* ys, int count, ImU32 color = 0,
            bool dashed = false);
  void points(const char* label, const float* xs, const float* ys, int count, ImU32 color = 0);
  void hline(double y, const char* label, ImU32 color = 0);
  void vline(double x, const char* label, ImU32 color = 0);
  void draw();

 private:
  static constexpr int kMaxSeries = 10, kMaxRefs = 8;
  struct Series { const char* label; const float* xs; const float* ys; int count; ImU32 color; bool dashed, points; };
  struct Ref { double v; const char* label; ImU32 color; bool vertical; };
  const char* id_;
  ImVec2 size_;
  Axis x_, y_;
  Series series_[kMaxSeries];
  // Where a horizontal reference line's label may go (left or right end,
  // above the line) and how many series vertices each place would hide.
  struct HLabel { ImVec2 left, right, size; int hidden_left, hidden_right; };
  HLabel hlabel_[kMaxRefs] = {};
  Ref refs_[kMaxRefs];
  int num_series_ = 0, num_refs_ = 0;
};

// Horizontal bars, one per label, with the value printed at the bar's end.
// values2 (optional) draws a second, thinner bar per row (e.g. scalar vs SIMD).
void bar_chart(const char* id, ImVec2 size, const char* const* labels, const float* values,
               int count, const char* unit, const float* values2 = nullptr,
               const char* legend1 = nullptr, const char* legend2 = nullptr);

// values is (rows, cols), row-major, drawn with row 0 at the top.
struct HeatmapStyle {
  Colormap map = Colormap::viridis;
  float vmin = 0, vmax = 0;   // equal: fit; diverging maps fit symmetric around 0
  bool colorbar = true;
  const char* title = nullptr;
};
void heatmap(const char* id, ImVec2 size, const float* values, int rows, int cols,
             const HeatmapStyle& style = HeatmapStyle());

// 2-D points colored by class, over an optional background image.
struct ScatterStyle {
  float radius = 3.0f;
  double x_min = 0, x_max = 0, y_min = 0, y_max = 0;  // equal: fit
  bool equal_aspect = true;
  // Optional directions drawn as arrows from the origin, arrow i in palette(i)
  // (class weight vectors, class means): (num_arrows, 2).
  const float* arrows = nullptr;
  int num_arrows = 0;
  bool unit_circle = false;  // a faint circle of radius 1 around the origin (embeddings on a sphere)
};
void scatter(const char* id, ImVec2 size, const float* xy /*(n, 2)*/, const int* classes, int n,
             const ScatterStyle& style = ScatterStyle());

// A classifier over the square [x_min, x_max] x [y_min, y_max]: grid_class and
// grid_confidence are (grid, grid), row 0 at the top (y_max); points on top.
void decision_regions(const char* id, ImVec2 size, const int* grid_class,
                      const float* grid_confidence, int grid, double x_min, double x_max,
                      double y_min, double y_max, const float* xy, const int* classes, int n);

}  // namespace plot
