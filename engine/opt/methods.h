// methods.h - opt::Method implementations for the flat trainer
// (engine/opt/flat_trainer.h).  Each is its own class: a lesson picks one by
// constructing it, and a new method is a new class.
//
//   RegularizedNewton    Semenov, Jaggi & Doikov (2025), Algorithm 1: the
//                        gradient-regularized Newton step with lambda = ||g|| / gamma
//                        and the accept/halve search on gamma, with any curvature
//                        (exact Hessian, Gauss-Newton, ...).
//   BacktrackingGradient the gradient method with a backtracking estimate of L,
//                        as in the same authors' supplementary code.
//   OnlineGradientDescent projected OGD, fixed or adaptive step.
//   OptimisticOmd        optimistic online mirror descent (Euclidean), hint M_t.
//   NnOptimizer          nn::Optimizer (SGD, Adam, AdamW) on float copies.
//
// Every method sizes its buffers in reset() and does not allocate in step().
#pragma once
#include <functional>
#include <vector>

#include "engine/nn/optim.h"
#include "engine/opt/flat_trainer.h"

namespace opt {

// H (P, P) row-major: the curvature at x (P,) that RegularizedNewton uses.
using CurvatureFn = std::function<void(const double* x, double* H)>;

struct RegularizedNewtonConfig {
  // The supplementary code's constants (papers/method-notes.md, grad-norm-smoothness).
  double gamma0 = 1.0;
  int max_tries = 40;        // inner tries per step; when all fail the iterate stays
  double gamma_min = 1e-9;   // floor of gamma after a halving
};

// x+ = x - (H + lambda I)^-1 g,  lambda = ||g|| / gamma   (B = I, the code's default)
// accept when f(x) - f(x+) >= ||g(x+)||^2 / (8 lambda)    (Lemma 1's progress)
//   then gamma <- 2 gamma; otherwise (or when the Cholesky factorization
//   fails) gamma <- max(gamma / 2, gamma_min) and retry.
class RegularizedNewton : public Method {
 public:
  RegularizedNewton(CurvatureFn curvature, const RegularizedNewtonConfig& config, const char* name = "regularized Newton")
      : curvature_(std::move(curvature)), config_(config), name_(name) {}
  const char* name() const override { return name_; }
  void reset(int dim, const double* x0) override;
  StepResult step(const Objective& f, int t, double* x) override;
  double state() const override { return gamma_; }  // gamma after the step
  double lambda() const { return lambda_; }          // lambda of the last try
  int tries() const { return tries_; }               // tries of the last step
  int failed_factorizations() const { return failed_cholesky_; }

 private:
  CurvatureFn curvature_;
  RegularizedNewtonConfig config_;
  const char* name_;
  int n_ = 0, tries_ = 0, failed_cholesky_ = 0;
  double gamma_ = 1, lambda_ = 0, f_ = 0, g_norm_ = 0;
  bool have_value_ = false;
  std::vector<double> g_, H_, M_, dx_, x_trial_, g_trial_;
};

struct BacktrackingGradientConfig {
  double L0 = 1.0, L_min = 1e-5;
  int max_tries = 30;
};

// x+ = x - g / L, accepted when f(x+) <= f(x) + <g, x+ - x> + (L/2) ||x+ - x||^2,
// then L <- max(L / 2, L_min); otherwise (or when f(x+) is not finite) L <- 2 L.
class BacktrackingGradient : public Method {
 public:
  explicit BacktrackingGradient(const BacktrackingGradientConfig& config) : config_(config) {}
  const char* name() const override { return "gradient method"; }
  void reset(int dim, const double* x0) override;
  StepResult step(const Objective& f, int t, double* x) override;
  double state() const override { return L_; }

