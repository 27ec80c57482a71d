// mha_trainer.h - trains the multi-head softmax attention of mha.h on fresh
// in-context regression prompts with Adam (lesson icl-multihead; He et al. 2025).
//
// Every step draws a new batch of prompts (no fixed training set), so the
// training loss is an unbiased estimate of the risk.  What the lesson reads:
//   * the loss curve (mean training loss per window of steps) and the
//     evaluation MSE on a fixed, seeded evaluation set at the training length;
//   * the reference losses on that same evaluation set: ridge (Bayes optimal),
//     OLS, tuned one-step GD, tuned debiased GD, averaging, 3-NN, and the
//     closed-form risks of baselines.h;
//   * per-head KQ = K_h^T Q_h (D, D) and OV = O_h V_h (D,) snapshots over time,
//     and the paper's summary numbers: omega_h (mean diagonal of KQ's x-block,
//     over sqrt(D)), mu_h (OV's last entry), their sum omega_mu_sum, which is the
//     effective debiased-GD step, next to the optimal step;
//   * loss against the evaluation length (length generalization), on demand.
//
// Determinism: everything (data, evaluations, snapshots, curve compaction) is
// keyed to the global step count, so N steps give the same bits however they
// are split across step() calls, and native and wasm agree.  step() does not
// allocate: every buffer is sized in reset() (only the one-time divergence
// message builds a string).
//
// Defaults (lr 3e-3 decaying linearly to 3e-4 over 6000 steps, weights
// N(0, 0.09 / D)) come from seed sweeps at d = 10, n = 40, batch 64: with H = 4,
// 20 of 20 seeds end within 5% of tuned one-step GD after 3000 steps, H = 8
// likewise; H = 1 settles at the single-head optimum (~0.55, as the paper's
// single head is worse than GD); lr 1e-2 or a 3x smaller init sometimes stalls.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "engine/icl/baselines.h"
#include "engine/icl/mha.h"
#include "engine/icl/mha_batch.h"
#include "engine/icl/prompts.h"
#include "engine/nn/curve.h"
#include "engine/nn/optim.h"
#include "engine/opt/flat_trainer.h"
#include "engine/opt/methods.h"
#include "engine/rng.h"

namespace icl {

struct MhaTrainerConfig {
  int d = 10;                // input dimension (He et al.: 5; the lesson: 5..16)
  int n = 40;                // training context length
  int heads = 4;             // 1..8
  int batch = 64;            // prompts per step
  double noise_var = 0.1;    // sigma^2
  TaskPrior prior = TaskPrior::isotropic_over_d;
  float lr = 3e-3f;          // Adam learning rate at step 0
  int lr_decay_steps = 6000; // linear decay to lr * lr_final_frac over this many steps, then flat
  float lr_final_frac = 0.1f;
  float init_scale = 0.3f;   // every weight ~ N(0, init_scale^2 / D)
  // The official code's "oppo_small_id" idea: Q_h = +-a I (the first half of
  // the heads +, the rest -), K_h = a I, with a^2 = 0.15 sqrt(D) so the softmax
  // starts at omega = +-0.15; V, O random.  With the default random init,
  // H = 2 lands in a same-sign local minimum (loss ~0.55 at d = 10, n = 40) for
  // about half the seeds; with this init 8 of 8 seeds find the pattern.
  bool init_opposite_pairs = false;
  uint64_t seed = 1;
  int eval_prompts = 1024;   // fixed evaluation set at the training length
  int eval_every = 100;      // steps between evaluations (and pattern metrics)
  int snapshot_every = 100;  // steps between KQ / OV snapshots
  int curve_every = 10;      // steps averaged into one loss-curve point
  int max_curve_points = 2048;  // when full, pairs merge and the window doubles
  int max_snapshots = 128;      // when full, every other one is dropped
};

struct MhaMetrics {
  int step = 0;
  double train_loss = 0;  // mean training loss of the last curve window
  double eval_mse = 0;    // model on the evaluation set, at step eval_step
  int eval_step = 0;
  // The same evaluation prompts through the classical estimators.
  double ridge_loss = 0, ols_loss = 0, gd_loss = 0, debiased_gd_loss = 0, averaging_loss = 0, knn_loss = 0;
  // Closed forms (baselines.h) for the training length.
  double gd_risk = 0, debiased_gd_risk = 0, ridge_risk_asymptotic = 0;
  double gd_step_opt = 0, debiased_gd_step_opt = 0;
  // The learned pattern, in the units of mha_set_head (omega as the softmax sees it).
  double omega[kMaxHeads] = {}, mu[kMaxHeads] = {};
  double kq_identity_frac[kMaxHeads] = {}, ov_last_frac[kMaxHeads] = {};
  double omega_mu_sum = 0;        // sum_h omega_h mu_h: the effective (debiased) GD step
  double mu_sum = 0;              // sum_h mu_h: ~0 when the heads pair up (no mean-y bias)
  double mu_abs_sum = 0;          // sum_h |mu_h|, the scale mu_sum is small against
  // Heads weighted by how much they contribute (a dead head's matrices are noise):
  double ov_last_entry_frac = 0;  // sum_h |mu_h| / sum_h ||OV_h||  (1 = every head reads only y)
  double kq_identity_frac_weighted = 0;  // sum_h |mu_h| kq_identity_frac_h / sum_h |mu_h|
};

struct LengthPoint {
  int length = 0;
  double model_mse = 0;        // trained model on prompts of this length
  double gd_risk_tuned = 0;    // one-step GD with the step tuned for this length
  double debiased_gd_risk = 0; // debiased GD with the model's own step omega_mu_sum
  double ridge_risk_asymptotic = 0;
};

// The run itself is an opt::FlatTrainer (engine/opt/flat_trainer.h) with
// opt::NnOptimizer's Adam and nn::LrSchedule's linear decay: its budget loop,
// divergence check and aligned loss curve (nn::Curve).  What is specific to
// the paper lives here: the prompt stream, the evaluations and the KQ / OV
// snapshots (each kept by nn::Thinning), and the pattern metrics.
class MhaTrainer {
 public:
  MhaTrainer() = default;
  MhaTrainer(const MhaTrainer&) = delete;  // the run's closures point at this object
  MhaTrainer& operator=(const MhaTrainer&) = delete;

