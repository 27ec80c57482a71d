// mha_trainer.cpp - see mha_trainer.h.
#include "engine/icl/mha_trainer.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include "engine/icl/normal.h"
#include "engine/timing.h"

namespace icl {

namespace {

int clamp_int(int v, int lo, int hi) { return v < lo ? lo : (v > hi ? hi : v); }

double clamp_finite(double v, double lo, double hi, double fallback) {
  if (!(v == v) || std::isinf(v)) return fallback;
  return v < lo ? lo : (v > hi ? hi : v);
}

// Streams forked from the seed: one per purpose, so changing e.g. the number of
// evaluation prompts does not change the training data.
enum Stream : uint64_t { kInit = 1, kTrain = 2, kEval = 3, kLength = 4 };

}  // namespace

void MhaTrainer::reset(const MhaTrainerConfig& requested) {
  MhaTrainerConfig c = requested;
  const MhaTrainerConfig defaults;
  c.d = clamp_int(c.d, 1, 64);
  c.n = clamp_int(c.n, 1, 1024);
  c.heads = clamp_int(c.heads, 1, kMaxHeads);
  c.batch = clamp_int(c.batch, 1, 4096);
  c.noise_var = clamp_finite(c.noise_var, 0.0, 100.0, defaults.noise_var);
  c.lr = float(clamp_finite(c.lr, 0.0, 1.0, defaults.lr));
  c.lr_decay_steps = clamp_int(c.lr_decay_steps, 0, 1 << 30);
  c.lr_final_frac = float(clamp_finite(c.lr_final_frac, 0.0, 1.0, defaults.lr_final_frac));
  c.init_scale = float(clamp_finite(c.init_scale, 0.0, 10.0, defaults.init_scale));
  c.eval_prompts = clamp_int(c.eval_prompts, 1, 1 << 16);
  c.eval_every = clamp_int(c.eval_every, 1, 1 << 20);
  c.snapshot_every = clamp_int(c.snapshot_every, 1, 1 << 20);
  c.curve_every = clamp_int(c.curve_every, 1, 1 << 20);
  c.max_curve_points = clamp_int(c.max_curve_points, 2, 1 << 20) & ~1;
  c.max_snapshots = clamp_int(c.max_snapshots, 2, 4096) & ~1;
  config_ = c;

  prompt_config_.d = c.d;
  prompt_config_.n = c.n;
  prompt_config_.noise_var = c.noise_var;
  prompt_config_.prior = c.prior;
  shape_.d = c.d;
  shape_.heads = c.heads;
  const int P = shape_.num_params(), D = shape_.D(), H = shape_.heads;

  const pg::Rng root(c.seed);
  pg::Rng init_rng = root.fork(kInit);
  train_rng_ = root.fork(kTrain);

  // Every weight ~ N(0, init_scale^2 / D): the scale of a default-initialized
  // linear layer, shrunk so the initial heads are nearly uniform averages.
  std::vector<float> initial(size_t(P), 0.0f);
  const double std_dev = c.init_scale / std::sqrt(double(D));
  for (int i = 0; i < P; ++i) initial[size_t(i)] = float(std_dev * normal(init_rng));
  if (c.init_opposite_pairs) {
    for (int h = 0; h < H; ++h) {
      float* Q = &initial[size_t(shape_.q_offset(h))];
      float* K = &initial[size_t(shape_.k_offset(h))];
      const float sign = h < (H + 1) / 2 ? 1.0f : -1.0f;
      // KQ = +-a^2 I: the softmax starts at omega = +-0.15, near where training ends.
      const float a = float(std::sqrt(0.15 * std::sqrt(double(D))));
      for (int i = 0; i < D * D; ++i) Q[i] = K[i] = 0.0f;
      for (int i = 0; i < D; ++i) {
        Q[i * D + i] = sign * a;
        K[i * D + i] = a;
      }
    }
  }

  model_.init(shape_, c.n);
  batch_.resize(c.batch, c.n, c.d);
  packed_.resize(c.batch, c.n, c.d);
  x_float_.assign(size_t(P), 0.0f);
  grads_.assign(size_t(P), 0.0f);

  // The fixed evaluation set and the classical estimators on it.
  pg::Rng eval_rng = root.fork(kEval);
  eval_batch_.resize(c.eval_prompts, c.n, c.d);
  sample_prompts(prompt_config_, eval_rng, eval_batch_);
  eval_packed_.resize(c.eval_prompts, c.n, c.d);
  pack_prompts(eval_batch_, eval_packed_);

  metrics_ = MhaMetrics();
  const BaselineLosses base = evaluate_baselines(eval_batch_, prompt_config_);
  metrics_.ridge_loss = base.ridge;
  metrics_.ols_loss = base.ols;
  metrics_.gd_loss = base.gd;
  metrics_.debiased_gd_loss = base.debiased_gd;
  metrics_.averaging_loss = base.averaging;
  metrics_.knn_loss = base.knn;
  const double tau2 = prior_variance(prompt_config_);
  metrics_.gd_step_opt = gd_step_opt(c.d, c.n, c.noise_var, tau2);
  metrics_.debiased_gd_step_opt = debiased_gd_step_opt(c.d, c.n, c.noise_var, tau2);
  metrics_.gd_risk = gd_risk(c.d, c.n, c.noise_var, tau2, metrics_.gd_step_opt);
  metrics_.debiased_gd_risk = debiased_gd_risk(c.d, c.n, c.noise_var, tau2, metrics_.debiased_gd_step_opt);
  metrics_.ridge_risk_asymptotic = ridge_risk_asymptotic(c.d, c.n, c.noise_var, tau2);

  // Adam with the linear decay (no libm cos, so native and wasm agree): at a
  // fixed rate Adam's noise floor keeps the loss a few percent above the
  // debiased-GD risk and blurs the pattern; decaying the rate lets both settle.
  nn::OptimizerConfig adam;
  adam.kind = nn::OptimizerKind::adam;
  adam.lr = c.lr;
  const nn::LrSchedule decay{nn::ScheduleKind::linear, c.lr_decay_steps, 0, c.lr_final_frac};
  auto method = std::make_unique<opt::NnOptimizer>(adam, decay);
  adam_ = method.get();
  opt::Objective f;
  f.dim = P;
  f.value_grad = [this](int, const double* x, double* grad) { return loss_and_grad(x, grad); };
  std::vector<double> x0(initial.begin(), initial.end());
  run_.reset(std::move(f), std::move(method), x0.data(), std::numeric_limits<int>::max(), c.max_curve_points,
             c.curve_every);
  run_.set_after_step([this](int steps) { after_step(steps); });

  message_.clear();
  steps_per_second_ = 0;
  evals_.reset(c.max_snapshots, c.eval_every);
  eval_step_.assign(size_t(c.max_snapshots), 0);
  eval_mse_.assign(size_t(c.max_snapshots), 0.0f);
  snapshots_.reset(c.max_snapshots, c.snapshot_every);
  snap_step_.assign(size_t(c.max_snapshots), 0);
  snap_kq_.assign(size_t(c.max_snapshots) * H * D * D, 0.0f);
  snap_ov_.assign(size_t(c.max_snapshots) * H * D, 0.0f);

  evaluate();
  take_snapshot();
}

int MhaTrainer::step(int max_steps, double budget_ms) {
  if (diverged() || max_steps <= 0) return 0;
  const double start = timing::now_ms();
  const int done = run_.step(max_steps, budget_ms);
  const double elapsed_ms = timing::now_ms() - start;
  if (run_.diverged() && message_.empty()) message_ = run_.problem() + ". Lower the learning rate and reset.";
  if (elapsed_ms > 0) steps_per_second_ = 1000.0 * done / elapsed_ms;
  return done;
}

// f_t and its gradient on a fresh batch.  The prompts come from one stream
// advanced by every call, not from t: Adam evaluates once per step, so each
// step still sees its own batch (the FlatTrainer's "same t, same loss" is not
// needed here), and the stream is what the lesson's numbers were tuned on.
double MhaTrainer::loss_and_grad(const double* x, double* grad) {
  const size_t P = x_float_.size();
  for (size_t i = 0; i < P; ++i) x_float_[i] = float(x[i]);  // exact: x holds Adam's floats
  sample_prompts(prompt_config_, train_rng_, batch_);
  pack_prompts(batch_, packed_);
  const double loss = model_.forward_backward(x_float_.data(), packed_, grads_.data());
  for (size_t i = 0; i < P; ++i) grad[i] = double(grads_[i]);
  return loss;
}

void MhaTrainer::after_step(int steps) {
  metrics_.step = steps;
  const nn::Curve& curve = run_.loss_curve();
  if (curve.size() > 0) metrics_.train_loss = curve.last_mean();
  if (evals_.due(steps)) evaluate();
  if (snapshots_.due(steps)) take_snapshot();
}

void MhaTrainer::evaluate() {
  metrics_.eval_mse = model_.forward(params().data(), eval_packed_);
  metrics_.eval_step = metrics_.step;
  if (!std::isfinite(metrics_.eval_mse) && !diverged()) {
    message_ = "The evaluation loss is not finite at step " + std::to_string(metrics_.step) +
               ". Lower the learning rate and reset.";
    run_.stop(message_);
  }
  // Full: keep every other evaluation (step 0 stays) and evaluate half as often.
  evals_.make_room([this](int i) {
    eval_step_[size_t(i)] = eval_step_[size_t(2 * i)];
    eval_mse_[size_t(i)] = eval_mse_[size_t(2 * i)];
  });
  if (evals_.due(metrics_.step)) {
    const int slot = evals_.push();
    eval_step_[size_t(slot)] = metrics_.step;
    eval_mse_[size_t(slot)] = float(metrics_.eval_mse);
  }
  update_pattern_metrics();
}

void MhaTrainer::update_pattern_metrics() {
  const int H = shape_.heads;
  double omega_mu = 0, mu_sum = 0, mu_abs = 0, ov_norm = 0, kq_weighted = 0;
  for (int h = 0; h < H; ++h) {
    const HeadPattern hp = mha_head_pattern(shape_, params().data(), h);
    metrics_.omega[h] = hp.omega;
    metrics_.mu[h] = hp.mu;
    metrics_.kq_identity_frac[h] = hp.kq_identity_frac;
    metrics_.ov_last_frac[h] = hp.ov_last_frac;
    omega_mu += hp.omega * hp.mu;
    mu_sum += hp.mu;
    mu_abs += std::fabs(hp.mu);
    ov_norm += hp.ov_norm;
    kq_weighted += std::fabs(hp.mu) * hp.kq_identity_frac;
  }
  metrics_.omega_mu_sum = omega_mu;
  metrics_.mu_sum = mu_sum;
  metrics_.mu_abs_sum = mu_abs;
  metrics_.ov_last_entry_frac = ov_norm > 0 ? mu_abs / ov_norm : 0.0;
  metrics_.kq_identity_frac_weighted = mu_abs > 0 ? kq_weighted / mu_abs : 0.0;
}

void MhaTrainer::take_snapshot() {
  const int H = shape_.heads, D = shape_.D();
  const size_t kq_size = size_t(H) * D * D, ov_size = size_t(H) * D;
  // Full: keep every other snapshot and take them half as often.
  snapshots_.make_room([&](int i) {
    snap_step_[size_t(i)] = snap_step_[size_t(2 * i)];
    std::copy_n(&snap_kq_[2 * i * kq_size], kq_size, &snap_kq_[i * kq_size]);
    std::copy_n(&snap_ov_[2 * i * ov_size], ov_size, &snap_ov_[i * ov_size]);
  });
  if (!snapshots_.due(metrics_.step)) return;
  const int slot = snapshots_.push();
  snap_step_[size_t(slot)] = metrics_.step;
  for (int h = 0; h < H; ++h) {
    mha_kq(shape_, params().data(), h, &snap_kq_[(size_t(slot) * H + h) * D * D]);
    mha_ov(shape_, params().data(), h, &snap_ov_[(size_t(slot) * H + h) * D]);
  }
}

const float* MhaTrainer::snapshot_kq(int i, int h) const {
  const int H = shape_.heads, D = shape_.D();
  return &snap_kq_[((size_t(i) * H) + h) * D * D];
}

const float* MhaTrainer::snapshot_ov(int i, int h) const {
  const int H = shape_.heads, D = shape_.D();
  return &snap_ov_[((size_t(i) * H) + h) * D];
}

std::vector<LengthPoint> MhaTrainer::length_curve(const std::vector<int>& lengths, int prompts_per_length) {
  std::vector<LengthPoint> out;
  const pg::Rng root(config_.seed);
  const double tau2 = prior_variance(prompt_config_);
  prompts_per_length = clamp_int(prompts_per_length, 1, 1 << 16);
  PromptBatch batch;
  PackedPrompts packed;
  for (int L : lengths) {
    L = clamp_int(L, 1, 4096);
    pg::Rng rng = root.fork(kLength + 16 * uint64_t(L));  // the same prompts every call
    batch.resize(prompts_per_length, L, config_.d);
    sample_prompts(prompt_config_, rng, batch);
    packed.resize(prompts_per_length, L, config_.d);
    pack_prompts(batch, packed);
    LengthPoint p;
    p.length = L;
    p.model_mse = model_.forward(params().data(), packed);
    p.gd_risk_tuned = gd_risk(config_.d, L, config_.noise_var, tau2, gd_step_opt(config_.d, L, config_.noise_var, tau2));
    p.debiased_gd_risk = debiased_gd_risk(config_.d, L, config_.noise_var, tau2, metrics_.omega_mu_sum);
    p.ridge_risk_asymptotic = ridge_risk_asymptotic(config_.d, L, config_.noise_var, tau2);
    out.push_back(p);
  }
  return out;
}

}  // namespace icl
