// icl_softmax_regression.cpp - Lesson: "The Closeness of In-Context Learning
// and Weight Shifting for Softmax Regression" (Li, Song, Xia, Yu & Zhou, 2023,
// arXiv:2304.13276).
//
// Softmax regression: f(A, x) = softmax(A x), loss L(x) = 1/2 ||f(A, x) - b||^2.
// Training changes the weights x (weight shifting); a self-attention layer
// reading a prompt changes the data A it is given instead.  This lesson runs
// gradient descent on x over a 2-D loss landscape and, at every step, builds
// the data-side twin A_t whose outputs at the *starting* x_0 equal the
// outputs of GD at x_t exactly (engine/icl/softmax_regression.h).  It checks
// the bound both shifts share: ||f(A, x + dx) - f(A, x)|| <= 1/2 ||A||_2 ||dx||.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "engine/icl/normal.h"
#include "engine/icl/softmax_regression.h"
#include "engine/rng.h"
#include "lessons/lesson.h"
#include "ui/panel.h"
#include "ui/plots.h"

namespace pg {
namespace {

const LessonInfo kInfo = {
    "icl-softmax-regression",
    "In-context learning vs weight shifting for softmax regression",
    "Li, Song, Xia, Yu & Zhou",
    2023,
    "2304.13276",
    "",
    "B. In-context learning",
    LessonKind::icl,
    Stepping::on_play,
    "Gradient descent on the weights of softmax(Ax), and the shifted data A' that gives the same outputs.",
};

constexpr int kDim = 2;        // x lives in the plane, so the landscape can be drawn
constexpr int kGrid = 64;      // landscape cells per side
constexpr int kFramesPerRun = 150;  // a run animates over about this many frames
constexpr int kDirPoints = 41;      // the dashed x0-direction line in the rows view
constexpr int kContours = 7;        // iso-lines of log10 L on the landscape

class IclSoftmaxRegression : public Lesson {
 public:
  const LessonInfo& info() const override { return kInfo; }
  bool views_draw_from_outputs() const override { return true; }  // tests/test_worker_mirror.cpp

  void declare(Declaration& d) override {
    ParamList& p = d.params;
    p.real("lr", "learning rate η", &lr_, 0.01, 10, 1.0,
           "Step size of gradient descent on x: x ← x − η ∇L(x).  Large steps zig-zag across the valley.", true);
    p.real("scale", "scale R of A", &scale_, 0.25, 4, 2.0,
           "Entries of A are drawn from N(0, R²/d).  Larger R makes the softmax sharper and the landscape steeper.",
           true);
    p.integer("n", "outputs n", &outputs_n_, 2, 12, 6,
              "Rows of A, i.e. the length of the softmax output f(A, x) and of the target b.");
    p.integer("steps", "GD steps", &steps_, 10, 2000, 300, "Length of the run.", true);
    declare_text(d.text);
    d.view("landscape", "Loss landscape over x with the GD path, and the rows of A and of its twin Aₜ",
           [this](const ViewContext& v) { draw_main(v); });
    d.view("curves", "Per-step output change against the bound, and the loss", [this](const ViewContext& v) { draw_curves(v); });
    d.view("outputs", "Outputs now: the GD weights and the data twin agree", [this](const ViewContext&) { draw_outputs(); });
    d.metric("loss", "L(x_t) = ½ ‖f(A, x_t) − b‖² after the steps taken");
    d.metric("twin_max_abs_diff", "max over the run and the outputs of |f(A_t, x_0) − f(A, x_t)| (0 up to rounding)");
    d.metric("max_lipschitz_ratio", "max over the steps above the rounding floor of (‖Δf‖/‖Δx‖) / (½‖A‖₂): at most 1 "
                                    "(rounding moves a counted ratio by at most 1e-6)");
    d.metric("max_lipschitz_ratio_all_steps", "the same max over every step, also those below the floor, where "
                                              "‖Δf‖ is rounding noise (it can exceed 1 without violating anything)");
    d.metric("lipschitz_steps_counted", "steps whose ‖Δx‖ is at or above the rounding floor (the ones max_lipschitz_ratio "
                                        "counts)");
    d.metric("rounding_floor_last", "the rounding floor on ‖Δx‖ at the last step: 4 δ(x) / (10⁻⁶ ‖A‖₂), "
                                    "δ(x) = 2⁻⁵³ ((4d + 4) ‖A‖₂ ‖x‖ + n + 8)");
    d.metric("outputs_sum_minus_one", "max over the run of |Σ_i f(A, x_t)_i − 1|");
    d.metric("lipschitz_bound", "½‖A‖₂, the bound on ‖Δf‖/‖Δx‖");
    d.metric("gd_steps", "gradient steps taken on x");
  }