  // Validates and clamps the config (see config()), allocates, initializes.
  void reset(const MhaTrainerConfig& config);

  // Runs up to max_steps Adam steps, returning after the first step that ends
  // past budget_ms of wall time.  Returns the number of steps taken (0 once the
  // loss has gone non-finite; see diverged()).
  int step(int max_steps, double budget_ms);

  const MhaTrainerConfig& config() const { return config_; }
  const MhaShape& shape() const { return shape_; }
  const MhaMetrics& metrics() const { return metrics_; }
  bool diverged() const { return run_.diverged(); }
  const std::string& message() const { return message_; }
  double steps_per_second() const { return steps_per_second_; }  // wall clock, not deterministic

  // Parameters (flat, layout of MhaShape): the optimizer's own float copy.
  const std::vector<float>& params() const { return adam_->params(); }
  std::vector<float>& mutable_params() { return adam_->mutable_params(); }

  // Loss curve: point i averages the training loss over the steps ending at curve_step(i).
  int curve_size() const { return run_.loss_curve().size(); }
  int curve_step(int i) const { return int(run_.loss_curve().steps()[i]); }
  float curve_loss(int i) const { return run_.loss_curve().values()[i]; }
  // Evaluation MSE over time (same thinning as the snapshots).
  int eval_curve_size() const { return evals_.size(); }
  int eval_curve_step(int i) const { return eval_step_[size_t(i)]; }
  float eval_curve_mse(int i) const { return eval_mse_[size_t(i)]; }

  // Snapshots of KQ_h (D, D) and OV_h (D,) for every head, oldest first.
  int num_snapshots() const { return snapshots_.size(); }
  int snapshot_step(int i) const { return snap_step_[size_t(i)]; }
  const float* snapshot_kq(int i, int h) const;
  const float* snapshot_ov(int i, int h) const;
  // The current matrices.
  void current_kq(int h, float* out) const { mha_kq(shape_, params().data(), h, out); }
  void current_ov(int h, float* out) const { mha_ov(shape_, params().data(), h, out); }

  // Model MSE against the evaluation length (10..160 in the lesson), on
  // prompts_per_length fresh seeded prompts per length.  Allocates; call it
  // between steps, not every frame.
  std::vector<LengthPoint> length_curve(const std::vector<int>& lengths, int prompts_per_length);

 private:
  double loss_and_grad(const double* x, double* grad);  // one fresh batch
  void after_step(int steps);
  void evaluate();
  void take_snapshot();
  void update_pattern_metrics();

  MhaTrainerConfig config_;
  PromptConfig prompt_config_;
  MhaShape shape_;
  pg::Rng train_rng_;
  opt::FlatTrainer run_;
  opt::NnOptimizer* adam_ = nullptr;  // owned by run_
  std::vector<float> x_float_, grads_;  // (P,) scratch for loss_and_grad
  MhaBatch model_;
  PromptBatch batch_, eval_batch_;
  PackedPrompts packed_, eval_packed_;
  MhaMetrics metrics_;
  std::string message_;
  double steps_per_second_ = 0;

  nn::Thinning evals_, snapshots_;
  std::vector<int> eval_step_, snap_step_;
  std::vector<float> eval_mse_;
  std::vector<float> snap_kq_, snap_ov_;  // (max_snapshots, H, D, D), (max_snapshots, H, D)
};

}  // namespace icl
