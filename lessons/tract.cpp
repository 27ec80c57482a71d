// tract.cpp - Lesson: "TrAct: Making First-layer Pre-Activations Trainable"
// (Petersen, Borgelt & Ermon, NeurIPS 2024, arXiv:2410.23970; official code
// Felix-Petersen/tract).
//
// The same MLP is trained twice from the same initialization on the same
// mini-batches of images whose contrast varies from image to image: once
// plainly, once with TrAct's first-layer gradient (engine/nn/tract.h, added as
// a gradient transform on that run only; the optimizer is the same).  The views
// show both runs' curves, the steps each needs to reach a target test
// accuracy, test accuracy on the dullest and the most contrasted images, and
// the first layer's weights as images.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

#include "engine/nn/losses_softmax.h"
#include "engine/nn/tract.h"
#include "engine/opt/linalg.h"
#include "engine/rng.h"
#include "lessons/trainer_lesson.h"
#include "ui/panel.h"
#include "ui/plots.h"

namespace pg {
namespace {

const LessonInfo kInfo = {
    "tract",
    "TrAct: making first-layer pre-activations trainable",
    "Petersen, Borgelt & Ermon",
    2024,
    "2410.23970",
    "https://github.com/Felix-Petersen/tract",
    "D. Trainers and optimizers",
    LessonKind::trainer,
    Stepping::on_play,
    "Train the first layer as if its outputs were embeddings: a ridge-regularized least-squares step that makes "
    "each image's update independent of its contrast.",
};

constexpr int kRunPlain = 0, kRunTract = 1;
constexpr int kShownFilters = 16;  // first-layer units drawn as images, per run
constexpr int kProbeRows = 16;     // rows of g~ compared between the two branches at the end
constexpr int kContrastGroups = 3; // test images split into thirds by contrast
constexpr int kInfluenceRows = 256; // training images whose self-influence is plotted (whole batches)

// How much of image i's own activation gradient reaches its own activation in
// one step, for each image of a batch A (b, n) (row-major, float64):
//   plain:  dZ = -eta A A^T G            -> K_ii = ||a_i||^2
//   TrAct:  dZ = -eta A g~^T = -eta K G  with K = b M (M + lambda I_b)^-1, M = A A^T / b,
//           K_ii = b (1 - lambda [(M + lambda I)^-1]_ii)  -> b as lambda -> 0.
// sys (b*b) and col (b) are scratch.  Returns false if M + lambda I is not positive definite.
bool self_influence(const double* A, int b, int n, double lambda, double* plain, double* tract,
                    std::vector<double>& sys, std::vector<double>& col) {
  sys.assign(size_t(b) * b, 0.0);
  for (int i = 0; i < b; ++i)
    for (int j = 0; j < b; ++j) sys[size_t(i) * b + j] = opt::dot(A + size_t(i) * n, A + size_t(j) * n, n) / b;
  for (int i = 0; i < b; ++i) plain[i] = sys[size_t(i) * b + i] * b;
  for (int i = 0; i < b; ++i) sys[size_t(i) * b + i] += lambda;
  if (!opt::cholesky_factor(sys.data(), b)) return false;
  col.resize(size_t(b));
  for (int i = 0; i < b; ++i) {
    std::fill(col.begin(), col.end(), 0.0);
    col[size_t(i)] = 1.0;
    opt::cholesky_solve(sys.data(), b, col.data(), col.data());
    tract[i] = b * (1.0 - lambda * col[size_t(i)]);
  }
  return true;
}

// Least-squares slope of log y against log x.
double log_log_slope(const float* x, const float* y, int count) {
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  int k = 0;
  for (int i = 0; i < count; ++i) {
    if (!(x[i] > 0) || !(y[i] > 0)) continue;
    const double lx = detmath::log(x[i]), ly = detmath::log(y[i]);
    sx += lx, sy += ly, sxx += lx * lx, sxy += lx * ly, ++k;
  }
  const double var = sxx - sx * sx / std::max(1, k);
  return k > 1 && var > 1e-9 * k ? (sxy - sx * sy / k) / var : NAN;  // equal x (contrast = 1): no slope
}

class TractLesson : public TrainerLesson {
 public:
  TractLesson()
      : filters_(outputs_.array("filters")),
        train_contrast_(outputs_.array("train_contrast")),
        test_contrast_(outputs_.array("test_contrast")),
        group_acc_(outputs_.array("accuracy_by_contrast")),
        influence_(outputs_.series("self_influence", {"contrast", "plain", "tract"})),
        view_info_(outputs_.array("view_info")) {}

  bool views_draw_from_outputs() const override { return true; }  // tests/test_worker_mirror.cpp

