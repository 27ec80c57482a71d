// z_loss.cpp - Lesson: "The Z-loss: a shift and scale invariant classification
// loss belonging to the Spherical Family" (de Brebisson & Vincent, 2016,
// arXiv:1604.08859).
//
// The same network is trained twice from the same initialization on the same
// mini-batches: once with softmax cross-entropy, once with the Z-loss, which
// standardizes the D output scores (z-scores) and asks only that the true
// class's z-score exceed b.  The views show the z-scores of one test sample
// under each head, against the bound max z_c = sqrt(D - 1), and both runs
// (top-1 and top-k accuracy, curves, decision regions or confusion matrices).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

#include "engine/nn/losses_margin.h"
#include "engine/nn/losses_softmax.h"
#include "lessons/trainer_lesson.h"
#include "ui/panel.h"
#include "ui/plots.h"

namespace pg {
namespace {

const LessonInfo kInfo = {
    "z-loss",
    "The Z-loss",
    "de Brebisson & Vincent",
    2016,
    "1604.08859",
    "",
    "C. Losses on top of softmax",
    LessonKind::trainer,
    Stepping::on_play,
    "A shift- and scale-invariant loss on z-scored outputs, trained side by side with softmax cross-entropy.",
};

constexpr int kShown = 16;        // test samples whose z-scores are kept (spread over the test set)
constexpr int kRefreshSteps = 25;  // z-scores are recomputed every this many steps
constexpr int kRunCe = 0, kRunZ = 1;

// ---------------------------------------------------------------- z-score bars
// One column per class, signed around 0; the true class in its run's color,
// the others faint.  Dashed lines at +-sqrt(D - 1) (the largest and smallest
// z-score any D-vector can have) and a thin line at b (the loss's target).
void z_bars(const char* id, ImVec2 size, const float* z, int C, int true_class, double bound, double b,
            ImU32 color) {
  const float font = ImGui::GetFontSize();
  const ImVec2 p0 = ImGui::GetCursorScreenPos();
  ImGui::InvisibleButton(id, size);
  const bool hovered = ImGui::IsItemHovered();
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const float left = p0.x + font * 3.0f, right = p0.x + size.x - font * 6.5f;
  const float top = p0.y + font * 0.6f, bottom = p0.y + size.y - font * 1.6f;
  const double lim = bound * 1.15;
  auto to_y = [&](double v) { return float(top + (lim - v) / (2 * lim) * (bottom - top)); };
  dl->AddRectFilled(ImVec2(left, top), ImVec2(right, bottom), ImGui::GetColorU32(ImGuiCol_FrameBg, 0.6f));
  // reference lines with labels on the right
  auto ref = [&](double v, const char* label, ImU32 col, bool dashed) {
    const float y = to_y(v);
    if (dashed) {
      for (float x = left; x < right; x += font * 0.8f)
        dl->AddLine(ImVec2(x, y), ImVec2(std::min(x + font * 0.45f, right), y), col, 1.5f);
    } else {
      dl->AddLine(ImVec2(left, y), ImVec2(right, y), col, 1.0f);
    }
    dl->AddText(ImVec2(right + font * 0.3f, y - font * 0.5f), col, label);
  };
  char buf[64];
  ref(0.0, "0", plot::ink(0.5f), false);
  std::snprintf(buf, sizeof buf, "+%.2f", bound);
  ref(bound, buf, plot::palette(3), true);
  std::snprintf(buf, sizeof buf, "-%.2f", bound);
  ref(-bound, buf, plot::ink(0.4f), true);
  std::snprintf(buf, sizeof buf, "b = %.2f", b);
  ref(b, buf, plot::palette(2, 0.9f), false);
  // y ticks at integers
  for (int t = -int(lim); t <= int(lim); ++t) {
    std::snprintf(buf, sizeof buf, "%d", t);
    const float y = to_y(t);
    dl->AddText(ImVec2(left - font * 0.4f - ImGui::CalcTextSize(buf).x, y - font * 0.5f), plot::ink(0.7f), buf);
  }
  const float col_w = (right - left) / (C > 0 ? C : 1);
  const ImVec2 mouse = ImGui::GetIO().MousePos;
  for (int k = 0; k < C; ++k) {
    const float x0 = left + k * col_w + col_w * 0.18f, x1 = left + (k + 1) * col_w - col_w * 0.18f;
    const float v = std::isfinite(z[k]) ? z[k] : 0.0f;
    const float y0 = to_y(0.0), y1 = to_y(v);
    const bool is_true = k == true_class;
    dl->AddRectFilled(ImVec2(x0, std::min(y0, y1)), ImVec2(x1, std::max(y0, y1)), is_true ? color : plot::ink(0.3f),
                      2.0f);
    if (is_true) dl->AddRect(ImVec2(x0, std::min(y0, y1)), ImVec2(x1, std::max(y0, y1)), plot::ink(0.9f), 2.0f, 0, 1.5f);
    std::snprintf(buf, sizeof buf, "%d", k);
    const float tw = ImGui::CalcTextSize(buf).x;
    dl->AddText(ImVec2((x0 + x1 - tw) * 0.5f, bottom + font * 0.2f), is_true ? color : plot::ink(0.8f), buf);
    if (hovered && mouse.x >= left + k * col_w && mouse.x < left + (k + 1) * col_w)
      ImGui::SetTooltip("class %d%s: z = %.4f", k, is_true ? " (true class)" : "", double(z[k]));
  }
  dl->AddRect(ImVec2(left, top), ImVec2(right, bottom), plot::ink(0.35f));
}

// ------------------------------------------------------------------- the lesson
class ZLossLesson : public TrainerLesson {
 public:
  ZLossLesson()
      : z_out_(outputs_.array("z_scores")),
        sample_index_out_(outputs_.array("z_sample_index")),
        sample_label_out_(outputs_.array("z_sample_label")),
        z_step_out_(outputs_.array("z_scores_step")) {}

