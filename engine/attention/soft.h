// soft.h - SOFT, softmax-free attention with a Gaussian kernel and landmarks
// (Lu et al. 2021, "SOFT: Softmax-free Transformer with Linear Complexity";
// official code fudan-zvg/SOFT, read for the details below).
//
// Keys are the queries.  With K(a, b) = exp(-s |a - b|^2 / 2) (the code scales
// q by d^(-1/4) and uses exp(-|.|^2 / 2): s = 1/sqrt(d) on raw q):
//   exact       Y = S V,   S = K(Q, Q) (n, n)                     O(n^2 d)
//   SOFT        Y = P A^+ (P^T V),  P = K(Q, L) (n, m), A = K(L, L) (m, m),
//               L the m landmarks                                  O(n m d)
//   A^+ by Newton-Schulz (models/softmax_free_transformer.py, SOFT/kernel/inverse.py):
//               alpha = 0.9 * 2 / (max_i sum_j A_ij)^2   (from A, before the ridge)
//               P_r = A + ridge I,  V_0 = alpha P_r,  V_(k+1) = 2 V_k - V_k P_r V_k
//               (20 iterations, ridge 0.01 in the code); I - P_r V_(k+1) = (I - P_r V_k)^2.
//   symmetric   the "norm" variant: A^+ is replaced by D^(-1/2) V D^(-1/2), D = diag(A 1),
//               V from Newton-Schulz on A itself (no ridge), alpha = 2 / (max row sum)^2
//               halved (up to 10 times) until max_j sum_i |I - A V_0|_ij <= 1.01.
// The paper learns its landmarks (a strided convolution + LayerNorm + GELU over
// the token grid); landmarks_pool averages contiguous runs of tokens instead.
//
// Fast paths: kernels and products by kern::gemm, the exponentials 4 lanes wide
// (simd.h); _ref twins in plain loops.  Scratch is thread_local and grows on
// demand, so repeated calls (the timing loop) do not allocate.
#pragma once
#include <cstdint>

namespace attn {

constexpr int kMaxNewtonIters = 64;

// Landmark l = mean of tokens [floor(l n / m), floor((l + 1) n / m)): x is (n, d), out (m, d), 1 <= m <= n.
// With m == n the landmarks are the tokens themselves.
void landmarks_pool(const float* x, int n, int d, int m, float* out);

// K_ij = exp(-scale |a_i - b_j|^2 / 2): a is (na, d), b is (nb, d), K is (na, nb).  The
// fast path expands |a|^2 + |b|^2 - 2 a.b and clamps it at 0 (rounding can make it negative).
void gaussian_kernel(const float* a, int na, const float* b, int nb, int d, float scale, float* K);
void gaussian_kernel_ref(const float* a, int na, const float* b, int nb, int d, float scale, float* K);

struct NewtonSpec {
  int iters = 20;            // clamped to [0, kMaxNewtonIters]
  float ridge = 0.01f;       // the code's 0.01 I; 0 = invert A itself
  bool halve_alpha = false;  // the symmetric variant's start: alpha = 2 / rowsum^2, halved until ||I - A V_0||_1 <= 1.01
};
struct NewtonTrace {
  double alpha = 0;
  int halvings = 0;
  int iters = 0;
  // Frobenius norms after k = 0..iters iterations, if the caller asks for them:
  double residual[kMaxNewtonIters + 1] = {};        // ||I - (A + ridge I) V_k||_F: squares each step
  double residual_plain[kMaxNewtonIters + 1] = {};  // ||I - A V_k||_F: plateaus at the ridge's bias
};
// V (m, m) ~ (A + ridge I)^-1 for A (m, m).  trace may be null (then no residuals are
// computed: they cost two more m^3 products per iteration).
void newton_schulz_inverse(const float* A, int m, const NewtonSpec& spec, float* V, NewtonTrace* trace);
// Plain loops, in float or double (double: the tests' accuracy claims).
template <typename T>
void newton_schulz_inverse_ref(const T* A, int m, const NewtonSpec& spec, T* V, NewtonTrace* trace);

struct SoftSpec {
  int m = 16;           // landmarks, 1 <= m <= n
  float scale = 1.0f;   // kernel scale s (1/sqrt(d) is the paper's)
  NewtonSpec newton;    // ignored fields when symmetric: ridge (0) and halve_alpha (on)
  bool symmetric = false;
};
// q (n, d), v (n, dv), out (n, dv).  landmarks_out (m, d) and trace may be null.
void soft_attention_forward(const SoftSpec& spec, const float* q, const float* v, int n, int d, int dv, float* out,
                            NewtonTrace* trace = nullptr, float* landmarks_out = nullptr);
void soft_attention_forward_ref(const SoftSpec& spec, const float* q, const float* v, int n, int d, int dv,
                                float* out);
// SOFT's implied weight matrix P A^+ P^T for the first `rows` tokens (landmarks from
// all n): Phi is (rows, rows), to compare with that block of S (pictures, O(rows^2 m)).
void soft_attention_weights(const SoftSpec& spec, const float* q, int n, int d, int rows, float* Phi);

// Exact kernel attention out = K(q, k) v without the (n_q, n_k) matrix: blocks of
// 32 queries x 64 keys, kernel block by gemm + 4-lane exp, accumulated by gemm.
// q (n_q, d), k (n_k, d), v (n_k, dv), out (n_q, dv).  _ref: loops, direct differences.
void gaussian_attention_forward(const float* q, int n_q, const float* k, int n_k, int d, const float* v, int dv,
                                float scale, float* out);
void gaussian_attention_forward_ref(const float* q, int n_q, const float* k, int n_k, int d, const float* v, int dv,
                                    float scale, float* out);

}  // namespace attn
