// attention.h - one head of attention in its two equivalent shapes, for the
// attention lessons (soft-attention, softmax-as-rnn, softplus-attention, dsf,
// test-time-regression).
//
//   materialized   Y = Phi V, Phi the (n, n) weight matrix: row i holds what
//                  query i puts on every key (lower-triangular when causal);
//   recurrent      token by token, y_t from a state updated with (k_t, v_t)
//                  (Sieber et al. 2024, "dynamical systems framework": every
//                  layer as h_t = L_t h_(t-1) + B_t u_t, y_t = C_t h_t).
//
// Shapes (row-major, contiguous): q, k are (n, d), v is (n, dv), Phi is
// (n, n), Y is (n, dv).
//
// The operators (Op), with s = spec.scale:
//   softmax     Phi_ij = softmax_j(s q_i.k_j)                   (Vaswani et al. 2017)
//   linear      Phi_ij = phi(q_i).phi(k_j) / sum_j' phi(q_i).phi(k_j')
//               (the division only when spec.row_normalize), phi a FeatureMap:
//                 identity       phi(x) = x
//                 elu_plus_one   phi(x) = elu(x) + 1              (Katharopoulos et al. 2020)
//                 random_positive phi(x) = exp(w_r.x' - |x'|^2/2) / sqrt(m), x' = sqrt(s) x,
//                                w_r ~ N(0, I) (Performer FAVOR+, Choromanski et al. 2021):
//                                E[phi(q).phi(k)] = exp(s q.k), so it estimates softmax
//   normalized  Phi_ij = q_i.k_j / exp(log_eta_i)   (DSF's normalized attention as the
//               official dsf-mqar code has it: a per-row positive normalizer eta_i, in
//               the paper a learned exp(W_n x_i); rows do NOT sum to 1; no feature map)
//   lssa        Phi_ij = A_ij / sum_j' A_ij',  A_ij = softplus(c_i q^_i.k^_j),
//               q^ = q/|q|, k^ = k/|k|, c_i = log(d) log(N_i), N_i = the number of
//               keys row i sees (1-based; n when not causal)   (Gao & Spratling 2025)
//               (spec.lssa_scale = false uses c_i = s instead)
//   lssar       LSSA re-weighted: B_ij = relu(N_i Phi^lssa_ij - O_i)^p, O_i = 1 except
//               0 for the first three rows, then Phi_ij = B_ij / sum_j' B_ij'.
//               B is computed as (x / max_j x)^p, which leaves the normalized row
//               unchanged and cannot overflow (method-notes 1).  A row where nothing
//               survives the relu (an exactly uniform row): spec.lssar_fallback.
//   gaussian    Phi_ij = exp(-s |q_i - k_j|^2 / 2), not normalized (SOFT's kernel,
//               Lu et al. 2021, with s = 1/sqrt(d) for its d^(-1/4) query scaling)
//
// Guarantees (tests/test_attention.cpp): the fast path equals its _ref twin on
// odd shapes; the recurrent form equals the materialized one; every output is
// finite for |scores| up to 1e4 (a linear row whose normalizer is 0 becomes a
// zero row instead of 0/0).
#pragma once
#include <cstdint>
#include <vector>

#include "engine/rng.h"

