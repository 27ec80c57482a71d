// gbnn.cpp - Lesson: "Sequential training of neural networks with gradient
// boosting" (Emami & Martinez-Munoz; official code GAA-UAM/GBNN).
//
// Each boosting step fits J sigmoid units (a tiny one-hidden-layer net) by
// least squares to the residuals of the current model on a 50% subsample,
// takes the official code's Newton step rho times the shrinkage eta, and adds
// it.  After T steps the T small nets are concatenated into ONE network of
// T*J hidden units whose output equals the staged sum.  Beside it, a network
// of the same size trained jointly by Adam on the same loss.
//
// Work units (step): each boosting step is 11 units, the boosting step itself
// and then 10 full-batch Adam iterations of the joint net; the read-outs are
// refreshed after the 11th.  What a unit does depends on its index only,
// never on how the units were split into calls.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "engine/data/toy.h"
#include "engine/nn/boosting.h"
#include "engine/nn/nnmath.h"
#include "engine/rng.h"
#include "engine/timing.h"
#include "lessons/lesson.h"
#include "ui/panel.h"
#include "ui/plots.h"

namespace pg {
namespace {

namespace nb = nn::boost;

const LessonInfo kInfo = {
    "gbnn",
    "Sequential training of neural networks with gradient boosting",
    "Emami & Martinez-Munoz",
    2023,
    "",  // IEEE Access 11 (2023) 42738-42750, doi 10.1109/ACCESS.2023.3271515
    "https://github.com/GAA-UAM/GBNN",
    "D. Trainers and optimizers",
    LessonKind::trainer,
    Stepping::on_play,
    "Boost tiny sigmoid nets one step at a time, then merge them into one network.",
};

enum DataKind { kMoons, kSpirals, kSine };
constexpr int kGrid = 40;         // decision grid side (2-D data)
constexpr int kCurvePoints = 200; // points of the 1-D regression curve
constexpr int kTestN = 500;
constexpr int kMergeCadence = 10; // the merged-net check runs every 10 steps and at the end
enum Stream : uint64_t { kStreamTrain = 1, kStreamTest = 2, kStreamBoost = 3, kStreamJoint = 4 };

class Gbnn : public Lesson {
 public:
  Gbnn()
      : curves_(outputs_.series("curves", {"step", "train_loss", "train_loss_joint", "test_score", "test_score_joint"})),
        train_x_(outputs_.array("train_x")), train_y_(outputs_.array("train_y")),
        test_x_(outputs_.array("test_x")), test_y_(outputs_.array("test_y")),
        grid_x_(outputs_.array("grid_x")), grid_staged_(outputs_.array("grid_staged")),
        grid_merged_(outputs_.array("grid_merged")), grid_shown_(outputs_.array("grid_shown")),
        merged_w1_(outputs_.array("merged_w1")), merged_b1_(outputs_.array("merged_b1")),
        merged_w2_(outputs_.array("merged_w2")), merged_b2_(outputs_.array("merged_b2")),
        rho_out_(outputs_.array("rho")), shown_steps_out_(outputs_.array("shown_steps")) {}

  bool views_draw_from_outputs() const override { return true; }  // tests/test_worker_mirror.cpp

  const LessonInfo& info() const override { return kInfo; }

