// flat_trainer.h - training for problems that are not networks: a flat
// parameter vector x (P,), a loss-and-gradient closure, a pluggable method
// (optimizer), curves of the loss and of the method's own state, a
// divergence check and the per-frame budget loop.
//
//   opt::Objective f;
//   f.dim = P;
//   f.value_grad = [&](int t, const double* x, double* g) { ...; return loss; };
//   opt::FlatTrainer run;
//   run.reset(f, std::make_unique<opt::RegularizedNewton>(curvature, config), x0, /*max_steps=*/200);
//   while (!run.done()) run.step(1000, /*budget_ms=*/4);
//
// A step unit is one call of Method::step (one outer iteration of a Newton
// method, one round of online learning, one stochastic update).  The state
// after N units depends only on N, never on how step() calls split them: the
// budget is checked only between units, and nothing else reads the clock.
//
// Methods derive from opt::Method (engine/opt/methods.h holds the ones the
// lessons use); a new one is a new class, no switch to edit.  nn::Optimizer
// (engine/nn/optim.h: SGD, Adam, AdamW, float) plugs in through NnOptimizer.
#pragma once
#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/nn/curve.h"

namespace opt {

// f_t(x) and, when grad is not null, its gradient into grad (P,).  t is the
// 0-based step: online and stochastic problems draw their round's loss from
// it (seeded by t, so re-evaluating the same t gives the same loss); offline
// problems ignore it.  project (optional) maps x (P,) onto the feasible set
// in place; it must leave a point already inside unchanged, bit for bit.
struct Objective {
  int dim = 0;
  std::function<double(int t, const double* x, double* grad)> value_grad;
  std::function<void(double* x)> project;
};

// What one unit did, for curves and the divergence check.
struct StepResult {
  double value = 0;       // the loss the curve records: f at the new iterate (offline) or f_t at the played point
  int evaluations = 0;    // calls of value_grad in this unit
  bool accepted = true;   // false when an inner search found no acceptable step (the iterate stayed)
};

class Method {
 public:
  virtual ~Method() = default;
  virtual const char* name() const = 0;
  // Sizes every buffer (the only place a method may allocate).  x0 (dim,).
  virtual void reset(int dim, const double* x0) = 0;
  // One unit at 0-based step t.  x (dim,) holds the current iterate on entry
  // and the new one on exit (for an online method: the point it plays next).
  virtual StepResult step(const Objective& f, int t, double* x) = 0;
  // The method's own scalar state after the last step, for a curve
  // (gamma of the regularized Newton method, the step size eta_t, ...); NaN when none.
  virtual double state() const { return NAN; }
};

class FlatTrainer {
 public:
  // Takes the objective and the method, copies x0 (f.dim,), and sizes the
  // curves (loss and method state, curve_capacity points each; curve_window > 0
  // gives aligned windows of that many steps, see engine/nn/curve.h).
  void reset(Objective f, std::unique_ptr<Method> method, const double* x0, int max_steps,
             int curve_capacity = 1024, int curve_window = 0);
  // Called after every unit that did not diverge, with the steps done so far
  // (evaluations, snapshots); it may call stop().  Set after reset().
  void set_after_step(std::function<void(int steps)> hook) { after_step_ = std::move(hook); }
  // Ends the run as diverged with this message (a hook's own check failed).
  void stop(std::string problem) {
    diverged_ = true;
    problem_ = std::move(problem);
  }
  // Up to max_units units, stopping early once budget_ms of wall time has
  // passed (checked after each unit), at max_steps, or on divergence.
  // Returns the units done.  Allocation-free.
  int step(int max_units, double budget_ms);

  // Also done once the recorded value drops below `target` (a known optimum
  // plus a tolerance, as the official grad-norm code stops at f - f* < eps).
  void stop_below(double target) { target_ = target; }
  bool reached_target() const { return steps_ > 0 && last_value_ < target_; }
  bool done() const { return steps_ >= max_steps_ || diverged_ || reached_target(); }
  bool diverged() const { return diverged_; }
  // "" or what went wrong ("step 12: the loss is not finite (nan)").
  const std::string& problem() const { return problem_; }
  int steps() const { return steps_; }
  int max_steps() const { return max_steps_; }
  int evaluations() const { return evaluations_; }
  int rejected_steps() const { return rejected_; }
  const std::vector<double>& x() const { return x_; }
  double last_value() const { return last_value_; }
  const nn::Curve& loss_curve() const { return loss_curve_; }
  const nn::Curve& state_curve() const { return state_curve_; }
  const Method& method() const { return *method_; }
  Method& method() { return *method_; }
  const Objective& objective() const { return f_; }

 private:
  void unit();

  Objective f_;
  std::unique_ptr<Method> method_;
  std::function<void(int)> after_step_;
  std::vector<double> x_;
  nn::Curve loss_curve_, state_curve_;
  int steps_ = 0, max_steps_ = 0, evaluations_ = 0, rejected_ = 0;
  double last_value_ = 0, target_ = -INFINITY;
  bool diverged_ = false;
  std::string problem_;
};

}  // namespace opt
