// att_svm.h - attention as a max-margin token selector (lesson transformers-as-svm;
// Tarzanagh, Li, Thrampoulidis & Oymak 2023, "Transformers as Support Vector
// Machines", and their official code base.py / local_converge.ipynb).
//
// Sample i has tokens X_i (T, d), a query z_i (d,) and a label Y_i = +-1; with
// a fixed value head v the model is
//   f(X_i) = v^T X_i^T softmax(X_i W z_i),     W (d, d)
// trained on the logistic loss mean_i log(1 + exp(-Y_i f(X_i))).  The token
// with the largest Y_i <v, x_it> is the one the loss wants attended to ("opt").
//
// Att-SVM: W_mm = argmin ||W||_F  s.t.  (x_opt_i - x_it)^T W z_i >= 1  for all t != opt_i.
// Each constraint is <W, a_k>_F >= 1 with a_k = (x_opt - x_t) z^T, so the dual is
//   max_{lambda >= 0}  sum_k lambda_k - 1/2 || sum_k lambda_k a_k ||_F^2,
// solved by Hildreth's coordinate ascent (one constraint at a time, exact
// line maximization, clipped at 0), then polished on the active set with a
// direct solve.  KKT: W = sum_k lambda_k a_k, lambda >= 0, <W, a_k> >= 1,
// lambda_k (<W, a_k> - 1) = 0.
//
// The theorem the lesson shows: (normalized) gradient descent on W diverges in
// norm while W / ||W|| -> W_mm / ||W_mm|| for the tokens it ends up selecting.
// With W = K Q^T the limit is the nuclear-norm SVM instead; for one sample the
// Frobenius solution is rank one (W_mm = u z^T / ||z||^2), so the two coincide.
#pragma once
#include <cmath>
#include <cstdint>
#include <vector>

#include "engine/rng.h"

