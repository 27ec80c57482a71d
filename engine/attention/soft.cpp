// soft.cpp - SOFT's Gaussian-kernel attention, landmarks and Newton-Schulz
// inverse (see soft.h).  q is (n, d), v is (n, dv), landmarks (m, d).
#include "engine/attention/soft.h"

#include <cmath>
#include <vector>

#include "engine/kernels/gemm.h"
#include "engine/kernels/vexp.h"
#include "engine/simd.h"

namespace attn {

namespace {

struct SoftScratch {
  std::vector<float> landmarks, P, A, Ainv, PtV, T, norms, work0, work1, work2;
};
thread_local SoftScratch t_soft;
thread_local std::vector<float> t_block, t_acc, t_knorm;

template <typename T>
void grow(std::vector<T>& v, size_t n) {
  if (v.size() < n) v.resize(n);
}

inline float sq_norm(const float* x, int d) {
  float s = 0.0f;
  for (int c = 0; c < d; ++c) s += x[c] * x[c];
  return s;
}

// row[j] = exp(half * max(an + bn[j] - 2 row[j], 0)) for j < len, 4 lanes then a scalar tail.
void kernel_from_dots(float* row, int len, float an, const float* bn, float half) {
  int j = 0;
  for (; j + 4 <= len; j += 4) {
    simd::f32x4 dist = simd::sub(simd::add(simd::set1(an), simd::load(bn + j)),
                                 simd::mul(simd::set1(2.0f), simd::load(row + j)));
    dist = simd::max(dist, simd::zero());
    simd::store(row + j, kern::exp_f32x4(simd::mul(simd::set1(half), dist)));
  }
  for (; j < len; ++j) {
    float dist = (an + bn[j]) - 2.0f * row[j];
    dist = dist > 0.0f ? dist : 0.0f;
    row[j] = kern::exp_scalar(half * dist);
  }
}

template <typename T>
T max_row_sum(const T* A, int m) {
  T best = 0;
  for (int i = 0; i < m; ++i) {
    T s = 0;
    for (int j = 0; j < m; ++j) s += A[size_t(i) * m + j];
    best = s > best ? s : best;
  }
  return best;
}

// C (m, m) = A B, plain loops.
template <typename T>
void matmul_ref(const T* A, const T* B, T* C, int m) {
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < m; ++j) {
      T s = 0;
      for (int k = 0; k < m; ++k) s += A[size_t(i) * m + k] * B[size_t(k) * m + j];
      C[size_t(i) * m + j] = s;
    }
}
// ||I - E||_F for E (m, m), in double.
template <typename T>
double identity_gap(const T* E, int m) {
  double s = 0.0;
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < m; ++j) {
      const double r = (i == j ? 1.0 : 0.0) - double(E[size_t(i) * m + j]);
      s += r * r;
    }
  return std::sqrt(s);
}
// max_j sum_i |I - E|_ij (the 1-norm the symmetric variant's start checks).
template <typename T>
double identity_gap_l1(const T* E, int m) {
  double best = 0.0;
  for (int j = 0; j < m; ++j) {
    double s = 0.0;
    for (int i = 0; i < m; ++i) s += std::fabs((i == j ? 1.0 : 0.0) - double(E[size_t(i) * m + j]));
    best = s > best ? s : best;
  }
  return best;
}

// The start of the iteration, shared by both paths: alpha, halvings, Pr = A + ridge I, V_0 = alpha Pr.
// `mul` is C = A B for (m, m) matrices (gemm or loops).
template <typename T, typename Mul>
void newton_start(const T* A, int m, const NewtonSpec& spec, T* Pr, T* V, T* E, NewtonTrace* trace, Mul mul) {
  const double ridge = spec.halve_alpha ? 0.0 : double(spec.ridge);
  for (size_t i = 0; i < size_t(m) * m; ++i) Pr[i] = A[i];
  for (int i = 0; i < m; ++i) Pr[size_t(i) * m + i] = T(double(A[size_t(i) * m + i]) + ridge);
  const double rowsum = double(max_row_sum(A, m));
  double alpha = rowsum > 0 ? (spec.halve_alpha ? 2.0 : 1.8) / (rowsum * rowsum) : 1.0;
  int halvings = 0;
  for (;;) {
    for (size_t i = 0; i < size_t(m) * m; ++i) V[i] = T(alpha * double(Pr[i]));
    if (!spec.halve_alpha || halvings >= 10) break;
    mul(Pr, V, E);
    if (identity_gap_l1(E, m) <= 1.01) break;
    alpha *= 0.5;
    ++halvings;
  }
  if (trace) trace->alpha = alpha, trace->halvings = halvings;
}

