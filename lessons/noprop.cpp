// noprop.cpp - Lesson: "NoProp: Training Neural Networks without
// Back-propagation or Forward-propagation" (Li, Teh & Pascanu, 2025,
// arXiv:2503.24322; no official code).
//
// NoProp-DT (engine/nn/noprop.h) trains T blocks, each on its own denoising
// term with its input z_(t-1) sampled from the noising distribution q, so no
// gradient and no forward signal passes between blocks during training.  A
// backprop MLP with the widths of one block is trained beside it on the same
// mini-batches (the shared trainer's run; NoProp's step runs in its gradient
// hook).  The views show both test accuracies, the denoising trajectory
// z_0 -> z_T of a few test points, and each block's loss and weight.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

#include "engine/nn/losses_softmax.h"
#include "engine/nn/noprop.h"
#include "engine/rng.h"
#include "lessons/trainer_lesson.h"
#include "ui/panel.h"
#include "ui/plots.h"

namespace pg {
namespace {

const LessonInfo kInfo = {
    "noprop",
    "NoProp: training without back- or forward-propagation",
    "Li, Teh & Pascanu",
    2025,
    "2503.24322",
    "",
    "D. Trainers and optimizers",
    LessonKind::trainer,
    Stepping::on_play,
    "Each block learns, on its own, to denoise a noisy label embedding; inference runs the blocks as a "
    "diffusion sampler.  Against a backprop MLP.",
};

constexpr int kShownPoints = 4;     // test points whose trajectory is shown
constexpr int kRefresh = 50;        // NoProp evaluation cadence (steps)
constexpr int kPeriodicRows = 500;  // test rows of the periodic NoProp evaluation (the final one uses all)
constexpr int kHidden = 64;

class NoPropLesson : public TrainerLesson {
 public:
  NoPropLesson()
      : accuracy_(outputs_.series("accuracy", {"step", "backprop", "noprop"})),
        blocks_out_(outputs_.series("blocks", {"block", "loss", "weight", "abar", "snr", "a", "b", "c"})),
        trajectory_(outputs_.array("trajectory")),
        shown_labels_(outputs_.array("trajectory_labels")),
        noprop_pred_(outputs_.array("test_predictions_noprop")),
        shown_pred_out_(outputs_.array("trajectory_predictions")) {}

  bool views_draw_from_outputs() const override { return true; }  // tests/test_worker_mirror.cpp

  const LessonInfo& info() const override { return kInfo; }

  void declare(Declaration& d) override {
    ParamList& p = d.params;
    declare_training(d, kDigits, 1500, 0.001, kSpirals, kMnist, 8, 32);
    p.integer("blocks", "blocks T", &T_, 2, 20, 10, "Number of denoising blocks (the paper's DT setting: 10).");
    p.real("eta", "eta", &eta_, 0.01, 1, 0.1,
           "The weight of the denoising terms, (T/2) eta (SNR(t) - SNR(t-1)) (the paper: 0.1).  With Adam a "
           "block's step hardly depends on its loss's scale; eta matters through the balance inside a block.",
           true);
    d.preset("UCI digits (default)", "dataset=digits");
    d.preset("3-class spirals", "dataset=spirals&steps=3000&lr=0.01");
    d.preset("MNIST", "dataset=mnist&steps=1500");
    declare_text(d.text);
    d.view("accuracy", "Test accuracy: NoProp-DT against backprop", [this](const ViewContext& v) { draw_accuracy(v); });
    d.view("trajectory", "Denoising z_0 -> z_T for four test points (rows: classes, columns: t)",
           [this](const ViewContext& v) { draw_trajectory(v); });
    d.view("blocks", "Each block's denoising loss and its weight (T/2) eta dSNR", [this](const ViewContext& v) {
      draw_blocks(v);
    });
    d.metric("test_acc_noprop", "NoProp-DT test accuracy: label-free inference from z_0 ~ N(0, I) (whole test set "
                                "after the run, 500 rows during it)");
    d.metric("test_acc_backprop", "test accuracy of the backprop MLP with one block's widths");
    d.metric("max_cross_block_grad",
             "max over blocks t of |L_t(theta + eps v) - L_t(theta)| / eps when every OTHER block and the "
             "classifier are perturbed (random +-1 direction v, eps 1e-2): must be 0");
    d.metric("min_own_block_grad", "the same finite difference when block t's own parameters are perturbed (min over t; "
                                   "positive: the probe does see a dependence)");
    d.metric("schedule_identity_max_abs", "max over t of |a_t + b_t sqrt(abar_(t-1)) - sqrt(abar_t)| and "
                                          "|b_t^2 (1 - abar_(t-1)) + c_t - (1 - abar_t)|");
    d.metric("abar_0", "abar at t = 0 (noise end, clamped at 1e-5)");
    d.metric("abar_T", "abar at t = T (label end)");
    d.metric("dsnr_max", "largest SNR difference in a loss weight (capped at 100)");
    d.metric("min_block_weight", "smallest loss weight (T/2) eta dSNR(t) over the blocks (positive: every block trains)");
    d.metric("kl_z0", "KL(q(z_0 | y) || N(0, I)) for one-hot embeddings (a constant: not trained)");
    d.metric("train_loss_noprop", "smoothed sum of the T denoising terms and the classifier's cross-entropy");
    d.metric("classifier_loss", "smoothed cross-entropy of the classifier on z_T ~ q(z_T | y)");
    d.metric("train_loss_backprop", "smoothed mini-batch cross-entropy of the backprop MLP");
    d.metric("params_noprop", "parameters of the T blocks and the classifier");
    d.metric("params_backprop", "parameters of the backprop MLP");
    d.metric("steps_trained", "optimizer steps (every block and the MLP take one per step)");
  }

