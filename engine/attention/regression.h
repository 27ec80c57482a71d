// regression.h - memory layers as test-time regression (Wang, Shi & Fox, 2025,
// arXiv:2501.12352).  Lesson test-time-regression.
//
// A layer memorizes key-value pairs (k_j, v_j) by fitting a regressor m that
// maps keys to values, and retrieves by evaluating it at the query:
//   M = argmin_m 1/2 sum_j gamma_j ||v_j - m(k_j)||^2,   y = M(q).
// The design choices are the weights gamma_j, the function class of m and how
// the fit is optimized.  Linear m (a matrix M, (dv, dk)):
//   linear attention   one gradient step from M = 0, step 1:    M = sum_j v_j k_j^T
//   gated              the same with decaying weights:           M_i = gamma_i M_(i-1) + v_i k_i^T
//   least squares      the exact (ridge) fit:                    M = (sum v k^T)(sum k k^T + lambda I)^-1
//                      batch, or recursively (RLS, Sherman-Morrison), one pair at a time
//   DeltaNet           one online gradient step per pair:        M_i = M_(i-1) - beta (M_(i-1) k_i - v_i) k_i^T
// Nonparametric m with a kernel exp(q.k / tau): softmax attention is the
// Nadaraya-Watson (locally constant) estimator (engine/attention/attention.h),
// and local-linear regression is the next order, implemented here.
//
// Shapes (row-major): queries Q (nq, dk), keys K (t, dk), values V (t, dv),
// outputs Y (nq, dv), memories M (dv, dk).  causal: query i sees the keys
// j < vis(i) = i + 1 + (t - nq) (the queries are the last nq positions, as in
// engine/kernels/attention.h); otherwise every query sees all t keys.  A query
// that sees no key gets 0.
//
// Every layer comes twice: `_forward`, the recurrence (one state update per
// key: what a recurrent model runs), and `_forward_ref`, a materialized form
// computed independently (y = Phi v with the n x n weights, or a batch solve
// per prefix).  Tests check they agree.  Double precision, + - * / sqrt and
// detmath::exp only (same bits native and wasm).
#pragma once

namespace attn {

// ------------------------------------------------- linear attention (one GD step)
// Recurrence: M_j = M_(j-1) + v_j k_j^T, y_i = M_(vis(i)-1) q_i.  M_final (dv, dk) may be null.
void ttr_linear_forward(const double* Q, const double* K, const double* V, double* Y, int nq, int t, int dk, int dv,
                        bool causal, double* M_final = nullptr);
// Materialized: y_i = sum_{j < vis(i)} (q_i . k_j) v_j.
void ttr_linear_forward_ref(const double* Q, const double* K, const double* V, double* Y, int nq, int t, int dk,
                            int dv, bool causal);
// One gradient step on L(M) = 1/2 sum_j ||v_j - M k_j||^2, in place:
//   M <- M - eta sum_j (M k_j - v_j) k_j^T
void ttr_gd_step(double* M, const double* K, const double* V, int t, int dk, int dv, double eta);

// ----------------------------------------------------- gated (forgetting) regression
// Weights gamma_j^(i) = prod_{l=j+1..i} gamma_l: gated linear attention.
// gamma is (t), each in [0, 1].  Recurrence: M_j = gamma_j M_(j-1) + v_j k_j^T.
void ttr_gated_forward(const double* Q, const double* K, const double* V, const double* gamma, double* Y, int nq,
                       int t, int dk, int dv, bool causal, double* M_final = nullptr);
// Materialized: y_i = sum_{j < vis(i)} (prod_{l=j+1..vis(i)-1} gamma_l) (q_i . k_j) v_j.
void ttr_gated_forward_ref(const double* Q, const double* K, const double* V, const double* gamma, double* Y, int nq,
                           int t, int dk, int dv, bool causal);

// ---------------------------------------------------------------- least squares
// Batch ridge fit on the first t pairs: M = V^T K (K^T K + lambda I)^-1, lambda > 0
// (values below 1e-12 are raised to it).  Cholesky of the (dk, dk) Gram matrix.
void ttr_least_squares_memory(const double* K, const double* V, int t, int dk, int dv, double lambda, double* M);
// Materialized reference: a batch fit on each query's visible prefix, then y_i = M q_i.
void ttr_least_squares_forward_ref(const double* Q, const double* K, const double* V, double* Y, int nq, int t,
                                   int dk, int dv, double lambda, bool causal);
// Recursive least squares: P_0 = I / lambda, and per pair (Sherman-Morrison)
//   g = P k / (1 + k^T P k),  M <- M + (v - M k) g^T,  P <- P - g (P k)^T.
// Equals the batch fit on every prefix (exact algebra).
void ttr_rls_forward(const double* Q, const double* K, const double* V, double* Y, int nq, int t, int dk, int dv,
                     double lambda, bool causal, double* M_final = nullptr);

// ---------------------------------------------------------------------- DeltaNet
// Online gradient step on 1/2 ||v_j - M k_j||^2 with step beta per pair:
//   M_j = M_(j-1) - beta (M_(j-1) k_j - v_j) k_j^T.
void ttr_delta_forward(const double* Q, const double* K, const double* V, double beta, double* Y, int nq, int t,
                       int dk, int dv, bool causal, double* M_final = nullptr);
// Materialized: M_(j-1) = sum_{l<j} w_l k_l^T with w_j = beta (v_j - sum_{l<j} (k_l . k_j) w_l)
// (a unit-lower-triangular solve, (I + beta tril(K K^T, -1)) W = beta V), then
// y_i = sum_{j < vis(i)} (q_i . k_j) w_j.
void ttr_delta_forward_ref(const double* Q, const double* K, const double* V, double beta, double* Y, int nq, int t,
                           int dk, int dv, bool causal);

// -------------------------------------------------------- local-linear regression
// The kernel-weighted linear fit around the query, with weights
// w_j = exp(inv_tau q . k_j) normalized to sum 1:
//   min_{a, B} sum_j w_j ||v_j - a - B (k_j - q)||^2 + lambda ||B||^2,   y = a
//   a = vbar + B (q - kbar),  B = S_vk (S_kk + lambda I)^-1
// with the weighted means kbar, vbar and covariances S_kk, S_vk.  lambda = 0
// with B = 0 is Nadaraya-Watson (softmax attention); lambda > 0 keeps the
// solve defined with fewer keys than dimensions (values below 1e-12 are raised to it).
// An output entry that is not finite (moments overflowing for keys far beyond
// unit scale) is returned as 0 rather than NaN.
// Recurrence: per query, running sums of w, w k, w v, w k k^T, w v k^T with
// the online-softmax rescaling by the running maximum score.
void ttr_local_linear_forward(const double* Q, const double* K, const double* V, double* Y, int nq, int t, int dk,
                              int dv, double inv_tau, double lambda, bool causal);
// Materialized: the row's softmax weights first, then centred moments directly.
void ttr_local_linear_forward_ref(const double* Q, const double* K, const double* V, double* Y, int nq, int t,
                                  int dk, int dv, double inv_tau, double lambda, bool causal);

// Number of keys query i sees (the causal convention above).
inline int ttr_visible(int i, int nq, int t, bool causal) {
  if (!causal) return t;
  const int v = i + 1 + (t - nq);
  return v < 0 ? 0 : (v > t ? t : v);
}

}  // namespace attn
