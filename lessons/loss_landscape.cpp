// loss_landscape.cpp - Lesson: "Investigating generalization capabilities of
// neural networks by means of loss landscapes and Hessian analysis" (the LLA
// library paper, 2024; criteria as in src_lla/hessian/viz.py).
//
// A small tanh MLP is trained on a 2-D toy with the shared nn::Trainer (Adam,
// optional label noise and L2 weight decay).  Then, on the full training
// objective f(theta) = mean loss + (wd/2) ||theta||^2 at the trained theta:
//   * the exact Hessian (dense, from n gradient-difference products) and its
//     spectrum, when the net is small;
//   * Lanczos for the top-2 eigenvectors (the "Hessian axes");
//   * stochastic Lanczos quadrature, LLA's re = |l_min / l_max| and
//     Kh = sum_{l<0} |l w|^0.5 / sum_{l>0} (l w)^0.5 over its nodes and weights;
//   * L(a, b) = f(theta + a d1 + b d2) on a grid, for random filter-normalized
//     directions and for the Hessian axes.
// Every stage is cut into small units (a few Hessian columns, one Lanczos
// step, one landscape row) so the page stays at 60 fps and the result does
// not depend on how step() calls split the work.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <vector>

#include "engine/data/toy.h"
#include "engine/nn/hessian.h"
#include "engine/nn/losses_softmax.h"
#include "engine/nn/trainer.h"
#include "engine/rng.h"
#include "lessons/lesson.h"
#include "ui/panel.h"
#include "ui/plots.h"

namespace pg {
namespace {

const LessonInfo kInfo = {
    "loss-landscape",
    "Loss landscapes and Hessian analysis (LLA)",
    "Loss Landscape Analysis (LLA) library authors",
    2024,
    "",
    "",
    "E. Looking inside trained networks",
    LessonKind::analysis,
    Stepping::on_play,
    "Train a small net, then look at its minimum: 2-D loss landscapes on random and Hessian axes, the Hessian "
    "spectrum, and LLA's re and Kh criteria.",
};

constexpr int kMaxExact = 300;      // dense Hessian (and its exact spectrum) up to this many parameters
constexpr int kColumnsPerUnit = 8;  // Hessian columns per step unit
constexpr int kTopSteps = 20;       // Lanczos steps for the top-2 eigenvectors
constexpr int kQuickSteps = 10;     // Lanczos steps of the quick look at the initial network
constexpr int kBins = 40;           // spectrum histogram bins
constexpr int kCurveEvery = 25;     // training curve point every k steps
constexpr int kLevels = 9;          // contour lines per landscape
const data::ToyKind kToys[] = {data::ToyKind::moons, data::ToyKind::blobs, data::ToyKind::spirals};

enum Stage { kTrain, kDense, kEigen, kLanczos, kSlq, kLandscape, kDone, kFailed };
const char* stage_text(int s) {
  static const char* const t[] = {"training",  "dense Hessian", "exact spectrum", "Lanczos (Hessian axes)",
                                  "SLQ spectrum", "landscapes", "done", "stopped"};
  return t[s];
}

class LossLandscape : public Lesson {
 public:
  bool views_draw_from_outputs() const override { return true; }  // tests/test_worker_mirror.cpp

  const LessonInfo& info() const override { return kInfo; }