  void declare(Declaration& d) override {
    ParamList& p = d.params;
    p.choice("dataset", "data", &data_, {"moons", "spirals", "sine"}, kMoons,
             "Two moons: binary, the official binary loss log(1 + e^(-2yF)).  Spirals: three classes, softmax "
             "cross-entropy with one multi-output regressor per step.  Sine: y = sin(2x) + noise, squared error.");
    p.integer("n", "training points n", &n_, 50, 500, 200, "Training points (the test set has 500).", true);
    p.real("noise", "noise", &noise_, 0.0, 0.5, 0.1, "Noise of the toy data (moons, spirals: of the points; sine: of y).");
    p.integer("j", "units per step J", &J_, 1, 8, 2, "Sigmoid hidden units each boosting step fits.");
    p.integer("t", "boosting steps T", &T_, 1, 200, 50, "Steps; the merged net has T*J hidden units.");
    p.real("eta", "shrinkage eta", &eta_, 0.025, 1.0, 0.5, "Each step adds eta * rho * h_t (rho: the Newton step).", true);
    p.real("subsample", "subsample", &subsample_, 0.1, 1.0, 0.5,
           "Fraction of the training rows each step fits, drawn without replacement (official default 0.5).");
    p.integer("fit_iters", "Adam steps per fit", &fit_iters_, 20, 500, 200,
              "Full-batch Adam steps (lr 0.15; default 200) fitting each step's J units to the residuals.  The official code "
              "uses L-BFGS with max_iter 200.",
              true);
    ParamSpec& s = p.integer("t_show", "inference with the first T' steps", &t_show_, 0, 200, 200,
                             "The main view and test_acc_shown use F_0 + the first T' steps only (capped at the steps done).");
    s.restarts = false;
    declare_text(d.text);
    d.view("model", "The boosted model with the first T' steps (test points on top)",
           [this](const ViewContext& v) { draw_model(v); });
    d.view("curves", "Training loss and test score per step: boosting vs one jointly trained net of T*J units",
           [this](const ViewContext& v) { draw_curves(v); });
    declare_metrics(d);
    d.preset("The draft's check: moons n = 200, noise 0.1, J = 2, T = 50, eta = 0.5", "dataset=moons&n=200&noise=0.1&j=2&t=50&eta=0.5");
    d.preset("One unit per step, 200 steps, eta = 1 (the official defaults)", "j=1&t=200&eta=1");
    d.preset("1-D regression: y = sin(2x) + noise", "dataset=sine");
    d.preset("Three-class spirals", "dataset=spirals&j=4&t=100");
  }

  void reset(uint64_t seed) override {
    // Data.
    const int dim = data_ == kSine ? 1 : 2;
    dim_ = dim;
    make_data(seed);
    config_ = nb::BoostConfig();
    config_.task = data_ == kMoons ? nb::Task::binary : data_ == kSpirals ? nb::Task::multiclass : nb::Task::regression;
    config_.classes = data_ == kSpirals ? 3 : 2;
    config_.units_per_step = J_, config_.steps = T_, config_.eta = eta_, config_.subsample = subsample_;
    config_.fit_iters = fit_iters_;
    K_ = nb::outputs_of(config_);
    const Rng root(seed);
    booster_.init(config_, tx_.data(), ty_.data(), n_, dim, root.fork(kStreamBoost).next_u64());
    joint_.init(config_, tx_.data(), ty_.data(), n_, dim, T_ * J_, kJointLr, root.fork(kStreamJoint).next_u64());
    // Grid points.
    G_ = dim == 2 ? kGrid * kGrid : kCurvePoints;
    gx_.assign(size_t(G_) * dim, 0.0);
    if (dim == 2) {
      extent_[0] = extent_[2] = 1e9, extent_[1] = extent_[3] = -1e9;
      for (int i = 0; i < n_; ++i)
        for (int c = 0; c < 2; ++c)
          extent_[2 * c] = std::min(extent_[2 * c], tx_[size_t(i) * 2 + c]),
                      extent_[2 * c + 1] = std::max(extent_[2 * c + 1], tx_[size_t(i) * 2 + c]);
      for (int c = 0; c < 2; ++c) {
        const double m = 0.15 * (extent_[2 * c + 1] - extent_[2 * c]) + 1e-3;
        extent_[2 * c] -= m, extent_[2 * c + 1] += m;
      }
      for (int r = 0; r < kGrid; ++r)  // row 0 at the top (y max)
        for (int c = 0; c < kGrid; ++c) {
          double* g = gx_.data() + size_t(r * kGrid + c) * 2;
          g[0] = extent_[0] + (extent_[1] - extent_[0]) * (c + 0.5) / kGrid;
          g[1] = extent_[3] - (extent_[3] - extent_[2]) * (r + 0.5) / kGrid;
        }
    } else {
      extent_[0] = -3.3, extent_[1] = 3.3;
      for (int i = 0; i < G_; ++i) gx_[size_t(i)] = extent_[0] + (extent_[1] - extent_[0]) * i / (G_ - 1);
    }
    // Staged scores, kept incrementally: F_0 everywhere.
    const int max_rows = std::max(std::max(G_, kTestN), n_);
    hid_.assign(size_t(max_rows) * std::max(J_, T_ * J_), 0.0);
    out_.assign(size_t(max_rows) * K_, 0.0);
    test_F_.assign(size_t(kTestN) * K_, 0.0), grid_F_.assign(size_t(G_) * K_, 0.0);
    booster_.predict(vx_.data(), kTestN, 0, test_F_.data(), hid_.data(), out_.data());
    booster_.predict(gx_.data(), G_, 0, grid_F_.data(), hid_.data(), out_.data());
    shown_F_ = grid_F_;
    merged_F_.assign(size_t(G_) * K_, 0.0);
    joint_test_F_.assign(size_t(kTestN) * K_, 0.0);
    grid_class_.assign(size_t(G_), 0), grid_conf_.assign(size_t(G_), 0.f);
    curves_.clear();
    curves_.values[0].reserve(size_t(T_) + 1);
    for (auto& c : curves_.values) c.reserve(size_t(T_) + 1);
    merged_.p.reserve(size_t(T_) * J_ * (dim + 1 + K_) + K_);  // merge_into never reallocates
    merged_max_abs_ = 0;
    unit_ms_ = 0;
    units_ = 0;
    record();
    check_merged();
    refresh_shown();
    publish();
  }

