// test_nn_util.h - finite-difference helpers shared by the tests/test_nn_*.cpp files.
#pragma once
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "engine/rng.h"

namespace nntest {

inline std::vector<float> random_vector(pg::Rng& rng, int n, double lo = -1.0, double hi = 1.0) {
  std::vector<float> v(n);
  for (float& x : v) x = float(rng.uniform(lo, hi));
  return v;
}

// Central difference (f(x + e) - f(x - e)) / (2e) of a scalar objective f()
// w.r.t. x[i].  The objective is accumulated in double by the caller, and the
// actual float step is used as the denominator, so the only float error left is
// the rounding of the values that x[i] really changes.
template <class Objective>
double central_difference(Objective&& f, float* x, int i, float eps) {
  const float saved = x[i];
  const float up = saved + eps, down = saved - eps;
  x[i] = up;
  const double f_up = f();
  x[i] = down;
  const double f_down = f();
  x[i] = saved;
  return (f_up - f_down) / (double(up) - double(down));
}

// |analytic - numeric| <= atol + rtol * max(|analytic|, |numeric|)
inline bool close_enough(double analytic, double numeric, double rtol, double atol) {
  return std::fabs(analytic - numeric) <= atol + rtol * std::fmax(std::fabs(analytic), std::fabs(numeric));
}

// Checks every entry of analytic (n,) against central differences of f w.r.t. x (n,).
template <class Objective>
void check_gradient(const char* what, Objective&& f, float* x, const float* analytic, int n, float eps, double rtol,
                    double atol) {
  int failures = 0;
  for (int i = 0; i < n; ++i) {
    const double numeric = central_difference(f, x, i, eps);
    if (!close_enough(analytic[i], numeric, rtol, atol)) {
      if (++failures <= 5) {
        FAIL_CHECK(std::string(what) << "[" << i << "]: analytic " << analytic[i] << " vs numeric " << numeric);
      }
    }
  }
  CHECK_MESSAGE(failures == 0, std::string(what) << ": " << failures << " of " << n << " entries off");
}

// sum_i out[i] * weights[i] in double: a scalar whose gradient w.r.t. out is `weights`.
inline double weighted_sum(const float* out, const float* weights, int n) {
  double s = 0.0;
  for (int i = 0; i < n; ++i) s += double(out[i]) * weights[i];
  return s;
}

}  // namespace nntest
