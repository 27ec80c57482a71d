// test_plots.cpp - the plot widgets' pure helpers against brute force
// (min/max decimation, histogram bins, ROC points and AUC, marching squares),
// and every widget drawn in a headless ImGui frame: no assert, bounded vertex
// counts, and a decimated series that still reaches its spike.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "imgui.h"
#include "tests/headless_imgui.h"
#include "ui/plots.h"

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

// Index of (x, y) in the decimated output, or -1.
int find_point(const std::vector<float>& ox, const std::vector<float>& oy, int n, float x, float y) {
  for (int i = 0; i < n; ++i)
    if (ox[i] == x && oy[i] == y) return i;
  return -1;
}

// A small deterministic generator (tests must not depend on the engine).
struct Lcg {
  uint32_t s;
  float next() { return float((s = s * 1664525u + 1013904223u) >> 8) / 16777216.0f; }
};

// One ImGui context with a built font atlas; frame() runs body inside a
// full-screen window twice (the second frame sees the hover) and returns the
// vertices the last frame produced.
struct HeadlessImGui : test_ui::HeadlessContext {
  HeadlessImGui() : HeadlessContext(1280, 800) {}
  template <class F>
  int frame(ImVec2 mouse, F body) {
    for (int k = 0; k < 2; ++k) {
      ImGui::GetIO().MousePos = mouse;
      HeadlessContext::frame(body);
    }
    return ImGui::GetDrawData()->TotalVtxCount;
  }
};

// Pretends to upload images, so heatmap takes its texture path.
struct FakeImages : plot::ImageBackend {
  int scalar_calls = 0;
  ImTextureID scalar_image(ImGuiID, const float*, int, int, float, float, plot::Colormap) override {
    ++scalar_calls;
    return (ImTextureID)(intptr_t)7;
  }
  ImTextureID rgba_image(ImGuiID, const uint32_t*, int, int) override { return (ImTextureID)(intptr_t)8; }
};

}  // namespace

// ------------------------------------------------------------- decimation
TEST_CASE("decimate_min_max keeps every bucket's min and max, in order") {
  const int n = 10000, buckets = 100;
  std::vector<float> xs(n), ys(n);
  for (int i = 0; i < n; ++i) xs[i] = 0.5f * i, ys[i] = std::sin(i * 0.003f);
  ys[4321] = 25.0f;   // one tall spike
  ys[7777] = -30.0f;  // one deep dip
  std::vector<float> ox(2 * buckets, kNaN), oy(2 * buckets, kNaN);
  const int m = plot::decimate_min_max(xs.data(), ys.data(), n, buckets, ox.data(), oy.data());
  CHECK(m <= 2 * buckets);
  CHECK(m >= buckets);
  CHECK(find_point(ox, oy, m, xs[4321], 25.0f) >= 0);
  CHECK(find_point(ox, oy, m, xs[7777], -30.0f) >= 0);
  // Against brute force: each bucket's min and max are written, min/max
  // order following x, and the output's x never goes back.
  for (int b = 0; b < buckets; ++b) {
    const int i0 = b * n / buckets, i1 = (b + 1) * n / buckets;
    int lo = i0, hi = i0;
    for (int i = i0; i < i1; ++i) {
      if (ys[i] < ys[lo]) lo = i;
      if (ys[i] > ys[hi]) hi = i;
    }
    CAPTURE(b);
    const int at_lo = find_point(ox, oy, m, xs[lo], ys[lo]), at_hi = find_point(ox, oy, m, xs[hi], ys[hi]);
    REQUIRE(at_lo >= 0);
    REQUIRE(at_hi >= 0);
    CHECK((at_lo < at_hi) == (lo < hi));
  }
  for (int i = 1; i < m; ++i) CHECK(ox[i] > ox[i - 1]);
}