  int step(int max_steps, double budget_ms) override {
    const int units = timing::run_budgeted(max_steps, budget_ms, [this] { return done(); }, [&] {
      const double t0 = timing::now_ms();
      const int phase = int(units_ % kUnitsPerStep);
      if (phase == 0) {
        booster_.step();
        // The new step's contribution to the staged test and grid scores.
        add_last_step(vx_.data(), kTestN, test_F_.data());
        add_last_step(gx_.data(), G_, grid_F_.data());
      } else {
        joint_.train(1);
      }
      ++units_;
      if (phase == kUnitsPerStep - 1) {  // the boosting step and its share of joint iterations are done
        record();
        if (booster_.steps_done() % kMergeCadence == 0 || this->done()) check_merged();
        refresh_shown();
        publish();
      }
      unit_ms_ = timing::now_ms() - t0;
    });
    return units;
  }

  bool done() const override { return units_ >= int64_t(T_) * kUnitsPerStep || !problem().empty(); }
  int64_t run_length() const override { return int64_t(T_) * kUnitsPerStep; }

  std::string problem() const override {
    if (!std::isfinite(booster_.train_loss())) return "the boosted model diverged (non-finite training loss)";
    if (!std::isfinite(joint_.train_loss())) return "the jointly trained net diverged (non-finite training loss)";
    return "";
  }

  void live_param_changed(const ParamSpec&) override {
    refresh_shown();
    publish();
  }

  void metrics(MetricList& out) const override {
    out.add("train_loss", booster_.train_loss());
    out.add("test_acc", score_acc(test_F_));
    out.add("test_mse", score_mse(test_F_));
    out.add("train_loss_joint", joint_.train_loss());
    out.add("test_acc_joint", score_acc(joint_test_F_));
    out.add("test_mse_joint", score_mse(joint_test_F_));
    out.add("merged_vs_staged_max_abs", merged_max_abs_);
    out.add("merged_units", double(merged_units_));
    out.add("steps_done", booster_.steps_done());
    out.add("test_acc_shown", shown_acc_);
    out.add("last_rho", booster_.steps_done() > 0 ? booster_.rho()[size_t(booster_.steps_done() - 1)] : 0.0);
    out.add_timing("unit_ms", unit_ms_);
  }

 private:
  static constexpr int kJointItersPerStep = 10;
  static constexpr int kUnitsPerStep = 1 + kJointItersPerStep;  // one boosting step, then one unit per joint iteration
  static constexpr double kJointLr = 0.05;