  void reset(uint64_t seed) override {
    Rng rng(seed);
    // b = softmax(A x*) for a hidden x* (the engine's sampler).  Re-drawing the
    // same numbers from a copy of the generator recovers x* for the picture;
    // it is only shown if it really has loss 0.
    Rng replay = rng;
    problem_.sample(outputs_n_, kDim, scale_, rng);
    std::vector<double> a_again(size_t(outputs_n_) * kDim);
    icl::fill_normal(replay, a_again.data(), outputs_n_ * kDim, scale_ / std::sqrt(double(kDim)));
    icl::fill_normal(replay, x_star_, kDim);
    have_x_star_ = problem_.loss(x_star_) < 1e-20;
    // x_0 on a circle of radius 3 around the origin (x_0 != 0: the twin divides by ||x_0||^2).
    const double angle = rng.uniform(0.0, 6.283185307179586);
    x0_[0] = 3.0 * std::cos(angle);
    x0_[1] = 3.0 * std::sin(angle);
    gd_.reset(problem_, x0_, lr_, steps_ + 1);
    bound_ = gd_.lipschitz_bound();

    // Buffers for the step loop and the views (step() allocates nothing).
    f_x_.assign(size_t(outputs_n_), 0.0);
    f_twin_.assign(size_t(outputs_n_), 0.0);
    history_.clear();
    for (auto& c : history_.values) c.reserve(size_t(steps_) + 1);
    history_.push({0.0f, float(gd_.loss()), NAN, NAN, NAN, NAN});
    path_.reserve((size_t(steps_) + 1) * kDim);
    rows_.assign(size_t(outputs_n_) * 4, 0.0f);
    rows_xy_.assign(size_t(outputs_n_) * 2 * 3, NAN);
    max_twin_diff_ = max_ratio_ = max_ratio_all_ = max_sum_err_ = 0.0;
    counted_ = 0;
    path_cells_.reserve((size_t(steps_) + 1) * kDim);
    measure_outputs();
    per_call_ = std::max(1, steps_ / kFramesPerRun);
    a_out_.set({outputs_n_, kDim}, problem_.A.data());
    b_out_.set({outputs_n_}, problem_.b.data());
    x0_out_.set({kDim}, x0_);
    x_star_out_.set({have_x_star_ ? kDim : 0}, x_star_);
    build_landscape();
    refresh_views();
  }

  // One unit = one GD step on x (plus the twin's check).  At most per_call_
  // units per call, so the path draws itself over a couple of seconds.
  int step(int max_steps, double budget_ms) override {
    int done = 0;
    const int limit = std::min(max_steps, per_call_);
    while (done < limit && !this->done()) {
      gd_.step(1, budget_ms);
      const int t = gd_.steps();
      const double ratio = gd_.last_ratio();
      const bool counted = gd_.last_counted();
      history_.push({float(t), float(gd_.loss()), float(ratio), float(gd_.last_dx_norm()), float(gd_.last_floor()),
                     counted ? float(ratio) : NAN});
      max_ratio_all_ = std::max(max_ratio_all_, ratio / gd_.lipschitz_bound());
      if (counted) max_ratio_ = std::max(max_ratio_, ratio / gd_.lipschitz_bound()), ++counted_;
      measure_outputs();
      ++done;
    }
    refresh_views();
    return done;
  }

  bool done() const override { return gd_.steps() >= steps_ || !std::isfinite(gd_.loss()); }

  int64_t run_length() const override { return steps_; }

  std::string problem() const override {
    return std::isfinite(gd_.loss()) ? "" : "The loss is not finite: gradient descent diverged.  Lower η and reset.";
  }