  nn::ModelSpec model_for(const data::Dataset& d) const override {
    return nn::mlp(d.dim, {kHidden, kHidden}, d.classes);
  }

  void configure_trainer(nn::TrainerConfig& config, nn::OptimizerConfig& optimizer) const override {
    // The paper's DT optimizer, for the MLP and (below) every block: AdamW, weight decay 1e-3.
    optimizer.kind = nn::OptimizerKind::adamw;
    optimizer.weight_decay = 1e-3f;
    config.eval_every = kRefresh;
    config.top_k = 2;
  }

  void add_runs(const nn::ModelSpec& spec, const nn::OptimizerConfig& opt) override {
    trainer_.add_run("backprop", spec, std::make_unique<nn::SoftmaxCrossEntropy>(), opt);
    const data::Dataset& train = trainer_.train_data();
    nn::NoPropConfig config;
    config.T = T_;
    config.eta = eta_;
    config.hidden = kHidden;
    config.optimizer = opt;
    pg::Rng init_rng = pg::Rng(seed_).fork(0x4e0b);
    noprop_ok_ = noprop_.init(train.dim, train.classes, config, std::max(trainer_.batch_size(), kPeriodicRows), init_rng);
    train_rng_ = pg::Rng(seed_).fork(0x4e0c);
    smoothed_ = classifier_smoothed_ = NAN;
    noprop_failed_ = false;
    // NoProp trains in the backprop run's gradient hook: the same batch, once per step.
    trainer_.set_grad_hook([this](int r, nn::Model&, const float* x, const int* y, int B) {
      if (r != 0 || !noprop_ok_ || noprop_failed_) return;
      const double loss = noprop_.train_step(x, y, B, train_rng_);
      if (!std::isfinite(loss)) {
        noprop_failed_ = true;
        return;
      }
      const double k = trainer_.steps_done() == 0 ? 0.0 : 0.95;
      smoothed_ = k == 0 ? loss : k * smoothed_ + (1 - k) * loss;
      classifier_smoothed_ = k == 0 ? noprop_.last_classifier_loss()
                                    : k * classifier_smoothed_ + (1 - k) * noprop_.last_classifier_loss();
      for (int t = 0; t < T_; ++t) {
        const double l = noprop_.last_block_losses()[size_t(t)];
        block_smoothed_[size_t(t)] = k == 0 ? l : k * block_smoothed_[size_t(t)] + (1 - k) * l;
      }
    });
  }