  bool views_draw_from_outputs() const override { return true; }  // tests/test_worker_mirror.cpp

  const LessonInfo& info() const override { return kInfo; }

  void declare(Declaration& d) override {
    ParamList& p = d.params;
    declare_training(d, kDigits, 1500, 0.005, kBlobs, kFashionMnist);
    p.real("a", "steepness a", &a_, 0.05, 10, 1,
           "a in L = (1/a) softplus(a (b - z_c)).  Large a: a hinge at z_c = b (samples past b stop pulling).  "
           "Small a: a soft ramp that keeps pushing every sample.",
           true);
    p.real("b", "target b", &b_, 0, 3, 1,
           "b in L = (1/a) softplus(a (b - z_c)): the z-score the true class should reach.  No z-score can exceed "
           "sqrt(D - 1) (1.41 for 3 classes, 3 for 10), so larger values are clamped to that bound.");
    ParamSpec& s = p.integer("sample", "shown test sample", &sample_, 0, kShown - 1, 0,
                             "Which of 16 test samples (spread evenly over the test set) the z-score bars show.");
    s.restarts = false;
    declare_text(d.text);
    d.view("zscores", "z-scores of one test sample under each head", [this](const ViewContext& v) { draw_z_scores(v); });
    declare_summary_view(d);
    declare_curves_view(d);
    declare_results_view(d, "What each head learned: decision regions (toys) or confusion matrices (images)");
    d.metric("test_acc_zloss", "test accuracy of the Z-loss head (fraction; whole test set after the run)");
    d.metric("test_acc_ce", "test accuracy of the softmax cross-entropy head");
    d.metric("top_k_acc_zloss", "top-k test accuracy of the Z-loss head (k = top_k)");
    d.metric("top_k_acc_ce", "top-k test accuracy of the softmax cross-entropy head");
    d.metric("top_k", "the k of the top-k accuracies (2 on toys, 3 on image sets)");
    d.metric("max_z_c", "largest true-class z-score of the 16 shown test samples, over both heads");
    d.metric("z_bound", "sqrt(D - 1), the largest z-score any D-vector can have");
    d.metric("b_used", "the target b the Z-loss uses: the knob b clamped to sqrt(D - 1)");
    d.metric("train_loss_zloss", "smoothed mini-batch loss of the Z-loss head");
    d.metric("train_loss_ce", "smoothed mini-batch loss of the softmax cross-entropy head");
    d.metric("steps_trained", "optimizer steps taken by each head");
  }

  void add_runs(const nn::ModelSpec& spec, const nn::OptimizerConfig& adam) override {
    const int D = trainer_.train_data().classes;
    bound_ = std::sqrt(double(D > 1 ? D - 1 : 1));
    b_used_ = std::min(b_, bound_);
    trainer_.add_run("softmax CE", spec, std::make_unique<nn::SoftmaxCrossEntropy>(), adam);
    trainer_.add_run("Z-loss", spec, std::make_unique<nn::ZLoss>(float(a_), float(b_used_)), adam);
  }

