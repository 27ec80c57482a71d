// test_icl_lsa.cpp - linear self-attention (lesson icl-gd; von Oswald et al. 2023):
// the hand-built layers are gradient descent, and the backward is right.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "engine/icl/baselines.h"
#include "engine/icl/lsa.h"
#include "engine/icl/normal.h"
#include "engine/icl/prompts.h"
#include "engine/icl/risk_curves.h"

TEST_CASE("icl-gd: K constructed LSA layers == K steps of GD from w = 0 (1e-12, K = 1..5)") {
  icl::PromptConfig c;
  c.d = 10;
  c.n = 20;
  c.noise_var = 0.1;
  c.prior = icl::TaskPrior::isotropic;
  icl::PromptBatch batch;
  batch.resize(8, c.n, c.d);
  pg::Rng rng(42);
  icl::sample_prompts(c, rng, batch);
  const double eta = 0.5;  // stable: below 2 / lambda_max(X^T X / n) for d/n = 1/2
  for (int K = 1; K <= 5; ++K) {
    icl::LsaShape shape;
    shape.d = c.d;
    shape.layers = K;
    std::vector<double> params(shape.num_params());
    icl::lsa_set_gd_construction(shape, params.data(), eta);
    icl::LsaStack<double> lsa;
    for (int b = 0; b < batch.B; ++b) {
      const double pred = lsa.predict(shape, params.data(), batch.x_of(b), batch.y_of(b), c.n, batch.xq_of(b));
      const double gd = icl::predict_gd_steps(batch.x_of(b), batch.y_of(b), c.n, c.d, eta, K, batch.xq_of(b));
      INFO("K = " << K << " prompt " << b);
      CHECK(std::fabs(pred - gd) < 1e-12);
      // The stacking semantics: after layer k each context y-slot holds the
      // residual y_i - w_k^T x_i of the k-th GD iterate, and the x-slots are untouched.
      for (int k = 1; k <= K; ++k) {
        const double* E = lsa.tokens_after(k);
        for (int i = 0; i < c.n; ++i) {
          const double fit = icl::predict_gd_steps(batch.x_of(b), batch.y_of(b), c.n, c.d, eta, k, batch.x_of(b) + i * c.d);
          CHECK(std::fabs(E[i * (c.d + 1) + c.d] - (batch.y_of(b)[i] - fit)) < 1e-12);
          CHECK(E[i * (c.d + 1)] == batch.x_of(b)[i * c.d]);
        }
      }
    }
  }
  // One layer is one GD step: the same as the one-step GD baseline.
  icl::LsaShape one;
  one.d = c.d;
  std::vector<double> params(one.num_params());
  icl::lsa_set_gd_construction(one, params.data(), 0.77);
  icl::LsaStack<double> lsa;
  const double pred = lsa.predict(one, params.data(), batch.x_of(0), batch.y_of(0), c.n, batch.xq_of(0));
  CHECK(std::fabs(pred - icl::predict_gd(batch.x_of(0), batch.y_of(0), c.n, c.d, 0.77, batch.xq_of(0))) < 1e-12);
}

TEST_CASE("icl-gd: LSA backward matches finite differences (double)") {
  icl::LsaShape shape;
  shape.d = 3;
  shape.layers = 2;
  const int n = 6, D = shape.D(), P = shape.num_params();
  pg::Rng rng(7);
  std::vector<double> params(P), tokens((n + 1) * D);
  icl::fill_normal(rng, params.data(), P, 0.4);
  icl::fill_normal(rng, tokens.data(), (n + 1) * D);
  tokens[n * D + shape.d] = 0.0;  // the query's y-slot starts at 0
  const double target = 0.3;
  icl::LsaStack<double> lsa;
  auto loss = [&](const std::vector<double>& p) {
    const double err = lsa.forward(shape, p.data(), tokens.data(), n) - target;
    return 0.5 * err * err;
  };
  const double err = lsa.forward(shape, params.data(), tokens.data(), n) - target;
  std::vector<double> grads(P, 0.0);
  lsa.backward(shape, params.data(), err, grads.data());
  double max_rel = 0;
  for (int i = 0; i < P; ++i) {
    const double h = 1e-6;
    std::vector<double> plus = params, minus = params;
    plus[i] += h;
    minus[i] -= h;
    const double fd = (loss(plus) - loss(minus)) / (2 * h);
    const double rel = std::fabs(fd - grads[i]) / std::max(1e-8, std::fabs(fd) + std::fabs(grads[i]));
    max_rel = std::max(max_rel, std::fabs(fd - grads[i]) > 1e-9 ? rel : 0.0);
  }
  INFO("max relative error " << max_rel);
  CHECK(max_rel < 1e-6);
}

TEST_CASE("icl-gd: risk curves put the constructed LSA on the tuned-GD curve") {
  icl::PromptConfig c;
  c.d = 10;
  c.noise_var = 0.0;
  c.prior = icl::TaskPrior::isotropic;
  const std::vector<icl::RiskCurvePoint> curve = icl::risk_curves(c, {5, 20, 60}, 2000, 1, 0.0, 3);
  REQUIRE(curve.size() == 3);
  for (const icl::RiskCurvePoint& p : curve) {
    INFO("n " << p.n << " lsa " << p.lsa << " gd " << p.mc.gd << " closed " << p.gd_tuned_closed);
    CHECK(p.lsa == doctest::Approx(p.mc.gd).epsilon(1e-10));  // one layer == one tuned GD step, same prompts
    CHECK(p.lsa_closed == doctest::Approx(p.gd_tuned_closed));
    CHECK(p.mc.gd == doctest::Approx(p.gd_tuned_closed).epsilon(0.1));
    CHECK(p.mc.averaging == doctest::Approx(p.averaging_closed).epsilon(0.15));
    CHECK(p.mc.ridge <= p.mc.gd + 1e-12);  // noiseless ridge is OLS: optimal here
  }
  CHECK(curve[0].mc.ols == doctest::Approx(0.5).epsilon(0.1));  // 1 - n/d at n = 5
  CHECK(curve[2].mc.ols < 1e-10);                               // interpolation above d
  CHECK(curve[2].mc.knn > curve[2].mc.gd);                      // 3-NN is the weak baseline in d = 10
}
