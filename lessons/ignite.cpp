// ignite.cpp - Lesson: "Incorporating surrogate gradient norm to improve
// offline optimization techniques" (IGNITE; Dao, Nguyen, Truong & Hoang, 2025;
// official code cuong-dm/IGNITE, TensorFlow).
//
// A 2-D black-box function is known only through offline samples from the
// lower half of the square.  Two surrogate networks with the same
// initialization and the same mini-batches are fitted to them, one plainly and
// one with IGNITE's gradient-norm constraint (the official update, λ unclipped);
// then gradient ascent on each surrogate starts from the best offline designs,
// and the true function scores where it lands.  Engine: engine/opt/ignite.h
// (SurrogateMlp, IgniteCorrection), opt::FlatTrainer with nn's float Adam.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <numeric>
#include <vector>

#include "engine/opt/flat_trainer.h"
#include "engine/opt/ignite.h"
#include "engine/opt/methods.h"
#include "engine/rng.h"
#include "engine/timing.h"
#include "lessons/lesson.h"
#include "ui/panel.h"
#include "ui/plots.h"

namespace pg {
namespace {

const LessonInfo kInfo = {
    "ignite",
    "IGNITE: surrogate gradient norm for offline optimization",
    "Dao, Nguyen, Truong & Hoang",
    2025,
    "2503.04242",
    "https://github.com/cuong-dm/IGNITE",
    "D. Trainers and optimizers",
    LessonKind::trainer,
    Stepping::on_play,
    "Penalize the surrogate's parameter-gradient norm; gradient ascent on it then strays less out of distribution.",
};

enum RunId { kPlain, kIgnite, kRuns };
const char* const kRunKey[kRuns] = {"plain", "ignite"};
const char* const kRunName[kRuns] = {"plain surrogate", "IGNITE surrogate"};
constexpr int kGrid = 32;          // surrogate heatmaps: kGrid x kGrid cells over [-1, 1]^2
constexpr int kScoreGrid = 201;    // the true function's range for the normalized score
constexpr int kGridEvery = 100;    // training steps between heatmap refreshes
constexpr int kCurveEvery = 10;    // training steps between curve points (and grad-norm measurements)

// The black box on [-1, 1]^2: a tall bump just above the data's edge, a lower
// one inside the data, and a gentle bowl.  Its maximum is in the upper half.
double black_box(double x1, double x2) {
  auto bump = [](double a, double b, double ca, double cb, double s) {
    const double d = (a - ca) * (a - ca) + (b - cb) * (b - cb);
    return detmath::exp(-d / (2.0 * s * s));
  };
  return bump(x1, x2, 0.35, 0.3, 0.25) + 0.35 * bump(x1, x2, -0.55, -0.5, 0.2) - 0.15 * (x1 * x1 + x2 * x2);
}

class Ignite : public Lesson {
 public:
  bool views_draw_from_outputs() const override { return true; }  // tests/test_worker_mirror.cpp

  const LessonInfo& info() const override { return kInfo; }

