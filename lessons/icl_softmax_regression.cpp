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
#include "web/plots.h"
#include "web/ui.h"

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
    "Gradient descent on the weights of softmax(Ax), and the shifted data A' that gives the same outputs.",
};

constexpr int kDim = 2;        // x lives in the plane, so the landscape can be drawn
constexpr int kGrid = 64;      // landscape cells per side
constexpr int kFramesPerRun = 150;  // a run animates over about this many frames

class IclSoftmaxRegression : public Lesson {
 public:
  const LessonInfo& info() const override { return kInfo; }

  void declare(ParamList& p) override {
    p.real("lr", "learning rate η", &lr_, 0.01, 10, 1.0,
           "Step size of gradient descent on x: x ← x − η ∇L(x).  Large steps zig-zag across the valley.", true);
    p.real("scale", "scale R of A", &scale_, 0.25, 4, 2.0,
           "Entries of A are drawn from N(0, R²/d).  Larger R makes the softmax sharper and the landscape steeper.",
           true);
    p.integer("n", "outputs n", &outputs_, 2, 12, 6,
              "Rows of A, i.e. the length of the softmax output f(A, x) and of the target b.");
    p.integer("steps", "GD steps", &steps_, 10, 2000, 300, "Length of the run.", true);
  }

  void reset(uint64_t seed) override {
    Rng rng(seed);
    // b = softmax(A x*) for a hidden x* (the engine's sampler).  Re-drawing the
    // same numbers from a copy of the generator recovers x* for the picture;
    // it is only shown if it really has loss 0.
    Rng replay = rng;
    problem_.sample(outputs_, kDim, scale_, rng);
    std::vector<double> a_again(size_t(outputs_) * kDim);
    icl::fill_normal(replay, a_again.data(), outputs_ * kDim, scale_ / std::sqrt(double(kDim)));
    icl::fill_normal(replay, x_star_, kDim);
    have_x_star_ = problem_.loss(x_star_) < 1e-20;
    // x_0 on a circle of radius 3 around the origin (x_0 != 0: the twin divides by ||x_0||^2).
    const double angle = rng.uniform(0.0, 6.283185307179586);
    x0_[0] = 3.0 * std::cos(angle);
    x0_[1] = 3.0 * std::sin(angle);
    gd_.reset(problem_, x0_, lr_, steps_ + 1);

    // Buffers for the step loop and the panel (step() allocates nothing).
    f_x_.assign(size_t(outputs_), 0.0);
    f_twin_.assign(size_t(outputs_), 0.0);
    loss_hist_.assign(size_t(steps_) + 1, NAN);
    ratio_hist_.assign(size_t(steps_) + 1, NAN);
    loss_hist_[0] = float(gd_.loss());
    rows_.assign(size_t(outputs_) * 4, 0.0f);
    rows_xy_.assign(size_t(outputs_) * 2 * 3, NAN);
    max_twin_diff_ = max_ratio_ = max_sum_err_ = 0.0;
    measure_outputs();
    per_call_ = std::max(1, steps_ / kFramesPerRun);
    build_landscape();
  }

  // One unit = one GD step on x (plus the twin's check).  At most per_call_
  // units per call, so the path draws itself over a couple of seconds.
  int step(int max_steps, double budget_ms) override {
    int done = 0;
    const int limit = std::min(max_steps, per_call_);
    while (done < limit && !this->done()) {
      gd_.step(1, budget_ms);
      const int t = gd_.steps();
      loss_hist_[t] = float(gd_.loss());
      ratio_hist_[t] = float(gd_.last_ratio());
      max_ratio_ = std::max(max_ratio_, gd_.last_ratio() / gd_.lipschitz_bound());
      measure_outputs();
      ++done;
    }
    return done;
  }

  bool done() const override { return gd_.steps() >= steps_ || !std::isfinite(gd_.loss()); }

  std::string problem() const override {
    return std::isfinite(gd_.loss()) ? "" : "The loss is not finite: gradient descent diverged.  Lower η and reset.";
  }

