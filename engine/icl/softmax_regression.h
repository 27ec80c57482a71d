// softmax_regression.h - in-context learning vs weight shifting for softmax
// regression (lesson icl-softmax-regression; Li, Song, Xia, Yu & Zhou 2023).
//
//   f(A, x) = softmax(A x)            A (n, d): the "data", x (d,): the "weights"
//   L(x)    = 1/2 ||f(A, x) - b||^2
//   grad L  = A^T (diag f - f f^T)(f - b)          (the softmax Jacobian is symmetric)
//
// Weight shift: a GD step on x.  Data shift (what a self-attention layer does
// to its inputs): keep x and move A instead.  The rank-one twin
//   A' = A + (A dx) x^T / ||x||^2
// gives A' x = A x + A dx, hence f(A', x) = f(A, x + dx) exactly: every GD path
// on the weights has a data-side twin.  Because ||diag f - f f^T||_2 <= 1/2,
//   ||f(A, x + dx) - f(A, x)|| <= 1/2 ||A||_2 ||dx||.
// All exps are detmath::exp, so a GD path is the same native and in wasm.
//
// Measuring ||df|| / ||dx|| in floating point.  Once GD has converged, ||dx||
// is ~1e-17 and the computed ||df|| is rounding noise, so the measured ratio
// means nothing (it reached 1.6 times the proven bound).  The error model,
// with u = 2^-53 the unit roundoff and z = A x:
//   z_i = a_i^T x           abs. error <= d u ||a_i|| ||x|| <= d u ||A||_2 ||x||
//   z_i - z_max             abs. error <= (2d + 2) u ||A||_2 ||x||  (both terms, one subtraction)
//   exp, sum of n, divide   rel. error <= 4u (detmath::exp), (n - 1) u, u
// so the computed f_i = f_i (1 + delta_i) with |delta_i| <= delta(x), twice the
// argument error (the normalizer carries it too) plus the rest:
//   delta(x) = u ((4d + 4) ||A||_2 ||x|| + n + 8),   and ||f^ - f||_2 <= delta(x)
// (||f||_2 <= 1).  A measured step then obeys
//   ||df^|| / (1/2 ||A|| ||dx||) <= ||df|| / (1/2 ||A|| ||dx||) + 4 delta / (||A|| ||dx||),
// and the excess is at most tol once ||dx|| >= 4 delta / (tol ||A||_2): the
// rounding floor.  dx is the difference of the stored iterates, not -lr g, so
// the rounding of x + dx does not enter.
#pragma once
#include <cstdint>
#include <vector>

#include "engine/rng.h"

namespace icl {

struct SoftmaxRegression {
  int n = 0, d = 0;
  std::vector<double> A;  // (n, d)
  std::vector<double> b;  // (n,) a target distribution (sums to 1)

  // A_ij ~ N(0, scale^2 / d); b = softmax(A x*) for a hidden x* ~ N(0, I_d),
  // so the minimum loss is 0 (the lesson's knob R is scale).
  void sample(int outputs, int dim, double scale, pg::Rng& rng);

  void forward(const double* x, double* f) const;               // f (n,) = softmax(A x)
  double loss(const double* x) const;                           // 1/2 ||f - b||^2
  void grad(const double* x, double* g) const;                  // g (d,)
  void grad_given_f(const double* f, double* g) const;          // the same from f = forward(x)
  // Loss over a grid of x in [x0_lo, x0_hi] x [x1_lo, x1_hi] (d == 2), out (ny, nx),
  // row i at x1 = x1_lo + i (x1_hi - x1_lo) / (ny - 1).
  void landscape(double x0_lo, double x0_hi, double x1_lo, double x1_hi, int nx, int ny, double* out) const;
};

// f (n,) = softmax(A x) for any A (n, d): the twin's outputs.
void softmax_of_affine(const double* A, int n, int d, const double* x, double* f);

// A_twin (n, d) = A + (A dx) x^T / ||x||^2, so that f(A_twin, x) = f(A, x + dx).
void data_twin(const double* A, int n, int d, const double* x, const double* dx, double* A_twin);

// ||A||_2, the largest singular value.
double spectral_norm(const double* A, int n, int d);

// delta(x) above: a bound on ||f^(A, x) - f(A, x)||_2 for the computed f^.
double softmax_rounding_bound(int n, int d, double a_norm, double x_norm);
// The smallest ||dx|| at which rounding moves ||df|| / (1/2 ||A|| ||dx||) by
// at most tol: 4 delta(x) / (tol ||A||_2), ||x|| the larger of the two ends.
double lipschitz_step_floor(int n, int d, double a_norm, double x_norm, double tol);
constexpr double kLipschitzRoundingTol = 1e-6;  // the lesson's tol

// Gradient descent on x, with its data twin A_t = A + (A (x_t - x_0)) x_0^T / ||x_0||^2
// (so f(A_t, x_0) = f(A, x_t) at every step) and the path recorded.
class SoftmaxRegressionGd {
 public:
  void reset(const SoftmaxRegression& problem, const double* x0, double lr, int max_path = 4096);
  // Budgeted like the trainers; no allocation.  Returns steps taken.
  int step(int max_steps, double budget_ms);

  int steps() const { return steps_; }
  const std::vector<double>& x() const { return x_; }
  const std::vector<double>& twin() const { return twin_; }  // (n, d), refreshed each step
  double loss() const { return loss_; }
  // ||f(x_t) - f(x_{t-1})|| / ||x_t - x_{t-1}|| of the last step, next to 1/2 ||A||_2
  // (x_t - x_{t-1} as stored; 0 if the step did not move x).
  double last_ratio() const { return last_ratio_; }
  double last_dx_norm() const { return last_dx_norm_; }
  // lipschitz_step_floor for the last step (tol kLipschitzRoundingTol), and
  // whether the step was above it (its ratio is then meaningful to tol).
  double last_floor() const { return last_floor_; }
  bool last_counted() const { return last_dx_norm_ >= last_floor_ && last_dx_norm_ > 0; }
  double lipschitz_bound() const { return 0.5 * a_norm_; }
  int path_size() const { return path_count_; }
  const double* path_point(int i) const { return &path_[size_t(i) * problem_.d]; }

 private:
  SoftmaxRegression problem_;
  double lr_ = 0.1, loss_ = 0, last_ratio_ = 0, a_norm_ = 0, last_dx_norm_ = 0, last_floor_ = 0;
  int steps_ = 0, path_count_ = 0, max_path_ = 0;
  std::vector<double> x_, x_prev_, x0_, g_, f_, f_prev_, dx_total_, twin_, path_;
};

}  // namespace icl