template <typename T, typename Mul>
void record_residuals(const T* A, const T* Pr, const T* V, T* E, int m, int k, NewtonTrace* trace, Mul mul) {
  if (!trace) return;
  mul(Pr, V, E);
  trace->residual[k] = identity_gap(E, m);
  mul(A, V, E);
  trace->residual_plain[k] = identity_gap(E, m);
}

inline int clamp_iters(int iters) { return iters < 0 ? 0 : iters > kMaxNewtonIters ? kMaxNewtonIters : iters; }

}  // namespace

// ============================================================================
// Landmarks: means of contiguous runs of tokens.
// ============================================================================
void landmarks_pool(const float* x, int n, int d, int m, float* out) {
  if (m < 1 || n < 1) return;
  for (int l = 0; l < m; ++l) {
    const int b = int(int64_t(l) * n / m), e = int(int64_t(l + 1) * n / m);
    float* o = out + size_t(l) * d;
    for (int c = 0; c < d; ++c) o[c] = 0.0f;
    for (int i = b; i < e; ++i)
      for (int c = 0; c < d; ++c) o[c] += x[size_t(i) * d + c];
    const float inv = e > b ? 1.0f / float(e - b) : 0.0f;
    for (int c = 0; c < d; ++c) o[c] *= inv;
  }
}

// ============================================================================
// Gaussian kernel matrix.
// ============================================================================
void gaussian_kernel(const float* a, int na, const float* b, int nb, int d, float scale, float* K) {
  if (na <= 0 || nb <= 0) return;
  kern::gemm(false, true, na, nb, d, 1.0f, a, d, b, d, 0.0f, K, nb);
  grow(t_knorm, size_t(nb));
  for (int j = 0; j < nb; ++j) t_knorm[j] = sq_norm(b + size_t(j) * d, d);
  const float half = -0.5f * scale;
  for (int i = 0; i < na; ++i) kernel_from_dots(K + size_t(i) * nb, nb, sq_norm(a + size_t(i) * d, d), t_knorm.data(), half);
}
void gaussian_kernel_ref(const float* a, int na, const float* b, int nb, int d, float scale, float* K) {
  const float half = -0.5f * scale;
  for (int i = 0; i < na; ++i)
    for (int j = 0; j < nb; ++j) {
      float dist = 0.0f;
      for (int c = 0; c < d; ++c) {
        const float diff = a[size_t(i) * d + c] - b[size_t(j) * d + c];
        dist += diff * diff;
      }
      K[size_t(i) * nb + j] = kern::exp_scalar(half * dist);
    }
}

// ============================================================================
// Newton-Schulz: V_(k+1) = 2 V_k - V_k Pr V_k.  With R_k = I - Pr V_k,
// R_(k+1) = I - 2 Pr V_k + Pr V_k Pr V_k = R_k^2, so the residual squares each
// step once ||R_0|| < 1 (quadratic convergence), until float rounding.
// ============================================================================
void newton_schulz_inverse(const float* A, int m, const NewtonSpec& spec, float* V, NewtonTrace* trace) {
  if (m <= 0) return;
  SoftScratch& s = t_soft;
  const size_t mm = size_t(m) * m;
  grow(s.work0, mm), grow(s.work1, mm), grow(s.work2, mm);
  float* Pr = s.work0.data();
  float* Tm = s.work1.data();
  float* E = s.work2.data();
  auto mul = [m](const float* X, const float* Y, float* C) { kern::gemm(false, false, m, m, m, 1.0f, X, m, Y, m, 0.0f, C, m); };
  newton_start(A, m, spec, Pr, V, E, trace, mul);
  const int iters = clamp_iters(spec.iters);
  record_residuals(A, Pr, V, E, m, 0, trace, mul);
  for (int k = 1; k <= iters; ++k) {
    mul(V, Pr, Tm);                                  // T = V Pr
    for (size_t i = 0; i < mm; ++i) E[i] = 2.0f * V[i];
    kern::gemm(false, false, m, m, m, -1.0f, Tm, m, V, m, 1.0f, E, m);  // E = 2V - T V
    for (size_t i = 0; i < mm; ++i) V[i] = E[i];
    record_residuals(A, Pr, V, E, m, k, trace, mul);
  }
  if (trace) trace->iters = iters;
}

