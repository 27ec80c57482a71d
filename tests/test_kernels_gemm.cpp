// test_kernels_gemm.cpp - kern::gemm (packed, SIMD) and kern::gemm_ref against
// a double-precision product, for every transpose combination, odd shapes
// (edge tiles, several K / M / N blocks), padded leading dimensions and the
// alpha / beta rules (beta == 0 never reads C).
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "engine/kernels/gemm.h"
#include "engine/rng.h"

namespace {

struct Problem {
  bool ta, tb;
  int M, N, K, lda, ldb, ldc;
  float alpha, beta;
  std::vector<float> A, B, C;
};

Problem make_problem(pg::Rng& rng, bool ta, bool tb, int M, int N, int K, float alpha, float beta,
                     int pad) {
  Problem p{ta, tb, M, N, K, 0, 0, 0, alpha, beta, {}, {}, {}};
  const int a_rows = ta ? K : M, a_cols = ta ? M : K;
  const int b_rows = tb ? N : K, b_cols = tb ? K : N;
  p.lda = a_cols + pad;
  p.ldb = b_cols + pad;
  p.ldc = N + pad;
  p.A.resize(size_t(a_rows) * p.lda + 1);
  p.B.resize(size_t(b_rows) * p.ldb + 1);
  p.C.resize(size_t(M) * p.ldc + 1);
  for (auto& v : p.A) v = float(rng.uniform(-1.0, 1.0));
  for (auto& v : p.B) v = float(rng.uniform(-1.0, 1.0));
  for (auto& v : p.C) v = float(rng.uniform(-1.0, 1.0));
  return p;
}

// Checks each output against alpha op(A) op(B) + beta C_in computed in
// double, with the standard bound for a K-term float dot product:
// (K + 3) u sum |terms|.  Entries in the ldc padding must be untouched.
void check_against_double(const Problem& p, const std::vector<const std::vector<float>*>& outs) {
  const double u = std::ldexp(1.0, -24);
  std::vector<int> bad(outs.size(), 0);
  for (int i = 0; i < p.M; ++i) {
    for (int j = 0; j < p.N; ++j) {
      double acc = 0.0, mag = 0.0;
      for (int k = 0; k < p.K; ++k) {
        const double a = p.ta ? p.A[size_t(k) * p.lda + i] : p.A[size_t(i) * p.lda + k];
        const double b = p.tb ? p.B[size_t(j) * p.ldb + k] : p.B[size_t(k) * p.ldb + j];
        acc += a * b;
        mag += std::fabs(a * b);
      }
      const double c_in = p.C[size_t(i) * p.ldc + j];
      const double expect = p.alpha * acc + (p.beta == 0.0f ? 0.0 : p.beta * c_in);
      const double tol = (p.K + 3) * u * (std::fabs(p.alpha) * mag + std::fabs(p.beta * c_in)) + 1e-30;
      for (size_t o = 0; o < outs.size(); ++o)
        if (!(std::fabs((*outs[o])[size_t(i) * p.ldc + j] - expect) <= tol)) ++bad[o];
    }
    for (int j = p.N; j < p.ldc; ++j)
      for (size_t o = 0; o < outs.size(); ++o)
        if ((*outs[o])[size_t(i) * p.ldc + j] != p.C[size_t(i) * p.ldc + j]) ++bad[o];
  }
  for (size_t o = 0; o < outs.size(); ++o) {
    INFO((o == 0 ? "gemm" : "gemm_ref"));
    CHECK(bad[o] == 0);
  }
}

void run_both(const Problem& p) {
  std::vector<float> fast = p.C, ref = p.C;
  kern::gemm(p.ta, p.tb, p.M, p.N, p.K, p.alpha, p.A.data(), p.lda, p.B.data(), p.ldb, p.beta,
             fast.data(), p.ldc);
  kern::gemm_ref(p.ta, p.tb, p.M, p.N, p.K, p.alpha, p.A.data(), p.lda, p.B.data(), p.ldb, p.beta,
                 ref.data(), p.ldc);
  check_against_double(p, {&fast, &ref});
}

}  // namespace

TEST_CASE("gemm: small odd shapes, all transposes, padded leading dimensions") {
  pg::Rng rng(201);
  const int dims[] = {1, 3, 7, 8, 17};
  for (int ta = 0; ta < 2; ++ta)
    for (int tb = 0; tb < 2; ++tb)
      for (int M : dims)
        for (int N : dims)
          for (int K : dims) {
            INFO("ta=" << ta << " tb=" << tb << " M=" << M << " N=" << N << " K=" << K);
            run_both(make_problem(rng, ta, tb, M, N, K, 1.0f, 0.0f, (M + N + K) % 3));
          }
}

