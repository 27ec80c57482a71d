// utility_probability.cpp - Lesson: "Utility-Probability Duality of Neural
// Networks" (Huang Bojun & Fei Yuan, 2023, arXiv:2305.14859; no code published).
//
// ONLY the verified part (papers/method-notes.md #2): the paper's equation
// that turns learned utilities back into probabilities could not be read or
// checked, so it is not built.  What is built: a softmax model of limited
// capacity trained by maximum likelihood on 2-D data whose P(y | x) is known
// exactly (engine/data/posterior.h), and two separate read-outs of its
// outputs on held-out rows:
//   rank agreement  Kendall's tau between the model's class scores and the
//                   true posterior, row by row (the "ordinal utility" view)
//   calibration     top-label ECE and the reliability diagram (the
//                   "probability" view), for the model, for the same model
//                   after temperature scaling (a monotone map: ranks kept),
//                   and for the true posterior itself (the oracle, ECE ~ 0)
// (engine/nn/calibration.h).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

#include "engine/data/posterior.h"
#include "engine/nn/calibration.h"
#include "engine/nn/losses_softmax.h"
#include "lessons/trainer_lesson.h"
#include "ui/panel.h"
#include "ui/plots.h"

namespace pg {
namespace {

const LessonInfo kInfo = {
    "utility-probability",
    "Utility-probability duality: ranks vs calibration",
    "Huang Bojun & Fei Yuan",
    2023,
    "2305.14859",
    "",
    "C. Losses on top of softmax",
    LessonKind::trainer,
    Stepping::on_play,
    "A softmax model can rank the classes right while its probabilities are off: Kendall tau vs ECE on data with a known P(y|x).",
};

constexpr int kRefreshSteps = 100;
constexpr int kMaxBins = 30;
constexpr int kWidths[] = {0, 4, 16, 64};  // the capacity choice: hidden units (0 = linear softmax)

class UtilityProbability : public TrainerLesson {
 public:
  UtilityProbability()
      : reliability_(outputs_.series("reliability", {"bin", "conf_model", "acc_model", "conf_temp", "acc_temp",
                                                     "conf_oracle", "acc_oracle", "rows_model"})),
        probs_out_(outputs_.array("eval_probs")),
        truth_out_(outputs_.array("eval_true_posterior")),
        logits_out_(outputs_.array("eval_logits")),
        labels_out_(outputs_.array("eval_labels")),
        view_info_(outputs_.array("view_info")) {}

  bool views_draw_from_outputs() const override { return true; }  // tests/test_worker_mirror.cpp

  const LessonInfo& info() const override { return kInfo; }

  void declare(Declaration& d) override {
    ParamList& p = d.params;
    declare_training(d, {data::dataset_index("known-posterior")}, data::dataset_index("known-posterior"), 1500,
                     0.01, 8, 64,
                     "known-posterior: 2-D points, each class on two opposite sides of the unit circle, labels "
                     "drawn from P(y = k | x) = softmax(-sharpness * distance to class k).");
    p.choice("capacity", "model capacity", &capacity_, {"linear", "4", "16", "64"}, 1,
             "Hidden units of the one-hidden-layer ReLU MLP (linear: a multinomial logistic regression, which "
             "cannot put a class on two opposite sides).  Less capacity, less faithful probabilities.");
    p.integer("classes", "classes", &classes_, 2, 8, 4, "Number of classes.");
    p.real("sharpness", "sharpness", &sharpness_, 1, 20, 4,
           "How peaked the true posterior is: larger means less label noise and a higher Bayes accuracy.");
    p.integer("bins", "ECE bins", &bins_, 5, kMaxBins, 15, "Equal-width confidence bins of the ECE and the diagram.");
    declare_text(d.text);
    d.view("reliability", "Reliability diagram: accuracy against confidence",
           [this](const ViewContext& v) { draw_reliability(v); });
    d.view("scores", "Ranks and calibration, side by side", [this](const ViewContext& v) { draw_scores(v); });
    declare_results_view(d, "The model's classes over the plane (test points colored by their drawn label)");
    declare_summary_view(d);
    declare_curves_view(d);
    d.metric("kendall_tau", "mean over the evaluation rows of Kendall's tau between the model's class scores and "
                            "the true P(y|x) (1: same order of classes)");
    d.metric("kendall_tau_temp", "the same after temperature scaling (equal to kendall_tau: a monotone map)");
    d.metric("argmax_agreement", "fraction of evaluation rows where the model's top class is the true posterior's");
    d.metric("ece", "top-label expected calibration error of the model on the evaluation rows (drawn labels)");
    d.metric("ece_vs_truth", "the model's calibration gap against the true posterior instead of drawn labels");
    d.metric("ece_temp", "ECE after temperature scaling (T fitted on the calibration rows)");
    d.metric("ece_oracle", "ECE of the true posterior used as the predictor: a calibrated predictor, near 0 "
                           "(sampling noise only)");
    d.metric("temperature", "the fitted temperature T (logits / T); > 1 means the model was overconfident");
    d.metric("test_acc", "model accuracy on the evaluation rows (drawn labels)");
    d.metric("acc_bayes", "accuracy of the true posterior's argmax on the same rows (the best possible)");
    d.metric("mean_confidence", "the model's mean top-class probability on the evaluation rows");
    d.metric("eval_rows", "test rows the read-outs use (the rest of the test set fits the temperature)");
    d.metric("train_loss", "smoothed mini-batch cross-entropy");
    d.metric("steps_trained", "optimizer steps taken");
  }