template <typename T>
void newton_schulz_inverse_ref(const T* A, int m, const NewtonSpec& spec, T* V, NewtonTrace* trace) {
  if (m <= 0) return;
  const size_t mm = size_t(m) * m;
  std::vector<T> Pr(mm), Tm(mm), E(mm);
  auto mul = [m](const T* X, const T* Y, T* C) { matmul_ref(X, Y, C, m); };
  newton_start(A, m, spec, Pr.data(), V, E.data(), trace, mul);
  const int iters = clamp_iters(spec.iters);
  record_residuals(A, Pr.data(), V, E.data(), m, 0, trace, mul);
  for (int k = 1; k <= iters; ++k) {
    matmul_ref(V, Pr.data(), Tm.data(), m);
    matmul_ref(Tm.data(), V, E.data(), m);
    for (size_t i = 0; i < mm; ++i) V[i] = T(2) * V[i] - E[i];
    record_residuals(A, Pr.data(), V, E.data(), m, k, trace, mul);
  }
  if (trace) trace->iters = iters;
}
template void newton_schulz_inverse_ref<float>(const float*, int, const NewtonSpec&, float*, NewtonTrace*);
template void newton_schulz_inverse_ref<double>(const double*, int, const NewtonSpec&, double*, NewtonTrace*);

namespace {
// D^(-1/2) V D^(-1/2), D = rowsum(A): the symmetric variant's inverse.
template <typename T>
void symmetric_scale(const T* A, T* V, int m) {
  std::vector<T> dinv(static_cast<size_t>(m));
  for (int i = 0; i < m; ++i) {
    T s = 0;
    for (int j = 0; j < m; ++j) s += A[size_t(i) * m + j];
    dinv[i] = s > 0 ? T(1) / std::sqrt(s) : T(0);
  }
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < m; ++j) V[size_t(i) * m + j] *= dinv[i] * dinv[j];
}
NewtonSpec effective_newton(const SoftSpec& spec) {
  NewtonSpec ns = spec.newton;
  if (spec.symmetric) ns.ridge = 0.0f, ns.halve_alpha = true;
  return ns;
}
inline int clamp_m(int m, int n) { return m < 1 ? 1 : m > n ? n : m; }

// Landmarks, P (n, m), A (m, m) and its inverse into the scratch.
void soft_factors(const SoftSpec& spec, const float* q, int n, int d, int m, NewtonTrace* trace) {
  SoftScratch& s = t_soft;
  grow(s.landmarks, size_t(m) * d), grow(s.P, size_t(n) * m), grow(s.A, size_t(m) * m), grow(s.Ainv, size_t(m) * m);
  landmarks_pool(q, n, d, m, s.landmarks.data());
  gaussian_kernel(q, n, s.landmarks.data(), m, d, spec.scale, s.P.data());
  gaussian_kernel(s.landmarks.data(), m, s.landmarks.data(), m, d, spec.scale, s.A.data());
  newton_schulz_inverse(s.A.data(), m, effective_newton(spec), s.Ainv.data(), trace);
  if (spec.symmetric) symmetric_scale(s.A.data(), s.Ainv.data(), m);
}
}  // namespace

// ============================================================================
// SOFT forward: Y = P (A^+ (P^T V)), every product (n, m) x (m, dv) or
// (m, n) x (n, dv): O(n m (d + dv)) work, nothing of size n x n.
// ============================================================================
void soft_attention_forward(const SoftSpec& spec, const float* q, const float* v, int n, int d, int dv, float* out,
                            NewtonTrace* trace, float* landmarks_out) {
  if (n <= 0 || dv <= 0) return;
  const int m = clamp_m(spec.m, n);
  soft_factors(spec, q, n, d, m, trace);
  SoftScratch& s = t_soft;
  grow(s.PtV, size_t(m) * dv), grow(s.T, size_t(m) * dv);
  kern::gemm(true, false, m, dv, n, 1.0f, s.P.data(), m, v, dv, 0.0f, s.PtV.data(), dv);              // P^T V
  kern::gemm(false, false, m, dv, m, 1.0f, s.Ainv.data(), m, s.PtV.data(), dv, 0.0f, s.T.data(), dv);  // A^+ (P^T V)
  kern::gemm(false, false, n, dv, m, 1.0f, s.P.data(), m, s.T.data(), dv, 0.0f, out, dv);              // P (...)
  if (landmarks_out)
    for (size_t i = 0; i < size_t(m) * d; ++i) landmarks_out[i] = s.landmarks[i];
}

