// cnn_svm.cpp - Lesson: "An Architecture Combining Convolutional Neural
// Network (CNN) and Support Vector Machine (SVM) for Image Classification"
// (Agarap, 2017, arXiv:1712.03541).
//
// The same network is trained twice from the same initialization on the same
// mini-batches: once with a softmax cross-entropy head, once with an L2-SVM
// head (squared one-vs-rest hinge, labels in {-1, +1}).  Only the loss
// differs.  The panel shows what changes: decision regions, accuracy, and the
// output scores (the SVM's pile up at +-1, softmax logits keep growing).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

#include "engine/nn/losses_margin.h"
#include "engine/nn/losses_softmax.h"
#include "lessons/trainer_lesson.h"
#include "web/plots.h"
#include "web/trainer_panel.h"
#include "web/ui.h"

namespace pg {
namespace {

const LessonInfo kInfo = {
    "cnn-svm",
    "CNN + SVM for image classification",
    "Agarap",
    2017,
    "1712.03541",
    "https://github.com/AFAgarap/cnn-svm",
    "C. Losses on top of softmax",
    LessonKind::trainer,
    "Swap the softmax head for an L2-SVM and train both side by side on toys, MNIST and Fashion-MNIST.",
};

constexpr int kBins = 48;
constexpr float kScoreLo = -4.0f, kScoreHi = 4.0f;

class CnnSvm : public TrainerLesson {
 public:
  const LessonInfo& info() const override { return kInfo; }

  void declare(ParamList& p) override {
    declare_training(p, kSpirals, 2000, 0.01);
    p.real("c", "SVM penalty C", &c_svm_, 0.01, 100, 1,
           "Weight of the hinge term, C in L = C mean max(0, 1 - y o)^2.  The 1/2 ||w||^2 term of the paper "
           "is weight decay here.",
           true);
    p.choice("svm", "SVM loss", &svm_kind_, {"l2", "l1"}, 0,
             "l2: squared hinge (the paper's L2-SVM, differentiable).  l1: plain hinge (L1-SVM).");
  }

  void add_runs(const nn::ModelSpec& spec, const nn::OptimizerConfig& adam) override {
    trainer_.add_run("softmax", spec, std::make_unique<nn::SoftmaxCrossEntropy>(), adam);
    trainer_.add_run(svm_kind_ == 0 ? "L2-SVM" : "L1-SVM", spec,
                     std::make_unique<nn::MultiClassHinge>(svm_kind_ == 0, float(c_svm_)), adam);
  }

  void after_reset() override {
    regions_.invalidate();
    scores_at_ = -1;
  }

  void metrics(MetricList& out) const override {
    out.add("test_acc_softmax", test_accuracy(0));
    out.add("test_acc_svm", test_accuracy(1));
    out.add("train_loss_softmax", data_ready() ? trainer_.run(0).smoothed_loss : NAN);
    out.add("train_loss_svm", data_ready() ? trainer_.run(1).smoothed_loss : NAN);
    out.add("steps_trained", data_ready() ? trainer_.steps_done() : 0);
  }

  void draw(PanelContext& ctx) override;

 private:
  // Histograms of the test scores of both heads: the true class's score and
  // the other classes' scores (computed every few dozen steps, not per frame).
  void update_scores() {
    if (scores_at_ == trainer_.steps_done()) return;
    if (scores_at_ >= 0 && trainer_.steps_done() - scores_at_ < 50 &&
        trainer_.state() == nn::Trainer::State::running)
      return;
    scores_at_ = trainer_.steps_done();
    const data::Dataset& test = trainer_.test_data();
    // 256 test rows spread over the set, in chunks the models' buffers hold.
    const int total = std::min(test.n, 256), chunk = std::min(total, trainer_.batch_size());
    x_.resize(size_t(chunk) * test.dim);
    y_.resize(size_t(chunk));
    idx_.resize(size_t(chunk));
    for (int r = 0; r < 2; ++r)
      for (int k = 0; k < kBins; ++k) hist_true_[r][k] = hist_other_[r][k] = 0;
    const int C = test.classes;
    for (int start = 0; start + chunk <= total; start += chunk) {
      for (int i = 0; i < chunk; ++i) idx_[i] = int((long long)(start + i) * test.n / total);
      test.gather(idx_.data(), chunk, x_.data(), y_.data());
      for (int r = 0; r < 2; ++r) {
        const float* o = trainer_.run(r).model.forward(x_.data(), chunk);
        for (int i = 0; i < chunk; ++i)
          for (int k = 0; k < C; ++k) {
            int bin = int((o[i * C + k] - kScoreLo) / (kScoreHi - kScoreLo) * kBins);
            bin = bin < 0 ? 0 : bin >= kBins ? kBins - 1 : bin;  // outliers go to the end bins
            (k == y_[i] ? hist_true_ : hist_other_)[r][bin] += 1.0f;
          }
      }
    }
    for (int k = 0; k < kBins; ++k) bin_x_[k] = kScoreLo + (k + 0.5f) * (kScoreHi - kScoreLo) / kBins;
  }

