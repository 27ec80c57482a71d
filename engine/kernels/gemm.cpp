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

}  // namespace

void gemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A, int lda,
          const float* B, int ldb, float beta, float* C, int ldc) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || alpha == 0.0f) {  // C = beta C; A and B are not read (BLAS rule)
    for (int i = 0; i < M; ++i)
      for (int j = 0; j < N; ++j) C[size_t(i) * ldc + j] = beta == 0.0f ? 0.0f : beta * C[size_t(i) * ldc + j];
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