namespace attn {

enum class Op { softmax, linear, normalized, lssa, lssar, gaussian };
enum class FeatureMap { identity, elu_plus_one, random_positive };
enum class LssarFallback {
  zero_row,   // the third-party reimplementation's behaviour: 0 / (0 + eps) = a zero row
  lssa_row,   // a teaching choice: keep the un-reweighted LSSA row
};

const char* op_name(Op op);
const char* feature_map_name(FeatureMap map);

// Performer's positive random features: m draws w_r ~ N(0, I_d), seeded.
struct RandomFeatures {
  int d = 0, m = 0;
  std::vector<float> W;  // (m, d)
};
RandomFeatures make_random_features(int d, int m, pg::Rng& rng);

struct OpSpec {
  Op op = Op::softmax;
  bool causal = true;
  float scale = 1.0f;  // softmax / random features / gaussian / lssa without lssa_scale
  FeatureMap map = FeatureMap::elu_plus_one;     // linear
  const RandomFeatures* features = nullptr;      // linear + random_positive (features->d == d)
  bool row_normalize = true;                     // linear
  const float* log_eta = nullptr;                // normalized: (n) one per query row, null = all 0
  bool lssa_scale = true;                        // lssa, lssar
  int power = 15;                                // lssar, >= 1
  LssarFallback lssar_fallback = LssarFallback::zero_row;
};

// Width of phi(x): d, or features->m for random features.
int feature_dim(const OpSpec& spec, int d);
// phi(x) row by row: x is (n, d), phi is (n, feature_dim).  Queries
// (is_query) of a row-normalized random-feature map are shifted by their
// row's largest exponent, which cancels in the normalization and keeps
// phi(q) from underflowing to all zeros; keys are never shifted (so the map of
// k_t depends on k_t alone and the recurrent form stays causal; their
// exponent w.k - |k|^2/2 <= |w|^2/2 cannot overflow).
void feature_map_forward(const OpSpec& spec, const float* x, float* phi, int n, int d, bool is_query);

// ---- materialized: Phi (n, n) ---------------------------------------------------
// Fast path: scores by kern::gemm, the elementwise work 4 lanes wide through
// simd.h.  _ref: plain loops, one entry at a time.  Masked entries are 0.
void attention_weights(const OpSpec& spec, const float* q, const float* k, int n, int d, float* Phi);
void attention_weights_ref(const OpSpec& spec, const float* q, const float* k, int n, int d, float* Phi);

// One row of the causal (or not) Phi: row `row` (0-based) of the query q_row (d)
// against keys k (n_k, d), out (n_k); row < n_k when causal.  The same numbers as
// that row of attention_weights; O(n_k d), for long sequences where n x n does
// not fit (the needle demo).  For Op::normalized, log_eta points at this row's value.
void attention_row(const OpSpec& spec, const float* q_row, const float* k, int n_k, int row, int d, float* out);

// Y (n, dv) = Phi (n, n) V (n, dv).
void weights_apply(const float* Phi, const float* v, int n, int dv, float* Y);
void weights_apply_ref(const float* Phi, const float* v, int n, int dv, float* Y);

// ---- linear attention without the (n, n) matrix: O(n r dv) ------------------------
// Op::linear only.  Not causal: Y = phi(Q) (phi(K)^T V), divided row by row by
// phi(q_i) . sum_j phi(k_j) when row_normalize.  Causal: chunks of 64 tokens, each
// the chunk's own masked (64, 64) block plus the state S = sum phi(k_j) v_j^T (and
// z = sum phi(k_j)) of all earlier chunks (the chunked form of the recurrence).
// Products by kern::gemm; equals attention_weights + weights_apply up to rounding.
void linear_attention_forward(const OpSpec& spec, const float* q, const float* k, const float* v, int n, int d,
                              int dv, float* Y);

// ---- recurrent: Y (n, dv), token by token (causal only; spec.causal ignored) -------
//   softmax, lssa, lssar, gaussian: the state is every key and value so far
//     (it grows with t: these layers have no finite state); y_t is computed
//     from it at step t (softmax by the online max/sum recurrence);
//   linear:      S_t = S_(t-1) + phi(k_t) v_t^T,  z_t = z_(t-1) + phi(k_t),
//                y_t = phi(q_t)^T S_t / phi(q_t).z_t      (state r * dv + r);
//   normalized:  S_t = S_(t-1) + k_t v_t^T,  y_t = q_t^T S_t / exp(log_eta_t)  (d * dv).
// Plain loops: this is the second, independent computation the materialized
// form is tested against.
void attention_recurrent(const OpSpec& spec, const float* q, const float* k, const float* v, int n, int d,
                         int dv, float* Y);
// Floats of state the recurrent form holds after t tokens.
int64_t recurrent_state_floats(const OpSpec& spec, int t, int d, int dv);

// ---- scalar helpers shared with the other attention files ------------------------
// softplus(x) = max(x, 0) + log(1 + e^-|x|), finite for every finite x, from
// + - * / and the shared exp only (bit-identical native and wasm).
float softplus(float x);
// c_i = log(d) log(N) for LSSA, in double through detmath, rounded to float.
float lssa_row_scale(int d, int visible);

}  // namespace attn