  void make_data(uint64_t seed) {
    const Rng root(seed);
    const uint64_t s_train = root.fork(kStreamTrain).next_u64(), s_test = root.fork(kStreamTest).next_u64();
    auto from_toy = [&](const data::Dataset& d, std::vector<double>& x, std::vector<double>& y) {
      x.assign(d.x.begin(), d.x.end());
      y.resize(size_t(d.n));
      for (int i = 0; i < d.n; ++i) y[size_t(i)] = d.y[size_t(i)];
    };
    if (data_ == kMoons) {
      from_toy(data::make_moons(n_, float(noise_), s_train), tx_, ty_);
      from_toy(data::make_moons(kTestN, float(noise_), s_test), vx_, vy_);
    } else if (data_ == kSpirals) {
      from_toy(data::make_spirals(n_, 3, float(noise_), s_train), tx_, ty_);
      from_toy(data::make_spirals(kTestN, 3, float(noise_), s_test), vx_, vy_);
    } else {
      auto sine = [&](int n, uint64_t s, std::vector<double>& x, std::vector<double>& y) {
        Rng rng(s);
        x.resize(size_t(n)), y.resize(size_t(n));
        for (int i = 0; i < n; ++i) {
          x[size_t(i)] = rng.uniform(-3.0, 3.0);
          y[size_t(i)] = nnmath::sin(2.0 * x[size_t(i)]) + noise_ * rng.normal();
        }
      };
      sine(n_, s_train, tx_, ty_);
      sine(kTestN, s_test, vx_, vy_);
    }
  }

  // F (m, K) += rho_last * h_last(x).
  void add_last_step(const double* x, int m, double* F) {
    const int s = booster_.steps_done() - 1;
    nb::sigmoid_net_forward(booster_.learners()[size_t(s)], x, m, hid_.data(), out_.data());
    const double rho = booster_.rho()[size_t(s)];
    for (size_t e = 0; e < size_t(m) * K_; ++e) F[e] += rho * out_[e];
  }

  // Class probabilities of scores f (K) into p (classes).
  int classes() const { return data_ == kSine ? 1 : config_.classes; }
  void probabilities(const double* f, double* p) const {
    if (config_.task == nb::Task::binary) {
      p[1] = nb::sigmoid(2.0 * f[0]), p[0] = 1.0 - p[1];  // GBNN.py: sigmoid(2F)
    } else {
      double mx = f[0], s = 0;
      for (int k = 1; k < K_; ++k) mx = std::max(mx, f[k]);
      for (int k = 0; k < K_; ++k) s += (p[k] = detmath::exp(f[k] - mx));
      for (int k = 0; k < K_; ++k) p[k] /= s;
    }
  }
  // Classification: accuracy.  Regression: fraction of test points within 0.1 of the target.
  double score_acc(const std::vector<double>& F) const {
    int hits = 0;
    for (int i = 0; i < kTestN; ++i) {
      if (config_.task == nb::Task::regression) {
        hits += std::fabs(F[size_t(i)] - vy_[size_t(i)]) < 0.1;
      } else {
        double p[8];
        probabilities(F.data() + size_t(i) * K_, p);
        int best = 0;
        for (int c = 1; c < classes(); ++c) best = p[c] > p[best] ? c : best;
        hits += best == int(vy_[size_t(i)]);
      }
    }
    return double(hits) / kTestN;
  }
  // Regression: mean squared error.  Classification: Brier score, mean of sum_c (p_c - [c = y])^2.
  double score_mse(const std::vector<double>& F) const {
    double total = 0;
    for (int i = 0; i < kTestN; ++i) {
      if (config_.task == nb::Task::regression) {
        const double e = F[size_t(i)] - vy_[size_t(i)];
        total += e * e;
      } else {
        double p[8];
        probabilities(F.data() + size_t(i) * K_, p);
        for (int c = 0; c < classes(); ++c) {
          const double e = p[c] - (c == int(vy_[size_t(i)]) ? 1.0 : 0.0);
          total += e * e;
        }
      }
    }
    return total / kTestN;
  }
  double score(const std::vector<double>& F) const {
    return config_.task == nb::Task::regression ? score_mse(F) : score_acc(F);
  }