TEST_CASE("gemm: large shapes crossing the K, M and N blocks") {
  pg::Rng rng(202);
  struct Shape { int M, N, K; };
  // 257 x 255 x 513: two K blocks and three M blocks; 121 x 1030: two N blocks.
  const Shape shapes[] = {{255, 257, 256}, {257, 255, 513}, {121, 1030, 20}, {250, 9, 600}, {1, 513, 255}};
  for (int ta = 0; ta < 2; ++ta)
    for (int tb = 0; tb < 2; ++tb)
      for (const Shape& s : shapes) {
        if (s.K == 513 && ta != tb) continue;  // the largest one: NN and TT are enough
        INFO("ta=" << ta << " tb=" << tb << " M=" << s.M << " N=" << s.N << " K=" << s.K);
        run_both(make_problem(rng, ta, tb, s.M, s.N, s.K, 1.0f, 0.0f, 1));
      }
}

TEST_CASE("gemm: alpha and beta") {
  pg::Rng rng(203);
  const float ab[][2] = {{1.0f, 0.0f}, {0.5f, 0.0f}, {1.0f, 1.0f}, {-2.0f, 0.25f}, {0.0f, 2.0f}, {0.0f, 0.0f}};
  for (const auto& c : ab)
    for (int ta = 0; ta < 2; ++ta)
      for (int tb = 0; tb < 2; ++tb)
        for (int n : {3, 17, 257}) {
          INFO("alpha=" << c[0] << " beta=" << c[1] << " ta=" << ta << " tb=" << tb << " n=" << n);
          run_both(make_problem(rng, ta, tb, n, n + 2, n == 257 ? 40 : n, c[0], c[1], 2));
        }
}

TEST_CASE("gemm: beta == 0 never reads C (NaN in C does not leak)") {
  pg::Rng rng(204);
  for (int ta = 0; ta < 2; ++ta)
    for (int tb = 0; tb < 2; ++tb)
      for (int n : {1, 7, 8, 17, 130}) {
        Problem p = make_problem(rng, ta, tb, n, n, n, 1.5f, 0.0f, 0);
        for (auto& v : p.C) v = std::numeric_limits<float>::quiet_NaN();
        std::vector<float> fast = p.C, ref = p.C;
        kern::gemm(p.ta, p.tb, n, n, n, p.alpha, p.A.data(), p.lda, p.B.data(), p.ldb, 0.0f, fast.data(), p.ldc);
        kern::gemm_ref(p.ta, p.tb, n, n, n, p.alpha, p.A.data(), p.lda, p.B.data(), p.ldb, 0.0f, ref.data(), p.ldc);
        int nan_fast = 0, nan_ref = 0, nonzero = 0;
        for (int i = 0; i < n * n; ++i) {
          nan_fast += std::isnan(fast[i]);
          nan_ref += std::isnan(ref[i]);
        }
        INFO("ta=" << ta << " tb=" << tb << " n=" << n);
        CHECK(nan_fast == 0);
        CHECK(nan_ref == 0);
        // K == 0 with beta == 0 writes zeros.
        kern::gemm(p.ta, p.tb, n, n, 0, 1.0f, p.A.data(), p.lda, p.B.data(), p.ldb, 0.0f, fast.data(), p.ldc);
        for (int i = 0; i < n * n; ++i) nonzero += fast[i] != 0.0f;
        CHECK(nonzero == 0);
      }
}

TEST_CASE("gemm: repeated calls reuse the pack buffers and give identical results") {
  pg::Rng rng(205);
  Problem big = make_problem(rng, false, true, 300, 300, 300, 1.0f, 0.0f, 0);
  Problem small = make_problem(rng, true, false, 5, 9, 3, 1.0f, 0.0f, 0);
  std::vector<float> c1 = big.C, c2 = big.C, s = small.C;
  kern::gemm(false, true, 300, 300, 300, 1.0f, big.A.data(), big.lda, big.B.data(), big.ldb, 0.0f, c1.data(), big.ldc);
  kern::gemm(true, false, 5, 9, 3, 1.0f, small.A.data(), small.lda, small.B.data(), small.ldb, 0.0f, s.data(), small.ldc);
  kern::gemm(false, true, 300, 300, 300, 1.0f, big.A.data(), big.lda, big.B.data(), big.ldb, 0.0f, c2.data(), big.ldc);
  CHECK(c1 == c2);
  check_against_double(small, {&s});
}

