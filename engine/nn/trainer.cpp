// trainer.cpp - see trainer.h.
#include "engine/nn/trainer.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cmath>

namespace nn {

// Independent random streams, all forked from the one seed.
enum RngStream : uint64_t { kInitStream = 1, kBatchStream = 2, kAugmentStream = 3, kLossStream = 1000 };

// Smallest batch the models are sized for, so evaluation runs in chunks of at
// least this many rows even when training uses tiny batches.
static const int kMinEvalChunk = 64;

// Rows and labels present in the stated numbers, labels in [0, classes);
// label sets (n, width) of -1 or valid labels; vectors (n, width) finite.
static bool well_formed(const data::Dataset& d) {
  const size_t values = size_t(d.n) * size_t(d.dim > 0 ? d.dim : 0);
  if (int(d.y.size()) != d.n || (d.x.size() != values && d.pixels.size() != values)) return false;
  for (int label : d.y) {
    if (label < 0 || label >= d.classes) return false;
  }
  const size_t targets = size_t(d.n) * size_t(d.target_width > 0 ? d.target_width : 0);
  if (d.target_kind != TargetKind::label && d.target_width < 1) return false;
  if (d.target_kind == TargetKind::label_set) {
    if (d.label_sets.size() != targets) return false;
    for (int label : d.label_sets)
      if (label < -1 || label >= d.classes) return false;
  }
  if (d.target_kind == TargetKind::vector) {
    if (d.targets.size() != targets) return false;
    for (float v : d.targets)
      if (!std::isfinite(v)) return false;
  }
  return true;
}

// Accuracy of one row of outputs for the batch's kind (see trainer.h).
static bool row_correct(const float* row, int C, int b, int label, const Targets& t, TargetKind kind) {
  const int predicted = argmax_row(row, C);
  if (kind == TargetKind::label_set) {
    for (int k = 0; k < t.width; ++k)
      if (t.labels[b * t.width + k] == predicted) return true;
    return false;
  }
  if (kind == TargetKind::vector && t.values) return argmax_row(t.values + size_t(b) * t.width, t.width) == predicted;
  return predicted == label;
}

void Trainer::reset(data::Dataset train, data::Dataset test, const TrainerConfig& config) {
  config_ = config;
  train_ = std::move(train);
  test_ = std::move(test);
  runs_.clear();
  transforms_.clear();  // they belong to the runs (the hooks stay until replaced)
  message_.clear();
  error_.clear();
  steps_ = 0;
  cursor_ = 0;
  evaluator_classes_ = 0;
  state_ = State::empty;
  if (!well_formed(train_)) {
    error_ = "the training set is malformed (sizes, or labels outside [0, " + std::to_string(train_.classes) + "))";
    train_ = data::Dataset();
  }
  if (test_.n > 0 && (test_.dim != train_.dim || test_.classes != train_.classes || !well_formed(test_) ||
                      test_.target_kind != train_.target_kind || test_.target_width != train_.target_width)) {
    error_ = "the test set's features, classes or labels do not match the training set's";
    test_ = data::Dataset();
  }
  batch_ = config_.batch_size < 1 ? 1 : config_.batch_size;
  if (batch_ > train_.n) batch_ = train_.n;
  max_batch_ = batch_ > kMinEvalChunk ? batch_ : kMinEvalChunk;
  batch_rng_ = pg::Rng(config_.seed).fork(kBatchStream);
  order_.resize(train_.n);
  for (int i = 0; i < train_.n; ++i) order_[i] = i;
  batch_rng_.shuffle(order_.data(), train_.n);
  augment_rng_ = pg::Rng(config_.seed).fork(kAugmentStream);
  augment_scratch_.assign(config_.augment.active() && train_.is_image() ? size_t(train_.dim) : 0, 0.0f);
  batch_x_.assign(size_t(batch_) * train_.dim, 0.0f);
  batch_y_.assign(batch_, 0);
  const int W = train_.target_kind == TargetKind::label ? 0 : train_.target_width;
  batch_sets_.assign(train_.target_kind == TargetKind::label_set ? size_t(batch_) * W : 0, -1);
  batch_targets_.assign(train_.target_kind == TargetKind::vector ? size_t(batch_) * W : 0, 0.0f);
  batch_targets_view_ = Targets();
  if (train_.target_kind == TargetKind::label_set) {
    batch_targets_view_.labels = batch_sets_.data();
    batch_targets_view_.width = W;
  } else if (train_.target_kind == TargetKind::vector) {
    batch_targets_view_.values = batch_targets_.data();
    batch_targets_view_.width = W;
  } else {
    batch_targets_view_.labels = batch_y_.data();
  }
  evaluator_.reserve_targets(W);
}

void Trainer::add_grad_transform(GradTransform transform, int run) {
  if (transform) transforms_.push_back({std::move(transform), run});
}

int Trainer::add_run(const std::string& name, const ModelSpec& spec, std::unique_ptr<Loss> loss,
                     const OptimizerConfig& optimizer) {
  if (train_.n == 0) {
    error_ = error_.empty() ? "no training data: call reset() with a non-empty training set first" : error_;
    return -1;
  }
  if (steps_ > 0) {
    error_ = "add every run before the first step (runs share the initialization)";
    return -1;
  }
  if (!loss) {
    error_ = "run " + name + " has no loss";
    return -1;
  }
  const TargetKind wants = loss->target_kind();
  if (wants != train_.target_kind && !(wants == TargetKind::vector && train_.target_kind == TargetKind::label)) {
    error_ = name + ": the loss reads " + data::target_kind_name(wants) + " targets, the data has " +
             data::target_kind_name(train_.target_kind) + " targets";
    return -1;
  }
  auto run = std::make_unique<Run>();
  run->name = name;
  pg::Rng init_rng = pg::Rng(config_.seed).fork(kInitStream);
  if (!run->model.init(spec, max_batch_, init_rng)) {
    error_ = name + ": " + run->model.error();
    return -1;
  }
  const int C = run->model.output_size();
  if (run->model.input_size() != train_.dim) {
    error_ = name + ": the model takes " + std::to_string(run->model.input_size()) + " inputs, the data has " +
             std::to_string(train_.dim) + " features";
    return -1;
  }
  if (C < train_.classes) {
    error_ = name + ": the model has " + std::to_string(C) + " outputs for " + std::to_string(train_.classes) +
             " classes";
    return -1;
  }
  if (train_.target_kind == TargetKind::vector && train_.target_width != C) {
    error_ = name + ": the model has " + std::to_string(C) + " outputs for targets of " +
             std::to_string(train_.target_width) + " values";
    return -1;
  }
  if (!runs_.empty()) run->model.copy_params_from(runs_[0]->model);  // no-op unless same architecture
  run->loss = std::move(loss);
  run->loss->reserve(max_batch_, C);
  run->loss->reseed(pg::Rng(config_.seed).fork(kLossStream + runs_.size()).next_u64());
  run->optimizer.init(run->model.num_params(), optimizer);
  run->train_loss.reserve(config_.curve_capacity);
  run->train_accuracy.reserve(config_.curve_capacity);
  run->test_accuracy.reserve(config_.curve_capacity);
  run->dlogits.assign(size_t(max_batch_) * C, 0.0f);
  run->last_eval.confusion.assign(size_t(train_.classes) * train_.classes, 0);  // evaluation in step() never allocates
  evaluator_.reserve(max_batch_, train_.dim, C > evaluator_classes_ ? C : evaluator_classes_);
  evaluator_classes_ = C > evaluator_classes_ ? C : evaluator_classes_;
  runs_.push_back(std::move(run));
  state_ = State::running;
  error_.clear();
  return int(runs_.size()) - 1;
}

// Next mini-batch: consecutive slices of a shuffled order; a new permutation
// each epoch (the tail that does not fill a batch waits for the next epoch's
// shuffle), then moved and mirrored when config.augment asks for it.
void Trainer::next_batch() {
  if (cursor_ + batch_ > train_.n) {
    batch_rng_.shuffle(order_.data(), train_.n);
    cursor_ = 0;
  }
  train_.gather(order_.data() + cursor_, batch_, batch_x_.data(), batch_y_.data());
  if (!augment_scratch_.empty()) {
    pg::Rng rng = augment_rng_.fork(uint64_t(steps_));
    data::augment_images(batch_x_.data(), batch_, train_.channels, train_.height, train_.width, config_.augment, rng,
                         augment_scratch_.data());
  }
  if (train_.target_kind != TargetKind::label)
    train_.gather_targets(order_.data() + cursor_, batch_, batch_sets_.data(), batch_targets_.data());
  cursor_ += batch_;
}

static std::string divergence_message(const std::string& run_name, bool several_runs, const char* what, float value,
                                      int step) {
  const char* kind = std::isnan(value) ? "NaN" : "infinite";
  return (several_runs ? run_name + ": " : std::string()) + what + " became " + kind + " at step " +
         std::to_string(step) + " - lower the learning rate and reset";
}

void Trainer::train_run(int r) {
  Run& R = *runs_[r];
  Model& m = R.model;
  const int B = batch_, C = m.output_size();
  m.zero_grad();
  if (weight_hook_) weight_hook_(r, m, true);
  const float* logits = m.forward(batch_x_.data(), B);
  const Targets& targets = batch_targets_view_;
  const float loss = R.loss->forward_targets(logits, targets, B, C);
  if (!std::isfinite(loss)) {
    R.diverged = true;
    R.message = divergence_message(R.name, runs_.size() > 1, "loss", loss, steps_ + 1);
    return;
  }
  int correct = 0;
  for (int b = 0; b < B; ++b)
    correct += row_correct(logits + b * C, C, b, batch_y_[b], targets, train_.target_kind) ? 1 : 0;
  R.loss->backward_targets(logits, targets, B, C, R.dlogits.data());
  // Near-converged losses give logit gradients like 1e-37; their products in
  // the backward pass would be subnormal, and slow (see kTinyGradient,
  // optim.h).  Entries below 2^-50 (a sample already fit to within 1e-15)
  // are set to 0: what they would add to a weight's gradient is ~1e-13.
  flush_below(R.dlogits.data(), B * C, kTinyGradient);
  m.backward(R.dlogits.data());
  if (grad_hook_) grad_hook_(r, m, batch_x_.data(), batch_y_.data(), B);
  if (!transforms_.empty()) {
    Batch batch;
    batch.x = batch_x_.data();
    batch.labels = batch_y_.data();
    batch.targets = targets;
    batch.B = B;
    batch.step = steps_;
    for (const Transform& t : transforms_)
      if (t.run < 0 || t.run == r) t.fn(r, m, batch);
  }
  R.last_grad_norm = clip_grad_norm(m.grads(), m.num_params(), config_.clip_norm);
  if (!std::isfinite(R.last_grad_norm)) {
    R.diverged = true;
    R.message = divergence_message(R.name, runs_.size() > 1, "gradient", R.last_grad_norm, steps_ + 1);
    return;
  }
  R.optimizer.update(m.params(), m.grads(), config_.schedule.factor(steps_));
  R.last_loss = loss;
  R.smoothed_loss = steps_ == 0 ? loss : config_.loss_smoothing * R.smoothed_loss + (1.0f - config_.loss_smoothing) * loss;
  R.train_loss.add(steps_ + 1, loss);
  R.train_accuracy.add(steps_ + 1, float(correct) / B);
}

// A run that went bad without a NaN: after the warm-up its test accuracy is
// still at chance (a too-large learning rate kills the ReLUs or saturates the
// head: the losses stay finite and nothing learns).  A growing loss alone is
// not a symptom: adaptive-scale losses (MadaCos) grow while accuracy does.
void Trainer::check_health(int r) {
  Run& R = *runs_[r];
  if (R.diverged || !config_.detect_stuck) return;
  const std::string who = runs_.size() > 1 ? R.name + ": " : std::string();
  char buf[200];
  const int warmup = config_.stuck_warmup > 0 ? config_.stuck_warmup : std::max(300, config_.max_steps / 5);
  const int C = test_.classes;
  if (steps_ < warmup || C < 2 || R.last_eval.samples == 0) return;
  const float chance = 1.0f / float(C);
  if (R.last_eval.accuracy <= 1.2f * chance) {
    std::snprintf(buf, sizeof buf,
                  "stuck at chance: test accuracy %.1f%% after %d steps (chance is %.1f%%) - the learning rate is "
                  "probably too high; lower it and reset",
                  100.0 * R.last_eval.accuracy, steps_, 100.0 * chance);
    R.diverged = true;
    R.message = who + buf;
  }
}

void Trainer::evaluate_run(int r, int max_samples) {
  Run& R = *runs_[r];
  if (test_.n == 0) return;
  if (weight_hook_) weight_hook_(r, R.model, false);
  evaluator_.evaluate(R.model, *R.loss, test_, max_samples, config_.top_k, R.last_eval);
}

int Trainer::step(int max_steps, double budget_ms) {
  using clock = std::chrono::steady_clock;
  const clock::time_point start = clock::now();
  int done = 0;
  while (state_ == State::running && done < max_steps) {
    if (config_.max_steps > 0 && steps_ >= config_.max_steps) {
      state_ = State::finished;
      break;
    }
    next_batch();
    bool any_alive = false;
    for (int r = 0; r < num_runs(); ++r) {
      Run& R = *runs_[r];
      if (R.diverged) continue;
      train_run(r);
      if (R.diverged) {
        if (message_.empty()) message_ = R.message;
        if (config_.stop_on_divergence) state_ = State::diverged;
      } else {
        any_alive = true;
      }
    }
    if (!any_alive) state_ = State::diverged;
    ++steps_;
    ++done;
    if (state_ == State::running && config_.eval_every > 0 && steps_ % config_.eval_every == 0) {
      for (int r = 0; r < num_runs(); ++r) {
        if (runs_[r]->diverged) continue;
        evaluate_run(r, config_.eval_samples);
        runs_[r]->test_accuracy.add(steps_, runs_[r]->last_eval.accuracy);
        check_health(r);
        if (runs_[r]->diverged) {
          if (message_.empty()) message_ = runs_[r]->message;
          if (config_.stop_on_divergence) state_ = State::diverged;
        }
      }
    }
    if (config_.max_steps > 0 && steps_ >= config_.max_steps && state_ == State::running) state_ = State::finished;
    const double elapsed_ms = std::chrono::duration<double, std::milli>(clock::now() - start).count();
    if (elapsed_ms >= budget_ms) break;
  }
  return done;
}

void Trainer::evaluate_all(int max_samples) {
  for (int r = 0; r < num_runs(); ++r) evaluate_run(r, max_samples);
}

void Trainer::decision_grid(int r, const Grid& grid, int* cls, float* confidence) {
  Run& R = *runs_[r];
  if (weight_hook_) weight_hook_(r, R.model, false);
  evaluator_.decision_grid(R.model, *R.loss, grid, cls, confidence);
}

}  // namespace nn