  void metrics(MetricList& out) const override {
    out.add("loss", gd_.loss());
    out.add("twin_max_abs_diff", max_twin_diff_);
    out.add("max_lipschitz_ratio", max_ratio_);
    out.add("max_lipschitz_ratio_all_steps", max_ratio_all_);
    out.add("lipschitz_steps_counted", counted_);
    out.add("rounding_floor_last", gd_.steps() > 0 ? gd_.last_floor() : 0.0);
    out.add("outputs_sum_minus_one", max_sum_err_);
    out.add("lipschitz_bound", gd_.lipschitz_bound());
    out.add("gd_steps", gd_.steps());
  }

 private:
  void declare_text(Walkthrough& t) {
    t.section("The problem")
        .paragraph("A transformer can pick up a task from examples in its prompt without changing its weights: "
                   "in-context learning.  One way to understand it is to ask whether reading the prompt does the same "
                   "thing to the model's output as a step of training would.  Li et al. study this for the softmax unit "
                   "inside attention, as a regression problem: find x so that softmax(A x) matches a target "
                   "distribution b.  Training moves x; attention, which only sees its inputs, can only move A.");
    t.section("The method")
        .paragraph("Softmax regression with data A (n × d) and weights x (d):")
        .equation("f(A, x) = softmax(A x) = exp(A x) / <exp(A x), 1ₙ>        L(x) = ½ ‖f(A, x) − b‖²")
        .paragraph("The softmax Jacobian is J = diag f − f f^T (symmetric), so the gradient is")
        .equation("∇L(x) = A^T (diag f − f f^T) (f − b)")
        .paragraph("Weight shifting is a gradient step, x ← x + Δx with Δx = −η ∇L(x).  Data shifting keeps x and "
                   "changes A.  The rank-one change")
        .equation("A' = A + (A Δx) x^T / ‖x‖²     gives     A' x = A x + A Δx,   so   f(A', x) = f(A, x + Δx)")
        .paragraph("exactly: every step on the weights has a twin on the data.  Here the twin of the whole run is "
                   "Aₜ = A + (A (xₜ − x₀)) x₀^T / ‖x₀‖², with f(Aₜ, x₀) = f(A, xₜ).  Both shifts change the output "
                   "by a bounded amount, since every eigenvalue of diag f − f f^T lies in [0, ½]:")
        .equation("‖f(A, x + Δx) − f(A, x)‖ ≤ ½ ‖A‖₂ ‖Δx‖")
        .paragraph("Teaching simplifications: d = 2 so the landscape can be drawn, b is reachable (b = softmax(A x*)), "
                   "and the twin is this explicit rank-one shift rather than the output of a trained attention "
                   "layer.  The paper's own bounds relate the two transformations with its own constants.");
    t.section("Try this")
        .bullet("Press Play: the white path is gradient descent on x from the orange start towards x* (the red cross).")
        .bullet("Watch the right plot: each row of Aₜ slides along the dashed x₀ direction, and yet f(Aₜ, x₀) is "
                "exactly the GD output f(A, xₜ).")
        .bullet("Raise η to 5 or 10: the path zig-zags, the per-step change ‖Δf‖/‖Δx‖ jumps around, but never "
                "above ½‖A‖₂.")
        .bullet("Raise R: A is larger, the softmax saturates, the landscape gets flat plateaus and steep walls.")
        .paragraph("max |f(Aₜ, x₀) − f(A, xₜ)| over the run: {twin_max_abs_diff:%.2e}.")
        .note("Zero in exact arithmetic; what remains is double-precision rounding (about 1e-16).")
        .paragraph("max over steps of (‖Δf‖/‖Δx‖) / (½‖A‖₂): {max_lipschitz_ratio:%.4f}, over the "
                   "{lipschitz_steps_counted:%.0f} of {gd_steps:%.0f} steps whose ‖Δx‖ is above the rounding floor "
                   "(now {rounding_floor_last:%.1e}).")
        .note("Must stay at or below 1.  Small steps in the steepest direction come closest.")
        .paragraph("Why a floor: once GD has converged, ‖Δx‖ is about 1e-17 and the computed Δf is rounding error, "
                   "so the measured ratio is noise (over every step it is {max_lipschitz_ratio_all_steps:%.4f}).  "
                   "Each computed output carries an error of at most δ(x) = u ((4d + 4) ‖A‖₂ ‖x‖ + n + 8), "
                   "u = 2⁻⁵³ (the error of A x, of the shift by the maximum, of exp, of the sum and the division), "
                   "so rounding can add at most 4 δ / (‖A‖₂ ‖Δx‖) to the ratio.  Steps with "
                   "‖Δx‖ ≥ 4 δ / (10⁻⁶ ‖A‖₂) are counted: rounding moves their ratio by at most 10⁻⁶.")
        .paragraph("max |Σ_i f(A, xₜ)_i − 1|: {outputs_sum_minus_one:%.2e}.");
    t.section("What the paper reports")
        .paragraph("The paper is theoretical.  It proves upper bounds on how much a single self-attention layer changes "
                   "its data and how much a gradient step on the ℓ₂ softmax regression loss changes the weights, and "
                   "argues from them that models trained by gradient descent and self-attention-only transformers behave "
                   "alike on regression tasks.  We quote no numbers from it; the live column checks the two ingredients "
                   "this lesson relies on.")
        .paper("a data shift reproduces a weight shift", "close (bounded)", "twin_max_abs_diff", "%.1e (max abs diff)",
               "Live: the rank-one twin Aₜ, an exact identity up to rounding.  The twin's explicit form is this "
               "lesson's construction.")
        .paper("output change per unit of Δx", "≤ c · ‖A‖ ‖Δx‖", "max_lipschitz_ratio", "%.3f of ½‖A‖₂",
               "Live: the worst step of this run above the rounding floor, against the constant ½‖A‖₂ derived above "
               "(ours, not the paper's).");
  }

