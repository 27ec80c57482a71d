// test_nn_tract.cpp - engine/nn/tract (LESSONS.md #23, method-notes "tract"):
// the full (b >= n) and batch (b < n) branches of TrAct's first-layer gradient
// agree to 1e-10 in float64, from G and from grad_W = G^T A alike; lambda -> 0
// with b < n gives the activation step (g~ A^T = b G^T: dZ = -eta b G);
// lambda -> inf gives lambda g~ -> G^T A; the trainer wrapper nn::tract_transform
// applies the full branch's result to a model's first layer.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "engine/nn/tract.h"
#include "engine/rng.h"

namespace {
double max_abs_diff(const std::vector<double>& a, const std::vector<double>& b) {
  double d = 0;
  for (size_t i = 0; i < a.size(); ++i) d = std::max(d, std::fabs(a[i] - b[i]));
  return d;
}
void random_fill(std::vector<double>& v, pg::Rng& rng) {
  for (double& x : v) x = rng.normal();
}
std::vector<double> gta(const std::vector<double>& G, const std::vector<double>& A, int b, int m, int n) {
  std::vector<double> out(size_t(m) * n, 0.0);
  for (int r = 0; r < b; ++r)
    for (int o = 0; o < m; ++o)
      for (int j = 0; j < n; ++j) out[size_t(o) * n + j] += G[size_t(r) * m + o] * A[size_t(r) * n + j];
  return out;
}
}  // namespace

TEST_CASE("tract: the two branches agree to 1e-10 in float64, from G and from grad_W") {
  pg::Rng rng(7);
  struct Shape { int b, m, n; };
  for (Shape s : {Shape{3, 2, 5}, Shape{1, 3, 17}, Shape{17, 4, 9}, Shape{8, 5, 8}, Shape{20, 3, 33}}) {
    for (double lambda : {1e-2, 0.1, 1.0, 10.0}) {
      CAPTURE(s.b);
      CAPTURE(s.n);
      CAPTURE(lambda);
      std::vector<double> G(size_t(s.b) * s.m), A(size_t(s.b) * s.n), full(size_t(s.m) * s.n), batch(full.size());
      random_fill(G, rng), random_fill(A, rng);
      REQUIRE(nn::tract_gradient_from_G_full(G.data(), A.data(), s.b, s.m, s.n, lambda, full.data()));
      REQUIRE(nn::tract_gradient_from_G_batch(G.data(), A.data(), s.b, s.m, s.n, lambda, batch.data()));
      double scale = 0;
      for (double v : full) scale = std::max(scale, std::fabs(v));
      CHECK(max_abs_diff(full, batch) <= 1e-10 * std::max(1.0, scale));
      nn::TractScratch scratch;
      for (int branch : {0, 1}) {
        std::vector<double> g = gta(G, A, s.b, s.m, s.n);
        REQUIRE(nn::tract_transform_weight_grad(g.data(), A.data(), s.b, s.m, s.n, lambda, scratch, branch));
        CHECK(max_abs_diff(g, full) <= 1e-10 * std::max(1.0, scale));
      }
    }
  }
}

TEST_CASE("tract: lambda -> 0 with b < n is the activation step; lambda -> inf gives lambda g~ -> G^T A") {
  pg::Rng rng(11);
  const int b = 4, m = 3, n = 12;
  std::vector<double> G(size_t(b) * m), A(size_t(b) * n), g(size_t(m) * n);
  random_fill(G, rng), random_fill(A, rng);
  // lambda -> 0: g~ = G^T (A A^T / b)^-1 A, so the change of Z = A W^T under W -= eta g~ is
  // -eta A g~^T = -eta b G: every pre-activation moves by its own gradient, whatever the input's scale.
  REQUIRE(nn::tract_gradient_from_G_batch(G.data(), A.data(), b, m, n, 1e-12, g.data()));
  double err = 0;
  for (int r = 0; r < b; ++r)
    for (int o = 0; o < m; ++o) {
      double dz = 0;
      for (int j = 0; j < n; ++j) dz += A[size_t(r) * n + j] * g[size_t(o) * n + j];
      err = std::max(err, std::fabs(dz - b * G[size_t(r) * m + o]));
    }
  CHECK(err < 1e-8);
  // lambda -> inf: lambda g~ -> G^T A at rate 1 / lambda.
  const std::vector<double> plain = gta(G, A, b, m, n);
  double prev = INFINITY;
  for (double lambda : {1e2, 1e3, 1e4}) {
    REQUIRE(nn::tract_gradient_from_G_full(G.data(), A.data(), b, m, n, lambda, g.data()));
    for (double& v : g) v *= lambda;
    const double e = max_abs_diff(g, plain);
    CHECK(e < prev * 0.2);
    prev = e;
  }
  CHECK(prev < 1e-2);
}

// nn::tract_transform, the trainer's gradient transform: on a one-layer model
// (Z = logits, so G = dout) it turns the float gradient G^T A into the full
// branch's G^T A (A^T A / b + lambda I)^-1 (float rounding only) and leaves
// the bias gradient alone.
TEST_CASE("tract: the trainer transform gives TrAct's gradient on the first layer and keeps the bias gradient") {
  const int b = 6, n = 9, m = 4;
  const double lambda = 0.1;
  pg::Rng rng(5);
  nn::Model model;
  REQUIRE(model.init(nn::mlp(n, {}, m), b, rng));
  std::vector<float> x(size_t(b) * n), dout(size_t(b) * m);
  for (float& v : x) v = float(rng.normal());
  for (float& v : dout) v = float(rng.normal());
  model.forward(x.data(), b);
  model.zero_grad();
  model.backward(dout.data());
  const std::vector<float> bias_before(model.grads() + model.weight_count(0),
                                       model.grads() + model.param_count(0));
  nn::Batch batch;
  batch.x = x.data();
  batch.B = b;
  nn::tract_transform(lambda)(0, model, batch);
  std::vector<double> G(dout.begin(), dout.end()), A(x.begin(), x.end()), want(size_t(m) * n);
  REQUIRE(nn::tract_gradient_from_G_full(G.data(), A.data(), b, m, n, lambda, want.data()));
  double err = 0, scale = 0;
  for (int i = 0; i < m * n; ++i) {
    err = std::max(err, std::fabs(double(model.grads()[i]) - want[size_t(i)]));
    scale = std::max(scale, std::fabs(want[size_t(i)]));
  }
  CHECK(scale > 0.01);
  CHECK(err <= 1e-5 * scale);
  for (int i = 0; i < m; ++i) CHECK(model.grads()[model.weight_count(0) + i] == bias_before[size_t(i)]);
}