  void declare(Declaration& d) override {
    ParamList& p = d.params;
    p.choice("dataset", "data set", &dataset_, {"moons", "blobs", "spirals"}, 0,
             "2-D toy, 2 classes, 400 training and 200 test points.");
    p.integer("hidden", "hidden units", &hidden_, 4, 48, 10,
              "Units in each of the two tanh hidden layers.  Up to 300 parameters (hidden <= 15) the Hessian is "
              "formed exactly; above, only Lanczos and SLQ run.");
    p.real("label_noise", "label noise", &label_noise_, 0.0, 0.5, 0.0,
           "Fraction of training labels flipped.  Fitting them needs a sharper, more contorted minimum.");
    p.real("weight_decay", "weight decay", &weight_decay_, 0.0, 0.05, 0.0,
           "L2 penalty (wd/2)||θ||² in the objective (Adam adds wd θ to the gradient).  It adds wd to every "
           "Hessian eigenvalue and keeps the loss away from 0.");
    p.integer("steps", "training steps", &steps_, 100, 10000, 1500, "Adam steps on mini-batches of 32.", true);
    p.real("lr", "learning rate", &lr_, 1e-3, 0.1, 0.01, "Adam's step size.", true);
    p.choice("axes", "axes of the metrics", &axes_, {"hessian", "random"}, 0,
             "Which landscape landscape_min / landscape_max describe (both are drawn).")
        .restarts = false;
    p.choice("normalization", "direction normalization", &norm_, {"filter", "layer", "none"}, 0,
             "How the random directions are scaled: each unit's incoming weights to their norm in θ (filter, Li et "
             "al. 2018), each weight matrix to its norm (layer), or raw N(0, 1) (none).  Biases are not moved "
             "under filter and layer.");
    p.real("extent", "random-axes extent", &extent_, 0.1, 5.0, 1.0,
           "The random landscape spans a, b in [−extent, extent] (1 = moving each filter by its own norm).", true);
    p.real("hessian_extent", "Hessian-axes extent", &hessian_extent_, 0.01, 10.0, 1.0,
           "The Hessian landscape spans a, b in [−extent, extent] along unit eigenvectors (parameter-space "
           "distance).",
           true);
    p.integer("resolution", "grid cells per side", &res_, 17, 65, 41,
              "Landscape grid resolution (the paper's figures are finer).");
    p.integer("slq_steps", "SLQ Lanczos steps", &slq_steps_, 10, 100, 100,
              "Lanczos steps per SLQ run (LLA's default n_iter = 100; capped at the number of parameters).");
    p.integer("slq_runs", "SLQ runs", &slq_runs_, 1, 8, 1,
              "Independent SLQ runs averaged for re and Kh (LLA's default n_v = 1).");
    declare_text(d.text);
    d.preset("A positive-definite minimum: weight decay 0.05 (Kh = 0, re > 0)", "weight_decay=0.05");
    d.preset("Memorizing noisy labels: 30% flipped", "label_noise=0.3");
    d.preset("Close to the minimum: Hessian axes ±0.01 (the quadratic model holds)", "hessian_extent=0.01");
    d.view("landscapes", "Loss landscapes around the trained θ", [this](const ViewContext& v) { draw_landscapes(v); });
    d.view("spectrum", "Hessian spectrum", [this](const ViewContext& v) { draw_spectrum(v); });
    d.view("training", "Training", [this](const ViewContext& v) { draw_training(v); });
    d.metric("lambda_max", "largest Hessian eigenvalue at the trained θ (exact when the net is small, else Lanczos)");
    d.metric("lambda_min", "smallest Hessian eigenvalue (exact when small, else the SLQ runs' smallest Ritz value)");
    d.metric("re", "LLA's re = |λ_min / λ_max| over the SLQ Ritz values, averaged over runs");
    d.metric("kh", "LLA's Kh (power 0.5): Σ_(λ<0) |λ w|^0.5 / Σ_(λ>0) (λ w)^0.5 over SLQ nodes λ and weights w");
    d.metric("re_exact", "|λ_min / λ_max| of the exact spectrum (0 when the net is too large for it)");
    d.metric("kh_exact", "Kh over the exact spectrum with equal weights 1/n (0 when too large)");
    d.metric("negative_fraction", "fraction of exact eigenvalues below 0 (0 when too large)");
    d.metric("lanczos_top_rel_err", "|λ_1(Lanczos) − λ_1(exact)| / |λ_1(exact)| (0 when no exact spectrum)");
    d.metric("trace_exact", "tr H of the dense Hessian (0 when too large)");
    d.metric("trace_hutchpp", "Hutch++ estimate of tr H with 30 products (from the Lanczos stage's operator)");
    d.metric("test_acc", "test accuracy of the trained net (clean labels)");
    d.metric("train_acc", "training accuracy against the (possibly noisy) labels it was trained on");
    d.metric("train_loss", "the analysed objective f(θ): mean cross-entropy on the training set + (wd/2)||θ||²");
    d.metric("landscape_min", "smallest loss on the chosen axes' grid (the cells computed so far)");
    d.metric("landscape_max", "largest loss on the chosen axes' grid");
    d.metric("landscape_hessian_max", "largest loss on the Hessian-axes grid");
    d.metric("landscape_random_max", "largest loss on the random-axes grid");
    d.metric("quadratic_rel_err", "on the Hessian axes' central 5x5 grid points (in double): max |L − f(θ) − q| / max "
                                  "|q| with q = a g·u₁ + b g·u₂ + ½(λ₁a² + λ₂b²), the second-order Taylor model "
                                  "(small when it holds at that scale)");
    d.metric("filter_norm_rel_err", "max over filters | ‖d_f‖ − ‖θ_f‖ | / ‖θ_f‖ of the random directions (0 for "
                                    "filter normalization)");
    d.metric("num_params", "parameters of the net");
    d.metric("analysis_stage", "0: the numbers describe the initial net (a 10-step Lanczos look), 1: the trained net's "
                               "analysis is running, 2: done");
    d.metric("hvp_gradient_calls", "gradient evaluations spent on Hessian-vector products");
  }

  void reset(uint64_t seed) override {
    seed_ = seed;
    rng_.reseed(seed ^ 0x4c4c41ull);
    make_data();
    nn::TrainerConfig config;
    config.seed = seed;
    config.batch_size = 32;
    config.max_steps = steps_;
    config.eval_every = 50;
    config.eval_samples = 0;
    config.detect_stuck = false;  // heavy label noise may sit near chance on purpose
    nn::OptimizerConfig adam;
    adam.kind = nn::OptimizerKind::adam;
    adam.lr = float(lr_);
    adam.weight_decay = float(weight_decay_);
    spec_ = nn::mlp(2, {hidden_, hidden_}, 2, nn::LayerKind::tanh);
    trainer_.reset(train_, test_, config);
    trainer_.add_run("tanh MLP", spec_, std::make_unique<nn::SoftmaxCrossEntropy>(), adam);
    trainer_.evaluate_all(0);
    P_ = trainer_.run(0).model.num_params();
    stage_ = kTrain;
    analysis_units_ = 0;
    history_.clear();
    record_history();
    // The quick look at the initial net, so every metric has a value from the start.
    begin_objective();
    nn::LanczosResult quick = nn::lanczos(hvp_.op(), P_, kQuickSteps, rng_, nullptr, false);
    result_ = Result();
    result_.lambda_max = quick.ritz_values.back();
    result_.lambda_min = quick.ritz_values.front();
    nn::SpectrumEstimate s;
    s.nodes.push_back(quick.ritz_values);
    s.weights.push_back(quick.weights);
    const nn::HessianCriteria c = nn::hessian_criteria(s);
    result_.re = c.re, result_.kh = c.kh;
    result_.train_loss = objective_.value(theta_.data());
    result_.train_acc = objective_.accuracy(theta_.data());
    result_.landscape_min = result_.landscape_max = result_.train_loss;
    result_.landscape_hessian_max = result_.landscape_random_max = result_.train_loss;
    result_.stage_metric = 0;
    result_.gradient_calls = double(hvp_.gradient_calls());
    clear_outputs();
    export_state();
  }