  // f(A, x_t) and f(A_t, x_0): they must agree (the twin identity), and sum to 1.
  void measure_outputs() {
    problem_.forward(gd_.x().data(), f_x_.data());
    icl::softmax_of_affine(gd_.twin().data(), outputs_n_, kDim, x0_, f_twin_.data());
    double sum = 0.0;
    for (int i = 0; i < outputs_n_; ++i) {
      max_twin_diff_ = std::max(max_twin_diff_, std::fabs(f_twin_[i] - f_x_[i]));
      sum += f_x_[i];
    }
    max_sum_err_ = std::max(max_sum_err_, std::fabs(sum - 1.0));
  }

  // log10 L over a square box holding x_0 and x*, sampled at cell centres,
  // stored with row 0 at the top (largest x_2) as plot::heatmap draws it.
  void build_landscape() {
    double reach = std::max(std::fabs(x0_[0]), std::fabs(x0_[1]));
    if (have_x_star_) reach = std::max({reach, std::fabs(x_star_[0]), std::fabs(x_star_[1])});
    half_ = std::max(4.0, std::ceil(reach * 1.2));
    const double h = 2 * half_ / kGrid;
    std::vector<double> grid(size_t(kGrid) * kGrid);
    problem_.landscape(-half_ + h / 2, half_ - h / 2, -half_ + h / 2, half_ - h / 2, kGrid, kGrid, grid.data());
    std::vector<float> img(grid.size());
    for (int r = 0; r < kGrid; ++r)
      for (int c = 0; c < kGrid; ++c)
        img[size_t(r) * kGrid + c] = float(std::log10(std::max(grid[size_t(kGrid - 1 - r) * kGrid + c], 1e-6)));
    landscape_.set({kGrid, kGrid}, img.data());
    // Iso-lines evenly spaced in log10 L strictly inside the image's range.
    float lo = img[0], hi = img[0];
    for (float v : img) lo = std::min(lo, v), hi = std::max(hi, v);
    for (int l = 0; l < kContours; ++l) contour_levels_[l] = lo + (hi - lo) * float(l + 1) / float(kContours + 1);
    const double box[4] = {-half_, half_, -half_, half_};
    landscape_box_.set({4}, box);
  }

  // The current state for the views and the export: path, twin, outputs;
  // then what the views draw, derived from those outputs.
  void refresh_views() {
    path_.clear();
    for (int i = 0; i < gd_.path_size(); ++i) path_.insert(path_.end(), gd_.path_point(i), gd_.path_point(i) + kDim);
    path_out_.set({gd_.path_size(), kDim}, path_.data());
    twin_out_.set({outputs_n_, kDim}, gd_.twin().data());
    f_x_out_.set({outputs_n_}, f_x_.data());
    f_twin_out_.set({outputs_n_}, f_twin_.data());
    derive_view_data();
  }

  // A worker's outputs arrived (Lesson::replace_outputs): the same derivation.
  void outputs_replaced() override { derive_view_data(); }

