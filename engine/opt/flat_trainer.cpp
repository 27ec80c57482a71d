#include "engine/opt/flat_trainer.h"

#include <cmath>
#include <cstdio>

#include "engine/timing.h"

namespace opt {

void FlatTrainer::reset(Objective f, std::unique_ptr<Method> method, const double* x0, int max_steps,
                        int curve_capacity) {
  f_ = std::move(f);
  method_ = std::move(method);
  x_.assign(x0, x0 + f_.dim);
  method_->reset(f_.dim, x_.data());
  loss_curve_.reserve(curve_capacity);
  state_curve_.reserve(curve_capacity);
  steps_ = evaluations_ = rejected_ = 0;
  max_steps_ = max_steps;
  last_value_ = NAN;
  target_ = -INFINITY;
  diverged_ = false;
  problem_.clear();
}

int FlatTrainer::step(int max_units, double budget_ms) {
  const double start = timing::now_ms();
  int units = 0;
  while (units < max_units && !done()) {
    const StepResult r = method_->step(f_, steps_, x_.data());
    ++steps_, ++units;
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
      break;
    }
    loss_curve_.add(steps_, float(r.value));
    state_curve_.add(steps_, float(method_->state()));
    if (timing::now_ms() - start >= budget_ms) break;
  }
  return units;
}

}  // namespace opt