// The direct (unpacked) path for small problems: K = 1..3, N = 1..3, M = 1..5
// and the MLP trainers' shapes, every transpose, beta 0 with NaN in C, and the
// alpha / beta rules.  It must give the same bits as the packed path would, so
// each result is also compared bit for bit with the same product embedded in
// a problem big enough to take the packed path (same per-element sum order).
TEST_CASE("gemm: small direct path (tiny K, N, M; all transposes; beta rules)") {
  pg::Rng rng(206);
  const float ab[][2] = {{1.0f, 0.0f}, {0.5f, 1.0f}, {-2.0f, 0.25f}};
  for (int ta = 0; ta < 2; ++ta)
    for (int tb = 0; tb < 2; ++tb)
      for (int M = 1; M <= 5; ++M)
        for (int N : {1, 2, 3, 4, 5, 8, 9, 13})
          for (int K : {1, 2, 3, 7})
            for (const auto& c : ab) {
              INFO("ta=" << ta << " tb=" << tb << " M=" << M << " N=" << N << " K=" << K << " alpha=" << c[0]
                         << " beta=" << c[1]);
              run_both(make_problem(rng, ta, tb, M, N, K, c[0], c[1], (M + N + K) % 3));
            }
  struct Shape { int M, N, K; };
  const Shape mlp[] = {{32, 64, 2}, {32, 3, 64}, {32, 64, 3}, {3, 64, 32}, {64, 2, 32}, {64, 3, 32},
                       {32, 64, 64}, {64, 64, 32}, {5, 3, 2}, {7, 1, 1}, {1, 7, 1}};
  for (int ta = 0; ta < 2; ++ta)
    for (int tb = 0; tb < 2; ++tb)
      for (const Shape& s : mlp) {
        for (float beta : {0.0f, 1.0f}) {
          INFO("ta=" << ta << " tb=" << tb << " M=" << s.M << " N=" << s.N << " K=" << s.K << " beta=" << beta);
          run_both(make_problem(rng, ta, tb, s.M, s.N, s.K, 1.0f, beta, 1));
        }
        // beta == 0 with NaN in C (padding included): no NaN may leak into the result.
        Problem p = make_problem(rng, ta, tb, s.M, s.N, s.K, 1.0f, 0.0f, 1);
        for (auto& v : p.C) v = std::numeric_limits<float>::quiet_NaN();
        std::vector<float> out = p.C;
        kern::gemm(p.ta, p.tb, s.M, s.N, s.K, 1.0f, p.A.data(), p.lda, p.B.data(), p.ldb, 0.0f, out.data(), p.ldc);
        int nan = 0;
        for (int i = 0; i < s.M; ++i)
          for (int j = 0; j < s.N; ++j) nan += std::isnan(out[size_t(i) * p.ldc + j]);
        INFO("NaN check ta=" << ta << " tb=" << tb << " M=" << s.M << " N=" << s.N << " K=" << s.K);
        CHECK(nan == 0);
      }
}

TEST_CASE("gemm: the direct path gives the packed path's bits") {
  // A small product, and the same product as the top-left corner of one too
  // big for the direct path (extra rows and columns: the per-element sums
  // over K are the same, in the same order).
  pg::Rng rng(207);
  const int big = 200;  // M x N = 200 x 200: over the direct-path footprint
  for (int ta = 0; ta < 2; ++ta)
    for (int tb = 0; tb < 2; ++tb)
      for (int M : {1, 3, 5, 32})
        for (int N : {1, 2, 3, 7, 64})
          for (int K : {1, 2, 3, 32}) {
            for (float beta : {0.0f, 0.5f}) {
              Problem p = make_problem(rng, ta, tb, big, big, K, 0.75f, beta, 0);
              std::vector<float> full = p.C, part = p.C;
              kern::gemm(p.ta, p.tb, big, big, K, p.alpha, p.A.data(), p.lda, p.B.data(), p.ldb, beta, full.data(),
                         p.ldc);
              kern::gemm(p.ta, p.tb, M, N, K, p.alpha, p.A.data(), p.lda, p.B.data(), p.ldb, beta, part.data(),
                         p.ldc);
              int differ = 0;
              for (int i = 0; i < M; ++i)
                for (int j = 0; j < N; ++j) differ += full[size_t(i) * p.ldc + j] != part[size_t(i) * p.ldc + j];
              INFO("ta=" << ta << " tb=" << tb << " M=" << M << " N=" << N << " K=" << K << " beta=" << beta);
              CHECK(differ == 0);
            }
          }
}