  void metrics(MetricList& out) const override {
    out.add("loss", gd_.loss());
    out.add("twin_max_abs_diff", max_twin_diff_);
    out.add("max_lipschitz_ratio", max_ratio_);
    out.add("outputs_sum_minus_one", max_sum_err_);
    out.add("lipschitz_bound", gd_.lipschitz_bound());
    out.add("gd_steps", gd_.steps());
  }

  void draw(PanelContext& ctx) override;

 private:
  // f(A, x_t) and f(A_t, x_0): they must agree (the twin identity), and sum to 1.
  void measure_outputs() {
    problem_.forward(gd_.x().data(), f_x_.data());
    icl::softmax_of_affine(gd_.twin().data(), outputs_, kDim, x0_, f_twin_.data());
    double sum = 0.0;
    for (int i = 0; i < outputs_; ++i) {
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
    landscape_.resize(grid.size());
    for (int r = 0; r < kGrid; ++r)
      for (int c = 0; c < kGrid; ++c)
        landscape_[r * kGrid + c] = float(std::log10(std::max(grid[(kGrid - 1 - r) * kGrid + c], 1e-6)));
  }

  void draw_landscape(float side);
  void draw_twin_rows(float side);

  double lr_ = 1.0, scale_ = 2.0;
  int outputs_ = 6, steps_ = 300;
  icl::SoftmaxRegression problem_;
  icl::SoftmaxRegressionGd gd_;
  double x0_[kDim] = {}, x_star_[kDim] = {};
  bool have_x_star_ = false;
  int per_call_ = 1;
  std::vector<double> f_x_, f_twin_;
  std::vector<float> loss_hist_, ratio_hist_;  // (steps + 1,), index = step
  std::vector<float> rows_;                    // panel scratch: rows of A and A_t, 4 x (n,)
  std::vector<float> rows_xy_;                 // panel scratch: shift segments, 2 x (3n,)
  double max_twin_diff_ = 0, max_ratio_ = 0, max_sum_err_ = 0;
  double half_ = 4;                 // the landscape box is [-half, half]^2
  std::vector<float> landscape_;    // (kGrid, kGrid) log10 loss
};

// ----------------------------------------------------------- landscape + path
// The heatmap is drawn square without a color bar, so its item rectangle is
// exactly the box [-half, half]^2 and the path can be drawn over it.
void IclSoftmaxRegression::draw_landscape(float side) {
  plot::HeatmapStyle style;
  style.colorbar = false;
  plot::heatmap("##landscape", ImVec2(side, side), landscape_.data(), kGrid, kGrid, style);
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
  // The GD path x_0, x_1, ..., x_t.
  ImVec2 prev = to_px(gd_.path_point(0));
  for (int i = 1; i < gd_.path_size(); ++i) {
    const ImVec2 p = to_px(gd_.path_point(i));
    dl->AddLine(prev, p, IM_COL32(255, 255, 255, 230), thick);
    prev = p;
  }
  dl->AddCircleFilled(to_px(gd_.path_point(0)), font * 0.35f, plot::palette(1));
  dl->AddCircleFilled(to_px(gd_.x().data()), font * 0.35f, IM_COL32(255, 255, 255, 255));
  dl->AddCircle(to_px(gd_.x().data()), font * 0.35f, IM_COL32(0, 0, 0, 255));
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
  ImGui::TextDisabled("x₁ →, x₂ ↑;  color: log₁₀ L(x), dark = low");
  ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(plot::palette(1)), "●");
  ImGui::SameLine(0, 2);
  ImGui::TextDisabled("x₀   ○ xₜ   ");
  ImGui::SameLine(0, 0);
  ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(plot::palette(3)), "×");
  ImGui::SameLine(0, 2);
  ImGui::TextDisabled(have_x_star_ ? "x* (loss 0)" : "");
}