  const LessonInfo& info() const override { return kInfo; }

  void declare(Declaration& d) override {
    ParamList& p = d.params;
    declare_training(d, kDigits, 600, 0.003, kDigits, kFashionMnist);
    p.real("lambda", "TrAct lambda", &lambda_, 1e-3, 10, 0.1,
           "The ridge in (A^T A / b + lambda I)^-1.  Small: the first layer's outputs take the full activation "
           "step whatever the image's contrast.  Large: TrAct tends to the plain gradient divided by lambda.  "
           "The paper and the official code use 0.1.",
           true);
    p.real("contrast", "contrast spread", &contrast_, 1, 10, 4,
           "Every image (train and test) is multiplied by its own factor, drawn log-uniformly between "
           "1/spread and spread: 1 leaves the images as they are, 10 mixes images 100 times dimmer than others.",
           true);
    p.real("target", "target test accuracy", &target_, 0.5, 0.99, 0.95,
           "The test accuracy whose first crossing (periodic evaluation) defines steps_to_target for each run.");
    p.choice("optimizer", "optimizer", &optimizer_, {"adam", "sgd"}, 0,
             "Both runs use the same one.  adam: Adam at the learning rate.  sgd: SGD with momentum 0.9 at the "
             "learning rate (try lr 0.05): the plain gradient's scale then matters directly.");
    d.preset("UCI digits, contrast spread 4 (default)", "dataset=digits");
    d.preset("UCI digits without contrast changes", "dataset=digits&contrast=1");
    d.preset("MNIST, contrast spread 4", "dataset=mnist&steps=800&target=0.92");
    d.preset("Fashion-MNIST, contrast spread 4", "dataset=fashion-mnist&steps=800&target=0.78");
    d.preset("SGD with momentum on digits", "dataset=digits&optimizer=sgd&lr=0.05");
    declare_text(d.text);
    declare_curves_view(d);
    d.view("speed", "Steps to the target accuracy, and accuracy by image contrast", [this](const ViewContext& v) {
      draw_speed(v);
    });
    d.view("influence", "How far each image's own gradient moves its own first-layer output, against its contrast",
           [this](const ViewContext& v) { draw_influence(v); });
    d.view("filters", "First-layer weights as images (16 units, same initialization)", [this](const ViewContext& v) {
      draw_filters(v);
    });
    declare_summary_view(d);
    declare_results_view(d, "Confusion matrices on the test set");
    d.metric_if_defined("steps_to_target_tract",
                        "first evaluated step at which the TrAct run's test accuracy reaches `target` (NaN if it never does)");
    d.metric_if_defined("steps_to_target_plain",
                        "first evaluated step at which the plain run's test accuracy reaches `target` (NaN if it never does)");
    d.metric_if_defined("speedup", "steps_to_target_plain / steps_to_target_tract (NaN unless both reach the target)");
    d.metric("final_test_acc_tract", "test accuracy of the TrAct run (fraction; whole test set after the run)");
    d.metric("final_test_acc_plain", "test accuracy of the plain run");
    d.metric("train_loss_tract", "smoothed mini-batch loss of the TrAct run");
    d.metric("train_loss_plain", "smoothed mini-batch loss of the plain run");
    d.metric_if_defined("acc_low_contrast_tract", "TrAct's test accuracy on the third of the test images with the lowest contrast "
                                       "factor (NaN until the run has finished)");
    d.metric_if_defined("acc_low_contrast_plain", "the plain run's accuracy on the same third (NaN until the run has finished)");
    d.metric_if_defined("acc_high_contrast_tract", "TrAct's test accuracy on the third with the highest contrast factor (NaN until the run has finished)");
    d.metric_if_defined("acc_high_contrast_plain", "the plain run's accuracy on that third (NaN until the run has finished)");
    d.metric_if_defined("branch_max_abs_diff",
             "after the run: max |full - batch| over the first 16 rows of the TrAct gradient of one training "
             "batch, computed in float64 by both branches (n x n and b x b systems); NaN until the run has finished");
    d.metric_if_defined("branch_scale", "max |g~| over the same entries (the scale branch_max_abs_diff is measured against); NaN until the run has finished");
    d.metric("batch_branch_used", "1 when b < n (the official code's batch branch: a b x b system), else 0");
    d.metric("input_scale", "the global factor that brings the training pixels to unit mean square (before contrast)");
    d.metric("contrast_min", "smallest per-image contrast factor drawn (train and test)");
    d.metric("contrast_max", "largest per-image contrast factor drawn (train and test)");
    d.metric_if_defined("influence_slope_plain",
             "slope of log(self-influence) against log(contrast) over 256 training images, plain gradient "
             "(self-influence of image i: K_ii = ||a_i||^2 in dZ = -eta A A^T G; about 2).  NaN when "
             "contrast = 1: every factor is 1 and there is no slope");
    d.metric_if_defined("influence_slope_tract",
                        "the same slope for TrAct (K = b M (M + lambda I)^-1, M = A A^T / b; 0 when lambda -> 0).  "
                        "NaN when contrast = 1");
    d.metric("tract_self_influence_over_b", "mean over those images of TrAct's K_ii / b (1 when lambda -> 0: dZ = -eta b G)");
    d.metric("steps_trained", "optimizer steps taken by each run");
  }