  void after_reset() override {
    const data::Dataset& test = trainer_.test_data();
    classes_ = test.classes;
    shown_ = std::min(kShown, test.n);
    x_.assign(size_t(shown_) * test.dim, 0.0f);
    y_.assign(size_t(shown_), 0);
    idx_.assign(size_t(shown_), 0);
    data::SpreadRows(shown_, test.n).fill(idx_.data(), shown_);
    test.gather(idx_.data(), shown_, x_.data(), y_.data());
    const std::vector<float> index(idx_.begin(), idx_.end()), label(y_.begin(), y_.end());
    sample_index_out_.set({shown_}, index.data());
    sample_label_out_.set({shown_}, label.data());
    z_out_.set({2, shown_, classes_}, std::vector<float>(size_t(2) * shown_ * classes_, 0.0f).data());
    row_.assign(size_t(classes_), 0.0);
    max_z_c_ = NAN;
    refreshed_at_ = 0;
    const float step = 0;
    z_step_out_.set({1}, &step);
  }

  int view_refresh_steps() const override { return kRefreshSteps; }

  // z-scores of the kShown test samples under both heads, (2, shown, D).
  void refresh_views() override {
    if (shown_ == 0) return;
    refreshed_at_ = trainer_.steps_done();
    const float step = float(refreshed_at_);
    z_step_out_.set({1}, &step);
    double best = -INFINITY;
    for (int r = 0; r < 2; ++r) {
      const float* o = trainer_.run(r).model.forward(x_.data(), shown_);  // (shown, D)
      float* z = z_out_.f.data() + size_t(r) * shown_ * classes_;
      for (int i = 0; i < shown_; ++i) {
        nn::ZLoss::z_scores(o + size_t(i) * classes_, classes_, row_.data());
        for (int k = 0; k < classes_; ++k) z[size_t(i) * classes_ + k] = float(row_[k]);
        best = std::max(best, row_[y_[i]]);
      }
    }
    max_z_c_ = best;
  }

  void metrics(MetricList& out) const override {
    const bool ready = data_ready();
    out.add("test_acc_zloss", test_accuracy(kRunZ));
    out.add("test_acc_ce", test_accuracy(kRunCe));
    out.add("top_k_acc_zloss", ready ? trainer_.run(kRunZ).last_eval.top_k_accuracy : NAN);
    out.add("top_k_acc_ce", ready ? trainer_.run(kRunCe).last_eval.top_k_accuracy : NAN);
    out.add("top_k", ready ? trainer_.config().top_k : NAN);
    out.add("max_z_c", ready ? max_z_c_ : NAN);
    out.add("z_bound", ready ? bound_ : NAN);
    out.add("b_used", ready ? b_used_ : NAN);
    out.add("train_loss_zloss", ready ? trainer_.run(kRunZ).smoothed_loss : NAN);
    out.add("train_loss_ce", ready ? trainer_.run(kRunCe).smoothed_loss : NAN);
    out.add("steps_trained", ready ? trainer_.steps_done() : 0);
  }

 private:
  void declare_text(Walkthrough& t);
  void draw_z_scores(const ViewContext& v) const;

  double a_ = 1, b_ = 1, bound_ = 1, b_used_ = 1, max_z_c_ = NAN;
  int sample_ = 0, classes_ = 0, shown_ = 0, refreshed_at_ = 0;
  Array& z_out_;             // (2, shown, D): z-scores of the shown samples, run 0 = CE, 1 = Z-loss
  Array& sample_index_out_;  // (shown,): their rows in the test set
  Array& sample_label_out_;  // (shown,): their true classes
  Array& z_step_out_;        // (1,): the step the z-scores are from

