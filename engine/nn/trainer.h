// trainer.h - trains one or two models side by side on the same mini-batches.
//
// Most loss lessons compare two heads: both runs start from the same
// initialization (identical architectures get identical parameters), see the
// same mini-batches in the same order, and differ only in their loss and
// optimizer.  The page calls step(max_steps, budget_ms) once per frame; the
// trainer runs optimizer steps until either limit is hit.  The result of N
// steps never depends on how they were split into calls: every random draw
// comes from pg::Rng streams forked from the seed, and evaluation (every
// eval_every steps) draws nothing.  step() is allocation-free: every buffer is
// sized in reset()/add_run().
//
//   data::Dataset train = data::make_blobs(600, 3, 0.25f, seed), test = ...;
//   nn::TrainerConfig config;  config.seed = seed;  config.batch_size = 32;
//   nn::Trainer trainer;
//   trainer.reset(std::move(train), std::move(test), config);
//   nn::OptimizerConfig adam;  adam.lr = 1e-2f;
//   nn::ModelSpec spec = nn::mlp(2, {64, 64}, 3);
//   trainer.add_run("softmax", spec, std::make_unique<nn::SoftmaxCrossEntropy>(), adam);
//   trainer.add_run("L2-SVM", spec, std::make_unique<nn::MultiClassHinge>(true, 1.0f), adam);
//   // every frame:
//   trainer.step(1000, 8.0);
//   if (trainer.diverged()) show(trainer.message());
//   const nn::Run& a = trainer.run(0);  // a.train_loss, a.test_accuracy, a.last_eval ...
//
// Targets: the data's kind (data::TargetKind: class labels, label sets or
// float vectors) must be the kind each run's loss reads (Loss::target_kind());
// a vector loss on labelled data reads one-hot vectors.  Evaluation metrics
// follow the kind (EvalResult), and so does the per-step train accuracy
// (argmax == label; argmax is a positive; argmax == the target's argmax).
//
// Per step and run, in this order:
//   weight hook (set_weight_hook): may edit or swap the weights before the forward
//   forward, loss, backward
//   grad hook (set_grad_hook), then every gradient transform in the order
//   added (add_grad_transform: perp_grad, clip_transform, ... grad_transforms.h)
//   global-norm clipping (config.clip_norm), the optimizer update
// The weight hook also runs before every evaluation forward (training = false).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/data/augment.h"
#include "engine/data/dataset.h"
#include "engine/nn/curve.h"
#include "engine/nn/eval.h"
#include "engine/nn/loss.h"
#include "engine/nn/model.h"
#include "engine/nn/optim.h"
#include "engine/rng.h"

namespace nn {

struct TrainerConfig {
  uint64_t seed = 1;
  int batch_size = 32;        // clamped to the training set size (= full batch)
  int max_steps = 0;          // state becomes finished after this many steps; 0 = no limit
  int eval_every = 50;        // evaluate the test set every k steps; 0 = only on request
  int eval_samples = 1000;    // test rows used by the periodic evaluation (evenly spread); 0 = all
  int top_k = 5;
  float clip_norm = 0.0f;     // global gradient-norm clipping per model; 0 = off
  LrSchedule schedule;        // multiplies each run's base learning rate
  // Random moves and mirror images of every training batch (image data
  // only; see data/augment.h).  Step t's draws come from a stream forked from
  // the seed and t, so they do not depend on how the steps were split.  Every
  // run sees the same augmented batch.
  data::Augmentation augment;
  bool stop_on_divergence = true;  // false: a diverged run freezes, the others go on
  // A run that goes bad without a NaN also stops, with a message (see
  // Trainer::check_health): its test accuracy within 20% of chance
  // (1/classes) at an evaluation after the warm-up (stuck_warmup steps; 0: a
  // fifth of max_steps, at least 300).  Off for lessons whose runs may sit at chance.
  bool detect_stuck = true;
  int stuck_warmup = 0;
  int curve_capacity = 2048;  // points per curve before pairs are merged (see curve.h)
  float loss_smoothing = 0.95f;    // EMA factor of smoothed_loss
};

// The mini-batch a gradient transform sees.
struct Batch {
  const float* x = nullptr;  // (B, dim)
  const int* labels = nullptr;  // (B,) the rows' class labels (label sets: first positive)
  Targets targets;           // what the loss read (labels, label sets or vectors)
  int B = 0;
  int step = 0;              // steps done before this one
};

// One model with its loss, optimizer and history.
struct Run {
  std::string name;
  Model model;
  std::unique_ptr<Loss> loss;
  Optimizer optimizer;
  Curve train_loss;       // mean mini-batch loss per point
  Curve train_accuracy;   // mini-batch accuracy per point
  Curve test_accuracy;    // one point per evaluation
  float last_loss = 0.0f, smoothed_loss = 0.0f, last_grad_norm = 0.0f;
  EvalResult last_eval;   // the most recent test evaluation
  bool diverged = false;
  std::string message;    // why it stopped, for the panel
  std::vector<float> dlogits;  // (batch, classes) scratch
};

class Trainer {
 public:
  enum class State { empty, running, finished, diverged };