  // One row of the curves, after the steps done so far.
  void record() {
    nb::sigmoid_net_forward(joint_.net(), vx_.data(), kTestN, hid_.data(), joint_test_F_.data());
    curves_.push({float(booster_.steps_done()), float(booster_.train_loss()), float(joint_.train_loss()),
                  float(score(test_F_)), float(score(joint_test_F_))});
  }

  // The merged net of all steps so far against the staged sum, on the grid
  // and the test set: max |merged(x) - multiplier * F(x)|.
  void check_merged() {
    booster_.merge_into(booster_.steps_done(), merged_);
    merged_units_ = merged_.hidden;
    const double mult = booster_.multiplier();
    double worst = 0;
    nb::sigmoid_net_forward(merged_, gx_.data(), G_, hid_.data(), merged_F_.data());
    for (size_t e = 0; e < merged_F_.size(); ++e) worst = std::max(worst, std::fabs(merged_F_[e] - mult * grid_F_[e]));
    nb::sigmoid_net_forward(merged_, vx_.data(), kTestN, hid_.data(), out_.data());
    for (size_t e = 0; e < size_t(kTestN) * K_; ++e) worst = std::max(worst, std::fabs(out_[e] - mult * test_F_[e]));
    merged_max_abs_ = worst;
    merged_at_ = booster_.steps_done();
  }

  // The model with the first T' steps, for the main view and test_acc_shown.
  void refresh_shown() {
    const int t = std::min(t_show_, booster_.steps_done());
    if (t == booster_.steps_done()) {
      shown_F_ = grid_F_;
      shown_acc_ = score_acc(test_F_);
    } else {
      booster_.predict(gx_.data(), G_, t, shown_F_.data(), hid_.data(), out_.data());
      std::vector<double>& test_t = shown_test_F_;
      test_t.resize(size_t(kTestN) * K_);
      booster_.predict(vx_.data(), kTestN, t, test_t.data(), hid_.data(), out_.data());
      shown_acc_ = score_acc(test_t);
    }
    shown_t_ = t;
  }

  // The main view's regions or curve and its caption's step counts, from the
  // outputs: on the lesson's own publish() and from outputs_replaced().
  void derive_view_data() {
    const std::vector<double>& F = grid_shown_.d;  // (G, K): the model with the first T' steps
    if (F.size() != size_t(G_) * K_ || shown_steps_out_.d.size() != 2) return;
    shown_t_ = int(shown_steps_out_.d[0]), steps_shown_of_ = int(shown_steps_out_.d[1]);
    if (dim_ == 1) {
      curve_shown_.resize(size_t(G_));
      for (int g = 0; g < G_; ++g) curve_shown_[size_t(g)] = float(F[size_t(g)]);
    }
    if (config_.task == nb::Task::regression) return;
    for (int g = 0; g < G_; ++g) {
      double p[8];
      probabilities(F.data() + size_t(g) * K_, p);
      int best = 0;
      for (int c = 1; c < classes(); ++c) best = p[c] > p[best] ? c : best;
      grid_class_[size_t(g)] = best, grid_conf_[size_t(g)] = float(p[best]);
    }
  }

  // A worker's outputs arrived (web/worker_link.h).
  void outputs_replaced() override { derive_view_data(); }