void soft_attention_forward_ref(const SoftSpec& spec, const float* q, const float* v, int n, int d, int dv,
                                float* out) {
  if (n <= 0 || dv <= 0) return;
  const int m = clamp_m(spec.m, n);
  std::vector<float> L(size_t(m) * d), P(size_t(n) * m), A(size_t(m) * m), Ainv(size_t(m) * m);
  std::vector<float> PtV(size_t(m) * dv, 0.0f), T(size_t(m) * dv, 0.0f);
  landmarks_pool(q, n, d, m, L.data());
  gaussian_kernel_ref(q, n, L.data(), m, d, spec.scale, P.data());
  gaussian_kernel_ref(L.data(), m, L.data(), m, d, spec.scale, A.data());
  newton_schulz_inverse_ref(A.data(), m, effective_newton(spec), Ainv.data(), nullptr);
  if (spec.symmetric) symmetric_scale(A.data(), Ainv.data(), m);
  for (int l = 0; l < m; ++l)
    for (int c = 0; c < dv; ++c) {
      float acc = 0.0f;
      for (int i = 0; i < n; ++i) acc += P[size_t(i) * m + l] * v[size_t(i) * dv + c];
      PtV[size_t(l) * dv + c] = acc;
    }
  for (int l = 0; l < m; ++l)
    for (int c = 0; c < dv; ++c) {
      float acc = 0.0f;
      for (int r = 0; r < m; ++r) acc += Ainv[size_t(l) * m + r] * PtV[size_t(r) * dv + c];
      T[size_t(l) * dv + c] = acc;
    }
  for (int i = 0; i < n; ++i)
    for (int c = 0; c < dv; ++c) {
      float acc = 0.0f;
      for (int l = 0; l < m; ++l) acc += P[size_t(i) * m + l] * T[size_t(l) * dv + c];
      out[size_t(i) * dv + c] = acc;
    }
}

void soft_attention_weights(const SoftSpec& spec, const float* q, int n, int d, int rows, float* Phi) {
  if (n <= 0 || rows <= 0) return;
  rows = rows > n ? n : rows;
  const int m = clamp_m(spec.m, n);
  soft_factors(spec, q, n, d, m, nullptr);
  SoftScratch& s = t_soft;
  grow(s.work0, size_t(rows) * m);
  kern::gemm(false, false, rows, m, m, 1.0f, s.P.data(), m, s.Ainv.data(), m, 0.0f, s.work0.data(), m);  // P A^+
  kern::gemm(false, true, rows, rows, m, 1.0f, s.work0.data(), m, s.P.data(), m, 0.0f, Phi, rows);       // (P A^+) P^T
}

// ============================================================================
// Exact kernel attention, blocked: per (32 queries x 64 keys) block,
//   G = Q_b K_b^T (gemm),  W = exp(-s (|q|^2 + |k|^2 - 2 G) / 2),  acc += W V_b (gemm).
// The kernel is not normalized, so no running max/rescale is needed.
// ============================================================================
void gaussian_attention_forward(const float* q, int n_q, const float* k, int n_k, int d, const float* v, int dv,
                                float scale, float* out) {
  constexpr int kBq = 32, kBk = 64;
  if (n_q <= 0 || dv <= 0) return;
  grow(t_block, size_t(kBq) * kBk), grow(t_acc, size_t(kBq) * dv), grow(t_knorm, size_t(n_k) + 1);
  for (int j = 0; j < n_k; ++j) t_knorm[j] = sq_norm(k + size_t(j) * d, d);
  const float half = -0.5f * scale;
  float* S = t_block.data();
  float qn[kBq];
  for (int q0 = 0; q0 < n_q; q0 += kBq) {
    const int bq = n_q - q0 < kBq ? n_q - q0 : kBq;
    for (int r = 0; r < bq; ++r) qn[r] = sq_norm(q + size_t(q0 + r) * d, d);
    float* acc = out + size_t(q0) * dv;
    for (size_t i = 0; i < size_t(bq) * dv; ++i) acc[i] = 0.0f;
    for (int k0 = 0; k0 < n_k; k0 += kBk) {
      const int bk = n_k - k0 < kBk ? n_k - k0 : kBk;
      kern::gemm(false, true, bq, bk, d, 1.0f, q + size_t(q0) * d, d, k + size_t(k0) * d, d, 0.0f, S, kBk);
      for (int r = 0; r < bq; ++r) kernel_from_dots(S + size_t(r) * kBk, bk, qn[r], t_knorm.data() + k0, half);
      kern::gemm(false, false, bq, dv, bk, 1.0f, S, kBk, v + size_t(k0) * dv, dv, 1.0f, acc, dv);
    }
  }
}

void gaussian_attention_forward_ref(const float* q, int n_q, const float* k, int n_k, int d, const float* v, int dv,
                                    float scale, float* out) {
  const float half = -0.5f * scale;
  for (int i = 0; i < n_q; ++i) {
    float* o = out + size_t(i) * dv;
    for (int c = 0; c < dv; ++c) o[c] = 0.0f;
    for (int j = 0; j < n_k; ++j) {
      float dist = 0.0f;
      for (int c = 0; c < d; ++c) {
        const float diff = q[size_t(i) * d + c] - k[size_t(j) * d + c];
        dist += diff * diff;
      }
      const float w = kern::exp_scalar(half * dist);
      for (int c = 0; c < dv; ++c) o[c] += w * v[size_t(j) * dv + c];
    }
  }
}

}  // namespace attn