  double c_svm_ = 1;
  int svm_kind_ = 0;
  ui::DecisionRegions regions_;
  int scores_at_ = -1;
  std::vector<float> x_;
  std::vector<int> y_, idx_;
  float hist_true_[2][kBins] = {}, hist_other_[2][kBins] = {}, bin_x_[kBins] = {};
};

void CnnSvm::draw(PanelContext& ctx) {
  if (ui::section("The problem")) {
    ui::paragraph(
        "A classifier network ends in a layer of class scores o.  Almost always those scores go through "
        "softmax and cross-entropy.  Agarap asks what happens if the last layer is trained as a "
        "support vector machine instead: each class's score must reach +1 for its own examples and "
        "-1 for all others, with a squared penalty for falling short.");
  }
  if (ui::section("The method")) {
    ui::paragraph("Softmax head (cross-entropy), for an example with label y:");
    ui::equation("L = −log( e^{o_y} / Σ_k e^{o_k} )");
    ui::paragraph("L2-SVM head (one-vs-rest squared hinge), with t_k = +1 for k = y and −1 otherwise:");
    ui::equation("L = C · Σ_k max(0, 1 − t_k·o_k)²        predict  argmax_k o_k");
    ui::paragraph("The squared hinge is differentiable everywhere, so the whole network trains by "
                  "backpropagation as usual.  Both models here share their initial weights and see "
                  "the same mini-batches: only the loss differs.");
  }
  if (ui::section("Try this")) {
    ui::all_knobs(ctx);
    ui::bullet("On spirals, watch both heads carve the same regions: the loss matters less than you might think.");
    ui::bullet("Switch to MNIST or Fashion-MNIST and compare test accuracies with the paper's table below.");
    ui::bullet("Raise C: the SVM head is pushed harder to get every margin to 1.");
    ui::bullet("Look at the score histograms: SVM scores gather at ±1, softmax logits spread out.");
    ImGui::Spacing();
    if (draw_data_status()) {
      ui::trainer_overview(trainer_, regions_, 18.0f);
      update_scores();
      const float w = (ImGui::GetContentRegionAvail().x - ImGui::GetStyle().ItemSpacing.x) * 0.5f;
      for (int r = 0; r < 2; ++r) {
        if (r) ImGui::SameLine();
        ImGui::PushID(r);
        char title[64];
        std::snprintf(title, sizeof title, "%s scores (test)", trainer_.run(r).name.c_str());
        plot::LinePlot h("##scores", ImVec2(w, ImGui::GetFontSize() * 11));
        h.axes(title, "count");
        h.line("true class", bin_x_, hist_true_[r], kBins, plot::palette(2));
        h.line("other classes", bin_x_, hist_other_[r], kBins, plot::palette(3));
        h.vline(1.0, "+1");
        h.vline(-1.0, "-1");
        h.draw();
        ImGui::PopID();
      }
    }
  }
  if (ui::section("What the paper reports")) {
    const bool mnist = dataset_ == kMnist, fashion = dataset_ == kFashionMnist;
    const ui::PaperRow rows[] = {
        {"MNIST test accuracy, CNN-softmax", "99.23%", mnist ? 100 * test_accuracy(0) : NAN, "%.2f%%",
         "Paper: 2-conv CNN, full 60k training set, 10k steps.  Live: a 784-128-10 MLP on 8,000 images."},
        {"MNIST test accuracy, CNN-SVM", "99.04%", mnist ? 100 * test_accuracy(1) : NAN, "%.2f%%",
         "Same network with the L2-SVM head."},
        {"Fashion-MNIST test accuracy, CNN-softmax", "91.86%", fashion ? 100 * test_accuracy(0) : NAN, "%.2f%%",
         "Live: 8,000 training images (800 per class)."},
        {"Fashion-MNIST test accuracy, CNN-SVM", "90.72%", fashion ? 100 * test_accuracy(1) : NAN, "%.2f%%",
         "Same network with the L2-SVM head."},
    };
    ui::paper_table("##paper", rows, 4);
    ImGui::TextDisabled("Paper numbers are quoted from the paper; live ones appear when that data set is chosen.");
  }
}

}  // namespace

std::unique_ptr<Lesson> make_cnn_svm() { return std::make_unique<CnnSvm>(); }

}  // namespace pg
