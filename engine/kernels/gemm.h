// gemm.h - single-precision matrix multiply, row-major, the trainers' workhorse.
//
//   C (M x N) = alpha * op(A) (M x K) * op(B) (K x N) + beta * C
//   op(A) = A (M x K, leading dimension lda)   when !trans_a
//         = A^T, A stored (K x M, lda)          when  trans_a
//   op(B) = B (K x N, ldb) or B^T with B stored (N x K, ldb).
//   beta == 0 overwrites C without reading it (so C may hold garbage or NaN).
//
// gemm() is the fast path (packed panels, register-blocked 4-lane micro-kernel
// through simd.h; small problems - K <= 256 and all three operands within 16 K
// floats, chosen by shape only - skip the packing and read the operands in
// place, with the same per-element sum order, so both paths give the same
// bits); gemm_ref() is the plain triple loop it is tested against.
#pragma once

namespace kern {

void gemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A, int lda,
          const float* B, int ldb, float beta, float* C, int ldc);

void gemm_ref(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A,
              int lda, const float* B, int ldb, float beta, float* C, int ldc);

}  // namespace kern