  int step(int max_steps, double budget_ms) override {
    using clock = std::chrono::steady_clock;
    const clock::time_point start = clock::now();
    auto elapsed_ms = [&] { return std::chrono::duration<double, std::milli>(clock::now() - start).count(); };
    int done = 0;
    while (done < max_steps && stage_ != kDone && stage_ != kFailed) {
      if (stage_ == kTrain) {
        // Slices end on multiples of kCurveEvery, so the curve has the same points however calls split.
        const int to_mark = kCurveEvery - trainer_.steps_done() % kCurveEvery;
        const int n = trainer_.step(std::min(max_steps - done, to_mark), budget_ms - elapsed_ms());
        done += n;
        if (trainer_.steps_done() % kCurveEvery == 0 && trainer_.state() == nn::Trainer::State::running)
          record_history();  // the last point is recorded after the final full evaluation
        if (trainer_.diverged()) stage_ = kFailed;
        else if (trainer_.state() == nn::Trainer::State::finished) begin_analysis();
        if (n == 0) break;
      } else {
        analysis_unit();
        ++done;
      }
      if (elapsed_ms() >= budget_ms) break;
    }
    export_state();
    return done;
  }

  bool done() const override { return stage_ == kDone || stage_ == kFailed; }

  void live_param_changed(const ParamSpec& spec) override {
    if (spec.key != "axes" || stage_ != kDone) return;
    result_.landscape_min = axes_ == 0 ? landscape_min_[1] : landscape_min_[0];
    result_.landscape_max = axes_ == 0 ? result_.landscape_hessian_max : result_.landscape_random_max;
    export_state();
  }

  std::string problem() const override {
    if (stage_ == kFailed) return "Training diverged (" + trainer_.message() + "): lower the learning rate and reset.";
    return "";
  }

  void metrics(MetricList& out) const override {
    const Result& r = result_;
    out.add("lambda_max", r.lambda_max);
    out.add("lambda_min", r.lambda_min);
    out.add("re", r.re);
    out.add("kh", r.kh);
    out.add("re_exact", r.re_exact);
    out.add("kh_exact", r.kh_exact);
    out.add("negative_fraction", r.negative_fraction);
    out.add("lanczos_top_rel_err", r.lanczos_top_rel_err);
    out.add("trace_exact", r.trace_exact);
    out.add("trace_hutchpp", r.trace_hutchpp);
    out.add("test_acc", trainer_.num_runs() ? trainer_.run(0).last_eval.accuracy : 0.0);
    out.add("train_acc", r.train_acc);
    out.add("train_loss", r.train_loss);
    out.add("landscape_min", r.landscape_min);
    out.add("landscape_max", r.landscape_max);
    out.add("landscape_hessian_max", r.landscape_hessian_max);
    out.add("landscape_random_max", r.landscape_random_max);
    out.add("quadratic_rel_err", r.quadratic_rel_err);
    out.add("filter_norm_rel_err", r.filter_norm_rel_err);
    out.add("num_params", P_);
    out.add("analysis_stage", stage_ == kDone ? 2 : (stage_ == kTrain || stage_ == kFailed ? 0 : 1));
    out.add("hvp_gradient_calls", r.gradient_calls);
  }

 private:
  // What the metrics report: swapped in whole when an analysis completes.
  struct Result {
    double lambda_max = 0, lambda_min = 0, re = 0, kh = 0, re_exact = 0, kh_exact = 0, negative_fraction = 0;
    double lanczos_top_rel_err = 0, trace_exact = 0, trace_hutchpp = 0, train_acc = 0, train_loss = 0;
    double landscape_min = 0, landscape_max = 0, landscape_hessian_max = 0, landscape_random_max = 0;
    double quadratic_rel_err = 0, filter_norm_rel_err = 0, gradient_calls = 0;
    int stage_metric = 0;
  };

  void declare_text(Walkthrough& t);

  // 600 toy points, a third held out; label noise flips that fraction of the training labels.
  void make_data() {
    data::ToyConfig cfg;
    cfg.kind = kToys[dataset_];
    cfg.n = 600;
    cfg.classes = 2;
    cfg.noise = cfg.kind == data::ToyKind::blobs ? 0.35f : (cfg.kind == data::ToyKind::moons ? 0.1f : 0.05f);
    data::Dataset all = data::make_toy(cfg, seed_);
    data::train_test_split(all, 1.0f / 3.0f, seed_ + 1, train_, test_);
    Rng noise(seed_ ^ 0x6e6f697365ull);
    std::vector<int> order(size_t(train_.n));
    for (int i = 0; i < train_.n; ++i) order[i] = i;
    noise.shuffle(order.data(), train_.n);
    flipped_ = int(std::lround(label_noise_ * train_.n));
    for (int k = 0; k < flipped_; ++k) train_.y[order[k]] = 1 - train_.y[order[k]];
    train_x_out_.set({train_.n, 2}, train_.x.data());
    train_cls_ = train_.y;
    std::vector<float> y(train_.y.begin(), train_.y.end());
    train_y_out_.set({train_.n}, y.data());
    test_x_out_.set({test_.n, 2}, test_.x.data());
    y.assign(test_.y.begin(), test_.y.end());
    test_y_out_.set({test_.n}, y.data());
  }

  // The objective and its HVP at the run's current parameters.
  void begin_objective() {
    const nn::Model& m = trainer_.run(0).model;
    objective_.init(spec_, m.params(), train_.x.data(), train_.y.data(), train_.n, weight_decay_);
    theta_ = objective_.initial_point();
    landscape_objective_.init(spec_, m.params(), ce_, train_.x.data(), train_.y.data(), train_.n, train_.n,
                              weight_decay_);
    hvp_.init(P_, objective_.gradient_fn(), nn::GradientHvp::kDoubleStep);
    hvp_.set_point(theta_.data());
  }

  void begin_analysis() {
    trainer_.evaluate_all(0);
    record_history();
    begin_objective();
    pending_ = Result();
    pending_.train_loss = objective_.value(theta_.data());
    pending_.train_acc = objective_.accuracy(theta_.data());
    theta_out_.set({P_}, theta_.data());
    if (P_ <= kMaxExact) {
      dense_.assign(size_t(P_) * P_, 0.0);
      column_ = 0;
      stage_ = kDense;
    } else {
      exact_eigs_.clear();
      start_lanczos();
    }
  }