  // From the outputs (path, A, twin) and what reset() built (x_0, the box):
  // the path in the heatmap's cell units, and the rows view's points: rows
  // a_i of A and of A_t joined by their shift, and the line through the
  // origin along x_0 (every shift is parallel to it).
  void derive_view_data() {
    const int n = outputs_n_;
    const std::vector<double>& path = path_out_.d;  // (t + 1, 2)
    const std::vector<double>& A = a_out_.d;        // (n, 2)
    const std::vector<double>& At = twin_out_.d;    // (n, 2)
    if (A.size() != size_t(n) * kDim || At.size() != size_t(n) * kDim) return;  // not this lesson's shapes
    // The path in the heatmap's cell units: column from x1, row from x2 (row 0 at the top).
    path_cells_.clear();
    for (size_t i = 0; i + 1 < path.size(); i += kDim) {
      path_cells_.push_back(float((path[i] + half_) / (2 * half_) * kGrid));
      path_cells_.push_back(float((half_ - path[i + 1]) / (2 * half_) * kGrid));
    }
    float *ax = rows_.data(), *ay = ax + n, *tx = ay + n, *ty = tx + n;  // (n,) each
    float* sx = rows_xy_.data();      // (3n,): start, end, NaN break
    float* sy = sx + size_t(n) * 3;   // (3n,)
    double reach = 0.0;
    for (int i = 0; i < n; ++i) {
      ax[i] = float(A[i * kDim]), ay[i] = float(A[i * kDim + 1]);
      tx[i] = float(At[i * kDim]), ty[i] = float(At[i * kDim + 1]);
      sx[3 * i] = ax[i], sx[3 * i + 1] = tx[i], sx[3 * i + 2] = NAN;
      sy[3 * i] = ay[i], sy[3 * i + 1] = ty[i], sy[3 * i + 2] = NAN;
      reach = std::max({reach, std::fabs(A[i * kDim]), std::fabs(A[i * kDim + 1]), std::fabs(At[i * kDim]),
                        std::fabs(At[i * kDim + 1])});
    }
    rows_reach_ = reach * 1.15 + 1e-9;
    const double x0n = std::hypot(x0_[0], x0_[1]);
    for (int k = 0; k < kDirPoints; ++k) {
      const double s = rows_reach_ * 2 * (2.0 * k / (kDirPoints - 1) - 1.0);
      dir_x_[k] = float(s * x0_[0] / x0n), dir_y_[k] = float(s * x0_[1] / x0n);
    }
  }

  // ------------------------------------------------------------------ views
  // Two squares side by side, as large as the slot allows (the main view);
  // stacked on a narrow screen.  Captions wrap within their square.
  void draw_main(const ViewContext& v) const {
    const float gap = ImGui::GetStyle().ItemSpacing.x, line = ImGui::GetTextLineHeightWithSpacing();
    // Side by side when there is a slot to fill (the main view, also on a
    // phone: two small squares beat a column taller than the screen).
    const bool stacked = v.width < v.font_size * 36 && v.height <= 0;
    float side = stacked ? v.width : (v.width - gap) * 0.5f;
    if (v.height > 0) side = std::max(v.font_size * 6, std::min(side, v.height - 3.5f * line));
    else side = std::min(side, v.font_size * 22);
    ImGui::BeginGroup();
    ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + side);
    ImGui::TextUnformatted("Loss landscape over x and the GD path");
    draw_landscape(side);
    ImGui::PopTextWrapPos();
    ImGui::EndGroup();
    if (!stacked) ImGui::SameLine();
    ImGui::BeginGroup();
    ImGui::TextUnformatted("Rows of A and of its twin Aₜ");
    draw_twin_rows(side);
    ImGui::EndGroup();
  }