  void declare(Declaration& d) override {
    ParamList& p = d.params;
    p.real("epsilon", "ε (sharpness budget)", &epsilon_, 1e-5, 1, 1e-3,
           "The constraint ρ‖∇_β G‖ ≤ ε.  λ grows while the constraint is violated and shrinks (below 0 too: the "
           "official update has no clip) while it holds.  Official default 1e-3.",
           true);
    p.real("rho", "ρ (= r)", &rho_, 0.005, 0.5, 0.05,
           "Scale of the constraint and radius r of the finite difference (the code uses ρ = r = 0.05).", true);
    p.choice("lambda_mode", "λ", &lambda_mode_, {"dual", "fixed"}, 0,
             "dual (IGNITE): λ ← λ + η_λ(ρ‖∇G‖ − ε) each step.  fixed: λ stays at λ₀ (the official IGNITE2 variant).");
    p.real("lambda0", "λ₀", &lambda0_, 0, 10, 1e-3,
           "Initial (or fixed) multiplier; official 1e-3.  λ₀ = 0 with a fixed λ is exactly the plain run.");
    p.real("eta_lambda", "η_λ (dual step)", &eta_lambda_, 1e-5, 10, 1e-3, "Step size of the dual update; official 1e-3.",
           true);
    p.integer("samples", "offline samples", &samples_, 32, 2000, 400, "Designs drawn uniformly from the lower half.", true);
    p.integer("train_steps", "training steps", &train_steps_, 50, 5000, 1000, "Adam steps (batch 128, lr 1e-3).", true);
    p.integer("width", "surrogate width", &width_, 4, 128, 32, "Units per tanh hidden layer (2 hidden layers).", true);
    p.real("input_noise", "input noise σ", &input_noise_, 0, 0.3, 0.05,
           "The regression loss sees x + N(0, σ²) (as the code's noisy inputs); G sees clean x.");
    p.integer("ascent_steps", "ascent steps", &ascent_steps_, 10, 500, 100,
              "Gradient-ascent steps on each surrogate from the best offline designs.", true);
    p.real("ascent_lr", "ascent step", &ascent_lr_, 1e-3, 0.2, 0.005,
           "x ← clip(x + step · ∇_x f̂(x)) on the standardized surrogate.", true);
    declare_text(d.text);
    d.view("maps", "True function and the two surrogates, with the ascent paths",
           [this](const ViewContext& v) { draw_maps(v); });
    d.view("training", "Training loss, ‖∇_β G‖ and λ", [this](const ViewContext& v) { draw_training(v); });
    d.view("summary", "Scores of the ascended designs", [this](const ViewContext& v) { draw_summary(v); });
    d.metric("true_score_*", "normalized true score (f − f_min)/(f_max − f_min) of the best ascended design "
                             "(100th percentile, as Design-Bench) for the plain and the IGNITE surrogate");
    d.metric("true_mean_*", "the same, averaged over the ascended designs (50th-percentile-like view)");
    d.metric("surrogate_grad_norm_*", "‖∇_β G‖: the parameter-gradient norm of the mean prediction over all offline "
                                      "designs, at the current parameters");
    d.metric("ood_rmse_*", "RMSE of the standardized surrogate against the standardized truth on the upper half "
                           "(no data there)");
    d.metric("train_loss_*", "the last mini-batch's regression loss (mean squared error / 2, standardized y)");
    d.metric("data_best", "normalized true score of the best offline design (where ascent starts)");
    d.metric("lambda", "IGNITE's multiplier λ now (may be negative: unclipped)");
    d.metric("improvement_pct", "100 (true_score_ignite − true_score_plain) / true_score_plain");
    d.metric("train_steps_done", "training steps done");
    d.metric("ascent_steps_done", "ascent steps done");
  }

  void reset(uint64_t seed) override {
    Rng rng(seed);
    net_.init(2, width_, 2);
    const int P = net_.num_params();
    // The offline data: uniform over [-1, 1] x [-1, 0].
    data_x_.resize(size_t(samples_) * 2);
    data_y_.resize(size_t(samples_));
    for (int i = 0; i < samples_; ++i) {
      data_x_[size_t(2 * i)] = rng.uniform(-1.0, 1.0);
      data_x_[size_t(2 * i + 1)] = rng.uniform(-1.0, 0.0);
      data_y_[size_t(i)] = black_box(data_x_[size_t(2 * i)], data_x_[size_t(2 * i + 1)]);
    }
    double mean = 0.0, var = 0.0;
    for (double y : data_y_) mean += y;
    mean /= samples_;
    for (double y : data_y_) var += (y - mean) * (y - mean);
    y_mean_ = mean, y_std_ = std::max(std::sqrt(var / samples_), 1e-12);
    std_y_.resize(data_y_.size());
    for (size_t i = 0; i < data_y_.size(); ++i) std_y_[i] = (data_y_[i] - y_mean_) / y_std_;
    compute_score_range();
    // The same initialization and the same batch stream for both runs.
    theta0_.resize(size_t(P));
    net_.init_params(rng, theta0_.data());
    const uint64_t batch_seed = rng.next_u64();
    batch_ = std::min(128, samples_);
    for (int r = 0; r < kRuns; ++r) {
      batch_rng_[r] = Rng(batch_seed);
      noisy_[r].resize(size_t(batch_) * 2);
      clean_[r].resize(size_t(batch_) * 2);
      ybatch_[r].resize(size_t(batch_));
      opt::Objective f;
      f.dim = P;
      f.value_grad = [this, r](int, const double* theta, double* grad) { return batch_loss(r, theta, grad); };
      nn::OptimizerConfig oc;
      oc.kind = nn::OptimizerKind::adam;
      oc.lr = 1e-3f;
      runs_[r].reset(std::move(f), std::make_unique<opt::NnOptimizer>(oc), theta0_.data(), train_steps_, 256);
      loss_[r] = 0, grad_norm_G_[r] = 0;
    }
    opt::IgniteConfig ic;
    ic.rho = ic.r = rho_;
    ic.epsilon = epsilon_, ic.eta_lambda = eta_lambda_, ic.lambda0 = lambda0_;
    ic.dual_update = lambda_mode_ == 0;
    ignite_.reset(P, ic);
    gG_.resize(size_t(P));
    curve_.clear();
    for (auto& c : curve_.values) c.reserve(size_t(train_steps_) / kCurveEvery + 2);
    train_done_ = 0, ascent_done_ = 0;
    // Ascent starts from the top-k offline designs.
    top_k_ = std::min(16, samples_);
    std::vector<int> order(static_cast<size_t>(samples_));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [this](int a, int b) { return data_y_[size_t(a)] > data_y_[size_t(b)]; });
    start_.resize(size_t(top_k_) * 2);
    for (int k = 0; k < top_k_; ++k) {
      start_[size_t(2 * k)] = data_x_[size_t(2 * order[size_t(k)])];
      start_[size_t(2 * k + 1)] = data_x_[size_t(2 * order[size_t(k)] + 1)];
    }
    data_best_ = normalized(data_y_[size_t(order[0])]);
    for (int r = 0; r < kRuns; ++r) {
      designs_[r] = start_;
      paths_[r].assign(size_t(top_k_) * size_t(ascent_steps_ + 2) * 2, NAN);
    }
    fill_true_grid();
    refresh_after_training_step();
    refresh_grids();
    score_designs();
    export_arrays();
  }