TEST_CASE("decimate_min_max skips non-finite values and marks all-NaN buckets as gaps") {
  // 4 buckets of 4; bucket 1 holds a NaN and an inf among finite values,
  // bucket 2 nothing finite.
  const float ys[16] = {0, 1, 2, 3, 5, kNaN, -kInf, 4, kNaN, kNaN, kNaN, kNaN, 9, 8, 7, 6};
  float ox[8], oy[8];
  const int m = plot::decimate_min_max(nullptr, ys, 16, 4, ox, oy);
  REQUIRE(m == 7);
  const float want_x[7] = {0, 3, 4, 7, 8, 12, 15}, want_y[6] = {0, 3, 5, 4};
  for (int i = 0; i < 7; ++i) CHECK(ox[i] == want_x[i]);
  for (int i = 0; i < 4; ++i) CHECK(oy[i] == want_y[i]);
  CHECK(std::isnan(oy[4]));  // the gap
  CHECK(oy[5] == 9.0f);
  CHECK(oy[6] == 6.0f);
  // A NaN x is skipped like a NaN y.
  const float xs2[4] = {0, kNaN, 2, 3}, ys2[4] = {1, 100, 2, 3};
  const int m2 = plot::decimate_min_max(xs2, ys2, 4, 1, ox, oy);
  REQUIRE(m2 == 2);
  CHECK(oy[0] == 1.0f);
  CHECK(oy[1] == 3.0f);
}

TEST_CASE("decimate_min_max with count <= buckets returns the series unchanged") {
  const float xs[5] = {0.1f, 0.2f, 0.4f, 0.8f, 1.6f}, ys[5] = {3, -1, kNaN, 7, 7};
  for (int buckets : {5, 6, 1000}) {
    CAPTURE(buckets);
    float ox[10] = {}, oy[10] = {};
    REQUIRE(plot::decimate_min_max(xs, ys, 5, buckets, ox, oy) == 5);
    for (int i = 0; i < 5; ++i) {
      CHECK(ox[i] == xs[i]);
      CHECK((oy[i] == ys[i] || (std::isnan(oy[i]) && std::isnan(ys[i]))));
    }
  }
  float ox[2], oy[2];
  CHECK(plot::decimate_min_max(xs, ys, 0, 4, ox, oy) == 0);
  CHECK(plot::decimate_min_max(xs, ys, 5, 0, ox, oy) == 0);
}

// ------------------------------------------------------------- histograms
TEST_CASE("histogram_counts: outliers clamp to the end bins, NaN is skipped") {
  // 4 bins over [0, 4]: [0,1) [1,2) [2,3) [3,4].
  const float v[] = {0.0f, 0.5f, 1.0f, 2.999f, 3.0f, 4.0f, -0.001f, -50.0f, 1e30f, kInf, -kInf, kNaN, kNaN};
  const int n = int(sizeof v / sizeof v[0]);
  float counts[4] = {-1, -1, -1, -1};  // must be zeroed
  plot::histogram_counts(v, n, 0.0f, 4.0f, 4, counts);
  CHECK(counts[0] == 5);  // 0, 0.5, and the low outliers -0.001, -50, -inf
  CHECK(counts[1] == 1);  // 1
  CHECK(counts[2] == 1);  // 2.999
  CHECK(counts[3] == 4);  // 3, hi = 4 itself, and the high outliers 1e30, inf
  CHECK(counts[0] + counts[1] + counts[2] + counts[3] == n - 2);  // all but the NaNs
  CHECK(plot::histogram_bin(kNaN, 0, 4, 4) == -1);
  CHECK(plot::histogram_bin(kInf, 0, 4, 4) == 3);
  CHECK(plot::histogram_bin(-kInf, 0, 4, 4) == 0);
  CHECK(plot::histogram_bin(4.0f, 0, 4, 4) == 3);
  CHECK(plot::histogram_bin(2.0f, 0, 4, 4) == 2);
  CHECK(plot::histogram_bin(1.5f, 1, 1, 4) == 0);  // empty range
}