  void start_lanczos() {
    lanczos_.init(P_, std::min(P_, kTopSteps), rng_);
    stage_ = kLanczos;
  }

  void analysis_unit() {
    ++analysis_units_;
    switch (stage_) {
      case kDense: {
        const int count = std::min(kColumnsPerUnit, P_ - column_);
        nn::dense_hessian_columns(hvp_.op(), P_, column_, count, &dense_[size_t(column_) * P_]);
        column_ += count;
        if (column_ == P_) stage_ = kEigen;
        break;
      }
      case kEigen: finish_exact(); break;
      case kLanczos:
        if (!lanczos_.step(hvp_.op())) finish_top();
        break;
      case kSlq:
        if (!slq_.step(hvp_.op())) {
          nn::LanczosResult r = slq_.finish(false);
          spectrum_.nodes.push_back(r.ritz_values);
          spectrum_.weights.push_back(r.weights);
          if (int(spectrum_.nodes.size()) < slq_runs_) slq_.init(P_, std::min(P_, slq_steps_), rng_);
          else finish_slq();
        }
        break;
      case kLandscape: landscape_row_unit(); break;
      default: break;
    }
  }

  void finish_exact() {
    const int n = P_;
    for (int i = 0; i < n; ++i)
      for (int j = i + 1; j < n; ++j) {
        const double s = 0.5 * (dense_[size_t(i) * n + j] + dense_[size_t(j) * n + i]);
        dense_[size_t(i) * n + j] = dense_[size_t(j) * n + i] = s;
      }
    exact_eigs_.assign(size_t(n), 0.0);
    nn::symmetric_eigen(dense_.data(), n, exact_eigs_.data(), nullptr);
    double tr = 0;
    int neg = 0;
    for (int i = 0; i < n; ++i) tr += dense_[size_t(i) * n + i], neg += exact_eigs_[i] < 0;
    const nn::HessianCriteria c = nn::hessian_criteria(exact_eigs_.data(), n);
    pending_.re_exact = c.re, pending_.kh_exact = c.kh;
    pending_.trace_exact = tr;
    pending_.negative_fraction = double(neg) / n;
    pending_.lambda_max = exact_eigs_.back();
    pending_.lambda_min = exact_eigs_.front();
    eigs_out_.set({n}, exact_eigs_.data());
    start_lanczos();
  }

  void finish_top() {
    const nn::LanczosResult r = lanczos_.finish(true);
    const int k = r.steps, n = P_;
    top_.assign(size_t(2) * n, 0.0);
    ritz_top_[0] = r.ritz_values[k - 1];
    ritz_top_[1] = k > 1 ? r.ritz_values[k - 2] : r.ritz_values[k - 1];
    std::copy(&r.ritz_vectors[size_t(k - 1) * n], &r.ritz_vectors[size_t(k - 1) * n] + n, top_.begin());
    if (k > 1) std::copy(&r.ritz_vectors[size_t(k - 2) * n], &r.ritz_vectors[size_t(k - 2) * n] + n, top_.begin() + n);
    top_out_.set({2, n}, top_.data());
    ritz_out_.set({2}, ritz_top_);
    if (exact_eigs_.empty()) pending_.lambda_max = ritz_top_[0];
    else pending_.lanczos_top_rel_err = std::fabs(ritz_top_[0] - exact_eigs_.back()) / std::max(1e-300, std::fabs(exact_eigs_.back()));
    pending_.trace_hutchpp = nn::hutchpp_trace(hvp_.op(), n, 30, rng_).trace;
    spectrum_ = nn::SpectrumEstimate();
    slq_.init(P_, std::min(P_, slq_steps_), rng_);
    stage_ = kSlq;
  }

  void finish_slq() {
    const nn::HessianCriteria c = nn::hessian_criteria(spectrum_);
    pending_.re = c.re, pending_.kh = c.kh;
    if (exact_eigs_.empty()) {
      double lo = INFINITY;
      for (const auto& nodes : spectrum_.nodes) lo = std::min(lo, nodes.front());
      pending_.lambda_min = lo;
    }
    const int runs = int(spectrum_.nodes.size()), k = int(spectrum_.nodes[0].size());
    std::vector<double> flat_n, flat_w;
    for (int r = 0; r < runs; ++r) {
      flat_n.insert(flat_n.end(), spectrum_.nodes[r].begin(), spectrum_.nodes[r].end());
      flat_n.resize(size_t(r + 1) * k, NAN);  // a run stopped early (invariant subspace) pads with NaN
      flat_w.insert(flat_w.end(), spectrum_.weights[r].begin(), spectrum_.weights[r].end());
      flat_w.resize(size_t(r + 1) * k, 0.0);
    }
    slq_nodes_out_.set({runs, k}, flat_n.data());
    slq_weights_out_.set({runs, k}, flat_w.data());
    fill_spectrum_series();
    // The landscape: axes and directions.
    const int n = P_;
    dirs_.assign(size_t(2) * n, 0.0);
    nn::random_direction(trainer_.run(0).model, theta_.data(), nn::DirectionNorm(norm_), rng_, dirs_.data());
    nn::random_direction(trainer_.run(0).model, theta_.data(), nn::DirectionNorm(norm_), rng_, dirs_.data() + n);
    dirs_out_.set({2, n}, dirs_.data());
    pending_.filter_norm_rel_err =
        std::max(nn::filter_norm_error(trainer_.run(0).model, theta_.data(), dirs_.data()),
                 nn::filter_norm_error(trainer_.run(0).model, theta_.data(), dirs_.data() + n));
    axis_r_.resize(size_t(res_)), axis_h_.resize(size_t(res_));
    for (int i = 0; i < res_; ++i) {
      const double t = -1.0 + 2.0 * i / (res_ - 1);
      axis_r_[i] = extent_ * t, axis_h_[i] = hessian_extent_ * t;
    }
    axis_r_out_.set({res_}, axis_r_.data());
    axis_h_out_.set({res_}, axis_h_.data());
    grid_r_.assign(size_t(res_) * res_, NAN);
    grid_h_.assign(size_t(res_) * res_, NAN);
    scratch_.assign(size_t(n), 0.0);
    row_ = 0;
    stage_ = kLandscape;
  }

