// plots.h - the plot widgets every panel uses, drawn with ImDrawList (and GL
// textures for images through an optional backend).  There is no ImPlot in
// Debian or npm, so these are ours: line plots with several series, a legend,
// labelled (log) axes and reference lines; bar charts; heatmaps with a
// perceptual colormap, a color bar, contour lines and a path overlay; scatter
// plots; decision-region images; histograms; ROC curves.  Hovering shows values.
// The pure helpers (decimate_min_max, histogram_counts, roc_points,
// auc_trapezoid, contour_segments) need no ImGui context.
//
//   plot::LinePlot p("##loss", ImVec2(-1, 220));
//   p.axes("step", "loss", /*log_y=*/true);
//   p.line("softmax CE", steps, losses, n);
//   p.hline(0.241f, "tuned GD (paper)");
//   p.draw();
#pragma once
#include <cstdint>
#include <functional>
#include <string>

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

// Saving a plot: with a handler installed (the page installs one), a
// right-click on a line plot or heatmap offers "Save as PNG" (the plot's
// rectangle, in display pixels, at the screen's resolution) and "Save data as
// CSV".  Without one (tests, CLI) nothing is offered.
struct PlotSaveRequest {
  std::string name;   // the plot's id without "##", for the file name
  ImVec2 min, max;    // the plot's rectangle (display pixels)
  bool png = false;   // true: an image of the rectangle; false: `csv`
  std::string csv;
};
using PlotSaveHandler = std::function<void(const PlotSaveRequest&)>;
void set_save_handler(PlotSaveHandler handler);

// CSV of line series: a header "x,<label>,...", then one row per distinct x
// in order of appearance per series; a series without a point at that x
// leaves its cell empty (series sharing their x share rows).  xs[s] may be
// null (x = index).  Values print with %.9g (float32 round trip).
std::string series_csv(const char* const* labels, const float* const* xs, const float* const* ys,
                       const int* counts, int num_series);
// CSV of a (rows, cols) matrix: a header "row,c0,c1,...", then one line per row.
std::string matrix_csv(const float* values, int rows, int cols);

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
  struct View;  // one draw()'s frame, axis mappings and legend placement (plots.cpp)
  void data_range(double& xlo, double& xhi, double& ylo, double& yhi) const;
  void measure_legend(View& v) const;
  void draw_reference_lines(View& v);
  void draw_series(View& v);
  void count_hidden(View& v, ImVec2 p);
  void draw_hline_labels(const View& v) const;
  void draw_legend(const View& v) const;
  void draw_hover_tooltip(const View& v) const;

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
  // Optional iso-lines at these values, thin, in ink, over the image (and
  // ticked on the color bar); see contour_segments.  (num_contours,)
  const float* contour_levels = nullptr;
  int num_contours = 0;
  // Optional polyline over the image, e.g. a descent path on a loss landscape:
  // (path_len, 2) points in cell units (x = column, y = row, fractional; see
  // contour_segments).  A non-finite point breaks the line; the last point
  // gets a dot.  path_color 0: white on a dark edge.
  const float* path_xy = nullptr;
  int path_len = 0;
  ImU32 path_color = 0;
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

// ------------------------------------------------------------ pure helpers
// Min/max decimation for drawing long series: [0, count) is split into
// `buckets` equal index ranges, and each bucket writes its smallest and its
// largest y (one point if they coincide), in their original order, so peaks
// and dips survive.  Points with a non-finite x or y are skipped; a bucket
// with none finite writes its first point as it is, so a drawn line shows the
// gap.  xs may be null (x = index).  out_x, out_y hold 2 * buckets; returns the number
// written (<= 2 * buckets).  count <= buckets copies the series unchanged.
int decimate_min_max(const float* xs, const float* ys, int count, int buckets, float* out_x, float* out_y);

// Histogram bin of v among `bins` equal bins over [lo, hi]: values outside
// (and +-inf) go to the end bins, NaN gives -1.  hi <= lo: everything in bin 0.
int histogram_bin(float v, float lo, float hi, int bins);
// counts (bins,) = how many of values (n,) fall in each bin (zeroed first);
// NaN is skipped, so the total is the number of non-NaN values.
void histogram_counts(const float* values, int n, float lo, float hi, int bins, float* counts);

// ROC of a score that should be high for positives: points (fpr, tpr) from
// (0, 0) to (1, 1), one per distinct threshold (ties give a diagonal step),
// fpr ascending.  scratch holds n_pos + n_neg floats (the scores are sorted
// there; nothing allocates); NaN scores are ignored.  fpr, tpr hold
// max_points (>= 2); with more distinct thresholds than fit, the points are
// thinned evenly (the curve's corners may be cut).  Returns the number written
// (0 if either class is empty).
int roc_points(const float* scores_pos, int n_pos, const float* scores_neg, int n_neg, float* scratch,
               float* fpr, float* tpr, int max_points);
// Area under the polyline (fpr, tpr) (n,), fpr ascending, by trapezoids:
// 0.5 for the chance diagonal, 1 for a perfect ranking.  0 for n < 2.
double auc_trapezoid(const float* fpr, const float* tpr, int n);

// Marching squares: the iso-line field == level as segments.  field is (rows,
// cols), row-major; sample (r, c) sits at the centre of cell (r, c), i.e. at
// (x, y) = (c + 0.5, r + 0.5) in cell units (x = column, y = row, (0, 0) the
// top-left corner of the image heatmap draws).  Saddles are resolved by the
// mean of the four corners; squares with a non-finite corner are skipped.
// segs holds (max_segs, 4) as x0, y0, x1, y1; returns the number written
// (at most max_segs: a longer contour is cut off).
int contour_segments(const float* field, int rows, int cols, float level, float* segs, int max_segs);

// ---------------------------------------------------- histograms and ROC
// One or more histograms over the same bins, overlaid as translucent filled
// step areas with an outline, a legend, and optional dashed vertical lines
// (thresholds, margins) at vlines (num_vlines,) in x units.  counts[h] is
// (bins,) over [lo, hi] (from histogram_counts, or any per-bin value such as
// a fraction); labels and colors are (num_hist,) and may be null (no legend;
// palette(h)).  Hover shows the bin's range and each histogram's count.
void histogram_plot(const char* id, ImVec2 size, const char* x_label, float lo, float hi,
                    const float* const* counts, const char* const* labels, const ImU32* colors, int num_hist,
                    int bins, const double* vlines = nullptr, int num_vlines = 0);

// ROC curves in a square plot, both axes 0..1, the chance diagonal dashed;
// curve k is (fpr[k][i], tpr[k][i]) for i < n[k] (from roc_points).  The
// legend gives each label with its AUC; hover shows the nearest point's
// (fpr, tpr).  labels, colors (num_curves,) may be null.
void roc_curves(const char* id, ImVec2 size, const float* const* fpr, const float* const* tpr, const int* n,
                const char* const* labels, const ImU32* colors, int num_curves);
// One curve; color 0 picks palette(0).
void roc_curve(const char* id, ImVec2 size, const float* fpr, const float* tpr, int n, const char* label,
               ImU32 color = 0);

}  // namespace plot