TEST_CASE("histogram_counts totals the finite values of a random sample") {
  Lcg rng{42};
  std::vector<float> v(5000);
  int finite = 0;
  for (float& x : v) {
    x = rng.next() * 6 - 3;
    if (rng.next() < 0.05f) x = kNaN;
    finite += !std::isnan(x);
  }
  float counts[37];
  plot::histogram_counts(v.data(), int(v.size()), -2.0f, 2.0f, 37, counts);
  double total = 0;
  for (float c : counts) total += c;
  CHECK(total == finite);
  // [-3, -2) and (2, 3] are a sixth each of the range: the end bins hold them.
  CHECK(counts[0] > counts[18] * 5);
  CHECK(counts[36] > counts[18] * 5);
}

// ---------------------------------------------------------------- ROC, AUC
TEST_CASE("auc_trapezoid: chance diagonal 0.5, perfect 1, worst 0") {
  const float diag_f[2] = {0, 1}, diag_t[2] = {0, 1};
  CHECK(plot::auc_trapezoid(diag_f, diag_t, 2) == doctest::Approx(0.5));
  const float perf_f[3] = {0, 0, 1}, perf_t[3] = {0, 1, 1};
  CHECK(plot::auc_trapezoid(perf_f, perf_t, 3) == doctest::Approx(1.0));
  const float worst_f[3] = {0, 1, 1}, worst_t[3] = {0, 0, 1};
  CHECK(plot::auc_trapezoid(worst_f, worst_t, 3) == doctest::Approx(0.0));
  const float step_f[4] = {0, 0.25f, 0.25f, 1}, step_t[4] = {0, 0, 1, 1};
  CHECK(plot::auc_trapezoid(step_f, step_t, 4) == doctest::Approx(0.75));
  CHECK(plot::auc_trapezoid(diag_f, diag_t, 1) == 0.0);
}

// Mann-Whitney: P(score_pos > score_neg) + P(equal) / 2, by brute force.
double auc_pairs(const std::vector<float>& pos, const std::vector<float>& neg) {
  double wins = 0;
  for (float p : pos)
    for (float q : neg) wins += p > q ? 1.0 : p == q ? 0.5 : 0.0;
  return wins / (double(pos.size()) * double(neg.size()));
}

TEST_CASE("roc_points matches the pairwise AUC, with ties") {
  Lcg rng{7};
  std::vector<float> pos(300), neg(200);
  for (float& s : pos) s = std::floor(rng.next() * 20) + 3;  // integer scores: many ties
  for (float& s : neg) s = std::floor(rng.next() * 20);
  std::vector<float> scratch(500), fpr(501), tpr(501);
  const int m = plot::roc_points(pos.data(), 300, neg.data(), 200, scratch.data(), fpr.data(), tpr.data(), 501);
  REQUIRE(m >= 2);
  CHECK(m <= 24);  // one point per distinct score, plus (0, 0)
  CHECK(fpr[0] == 0.0f);
  CHECK(tpr[0] == 0.0f);
  CHECK(fpr[m - 1] == 1.0f);
  CHECK(tpr[m - 1] == 1.0f);
  for (int i = 1; i < m; ++i) {
    CHECK(fpr[i] >= fpr[i - 1]);
    CHECK(tpr[i] >= tpr[i - 1]);
  }
  CHECK(plot::auc_trapezoid(fpr.data(), tpr.data(), m) == doctest::Approx(auc_pairs(pos, neg)).epsilon(1e-6));
}

TEST_CASE("roc_points: perfect separation, NaN ignored, thinning, empty classes") {
  std::vector<float> pos(1000), neg(1000);
  for (int i = 0; i < 1000; ++i) pos[i] = 1.0f + i * 1e-3f, neg[i] = -float(i) * 1e-3f;
  pos[3] = kNaN, neg[9] = kNaN;
  std::vector<float> scratch(2000), fpr(2001), tpr(2001);
  int m = plot::roc_points(pos.data(), 1000, neg.data(), 1000, scratch.data(), fpr.data(), tpr.data(), 2001);
  CHECK(m == 1999);  // 1998 distinct finite scores
  CHECK(plot::auc_trapezoid(fpr.data(), tpr.data(), m) == doctest::Approx(1.0));
  // Overlapping classes, thinned to 50 points: ends kept, AUC close.
  Lcg rng{3};
  for (int i = 0; i < 1000; ++i) pos[i] = rng.next() + 0.3f, neg[i] = rng.next();
  const int full = plot::roc_points(pos.data(), 1000, neg.data(), 1000, scratch.data(), fpr.data(), tpr.data(), 2001);
  const double exact = plot::auc_trapezoid(fpr.data(), tpr.data(), full);
  CHECK(exact == doctest::Approx(auc_pairs(pos, neg)).epsilon(1e-6));
  m = plot::roc_points(pos.data(), 1000, neg.data(), 1000, scratch.data(), fpr.data(), tpr.data(), 50);
  CHECK(m <= 50);
  CHECK(m >= 40);
  CHECK(fpr[m - 1] == 1.0f);
  CHECK(tpr[m - 1] == 1.0f);
  CHECK(plot::auc_trapezoid(fpr.data(), tpr.data(), m) == doctest::Approx(exact).epsilon(0.01));
  CHECK(plot::roc_points(pos.data(), 0, neg.data(), 1000, scratch.data(), fpr.data(), tpr.data(), 50) == 0);
}

