// cnn_svm.cpp - Lesson: "An Architecture Combining Convolutional Neural
// Network (CNN) and Support Vector Machine (SVM) for Image Classification"
// (Agarap, 2017, arXiv:1712.03541).
//
// The same network is trained twice from the same initialization on the same
// mini-batches: once with a softmax cross-entropy head, once with an L2-SVM
// head (squared one-vs-rest hinge, labels in {-1, +1}).  Only the loss
// differs.  The views show what changes: decision regions, accuracy, and the
// output scores (the SVM's pile up at +-1, softmax logits keep growing).
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
    "cnn-svm",
    "CNN + SVM for image classification",
    "Agarap",
    2017,
    "1712.03541",
    "https://github.com/AFAgarap/cnn-svm",
    "C. Losses on top of softmax",
    LessonKind::trainer,
    Stepping::on_play,
    "Swap the softmax head for an L2-SVM and train both side by side on toys, MNIST and Fashion-MNIST.",
};

constexpr int kBins = 48;
constexpr float kScoreLo = -4.0f, kScoreHi = 4.0f;
constexpr int kScoreRows = 256;  // test rows whose scores are binned

class CnnSvm : public TrainerLesson {
 public:
  const LessonInfo& info() const override { return kInfo; }

  void declare(Declaration& d) override {
    declare_training(d, kSpirals, 2000, 0.01);
    d.params.real("c", "SVM penalty C", &c_svm_, 0.01, 100, 1,
                  "Weight of the hinge term, C in L = C mean_k max(0, 1 - t_k o_k)^2 (the mean over classes, as "
                  "the official code; the paper's 1/2 ||w||^2 term is not applied here).",
                  true);
    d.params.choice("svm", "SVM loss", &svm_kind_, {"l2", "l1"}, 0,
                    "l2: squared hinge (the paper's L2-SVM, differentiable).  l1: plain hinge (L1-SVM).");
    declare_text(d.text);
    declare_results_view(d, "What each head learned: decision regions (toys) or confusion matrices (images)");
    declare_curves_view(d);
    d.view("scores", "Test scores: the true class's against the others'", [this](const ViewContext& v) { draw_scores(v); });
    declare_summary_view(d);
    d.metric("test_acc_softmax", "test accuracy of the softmax head (fraction; whole test set after the run)");
    d.metric("test_acc_svm", "test accuracy of the SVM head");
    d.metric("train_loss_softmax", "smoothed mini-batch loss of the softmax head");
    d.metric("train_loss_svm", "smoothed mini-batch loss of the SVM head");
    d.metric("steps_trained", "optimizer steps taken by each head");
    scores_ = &outputs_.series("score_histogram", {"score", "softmax_true", "softmax_other", "svm_true", "svm_other"});
  }

  void add_runs(const nn::ModelSpec& spec, const nn::OptimizerConfig& adam) override {
    trainer_.add_run("softmax", spec, std::make_unique<nn::SoftmaxCrossEntropy>(), adam);
    trainer_.add_run(svm_kind_ == 0 ? "L2-SVM" : "L1-SVM", spec,
                     std::make_unique<nn::MultiClassHinge>(svm_kind_ == 0, float(c_svm_)), adam);
  }

  void after_reset() override {
    const data::Dataset& test = trainer_.test_data();
    const int chunk = std::min(std::min(test.n, kScoreRows), trainer_.batch_size());
    x_.resize(size_t(chunk) * test.dim);
    y_.resize(size_t(chunk));
    idx_.resize(size_t(chunk));
    scores_->resize(kBins);
    for (int k = 0; k < kBins; ++k) scores_->col(0)[k] = kScoreLo + (k + 0.5f) * (kScoreHi - kScoreLo) / kBins;
  }

  // Histograms of both heads' test scores (on the cadence, not per frame).
  void refresh_views() override {
    const data::Dataset& test = trainer_.test_data();
    const int total = std::min(test.n, kScoreRows), chunk = int(idx_.size()), C = test.classes;
    for (int c = 1; c < 5; ++c) std::fill(scores_->values[size_t(c)].begin(), scores_->values[size_t(c)].end(), 0.0f);
    for (int start = 0; chunk > 0 && start + chunk <= total; start += chunk) {
      for (int i = 0; i < chunk; ++i) idx_[i] = int((long long)(start + i) * test.n / total);  // spread over the set
      test.gather(idx_.data(), chunk, x_.data(), y_.data());
      for (int r = 0; r < 2; ++r) {
        const float* o = trainer_.run(r).model.forward(x_.data(), chunk);
        for (int i = 0; i < chunk; ++i)
          for (int k = 0; k < C; ++k) {
            const int bin = plot::histogram_bin(o[i * C + k], kScoreLo, kScoreHi, kBins);  // outliers: end bins
            if (bin >= 0) scores_->col(1 + 2 * r + (k == y_[i] ? 0 : 1))[bin] += 1.0f;
          }
      }
    }
  }

