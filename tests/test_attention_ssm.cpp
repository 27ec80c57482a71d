// test_attention_ssm.cpp - the DSF recurrent layers (engine/attention/ssm.h):
// S6 with A = 0 is unnormalized linear attention, gates stay in range and
// extreme inputs give finite outputs.  (Recurrence == materialized Phi is in
// the shared operator table of test_attention.cpp.)
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "engine/attention/attention.h"
#include "engine/attention/regression.h"
#include "engine/attention/ssm.h"
#include "engine/rng.h"

namespace {

std::vector<double> normal(pg::Rng& rng, size_t n, double sd = 1.0) {
  std::vector<double> v(n);
  for (double& x : v) x = rng.normal() * sd;
  return v;
}
std::vector<double> uniform(pg::Rng& rng, size_t n, double lo, double hi) {
  std::vector<double> v(n);
  for (double& x : v) x = rng.uniform(lo, hi);
  return v;
}

}  // namespace

TEST_CASE("ssm: S6 with A = 0 is unnormalized causal linear attention (q = C_i, k = delta_j B_j)") {
  pg::Rng rng(1403);
  const int L = 29, n = 6, dv = 3;
  const std::vector<double> u = normal(rng, size_t(L) * dv), B = normal(rng, size_t(L) * n),
                            C = normal(rng, size_t(L) * n), A(size_t(dv) * n, 0.0);
  std::vector<double> delta(size_t(L) * dv), Kd(size_t(L) * n);
  // One step per token shared by the channels, so that the keys are the same for every channel.
  for (int i = 0; i < L; ++i) {
    const double d = attn::softplus(float(rng.normal()));
    for (int c = 0; c < dv; ++c) delta[size_t(i) * dv + c] = d;
    for (int s = 0; s < n; ++s) Kd[size_t(i) * n + s] = d * B[size_t(i) * n + s];
  }
  std::vector<double> y(size_t(L) * dv), lin(size_t(L) * dv);
  attn::s6_forward(u.data(), delta.data(), A.data(), B.data(), C.data(), y.data(), L, dv, n);
  attn::ttr_linear_forward_ref(C.data(), Kd.data(), u.data(), lin.data(), L, L, n, dv, true);
  double err = 0;
  for (size_t i = 0; i < y.size(); ++i) err = std::max(err, std::fabs(y[i] - lin[i]));
  CHECK(err < 1e-12);
}

TEST_CASE("ssm: S6 with a shared step equals S6 with that step repeated per channel") {
  pg::Rng rng(1405);
  const int L = 23, n = 7, dv = 4;
  const std::vector<double> u = normal(rng, size_t(L) * dv), B = normal(rng, size_t(L) * n),
                            C = normal(rng, size_t(L) * n), A = uniform(rng, size_t(n), -1.5, 0.0);
  std::vector<double> delta(L), delta_rep(size_t(L) * dv), A_rep(size_t(dv) * n);
  for (int i = 0; i < L; ++i) {
    delta[size_t(i)] = attn::softplus(float(rng.normal()));
    for (int c = 0; c < dv; ++c) delta_rep[size_t(i) * dv + c] = delta[size_t(i)];
  }
  for (int c = 0; c < dv; ++c)
    for (int s = 0; s < n; ++s) A_rep[size_t(c) * n + s] = A[size_t(s)];
  std::vector<double> y(size_t(L) * dv), y_rep(y.size());
  attn::s6_shared_forward(u.data(), delta.data(), A.data(), B.data(), C.data(), y.data(), L, dv, n);
  attn::s6_forward(u.data(), delta_rep.data(), A_rep.data(), B.data(), C.data(), y_rep.data(), L, dv, n);
  double err = 0;
  for (size_t i = 0; i < y.size(); ++i) err = std::max(err, std::fabs(y[i] - y_rep[i]));
  CHECK(err < 1e-12);
}

TEST_CASE("ssm: gates in range; extreme inputs give finite outputs") {
  for (double f : {-1e4, -30.0, 0.0, 30.0, 1e4}) {
    for (double alpha : {-1.0, 0.0, 0.5, 1.0, 8.0}) {
      const double a = attn::qlstm_forget_gate(f, alpha);
      CHECK(a >= 0.0);
      CHECK(a <= 1.0);
    }
    CHECK(attn::sigmoid(f) >= 0.0);
    CHECK(attn::sigmoid(f) <= 1.0);
  }
  // Inputs of 1e4, steps softplus(+-1e4), A as negative as -1e4.
  pg::Rng rng(1404);
  const int L = 40, n = 5, dv = 2;
  std::vector<double> u = normal(rng, size_t(L) * dv, 1e4), B = normal(rng, size_t(L) * n, 1e2),
                      C = normal(rng, size_t(L) * n, 1e2), A = uniform(rng, size_t(dv) * n, -1e4, 0.0);
  std::vector<double> delta(size_t(L) * dv);
  for (size_t i = 0; i < delta.size(); ++i) delta[i] = attn::softplus(i % 2 ? 1e4f : -1e4f);
  std::vector<double> y(size_t(L) * dv), phi(size_t(dv) * L * L);
  attn::s6_forward(u.data(), delta.data(), A.data(), B.data(), C.data(), y.data(), L, dv, n);
  attn::s6_phi(delta.data(), A.data(), B.data(), C.data(), phi.data(), L, dv, n);
  for (double v : y) CHECK(std::isfinite(v));
  for (double v : phi) CHECK(std::isfinite(v));
  std::vector<double> a(size_t(L) * dv), g(a.size()), o(a.size());
  for (size_t i = 0; i < a.size(); ++i) {
    a[i] = attn::qlstm_forget_gate(i % 3 ? -1e4 : 1e4, 1.0);
    g[i] = attn::sigmoid(i % 2 ? 1e4 : -1e4), o[i] = attn::sigmoid(1e4);
  }
  attn::gated_rnn_forward(u.data(), a.data(), g.data(), o.data(), y.data(), L, dv);
  for (double v : y) CHECK(std::isfinite(v));
}