  void publish() {
    train_x_.set({n_, dim_}, tx_.data()), train_y_.set({n_}, ty_.data());
    test_x_.set({kTestN, dim_}, vx_.data()), test_y_.set({kTestN}, vy_.data());
    grid_x_.set({G_, dim_}, gx_.data());
    grid_staged_.set({G_, K_}, grid_F_.data());
    grid_shown_.set({G_, K_}, shown_F_.data());
    // The merged net as of the last check (steps merged_at_), and its outputs on the grid.
    grid_merged_.set({G_, K_}, merged_F_.data());
    const int H = merged_.hidden;
    merged_w1_.set({H, dim_}, merged_.w1()), merged_b1_.set({H}, merged_.b1());
    merged_w2_.set({K_, H}, merged_.w2()), merged_b2_.set({K_}, merged_.b2());
    rho_out_.set({booster_.steps_done()}, booster_.rho().data());
    const double shown_steps[2] = {double(shown_t_), double(booster_.steps_done())};
    shown_steps_out_.set({2}, shown_steps);
    if (plot_xy_.size() != size_t(kTestN) * 2) plot_xy_.resize(size_t(kTestN) * 2), plot_cls_.resize(size_t(kTestN));
    for (int i = 0; i < kTestN; ++i) {
      plot_cls_[size_t(i)] = int(vy_[size_t(i)]);
      for (int c = 0; c < 2; ++c) plot_xy_[size_t(i) * 2 + c] = dim_ == 2 ? float(vx_[size_t(i) * 2 + c]) : 0.f;
    }
    if (dim_ == 1) {
      curve_x_.resize(size_t(G_)), curve_truth_.resize(size_t(G_));
      for (int g = 0; g < G_; ++g) {
        curve_x_[size_t(g)] = float(gx_[size_t(g)]);
        curve_truth_[size_t(g)] = float(nnmath::sin(2.0 * gx_[size_t(g)]));
      }
      pts_x_.resize(size_t(n_)), pts_y_.resize(size_t(n_));
      for (int i = 0; i < n_; ++i) pts_x_[size_t(i)] = float(tx_[size_t(i)]), pts_y_[size_t(i)] = float(ty_[size_t(i)]);
    }
    derive_view_data();
  }

  void declare_text(Walkthrough& t);
  void declare_metrics(Declaration& d);
  void draw_model(const ViewContext& v) const;
  void draw_curves(const ViewContext& v) const;

