// risk_curves.h - error against context length for every estimator at once
// (the icl-gd panel: "error/d vs n for the constructed transformer, OLS, ridge,
// averaging, tuned one-step GD, 3-NN"), Monte Carlo beside the closed forms.
#pragma once
#include <cstdint>
#include <vector>

#include "engine/icl/baselines.h"
#include "engine/icl/prompts.h"

namespace icl {

struct RiskCurvePoint {
  int n = 0;
  // Monte Carlo MSE on `prompts` fresh prompts of this length, divided by the
  // signal power tau^2 d E x_k^2 (von Oswald et al.'s error / d for beta ~ N(0, I)
  // and Gaussian x; the plain risk for N(0, I/d); for U(-1, 1) inputs 3 error / d).  The query noise sigma^2 is included, so with noise every
  // curve sits above sigma^2 / (tau^2 d).
  BaselineLosses mc;
  double lsa = 0;  // the constructed LSA: `layers` layers of von Oswald et al.'s GD construction
  // Closed forms, same normalization (ols is +inf near n = d when sigma^2 > 0, and
  // NaN for non-Gaussian x, where it has no closed form).
  double ols_closed = 0, averaging_closed = 0, gd_tuned_closed = 0, lsa_closed = 0;
  double gd_step = 0;  // the step used by "gd" (tuned for this n) and, if eta <= 0, by the LSA
};

// One point per entry of ns.  eta <= 0 gives the LSA the tuned one-step GD
// step for each n (then with layers = 1 it equals the tuned-GD curve exactly);
// lsa_closed is only filled for layers == 1 (K-step GD has no short closed form).
// Allocates; call it when a knob changes, not every frame.
std::vector<RiskCurvePoint> risk_curves(const PromptConfig& config, const std::vector<int>& ns, int prompts,
                                        int layers, double eta, uint64_t seed);

}  // namespace icl