  void after_reset() override {
    const data::Dataset& test = trainer_.test_data();
    const int C = test.classes, T = T_;
    block_smoothed_.assign(size_t(T), NAN);
    test_x_.resize(size_t(test.n) * test.dim);
    std::vector<int> all(static_cast<size_t>(test.n));
    for (int i = 0; i < test.n; ++i) all[size_t(i)] = i;
    test_y_.resize(size_t(test.n));
    test.gather(all.data(), test.n, test_x_.data(), test_y_.data());
    pred_.assign(size_t(test.n), 0);
    // The periodic evaluation's rows, evenly spread; the shown points among them.
    periodic_n_ = std::min(kPeriodicRows, test.n);
    periodic_x_.resize(size_t(periodic_n_) * test.dim);
    periodic_y_.resize(size_t(periodic_n_));
    const data::SpreadRows periodic_rows(periodic_n_, test.n);
    for (int i = 0; i < periodic_n_; ++i) {
      const int row = periodic_rows[i];
      std::copy(test_x_.begin() + size_t(row) * test.dim, test_x_.begin() + size_t(row + 1) * test.dim,
                periodic_x_.begin() + size_t(i) * test.dim);
      periodic_y_[size_t(i)] = test_y_[size_t(row)];
    }
    shown_ = std::min(kShownPoints, periodic_n_);
    traj_.assign(size_t(periodic_n_) * (T + 1) * C, 0.0f);
    trajectory_.set({shown_, T + 1, C}, traj_.data());
    std::vector<float> labels(static_cast<size_t>(shown_));
    for (int i = 0; i < shown_; ++i) labels[size_t(i)] = float(periodic_y_[size_t(i) * periodic_n_ / std::max(1, shown_)]);
    shown_labels_.set({shown_}, labels.data());
    shown_pred_out_.set({shown_}, std::vector<float>(size_t(shown_), -1.0f).data());
    noprop_pred_.set({test.n}, std::vector<float>(size_t(test.n), -1.0f).data());
    accuracy_.values.assign(3, {});
    for (auto& col : accuracy_.values) col.reserve(size_t(steps_ / kRefresh + 4));  // step() stays allocation-free
    final_done_ = false;
    blocks_out_.resize(T);
    const nn::NoPropSchedule& s = noprop_.schedule();
    for (int t = 1; t <= T; ++t) {
      blocks_out_.col(0)[t - 1] = float(t);
      blocks_out_.col(2)[t - 1] = float(0.5 * T * eta_ * s.dsnr[size_t(t)]);
      blocks_out_.col(3)[t - 1] = float(s.abar[size_t(t)]);
      blocks_out_.col(4)[t - 1] = float(s.snr[size_t(t)]);
      blocks_out_.col(5)[t - 1] = float(s.a[size_t(t)]);
      blocks_out_.col(6)[t - 1] = float(s.b[size_t(t)]);
      blocks_out_.col(7)[t - 1] = float(s.c[size_t(t)]);
    }
    // Probe buffers for the cross-block check.
    probe_b_ = std::min(16, test.n);
    probe_z_.assign(size_t(probe_b_) * C, 0.0f);
    int most = noprop_.classifier().num_params();
    for (int t = 1; t <= T; ++t) most = std::max(most, noprop_.block(t).num_params());
    saved_.assign(size_t(most), 0.0f);
    acc_noprop_ = NAN;
    schedule_residual_ = schedule_identity_residual(s);
  }

  int view_refresh_steps() const override { return kRefresh; }