  void metrics(MetricList& out) const override {
    out.add("test_acc_softmax", test_accuracy(0));
    out.add("test_acc_svm", test_accuracy(1));
    out.add("train_loss_softmax", data_ready() ? trainer_.run(0).smoothed_loss : NAN);
    out.add("train_loss_svm", data_ready() ? trainer_.run(1).smoothed_loss : NAN);
    out.add("steps_trained", data_ready() ? trainer_.steps_done() : 0);
  }

 private:
  void declare_text(Walkthrough& t) {
    t.section("The problem")
        .paragraph("A classifier network ends in a layer of class scores o.  Almost always those scores go through "
                   "softmax and cross-entropy.  Agarap asks what happens if the last layer is trained as a "
                   "support vector machine instead: each class's score must reach +1 for its own examples and "
                   "-1 for all others, with a squared penalty for falling short.");
    t.section("The method")
        .paragraph("Softmax head (cross-entropy), for an example with label y:")
        .equation("L = −log( e^(o_y) / Σ_k e^(o_k) )")
        .paragraph("L2-SVM head (one-vs-rest squared hinge), with t_k = +1 for k = y and −1 otherwise:")
        .equation("L = C · mean_k max(0, 1 − t_k·o_k)²        predict  argmax_k o_k")
        .paragraph("The squared hinge is differentiable everywhere, so the whole network trains by "
                   "backpropagation as usual.  Both models here share their initial weights and see "
                   "the same mini-batches: only the loss differs.")
        .warning("Simplifications: the network is an MLP (784-128-10 on images, 2-64-64-3 on toys), not the "
                 "paper's two-layer CNN; the hinge is averaged over classes as in the official code (the paper "
                 "writes a sum), and its 1/2 ||w||² term is not applied (no weight decay).");
    t.section("Try this")
        .bullet("On spirals, watch both heads carve the same regions: the loss matters less than you might think.")
        .bullet("Switch to MNIST or Fashion-MNIST and compare test accuracies with the paper's table below.")
        .bullet("Raise C: the SVM head is pushed harder to get every margin to 1.")
        .bullet("Look at the score histograms: SVM scores gather at ±1, softmax logits spread out.");
    t.section("What the paper reports")
        .paper("MNIST test accuracy, CNN-softmax", "99.23%", "test_acc_softmax", "%.2f%%",
               "Paper: 2-conv CNN, full 60k training set, 10k steps.  Live: a 784-128-10 MLP on 8,000 images.", 100)
        .when([this] { return dataset_ == kMnist; })
        .paper("MNIST test accuracy, CNN-SVM", "99.04%", "test_acc_svm", "%.2f%%", "Same network with the L2-SVM head.", 100)
        .when([this] { return dataset_ == kMnist; })
        .paper("Fashion-MNIST test accuracy, CNN-softmax", "91.86%", "test_acc_softmax", "%.2f%%",
               "Live: 8,000 training images (800 per class).", 100)
        .when([this] { return dataset_ == kFashionMnist; })
        .paper("Fashion-MNIST test accuracy, CNN-SVM", "90.72%", "test_acc_svm", "%.2f%%",
               "Same network with the L2-SVM head.", 100)
        .when([this] { return dataset_ == kFashionMnist; })
        .note("Paper numbers are quoted from the paper; live ones appear when that data set is chosen.");
  }

  void draw_scores(const ViewContext& v) const {
    if (!draw_data_status()) return;
    const float w = ui::column_width(2);
    for (int r = 0; r < 2; ++r) {
      if (r) ImGui::SameLine();
      ImGui::PushID(r);
      char title[64];
      std::snprintf(title, sizeof title, "%s scores (test)", run_name(r).c_str());
      const float* counts[2] = {scores_->col(1 + 2 * r), scores_->col(2 + 2 * r)};
      const char* labels[2] = {"true class", "other classes"};
      const ImU32 colors[2] = {plot::palette(2), plot::palette(3)};
      const double margins[2] = {-1.0, 1.0};
      plot::histogram_plot("##scores", ImVec2(w, v.height > 0 ? v.height : v.font_size * 11), title, kScoreLo, kScoreHi,
                           counts, labels, colors, 2, kBins, margins, 2);
      ImGui::PopID();
    }
  }

  double c_svm_ = 1;
  int svm_kind_ = 0;
  Series* scores_ = nullptr;  // (bins): score, then per head the true-class and other-class counts
  std::vector<float> x_;
  std::vector<int> y_, idx_;
};

}  // namespace

PG_REGISTER_LESSON(CnnSvm, 11);

}  // namespace pg
