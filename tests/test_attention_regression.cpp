// test_attention_regression.cpp - the test-time-regression layers
// (engine/attention/regression.h): the identities of Wang, Shi & Fox (2025)
// as algebra (recurrence == materialized form is in the shared operator table
// of test_attention.cpp): linear attention is one gradient step, orthonormal keys
// make linear attention = least squares = exact recall, recursive least
// squares equals the batch fit, DeltaNet with beta = 1 and unit keys stores
// each value exactly, local-linear with a huge ridge is Nadaraya-Watson.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "engine/attention/regression.h"
#include "engine/rng.h"

namespace {

std::vector<double> normal(pg::Rng& rng, size_t n, double sd = 1.0) {
  std::vector<double> v(n);
  for (double& x : v) x = rng.normal() * sd;
  return v;
}

double max_abs_diff(const std::vector<double>& a, const std::vector<double>& b) {
  REQUIRE(a.size() == b.size());
  double e = 0;
  for (size_t i = 0; i < a.size(); ++i) e = std::max(e, std::fabs(a[i] - b[i]));
  return e;
}

// Unit-norm rows.
void normalize_rows(std::vector<double>& X, int rows, int d) {
  for (int i = 0; i < rows; ++i) {
    double s = 0;
    for (int c = 0; c < d; ++c) s += X[size_t(i) * d + c] * X[size_t(i) * d + c];
    s = std::sqrt(s);
    for (int c = 0; c < d; ++c) X[size_t(i) * d + c] /= s;
  }
}

}  // namespace

TEST_CASE("regression: linear attention is one gradient step from M = 0 with step 1") {
  pg::Rng rng(1412);
  const int t = 13, dk = 6, dv = 4;
  const std::vector<double> K = normal(rng, size_t(t) * dk), V = normal(rng, size_t(t) * dv);
  std::vector<double> M_lin(size_t(dv) * dk), M_gd(size_t(dv) * dk, 0.0), Y(size_t(t) * dv);
  attn::ttr_linear_forward(K.data(), K.data(), V.data(), Y.data(), t, t, dk, dv, false, M_lin.data());
  attn::ttr_gd_step(M_gd.data(), K.data(), V.data(), t, dk, dv, 1.0);
  CHECK(max_abs_diff(M_lin, M_gd) < 1e-13);
  // And a second step is not linear attention any more (the check can fail).
  attn::ttr_gd_step(M_gd.data(), K.data(), V.data(), t, dk, dv, 1.0);
  CHECK(max_abs_diff(M_lin, M_gd) > 1e-3);
}

TEST_CASE("regression: orthonormal keys and t <= d: linear attention = least squares = exact recall") {
  pg::Rng rng(1413);
  const int d = 8, dv = 3;
  for (int t : {1, 5, 8}) {
    // Orthonormal keys: Gram-Schmidt on Gaussian vectors.
    std::vector<double> K = normal(rng, size_t(t) * d);
    for (int i = 0; i < t; ++i) {
      double* k = &K[size_t(i) * d];
      for (int j = 0; j < i; ++j) {
        const double* e = &K[size_t(j) * d];
        double p = 0;
        for (int c = 0; c < d; ++c) p += k[c] * e[c];
        for (int c = 0; c < d; ++c) k[c] -= p * e[c];
      }
      normalize_rows(K, t, d);
    }
    const std::vector<double> V = normal(rng, size_t(t) * dv);
    std::vector<double> lin(size_t(t) * dv), ls(lin.size()), M(size_t(dv) * d);
    attn::ttr_linear_forward(K.data(), K.data(), V.data(), lin.data(), t, t, d, dv, false);
    attn::ttr_least_squares_memory(K.data(), V.data(), t, d, dv, 1e-12, M.data());
    for (int i = 0; i < t; ++i)
      for (int r = 0; r < dv; ++r) {
        double s = 0;
        for (int c = 0; c < d; ++c) s += M[size_t(r) * d + c] * K[size_t(i) * d + c];
        ls[size_t(i) * dv + r] = s;
      }
    INFO("t=" << t);
    CHECK(max_abs_diff(lin, V) < 1e-12);
    CHECK(max_abs_diff(ls, V) < 1e-9);
  }
  // Correlated keys break linear attention but not least squares.
  const int t = 6;
  std::vector<double> K = normal(rng, size_t(t) * d);
  for (int i = 0; i < t; ++i) K[size_t(i) * d] += 3.0;  // a shared component
  normalize_rows(K, t, d);
  const std::vector<double> V = normal(rng, size_t(t) * dv);
  std::vector<double> lin(size_t(t) * dv), rls(lin.size());
  attn::ttr_linear_forward(K.data(), K.data(), V.data(), lin.data(), t, t, d, dv, false);
  attn::ttr_rls_forward(K.data(), K.data(), V.data(), rls.data(), t, t, d, dv, 1e-9, false);
  CHECK(max_abs_diff(lin, V) > 0.1);
  CHECK(max_abs_diff(rls, V) < 1e-5);
}