  // Row r is b = +extent at the top (r = 0) down to -extent.
  void landscape_row_unit() {
    const nn::ObjectiveFn f = landscape_objective_.value_fn();
    const int n = P_, r = row_;
    nn::landscape_row(f, theta_.data(), dirs_.data(), dirs_.data() + n, n, axis_r_.data(), res_, axis_r_[res_ - 1 - r],
                      &grid_r_[size_t(r) * res_], scratch_.data());
    nn::landscape_row(f, theta_.data(), top_.data(), top_.data() + n, n, axis_h_.data(), res_, axis_h_[res_ - 1 - r],
                      &grid_h_[size_t(r) * res_], scratch_.data());
    if (++row_ == res_) finish_landscape();
  }

  void finish_landscape() {
    auto range = [](const std::vector<double>& g, double& lo, double& hi) {
      lo = INFINITY, hi = -INFINITY;
      for (double v : g) lo = std::min(lo, v), hi = std::max(hi, v);
    };
    double rlo, rhi, hlo, hhi;
    range(grid_r_, rlo, rhi);
    range(grid_h_, hlo, hhi);
    pending_.landscape_random_max = rhi, pending_.landscape_hessian_max = hhi;
    landscape_min_[0] = rlo, landscape_min_[1] = hlo;
    pending_.landscape_min = axes_ == 0 ? hlo : rlo;
    pending_.landscape_max = axes_ == 0 ? hhi : rhi;
    // The second-order Taylor model on the Hessian axes' central 5x5 cells, in double:
    // f(θ + a u1 + b u2) ≈ f(θ) + a g·u1 + b g·u2 + ½(λ₁a² + λ₂b²)  (g: the gradient left by training).
    const int c = res_ / 2, n = P_;
    std::vector<double> g(static_cast<size_t>(n));
    objective_.gradient(theta_.data(), g.data());
    double g1 = 0, g2 = 0;
    for (int i = 0; i < n; ++i) g1 += g[i] * top_[i], g2 += g[i] * top_[size_t(n) + i];
    double worst = 0, scale = 0;
    for (int dr = -2; dr <= 2; ++dr)
      for (int dc = -2; dc <= 2; ++dc) {
        const double a = axis_h_[c + dc], b = axis_h_[c + dr];
        for (int i = 0; i < n; ++i) scratch_[i] = theta_[i] + a * top_[i] + b * top_[size_t(n) + i];
        const double q = a * g1 + b * g2 + 0.5 * (ritz_top_[0] * a * a + ritz_top_[1] * b * b);
        worst = std::max(worst, std::fabs(objective_.value(scratch_.data()) - pending_.train_loss - q));
        scale = std::max(scale, std::fabs(q));
      }
    pending_.quadratic_rel_err = scale > 0 ? worst / scale : 0.0;
    grid_r_out_.set({res_, res_}, grid_r_.data());
    grid_h_out_.set({res_, res_}, grid_h_.data());
    to_display(grid_r_, shown_r_, levels_r_);
    to_display(grid_h_, shown_h_, levels_h_);
    pending_.gradient_calls = double(hvp_.gradient_calls());
    result_ = pending_;
    stage_ = kDone;
  }

  // log10 of the loss for the heatmap, and contour levels spread over its range.
  static void to_display(const std::vector<double>& g, std::vector<float>& shown, std::vector<float>& levels) {
    shown.resize(g.size());
    float lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < g.size(); ++i) {
      shown[i] = float(detmath::log(std::max(g[i], 1e-12)) / 2.302585092994046);
      lo = std::min(lo, shown[i]), hi = std::max(hi, shown[i]);
    }
    levels.resize(kLevels);
    for (int k = 0; k < kLevels; ++k) levels[k] = lo + (hi - lo) * float(k + 1) / float(kLevels + 1);
  }

  // Histogram of the exact eigenvalues and SLQ's smoothed density over the same bins.
  void fill_spectrum_series() {
    double lo = INFINITY, hi = -INFINITY;
    for (double v : exact_eigs_) lo = std::min(lo, v), hi = std::max(hi, v);
    for (const auto& nodes : spectrum_.nodes)
      for (double v : nodes) lo = std::min(lo, v), hi = std::max(hi, v);
    const double pad = 0.05 * std::max(hi - lo, 1e-6);
    lo -= pad, hi += pad;
    const double width = (hi - lo) / kBins;
    std::vector<double> centres(kBins), density(kBins);
    for (int i = 0; i < kBins; ++i) centres[i] = lo + (i + 0.5) * width;
    nn::spectral_density(spectrum_, centres.data(), kBins, std::max(width, 1e-6), density.data());
    spectrum_series_.clear();
    std::vector<double> counts(kBins, 0.0);
    for (double v : exact_eigs_) counts[std::min(kBins - 1, std::max(0, int((v - lo) / width)))] += 1.0;
    for (int i = 0; i < kBins; ++i) {
      const double frac = exact_eigs_.empty() ? 0.0 : counts[i] / exact_eigs_.size();
      spectrum_series_.push({float(centres[i]), float(frac), float(density[i] * width)});
    }
    spectrum_lo_ = lo, spectrum_hi_ = hi;
  }

  void record_history() {
    const nn::Run& r = trainer_.run(0);
    history_.push({float(trainer_.steps_done()), r.smoothed_loss, r.last_eval.accuracy});
  }