  void prepare_data(data::Dataset& train, data::Dataset& test) override {
    // One global scale first: pixels to unit mean square over the training
    // set (the paper's inputs are standardized, and lambda is relative to
    // A^T A / b).  Then each image's contrast factor, log-uniform in
    // [1/spread, spread], from its own stream.
    double sum_sq = 0;
    std::vector<float> row(size_t(train.dim));
    for (int i = 0; i < train.n; ++i) {
      train.row(i, row.data());
      for (float v : row) sum_sq += double(v) * v;
    }
    input_scale_ = sum_sq > 0 ? 1.0 / std::sqrt(sum_sq / (double(train.n) * train.dim)) : 1.0;
    pg::Rng rng = pg::Rng(seed_).fork(0x7ac7);
    const double log_spread = detmath::log(contrast_);
    for (data::Dataset* d : {&train, &test}) {
      d->row_gain.resize(size_t(d->n));
      for (float& g : d->row_gain) g = float(input_scale_ * detmath::exp(log_spread * rng.uniform(-1.0, 1.0)));
    }
  }

  void configure_trainer(nn::TrainerConfig& config, nn::OptimizerConfig& optimizer) const override {
    // Evaluate often enough to time the crossing of the target; the curves
    // and steps_to_target read these evaluations.
    config.eval_every = kEvalEvery;
    config.top_k = 3;
    if (optimizer_ == kSgd) {
      optimizer.kind = nn::OptimizerKind::sgd;
      optimizer.momentum = 0.9f;
    }
  }

  void add_runs(const nn::ModelSpec& spec, const nn::OptimizerConfig& opt) override {
    trainer_.add_run("plain", spec, std::make_unique<nn::SoftmaxCrossEntropy>(), opt);
    trainer_.add_run("TrAct", spec, std::make_unique<nn::SoftmaxCrossEntropy>(), opt);
    trainer_.add_grad_transform(nn::tract_transform(lambda_), kRunTract);
  }

  void after_reset() override {
    const data::Dataset& train = trainer_.train_data();
    const data::Dataset& test = trainer_.test_data();
    const nn::Model& m = trainer_.run(0).model;
    n_ = m.input_size();
    units_ = m.weight_count(0) / std::max(1, n_);
    shown_ = std::min(kShownFilters, units_);
    img_h_ = train.height, img_w_ = train.width;
    filters_.set({2, shown_, img_h_, img_w_}, std::vector<float>(size_t(2) * shown_ * n_, 0.0f).data());
    // The contrast factors alone (row_gain also holds the global input scale).
    const float inv_scale = float(1.0 / input_scale_);
    std::vector<float> factors;
    cmin_ = 1e30, cmax_ = 0;
    for (const data::Dataset* d : {&train, &test}) {
      factors.resize(size_t(d->n));
      for (int i = 0; i < d->n; ++i) factors[size_t(i)] = d->row_gain[size_t(i)] * inv_scale;
      for (float g : factors) cmin_ = std::min(cmin_, double(g)), cmax_ = std::max(cmax_, double(g));
      (d == &train ? train_contrast_ : test_contrast_).set({d->n}, factors.data());
    }
    group_acc_.set({2, kContrastGroups}, std::vector<float>(2 * kContrastGroups, NAN).data());
    // Test rows sorted by contrast, for the accuracy-by-contrast thirds.
    by_contrast_.resize(size_t(test.n));
    for (int i = 0; i < test.n; ++i) by_contrast_[i] = i;
    std::stable_sort(by_contrast_.begin(), by_contrast_.end(),
                     [&](int a, int b) { return test.row_gain[size_t(a)] < test.row_gain[size_t(b)]; });
    // The probe batch for the branch check: the first b training rows.
    probe_b_ = std::min(trainer_.batch_size(), train.n);
    probe_idx_.resize(size_t(probe_b_));
    for (int i = 0; i < probe_b_; ++i) probe_idx_[i] = i;
    probe_x_.resize(size_t(probe_b_) * n_);
    probe_y_.resize(size_t(probe_b_));
    train.gather(probe_idx_.data(), probe_b_, probe_x_.data(), probe_y_.data());
    probe_a_.assign(probe_x_.begin(), probe_x_.end());
    probe_dlogits_.resize(size_t(probe_b_) * m.output_size());
    rows_ = std::min(kProbeRows, units_);
    scratch_.sys.reserve(size_t(std::max(n_, probe_b_)) * std::max(n_, probe_b_));  // finish() stays allocation-free
    scratch_.rhs.reserve(size_t(probe_b_));
    probe_full_.resize(size_t(rows_) * n_);
    probe_batch_.resize(size_t(rows_) * n_);
    compute_self_influence(train);
    steps_to_target_[0] = steps_to_target_[1] = NAN;
    branch_diff_ = branch_scale_ = NAN;
    for (auto& run : group_values_)
      for (double& a : run) a = NAN;
  }