  void refresh_views() override {
    if (!noprop_ok_) return;
    if (final_done_) {  // after the final evaluation: only the MLP's whole-test-set accuracy is new
      if (accuracy_.rows() > 0) accuracy_.values[1].back() = float(test_accuracy(0));
      return;
    }
    const bool finished = trainer_.state() != nn::Trainer::State::running;
    const data::Dataset& test = trainer_.test_data();
    const int C = test.classes, T = T_;
    // Label-free inference with its own stream per evaluation step (split-independent).
    pg::Rng rng = pg::Rng(seed_).fork(0x5eed0000ull + uint64_t(trainer_.steps_done()));
    noprop_.predict(periodic_x_.data(), periodic_n_, rng, pred_.data(), traj_.data());
    int correct = 0;
    for (int i = 0; i < periodic_n_; ++i) correct += pred_[size_t(i)] == periodic_y_[size_t(i)];
    acc_noprop_ = double(correct) / std::max(1, periodic_n_);
    for (int i = 0; i < shown_; ++i) {
      const int row = i * periodic_n_ / std::max(1, shown_);
      std::copy(traj_.begin() + size_t(row) * (T + 1) * C, traj_.begin() + size_t(row + 1) * (T + 1) * C,
                trajectory_.f.begin() + size_t(i) * (T + 1) * C);
      shown_pred_out_.f[size_t(i)] = float(pred_[size_t(row)]);
    }
    if (finished && trainer_.steps_done() > 0 && !final_done_) {
      final_done_ = true;
      // The final number on the whole test set.
      noprop_.predict(test_x_.data(), test.n, rng, pred_.data());
      correct = 0;
      for (int i = 0; i < test.n; ++i) {
        correct += pred_[size_t(i)] == test_y_[size_t(i)];
        noprop_pred_.f[size_t(i)] = float(pred_[size_t(i)]);
      }
      acc_noprop_ = double(correct) / std::max(1, test.n);
    }
    accuracy_.push({float(trainer_.steps_done()), float(test_accuracy(0)), float(acc_noprop_)});
    for (int t = 0; t < T; ++t) blocks_out_.col(1)[t] = float(block_smoothed_[size_t(t)]);
    cross_block_probe();
  }

  void metrics(MetricList& out) const override {
    const bool ready = data_ready() && noprop_ok_;
    const nn::NoPropSchedule& s = noprop_.schedule();
    out.add("test_acc_noprop", ready ? acc_noprop_ : NAN);
    out.add("test_acc_backprop", test_accuracy(0));
    out.add("max_cross_block_grad", ready ? max_cross_ : NAN);
    out.add("min_own_block_grad", ready ? min_own_ : NAN);
    out.add("schedule_identity_max_abs", ready ? schedule_residual_ : NAN);
    out.add("abar_0", ready ? s.abar.front() : NAN);
    out.add("abar_T", ready ? s.abar.back() : NAN);
    out.add("dsnr_max", ready ? *std::max_element(s.dsnr.begin(), s.dsnr.end()) : NAN);
    out.add("min_block_weight", ready ? min_weight() : NAN);
    out.add("kl_z0", ready ? noprop_.kl_z0() : NAN);
    out.add("train_loss_noprop", ready && trainer_.steps_done() > 0 ? smoothed_ : NAN);
    out.add("classifier_loss", ready && trainer_.steps_done() > 0 ? classifier_smoothed_ : NAN);
    out.add("train_loss_backprop", data_ready() ? trainer_.run(0).smoothed_loss : NAN);
    out.add("params_noprop", ready ? noprop_.num_params() : NAN);
    out.add("params_backprop", data_ready() ? trainer_.run(0).model.num_params() : NAN);
    out.add("steps_trained", data_ready() ? trainer_.steps_done() : 0);
  }

  std::string problem() const override {
    if (data_ready() && !noprop_ok_) return "NoProp's blocks could not be built for this data set";
    if (noprop_failed_) return "NoProp's loss became non-finite - lower the learning rate and reset";
    return TrainerLesson::problem();
  }

 private:
  static double schedule_identity_residual(const nn::NoPropSchedule& s) {
    double r = 0;
    for (int t = 1; t <= s.T; ++t) {
      const double ab = s.abar[size_t(t)], ab_prev = s.abar[size_t(t) - 1];
      r = std::max(r, std::fabs(s.a[size_t(t)] + s.b[size_t(t)] * std::sqrt(ab_prev) - std::sqrt(ab)));
      r = std::max(r, std::fabs(s.b[size_t(t)] * s.b[size_t(t)] * (1 - ab_prev) + s.c[size_t(t)] - (1 - ab)));
    }
    return r;
  }