// --------------------------------------------------------- marching squares
TEST_CASE("contour_segments: a radial field's level set is a closed circle") {
  const int rows = 30, cols = 40;
  const float cx = 19.3f, cy = 14.6f, radius = 9.0f;
  std::vector<float> field(rows * cols);
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) field[r * cols + c] = std::hypot(c + 0.5f - cx, r + 0.5f - cy);
  std::vector<float> segs(4 * 1000);
  const int n = plot::contour_segments(field.data(), rows, cols, radius, segs.data(), 1000);
  // One segment per square the circle crosses: about |dx| + |dy| summed round
  // it, 8 r; each at most sqrt 2 long, so at least 2 pi r / sqrt 2.
  CHECK(n > 2 * 3.14159 * radius / 1.415);
  CHECK(n <= 8 * radius + 4);
  for (int i = 0; i < n; ++i)
    for (int e = 0; e < 2; ++e) {
      const float x = segs[4 * i + 2 * e], y = segs[4 * i + 2 * e + 1];
      CAPTURE(i);
      CHECK(std::fabs(std::hypot(x - cx, y - cy) - radius) < 0.1f);
    }
  // Closed: every endpoint is also an endpoint of exactly one other segment.
  for (int i = 0; i < n; ++i)
    for (int e = 0; e < 2; ++e) {
      int shared = 0;
      for (int j = 0; j < n; ++j)
        for (int f = 0; f < 2; ++f)
          if (j != i && std::fabs(segs[4 * i + 2 * e] - segs[4 * j + 2 * f]) < 1e-4f &&
              std::fabs(segs[4 * i + 2 * e + 1] - segs[4 * j + 2 * f + 1]) < 1e-4f)
            ++shared;
      CHECK(shared == 1);
    }
  // The cap is respected; a level outside the field gives nothing.
  CHECK(plot::contour_segments(field.data(), rows, cols, radius, segs.data(), 5) == 5);
  CHECK(plot::contour_segments(field.data(), rows, cols, 1000.0f, segs.data(), 1000) == 0);
}