  // One unit: one training step of both surrogates, then (after training) one
  // ascent step of both design batches.
  int step(int max_steps, double budget_ms) override {
    const int units = timing::run_budgeted(max_steps, budget_ms, [this] { return done(); }, [&] {
      if (train_done_ < train_steps_) {
        for (int r = 0; r < kRuns; ++r) runs_[r].step(1, 1e30);
        ++train_done_;
        refresh_after_training_step();
        if (train_done_ % kGridEvery == 0 || train_done_ == train_steps_) refresh_grids();
      } else {
        ascent_step();
        ++ascent_done_;
        score_designs();
      }
    });
    export_arrays();
    return units;
  }

  bool done() const override {
    return diverged() || (train_done_ >= train_steps_ && ascent_done_ >= ascent_steps_);
  }
  int64_t run_length() const override { return int64_t(train_steps_) + ascent_steps_; }

  std::string problem() const override {
    for (int r = 0; r < kRuns; ++r)
      if (runs_[r].diverged())
        return std::string(kRunName[r]) + ": " + runs_[r].problem() + ".  Lower λ₀ or η_λ and reset.";
    return "";
  }

  void metrics(MetricList& out) const override {
    char key[64];
    for (int r = 0; r < kRuns; ++r) {
      std::snprintf(key, sizeof key, "true_score_%s", kRunKey[r]);
      out.add(key, score_max_[r]);
    }
    for (int r = 0; r < kRuns; ++r) {
      std::snprintf(key, sizeof key, "true_mean_%s", kRunKey[r]);
      out.add(key, score_mean_[r]);
    }
    for (int r = 0; r < kRuns; ++r) {
      std::snprintf(key, sizeof key, "surrogate_grad_norm_%s", kRunKey[r]);
      out.add(key, grad_norm_G_[r]);
    }
    for (int r = 0; r < kRuns; ++r) {
      std::snprintf(key, sizeof key, "ood_rmse_%s", kRunKey[r]);
      out.add(key, ood_rmse_[r]);
    }
    for (int r = 0; r < kRuns; ++r) {
      std::snprintf(key, sizeof key, "train_loss_%s", kRunKey[r]);
      out.add(key, loss_[r]);
    }
    out.add("data_best", data_best_);
    out.add("lambda", ignite_.lambda());
    out.add("improvement_pct", score_max_[kPlain] > 0 ? 100.0 * (score_max_[kIgnite] - score_max_[kPlain]) / score_max_[kPlain]
                                                     : 0.0);
    out.add("train_steps_done", train_done_);
    out.add("ascent_steps_done", ascent_done_);
  }