  // The heatmap is drawn square without a color bar, so its item rectangle is
  // exactly the box [-half, half]^2; the iso-lines and the GD path (in cell
  // units, from refresh_views) are the heatmap's own overlays, the markers go on top.
  void draw_landscape(float side) const {
    plot::HeatmapStyle style;
    style.colorbar = false;
    style.contour_levels = contour_levels_;
    style.num_contours = kContours;
    style.path_xy = path_cells_.data();
    style.path_len = int(path_cells_.size() / kDim);
    plot::heatmap("##landscape", ImVec2(side, side), landscape_.f.data(), kGrid, kGrid, style);
    const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
    auto to_px = [&](const double* x) {
      return ImVec2(a.x + float((x[0] + half_) / (2 * half_)) * (b.x - a.x),
                    a.y + float((half_ - x[1]) / (2 * half_)) * (b.y - a.y));
    };
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const float font = ImGui::GetFontSize(), thick = std::max(1.5f, font / 8.0f);
    dl->PushClipRect(a, b, true);
    // Axes through the origin.
    const double o[2] = {0, 0};
    const ImVec2 po = to_px(o);
    dl->AddLine(ImVec2(a.x, po.y), ImVec2(b.x, po.y), IM_COL32(255, 255, 255, 60));
    dl->AddLine(ImVec2(po.x, a.y), ImVec2(po.x, b.y), IM_COL32(255, 255, 255, 60));
    dl->AddCircleFilled(to_px(x0_), font * 0.35f, plot::palette(1));
    if (have_x_star_) {
      const ImVec2 s = to_px(x_star_);
      const float r = font * 0.4f;
      dl->AddLine(ImVec2(s.x - r, s.y - r), ImVec2(s.x + r, s.y + r), plot::palette(3), thick);
      dl->AddLine(ImVec2(s.x - r, s.y + r), ImVec2(s.x + r, s.y - r), plot::palette(3), thick);
    }
    dl->PopClipRect();
    // Corner labels instead of full axes.
    char buf[32];
    std::snprintf(buf, sizeof buf, "%+.0f", half_);
    dl->AddText(ImVec2(b.x - ImGui::CalcTextSize(buf).x - 3, po.y + 2), IM_COL32(255, 255, 255, 200), buf);
    dl->AddText(ImVec2(po.x + 3, a.y + 2), IM_COL32(255, 255, 255, 200), buf);
    ImGui::TextDisabled("x₁ →, x₂ ↑;  color: log₁₀ L(x), dark = low; lines: equal loss");
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(plot::palette(1)), "●");
    ImGui::SameLine(0, 2);
    ImGui::TextDisabled("x₀   ○ xₜ   ");
    ImGui::SameLine(0, 0);
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(plot::palette(3)), "×");
    ImGui::SameLine(0, 2);
    ImGui::TextDisabled(have_x_star_ ? "x* (loss 0)" : "");
  }

  // Rows a_i of A and rows of A_t = A + (A Δx) x₀^T / ||x₀||², joined by the
  // shift.  Every shift is parallel to x₀ (dashed line through the origin).
  void draw_twin_rows(float side) const {
    const int n = outputs_n_;
    const float *ax = rows_.data(), *ay = ax + n, *tx = ay + n, *ty = tx + n;
    const float *sx = rows_xy_.data(), *sy = sx + size_t(n) * 3;
    plot::LinePlot p("##rows", ImVec2(side, side));
    p.axes("column 1", "column 2");
    p.x_range(-rows_reach_, rows_reach_);
    p.y_range(-rows_reach_, rows_reach_);
    p.line("x₀ direction", dir_x_, dir_y_, kDirPoints, plot::ink(0.5f), true);
    p.line("shift", sx, sy, 3 * n, plot::ink(0.6f));
    p.points("rows of A", ax, ay, n, plot::palette(0));
    p.points("rows of Aₜ", tx, ty, n, plot::palette(1));
    p.draw();
  }

  void draw_curves(const ViewContext& v) const {
    const Series& h = history_;
    const float w = ui::column_width(2), height = v.height > 0 ? v.height : v.font_size * 13;
    {
      plot::LinePlot p("##ratio", ImVec2(w, height));
      p.axes("step", "‖Δf‖ / ‖Δx‖ per step");
      p.x_range(0, steps_);
      p.y_range(0, 1.2 * bound_);
      p.line("below the floor (noise)", h.col(0), h.col(2), h.rows(), plot::ink(0.35f));
      p.line("counted", h.col(0), h.col(5), h.rows(), plot::palette(0));
      p.hline(bound_, "½‖A‖₂", plot::palette(3));
      p.draw();
    }
    ui::next_column(w);
    {
      plot::LinePlot p("##loss", ImVec2(w, height));
      p.axes("step", "loss L(xₜ), step ‖Δx‖", true);
      p.x_range(0, steps_);
      p.line("loss", h.col(0), h.col(1), h.rows(), plot::palette(2));
      p.line("‖Δx‖", h.col(0), h.col(3), h.rows(), plot::palette(4));
      p.line("rounding floor", h.col(0), h.col(4), h.rows(), plot::palette(3), true);
      p.draw();
    }
  }

  void draw_outputs() const {
    ImGui::TextDisabled("step %d", history_.rows() - 1);
    if (!ImGui::BeginTable("##outputs", 4, ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingFixedFit))
      return;
    ImGui::TableSetupColumn("i");
    ImGui::TableSetupColumn("target b_i");
    ImGui::TableSetupColumn("f(A, xₜ)_i  (weights moved)");
    ImGui::TableSetupColumn("f(Aₜ, x₀)_i  (data moved)");
    ImGui::TableHeadersRow();
    for (int i = 0; i < outputs_n_; ++i) {
      ImGui::TableNextRow();
      ImGui::TableSetColumnIndex(0);
      ImGui::Text("%d", i + 1);
      ImGui::TableSetColumnIndex(1);
      ImGui::Text("%.6f", b_out_.d[size_t(i)]);
      ImGui::TableSetColumnIndex(2);
      ImGui::Text("%.15f", f_x_out_.d[size_t(i)]);
      ImGui::TableSetColumnIndex(3);
      ImGui::Text("%.15f", f_twin_out_.d[size_t(i)]);
    }
    ImGui::EndTable();
  }

  double lr_ = 1.0, scale_ = 2.0;
  int outputs_n_ = 6, steps_ = 300;
  icl::SoftmaxRegression problem_;
  icl::SoftmaxRegressionGd gd_;
  double x0_[kDim] = {}, x_star_[kDim] = {};
  bool have_x_star_ = false;
  int per_call_ = 1;
  std::vector<double> f_x_, f_twin_;  // (n,) f(A, x_t) and f(A_t, x_0)
  std::vector<double> path_;          // (t + 1, 2) scratch for path_out_ (reserved at reset)
  double max_twin_diff_ = 0, max_ratio_ = 0, max_ratio_all_ = 0, max_sum_err_ = 0;
  int counted_ = 0;                   // steps above the rounding floor
  std::vector<float> path_cells_;     // (t + 1, 2) the path in the landscape's cell units (reserved at reset)
  float contour_levels_[kContours] = {};
  double half_ = 4;                   // the landscape box is [-half, half]^2
  double bound_ = 0;                  // ½‖A‖₂
  // The rows view's points (refresh_views): rows of A and A_t 4 x (n,), shift segments 2 x (3n,).
  std::vector<float> rows_, rows_xy_;
  float dir_x_[kDirPoints] = {}, dir_y_[kDirPoints] = {};
  double rows_reach_ = 1;

  // Outputs.  history: per step, L(x_t), ‖Δf‖/‖Δx‖ of the step, ‖Δx‖, the rounding
  // floor on ‖Δx‖, and the ratio again where ‖Δx‖ >= floor (NaN elsewhere; all NaN at step 0).
  // max_lipschitz_ratio = max(ratio_counted) / lipschitz_bound.
  Series& history_ = outputs_.series("history", {"step", "loss", "ratio", "dx_norm", "dx_floor", "ratio_counted"});
  Array& a_out_ = outputs_.array("A");                       // (n, 2) f64 the data A
  Array& b_out_ = outputs_.array("b");                       // (n,) f64 the target distribution
  Array& x0_out_ = outputs_.array("x0");                     // (2,) f64 the start
  Array& x_star_out_ = outputs_.array("x_star");             // (2,) f64 x* with loss 0, or (0,) if not recovered
  Array& path_out_ = outputs_.array("path");                 // (t + 1, 2) f64 the GD path x_0 .. x_t
  Array& twin_out_ = outputs_.array("twin");                 // (n, 2) f64 the data twin A_t
  Array& f_x_out_ = outputs_.array("f_weights");             // (n,) f64 f(A, x_t)
  Array& f_twin_out_ = outputs_.array("f_twin");             // (n,) f64 f(A_t, x_0)
  Array& landscape_ = outputs_.array("landscape");           // (64, 64) log10 L at cell centres, row 0 at the top
  Array& landscape_box_ = outputs_.array("landscape_box");   // (4,) f64: x1_min, x1_max, x2_min, x2_max
};

}  // namespace

PG_REGISTER_LESSON(IclSoftmaxRegression, 9);

}  // namespace pg
