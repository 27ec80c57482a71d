// mha.h - one layer of multi-head softmax attention read out at the query
// (lesson icl-multihead; He, Pan, Chen & Yang 2025, "In-Context Linear
// Regression Demystified", eq. (2.2) and their official notebook):
//
//   y^ = sum_h O_h V_h Z softmax(Z^T K_h^T Q_h z_q / sqrt(d + 1))
//
//   Z = [z_1 .. z_n], z_l = (x_l, y_l) in R^D, D = d + 1   the context tokens
//   z_q = (x_q, 0)                                         the query token
//   Q_h, K_h, V_h (D, D), O_h (1, D), no biases; the query attends to the
//   context only (not to itself).
//
// Re-associated so one query costs O(H (D^2 + n D)) instead of O(H n D^2):
//   w_h = K_h^T (Q_h z_q)   (D)   the query seen from the keys' side
//   u_h = V_h^T O_h^T       (D)   what each token contributes to y^
//   s_hl = <z_l, w_h> / sqrt(D),  p_h = softmax(s_h),  c_hl = <z_l, u_h>
//   y^ = sum_h sum_l p_hl c_hl
//
// This file is the readable reference, one prompt at a time, templated on the
// scalar type (double for the finite-difference checks).  mha_batch.h is the
// fast float path the trainer uses; the tests hold the two together.
#pragma once
#include <vector>

namespace icl {

constexpr int kMaxHeads = 8;

// Flat parameter layout, per head h (row-major): Q_h (D,D) | K_h (D,D) | V_h (D,D) | O_h (D).
struct MhaShape {
  int d = 10;
  int heads = 4;
  int D() const { return d + 1; }
  int head_params() const { return 3 * D() * D() + D(); }
  int num_params() const { return heads * head_params(); }
  int q_offset(int h) const { return h * head_params(); }
  int k_offset(int h) const { return q_offset(h) + D() * D(); }
  int v_offset(int h) const { return q_offset(h) + 2 * D() * D(); }
  int o_offset(int h) const { return q_offset(h) + 3 * D() * D(); }
};

// What the forward keeps for the backward (sized by resize, reused).
template <typename T>
struct MhaCache {
  int heads = 0, D = 0, n = 0;
  std::vector<T> q, w, u;   // (H, D)
  std::vector<T> p, c;      // (H, n) softmax weights and token values
  std::vector<T> head_out;  // (H,) each head's contribution to y^
  void resize(int num_heads, int dim, int context_len);
};

// z: (n, D) context tokens, row-major; zq: (D) query token.  Returns y^.
template <typename T>
T mha_forward(const MhaShape& shape, const T* params, const T* z, int n, const T* zq, MhaCache<T>& cache);

// Adds dL/dparams to grads (P,), given dy = dL/dy^ and the forward's cache.
template <typename T>
void mha_backward(const MhaShape& shape, const T* params, const T* z, int n, const T* zq,
                  const MhaCache<T>& cache, T dy, T* grads);

// Builds the token matrix of one prompt: z (n, D) from x (n, d), y (n); zq (D) from xq (d).
template <typename T>
void make_tokens(const double* x, const double* y, int n, int d, const double* xq, T* z, T* zq);

// ---------------------------------------------------------- constructions

// Head h as the paper's pattern: K_h = I, Q_h = omega sqrt(D) on the x-block
// (so the softmax sees omega <x_l, x_q>), V_h = I, O_h = (0, .., 0, mu):
// head h outputs mu sum_l softmax(omega <x_l, x_q>)_l y_l.
template <typename T>
void mha_set_head(const MhaShape& shape, T* params, int h, double omega, double mu);

// Two heads (+omega, +mu), (-omega, -mu) with mu = eta / (2 omega); any other
// heads are switched off (O = 0).  Expanding the softmax to first order,
//   softmax(omega a)_l = (1 + omega (a_l - abar)) / n + O(omega^2),
// the even terms cancel between the pair, so y^ equals debiased GD with step
// eta, (eta/n) sum_l y_l (x_l - xbar)^T x_q, up to O(eta omega^2).
template <typename T>
void mha_set_debiased_gd(const MhaShape& shape, T* params, double omega, double eta);

// ------------------------------------------------------ reading the pattern

// KQ_h = K_h^T Q_h (D, D), the bilinear form the softmax applies to (z_l, z_q).
template <typename T>
void mha_kq(const MhaShape& shape, const T* params, int h, T* out);
// OV_h = O_h V_h (D,): how the attended tokens are mixed into y^.
template <typename T>
void mha_ov(const MhaShape& shape, const T* params, int h, T* out);

// The paper's summary numbers for one head, in the units of mha_set_head:
//   omega   mean diagonal of the x-block of KQ_h, divided by sqrt(D)
//   mu      last entry of OV_h
//   kq_identity_frac  share of the x-block's squared norm on omega*sqrt(D) I
//                     (1 = exactly a multiple of the identity)
//   ov_last_frac      |mu| / ||OV_h|| (1 = only the y-slot is read)
//   ov_norm           ||OV_h|| (how much the head contributes at all)
struct HeadPattern {
  double omega = 0, mu = 0, kq_identity_frac = 0, ov_last_frac = 0, ov_norm = 0;
};
template <typename T>
HeadPattern mha_head_pattern(const MhaShape& shape, const T* params, int h);

}  // namespace icl
