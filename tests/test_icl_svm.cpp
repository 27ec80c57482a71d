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

// ------------------------------------------------------ nuclear-norm Att-SVM
namespace {

// A hand-built problem: sample i has T = 2 tokens, x_opt = e_r and x_1 = 0, and
// the query z = e_c, so its one constraint reads W_rc >= 1.
icl::AttSvmData entry_constraints(const std::vector<std::pair<int, int>>& entries, int d) {
  icl::AttSvmData data;
  data.n = int(entries.size());
  data.T = 2;
  data.d = d;
  data.X.assign(size_t(data.n) * 2 * d, 0.0);
  data.z.assign(size_t(data.n) * d, 0.0);
  data.Y.assign(size_t(data.n), 1.0);
  data.v.assign(size_t(d), 0.0);
  for (int i = 0; i < data.n; ++i) {
    data.X[size_t(i) * 2 * d + entries[i].first] = 1.0;  // token 0 = e_r, token 1 = 0
    data.z[size_t(i) * d + entries[i].second] = 1.0;
  }
  return data;
}

double min_constraint(const icl::AttSvmData& data, const std::vector<int>& opt, const std::vector<double>& W) {
  double m = INFINITY;
  const int d = data.d;
  for (int i = 0; i < data.n; ++i)
    for (int t = 0; t < data.T; ++t) {
      if (t == opt[i]) continue;
      double acc = 0;
      for (int r = 0; r < d; ++r)
        for (int c = 0; c < d; ++c)
          acc += (data.token(i, opt[i])[r] - data.token(i, t)[r]) * W[size_t(r) * d + c] * data.query(i)[c];
      m = std::min(m, acc);
    }
  return m;
}

}  // namespace

TEST_CASE("transformers-as-svm: nuclear-norm SVM on a known case (W11, W22, W12 >= 1)") {
  // Frobenius: [[1, 1], [0, 1]] with ||.||_* = sqrt 5.  Nuclear: ||W||_* >= tr W >= 2, with
  // equality only for a symmetric PSD W with unit diagonal and W12 >= 1: [[1, 1], [1, 1]].
  const icl::AttSvmData data = entry_constraints({{0, 0}, {1, 1}, {0, 1}}, 2);
  const std::vector<int> opt(3, 0);
  const icl::AttSvmSolution fro = icl::solve_att_svm(data, opt);
  const double fro_expected[4] = {1, 1, 0, 1};
  for (int j = 0; j < 4; ++j) CHECK(fro.W[j] == doctest::Approx(fro_expected[j]).epsilon(1e-10));
  CHECK(icl::nuclear_norm(fro.W.data(), 2) == doctest::Approx(std::sqrt(5.0)).epsilon(1e-12));
  const icl::NuclearSvmSolution nuc = icl::solve_att_svm_nuclear(data, opt);
  INFO("iterations " << nuc.iterations << " gap " << nuc.gap << " W " << nuc.W[0] << " " << nuc.W[1] << " " << nuc.W[2]
                     << " " << nuc.W[3]);
  CHECK(nuc.feasible);
  CHECK(nuc.gap < 1e-8);
  CHECK(nuc.nuclear_norm == doctest::Approx(2.0).epsilon(1e-8));
  for (int j = 0; j < 4; ++j) CHECK(nuc.W[j] == doctest::Approx(1.0).epsilon(1e-4));
  CHECK(nuc.rank == 1);
  CHECK(min_constraint(data, opt, nuc.W) >= 1.0 - 1e-12);
}

TEST_CASE("transformers-as-svm: nuclear = Frobenius SVM for one sample and for d = 1") {
  for (uint64_t seed : {1, 2, 3, 4}) {
    pg::Rng rng(seed);
    icl::AttSvmData data;
    icl::sample_att_svm(1, 5, 2 + int(seed) % 4, rng, data);
    const std::vector<int> opt = icl::optimal_tokens(data);
    const icl::AttSvmSolution fro = icl::solve_att_svm(data, opt);
    const icl::NuclearSvmSolution nuc = icl::solve_att_svm_nuclear(data, opt);
    CAPTURE(seed);
    CHECK(nuc.gap < 1e-8);
    CHECK(nuc.rank == 1);
    CHECK(icl::matrix_correlation(nuc.W.data(), fro.W.data(), int(fro.W.size())) > 1 - 1e-8);
    CHECK(nuc.nuclear_norm == doctest::Approx(icl::nuclear_norm(fro.W.data(), data.d)).epsilon(1e-8));
  }
  // d = 1: W is a number, |W| is both norms.  Constraints 2 W >= 1 and 0.5 W >= 1: W = 2.
  icl::AttSvmData data;
  data.n = 2, data.T = 2, data.d = 1;
  data.X = {1.0, -1.0, 0.5, 0.0};
  data.z = {1.0, 1.0};
  data.Y = {1.0, 1.0};
  data.v = {1.0};
  const std::vector<int> opt = {0, 0};
  const icl::NuclearSvmSolution nuc = icl::solve_att_svm_nuclear(data, opt);
  CHECK(nuc.W[0] == doctest::Approx(2.0).epsilon(1e-9));
  CHECK(icl::solve_att_svm(data, opt).W[0] == doctest::Approx(2.0).epsilon(1e-9));
}

