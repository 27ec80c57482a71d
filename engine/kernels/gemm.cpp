// gemm.cpp - see gemm.h.  C (M x N) = alpha op(A) (M x K) op(B) (K x N) + beta C.
//
// The fast path follows the GotoBLAS / BLIS layout (Goto & van de Geijn 2008,
// "Anatomy of high-performance matrix multiplication"):
//
//   for jc in N step NC:            B block  (KC x NC) packed into NR-wide panels
//     for pc in K step KC:
//       pack op(B)[pc:pc+KC, jc:jc+NC]
//       for ic in M step MC:        A block  (MC x KC) packed into MR-tall panels
//         pack op(A)[ic:ic+MC, pc:pc+KC]
//         for jr, ir:               micro-kernel: MR x NR tile of C in registers
//
// Packing makes every micro-kernel read contiguous, whatever the transposes
// and leading dimensions, and zero-pads partial panels so the micro-kernel
// always computes a full MR x NR tile; partial tiles are then written back
// element by element (the "scalar tail").  The micro-kernel keeps a kMR x 8
// block of C in 2 kMR four-lane accumulators and per k does 2 loads of B, kMR
// broadcasts of A and 2 kMR multiply-adds (mul + add: WebAssembly SIMD has no
// FMA, and SSE2 matches it), with kMR = 4 (see below).
//
// Pack buffers are thread_local and only grow, so steady-state calls do not
// allocate.
#include "engine/kernels/gemm.h"

#include <vector>

#include "engine/simd.h"