// ------------------------------------------------------- the data twin's rows
// Rows a_i of A and rows of A_t = A + (A Δx) x₀^T / ||x₀||², joined by the
// shift.  Every shift is parallel to x₀ (dashed line through the origin).
void IclSoftmaxRegression::draw_twin_rows(float side) {
  const int n = outputs_;
  const std::vector<double>& A = problem_.A;
  const std::vector<double>& At = gd_.twin();
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
  reach = reach * 1.15 + 1e-9;
  const double x0n = std::hypot(x0_[0], x0_[1]);
  // The line through the origin along x0, as many short pieces so it can be dashed.
  constexpr int kDirPoints = 41;
  float dir_x[kDirPoints], dir_y[kDirPoints];
  for (int k = 0; k < kDirPoints; ++k) {
    const double s = reach * 2 * (2.0 * k / (kDirPoints - 1) - 1.0);
    dir_x[k] = float(s * x0_[0] / x0n), dir_y[k] = float(s * x0_[1] / x0n);
  }
  plot::LinePlot p("##rows", ImVec2(side, side));
  p.axes("column 1", "column 2");
  p.x_range(-reach, reach);
  p.y_range(-reach, reach);
  p.line("x₀ direction", dir_x, dir_y, kDirPoints, plot::ink(0.5f), true);
  p.line("shift", sx, sy, 3 * n, plot::ink(0.6f));
  p.points("rows of A", ax, ay, n, plot::palette(0));
  p.points("rows of Aₜ", tx, ty, n, plot::palette(1));
  p.draw();
}