  void configure_dataset(data::DatasetOptions& options) const override {
    options.set("classes", classes_);
    options.set("sharpness", sharpness_);
  }

  nn::ModelSpec model_for(const data::Dataset& d) const override {
    const int width = kWidths[capacity_];
    if (width == 0) return nn::ModelSpec::vectors(d.dim).linear(d.classes);
    return nn::mlp(d.dim, {width}, d.classes);
  }

  void configure_trainer(nn::TrainerConfig& config, nn::OptimizerConfig&) const override {
    config.detect_stuck = false;  // a linear model on this data may sit near chance: that is the point
  }

  void add_runs(const nn::ModelSpec& spec, const nn::OptimizerConfig& adam) override {
    trainer_.add_run(capacity_ == 0 ? "linear softmax" : "MLP softmax", spec,
                     std::make_unique<nn::SoftmaxCrossEntropy>(), adam);
  }

  // Test rows: the first third fits the temperature, the rest is evaluated.
  void after_reset() override {
    const data::Dataset& test = trainer_.test_data();
    C_ = test.classes;
    n_cal_ = test.n / 3;
    n_eval_ = test.n - n_cal_;
    const nn::Model& m = trainer_.run(0).model;
    chunk_ = std::max(1, std::min(test.n, m.max_batch()));
    x_.assign(size_t(chunk_) * test.dim, 0.0f);
    idx_.assign(size_t(chunk_), 0);
    logits_.assign(size_t(test.n) * C_, 0.0f);
    probs_.assign(size_t(n_eval_) * C_, 0.0f);
    temp_probs_.assign(size_t(n_eval_) * C_, 0.0f);
    truth_.assign(size_t(test.n) * C_, 0.0f);
    data::known_posterior(test.x.data(), test.n, C_, sharpness_, truth_.data());
    labels_ = test.y;
    reliability_.values.assign(8, std::vector<float>(size_t(bins_), 0.0f));
    oracle_bins_.assign(size_t(bins_) * 3, 0.0f);
    std::vector<float> eval_labels(labels_.begin() + n_cal_, labels_.end());
    labels_out_.set({n_eval_}, eval_labels.data());
    truth_out_.set({n_eval_, C_}, truth_.data() + size_t(n_cal_) * C_);
    probs_out_.set({n_eval_, C_}, probs_.data());
    logits_out_.set({n_eval_, C_}, logits_.data() + size_t(n_cal_) * C_);
    // The oracle does not train: its ECE and bins are fixed by the data.
    nn::ReliabilityBins bins{oracle_bins_.data(), oracle_bins_.data() + bins_, oracle_bins_.data() + 2 * bins_};
    ece_oracle_ = nn::expected_calibration_error(truth_.data() + size_t(n_cal_) * C_, labels_.data() + n_cal_,
                                                 n_eval_, C_, bins_, bins);
    acc_bayes_ = accuracy(truth_.data() + size_t(n_cal_) * C_);
  }

  int view_refresh_steps() const override { return kRefreshSteps; }

