// logsumexp.h - the smoothed maximum ("softmax") problem of Semenov, Jaggi &
// Doikov (2025) and Doikov's earlier Newton papers:
//
//   f(x) = mu log sum_i exp((a_i^T x - b_i) / mu)          A (m, n), b (m,)
//   pi   = softmax((A x - b) / mu)                          (m,)
//   grad f(x) = A^T pi
//   hess f(x) = (1/mu) A^T (diag(pi) - pi pi^T) A           (exact)
//   GN(x)     = (1/mu) A^T diag(pi) A                       (Gauss-Newton: drop the rank-one term)
//
// so GN - hess = (1/mu) (A^T pi)(A^T pi)^T = g g^T / mu: PSD, rank one.
// Exponentials and logs go through detmath (identical bits native and wasm).
#pragma once
#include <cstdint>
#include <vector>

#include "engine/rng.h"

namespace opt {

class LogSumExpProblem {
 public:
  // a_ij, b_i ~ U(-1, 1), then every row of A has the column means
  // subtracted: with the uniform pi, A^T pi = 0, so f is bounded below
  // (0 lies in the convex hull of the a_i) and has a minimizer.
  void generate(int m, int n, double mu, pg::Rng& rng);
  int rows() const { return m_; }
  int dim() const { return n_; }
  double mu() const { return mu_; }
  const std::vector<double>& A() const { return A_; }  // (m, n) row-major
  const std::vector<double>& b() const { return b_; }  // (m,)

  // f(x); when grad is not null, grad f(x) into grad (n,).  Leaves pi(x) in pi().
  double value_grad(const double* x, double* grad) const;
  // H (n, n): the exact Hessian, or the Gauss-Newton matrix when gauss_newton.
  void hessian(const double* x, double* H, bool gauss_newton) const;
  const std::vector<double>& pi() const { return pi_; }

 private:
  int m_ = 0, n_ = 0;
  double mu_ = 1;
  std::vector<double> A_, b_;
  mutable std::vector<double> pi_, g_;  // scratch (m,), (n,)
};

}  // namespace opt