namespace kern {

void gemm_ref(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A,
              int lda, const float* B, int ldb, float beta, float* C, int ldc) {
  for (int i = 0; i < M; ++i) {
    for (int j = 0; j < N; ++j) {
      float acc = 0.0f;
      for (int k = 0; k < K; ++k) {
        const float a = trans_a ? A[k * lda + i] : A[i * lda + k];
        const float b = trans_b ? B[j * ldb + k] : B[k * ldb + j];
        acc += a * b;
      }
      float& c = C[i * ldc + j];
      c = (beta == 0.0f) ? alpha * acc : alpha * acc + beta * c;
    }
  }
}

namespace {

// Rows of the register tile.  V8 allocates wasm SIMD values to the 16 xmm
// registers in program order, and a 6-row tile (12 accumulators + 2 B vectors
// + 6 broadcasts) spills there (measured: ~10% slower than TF.js); 4 rows
// (8 + 2 + 4 registers) do not, at nearly the same flops per instruction, and
// natively (GCC, SSE2) 4 rows measured as fast as 6.
constexpr int kMR = 4;
constexpr int kNR = 8;    // columns of the register tile (2 vectors)
constexpr int kKC = 256;  // depth of a packed block: a B panel (KC x NR, 8 KB) stays in L1
constexpr int kMC = 120;  // rows of the packed A block (MC x KC, 120 KB: L2), a multiple of kMR
constexpr int kNC = 1024; // columns of the packed B block (KC x NC, 1 MB: L2 / L3)

struct PackBuffers {
  std::vector<float> a, b;
};
thread_local PackBuffers t_pack;

float* grow(std::vector<float>& v, size_t n) {
  if (v.size() < n) v.resize(n);
  return v.data();
}

// op(A)[ic:ic+mc, pc:pc+kc] -> panels of kMR rows: panel p holds, for each k,
// the kMR values op(A)[ic + p kMR + r][pc + k] (zero past row mc).
void pack_a(bool trans_a, const float* A, int lda, int ic, int pc, int mc, int kc, float* out) {
  for (int p = 0; p < mc; p += kMR) {
    const int mr = mc - p < kMR ? mc - p : kMR;
    float* dst = out + size_t(p) * kc;
    if (trans_a) {  // A is (K x M): the kMR values of one k are contiguous
      for (int k = 0; k < kc; ++k) {
        const float* src = A + size_t(pc + k) * lda + ic + p;
        for (int r = 0; r < kMR; ++r) dst[k * kMR + r] = r < mr ? src[r] : 0.0f;
      }
    } else {  // A is (M x K): walk each row
      for (int r = 0; r < kMR; ++r) {
        if (r < mr) {
          const float* src = A + size_t(ic + p + r) * lda + pc;
          for (int k = 0; k < kc; ++k) dst[k * kMR + r] = src[k];
        } else {
          for (int k = 0; k < kc; ++k) dst[k * kMR + r] = 0.0f;
        }
      }
    }
  }
}

// op(B)[pc:pc+kc, jc:jc+nc] -> panels of kNR columns: panel q holds, for each
// k, the kNR values op(B)[pc + k][jc + q kNR + c] (zero past column nc).
void pack_b(bool trans_b, const float* B, int ldb, int pc, int jc, int kc, int nc, float* out) {
  for (int q = 0; q < nc; q += kNR) {
    const int nr = nc - q < kNR ? nc - q : kNR;
    float* dst = out + size_t(q) * kc;
    if (!trans_b) {  // B is (K x N): rows of op(B) are contiguous
      for (int k = 0; k < kc; ++k) {
        const float* src = B + size_t(pc + k) * ldb + jc + q;
        if (nr == kNR) {
          simd::store(dst + k * kNR, simd::load(src));
          simd::store(dst + k * kNR + 4, simd::load(src + 4));
        } else {
          for (int c = 0; c < kNR; ++c) dst[k * kNR + c] = c < nr ? src[c] : 0.0f;
        }
      }
    } else {  // B is (N x K): walk each column of op(B), a row of B
      for (int c = 0; c < kNR; ++c) {
        if (c < nr) {
          const float* src = B + size_t(jc + q + c) * ldb + pc;
          for (int k = 0; k < kc; ++k) dst[k * kNR + c] = src[k];
        } else {
          for (int k = 0; k < kc; ++k) dst[k * kNR + c] = 0.0f;
        }
      }
    }
  }
}

// C tile (mr x nr at C, ldc) = alpha * acc + beta * C, where acc = a_panel * b_panel
// over kc.  beta == 0 does not read C.  a is (kc x kMR) packed, b is (kc x kNR).
// Each accumulator lane sums its k terms in order, so the result does not
// depend on kMR (or the backend): every build gives the same bits.
void micro_kernel(int kc, const float* a, const float* b, float* C, int ldc, int mr, int nr,
                  float alpha, float beta) {
  simd::f32x4 c0[kMR], c1[kMR];  // row r of the tile: columns 0-3 and 4-7
  for (int r = 0; r < kMR; ++r) c0[r] = c1[r] = simd::zero();
  for (int k = 0; k < kc; ++k) {
    const simd::f32x4 b0 = simd::load(b), b1 = simd::load(b + 4);
    for (int r = 0; r < kMR; ++r) {  // fully unrolled by the compiler
      const simd::f32x4 ar = simd::set1(a[r]);
      c0[r] = simd::madd(ar, b0, c0[r]);
      c1[r] = simd::madd(ar, b1, c1[r]);
    }
    a += kMR;
    b += kNR;
  }
  const simd::f32x4 va = simd::set1(alpha), vb = simd::set1(beta);
  if (mr == kMR && nr == kNR) {
    for (int r = 0; r < kMR; ++r) {
      float* cr = C + size_t(r) * ldc;
      simd::f32x4 y0 = simd::mul(va, c0[r]), y1 = simd::mul(va, c1[r]);
      if (beta != 0.0f) {
        y0 = simd::madd(vb, simd::load(cr), y0);
        y1 = simd::madd(vb, simd::load(cr + 4), y1);
      }
      simd::store(cr, y0);
      simd::store(cr + 4, y1);
    }
    return;
  }
  // Partial tile at the right or bottom edge: write the valid part only.
  float tile[kMR][kNR];
  for (int r = 0; r < kMR; ++r) {
    simd::store(tile[r], c0[r]);
    simd::store(tile[r] + 4, c1[r]);
  }
  for (int r = 0; r < mr; ++r) {
    float* cr = C + size_t(r) * ldc;
    for (int c = 0; c < nr; ++c)
      cr[c] = beta == 0.0f ? alpha * tile[r][c] : beta * cr[c] + alpha * tile[r][c];
  }
}

// ---------------------------------------------------------------------------
// Direct path for small problems (the MLP trainers' 32 x 64 x 2, 32 x 3 x 64,
// 3 x 64 x 32, 64 x 2 x 32 ... products): no packing, the operands are read
// in place through strides, C is computed in tiles of up to kMR rows x 8
// columns, 4 lanes along the vector dimension.  Each C element is
// alpha * (sum over k = 0..K-1 of a_ik b_kj, in order, from 0) + beta * c
// exactly as in the packed path (which, for K <= kKC, is one K block), so the
// two paths give the same bits and the choice between them (by shape only) is
// invisible in the results.
//
// The problem is described by strides so that C^T = op(B)^T op(A)^T can be
// computed with the same code: when N < 4 <= M the lanes run along M instead.
struct Operands {
  const float* a; size_t a_i, a_k;  // a(i, k) = a[i a_i + k a_k]
  const float* b; size_t b_k;       // b(k, j) = b[k b_k + j]: contiguous along j
  float* c; size_t c_i, c_j;        // c(i, j) = c[i c_i + j c_j]
};

thread_local std::vector<float> t_direct;  // op(B) made contiguous along j, when it is not

// dst[c * ld_dst + r] = src[r * ld_src + c] for r < rows, c < cols, in 4 x 4
// register blocks (the scalar loop, with its strided reads, cost about as
// much as a small layer's product).
void transpose_copy(const float* src, size_t ld_src, int rows, int cols, float* dst, size_t ld_dst) {
  int r = 0;
  for (; r + 4 <= rows; r += 4) {
    int c = 0;
    for (; c + 4 <= cols; c += 4) {
      simd::f32x4 v0 = simd::load(src + size_t(r) * ld_src + c), v1 = simd::load(src + size_t(r + 1) * ld_src + c),
                  v2 = simd::load(src + size_t(r + 2) * ld_src + c), v3 = simd::load(src + size_t(r + 3) * ld_src + c);
      simd::transpose4(v0, v1, v2, v3);
      simd::store(dst + size_t(c) * ld_dst + r, v0);
      simd::store(dst + size_t(c + 1) * ld_dst + r, v1);
      simd::store(dst + size_t(c + 2) * ld_dst + r, v2);
      simd::store(dst + size_t(c + 3) * ld_dst + r, v3);
    }
    for (; c < cols; ++c)
      for (int i = r; i < r + 4; ++i) dst[size_t(c) * ld_dst + i] = src[size_t(i) * ld_src + c];
  }
  for (; r < rows; ++r)
    for (int c = 0; c < cols; ++c) dst[size_t(c) * ld_dst + r] = src[size_t(r) * ld_src + c];
}

// Writes one 4-lane result y = alpha acc (+ beta c) to c(i, j..j+3).
inline void put4(float* c, size_t c_j, simd::f32x4 acc, simd::f32x4 va, simd::f32x4 vb, float beta) {
  simd::f32x4 y = simd::mul(va, acc);
  if (c_j == 1) {
    if (beta != 0.0f) y = simd::madd(vb, simd::load(c), y);
    simd::store(c, y);
    return;
  }
  if (beta != 0.0f) y = simd::madd(vb, simd::set4(c[0], c[c_j], c[2 * c_j], c[3 * c_j]), y);
  float t[4];
  simd::store(t, y);
  for (int l = 0; l < 4; ++l) c[l * c_j] = t[l];
}

// Rows i0 .. i0+MR-1 of C, all N columns.
template <int MR>
void direct_rows(const Operands& o, int i0, int N, int K, float alpha, float beta) {
  const simd::f32x4 va = simd::set1(alpha), vb = simd::set1(beta);
  const float* a[MR];  // row r of op(A), stepped by a_k
  for (int r = 0; r < MR; ++r) a[r] = o.a + size_t(i0 + r) * o.a_i;
  const size_t a_k = o.a_k, b_k = o.b_k;
  float* c = o.c + size_t(i0) * o.c_i;
  int j = 0;
  for (; j + 8 <= N; j += 8) {
    simd::f32x4 c0[MR], c1[MR];
    for (int r = 0; r < MR; ++r) c0[r] = c1[r] = simd::zero();
    const float* b = o.b + j;
    size_t ak = 0;
    for (int k = 0; k < K; ++k, b += b_k, ak += a_k) {
      const simd::f32x4 b0 = simd::load(b), b1 = simd::load(b + 4);
      for (int r = 0; r < MR; ++r) {
        const simd::f32x4 ar = simd::set1(a[r][ak]);
        c0[r] = simd::madd(ar, b0, c0[r]);
        c1[r] = simd::madd(ar, b1, c1[r]);
      }
    }
    for (int r = 0; r < MR; ++r) {
      float* cr = c + r * o.c_i + j * o.c_j;
      put4(cr, o.c_j, c0[r], va, vb, beta);
      put4(cr + 4 * o.c_j, o.c_j, c1[r], va, vb, beta);
    }
  }
  for (; j + 4 <= N; j += 4) {
    simd::f32x4 c0[MR];
    for (int r = 0; r < MR; ++r) c0[r] = simd::zero();
    const float* b = o.b + j;
    size_t ak = 0;
    for (int k = 0; k < K; ++k, b += b_k, ak += a_k) {
      const simd::f32x4 b0 = simd::load(b);
      for (int r = 0; r < MR; ++r) c0[r] = simd::madd(simd::set1(a[r][ak]), b0, c0[r]);
    }
    for (int r = 0; r < MR; ++r) put4(c + r * o.c_i + j * o.c_j, o.c_j, c0[r], va, vb, beta);
  }
  for (; j < N; ++j) {  // scalar columns: the same mul, then add, per term
    float acc[MR];
    for (int r = 0; r < MR; ++r) acc[r] = 0.0f;
    const float* b = o.b + j;
    size_t ak = 0;
    for (int k = 0; k < K; ++k, b += b_k, ak += a_k) {
      const float bk = *b;
      for (int r = 0; r < MR; ++r) acc[r] = a[r][ak] * bk + acc[r];
    }
    for (int r = 0; r < MR; ++r) {
      float& cr = c[r * o.c_i + j * o.c_j];
      cr = beta == 0.0f ? alpha * acc[r] : beta * cr + alpha * acc[r];
    }
  }
}

void direct(const Operands& o, int M, int N, int K, float alpha, float beta) {
  int i = 0;
  for (; i + kMR <= M; i += kMR) direct_rows<kMR>(o, i, N, K, alpha, beta);
  switch (M - i) {
    case 3: direct_rows<3>(o, i, N, K, alpha, beta); break;
    case 2: direct_rows<2>(o, i, N, K, alpha, beta); break;
    case 1: direct_rows<1>(o, i, N, K, alpha, beta); break;
    default: break;
  }
}

// Small enough for the direct path: one K block (so the sums match the packed
// path's), and all three operands together within 16 K floats (64 KB, L2), so
// reading them in place costs no more than packing would.  Shape only: native
// and wasm take the same path.
constexpr size_t kDirectMaxFloats = 16384;
bool use_direct(int M, int N, int K) {
  if (K > kKC) return false;
  return size_t(M) * K + size_t(K) * N + size_t(M) * N <= kDirectMaxFloats;
}

void gemm_direct(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A, int lda,
                 const float* B, int ldb, float beta, float* C, int ldc) {
  // op(A)(i, k) and op(B)(k, j) as strides.
  const size_t a_i = trans_a ? 1 : size_t(lda), a_k = trans_a ? size_t(lda) : 1;
  const size_t b_k = trans_b ? 1 : size_t(ldb), b_j = trans_b ? size_t(ldb) : 1;
  Operands o;
  if (N >= 4 || M < 4) {
    // Lanes along N: op(B) must be contiguous along j.
    o.a = A; o.a_i = a_i; o.a_k = a_k;
    o.c = C; o.c_i = size_t(ldc); o.c_j = 1;
    if (b_j == 1) {
      o.b = B; o.b_k = b_k;
    } else {
      // b_j != 1 means op(B) = B^T: B is (N x K) with rows b_j apart.
      float* t = grow(t_direct, size_t(K) * N);
      transpose_copy(B, b_j, N, K, t, size_t(N));
      o.b = t; o.b_k = size_t(N);
    }
    direct(o, M, N, K, alpha, beta);
  } else {
    // N < 4 <= M: compute C^T (N x M) = op(B)^T op(A)^T, lanes along M.
    // Row "i" of the swapped problem is column j of C, "b(k, j)" is op(A)(j, k).
    o.a = B; o.a_i = b_j; o.a_k = b_k;
    o.c = C; o.c_i = 1; o.c_j = size_t(ldc);
    if (a_i == 1) {
      o.b = A; o.b_k = a_k;
    } else {
      // a_i != 1 means op(A) = A: (M x K) with rows a_i apart.
      float* t = grow(t_direct, size_t(K) * M);
      transpose_copy(A, a_i, M, K, t, size_t(M));
      o.b = t; o.b_k = size_t(M);
    }
    direct(o, N, M, K, alpha, beta);
  }
}

}  // namespace

void gemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A, int lda,
          const float* B, int ldb, float beta, float* C, int ldc) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || alpha == 0.0f) {  // C = beta C; A and B are not read (BLAS rule)
    for (int i = 0; i < M; ++i)
      for (int j = 0; j < N; ++j) C[size_t(i) * ldc + j] = beta == 0.0f ? 0.0f : beta * C[size_t(i) * ldc + j];
    return;
  }
  if (use_direct(M, N, K)) {
    gemm_direct(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
  const int nc_max = N < kNC ? N : kNC, kc_max = K < kKC ? K : kKC, mc_max = M < kMC ? M : kMC;
  float* bpack = grow(t_pack.b, size_t(kc_max) * ((nc_max + kNR - 1) / kNR * kNR));
  float* apack = grow(t_pack.a, size_t(kc_max) * ((mc_max + kMR - 1) / kMR * kMR));
  for (int jc = 0; jc < N; jc += kNC) {
    const int nc = N - jc < kNC ? N - jc : kNC;
    for (int pc = 0; pc < K; pc += kKC) {
      const int kc = K - pc < kKC ? K - pc : kKC;
      // The first K block applies beta; later ones accumulate into C.
      const float beta_eff = pc == 0 ? beta : 1.0f;
      pack_b(trans_b, B, ldb, pc, jc, kc, nc, bpack);
      for (int ic = 0; ic < M; ic += kMC) {
        const int mc = M - ic < kMC ? M - ic : kMC;
        pack_a(trans_a, A, lda, ic, pc, mc, kc, apack);
        for (int jr = 0; jr < nc; jr += kNR) {
          const int nr = nc - jr < kNR ? nc - jr : kNR;
          for (int ir = 0; ir < mc; ir += kMR) {
            const int mr = mc - ir < kMR ? mc - ir : kMR;
            micro_kernel(kc, apack + size_t(ir) * kc, bpack + size_t(jr) * kc,
                         C + size_t(ic + ir) * ldc + jc + jr, ldc, mr, nr, alpha, beta_eff);
          }
        }
      }
    }
  }
}

}  // namespace kern
