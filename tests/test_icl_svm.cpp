// test_icl_svm.cpp - lesson transformers-as-svm (Tarzanagh et al. 2023): the
// Att-SVM solver meets KKT, and normalized GD on attention goes to its direction.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "engine/icl/att_svm.h"

TEST_CASE("transformers-as-svm: the Att-SVM solution satisfies KKT to 1e-8") {
  struct Case {
    int n, T, d;
    uint64_t seed;
  };
  for (Case c : {Case{1, 6, 8, 1}, Case{4, 5, 6, 9}, Case{6, 8, 10, 3}, Case{3, 3, 2, 5}}) {
    pg::Rng rng(c.seed);
    icl::AttSvmData data;
    icl::sample_att_svm(c.n, c.T, c.d, rng, data);
    const std::vector<int> opt = icl::optimal_tokens(data);
    const icl::AttSvmSolution sol = icl::solve_att_svm(data, opt);
    REQUIRE(sol.feasible);
    const icl::KktResiduals kkt = icl::att_svm_kkt(data, sol);
    INFO("n " << c.n << " T " << c.T << " d " << c.d << ": primal " << kkt.primal << " dual " << kkt.dual
              << " complementarity " << kkt.complementarity << " stationarity " << kkt.stationarity);
    CHECK(kkt.primal < 1e-8);
    CHECK(kkt.dual < 1e-8);
    CHECK(kkt.complementarity < 1e-8);
    CHECK(kkt.stationarity < 1e-8);
    // KKT is sufficient for this convex QP; at least one constraint is tight.
    int active = 0;
    for (double l : sol.lambda) active += l > 0;
    CHECK(active >= 1);
  }
}

TEST_CASE("transformers-as-svm: the loss gradient in W matches finite differences") {
  pg::Rng rng(2);
  icl::AttSvmData data;
  icl::sample_att_svm(3, 4, 3, rng, data);
  std::vector<double> W(9), g(9);
  for (double& w : W) w = rng.uniform(-1, 1);
  icl::att_loss_grad(data, W.data(), g.data());
  for (int j = 0; j < 9; ++j) {
    const double h = 1e-6;
    std::vector<double> plus = W, minus = W, scratch(9);
    plus[j] += h;
    minus[j] -= h;
    const double fd = (icl::att_loss_grad(data, plus.data(), scratch.data()) -
                       icl::att_loss_grad(data, minus.data(), scratch.data())) / (2 * h);
    CHECK(std::fabs(fd - g[j]) < 1e-8);
  }
}

TEST_CASE("transformers-as-svm: normalized GD on W (and on W = K Q^T) aligns with W_mm (> 0.99)") {
  // One sample: always separable (unit-norm tokens are all vertices of their hull).
  pg::Rng rng(1);
  icl::AttSvmData data;
  icl::sample_att_svm(1, 6, 8, rng, data);
  const std::vector<int> opt = icl::optimal_tokens(data);
  const icl::AttSvmSolution sol = icl::solve_att_svm(data, opt);
  for (bool factorized : {false, true}) {
    icl::AttGdConfig config;
    config.factorized = factorized;
    icl::AttGdRun run;
    run.reset(data, config);
    const double start_corr = run.correlation(sol.W);
    run.step(1000, 1e9);
    INFO("factorized " << factorized << ": correlation " << start_corr << " -> " << run.correlation(sol.W));
    CHECK(run.correlation(sol.W) > 0.99);
    CHECK(run.opt_token_prob() > 0.999);  // the attention has selected the optimal token
    CHECK(icl::selected_tokens(data, run.W().data())[0] == opt[0]);
    CHECK(run.norm() > 10.0);  // ||W|| grows without bound; only the direction converges
  }
}
