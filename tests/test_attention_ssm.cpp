// test_attention_ssm.cpp - the DSF recurrent layers (engine/attention/ssm.h):
// the recurrence equals the materialized Phi on odd shapes, S6 with A = 0 is
// unnormalized linear attention, gates stay in range and extreme inputs give
// finite outputs.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

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

// y = Phi u for one (L, L) block of Phi and u with stride `stride` at offset `ch`.
double max_err_phi(const std::vector<double>& phi, size_t off, const std::vector<double>& u,
                   const std::vector<double>& y, int L, int stride, int ch) {
  double err = 0;
  for (int i = 0; i < L; ++i) {
    double s = 0;
    for (int j = 0; j < L; ++j) {
      const double p = phi[off + size_t(i) * L + j];
      if (j > i) CHECK(p == 0.0);  // causal: lower-triangular
      s += p * u[size_t(j) * stride + ch];
    }
    err = std::max(err, std::fabs(s - y[size_t(i) * stride + ch]) / (1.0 + std::fabs(s)));
  }
  return err;
}

struct Shape { int L, n, channels; };
const Shape kShapes[] = {{1, 1, 1}, {3, 3, 2}, {17, 4, 3}, {33, 16, 1}, {64, 17, 2}, {255, 2, 1}, {257, 1, 1}};

}  // namespace

TEST_CASE("ssm: S6 recurrence equals its materialized Phi (odd shapes)") {
  pg::Rng rng(1401);
  for (const Shape& s : kShapes) {
    const int L = s.L, n = s.n, dv = s.channels;
    const std::vector<double> u = normal(rng, size_t(L) * dv), B = normal(rng, size_t(L) * n),
                              C = normal(rng, size_t(L) * n), A = uniform(rng, size_t(dv) * n, -2.0, 0.0);
    std::vector<double> delta(size_t(L) * dv);
    for (double& d : delta) d = attn::softplus(rng.normal());
    std::vector<double> y(size_t(L) * dv), phi(size_t(dv) * L * L);
    attn::s6_forward(u.data(), delta.data(), A.data(), B.data(), C.data(), y.data(), L, dv, n);
    attn::s6_phi(delta.data(), A.data(), B.data(), C.data(), phi.data(), L, dv, n);
    INFO("L=" << L << " n=" << n << " dv=" << dv);
    for (int ch = 0; ch < dv; ++ch) CHECK(max_err_phi(phi, size_t(ch) * L * L, u, y, L, dv, ch) < 1e-12);
  }
}

TEST_CASE("ssm: gated RNN recurrence equals its materialized Phi (odd shapes)") {
  pg::Rng rng(1402);
  for (const Shape& s : kShapes) {
    const int L = s.L, H = s.channels * s.n;
    const std::vector<double> x = normal(rng, size_t(L) * H);
    std::vector<double> a(size_t(L) * H), g(a.size()), o(a.size());
    for (size_t i = 0; i < a.size(); ++i) {
      a[i] = attn::qlstm_forget_gate(rng.normal(), 1.0);
      g[i] = attn::sigmoid(rng.normal()), o[i] = attn::sigmoid(rng.normal());
    }
    std::vector<double> y(size_t(L) * H), phi(size_t(H) * L * L);
    attn::gated_rnn_forward(x.data(), a.data(), g.data(), o.data(), y.data(), L, H);
    attn::gated_rnn_phi(a.data(), g.data(), o.data(), phi.data(), L, H);
    INFO("L=" << L << " H=" << H);
    for (int h = 0; h < H; ++h) CHECK(max_err_phi(phi, size_t(h) * L * L, x, y, L, H, h) < 1e-12);
  }
}

TEST_CASE("ssm: S6 with A = 0 is unnormalized causal linear attention (q = C_i, k = delta_j B_j)") {
  pg::Rng rng(1403);
  const int L = 29, n = 6, dv = 3;
  const std::vector<double> u = normal(rng, size_t(L) * dv), B = normal(rng, size_t(L) * n),
                            C = normal(rng, size_t(L) * n), A(size_t(dv) * n, 0.0);
  std::vector<double> delta(size_t(L) * dv), Kd(size_t(L) * n);
  // One step per token shared by the channels, so that the keys are the same for every channel.
  for (int i = 0; i < L; ++i) {
    const double d = attn::softplus(rng.normal());
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

TEST_CASE("ssm: gates in range; extreme inputs give finite outputs") {
  for (double f : {-1e4, -30.0, 0.0, 30.0, 1e4}) {
    for (double alpha : {-1.0, 0.0, 0.5, 1.0, 8.0}) {
      const double a = attn::qlstm_forget_gate(f, alpha);
      CHECK(a >= 0.0);
      CHECK(a <= 1.0);
    }
    CHECK(attn::sigmoid(f) >= 0.0);
    CHECK(attn::sigmoid(f) <= 1.0);
    CHECK(std::isfinite(attn::softplus(f)));
    CHECK(attn::softplus(f) >= 0.0);
  }
  CHECK(attn::softplus(1e4) == doctest::Approx(1e4));
  // Inputs of 1e4, steps softplus(+-1e4), A as negative as -1e4.
  pg::Rng rng(1404);
  const int L = 40, n = 5, dv = 2;
  std::vector<double> u = normal(rng, size_t(L) * dv, 1e4), B = normal(rng, size_t(L) * n, 1e2),
                      C = normal(rng, size_t(L) * n, 1e2), A = uniform(rng, size_t(dv) * n, -1e4, 0.0);
  std::vector<double> delta(size_t(L) * dv);
  for (size_t i = 0; i < delta.size(); ++i) delta[i] = attn::softplus(i % 2 ? 1e4 : -1e4);
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