 private:
  BacktrackingGradientConfig config_;
  int n_ = 0;
  double L_ = 1, f_ = 0;
  bool have_value_ = false;
  std::vector<double> g_, x_trial_, g_trial_;
};

// Online step sizes.  fixed: eta.  adaptive: eta_t = D / sqrt(delta + S_t),
// S_t = sum_{s<t} ||g_s - M_s||^2 (M = 0 for OGD).
struct OnlineStepConfig {
  bool adaptive = false;
  double eta = 0.1;
  double diameter = 2.0;  // D
  double delta = 1.0;
};

// Online gradient descent (Zinkevich 2003): play x_t, observe g_t = grad f_t(x_t),
// x_(t+1) = Proj(x_t - eta_t g_t).  On entry x is x_t; on exit x_(t+1).
class OnlineGradientDescent : public Method {
 public:
  explicit OnlineGradientDescent(const OnlineStepConfig& config) : config_(config) {}
  const char* name() const override { return "OGD"; }
  void reset(int dim, const double* x0) override;
  StepResult step(const Objective& f, int t, double* x) override;
  double state() const override { return eta_; }

 private:
  OnlineStepConfig config_;
  int n_ = 0;
  double eta_ = 0, sum_sq_ = 0;
  std::vector<double> g_;
};

// Optimistic OMD with the Euclidean regularizer (Rakhlin & Sridharan 2013;
// Chen et al. 2023, the SEA setting):
//   x_t = Proj(x^_t - eta_t M_t),   g_t = grad f_t(x_t),   x^_(t+1) = Proj(x^_t - eta_t g_t)
// hint M_t = g_(t-1) (M_0 = 0), or M_t = 0, which is OGD exactly.
// On exit x holds the point x_t played at step t.
class OptimisticOmd : public Method {
 public:
  enum class Hint { last_gradient, zero };
  OptimisticOmd(const OnlineStepConfig& config, Hint hint) : config_(config), hint_(hint) {}
  const char* name() const override { return "optimistic OMD"; }
  void reset(int dim, const double* x0) override;
  StepResult step(const Objective& f, int t, double* x) override;
  double state() const override { return eta_; }
  const std::vector<double>& hat() const { return x_hat_; }  // x^_(t+1)
  // sum_t ||x_t - x^_t||^2, the term the fixed-eta bound subtracts.
  double sum_play_gap_sq() const { return play_gap_sq_; }

 private:
  OnlineStepConfig config_;
  Hint hint_;
  int n_ = 0;
  double eta_ = 0, sum_sq_ = 0, play_gap_sq_ = 0;
  std::vector<double> x_hat_, hint_g_, g_;
};

// nn::Optimizer on float copies of x: evaluate f_t at x, round the gradient
// to float, update() with the schedule's factor for step t, and write the
// float parameters back into x.  A non-finite loss or gradient is not applied:
// the parameters stay, and the non-finite value stops the trainer.
class NnOptimizer : public Method {
 public:
  explicit NnOptimizer(const nn::OptimizerConfig& config, const nn::LrSchedule& schedule = nn::LrSchedule())
      : config_(config), schedule_(schedule) {}
  const char* name() const override {
    return config_.kind == nn::OptimizerKind::sgd ? "SGD" : config_.kind == nn::OptimizerKind::adam ? "Adam" : "AdamW";
  }
  void reset(int dim, const double* x0) override;
  StepResult step(const Objective& f, int t, double* x) override;
  double state() const override { return grad_norm_; }  // ||g_t||, before the update
  nn::Optimizer& optimizer() { return optimizer_; }
  // The float parameters (P,): what the trainer really holds.  Edits take
  // effect at the next step (a test poisons them to check divergence).
  const std::vector<float>& params() const { return params_; }
  std::vector<float>& mutable_params() { return params_; }

 private:
  nn::OptimizerConfig config_;
  nn::LrSchedule schedule_;
  nn::Optimizer optimizer_;
  std::vector<float> params_, grads_;
  std::vector<double> g_;
  double grad_norm_ = 0;
};

}  // namespace opt