  void clear_outputs() {
    for (Array* a : {&grid_r_out_, &grid_h_out_, &axis_r_out_, &axis_h_out_, &eigs_out_, &slq_nodes_out_,
                     &slq_weights_out_, &top_out_, &ritz_out_, &dirs_out_, &theta_out_})
      a->set({0}, static_cast<const double*>(nullptr));
    spectrum_series_.clear();
    shown_r_.clear(), shown_h_.clear();
    exact_eigs_.clear();
    spectrum_lo_ = spectrum_hi_ = 0;
  }

  // The stage, the progress and the reported numbers, for the views (f64, in
  // the order of kState*; the Result's fields follow).
  enum { kStateStage, kStateTrained, kStateUnits, kStateResult };
  static constexpr int kResultFields = 19;
  void export_state() {
    trained_ = trainer_.steps_done();
    const Result& r = result_;
    const double state[kStateResult + kResultFields] = {
        double(stage_), double(trained_), double(analysis_units_), r.lambda_max, r.lambda_min, r.re, r.kh,
        r.re_exact, r.kh_exact, r.negative_fraction, r.lanczos_top_rel_err, r.trace_exact, r.trace_hutchpp,
        r.train_acc, r.train_loss, r.landscape_min, r.landscape_max, r.landscape_hessian_max,
        r.landscape_random_max, r.quadratic_rel_err, r.filter_norm_rel_err, r.gradient_calls};
    state_out_.set({kStateResult + kResultFields}, state);
  }

  // A worker's outputs arrived (web/worker_link.h): what the views read, back
  // from them (the heatmaps through the same to_display as finish_landscape).
  void outputs_replaced() override {
    const std::vector<double>& st = state_out_.d;
    if (st.size() == size_t(kStateResult + kResultFields)) {
      stage_ = int(st[kStateStage]), trained_ = int(st[kStateTrained]), analysis_units_ = int(st[kStateUnits]);
      const double* v = st.data() + kStateResult;
      Result& r = result_;
      for (double* f : {&r.lambda_max, &r.lambda_min, &r.re, &r.kh, &r.re_exact, &r.kh_exact, &r.negative_fraction,
                        &r.lanczos_top_rel_err, &r.trace_exact, &r.trace_hutchpp, &r.train_acc, &r.train_loss,
                        &r.landscape_min, &r.landscape_max, &r.landscape_hessian_max, &r.landscape_random_max,
                        &r.quadratic_rel_err, &r.filter_norm_rel_err, &r.gradient_calls})
        *f = *v++;
    }
    exact_eigs_ = eigs_out_.d;
    if (ritz_out_.d.size() == 2) ritz_top_[0] = ritz_out_.d[0], ritz_top_[1] = ritz_out_.d[1];
    shown_r_.clear(), shown_h_.clear();
    if (!grid_r_out_.d.empty()) to_display(grid_r_out_.d, shown_r_, levels_r_);
    if (!grid_h_out_.d.empty()) to_display(grid_h_out_.d, shown_h_, levels_h_);
  }

  // ------------------------------------------------------------------ views
  void draw_landscapes(const ViewContext& v) const;
  void draw_spectrum(const ViewContext& v) const;
  void draw_training(const ViewContext& v) const;

  // knobs
  int dataset_ = 0, hidden_ = 10, steps_ = 1500, axes_ = 0, norm_ = 0, res_ = 41, slq_steps_ = 100, slq_runs_ = 1;
  double label_noise_ = 0, weight_decay_ = 0, lr_ = 0.01, extent_ = 1, hessian_extent_ = 1;

  uint64_t seed_ = 1;
  Rng rng_;
  data::Dataset train_, test_;
  int flipped_ = 0;
  std::vector<int> train_cls_;  // the training labels for the data view
  nn::ModelSpec spec_;
  nn::Trainer trainer_;
  nn::MlpObjective objective_;  // the training objective in double: gradients, Hessian, Lanczos, SLQ
  nn::SoftmaxCrossEntropy ce_;
  nn::ModelObjective landscape_objective_;  // the same objective on the float network: the landscape grids
  nn::GradientHvp hvp_;
  std::vector<double> theta_;
  int P_ = 0, stage_ = kTrain, column_ = 0, row_ = 0, analysis_units_ = 0;
  int trained_ = 0;  // training steps done, as of the last export (a worker's, on the page)
  std::vector<double> dense_, exact_eigs_;
  nn::LanczosIteration lanczos_, slq_;
  nn::SpectrumEstimate spectrum_;
  std::vector<double> top_, dirs_, axis_r_, axis_h_, grid_r_, grid_h_, scratch_;
  double ritz_top_[2] = {0, 0}, landscape_min_[2] = {0, 0};  // random, Hessian
  std::vector<float> shown_r_, shown_h_, levels_r_, levels_h_;
  double spectrum_lo_ = 0, spectrum_hi_ = 0;
  Result result_, pending_;