TEST_CASE("contour_segments: linear field, saddle, NaN") {
  // f = column index: the level 2.25 is the vertical line x = 2.75 (samples
  // at cell centres), one segment per row pair.
  float lin[5 * 6];
  for (int r = 0; r < 5; ++r)
    for (int c = 0; c < 6; ++c) lin[r * 6 + c] = float(c);
  float segs[4 * 20];
  const int n = plot::contour_segments(lin, 5, 6, 2.25f, segs, 20);
  REQUIRE(n == 4);
  for (int i = 0; i < n; ++i) {
    CHECK(segs[4 * i] == doctest::Approx(2.75));
    CHECK(segs[4 * i + 2] == doctest::Approx(2.75));
    CHECK(std::fabs(segs[4 * i + 1] - segs[4 * i + 3]) == doctest::Approx(1.0));
  }
  // A 2x2 saddle, 1 at the top-left and bottom-right corners, mean 0.5: two
  // segments.  Below the mean the centre is inside, so they cut off the 0
  // corners (top-right, bottom-left); above it, the 1 corners.
  const float saddle[4] = {1, 0, 0, 1};
  struct Corner { float x, y; };
  auto cut_off = [&](float level, Corner a, Corner b) {
    REQUIRE(plot::contour_segments(saddle, 2, 2, level, segs, 20) == 2);
    for (int i = 0; i < 2; ++i) {
      const float mx = (segs[4 * i] + segs[4 * i + 2]) / 2, my = (segs[4 * i + 1] + segs[4 * i + 3]) / 2;
      const float to_corner = std::fmin(std::hypot(mx - a.x, my - a.y), std::hypot(mx - b.x, my - b.y));
      CHECK(to_corner < std::hypot(mx - 1.0f, my - 1.0f));  // nearer a cut-off corner than the centre (1, 1)
    }
  };
  cut_off(0.4f, {1.5f, 0.5f}, {0.5f, 1.5f});
  cut_off(0.6f, {0.5f, 0.5f}, {1.5f, 1.5f});
  // A NaN corner drops its square only.
  lin[2 * 6 + 2] = kNaN;
  CHECK(plot::contour_segments(lin, 5, 6, 2.25f, segs, 20) == 2);
}

// ------------------------------------------------------ widgets, headless
TEST_CASE("a decimated line plot stays cheap and still reaches its spike") {
  HeadlessImGui imgui;
  const int n = 200000;
  std::vector<float> ys(n, 0.0f);
  ys[123457] = 1.0f;  // an index no stride of a few hundred lands on
  const ImU32 red = IM_COL32(255, 0, 0, 255);
  float lo_y = 1e9f, hi_y = -1e9f;
  int series_vtx = 0;
  const int vtx = imgui.frame(ImVec2(400, 100), [&] {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    plot::LinePlot p("##spike", ImVec2(-1, 240));
    p.y_range(-1, 1);
    p.line(nullptr, nullptr, ys.data(), n, red);  // unlabelled: no red legend swatch to find
    p.line("dashed", nullptr, ys.data(), n, 0, true);
    p.points("points", nullptr, ys.data(), n);
    const int before = dl->VtxBuffer.Size;
    p.draw();
    lo_y = 1e9f, hi_y = -1e9f, series_vtx = 0;
    for (int i = before; i < dl->VtxBuffer.Size; ++i)
      if ((dl->VtxBuffer[i].col & ~IM_COL32_A_MASK) == (red & ~IM_COL32_A_MASK)) {
        lo_y = std::fmin(lo_y, dl->VtxBuffer[i].pos.y), hi_y = std::fmax(hi_y, dl->VtxBuffer[i].pos.y);
        ++series_vtx;
      }
  });
  CHECK(vtx < 200000);  // three 200k-point series, undecimated, would be millions
  CHECK(series_vtx > 0);
  // The zero line sits mid-height; the spike reaches the top (~100 px above).
  CHECK(hi_y - lo_y > 80.0f);
}