namespace icl {

struct AttSvmData {
  int n = 0, T = 0, d = 0;
  std::vector<double> X;  // (n, T, d) tokens
  std::vector<double> z;  // (n, d) queries
  std::vector<double> Y;  // (n,) labels +-1
  std::vector<double> v;  // (d,) value head (fixed)
  const double* token(int i, int t) const { return &X[(size_t(i) * T + t) * d]; }
  const double* query(int i) const { return &z[size_t(i) * d]; }
};

// As the official generator: v, every token and every query uniform on the
// unit sphere, Y uniform +-1.
void sample_att_svm(int n, int T, int d, pg::Rng& rng, AttSvmData& out);

// opt_i = argmax_t Y_i <v, x_it>.
std::vector<int> optimal_tokens(const AttSvmData& data);
// argmax_t of the attention softmax(X_i W z_i): the tokens W currently selects.
std::vector<int> selected_tokens(const AttSvmData& data, const double* W);

struct AttSvmSolution {
  std::vector<double> W;       // (d, d) W_mm
  std::vector<double> lambda;  // one per constraint (i, t), t != opt_i, in that order
  std::vector<int> sample, token;
  int sweeps = 0;
  bool feasible = true;        // false if the tokens cannot be separated (an x_t equals x_opt)
};
AttSvmSolution solve_att_svm(const AttSvmData& data, const std::vector<int>& opt, double tol = 1e-14,
                             int max_sweeps = 100000);

// Largest violation of each KKT condition (all 0 at the exact solution).
struct KktResiduals {
  double primal = 0;            // max_k max(0, 1 - <W, a_k>)
  double dual = 0;              // max_k max(0, -lambda_k)
  double complementarity = 0;   // max_k |lambda_k (<W, a_k> - 1)|
  double stationarity = 0;      // max_ij |W - sum_k lambda_k a_k|_ij
};
KktResiduals att_svm_kkt(const AttSvmData& data, const AttSvmSolution& sol);

// ---------------------------------------------------------- nuclear-norm Att-SVM
// With W = K Q^T trained through its factors, the limit direction is that of
//   W_* = argmin ||W||_*  s.t.  <W, a_k>_F >= 1,   a_k = (x_opt - x_t) z^T
// (the nuclear norm: the sum of the singular values).  Solved by ADMM on
// min ||W||_* + 1_C(Z) s.t. W = Z, C the polyhedron of the margin constraints:
//   W <- SVT(Z - U, 1/rho)    singular-value thresholding: shrink each sigma by 1/rho
//   Z <- proj_C(W + U)        a QP: Z = P + sum nu_k a_k, nu >= 0, by Hildreth (warm-started)
//   U <- U + W - Z
// rho adapted by residual balancing.  The certificate is a duality gap: the dual
// is max sum_k lambda_k s.t. lambda >= 0, ||sum_k lambda_k a_k||_2 <= 1 (the
// spectral norm, dual to the nuclear norm), so for any lambda >= 0 and any
// feasible W
//   sum_k lambda_k / ||sum_k lambda_k a_k||_2  <=  ||W_*||_*  <=  ||W||_*.
// ADMM's multipliers (lambda = rho nu) give the lower end; W rescaled to
// min_k <W, a_k> = 1 (the constraints are homogeneous) gives the upper end.
// The nuclear norm is not strictly convex: the value is unique, W_* may not be.
// With one sample (or d = 1) W_* is the Frobenius solution (rank one, u z^T).
struct NuclearSvmSolution {
  std::vector<double> W;       // (d, d) feasible: min_k <W, a_k> = 1
  std::vector<double> lambda;  // dual certificate, same constraint order as AttSvmSolution
  double nuclear_norm = 0;     // ||W||_*, the upper bound
  double dual_value = 0;       // sum lambda / ||sum lambda a||_2, the lower bound
  double gap = INFINITY;       // (nuclear_norm - dual_value) / nuclear_norm
  int iterations = 0;
  int rank = 0;                // singular values above 1e-6 sigma_max
  bool feasible = true;
};
NuclearSvmSolution solve_att_svm_nuclear(const AttSvmData& data, const std::vector<int>& opt, double gap_tol = 1e-9,
                                         int max_iterations = 20000);

// Singular values of W (d, d), largest first; and ||W||_*.
std::vector<double> singular_values(const double* W, int d);
double nuclear_norm(const double* W, int d);

// f(X_i); probs (T,) receives softmax(X_i W z_i) when not null.
double att_forward(const AttSvmData& data, int i, const double* W, double* probs = nullptr);
// Mean logistic loss and its gradient in W (d, d).
double att_loss_grad(const AttSvmData& data, const double* W, double* grad);

// The same mean loss, and c * grad for some c > 0 chosen so that the largest
// term is of order 1: normalized GD needs only the direction, and once the
// softmax saturates every term of the plain gradient carries a factor
// p_t ~ e^-(score gap) that underflows to 0 near ||W|| ~ 1000, freezing the run.
// Uses df/dW = 1/2 sum_{t,s} p_t p_s (gamma_t - gamma_s)(x_t - x_s) z^T with the
// products p_t p_s formed in the log domain.  Returns the loss; *log_scale = -log c.
double att_loss_grad_direction(const AttSvmData& data, const double* W, double* grad, double* log_scale = nullptr);

// <A, B>_F / (||A||_F ||B||_F)
double matrix_correlation(const double* A, const double* B, int size);

struct AttGdConfig {
  double lr = 0.1;           // normalized-GD step (official: 0.1)
  bool factorized = false;   // W = K Q^T with K, Q (d, d), each factor normalized separately
  double init_scale = 0.1;   // weights ~ N(0, init_scale^2 / d)
  uint64_t seed = 1;
};

// Normalized gradient descent, W <- W - lr grad / ||grad||_F, as in the
// official code.  Budgeted stepping, no allocation in step().
class AttGdRun {
 public:
  void reset(const AttSvmData& data, const AttGdConfig& config);
  int step(int max_steps, double budget_ms);
  int steps() const { return steps_; }
  const std::vector<double>& W() const { return W_; }  // K Q^T when factorized
  double loss() const { return loss_; }
  // Softmax weight on opt_i, averaged over samples.
  double opt_token_prob() const;
  double correlation(const std::vector<double>& W_ref) const {
    return matrix_correlation(W_.data(), W_ref.data(), int(W_.size()));
  }
  double norm() const;

 private:
  void refresh_w();
  AttSvmData data_;
  AttGdConfig config_;
  std::vector<int> opt_;
  std::vector<double> W_, K_, Q_, grad_, dK_, dQ_, probs_;
  double loss_ = 0;
  int steps_ = 0;
};

}  // namespace icl