  int view_refresh_steps() const override { return kEvalEvery; }

  void refresh_views() override {
    for (int r = 0; r < 2; ++r) {
      // First crossing of the target at an evaluation (the cadence equals eval_every).
      const double acc = test_accuracy(r);
      if (std::isnan(steps_to_target_[r]) && std::isfinite(acc) && acc >= target_ && trainer_.steps_done() > 0)
        steps_to_target_[r] = trainer_.steps_done();
      // First-layer weights of the shown units.
      const nn::Model& m = trainer_.run(r).model;
      const float* w = m.params() + m.param_offset(0);
      std::copy(w, w + size_t(shown_) * n_, filters_.f.data() + size_t(r) * shown_ * n_);
    }
    // (A run that diverged or stuck at chance stops without them: they stay NaN.)
    if (trainer_.state() == nn::Trainer::State::finished && trainer_.steps_done() > 0) finish();
    publish_view_info();
  }

  // After every step() call (and every refresh): the speed view's numbers
  // and whether training has stopped (the text's condition), f64 as computed.
  void refresh_outputs() override { publish_view_info(); }

  void metrics(MetricList& out) const override {
    const bool ready = data_ready();
    const double s_t = steps_to_target_[kRunTract], s_p = steps_to_target_[kRunPlain];
    out.add("steps_to_target_tract", ready ? s_t : NAN);
    out.add("steps_to_target_plain", ready ? s_p : NAN);
    out.add("speedup", ready && s_t > 0 ? s_p / s_t : NAN);
    out.add("final_test_acc_tract", test_accuracy(kRunTract));
    out.add("final_test_acc_plain", test_accuracy(kRunPlain));
    out.add("train_loss_tract", ready ? trainer_.run(kRunTract).smoothed_loss : NAN);
    out.add("train_loss_plain", ready ? trainer_.run(kRunPlain).smoothed_loss : NAN);
    out.add("acc_low_contrast_tract", group_values_[kRunTract][0]);
    out.add("acc_low_contrast_plain", group_values_[kRunPlain][0]);
    out.add("acc_high_contrast_tract", group_values_[kRunTract][kContrastGroups - 1]);
    out.add("acc_high_contrast_plain", group_values_[kRunPlain][kContrastGroups - 1]);
    out.add("branch_max_abs_diff", branch_diff_);
    out.add("branch_scale", branch_scale_);
    out.add("batch_branch_used", ready ? (probe_b_ < n_ ? 1.0 : 0.0) : NAN);
    out.add("input_scale", ready ? input_scale_ : NAN);
    out.add("contrast_min", ready ? cmin_ : NAN);
    out.add("contrast_max", ready ? cmax_ : NAN);
    out.add("influence_slope_plain", ready ? slope_plain_ : NAN);
    out.add("influence_slope_tract", ready ? slope_tract_ : NAN);
    out.add("tract_self_influence_over_b", ready ? tract_self_mean_ : NAN);
    out.add("steps_trained", ready ? trainer_.steps_done() : 0);
  }

 private:
  enum { kAdam, kSgd };
  static constexpr int kEvalEvery = 20;