 private:
  bool diverged() const { return runs_[kPlain].diverged() || runs_[kIgnite].diverged(); }

  void declare_text(Walkthrough& t);

  // The regression loss on one mini-batch with noisy inputs; for the IGNITE
  // run, plus the sharpness correction on the same batch's clean inputs.
  double batch_loss(int r, const double* theta, double* grad) {
    Rng& rng = batch_rng_[r];
    for (int i = 0; i < batch_; ++i) {
      const int j = int(rng.below(uint32_t(samples_)));
      for (int c = 0; c < 2; ++c) {
        const double x = data_x_[size_t(2 * j + c)];
        clean_[r][size_t(2 * i + c)] = x;
        noisy_[r][size_t(2 * i + c)] = x + input_noise_ * rng.normal();
      }
      ybatch_[r][size_t(i)] = std_y_[size_t(j)];
    }
    const double loss = net_.squared_error(theta, noisy_[r].data(), ybatch_[r].data(), batch_, grad);
    if (r == kIgnite) {
      const double* clean = clean_[r].data();
      ignite_.apply([this, clean](const double* beta, double* g) { net_.mean_prediction(beta, clean, batch_, g); },
                    theta, grad);
    }
    return loss;
  }

  // The batch losses every step; ||grad_beta G|| over the whole offline set
  // (2 x samples forward-backward passes) and a curve point every kCurveEvery steps.
  void refresh_after_training_step() {
    for (int r = 0; r < kRuns; ++r)  // a non-finite loss stops the run (problem()); keep the last finite one
      if (runs_[r].steps() && std::isfinite(runs_[r].last_value())) loss_[r] = runs_[r].last_value();
    if (train_done_ % kCurveEvery != 0 && train_done_ != train_steps_) return;
    for (int r = 0; r < kRuns; ++r) {
      net_.mean_prediction(runs_[r].x().data(), data_x_.data(), samples_, gG_.data());
      double sq = 0.0;
      for (double g : gG_) sq += g * g;
      grad_norm_G_[r] = std::sqrt(sq);
    }
    curve_.push({float(train_done_), float(loss_[kPlain]), float(loss_[kIgnite]), float(grad_norm_G_[kPlain]),
                 float(grad_norm_G_[kIgnite]), float(ignite_.lambda())});
  }

  void compute_score_range() {
    f_min_ = INFINITY, f_max_ = -INFINITY;
    for (int i = 0; i < kScoreGrid; ++i)
      for (int j = 0; j < kScoreGrid; ++j) {
        const double f = black_box(-1.0 + 2.0 * i / (kScoreGrid - 1), -1.0 + 2.0 * j / (kScoreGrid - 1));
        f_min_ = std::min(f_min_, f), f_max_ = std::max(f_max_, f);
      }
  }
  double normalized(double f) const { return (f - f_min_) / (f_max_ - f_min_); }

  // Cell (row, col) centre: x1 = -1 + (col + 0.5) 2/kGrid, x2 = 1 - (row + 0.5) 2/kGrid (row 0 at the top).
  static double cell_x1(int col) { return -1.0 + (col + 0.5) * 2.0 / kGrid; }
  static double cell_x2(int row) { return 1.0 - (row + 0.5) * 2.0 / kGrid; }

  void fill_true_grid() {
    true_grid_.resize(size_t(kGrid) * kGrid);
    for (int row = 0; row < kGrid; ++row)
      for (int col = 0; col < kGrid; ++col)
        true_grid_[size_t(row) * kGrid + col] = float((black_box(cell_x1(col), cell_x2(row)) - y_mean_) / y_std_);
  }

  void refresh_grids() {
    for (int r = 0; r < kRuns; ++r) {
      const double* theta = runs_[r].x().data();
      grid_[r].resize(size_t(kGrid) * kGrid);
      double sq = 0.0;
      int count = 0;
      for (int row = 0; row < kGrid; ++row)
        for (int col = 0; col < kGrid; ++col) {
          const double x[2] = {cell_x1(col), cell_x2(row)};
          const double f = net_.predict(theta, x);
          grid_[r][size_t(row) * kGrid + col] = float(f);
          if (x[1] > 0) {
            const double e = f - double(true_grid_[size_t(row) * kGrid + col]);
            sq += e * e, ++count;
          }
        }
      ood_rmse_[r] = std::sqrt(sq / std::max(count, 1));
    }
  }