  void refresh_views() override {
    const data::Dataset& test = trainer_.test_data();
    nn::Model& model = trainer_.run(0).model;
    for (int start = 0; start < test.n; start += chunk_) {
      const int B = std::min(chunk_, test.n - start);
      for (int i = 0; i < B; ++i) idx_[i] = start + i;
      test.gather(idx_.data(), B, x_.data(), nullptr);
      const float* z = model.forward(x_.data(), B);
      std::copy(z, z + size_t(B) * C_, logits_.begin() + size_t(start) * C_);
    }
    const float* eval_logits = logits_.data() + size_t(n_cal_) * C_;
    const float* eval_truth = truth_.data() + size_t(n_cal_) * C_;
    const int* eval_labels = labels_.data() + n_cal_;
    nn::softmax_temperature(eval_logits, n_eval_, C_, 1.0, probs_.data());
    temperature_ = nn::fit_temperature(logits_.data(), labels_.data(), n_cal_, C_);
    nn::softmax_temperature(eval_logits, n_eval_, C_, temperature_, temp_probs_.data());
    std::vector<std::vector<float>>& r = reliability_.values;
    for (int b = 0; b < bins_; ++b) r[0][b] = float((b + 0.5) / bins_);
    ece_ = nn::expected_calibration_error(probs_.data(), eval_labels, n_eval_, C_, bins_,
                                          {r[1].data(), r[2].data(), r[7].data()});
    ece_temp_ = nn::expected_calibration_error(temp_probs_.data(), eval_labels, n_eval_, C_, bins_,
                                               {r[3].data(), r[4].data(), nullptr});
    std::copy(oracle_bins_.begin(), oracle_bins_.begin() + bins_, r[5].begin());
    std::copy(oracle_bins_.begin() + bins_, oracle_bins_.begin() + 2 * bins_, r[6].begin());
    ece_vs_truth_ = nn::calibration_error_vs_truth(probs_.data(), eval_truth, n_eval_, C_, bins_);
    tau_ = nn::mean_kendall_tau(eval_logits, eval_truth, n_eval_, C_);
    tau_temp_ = nn::mean_kendall_tau(temp_probs_.data(), eval_truth, n_eval_, C_);
    test_acc_ = accuracy(probs_.data());
    int agree = 0;
    double conf = 0;
    for (int i = 0; i < n_eval_; ++i) {
      agree += top(probs_.data() + size_t(i) * C_) == top(eval_truth + size_t(i) * C_);
      conf += probs_[size_t(i) * C_ + top(probs_.data() + size_t(i) * C_)];
    }
    agreement_ = n_eval_ ? double(agree) / n_eval_ : NAN;
    mean_conf_ = n_eval_ ? conf / n_eval_ : NAN;
    std::copy(probs_.begin(), probs_.end(), probs_out_.f.begin());
    std::copy(eval_logits, eval_logits + size_t(n_eval_) * C_, logits_out_.f.begin());
    const double info[kViewInfo] = {tau_, agreement_, test_acc_, ece_, ece_temp_, temperature_};
    view_info_.set({kViewInfo}, info);
    derive_view_data();
  }

  // What the views draw that no output holds as such, from the outputs (the
  // step path and a worker's copy, outputs_replaced, both come here): the
  // diagram's points, the bins that hold rows (an empty bin has no accuracy).
  void derive_view_data() {
    const std::vector<std::vector<float>>& r = reliability_.values;
    const int conf_col[3] = {1, 3, 5}, acc_col[3] = {2, 4, 6};
    const int bins = std::min(reliability_.rows(), kMaxBins);
    for (int c = 0; c < 3; ++c) {
      drawn_[c] = 0;
      for (int b = 0; b < bins; ++b)
        if (r[conf_col[c]][b] > 0) {
          drawn_conf_[c][drawn_[c]] = r[conf_col[c]][b];
          drawn_acc_[c][drawn_[c]++] = r[acc_col[c]][b];
        }
    }
  }

  void outputs_replaced() override {
    TrainerLesson::outputs_replaced();
    if (view_info_.d.size() != size_t(kViewInfo)) return;
    const double* v = view_info_.d.data();
    tau_ = v[0], agreement_ = v[1], test_acc_ = v[2], ece_ = v[3], ece_temp_ = v[4], temperature_ = v[5];
    derive_view_data();
  }

  void metrics(MetricList& out) const override {
    const bool ready = data_ready();
    auto value = [ready](double v) { return ready ? v : NAN; };
    out.add("kendall_tau", value(tau_));
    out.add("kendall_tau_temp", value(tau_temp_));
    out.add("argmax_agreement", value(agreement_));
    out.add("ece", value(ece_));
    out.add("ece_vs_truth", value(ece_vs_truth_));
    out.add("ece_temp", value(ece_temp_));
    out.add("ece_oracle", value(ece_oracle_));
    out.add("temperature", value(temperature_));
    out.add("test_acc", value(test_acc_));
    out.add("acc_bayes", value(acc_bayes_));
    out.add("mean_confidence", value(mean_conf_));
    out.add("eval_rows", value(n_eval_));
    out.add("train_loss", ready ? trainer_.run(0).smoothed_loss : NAN);
    out.add("steps_trained", ready ? trainer_.steps_done() : 0);
  }