  // The numbers the speed view and the text read that no other output
  // holds: steps to the target per run, accuracy by contrast third per run
  // (full precision), and 1 once training has stopped.
  static constexpr int kViewInfo = 2 + 2 * kContrastGroups + 1;
  void publish_view_info() {
    double info[kViewInfo];
    for (int r = 0; r < 2; ++r) {
      info[r] = steps_to_target_[r];
      for (int g = 0; g < kContrastGroups; ++g) info[2 + r * kContrastGroups + g] = group_values_[r][g];
    }
    info[kViewInfo - 1] = data_ready() && trainer_.state() != nn::Trainer::State::running ? 1.0 : 0.0;
    view_info_.set({kViewInfo}, info);
  }
  void outputs_replaced() override {
    TrainerLesson::outputs_replaced();
    if (view_info_.d.size() != size_t(kViewInfo)) return;
    for (int r = 0; r < 2; ++r) {
      steps_to_target_[r] = view_info_.d[size_t(r)];
      for (int g = 0; g < kContrastGroups; ++g) group_values_[r][g] = view_info_.d[size_t(2 + r * kContrastGroups + g)];
    }
  }
  bool stopped() const { return view_info_.d.size() == size_t(kViewInfo) && view_info_.d[kViewInfo - 1] > 0; }

  // After the run: accuracy by contrast third (from the final predictions) and
  // the two branches of TrAct on one batch of the trained TrAct model.
  void finish() {
    const Array* pred = outputs_.find_array("test_predictions");
    const data::Dataset& test = trainer_.test_data();
    if (pred && pred->size() >= 2 * int64_t(test.n) && test.n >= kContrastGroups) {
      for (int r = 0; r < 2; ++r)
        for (int g = 0; g < kContrastGroups; ++g) {
          const int lo = g * test.n / kContrastGroups, hi = (g + 1) * test.n / kContrastGroups;
          int correct = 0;
          for (int k = lo; k < hi; ++k) {
            const int i = by_contrast_[size_t(k)];
            correct += int(pred->f[size_t(r) * test.n + i]) == test.y[size_t(i)];
          }
          group_values_[r][g] = double(correct) / std::max(1, hi - lo);
          group_acc_.f[size_t(r) * kContrastGroups + g] = float(group_values_[r][g]);
        }
    }
    if (!std::isnan(branch_diff_)) return;
    nn::Run& run = trainer_.run(kRunTract);
    nn::Model& m = run.model;
    const int C = m.output_size();
    const float* logits = m.forward(probe_x_.data(), probe_b_);
    run.loss->forward(logits, probe_y_.data(), probe_b_, C);
    run.loss->backward(logits, probe_y_.data(), probe_b_, C, probe_dlogits_.data());
    m.zero_grad();
    m.backward(probe_dlogits_.data());
    const float* gw = m.grads() + m.param_offset(0);
    for (int i = 0; i < rows_ * n_; ++i) probe_full_[size_t(i)] = probe_batch_[size_t(i)] = gw[i];
    m.zero_grad();
    const bool ok_full = nn::tract_transform_weight_grad(probe_full_.data(), probe_a_.data(), probe_b_, rows_, n_,
                                                         lambda_, scratch_, 0);
    const bool ok_batch = nn::tract_transform_weight_grad(probe_batch_.data(), probe_a_.data(), probe_b_, rows_, n_,
                                                          lambda_, scratch_, 1);
    double diff = 0, scale = 0;
    for (size_t i = 0; i < probe_full_.size(); ++i) {
      diff = std::max(diff, std::fabs(probe_full_[i] - probe_batch_[i]));
      scale = std::max(scale, std::fabs(probe_full_[i]));
    }
    branch_diff_ = ok_full && ok_batch ? diff : INFINITY;
    branch_scale_ = scale;
  }

  // Self-influence of the first kInfluenceRows training images, batch by batch,
  // each normalized by its mean over the plotted images.
  void compute_self_influence(const data::Dataset& train) {
    const int b = probe_b_, batches = b > 0 ? std::min(kInfluenceRows, train.n) / b : 0, count = batches * b;
    influence_.resize(count);
    std::vector<int> idx(size_t(std::max(b, 1)));
    std::vector<float> x(size_t(b) * n_);
    std::vector<double> a(size_t(b) * n_), plain(static_cast<size_t>(b)), tract(static_cast<size_t>(b)), sys, col;
    bool ok = count > 0;
    for (int k = 0; k < batches && ok; ++k) {
      for (int i = 0; i < b; ++i) idx[size_t(i)] = k * b + i;
      train.gather(idx.data(), b, x.data(), nullptr);
      a.assign(x.begin(), x.end());
      ok = self_influence(a.data(), b, n_, lambda_, plain.data(), tract.data(), sys, col);
      for (int i = 0; i < b; ++i) {
        influence_.col(0)[k * b + i] = train_contrast_.f[size_t(k * b + i)];
        influence_.col(1)[k * b + i] = float(plain[size_t(i)]);
        influence_.col(2)[k * b + i] = float(tract[size_t(i)]);
      }
    }
    slope_plain_ = slope_tract_ = tract_self_mean_ = NAN;
    if (!ok) {
      influence_.resize(0);
      return;
    }
    double mean_tract = 0;
    for (int c = 1; c <= 2; ++c) {
      double mean = 0;
      for (int i = 0; i < count; ++i) mean += influence_.col(c)[i];
      mean /= count;
      if (c == 2) mean_tract = mean;
      for (int i = 0; i < count; ++i) influence_.col(c)[i] = float(influence_.col(c)[i] / mean);
    }
    tract_self_mean_ = mean_tract / b;
    slope_plain_ = log_log_slope(influence_.col(0), influence_.col(1), count);
    slope_tract_ = log_log_slope(influence_.col(0), influence_.col(2), count);
  }