TEST_CASE("regression: recursive least squares equals the batch fit at every prefix") {
  pg::Rng rng(1414);
  const int t = 40, dk = 7, dv = 3;
  const std::vector<double> K = normal(rng, size_t(t) * dk), V = normal(rng, size_t(t) * dv);
  for (double lambda : {1e-3, 1.0, 100.0}) {
    std::vector<double> M_rls(size_t(dv) * dk), M_batch(M_rls.size()), Y(size_t(t) * dv);
    for (int prefix : {1, 3, 7, 40}) {
      attn::ttr_rls_forward(K.data(), K.data(), V.data(), Y.data(), prefix, prefix, dk, dv, lambda, false,
                            M_rls.data());
      attn::ttr_least_squares_memory(K.data(), V.data(), prefix, dk, dv, lambda, M_batch.data());
      INFO("lambda=" << lambda << " prefix=" << prefix);
      CHECK(max_abs_diff(M_rls, M_batch) < 1e-8);
    }
  }
}

TEST_CASE("regression: DeltaNet with beta = 1 and unit keys stores each new value exactly") {
  pg::Rng rng(1415);
  const int t = 30, dk = 5, dv = 4;  // t > dk: older pairs get overwritten, the newest never
  std::vector<double> K = normal(rng, size_t(t) * dk);
  normalize_rows(K, t, dk);
  const std::vector<double> V = normal(rng, size_t(t) * dv);
  std::vector<double> Y(size_t(t) * dv);
  // Causal, queries = keys: query j reads M_j right after pair j was written.
  attn::ttr_delta_forward(K.data(), K.data(), V.data(), 1.0, Y.data(), t, t, dk, dv, true);
  CHECK(max_abs_diff(Y, V) < 1e-12);
  attn::ttr_delta_forward(K.data(), K.data(), V.data(), 0.5, Y.data(), t, t, dk, dv, true);
  CHECK(max_abs_diff(Y, V) > 1e-2);  // beta = 1/2 only moves half way
}

TEST_CASE("regression: local-linear with a huge ridge is Nadaraya-Watson (softmax attention)") {
  pg::Rng rng(1416);
  const int t = 12, nq = 4, dk = 5, dv = 3;
  const double inv_tau = 2.0;
  const std::vector<double> Q = normal(rng, size_t(nq) * dk), K = normal(rng, size_t(t) * dk),
                            V = normal(rng, size_t(t) * dv);
  std::vector<double> Y(size_t(nq) * dv), nw(Y.size(), 0.0);
  attn::ttr_local_linear_forward(Q.data(), K.data(), V.data(), Y.data(), nq, t, dk, dv, inv_tau, 1e12, false);
  for (int i = 0; i < nq; ++i) {
    std::vector<double> s(static_cast<size_t>(t));
    double mx = -HUGE_VAL, sum = 0;
    for (int j = 0; j < t; ++j) {
      double d = 0;
      for (int c = 0; c < dk; ++c) d += Q[size_t(i) * dk + c] * K[size_t(j) * dk + c];
      mx = std::max(mx, s[size_t(j)] = inv_tau * d);
    }
    for (int j = 0; j < t; ++j) sum += (s[size_t(j)] = std::exp(s[size_t(j)] - mx));
    for (int j = 0; j < t; ++j)
      for (int r = 0; r < dv; ++r) nw[size_t(i) * dv + r] += s[size_t(j)] / sum * V[size_t(j) * dv + r];
  }
  CHECK(max_abs_diff(Y, nw) < 1e-9);
}

TEST_CASE("regression: finite outputs for scores up to 1e4 and large keys") {
  pg::Rng rng(1417);
  const int t = 20, dk = 4, dv = 3;
  const std::vector<double> Q = normal(rng, size_t(t) * dk, 1e2), K = normal(rng, size_t(t) * dk, 1e2),
                            V = normal(rng, size_t(t) * dv);
  std::vector<double> Y(size_t(t) * dv);
  for (int causal = 0; causal < 2; ++causal) {
    attn::ttr_local_linear_forward(Q.data(), K.data(), V.data(), Y.data(), t, t, dk, dv, 1.0, 1e-3, causal);
    for (double y : Y) CHECK(std::isfinite(y));
    attn::ttr_local_linear_forward_ref(Q.data(), K.data(), V.data(), Y.data(), t, t, dk, dv, 1.0, 1e-3, causal);
    for (double y : Y) CHECK(std::isfinite(y));
    attn::ttr_rls_forward(Q.data(), K.data(), V.data(), Y.data(), t, t, dk, dv, 1e-6, causal);
    for (double y : Y) CHECK(std::isfinite(y));
    attn::ttr_delta_forward(Q.data(), K.data(), V.data(), 1e-5, Y.data(), t, t, dk, dv, causal);
    for (double y : Y) CHECK(std::isfinite(y));
  }
}