 private:
  int top(const float* row) const {
    int best = 0;
    for (int k = 1; k < C_; ++k)
      if (row[k] > row[best]) best = k;
    return best;
  }
  // Accuracy of the argmax of probs (n_eval, C) on the evaluation labels.
  double accuracy(const float* probs) const {
    int ok = 0;
    for (int i = 0; i < n_eval_; ++i) ok += top(probs + size_t(i) * C_) == labels_[size_t(n_cal_) + i];
    return n_eval_ ? double(ok) / n_eval_ : NAN;
  }

  void declare_text(Walkthrough& t);

  void draw_reliability(const ViewContext& v) const {
    if (!draw_data_status()) return;
    static const float diag[2] = {0, 1};
    const float line = ImGui::GetTextLineHeightWithSpacing();
    plot::LinePlot plot("##reliability", ImVec2(v.width, v.height > 0 ? std::max(8 * line, v.height - line) : 16 * line));
    plot.axes("confidence (top-class probability)", "accuracy in the bin");
    plot.x_range(0, 1);
    plot.y_range(0, 1);
    plot.line("perfect calibration", diag, diag, 2, plot::faint_ink(), true);
    plot.line("model", drawn_conf_[0], drawn_acc_[0], drawn_[0], plot::palette(0));
    plot.line("model, temperature-scaled", drawn_conf_[1], drawn_acc_[1], drawn_[1], plot::palette(1));
    plot.points("true posterior (oracle)", drawn_conf_[2], drawn_acc_[2], drawn_[2], plot::palette(2));
    plot.draw();
    ImGui::TextDisabled("ECE: model %.3f, temperature-scaled %.3f (T = %.2f), oracle %.3f", ece_, ece_temp_,
                        temperature_, ece_oracle_);
  }

  void draw_scores(const ViewContext& v) const {
    if (!draw_data_status()) return;
    const char* labels[] = {"Kendall tau (ranks)", "argmax = true argmax", "accuracy", "Bayes accuracy",
                            "ECE", "ECE, temperature-scaled", "ECE of the true posterior"};
    const float values[] = {float(tau_), float(agreement_), float(test_acc_), float(acc_bayes_),
                            float(ece_), float(ece_temp_), float(ece_oracle_)};
    const float line = ImGui::GetTextLineHeightWithSpacing();
    plot::bar_chart("##scores", ImVec2(v.width, v.height > 0 ? std::max(7 * line, v.height) : 11 * line), labels,
                    values, 7, "");
  }