TEST_CASE("transformers-as-svm: the nuclear SVM is feasible, certified, and below the Frobenius solution's ||.||_*") {
  struct Case {
    int n, T, d;
    uint64_t seed;
  };
  int lower_than_fro = 0;
  for (Case c : {Case{2, 4, 3, 1}, Case{3, 4, 4, 2}, Case{4, 5, 6, 9}, Case{3, 3, 2, 5}, Case{5, 6, 8, 7}, Case{2, 6, 3, 1}}) {
    pg::Rng rng(c.seed);
    icl::AttSvmData data;
    icl::sample_att_svm(c.n, c.T, c.d, rng, data);
    const std::vector<int> opt = icl::optimal_tokens(data);
    const icl::AttSvmSolution fro = icl::solve_att_svm(data, opt);
    if (icl::att_svm_kkt(data, fro).primal > 1e-6) continue;  // not separable
    const icl::NuclearSvmSolution nuc = icl::solve_att_svm_nuclear(data, opt);
    const double fro_nuclear = icl::nuclear_norm(fro.W.data(), c.d);
    INFO("n " << c.n << " T " << c.T << " d " << c.d << ": ||W_*||_* " << nuc.nuclear_norm << " dual " << nuc.dual_value
              << " gap " << nuc.gap << " iterations " << nuc.iterations << " rank " << nuc.rank
              << "; Frobenius solution's ||.||_* " << fro_nuclear);
    CHECK(nuc.feasible);
    CHECK(min_constraint(data, opt, nuc.W) >= 1.0 - 1e-12);  // the margins hold
    CHECK(nuc.gap < 1e-6);                                   // certified optimal to 1e-6
    CHECK(nuc.dual_value <= nuc.nuclear_norm);
    CHECK(nuc.nuclear_norm <= fro_nuclear * (1 + 1e-12));
    for (double l : nuc.lambda) CHECK(l >= 0.0);
    CHECK(icl::nuclear_norm(nuc.W.data(), c.d) == doctest::Approx(nuc.nuclear_norm).epsilon(1e-12));
    lower_than_fro += nuc.nuclear_norm < fro_nuclear * (1 - 1e-4);
  }
  CHECK(lower_than_fro >= 2);  // the two SVMs differ in general
}

TEST_CASE("transformers-as-svm: the rescaled gradient has the gradient's direction and survives saturation") {
  pg::Rng rng(4);
  icl::AttSvmData data;
  icl::sample_att_svm(3, 5, 4, rng, data);
  std::vector<double> W(16), g(16), dir(16);
  for (double& w : W) w = rng.uniform(-1, 1);
  const double loss = icl::att_loss_grad(data, W.data(), g.data());
  double log_scale = 0;
  CHECK(icl::att_loss_grad_direction(data, W.data(), dir.data(), &log_scale) == doctest::Approx(loss).epsilon(1e-13));
  CHECK(icl::matrix_correlation(g.data(), dir.data(), 16) > 1 - 1e-12);
  for (int j = 0; j < 16; ++j) CHECK(dir[j] * std::exp(log_scale) == doctest::Approx(g[j]).epsilon(1e-9));
  // Far along the SVM direction the plain gradient underflows to 0; the direction does not.
  const std::vector<int> opt = icl::optimal_tokens(data);
  const icl::AttSvmSolution sol = icl::solve_att_svm(data, opt);
  std::vector<double> far(sol.W);
  for (double& w : far) w *= 2000;
  icl::att_loss_grad(data, far.data(), g.data());
  icl::att_loss_grad_direction(data, far.data(), dir.data());
  double g2 = 0, dir2 = 0;
  for (int j = 0; j < 16; ++j) g2 += g[j] * g[j], dir2 += dir[j] * dir[j];
  CHECK(g2 == 0.0);
  CHECK(dir2 > 1e-6);
  // The plain gradient at a large but representable scale points the same way.
  std::vector<double> mid(sol.W);
  for (double& w : mid) w *= 30;
  icl::att_loss_grad(data, mid.data(), g.data());
  icl::att_loss_grad_direction(data, mid.data(), dir.data());
  CHECK(icl::matrix_correlation(g.data(), dir.data(), 16) > 1 - 1e-9);
}