  Series& history_ = outputs_.series("training", {"step", "train_loss_smoothed", "test_acc"});
  Series& spectrum_series_ = outputs_.series("spectrum", {"eigenvalue", "exact_fraction", "slq_mass"});
  Array& grid_r_out_ = outputs_.array("landscape_random");    // (res, res) f64, row 0 = b max
  Array& grid_h_out_ = outputs_.array("landscape_hessian");   // (res, res) f64
  Array& axis_r_out_ = outputs_.array("axis_random");         // (res,) a (and b) values
  Array& axis_h_out_ = outputs_.array("axis_hessian");        // (res,)
  Array& eigs_out_ = outputs_.array("eigenvalues_exact");     // (P,) ascending, or empty
  Array& slq_nodes_out_ = outputs_.array("slq_nodes");        // (runs, k) Ritz values
  Array& slq_weights_out_ = outputs_.array("slq_weights");    // (runs, k) quadrature weights
  Array& top_out_ = outputs_.array("hessian_axes");           // (2, P) unit top-2 eigenvectors
  Array& ritz_out_ = outputs_.array("hessian_axes_eigenvalues");  // (2,)
  Array& dirs_out_ = outputs_.array("random_directions");     // (2, P)
  Array& theta_out_ = outputs_.array("theta");                // (P,) trained parameters
  Array& train_x_out_ = outputs_.array("train_x");            // (n, 2)
  Array& train_y_out_ = outputs_.array("train_y");            // (n,) labels trained on (noisy)
  Array& test_x_out_ = outputs_.array("test_x");
  Array& test_y_out_ = outputs_.array("test_y");
  Array& state_out_ = outputs_.array("run_state");            // (22,) f64 stage, steps, analysis units, the metrics
};

void LossLandscape::declare_text(Walkthrough& t) {
  t.section("The problem")
      .paragraph("Two networks can reach the same training loss and still generalize differently.  A long-standing "
                 "idea is that the shape of the minimum matters: a wide, flat basin is robust to the shift between "
                 "training and test data, a sharp or saddle-like one is not.  The LLA paper builds a library for "
                 "looking at that shape - loss landscapes along chosen directions and the Hessian spectrum - and "
                 "proposes two numbers from the spectrum, re and Kh, as cheap indicators of generalization.");
  t.section("The method")
      .paragraph("The objective at the trained parameters θ (n = {num_params:%.0f} here) is the full training loss, "
                 "with the L2 term the optimizer used:")
      .equation("f(θ) = (1/N) Σ_i CE(net_θ(x_i), y_i) + (wd/2) ‖θ‖²")
      .paragraph("A landscape is f on a plane through θ:")
      .equation("L(a, b) = f(θ + a d₁ + b d₂)")
      .paragraph("Random directions have entries N(0, 1), then each filter (a unit's incoming weights) is scaled to "
                 "the norm of the same filter in θ, so the plot does not depend on how the weights happen to be "
                 "scaled (Li et al., 2018); biases are not moved.  Hessian axes are the two eigenvectors of ∇²f(θ) "
                 "with the largest eigenvalues: at an exact minimum L is locally f(θ) + ½(λ₁a² + λ₂b²).  Training "
                 "leaves a small gradient g, so the model here is f(θ) + a g·u₁ + b g·u₂ + ½(λ₁a² + λ₂b²); on the "
                 "central cells it is off by {quadratic_rel_err:%.2g} of its size (a cross-entropy near 0 grows like "
                 "an exponential, so the cubic terms soon matter).")
      .paragraph("Everything comes from Hessian-vector products, computed from two gradients:")
      .equation("H v ≈ ‖v‖ (∇f(θ + h u) − ∇f(θ − h u)) / (2h),   u = v / ‖v‖,   h = 0.002")
      .paragraph("Lanczos turns k products into a tridiagonal T whose eigenvalues (Ritz values) approximate the "
                 "extreme eigenvalues first.  Stochastic Lanczos quadrature (SLQ) reads a whole spectral density "
                 "from one run: the Ritz values θ_j are nodes and the squared first components of T's eigenvectors "
                 "are weights w_j, so Σ_j w_j g(θ_j) ≈ (1/n) tr g(H).  LLA's criteria, from its code:")
      .equation("re = |λ_min / λ_max|        Kh = Σ_(λ_j<0) |λ_j w_j|^0.5 / Σ_(λ_j>0) (λ_j w_j)^0.5")
      .paragraph("Kh measures how much of the spectrum's mass is negative (a saddle rather than a minimum): it is "
                 "exactly 0 at a positive-definite Hessian, while re is then λ_min/λ_max > 0.  For this small net "
                 "the Hessian is also formed column by column and diagonalized exactly, so SLQ can be checked: "
                 "Lanczos's λ₁ differs from the exact one by {lanczos_top_rel_err:%.1e} (relative), and with "
                 "the exact eigenvalues and equal weights 1/n, Kh reads {kh_exact:%.3g} against SLQ's {kh:%.3g}: "
                 "the square root of a node's aggregated mass is not the sum of square roots, so Kh depends on how "
                 "Lanczos lumps the spectrum into nodes.")
      .warning("Teaching simplifications: a tanh MLP (2 hidden layers) on a 2-D toy rather than ImageNet CNNs; "
               "tanh because a ReLU net's Hessian is piecewise and a finite difference of gradients straddles its "
               "kinks.  LLA (PyTorch) differentiates the gradient exactly; here the product is a central "
               "difference of float gradients (checked against an exact Hessian to about 1e-3).  The 2-D "
               "landscapes use their own extents: random axes in units of filter norms, Hessian axes in "
               "parameter-space distance along unit eigenvectors.")
      .note("Before the trained net's analysis completes (analysis_stage < 2), the numbers describe the initial "
            "network from a 10-step Lanczos run.");
  t.section("Try this")
      .bullet("Press Play.  After training, watch the Hessian columns, Lanczos and the landscapes fill in.  The "
              "Hessian-axes landscape is a narrow valley along λ₁; the random one looks far flatter, because a "
              "random direction hardly touches the few sharp directions.")
      .bullet("Set label noise to 0.3: the net now fits contradictory labels.  At seed 1 λ_max, re and Kh all "
              "rise (re 0.004 → 0.05, Kh 0.29 → 0.44) while test accuracy falls.")
      .bullet("Add weight decay 0.01: the penalty adds wd to every eigenvalue, but it also stops the "
              "cross-entropy from going to 0, and a saturated cross-entropy is what made the clean minimum so flat.  "
              "At seed 1 λ_max doubles (about 1.1 to 2.3) while Kh drops.  Sharpness is not one number.")
      .bullet("Switch normalization to none and see the random landscape change scale: that is why filter "
              "normalization exists.")
      .paragraph("Now: λ_max {lambda_max:%.3g}, λ_min {lambda_min:%.3g}, re {re:%.3g}, Kh {kh:%.3g}, test accuracy "
                 "{test_acc:%.3f}.");
  t.section("What the paper reports")
      .paragraph("The paper studies ImageNet-1K pre-trained models and models trained on one data set and tested on "
                 "another.  It reports that typical Hessian spectra exist across architectures, that Hessian axes "
                 "avoid the distortions random axes can show with batch normalization, and that changes of re and "
                 "Kh track changes in accuracy when the data set changes.  Its numbers are not reproduced here: "
                 "the rows below are qualitative.")
      .paper("Kh at a positive-definite Hessian", "0 by construction", "kh", "%.3g",
             "Live: this net; 0 exactly when every SLQ node is positive.")
      .paper("re and Kh vs generalization", "track accuracy changes (figures)", "re", "re %.3g",
             "Paper: ImageNet-scale CNNs.  Live: a toy MLP; vary label noise and weight decay to see re move.")
      .paper("Hessian vs random axes", "Hessian axes show the sharp directions", "landscape_hessian_max", "%.3g (max on Hessian axes)",
             "Live: compare with landscape_random_max.");
}

void LossLandscape::draw_landscapes(const ViewContext& v) const {
  if (stage_ != kDone) {
    const int analysis = (P_ <= kMaxExact ? P_ / kColumnsPerUnit + 2 : 0) + kTopSteps + slq_runs_ * std::min(P_, slq_steps_) + res_;
    const float at = float(trained_ + analysis_units_), total = float(steps_ + analysis);
    const char* what = stage_text(stage_);
    if (stage_ == kFailed) ui::error_box("##failed", "Training diverged: lower the learning rate and reset.");
    else ui::progress_box(what, std::min(1.0f, at / total));
  }
  const float gap = ImGui::GetStyle().ItemSpacing.x;
  const float w = std::max(v.font_size * 8, (v.width - gap) * 0.5f);
  const float side = v.height > 0 ? std::max(v.font_size * 6, std::min(w, v.height - v.font_size * 6)) : w;
  if (shown_r_.empty()) {
    // Until the landscapes exist: the training set the net is fitting (labels as trained on).
    plot::ScatterStyle style;
    style.radius = 2.5f;
    plot::scatter("##data", ImVec2(side, side), train_.x.data(), train_cls_.data(), train_.n, style);
    ImGui::TextDisabled("The training set%s.  The landscapes of the trained net appear here after training.",
                        flipped_ > 0 ? " (flipped labels included)" : "");
    return;
  }
  auto one = [&](const char* id, const std::vector<float>& shown, const std::vector<float>& levels, const char* caption,
                 double extent) {
    ImGui::BeginGroup();
    plot::HeatmapStyle hs;
    hs.title = "log10 loss";
    hs.contour_levels = levels.data();
    hs.num_contours = int(levels.size());
    plot::heatmap(id, ImVec2(side, side), shown.data(), res_, res_, hs);
    ImGui::TextDisabled("%s, a, b in ±%.3g", caption, extent);
    ImGui::EndGroup();
  };
  one("##random", shown_r_, levels_r_, "random (normalized) axes", extent_);
  ImGui::SameLine();
  one("##hessian", shown_h_, levels_h_, "Hessian axes (λ₁, λ₂)", hessian_extent_);
  ui::metric("λ₁, λ₂ (Lanczos):", "%.4g", ritz_top_[0]);
  ImGui::SameLine();
  ImGui::Text(", %.4g", ritz_top_[1]);
}

void LossLandscape::draw_spectrum(const ViewContext& v) const {
  if (spectrum_series_.rows() == 0) {
    ImGui::TextDisabled("The spectrum appears once the trained net has been analysed.");
    return;
  }
  const float w = ui::column_width(2), h = v.height > 0 ? v.height : v.font_size * 12;
  const Series& s = spectrum_series_;
  {
    plot::LinePlot p("##exact", ImVec2(w, h));
    p.axes("eigenvalue", "fraction of eigenvalues per bin");
    if (!exact_eigs_.empty()) p.line("exact (dense)", s.col(0), s.col(1), s.rows(), plot::palette(0));
    p.line("SLQ (smoothed)", s.col(0), s.col(2), s.rows(), plot::palette(1), true);
    p.vline(0.0, "0", plot::ink(0.5f));
    p.draw();
  }
  ui::next_column(w);
  ImGui::BeginGroup();
  ui::metric("λ_max:", "%.4g", result_.lambda_max);
  ui::metric("λ_min:", "%.4g", result_.lambda_min);
  ui::metric("re (SLQ):", "%.4g", result_.re);
  ui::metric("Kh (SLQ):", "%.4g", result_.kh);
  ui::metric("re, Kh (exact spectrum):", "%.4g", result_.re_exact);
  ImGui::SameLine();
  ImGui::Text(", %.4g", result_.kh_exact);
  ui::metric("negative eigenvalues:", "%.3f", result_.negative_fraction);
  ui::metric("tr H exact / Hutch++:", "%.4g", result_.trace_exact);
  ImGui::SameLine();
  ImGui::Text("/ %.4g", result_.trace_hutchpp);
  ImGui::EndGroup();
}

void LossLandscape::draw_training(const ViewContext& v) const {
  const float w = ui::column_width(2), h = v.height > 0 ? v.height : v.font_size * 10;
  const Series& s = history_;
  {
    plot::LinePlot p("##loss", ImVec2(w, h));
    p.axes("step", "training loss (smoothed)", true);
    p.line("loss", s.col(0), s.col(1), s.rows(), plot::palette(0));
    p.draw();
  }
  ui::next_column(w);
  {
    plot::LinePlot p("##acc", ImVec2(w, h));
    p.axes("step", "test accuracy");
    p.y_range(0, 1.02);
    p.line("test", s.col(0), s.col(2), s.rows(), plot::palette(1));
    p.draw();
  }
  if (flipped_ > 0) ImGui::TextDisabled("%d of %d training labels flipped", flipped_, train_.n);
}

}  // namespace

PG_REGISTER_LESSON(LossLandscape, 29);

}  // namespace pg