  // Perturb the parameters of every model but block t (then block t itself)
  // and measure the change of L_t on a probe batch with z_(t-1) fixed.
  void cross_block_probe() {
    const int T = T_, C = trainer_.test_data().classes;
    const float eps = 1e-2f;
    max_cross_ = 0, min_own_ = INFINITY;
    pg::Rng rng = pg::Rng(seed_).fork(0xc0ffee);
    for (int t = 1; t <= T; ++t) {
      for (int i = 0; i < probe_b_ * C; ++i) probe_z_[size_t(i)] = float(rng.normal());
      const double base = noprop_.block_loss(t, test_x_.data(), test_y_.data(), probe_z_.data(), probe_b_);
      auto perturbed_loss = [&](nn::Model& m) {
        float* p = m.params();
        const int n = m.num_params();
        std::copy(p, p + n, saved_.begin());
        pg::Rng dir(uint64_t(t) * 7919 + uint64_t(n));
        for (int i = 0; i < n; ++i) p[i] += (dir.next_u32() & 1u) ? eps : -eps;
        return n;
      };
      auto restore = [&](nn::Model& m) { std::copy(saved_.begin(), saved_.begin() + m.num_params(), m.params()); };
      // Every other model, one at a time (restored before the next).
      double cross = 0;
      for (int s = 0; s <= T; ++s) {
        if (s == t) continue;
        nn::Model& m = s == 0 ? noprop_.classifier() : noprop_.block(s);
        perturbed_loss(m);
        const double l = noprop_.block_loss(t, test_x_.data(), test_y_.data(), probe_z_.data(), probe_b_);
        restore(m);
        cross = std::max(cross, std::fabs(l - base) / eps);
      }
      perturbed_loss(noprop_.block(t));
      const double own = noprop_.block_loss(t, test_x_.data(), test_y_.data(), probe_z_.data(), probe_b_);
      restore(noprop_.block(t));
      max_cross_ = std::max(max_cross_, cross);
      min_own_ = std::min(min_own_, std::fabs(own - base) / eps);
    }
  }

  double min_weight() const {
    const nn::NoPropSchedule& s = noprop_.schedule();
    double w = INFINITY;
    for (int t = 1; t <= s.T; ++t) w = std::min(w, 0.5 * s.T * eta_ * s.dsnr[size_t(t)]);
    return w;
  }

  void declare_text(Walkthrough& t);
  void draw_accuracy(const ViewContext& v) const;
  void draw_trajectory(const ViewContext& v) const;
  void draw_blocks(const ViewContext& v) const;