  int capacity_ = 1, classes_ = 4, bins_ = 15;
  double sharpness_ = 4;
  int C_ = 0, n_cal_ = 0, n_eval_ = 0, chunk_ = 1;
  std::vector<float> x_, logits_, probs_, temp_probs_, truth_, oracle_bins_;
  std::vector<int> idx_, labels_;
  double tau_ = NAN, tau_temp_ = NAN, agreement_ = NAN, ece_ = NAN, ece_vs_truth_ = NAN, ece_temp_ = NAN;
  double ece_oracle_ = NAN, temperature_ = NAN, test_acc_ = NAN, acc_bayes_ = NAN, mean_conf_ = NAN;
  float drawn_conf_[3][kMaxBins] = {}, drawn_acc_[3][kMaxBins] = {};  // model, scaled, oracle: non-empty bins
  int drawn_[3] = {0, 0, 0};
  Series& reliability_;  // bin centre; mean confidence and accuracy per bin: model, scaled, oracle; rows
  Array& probs_out_;     // (n_eval, C) the model's softmax
  Array& truth_out_;     // (n_eval, C) the true P(y | x)
  Array& logits_out_;    // (n_eval, C)
  Array& labels_out_;    // (n_eval,) the drawn labels
  static constexpr int kViewInfo = 6;
  Array& view_info_;     // (kViewInfo,) f64: Kendall tau, argmax agreement, accuracy, ECE, ECE scaled, temperature
};

void UtilityProbability::declare_text(Walkthrough& t) {
  t.section("The problem")
      .paragraph("A network trained with softmax cross-entropy is usually read as a probability model: its "
                 "softmax output is taken as P(y | x).  Huang and Yuan argue that this reading fails to explain "
                 "what trained networks do, and propose another: the network's outputs are an ordinal utility, "
                 "a score whose ORDER over the outcomes is what training gets right.  Here both readings are "
                 "measured on data whose true P(y | x) is known.")
      .warning("The paper's main tool is NOT shown here.  Its abstract says the utility view yields an equation "
               "that turns the learned utilities back into a new probability estimate, with large gains for "
               "probability-based decision rules.  We could not read or verify that equation (no code is "
               "published, and no copy of the paper's method section was reachable), so this lesson builds only "
               "the verified part: rank agreement against calibration.");
  t.section("The method")
      .paragraph("The data: points x uniform on a square, classes each on two opposite sides of the unit "
                 "circle (centres c_k and −c_k), and labels drawn from a known posterior:")
      .equation("P(y = k | x) = softmax_k(−sharpness · d_k(x)),   d_k(x) = min(|x − c_k|, |x + c_k|)")
      .paragraph("A softmax model of limited capacity (the capacity knob) is trained by maximum likelihood on "
                 "drawn labels.  Two read-outs on held-out rows, with p the model's softmax and P the truth:")
      .equation("rank agreement:  τ = mean_x Kendall-τ( logits(x), P(· | x) )")
      .equation("calibration:  ECE = Σ_m |B_m|/n · | acc(B_m) − conf(B_m) |   (bins of the top-class p)")
      .paragraph("τ only sees the order of the classes, so any strictly increasing map of the logits leaves it "
                 "(and the argmax) as it is; ECE sees the numbers.  Temperature scaling, p = softmax(z / T) with "
                 "T fitted on a third of the test rows, is such a map: it can repair calibration without "
                 "touching the ranks.  The true posterior used as a predictor is calibrated by construction: its "
                 "ECE is only sampling noise.")
      .note("Temperature scaling (Guo et al. 2017) is our illustration of a monotone transform, not the paper's "
            "utility-to-probability equation.");
  t.section("Try this")
      .bullet("Press Play and watch the reliability diagram: the model's points against the diagonal, the "
              "oracle's dots on it up to sampling noise (ECE {ece_oracle:%.3f}).")
      .bullet("Read the two numbers together: Kendall τ {kendall_tau:%.3f} (ranks), ECE {ece:%.3f} "
              "(probabilities).  After temperature scaling (T = {temperature:%.2f}) τ is exactly the same "
              "({kendall_tau_temp:%.3f}) while the ECE becomes {ece_temp:%.3f}.  Early in training one "
              "temperature repairs a lot; later it may not help at all, when the model is over-confident in "
              "some places and under-confident in others.")
      .bullet("Set capacity to linear: a linear softmax cannot put a class on two opposite sides, so its "
              "ranks collapse (τ near 0) and its accuracy falls far below the Bayes accuracy "
              "({acc_bayes:%.3f}).  With sharpness 10 its ECE is nevertheless tiny: it predicts about its own "
              "accuracy everywhere.  Calibrated is not the same as knowing which class.")
      .bullet("Try capacity 16 or 64: τ rises towards 1 while the ECE stays a few percent; raise the sharpness "
              "for less label noise and a more confident truth.");
  t.section("What the paper reports")
      .paragraph("From the abstract only (the tables could not be checked): the MLE training dynamic of any "
                 "softmax network can be read as optimizing an ordinal utility; this explains several "
                 "observations (about language generation) that the probability reading cannot; and the "
                 "utility-to-probability transform gives probability-based decision rules double-digit gains.  "
                 "None of these is reproduced here.")
      .paper("Probability-based decision rules with the transform", "\"dramatic (double-digits) improvements\" "
             "(abstract; not verified)", "ece_temp", "ECE %.3f after a temperature (not the paper's transform)",
             "Paper: language generation tasks.  Live: a 2-D toy; the paper's transform is not built.")
      .paper("A calibrated predictor's ECE", "0 by definition", "ece_oracle", "%.3f",
             "Live: the true posterior on the evaluation rows; the rest is sampling noise.")
      .note("Teaching simplification: a 2-D toy with a known posterior and a one-hidden-layer MLP; the paper "
            "studies language models.");
}

}  // namespace

PG_REGISTER_LESSON(UtilityProbability, 19);

}  // namespace pg
