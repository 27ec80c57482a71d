#include "engine/opt/flat_trainer.h"

#include <cmath>
#include <cstdio>

#include "engine/timing.h"

namespace opt {

void FlatTrainer::reset(Objective f, std::unique_ptr<Method> method, const double* x0, int max_steps,
                        int curve_capacity, int curve_window) {
  f_ = std::move(f);
  method_ = std::move(method);
  after_step_ = nullptr;
  x_.assign(x0, x0 + f_.dim);
  method_->reset(f_.dim, x_.data());
  loss_curve_.reserve(curve_capacity, curve_window);
  state_curve_.reserve(curve_capacity, curve_window);
  steps_ = evaluations_ = rejected_ = 0;
  max_steps_ = max_steps;
  last_value_ = NAN;
  target_ = -INFINITY;
  diverged_ = false;
  problem_.clear();
}

int FlatTrainer::step(int max_units, double budget_ms) {
  return timing::run_budgeted(max_units, budget_ms, [this] { return done(); }, [this] { unit(); });
}

void FlatTrainer::unit() {
  const StepResult r = method_->step(f_, steps_, x_.data());
  ++steps_;
  evaluations_ += r.evaluations;
  rejected_ += !r.accepted;
  last_value_ = r.value;
  bool finite = std::isfinite(r.value);
  for (double v : x_) finite = finite && std::isfinite(v);
  if (!finite) {
    diverged_ = true;
    char buf[160];
    std::snprintf(buf, sizeof buf, "%s diverged at step %d: the %s is not finite (%g)", method_->name(), steps_,
                  std::isfinite(r.value) ? "iterate" : "loss", r.value);
    problem_ = buf;  // once per run: the only allocation after reset
    return;
  }
  loss_curve_.add(steps_, r.value);
  state_curve_.add(steps_, method_->state());
  if (after_step_) after_step_(steps_);
}

}  // namespace opt