  // x <- clip(x + eta grad_x f(x), [-1, 1]^2) for every design, on each surrogate.
  void ascent_step() {
    for (int r = 0; r < kRuns; ++r) {
      const double* theta = runs_[r].x().data();
      for (int k = 0; k < top_k_; ++k) {
        double* x = &designs_[r][size_t(2 * k)];
        double dx[2];
        net_.predict_input_grad(theta, x, dx);
        for (int c = 0; c < 2; ++c) x[c] = std::clamp(x[c] + ascent_lr_ * dx[c], -1.0, 1.0);
      }
    }
  }

  void score_designs() {
    const int stride = ascent_steps_ + 2;  // points per path, the last one NaN (breaks the polyline)
    for (int r = 0; r < kRuns; ++r) {
      double best = -INFINITY, sum = 0.0;
      for (int k = 0; k < top_k_; ++k) {
        const double* x = &designs_[r][size_t(2 * k)];
        const double s = normalized(black_box(x[0], x[1]));
        best = std::max(best, s), sum += s;
        float* p = &paths_[r][(size_t(k) * stride + size_t(ascent_done_)) * 2];
        p[0] = float((x[0] + 1.0) * 0.5 * kGrid);
        p[1] = float((1.0 - x[1]) * 0.5 * kGrid);
      }
      score_max_[r] = best, score_mean_[r] = sum / top_k_;
    }
  }

  void export_arrays() {
    finished_ = done(), lambda_shown_ = ignite_.lambda();
    data_x_out_.set({samples_, 2}, data_x_.data());
    data_y_out_.set({samples_}, data_y_.data());
    const double norm[2] = {f_min_, f_max_};
    range_out_.set({2}, norm);
    for (int r = 0; r < kRuns; ++r) {
      designs_out_[r]->set({top_k_, 2}, designs_[r].data());
      grid_out_[r]->set({kGrid, kGrid}, grid_[r].data());
      path_out_[r]->set({top_k_, ascent_steps_ + 2, 2}, paths_[r].data());
    }
    start_out_.set({top_k_, 2}, start_.data());
    double state[kStateSize];
    for (int r = 0; r < kRuns; ++r) {
      state[kScoreMax + r] = score_max_[r], state[kScoreMean + r] = score_mean_[r];
      state[kGradNorm + r] = grad_norm_G_[r], state[kOodRmse + r] = ood_rmse_[r];
    }
    state[kLambda] = lambda_shown_;
    state[kTrainDone] = train_done_, state[kAscentDone] = ascent_done_, state[kFinished] = finished_;
    state_out_.set({kStateSize}, state);
  }

  // A worker's outputs arrived (web/worker_link.h): what the views and the
  // text's conditions read, back from them.
  void outputs_replaced() override {
    for (int r = 0; r < kRuns; ++r) {
      grid_[r] = grid_out_[r]->f;
      paths_[r] = path_out_[r]->f;
    }
    const std::vector<double>& state = state_out_.d;
    if (state.size() != size_t(kStateSize)) return;
    for (int r = 0; r < kRuns; ++r) {
      score_max_[r] = state[kScoreMax + r], score_mean_[r] = state[kScoreMean + r];
      grad_norm_G_[r] = state[kGradNorm + r], ood_rmse_[r] = state[kOodRmse + r];
    }
    lambda_shown_ = state[kLambda];
    train_done_ = int(state[kTrainDone]), ascent_done_ = int(state[kAscentDone]);
    finished_ = state[kFinished] != 0;
  }

  // ------------------------------------------------------------------ views
  void draw_maps(const ViewContext& v) const;
  void draw_training(const ViewContext& v) const;
  void draw_summary(const ViewContext& v) const;