  void declare_text(Walkthrough& t);
  void draw_influence(const ViewContext& v) const;
  void draw_speed(const ViewContext& v) const;
  void draw_filters(const ViewContext& v) const;

  double lambda_ = 0.1, contrast_ = 4, target_ = 0.9;
  int optimizer_ = kAdam;
  Array& filters_;         // (2, shown, h, w): first-layer weight rows, run 0 = plain, 1 = TrAct
  Array& train_contrast_;  // (n_train,): each training image's contrast factor
  Array& test_contrast_;   // (n_test,)
  Array& group_acc_;       // (2, 3): test accuracy on the lowest / middle / highest contrast thirds
  Series& influence_;      // per plotted training image: contrast, plain and TrAct self-influence (each / its mean)
  Array& view_info_;       // (kViewInfo,) f64: see publish_view_info
  double slope_plain_ = NAN, slope_tract_ = NAN, tract_self_mean_ = NAN;
  double input_scale_ = 1;  // set by prepare_data: 1 / rms pixel of the training set
  int n_ = 0, units_ = 0, shown_ = 0, img_h_ = 1, img_w_ = 1, probe_b_ = 0, rows_ = 0;
  double steps_to_target_[2] = {NAN, NAN};
  double branch_diff_ = NAN, branch_scale_ = NAN, cmin_ = NAN, cmax_ = NAN;
  double group_values_[2][kContrastGroups] = {{NAN, NAN, NAN}, {NAN, NAN, NAN}};
  std::vector<int> by_contrast_, probe_idx_, probe_y_;
  std::vector<float> probe_x_, probe_dlogits_;
  std::vector<double> probe_a_, probe_full_, probe_batch_;
  nn::TractScratch scratch_;
};

void TractLesson::declare_text(Walkthrough& t) {
  t.section("The problem")
      .paragraph("A vision model's first layer computes Z = A Wᵀ + c from the raw inputs A (one row per image, "
                 "b images per batch, n pixels each).  Its weight gradient is Gᵀ A with G = ∂L/∂Z: every image "
                 "pushes the weights in proportion to its own pixel values.  A dim, low-contrast image barely "
                 "moves them; a bright one moves them a lot, although both may be equally informative.  A "
                 "language model's embedding layer has no such bias: a token's embedding moves by its own "
                 "gradient, whatever the token is.")
      .paragraph("To make this visible, every image here (train and test) is multiplied by its own contrast "
                 "factor, drawn log-uniformly between 1/s and s (s = contrast; now {contrast_min:%.2f} to "
                 "{contrast_max:%.2f}), after one global scale ({input_scale:%.2f}) that brings the pixels to "
                 "unit mean square, as the paper's standardized inputs.");
  t.section("The method")
      .paragraph("TrAct takes the step an embedding layer would take, then finds the weights that produce it.  "
                 "(i) Propose new activations Z* = Z − η b G (G is the gradient of the batch-mean loss, so b G "
                 "is each image's own gradient).  (ii) Choose W to reproduce Z* in the least-squares sense, with "
                 "a ridge λ that keeps W near its current value.  The closed form replaces the first layer's "
                 "weight gradient by")
      .equation("g~ = Gᵀ A (Aᵀ A / b + λ I_n)⁻¹            (n × n system, used when b ≥ n)")
      .equation("g~ = Gᵀ (A Aᵀ / b + λ I_b)⁻¹ A            (b × b system, used when b < n)")
      .paragraph("The two are the same matrix (push-through identity); the official code solves the smaller "
                 "system.  The engine computes the batch branch by the Woodbury identity from the gradient Gᵀ A "
                 "the trainer already has, in float64.  After the run, both branches on one batch of the trained "
                 "model differ by {branch_max_abs_diff:%.2e} at entries of size {branch_scale:%.3g}.  The bias "
                 "gradient and every other layer are unchanged, and the optimizer (Adam or SGD) consumes g~ as "
                 "if it were the gradient.")
      .paragraph("What an image's own gradient does to its own activations, in one step W −= η g:")
      .equation("plain:  ΔZ = −η A Aᵀ G          self-influence K_ii = ||a_i||²  (∝ contrast²)")
      .equation("TrAct:  ΔZ = −η K G,  K = b M (M + λ I)⁻¹,  M = A Aᵀ / b      K_ii → b as λ → 0")
      .bullet("λ → 0 with b < n: K = b I, so every pre-activation moves by exactly −η b G, the embedding "
              "layer's step, and an image's contrast no longer matters.")
      .bullet("λ → ∞: λ g~ → Gᵀ A, the plain gradient divided by λ (Adam undoes that scale, SGD does not).")
      .bullet("In between, images whose rows of A are large compared with √λ get an influence near b; dim "
              "ones less.  The influence view plots K_ii against the contrast factor for 256 training images: "
              "the slope of log K_ii on log contrast is {influence_slope_plain:%.2f} for the plain gradient "
              "and {influence_slope_tract:%.2f} for TrAct (mean K_ii / b = {tract_self_influence_over_b:%.2f}).")
      .paragraph("Both runs start from the same weights, see the same batches and use the same optimizer; only "
                 "the first layer's gradient differs.  The network is a one-hidden-layer ReLU MLP: 64-64-10 on "
                 "the 8x8 digits, 784-128-10 on MNIST and Fashion-MNIST.");
  t.section("Try this")
      .bullet("Press Play and compare the curves: TrAct first reaches the target accuracy after "
              "{steps_to_target_tract:%.0f} steps, plain after {steps_to_target_plain:%.0f} (speed-up "
              "{speedup:%.2f}x).  Its training loss ends lower too: {train_loss_tract:%.3f} against "
              "{train_loss_plain:%.3f}.")
      .bullet("Set contrast = 1: both runs speed up and TrAct usually stays ahead (its solve also decorrelates "
              "the pixels through Aᵀ A).  At 10 both slow down, because the layers after the first still see "
              "activations scaled by the contrast, and plain slows more.  "
              "(Measured, seeds 1-3, digits: contrast 1: 80/80/80 TrAct against 140/80/160 plain steps to 95%; "
              "4: 140/100/140 against 200/200/220; 10: 280/180/260 against 380/300/420.)")
      .bullet("Lower λ to 0.001: the influence slope drops to about 0.1 (nearly the pure embedding step), but "
              "each step now fits one batch's activations exactly and training gets slower than plain "
              "(measured, seeds 1-3: 240/240/260 against 200/200/220 steps).  Raise λ to 10: the slope returns "
              "to about 1.8, close to plain, yet under Adam TrAct still leads (140/140/160): Adam divides the "
              "1/λ away and part of the decorrelation remains.  λ = 0.1 is the paper's compromise.")
      .bullet("Switch the optimizer to SGD (lr 0.05): the plain run now feels the pixels' scale directly "
              "(measured: 60/100/60 against 300/160/240 steps).")
      .bullet("The filters view shows both first layers, from the same random start.")
      .note("A run did not reach the target accuracy: its steps_to_target is shown as '–'.  Lower the target "
            "or raise the steps.")
      .when([this] { return stopped() &&
                            (std::isnan(steps_to_target_[0]) || std::isnan(steps_to_target_[1])); });
  t.section("What the paper reports")
      .paper("Training speed-up of TrAct over plain training", "1.25x to 4x (abstract)", "speedup", "%.2fx",
             "Paper: CIFAR-10/100 and ImageNet, ResNets and ViTs, the same accuracy in fewer epochs.  Live: steps "
             "to the target test accuracy, one-hidden-layer MLP on contrast-varied digit images.")
      .paper("Test accuracy, TrAct", "(no number quoted here)", "final_test_acc_tract", "%.1f%%",
             "Live: whole test set after the run.", 100)
      .paper("Test accuracy, plain", "(no number quoted here)", "final_test_acc_plain", "%.1f%%",
             "The same network, init and batches without TrAct.", 100)
      .note("Measured with the presets (seed 1): digits 140 against 200 steps to 95% (1.43x); MNIST, 800 steps, "
            "300 against 380 steps to 92% (1.27x), final 94.4% against 93.6%; Fashion-MNIST, 800 steps, 540 "
            "against 780 steps to 78% (1.44x), final 84.9% against 83.1%.")
      .note("The speed-up is in reaching the target; the final test accuracy of a short run on 1,437 digit "
            "images is not always higher with TrAct (it fits the training set faster and the small test set "
            "moves by single images).  The paper's claim is about training speed, with equal or better final "
            "accuracy at its scale.")
      .note("λ = 0.1 is the official code's default (its README: it 'performs very well'); the paper's runs use "
            "SGD (lr 0.08, cosine schedule) or Adam (lr 0.01 or 0.001).")
      .warning("Teaching simplifications: the first layer is a fully connected layer on whole images, not a "
               "convolution on patches (the official code applies the same formula to unfolded patches, with b "
               "= batch × output positions); the inputs are scaled to unit mean square but not centered (the "
               "paper standardizes them); the random per-image contrast is this lesson's way of making the "
               "paper's argument visible, not one of its experiments; the speed-up is in steps to a target "
               "accuracy, not in wall-clock time (the solve costs extra time per step here).");
}

void TractLesson::draw_speed(const ViewContext& v) const {
  if (!draw_data_status()) return;
  const float w = ui::column_width(2), h = v.height > 0 ? v.height : v.font_size * 9;
  {
    const char* labels[2] = {"plain", "TrAct"};
    float values[2];
    for (int r = 0; r < 2; ++r) values[r] = std::isfinite(steps_to_target_[r]) ? float(steps_to_target_[r]) : 0.0f;
    ImGui::BeginGroup();
    char caption[96];
    std::snprintf(caption, sizeof caption, "steps to %.0f%% test accuracy (0: not yet)", 100.0 * target_);
    ImGui::TextUnformatted(caption);
    plot::bar_chart("##steps", ImVec2(w, h - v.font_size * 1.5f), labels, values, 2, "steps");
    ImGui::EndGroup();
  }
  ui::next_column(w);
  {
    const char* labels[kContrastGroups] = {"dullest third", "middle third", "brightest third"};
    float plain[kContrastGroups], tract[kContrastGroups];
    for (int g = 0; g < kContrastGroups; ++g) {
      plain[g] = std::isfinite(group_values_[0][g]) ? float(100 * group_values_[0][g]) : 0.0f;
      tract[g] = std::isfinite(group_values_[1][g]) ? float(100 * group_values_[1][g]) : 0.0f;
    }
    ImGui::BeginGroup();
    ImGui::TextUnformatted("test accuracy by image contrast (after the run)");
    plot::bar_chart("##groups", ImVec2(w, h - v.font_size * 1.5f), labels, tract, kContrastGroups, "%", plain,
                    "TrAct", "plain");
    ImGui::EndGroup();
  }
}

// Self-influence against contrast, log-log, both rules (each normalized by its mean).
void TractLesson::draw_influence(const ViewContext& v) const {
  if (!draw_data_status()) return;
  plot::LinePlot p("##influence", ImVec2(v.width, v.height > 0 ? v.height : v.font_size * 12));
  p.axes("contrast factor of the image", "self-influence / mean", true, true);
  const int n = influence_.rows();
  p.points("plain: K_ii = ||a_i||²", influence_.col(0), influence_.col(1), n, plot::palette(kRunPlain));
  p.points("TrAct: K_ii = b [M (M + λI)⁻¹]_ii", influence_.col(0), influence_.col(2), n, plot::palette(kRunTract));
  p.hline(1.0, "equal influence");
  p.draw();
}

// Each run's first kShownFilters weight rows, reshaped to the image, on one
// symmetric diverging scale per run.
void TractLesson::draw_filters(const ViewContext& v) const {
  if (!draw_data_status() || shown_ == 0) return;
  const float gap = ImGui::GetStyle().ItemSpacing.x;
  const int per_row = 8;
  const float half = (v.width - gap) * 0.5f;
  const float cell = std::max(v.font_size * 1.5f, (half - gap * (per_row - 1)) / per_row);
  for (int r = 0; r < 2; ++r) {
    if (r) ImGui::SameLine();
    ImGui::BeginGroup();
    ImGui::PushID(r);
    ui::legend_swatch(plot::palette(r), r == kRunPlain ? "plain" : "TrAct");
    const float* base = filters_.f.data() + size_t(r) * shown_ * n_;
    float vmax = 1e-12f;
    for (int i = 0; i < shown_ * n_; ++i) vmax = std::max(vmax, std::fabs(base[i]));
    plot::HeatmapStyle style;
    style.map = plot::Colormap::diverging;
    style.vmin = -vmax, style.vmax = vmax;
    style.colorbar = false;
    for (int k = 0; k < shown_; ++k) {
      if (k % per_row) ImGui::SameLine();
      ImGui::PushID(k);
      plot::heatmap("##w", ImVec2(cell, cell * float(img_h_) / float(std::max(1, img_w_))), base + size_t(k) * n_,
                    img_h_, img_w_, style);
      ImGui::PopID();
    }
    ImGui::PopID();
    ImGui::EndGroup();
  }
}

}  // namespace

PG_REGISTER_LESSON(TractLesson, 23);

}  // namespace pg