  void outputs_replaced() override {
    TrainerLesson::outputs_replaced();
    refreshed_at_ = z_step_out_.f.empty() ? 0 : int(z_step_out_.f[0]);
  }
  std::vector<float> x_;
  std::vector<int> y_, idx_;
  std::vector<double> row_;
};

void ZLossLesson::declare_text(Walkthrough& t) {
  t.section("The problem")
      .paragraph("Softmax cross-entropy has two costs when the number of classes D is huge (a language model's "
                 "vocabulary): every step computes all D outputs, and the loss keeps pushing the logits of "
                 "correctly ranked examples apart, although top-k accuracy only cares about the order of the scores.  "
                 "De Brebisson and Vincent propose a loss that only looks at how far the true class's score "
                 "stands out from the others, in units of their spread.");
  t.section("The method")
      .paragraph("Standardize the D output scores o of one example (mean and standard deviation over classes):")
      .equation("μ = (1/D) Σ_k o_k      σ² = (1/D) Σ_k o_k² − μ²      z_k = (o_k − μ) / σ")
      .paragraph("and penalize the true class c for having a small z-score, with a softplus of steepness a "
                 "around the target b:")
      .equation("L_Z(o, c) = (1/a) · log(1 + exp(a · (b − z_c)))")
      .paragraph("Three consequences you can check below:")
      .bullet("Shift and scale invariance: o → αo + β (α > 0) leaves every z_k, hence the loss, unchanged.  "
              "The logits cannot win by simply growing, as they do under cross-entropy.")
      .bullet("The z-scores of any vector have mean 0 and mean square 1, so z_c ≤ √(D−1), reached when all "
              "the other classes tie.  A b above √(D−1) could never be met; this lesson clamps it.")
      .bullet("L depends on o only through Σ o_k, Σ o_k² and o_c: it belongs to the 'spherical family', for "
              "which a linear output layer can be trained in time independent of D (Vincent et al., 2015).  "
              "Here D is 3 or 10 and every output is computed directly: that speed-up is not shown.");
  t.section("Try this")
      .bullet("Watch the z-score bars: under the Z-loss the true class climbs toward √(D−1) and the others "
              "bunch together; cross-entropy's bars do the same only loosely.")
      .bullet("Set b to its maximum and a to 10: the loss now demands a perfect one-vs-all pattern.")
      .bullet("Compare the top-k column with top-1: the paper's argument is that the Z-loss matches ranking "
              "metrics better.")
      .bullet("On a 2-D toy (blobs, spirals), compare the decision regions of the two heads.")
      .paragraph("Largest true-class z-score over the 16 samples: {max_z_c:%.4f}; the bound √(D−1): {z_bound:%.4f}.")
      .note("A b above √(D−1) = {z_bound:%.2f} cannot be met: the Z-loss uses b = {b_used:%.2f}.")
      .when([this] { return data_ready() && b_ > bound_ + 1e-9; });
  t.section("What the paper reports")
      .paragraph("The paper's claims, as stated in its abstract (no numbers are quoted here: we could not check "
                 "them against the paper's tables):")
      .bullet("The Z-loss clearly outperforms the other spherical losses studied before it.")
      .bullet("On a word language-modelling task it beats the log-softmax on ranking scores such as top-k "
              "accuracy, which suggests the extra hyper-parameters a and b let it match the task metric better.")
      .bullet("Being spherical, it can be trained with a cost per example that does not grow with the number "
              "of classes, which matters for vocabularies of hundreds of thousands of words.")
      .paper("Top-k accuracy, Z-loss", "above the log-softmax's (abstract; no number quoted)", "top_k_acc_zloss",
             "%.1f%%", "Paper: word language modelling.  Live: the chosen data set, k = 2 (toys) or 3 (images).", 100)
      .paper("Top-k accuracy, softmax CE", "(not quoted here)", "top_k_acc_ce", "%.1f%%",
             "The same network, init and batches with the cross-entropy head.", 100)
      .paper("Top-1 accuracy, Z-loss", "(not quoted here)", "test_acc_zloss", "%.1f%%", "Live: the chosen data set.", 100)
      .paper("Top-1 accuracy, softmax CE", "(not quoted here)", "test_acc_ce", "%.1f%%", "Live: the chosen data set.", 100)
      .note("Teaching simplification: small MLPs on toys and digit images, D = 3 or 10 classes, instead of a "
            "language model over a large vocabulary.");
}

// Both heads' bars for the chosen sample, side by side, filling the slot.
void ZLossLesson::draw_z_scores(const ViewContext& v) const {
  if (!draw_data_status()) return;
  const int i = std::min(sample_, shown_ - 1);
  if (i < 0) return;
  ImGui::Text("test sample %d (true class %d), step %d", idx_[i], y_[i], refreshed_at_);
  ImGui::SameLine();
  ui::help_marker("The bars are z_k = (o_k - mu) / sigma for each class k of ONE test sample; the outlined bar is "
                  "the true class.  The dashed line is sqrt(D - 1), the largest value any z-score can take; the "
                  "thin line is b.  Pick another sample with the 'shown test sample' knob.  Recomputed every 25 "
                  "steps.");
  const float line = ImGui::GetTextLineHeightWithSpacing();
  const float h = v.height > 0 ? std::clamp(v.height - 2.0f * line, v.font_size * 8, v.font_size * 20) : v.font_size * 11;
  const float w = ui::column_width(2);
  for (int r = 0; r < 2; ++r) {
    if (r) ui::next_column(w);
    ImGui::BeginGroup();
    ImGui::PushID(r);
    char label[64];
    std::snprintf(label, sizeof label, "%s head", run_name(r).c_str());
    ui::legend_swatch(plot::palette(r), label);
    const float* z = z_out_.f.data() + (size_t(r) * shown_ + i) * classes_;  // (D,)
    z_bars("##z", ImVec2(w, h), z, classes_, y_[i], bound_, b_used_, plot::palette(r));
    ImGui::PopID();
    ImGui::EndGroup();
  }
}

}  // namespace

PG_REGISTER_LESSON(ZLossLesson, 12);

}  // namespace pg