  double epsilon_ = 1e-3, rho_ = 0.05, lambda0_ = 1e-3, eta_lambda_ = 1e-3, input_noise_ = 0.05, ascent_lr_ = 0.005;
  int lambda_mode_ = 0, samples_ = 400, train_steps_ = 1000, width_ = 32, ascent_steps_ = 100;
  opt::SurrogateMlp net_;
  opt::IgniteCorrection ignite_;
  opt::FlatTrainer runs_[kRuns];
  Rng batch_rng_[kRuns] = {Rng(1), Rng(1)};
  std::vector<double> data_x_, data_y_, std_y_, theta0_, gG_, start_;
  std::vector<double> noisy_[kRuns], clean_[kRuns], ybatch_[kRuns], designs_[kRuns];
  std::vector<float> true_grid_, grid_[kRuns], paths_[kRuns];
  double y_mean_ = 0, y_std_ = 1, f_min_ = 0, f_max_ = 1, data_best_ = 0;
  double loss_[kRuns] = {}, grad_norm_G_[kRuns] = {}, ood_rmse_[kRuns] = {}, score_max_[kRuns] = {},
         score_mean_[kRuns] = {};
  int batch_ = 128, top_k_ = 16, train_done_ = 0, ascent_done_ = 0;
  bool finished_ = false;  // done(), as of the last export (a worker's, on the page)
  double lambda_shown_ = 0;  // λ as of the last export: the summary view's

  // run_state's entries (f64): what the summary view and the text's conditions read.
  enum { kScoreMax = 0, kScoreMean = 2, kGradNorm = 4, kOodRmse = 6, kLambda = 8, kTrainDone, kAscentDone, kFinished,
         kStateSize };

