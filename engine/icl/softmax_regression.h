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
  // ||f(x_t) - f(x_{t-1})|| / ||x_t - x_{t-1}|| of the last step, next to 1/2 ||A||_2.
  double last_ratio() const { return last_ratio_; }
  double lipschitz_bound() const { return 0.5 * a_norm_; }
  int path_size() const { return path_count_; }
  const double* path_point(int i) const { return &path_[size_t(i) * problem_.d]; }

 private:
  SoftmaxRegression problem_;
  double lr_ = 0.1, loss_ = 0, last_ratio_ = 0, a_norm_ = 0;
  int steps_ = 0, path_count_ = 0, max_path_ = 0;
  std::vector<double> x_, x0_, g_, f_, f_prev_, dx_total_, twin_, path_;
};

}  // namespace icl