  // Knobs.
  int data_ = kMoons, n_ = 200, J_ = 2, T_ = 50, fit_iters_ = 200, t_show_ = 200;
  double noise_ = 0.1, eta_ = 0.5, subsample_ = 0.5;
  // State.
  int dim_ = 2, K_ = 1, G_ = 0, merged_units_ = 0, merged_at_ = 0, shown_t_ = 0;
  int steps_shown_of_ = 0;  // boosting steps done, as of the last publish (the main view's caption)
  double extent_[4] = {0, 1, 0, 1};
  nb::BoostConfig config_;
  nb::Booster booster_;
  nb::JointNet joint_;
  nb::SigmoidNet merged_;
  std::vector<double> tx_, ty_, vx_, vy_, gx_, hid_, out_, test_F_, grid_F_, shown_F_, shown_test_F_, merged_F_,
      joint_test_F_;
  double merged_max_abs_ = 0, unit_ms_ = 0, shown_acc_ = 0;
  int64_t units_ = 0;
  // View data (derived in reset/step).
  std::vector<int> grid_class_, plot_cls_;
  std::vector<float> grid_conf_, plot_xy_, curve_x_, curve_shown_, curve_truth_, pts_x_, pts_y_;
  // Outputs.
  Series& curves_;
  Array &train_x_, &train_y_, &test_x_, &test_y_, &grid_x_, &grid_staged_, &grid_merged_, &grid_shown_, &merged_w1_,
      &merged_b1_, &merged_w2_, &merged_b2_, &rho_out_;
  Array& shown_steps_out_;  // (2,) f64: T' as capped (the steps the main view shows), boosting steps done
};

void Gbnn::declare_text(Walkthrough& t) {
  t.section("The problem")
      .paragraph("A network is usually trained all at once: every hidden unit moves at every step, guided by "
                 "back-propagation through the whole model.  Gradient boosting builds a model the other way: one small "
                 "piece at a time, each piece fitted to what the model so far still gets wrong, and never touched again.  "
                 "Can a neural network be grown like that, and is the result still a neural network?")
      .paragraph("GBNN says yes to both: boost tiny one-hidden-layer sigmoid nets, then concatenate their hidden units "
                 "into one network of T*J units that computes exactly the boosted sum.");
  t.section("The method")
      .equation("F_0 = argmin_c Σ_i L(y_i, c),   r_i = −∂L/∂F(x_i)")
      .equation("h_t = argmin_h Σ_(i in S_t) ||h(x_i) − r_i||²   (J sigmoid units, S_t: half the rows)")
      .equation("F_t = F_(t−1) + η ρ_t h_t,   ρ_t = a Newton step on all rows")
      .bullet("Binary (y = ±1), the official code's loss: L = log(1 + e^(−2yF)), F_0 = ½ log((1 + m)/(1 − m)) with m the mean label, "
              "r = 2y / (1 + e^(2yF)), ρ = Σ r h / Σ r h² (2y − r), probability σ(2F).")
      .bullet("Multiclass: F_0 = 0, r = onehot(y) − softmax(F); ONE regressor with K outputs per step (J shared units) "
              "and one ρ = −Σ h (y − p) / Σ h² p (p − 1).")
      .bullet("Regression: F_0 = mean y, r = y − F, ρ = 1 (only η scales the step).")
      .bullet("The merge: hidden units of all steps side by side; output weights ρ_t w_out,t (×2 for binary, so that "
              "σ(output) is σ(2F)); output bias F_0 (×2) + Σ ρ_t b_out,t.  Max |merged − staged| now: "
              "{merged_vs_staged_max_abs:%.2e} over the grid and the test set ({merged_units} units).")
      .note("Each step's regressor is sklearn's MLPRegressor in the official code: logistic units, L2 alpha 1e-4, "
            "Glorot-uniform start.  We follow that loss and start, but fit by full-batch Adam (lr 0.15, 200 steps by "
            "default) instead of L-BFGS (max_iter 200): a simplification, so the fits are less tight.")
      .note("The jointly trained baseline is the same architecture (T*J sigmoid units, the same loss, output read as F), "
            "trained by full-batch Adam (lr 0.05) for 10 iterations per boosting step.");
  t.section("Try this")
      .bullet("Press Play on two moons: the boundary bends a little with every step.  Drag 'inference with the first "
              "T′ steps' back to see the model at any earlier stage (test accuracy with T′ steps: {test_acc_shown:%.3f}).")
      .bullet("Set eta to 1 and J to 1 (the official defaults): fewer, bigger steps; watch the training loss fall faster "
              "and then overfit on the noisy moons.")
      .bullet("Switch to spirals: three classes, one K-output regressor per step; then to the sine, where ρ = 1.")
      .note("Three-class spirals are hard for both methods at these sizes and budgets: test accuracy "
            "{test_acc:%.3f} boosted vs {test_acc_joint:%.3f} joint now (about 0.35 and 0.5 at the defaults, about 0.5 "
            "for both with J = 8, T = 100, eta = 1); the weak fits (Adam, not L-BFGS) are the bottleneck.")
      .when([this] { return data_ == kSpirals; })
      .note("On the sine the score is the test MSE: {test_mse:%.4f} boosted vs {test_mse_joint:%.4f} joint (the noise "
            "variance is noise² = 0.01 at the default).")
      .when([this] { return data_ == kSine; })
      .bullet("Compare the curves: boosting vs the joint net of the same {merged_units} units.  Now: boosting "
              "train loss {train_loss:%.4f}, test accuracy {test_acc:%.3f}; joint {train_loss_joint:%.4f}, "
              "{test_acc_joint:%.3f}.");
  t.section("What the paper reports")
      .paper("two moons (n = 200, noise 0.1, J = 2, T = 50, η = 0.5): training loss", "< 0.05 (the draft's estimate)",
             "train_loss", "%.4f", "Not a number from the paper: LESSONS.md's own target.  Live: this toy.")
      .paper("two moons, same setting: test accuracy", "≥ 0.98 (the draft's estimate)", "test_acc", "%.3f",
             "Not from the paper; live on 500 fresh test points.")
      .paper("merged net equals the boosted sum", "exactly (by construction)", "merged_vs_staged_max_abs", "%.2e",
             "Live: max absolute difference in double precision.")
      .paper("switching off the last-trained units at test time", "no significant loss of accuracy (abstract)",
             "test_acc_shown", "%.3f", "Live: test accuracy with the first T' steps only (set T' below T); the "
             "paper measures it on its benchmark sets.")
      .paper("GBNN vs a jointly trained MLP", "comparable accuracy on UCI sets, faster training (paper's tables)",
             "test_acc_joint", "%.3f", "Live: the joint net's test accuracy on this toy; the paper's tables are not "
             "reproduced here.")
      .warning("The paper's per-data-set numbers (its UCI tables) are not reproduced here; only the method, the merge and "
               "the toy comparison are live.");
}

void Gbnn::declare_metrics(Declaration& d) {
  d.metric("train_loss", "the boosted model's mean training loss (binary log(1+e^(-2yF)), softmax CE, or squared error)");
  d.metric("test_acc", "boosted test accuracy (regression: fraction of test points within 0.1 of the target)");
  d.metric("test_mse", "boosted test MSE (classification: Brier score, mean sum_c (p_c - [c = y])^2)");
  d.metric("train_loss_joint", "training loss of the jointly trained net of T*J units (same loss)");
  d.metric("test_acc_joint", "test accuracy of the jointly trained net (regression: within 0.1)");
  d.metric("test_mse_joint", "test MSE (Brier score for classification) of the jointly trained net");
  d.metric("merged_vs_staged_max_abs", "max |merged net - multiplier * staged sum| over grid and test points");
  d.metric("merged_units", "hidden units of the merged net (steps done * J) at the last check");
  d.metric("steps_done", "boosting steps done");
  d.metric("test_acc_shown", "test accuracy (regression: within 0.1) with the first T' steps");
  d.metric("last_rho", "eta * Newton step of the last boosting step");
  d.metric("unit_ms", "wall time of the last work unit (ms): a boosting step, or one Adam iteration of the joint net");
}

void Gbnn::draw_model(const ViewContext& v) const {
  const float w = v.width, total = v.height > 0 ? v.height : std::min(w, ImGui::GetFontSize() * 22.0f);
  ImGui::Text("F_0 + the first %d of %d steps (%d hidden units)", shown_t_, steps_shown_of_, shown_t_ * J_);
  const float h = std::max(ImGui::GetFontSize() * 8, total - ImGui::GetFrameHeightWithSpacing());
  if (dim_ == 2) {
    const float side = std::min(w, h);
    plot::decision_regions("##gbnn_regions", ImVec2(side, side), grid_class_.data(), grid_conf_.data(), kGrid,
                           extent_[0], extent_[1], extent_[2], extent_[3], plot_xy_.data(), plot_cls_.data(), kTestN);
  } else {
    plot::LinePlot lp("##gbnn_curve", ImVec2(w, h));
    lp.axes("x", "y");
    lp.points("training points", pts_x_.data(), pts_y_.data(), int(pts_x_.size()), plot::faint_ink());
    lp.line("sin(2x)", curve_x_.data(), curve_truth_.data(), int(curve_x_.size()), 0, true);
    lp.line("boosted, first T' steps", curve_x_.data(), curve_shown_.data(), int(curve_x_.size()), plot::palette(0));
    lp.draw();
  }
}

void Gbnn::draw_curves(const ViewContext& v) const {
  const float h = v.height > 0 ? v.height : ImGui::GetFontSize() * 13.0f;
  const float w = ui::column_width(2, 14, v.width);  // stacked on a phone
  {
    plot::LinePlot loss("##gbnn_loss", ImVec2(w, h));
    loss.axes("boosting step", "training loss", true);
    loss.line("boosting", curves_.col(0), curves_.col(1), curves_.rows(), plot::palette(0));
    loss.line("joint net, T*J units", curves_.col(0), curves_.col(2), curves_.rows(), plot::palette(1));
    loss.draw();
  }
  ui::next_column(w);
  {
    plot::LinePlot sc("##gbnn_score", ImVec2(w, h));
    sc.axes("boosting step", data_ == kSine ? "test MSE" : "test accuracy", data_ == kSine);
    sc.line("boosting", curves_.col(0), curves_.col(3), curves_.rows(), plot::palette(0));
    sc.line("joint net", curves_.col(0), curves_.col(4), curves_.rows(), plot::palette(1));
    sc.draw();
  }
}

}  // namespace
PG_REGISTER_LESSON(Gbnn, 21);
}  // namespace pg