void IclSoftmaxRegression::draw(PanelContext& ctx) {
  if (ui::section("The problem")) {
    ui::paragraph(
        "A transformer can pick up a task from examples in its prompt without changing its weights: "
        "in-context learning.  One way to understand it is to ask whether reading the prompt does the same "
        "thing to the model's output as a step of training would.  Li et al. study this for the softmax unit "
        "inside attention, as a regression problem: find x so that softmax(A x) matches a target "
        "distribution b.  Training moves x; attention, which only sees its inputs, can only move A.");
  }
  if (ui::section("The method")) {
    ui::paragraph("Softmax regression with data A (n × d) and weights x (d):");
    ui::equation("f(A, x) = softmax(A x) = exp(A x) / <exp(A x), 1ₙ>        L(x) = ½ ‖f(A, x) − b‖²");
    ui::paragraph("The softmax Jacobian is J = diag f − f f^T (symmetric), so the gradient is");
    ui::equation("∇L(x) = A^T (diag f − f f^T) (f − b)");
    ui::paragraph("Weight shifting is a gradient step, x ← x + Δx with Δx = −η ∇L(x).  Data shifting keeps x and "
                  "changes A.  The rank-one change");
    ui::equation("A' = A + (A Δx) x^T / ‖x‖²     gives     A' x = A x + A Δx,   so   f(A', x) = f(A, x + Δx)");
    ui::paragraph("exactly: every step on the weights has a twin on the data.  Here the twin of the whole run is "
                  "Aₜ = A + (A (xₜ − x₀)) x₀^T / ‖x₀‖², with f(Aₜ, x₀) = f(A, xₜ).  Both shifts change the output "
                  "by a bounded amount, since every eigenvalue of diag f − f f^T lies in [0, ½]:");
    ui::equation("‖f(A, x + Δx) − f(A, x)‖ ≤ ½ ‖A‖₂ ‖Δx‖");
    ui::paragraph("Teaching simplifications: d = 2 so the landscape can be drawn, b is reachable (b = softmax(A x*)), "
                  "and the twin is this explicit rank-one shift rather than the output of a trained attention "
                  "layer.  The paper's own bounds relate the two transformations with its own constants.");
  }
  if (ui::section("Try this")) {
    ui::all_knobs(ctx);
    ui::bullet("Press Play: the white path is gradient descent on x from the orange start towards x* (the red cross).");
    ui::bullet("Watch the right plot: each row of Aₜ slides along the dashed x₀ direction, and yet f(Aₜ, x₀) is "
               "exactly the GD output f(A, xₜ).");
    ui::bullet("Raise η to 5 or 10: the path zig-zags, the per-step change ‖Δf‖/‖Δx‖ jumps around, but never "
               "above ½‖A‖₂.");
    ui::bullet("Raise R: A is larger, the softmax saturates, the landscape gets flat plateaus and steep walls.");
    ImGui::Spacing();
    const float avail = ImGui::GetContentRegionAvail().x, gap = ImGui::GetStyle().ItemSpacing.x;
    const float side = std::min((avail - gap) * 0.5f, ImGui::GetFontSize() * 22.0f);
    ImGui::BeginGroup();
    ImGui::TextUnformatted("Loss landscape over x and the GD path");
    draw_landscape(side);
    ImGui::EndGroup();
    ImGui::SameLine();
    ImGui::BeginGroup();
    ImGui::TextUnformatted("Rows of A and of its twin Aₜ");
    draw_twin_rows(side);
    ImGui::EndGroup();

    const int count = gd_.steps() + 1;
    const float w = (avail - gap) * 0.5f;
    {
      plot::LinePlot p("##ratio", ImVec2(w, ImGui::GetFontSize() * 13));
      p.axes("step", "‖Δf‖ / ‖Δx‖ per step");
      p.x_range(0, steps_);
      p.y_range(0, 1.2 * gd_.lipschitz_bound());
      p.line("measured", nullptr, ratio_hist_.data(), count, plot::palette(0));
      p.hline(gd_.lipschitz_bound(), "½‖A‖₂", plot::palette(3));
      p.draw();
    }
    ImGui::SameLine();
    {
      plot::LinePlot p("##loss", ImVec2(w, ImGui::GetFontSize() * 13));
      p.axes("step", "loss L(xₜ)", true);
      p.x_range(0, steps_);
      p.line("GD on x", nullptr, loss_hist_.data(), count, plot::palette(2));
      p.draw();
    }

    ImGui::Text("Outputs at step %d: the GD weights and the data twin agree", gd_.steps());
    if (ImGui::BeginTable("##outputs", 4, ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingFixedFit)) {
      ImGui::TableSetupColumn("i");
      ImGui::TableSetupColumn("target b_i");
      ImGui::TableSetupColumn("f(A, xₜ)_i  (weights moved)");
      ImGui::TableSetupColumn("f(Aₜ, x₀)_i  (data moved)");
      ImGui::TableHeadersRow();
      for (int i = 0; i < outputs_; ++i) {
        ImGui::TableNextRow();
        ImGui::TableSetColumnIndex(0);
        ImGui::Text("%d", i + 1);
        ImGui::TableSetColumnIndex(1);
        ImGui::Text("%.6f", problem_.b[i]);
        ImGui::TableSetColumnIndex(2);
        ImGui::Text("%.15f", f_x_[i]);
        ImGui::TableSetColumnIndex(3);
        ImGui::Text("%.15f", f_twin_[i]);
      }
      ImGui::EndTable();
    }
    ui::metric("max |f(Aₜ, x₀) − f(A, xₜ)| over the run:", "%.2e", max_twin_diff_);
    ui::help_marker("Zero in exact arithmetic; what remains is double-precision rounding (about 1e-16).");
    ui::metric("max over steps of (‖Δf‖/‖Δx‖) / (½‖A‖₂):", "%.4f", max_ratio_);
    ui::help_marker("Must stay at or below 1.  Small steps in the steepest direction come closest.");
    ui::metric("max |Σ_i f(A, xₜ)_i − 1|:", "%.2e", max_sum_err_);
  }
  if (ui::section("What the paper reports")) {
    ui::paragraph(
        "The paper is theoretical.  It proves upper bounds on how much a single self-attention layer changes "
        "its data and how much a gradient step on the ℓ₂ softmax regression loss changes the weights, and "
        "argues from them that models trained by gradient descent and self-attention-only transformers behave "
        "alike on regression tasks.  We quote no numbers from it; the live column checks the two ingredients "
        "this lesson relies on.");
    const ui::PaperRow rows[] = {
        {"a data shift reproduces a weight shift", "close (bounded)", max_twin_diff_,
         "%.1e (max abs diff)", "Live: the rank-one twin Aₜ, an exact identity up to rounding.  The twin's "
                                "explicit form is this lesson's construction."},
        {"output change per unit of Δx", "≤ c · ‖A‖ ‖Δx‖", max_ratio_, "%.3f of ½‖A‖₂",
         "Live: the worst step of this run against the constant ½‖A‖₂ derived above (ours, not the paper's)."},
    };
    ui::paper_table("##paper", rows, 2);
  }
}

}  // namespace

std::unique_ptr<Lesson> make_icl_softmax_regression() { return std::make_unique<IclSoftmaxRegression>(); }

}  // namespace pg