  // Takes the data (move it in) and the settings; drops previous runs and
  // gradient transforms.
  void reset(data::Dataset train, data::Dataset test, const TrainerConfig& config);

  // Adds a model trained side by side with the others.  Every run's
  // parameters come from the same seeded stream, and a run whose architecture
  // equals run 0's gets run 0's exact initial parameters.  Returns the run
  // index, or -1 with error() set (bad layer list, or fewer outputs than classes).
  int add_run(const std::string& name, const ModelSpec& spec, std::unique_ptr<Loss> loss,
              const OptimizerConfig& optimizer);

  // Runs up to max_steps optimizer steps (every run once per step), stopping
  // early once budget_ms of wall-clock time is used (at least one step is taken
  // per call while running).  Returns the number of steps taken.
  int step(int max_steps, double budget_ms);

  // Full-test-set evaluation of every run now (also fills last_eval).
  void evaluate_all(int max_samples = 0);
  // Decision regions of run r over grid (2-D data only): cls, confidence are (ny * nx,).
  void decision_grid(int r, const Grid& grid, int* cls, float* confidence);

  // Called after backward and before clipping/update for every run and step:
  // (run index, model, batch x (B, dim), batch labels (B,), B).  Lessons use it
  // to edit gradients (TrAct, perpGrad).  Must not allocate.
  using GradHook = std::function<void(int, Model&, const float*, const int*, int)>;
  void set_grad_hook(GradHook hook) { grad_hook_ = std::move(hook); }

  // A step on a run's gradient (model.grads()) after backward and the grad
  // hook, before clipping and the optimizer: (run index, model, batch).
  // Transforms compose in the order added; run = -1 applies to every run.
  // Must not allocate.  reset() removes them (add them after reset, with the
  // runs); set_grad_hook and set_weight_hook stay until replaced.
  using GradTransform = std::function<void(int, Model&, const Batch&)>;
  void add_grad_transform(GradTransform transform, int run = -1);
  void clear_grad_transforms() { transforms_.clear(); }

  // Called before every forward of a run: (run index, model, training).
  // Quantization lessons round the weights here (keeping a master copy they
  // restore in a gradient transform).  Must not allocate.
  using WeightHook = std::function<void(int, Model&, bool)>;
  void set_weight_hook(WeightHook hook) { weight_hook_ = std::move(hook); }

  State state() const { return state_; }
  bool diverged() const { return state_ == State::diverged; }
  const std::string& message() const { return message_; }
  const std::string& error() const { return error_; }
  int steps_done() const { return steps_; }
  int num_runs() const { return int(runs_.size()); }
  Run& run(int r) { return *runs_[r]; }
  const Run& run(int r) const { return *runs_[r]; }
  const data::Dataset& train_data() const { return train_; }
  const data::Dataset& test_data() const { return test_; }
  const TrainerConfig& config() const { return config_; }
  int batch_size() const { return batch_; }

 private:
  void next_batch();
  void check_health(int r);
  void train_run(int r);
  void evaluate_run(int r, int max_samples);

  TrainerConfig config_;
  data::Dataset train_, test_;
  std::vector<std::unique_ptr<Run>> runs_;
  pg::Rng batch_rng_;
  pg::Rng augment_rng_;          // forked per step (see TrainerConfig::augment)
  std::vector<float> augment_scratch_;  // (dim,): one image
  std::vector<int> order_;      // permutation of the training rows for the current epoch
  int cursor_ = 0;
  std::vector<float> batch_x_;  // (batch, dim)
  std::vector<int> batch_y_;    // (batch,)
  std::vector<int> batch_sets_;       // (batch, target_width): label-set data
  std::vector<float> batch_targets_;  // (batch, target_width): vector data
  Targets batch_targets_view_;        // what the losses read this step
  int batch_ = 0, steps_ = 0, max_batch_ = 0;
  Evaluator evaluator_;
  int evaluator_classes_ = 0;
  GradHook grad_hook_;
  struct Transform {
    GradTransform fn;
    int run;
  };
  std::vector<Transform> transforms_;
  WeightHook weight_hook_;
  State state_ = State::empty;
  std::string message_, error_;
};

}  // namespace nn