  int T_ = 10;
  double eta_ = 0.1;
  nn::NoPropDT noprop_;
  bool noprop_ok_ = false, noprop_failed_ = false, final_done_ = false;
  pg::Rng train_rng_;
  double smoothed_ = NAN, classifier_smoothed_ = NAN, acc_noprop_ = NAN;
  double max_cross_ = NAN, min_own_ = NAN, schedule_residual_ = NAN;
  std::vector<double> block_smoothed_;
  Series& accuracy_;      // step, backprop, noprop (test accuracy at each NoProp evaluation)
  Series& blocks_out_;    // per block t: smoothed loss, weight (T/2) eta dSNR, abar_t, SNR(t), a_t, b_t, c_t
  Array& trajectory_;     // (shown, T + 1, C): z_0 .. z_T of the shown test points
  Array& shown_labels_;   // (shown,): their true classes (for the view; inference never reads them)
  Array& noprop_pred_;    // (n_test,): NoProp's predictions after the run (-1 before)
  Array& shown_pred_out_; // (shown,): NoProp's predictions for the shown points (-1 before the first evaluation)
  std::vector<float> test_x_, periodic_x_, traj_, probe_z_, saved_;
  std::vector<int> test_y_, periodic_y_, pred_;
  int periodic_n_ = 0, shown_ = 0, probe_b_ = 0;
};

void NoPropLesson::declare_text(Walkthrough& t) {
  t.section("The problem")
      .paragraph("Backpropagation trains a deep network as one chain: every layer waits for the error signal "
                 "from the layers above it, and every layer's input is the output of the layer below.  NoProp "
                 "asks whether a classifier can be trained with neither: each block learns on its own, from "
                 "inputs that do not come from any other block, and the blocks are chained only at inference.");
  t.section("The method")
      .paragraph("Borrowing from diffusion models, a label y is embedded as u_y (here one-hot) and noised along a "
                 "schedule ᾱ_0 ≈ 0 (pure noise) to ᾱ_T ≈ 1 (the label): q(z_t | y) = N(√ᾱ_t u_y, (1 − ᾱ_t) I), "
                 "SNR(t) = ᾱ_t / (1 − ᾱ_t).  Here ᾱ_0 = {abar_0:%.1e} and ᾱ_T = {abar_T:%.5f}.  Block t sees "
                 "the image x and a noisy label z_(t−1) drawn from q, never the output of block t − 1, and "
                 "predicts the clean label:")
      .equation("û_t = softmax(f_t(x, z_(t−1))) W_emb,      L_t = (T/2) η ΔSNR(t) · mean ||û_t − u_y||²")
      .paragraph("with ΔSNR(t) = SNR(t) − SNR(t−1), capped at 100 (largest used: {dsnr_max:%.1f}; smallest "
                 "block weight {min_block_weight:%.3g}).")
      .paragraph("A linear classifier learns p(y | z_T) by cross-entropy on z_T drawn from q(z_T | y); the KL "
                 "term at z_0 depends only on the embedding and is a constant for one-hot embeddings "
                 "({kl_z0:%.3f}).  Every block takes its own AdamW step on its own term; measured on a probe "
                 "batch, perturbing any other block changes L_t by {max_cross_block_grad:%.1g} (perturbing "
                 "block t itself: at least {min_own_block_grad:%.3g}).")
      .paragraph("Inference starts from noise and runs the blocks as a sampler, without the label:")
      .equation("z_0 ~ N(0, I),   z_t = a_t û_t + b_t z_(t−1) + √c_t ε,   ŷ = argmax softmax(W z_T + c)")
      .equation("α_(t−1) = ᾱ_(t−1)/ᾱ_t,  a_t = √ᾱ_t (1−α_(t−1))/(1−ᾱ_(t−1)),  b_t = √α_(t−1) (1−ᾱ_t)/(1−ᾱ_(t−1)),  "
                "c_t = (1−ᾱ_t)(1−α_(t−1))/(1−ᾱ_(t−1))")
      .paragraph("These make the sampler's marginals match q: a_t + b_t √ᾱ_(t−1) = √ᾱ_t and b_t² (1 − ᾱ_(t−1)) + "
                 "c_t = 1 − ᾱ_t (largest residual here {schedule_identity_max_abs:%.1e}).")
      .warning("Indexing follows papers/method-notes.md #4 (ᾱ increasing from noise to label, α_(t−1) = "
               "ᾱ_(t−1)/ᾱ_t), derived so that both identities hold.  Public reimplementations have an off-by-one "
               "in α and build z_T from the true label at evaluation; neither is copied.  No official code "
               "exists, and the schedule (a flipped cosine, clamped to [1e-5, 1 − 1e-5]) and a cap of 100 come "
               "from a third-party implementation: unverified against the paper.  That implementation caps "
               "SNR(t) itself; then for T above about 12 the last two steps share the capped SNR, ΔSNR = 0 and "
               "the last block is never trained (NoProp falls to chance at T = 20).  This lesson caps ΔSNR "
               "instead: a named deviation.");
  t.section("Try this")
      .bullet("Press Play: NoProp reaches {test_acc_noprop:%.3f} test accuracy, the backprop MLP "
              "{test_acc_backprop:%.3f}.  NoProp has {params_noprop:%.0f} parameters in T blocks, the MLP "
              "{params_backprop:%.0f}: one block's widths.")
      .bullet("Watch the trajectory view: each column is one z_t; noise on the left, and toward the right "
              "one row (the predicted class) lights up.")
      .bullet("Look at the blocks view: the weights (T/2) η ΔSNR grow steeply toward t = T, where the SNR "
              "changes most; the last blocks carry most of the loss's weight.")
      .bullet("Set T = 2: the sampler has only two denoising steps.  Set T = 20: more, smaller steps.")
      .bullet("Try the 3-class spirals: every block must learn the spiral from x alone plus a noisy hint.");
  t.section("What the paper reports")
      .paper("CIFAR-100 test accuracy, NoProp-DT", "46.06%", "test_acc_noprop", "%.1f%%",
             "Paper: CIFAR-100, T = 10 CNN blocks, 150 epochs, learned embedding.  Live: the chosen data set, "
             "MLP blocks, one-hot embedding.", 100)
      .paper("CIFAR-100 test accuracy, backprop", "47.80%", "test_acc_backprop", "%.1f%%",
             "Paper: the same backbone trained by backpropagation.  Live: an MLP with one block's widths.", 100)
      .note("Measured with the defaults (T = 10, 1,500 steps of 32, AdamW lr 1e-3): UCI digits, seeds 1/2/3: "
            "NoProp 96.9/96.6/97.2% against backprop 97.7/97.5/96.9%; MNIST (seed 1) 93.7% against 95.0%; "
            "3-class spirals (3,000 steps, lr 0.01) 82.7% against 91.7%: each block must learn the spiral from "
            "x on its own.  As in the paper, NoProp lands a little below backprop.")
      .note("The paper also reports NoProp-CT 21.31% and NoProp-FM 37.57% on CIFAR-100 (continuous-time "
            "variants, not built here).  The numbers are as drafted in LESSONS.md; they could not be re-checked "
            "against the paper's tables.")
      .warning("Teaching simplifications: MLP blocks on flat inputs instead of the paper's convolutional "
               "blocks; one-hot label embeddings (the paper also learns W_emb, which would share one parameter "
               "among blocks); the softmax output of the blocks as in the paper's text (one reimplementation "
               "reports it unstable and feeds logits instead); the paper's AdamW (lr 1e-3, weight decay 1e-3), "
               "T = 10 and η = 0.1 are the defaults, but batches of 32 and a short run.");
}

void NoPropLesson::draw_accuracy(const ViewContext& v) const {
  if (!draw_data_status()) return;
  plot::LinePlot p("##acc", ImVec2(v.width, v.height > 0 ? v.height : v.font_size * 12));
  p.axes("step", "test accuracy");
  p.y_range(0.0, 1.02);
  p.line("backprop", accuracy_.col(0), accuracy_.col(1), accuracy_.rows(), plot::palette(0));
  p.line("NoProp-DT", accuracy_.col(0), accuracy_.col(2), accuracy_.rows(), plot::palette(1));
  p.draw();
}

void NoPropLesson::draw_trajectory(const ViewContext& v) const {
  if (!draw_data_status() || shown_ == 0) return;
  const int T = T_, C = int(trajectory_.shape.size() == 3 ? trajectory_.shape[2] : 0);
  if (C == 0) return;
  const float gap = ImGui::GetStyle().ItemSpacing.x;
  const float w = (v.width - gap * (shown_ - 1)) / float(shown_);
  const float h = std::max(v.font_size * 5, std::min(w, v.font_size * 12));
  std::vector<float> cells(size_t(C) * (T + 1));  // (C, T + 1): row = class, column = t
  for (int i = 0; i < shown_; ++i) {
    if (i) ImGui::SameLine();
    ImGui::BeginGroup();
    ImGui::PushID(i);
    const float* z = trajectory_.f.data() + size_t(i) * (T + 1) * C;
    for (int t = 0; t <= T; ++t)
      for (int k = 0; k < C; ++k) cells[size_t(k) * (T + 1) + t] = z[size_t(t) * C + k];
    char caption[64];
    std::snprintf(caption, sizeof caption, "true %d, predicted %d", int(shown_labels_.f[size_t(i)]),
                  int(shown_pred_out_.f[size_t(i)]));
    ImGui::TextUnformatted(caption);
    plot::HeatmapStyle style;
    style.map = plot::Colormap::diverging;
    style.colorbar = i == shown_ - 1;
    plot::heatmap("##z", ImVec2(w, h), cells.data(), C, T + 1, style);
    ImGui::PopID();
    ImGui::EndGroup();
  }
}

void NoPropLesson::draw_blocks(const ViewContext& v) const {
  if (!draw_data_status()) return;
  const float w = ui::column_width(2), h = v.height > 0 ? v.height : v.font_size * 10;
  plot::LinePlot loss("##loss", ImVec2(w, h));
  loss.axes("block t", "smoothed loss L_t", true);
  loss.points("L_t", blocks_out_.col(0), blocks_out_.col(1), blocks_out_.rows(), plot::palette(1));
  loss.draw();
  ui::next_column(w);
  plot::LinePlot weight("##weight", ImVec2(w, h));
  weight.axes("block t", "weight (T/2) η ΔSNR", true);
  weight.points("weight", blocks_out_.col(0), blocks_out_.col(2), blocks_out_.rows(), plot::palette(2));
  weight.draw();
}

}  // namespace

PG_REGISTER_LESSON(NoPropLesson, 22);

}  // namespace pg