TEST_CASE("the new widgets draw in a headless frame") {
  HeadlessImGui imgui;
  Lcg rng{11};
  std::vector<float> pos(2000), neg(2000);
  for (int i = 0; i < 2000; ++i) pos[i] = rng.next() + 0.4f, neg[i] = rng.next();
  pos[0] = kNaN;
  float hp[30], hn[30];
  plot::histogram_counts(pos.data(), 2000, -0.5f, 1.5f, 30, hp);
  plot::histogram_counts(neg.data(), 2000, -0.5f, 1.5f, 30, hn);
  std::vector<float> scratch(4000), fpr(4001), tpr(4001);
  const int m = plot::roc_points(pos.data(), 2000, neg.data(), 2000, scratch.data(), fpr.data(), tpr.data(), 4001);
  const int rows = 24, cols = 32;
  std::vector<float> field(rows * cols);
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) field[r * cols + c] = std::sin(r * 0.3f) * std::cos(c * 0.2f);
  const float levels[3] = {-0.5f, 0.0f, 0.5f};
  const float path[10] = {1, 1, 5.5f, 3, kNaN, kNaN, 12, 10.25f, 20, 20};
  // Mouse positions: outside, then over each widget's area.
  for (ImVec2 mouse : {ImVec2(-100, -100), ImVec2(200, 120), ImVec2(150, 400), ImVec2(700, 300)}) {
    CAPTURE(mouse.x);
    CAPTURE(mouse.y);
    const float* counts[2] = {hp, hn};
    const char* labels[2] = {"positives", "negatives"};
    const double vlines[1] = {0.5};
    int plain = 0, overlaid = 0;
    const int vtx = imgui.frame(mouse, [&] {
      plot::histogram_plot("##hist", ImVec2(600, 220), "score", -0.5f, 1.5f, counts, labels, nullptr, 2, 30, vlines, 1);
      plot::histogram_plot("##hist1", ImVec2(300, 150), "", 0, 1, counts, nullptr, nullptr, 1, 30);
      plot::roc_curve("##roc", ImVec2(300, 300), fpr.data(), tpr.data(), m, "scores");
      ImGui::SameLine();
      const float* fs[2] = {fpr.data(), fpr.data()};
      const float* ts[2] = {tpr.data(), fpr.data()};
      const int ns[2] = {m, m};
      plot::roc_curves("##rocs", ImVec2(300, 300), fs, ts, ns, nullptr, nullptr, 2);
      ImGui::SameLine();
      ImDrawList* dl = ImGui::GetWindowDrawList();
      plot::HeatmapStyle style;
      int before = dl->VtxBuffer.Size;
      plot::heatmap("##hm0", ImVec2(300, 240), field.data(), rows, cols, style);
      plain = dl->VtxBuffer.Size - before;
      style.contour_levels = levels, style.num_contours = 3;
      style.path_xy = path, style.path_len = 5;
      before = dl->VtxBuffer.Size;
      plot::heatmap("##hm1", ImVec2(300, 240), field.data(), rows, cols, style);
      overlaid = dl->VtxBuffer.Size - before;
    });
    CHECK(vtx > 0);
    CHECK(overlaid > plain);
  }
  // The texture path draws the same overlays on the image.
  FakeImages images;
  plot::set_image_backend(&images);
  int plain = 0, overlaid = 0;
  imgui.frame(ImVec2(100, 100), [&] {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    plot::HeatmapStyle style;
    int before = dl->VtxBuffer.Size;
    plot::heatmap("##tex0", ImVec2(300, 240), field.data(), rows, cols, style);
    plain = dl->VtxBuffer.Size - before;
    style.contour_levels = levels, style.num_contours = 3;
    style.path_xy = path, style.path_len = 5;
    before = dl->VtxBuffer.Size;
    plot::heatmap("##tex1", ImVec2(300, 240), field.data(), rows, cols, style);
    overlaid = dl->VtxBuffer.Size - before;
  });
  plot::set_image_backend(nullptr);
  CHECK(images.scalar_calls > 0);
  CHECK(plain < 400);  // image quad, frame, color bar; the 24 x 32 cell rectangles would be 3072
  CHECK(overlaid > plain + 100);
}

TEST_CASE("plot CSV: x then one column per series, shared x share rows, gaps stay empty, labels quoted") {
  const float x1[] = {0, 1, 2}, y1[] = {0.5f, 0.25f, 0.125f};
  const float x2[] = {1, 2, 3}, y2[] = {10, 20, 30};
  const float y3[] = {7, 8};  // no xs: x = index
  const char* labels[] = {"train loss", "test, held out", "idx"};
  const float* xs[] = {x1, x2, nullptr};
  const float* ys[] = {y1, y2, y3};
  const int counts[] = {3, 3, 2};
  CHECK(plot::series_csv(labels, xs, ys, counts, 3) ==
        "x,train loss,\"test, held out\",idx\n"
        "0,0.5,,7\n"
        "1,0.25,10,8\n"
        "2,0.125,20,\n"
        "3,,30,\n");
  const float m[] = {1, 2, 3, 4.5f, 5, 6};
  CHECK(plot::matrix_csv(m, 2, 3) == "row,c0,c1,c2\n0,1,2,3\n1,4.5,5,6\n");
}