  Series& curve_ = outputs_.series("training", {"step", "loss_plain", "loss_ignite", "grad_norm_plain",
                                                "grad_norm_ignite", "lambda"});
  Array& data_x_out_ = outputs_.array("data_x");        // (n, 2) f64 offline designs
  Array& data_y_out_ = outputs_.array("data_y");        // (n,) f64 true values
  Array& range_out_ = outputs_.array("score_range");    // (2,) f64 f_min, f_max for the normalized score
  Array& start_out_ = outputs_.array("ascent_start");   // (k, 2) f64 the top-k offline designs
  Array& designs_plain_ = outputs_.array("designs_plain");    // (k, 2) f64 ascended designs
  Array& designs_ignite_ = outputs_.array("designs_ignite");  // (k, 2) f64
  Array& grid_plain_ = outputs_.array("surrogate_plain");     // (32, 32) f32, standardized, row 0 = x2 near +1
  Array& grid_ignite_ = outputs_.array("surrogate_ignite");   // (32, 32) f32
  Array& path_plain_ = outputs_.array("ascent_path_plain");    // (k, ascent steps + 2, 2) f32 heatmap cells, NaN ends
  Array& path_ignite_ = outputs_.array("ascent_path_ignite");  // (k, ascent steps + 2, 2) f32
  Array& state_out_ = outputs_.array("run_state");  // (12,) f64 best, mean, ‖∇G‖, RMSE per run; λ, steps, finished
  Array* const designs_out_[kRuns] = {&designs_plain_, &designs_ignite_};
  Array* const grid_out_[kRuns] = {&grid_plain_, &grid_ignite_};
  Array* const path_out_[kRuns] = {&path_plain_, &path_ignite_};
};


void Ignite::declare_text(Walkthrough& t) {
  t.section("The problem")
      .paragraph("Offline optimization: a black-box function (a material's property, a protein's fitness) can no "
                 "longer be queried; only a fixed set of past (x, y) pairs is available.  The usual recipe fits a "
                 "surrogate network f̂ to them and climbs f̂ by gradient ascent.  Outside the data the surrogate is "
                 "unconstrained, and ascent happily follows an extrapolation that is not there.")
      .paragraph("Here the black box lives on [−1, 1]²; its tallest bump sits just above the data, which covers only "
                 "the lower half (x₂ < 0).  The best offline design scores {data_best:%.3f} on the normalized scale "
                 "(0 = the function's minimum on the square, 1 = its maximum).");
  t.section("The method")
      .paragraph("IGNITE constrains the surrogate's sharpness, measured by the norm of the gradient of its mean "
                 "prediction G(β) = (1/b) Σ f̂_β(x_i) with respect to the parameters β, and trains with a Lagrange "
                 "multiplier λ.  One step, as in the official code:")
      .equation("g_L = ∇_β L(β; x + noise),   g_G = ∇_β G(β; x),   u = g_G / ‖g_G‖")
      .equation("h = ∇_β G(β + r u) − g_G          (h / r → ∇²_β G · u as r → 0)")
      .equation("Adam step on  g_L + λ (ρ / r) h,     then  λ ← λ + η_λ (ρ ‖g_G‖ − ε)")
      .paragraph("λ ρ ∇²G u is the gradient of λ ρ ‖∇_β G‖, so the extra term pushes the parameters toward a "
                 "surrogate whose mean prediction is insensitive to them; two gradient evaluations replace the "
                 "Hessian.  For a model linear in its parameters ∇_β G does not depend on β and h = 0: the penalty "
                 "only acts through the network's curvature.")
      .warning("The official update is followed, not the paper draft's: λ is NOT clipped at 0 (papers/method-notes.md "
               "#8).  While ρ‖∇G‖ < ε, λ keeps falling and can go negative, which rewards sharpness.  λ now: "
               "{lambda:%.4g}.")
      .note("Defaults as in the code's experiments.py: λ₀ = ε = η_λ = 1e-3, ρ = r = 0.05; Adam with lr 1e-3.  The "
            "regression loss is the mean squared error on standardized y (a unit-variance Gaussian NLL up to a "
            "constant); the code's surrogate has its own architecture and Design-Bench's data.")
      .note("Teaching simplifications: a fixed 2-D function (two Gaussian bumps and a bowl), {train_steps_done:%.0f} "
            "training steps of a 2 × width tanh MLP, batch 128; ascent from the 16 best offline designs with a fixed "
            "step, clipped to the square.  Both surrogates share the initialization and every mini-batch.");
  t.section("Try this")
      .bullet("Press Play.  The training view shows ‖∇_β G‖ for both runs: {surrogate_grad_norm_plain:%.3g} (plain) "
              "vs {surrogate_grad_norm_ignite:%.3g} (IGNITE).  With the official constants λ rises by about η_λ ρ‖∇G‖ "
              "per step, slowly: {lambda:%.3g} now.  At the defaults the constraint ρ‖∇G‖ ≤ ε = 1e-3 is far from met, "
              "so λ keeps growing throughout the run.")
      .bullet("Watch the ascent paths on the heatmaps: they start at the best offline designs (just below x₂ = 0) "
              "and cross into the half with no data.  Where a surrogate keeps rising past the true bump, its designs "
              "overshoot.")
      .bullet("Switch λ to fixed and raise λ₀ to 1 or more: the penalty bites, the IGNITE surrogate flattens, and its "
              "ascent paths change.  λ₀ = 0 with a fixed λ reproduces the plain run exactly.")
      .bullet("Raise ε to 1: the constraint holds from the start, so λ falls below 0 (no clip) and the penalty turns "
              "into a reward for sharpness; compare the two ‖∇_β G‖ curves.")
      .bullet("Set the input noise to 0 and compare the upper-half RMSE of the two surrogates with the default's.")
      .paragraph("Now: true score {true_score_plain:%.3f} (plain) vs {true_score_ignite:%.3f} (IGNITE), relative change "
                 "{improvement_pct:%+.1f}%; upper-half RMSE {ood_rmse_plain:%.3f} vs {ood_rmse_ignite:%.3f}.");
  t.section("What the paper reports")
      .paragraph("Across a range of offline optimization benchmarks (the official code builds on Design-Bench's "
                 "baselines), adding IGNITE to existing offline optimizers often improves their scores, by up to 9.6% "
                 "(the abstract's headline).  The toy below is one seeded 2-D run with gradient ascent as the "
                 "optimizer: its change can be of either sign and is not the paper's benchmark.  Scoring the best of "
                 "the ascended designs on a 0-1 scale follows Design-Bench's convention, a choice of this toy.")
      .paper("relative improvement of the 100th-percentile score", "up to +9.6% (abstract)", "improvement_pct",
             "%+.1f%%", "Live: 2-D toy, 400 samples from the lower half, 16 ascended designs, seed as set.")
      .warning("This run does not reproduce the paper's gain: IGNITE lowered ‖∇_β G‖ from "
               "{surrogate_grad_norm_plain:%.3g} to {surrogate_grad_norm_ignite:%.3g}, but its ascended designs score "
               "{true_score_ignite:%.3f} against {true_score_plain:%.3f} for the plain surrogate.  A flatter surrogate "
               "is not automatically a better-placed one: with one smooth bump and 16 starting points, the plain "
               "network's extrapolation can already point the right way.  Try other seeds, a fixed λ, or fewer samples.")
      .when([this] { return finished_ && score_max_[kIgnite] <= score_max_[kPlain]; })
      .paper("normalized score, gradient ascent + IGNITE", "per task (the paper's tables; not checked here)", "true_score_ignite", "%.3f",
             "Live: (f − f_min)/(f_max − f_min) of the best ascended design.");
}

void Ignite::draw_maps(const ViewContext& v) const {
  // Three maps in a row, the last one wider by its colour bar (ui/plots: 4.5
  // font sizes); on a narrow slot (a phone) two rows, never wider than the slot.
  const float spacing = ImGui::GetStyle().ItemSpacing.x, bar = v.font_size * 4.5f;
  const bool two_rows = (v.width - 2 * spacing - bar) / 3.0f < v.font_size * 7;
  const float side = two_rows ? std::max(v.font_size * 4, (v.width - spacing - bar) / 2.0f)
                              : std::min((v.width - 2 * spacing - bar) / 3.0f, v.font_size * 16);
  float lo = INFINITY, hi = -INFINITY;
  for (float f : true_grid_) lo = std::min(lo, f), hi = std::max(hi, f);
  const float* maps[3] = {true_grid_.data(), grid_[kPlain].data(), grid_[kIgnite].data()};
  const char* titles[3] = {"true f (standardized)", "plain surrogate", "IGNITE surrogate"};
  const char* short_titles[3] = {"true f", "plain", "IGNITE"};
  const char* ids[3] = {"##true", "##plain", "##ignite"};
  const float levels[1] = {0.0f};
  for (int m = 0; m < 3; ++m) {
    if (m && !(two_rows && m == 2)) ImGui::SameLine();
    ImGui::BeginGroup();
    plot::HeatmapStyle hs;
    hs.vmin = lo, hs.vmax = hi;
    hs.colorbar = m == 2;
    hs.title = side < v.font_size * 11 ? short_titles[m] : titles[m];
    hs.contour_levels = levels, hs.num_contours = 1;
    if (m > 0) {
      hs.path_xy = paths_[m - 1].data();
      hs.path_len = int(paths_[m - 1].size() / 2);
    }
    plot::heatmap(ids[m], ImVec2(m == 2 ? side + bar : side, side), maps[m], kGrid, kGrid, hs);
    ImGui::EndGroup();
  }
  ImGui::TextDisabled("[−1, 1]², x₂ up; data only below x₂ = 0; colors clipped to the true range; paths: ascent from "
                      "the 16 best offline designs");
}

void Ignite::draw_training(const ViewContext& v) const {
  const float h = v.height > 0 ? v.height * 0.5f - ImGui::GetTextLineHeightWithSpacing() : v.font_size * 10;
  const Series& s = curve_;
  {
    plot::LinePlot p("##loss", ImVec2(v.width, std::max(h, v.font_size * 6)));
    p.axes("training step", "batch loss", true);
    p.line("plain", s.col(0), s.col(1), s.rows(), plot::palette(0));
    p.line("IGNITE", s.col(0), s.col(2), s.rows(), plot::palette(1));
    p.draw();
  }
  plot::LinePlot p("##norm", ImVec2(v.width, std::max(h, v.font_size * 6)));
  p.axes("training step", "‖∇_β G‖ (offline set), λ");
  p.line("‖∇G‖ plain", s.col(0), s.col(3), s.rows(), plot::palette(0));
  p.line("‖∇G‖ IGNITE", s.col(0), s.col(4), s.rows(), plot::palette(1));
  p.line("λ", s.col(0), s.col(5), s.rows(), plot::palette(2));
  p.draw();
}

void Ignite::draw_summary(const ViewContext&) const {
  ui::metric("best offline design:", "%.3f", data_best_);
  for (int r = 0; r < kRuns; ++r) {
    ImGui::TextUnformatted(kRunName[r]);
    ui::metric("  best ascended design:", "%.3f", score_max_[r]);
    ui::metric("  mean over designs:", "%.3f", score_mean_[r]);
    ui::metric("  ‖∇_β G‖:", "%.4g", grad_norm_G_[r]);
    ui::metric("  upper-half RMSE:", "%.3f", ood_rmse_[r]);
  }
  ui::metric("λ:", "%.4g", lambda_shown_);
}

}  // namespace

PG_REGISTER_LESSON(Ignite, 28);

}  // namespace pg
