// test_lesson_wide_deep_optimality.cpp - engine/nn/ntk and the
// wide-deep-optimality lesson: the duals are duals (phi^(1) = 1; the Hermite
// activation's Gaussian expectation equals the polynomial), alpha = (d-1)/2
// for the consistent 2-D dual and the computed kernel has that exponent, the
// log-domain recursion equals the plain one where both fit, the deep
// limits (the predicted singular-kernel limit and 1-NN), and LESSONS.md #31's
// ">= 99% agreement with the Hilbert estimate at L = 20" in the paper's
// setting (its code's Dirichlet data and NNGP), with what breaks it.
#include <doctest/doctest.h>

#include <Eigen/Dense>
#include <cmath>
#include <vector>

#include "engine/nn/ntk.h"
#include "engine/rng.h"
#include "tests/lesson_test_util.h"
#include "web/session.h"

using lesson_test::metric;

namespace {
const nn::DualActivation kHilbert2d = nn::DualActivation::polynomial({0, 0.5, 0, 0, 0, 0, 0, 0.5});

// Probabilists' Gauss-Hermite rule (weights sum to 1): Golub-Welsch on the
// Jacobi matrix with off-diagonal sqrt(k).  Exact for polynomials of degree < 2m.
void gauss_hermite(int m, std::vector<double>& x, std::vector<double>& w) {
  Eigen::MatrixXd J = Eigen::MatrixXd::Zero(m, m);
  for (int k = 1; k < m; ++k) J(k, k - 1) = J(k - 1, k) = std::sqrt(double(k));
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(J);
  x.resize(m), w.resize(m);
  for (int i = 0; i < m; ++i) x[i] = es.eigenvalues()[i], w[i] = es.eigenvectors()(0, i) * es.eigenvectors()(0, i);
}

void run(pg::Session& s, std::initializer_list<std::pair<const char*, const char*>> knobs, uint64_t seed = 1) {
  std::string msg;
  REQUIRE_MESSAGE(s.open("wide-deep-optimality", msg), msg);
  for (const auto& kv : knobs) REQUIRE_MESSAGE(s.set(kv.first, kv.second, msg), msg);
  s.reset(seed);
  lesson_test::run_to_end(s);
  REQUIRE(s.lesson().done());
}
}  // namespace

TEST_CASE("ntk: every dual has phi^(1) = 1, and is the Gaussian expectation of its activation") {
  const nn::DualActivation duals[] = {kHilbert2d, nn::DualActivation::polynomial({0, 0, 1}),
                                      nn::DualActivation::polynomial({0, 3, 0, 1}), nn::DualActivation::relu()};
  for (const nn::DualActivation& d : duals) CHECK(d.value(1.0) == doctest::Approx(1.0).epsilon(1e-15));
  // (u, v) = (u, xi u + sqrt(1 - xi^2) w): 2-D Gauss-Hermite is exact for the polynomial activations.
  std::vector<double> x, w;
  gauss_hermite(12, x, w);
  for (int k = 0; k < 3; ++k)
    for (double xi : {-0.9, -0.3, 0.0, 0.4, 0.95}) {
      double e = 0;
      for (int i = 0; i < 12; ++i)
        for (int j = 0; j < 12; ++j)
          e += w[i] * w[j] * duals[k].activation(x[i]) * duals[k].activation(xi * x[i] + std::sqrt(1 - xi * xi) * x[j]);
      CHECK(e == doctest::Approx(duals[k].value(xi)).epsilon(1e-10));
    }
  // The scaled ReLU's arc-cosine dual, by Monte Carlo.
  pg::Rng rng(7);
  const int N = 400000;
  for (double xi : {-0.5, 0.3, 0.8}) {
    double e = 0;
    for (int i = 0; i < N; ++i) {
      const double u = rng.normal(), v = xi * u + std::sqrt(1 - xi * xi) * rng.normal();
      e += duals[3].activation(u) * duals[3].activation(v);
    }
    CHECK(std::fabs(e / N - duals[3].value(xi)) < 0.015);
  }
  // Derivatives against central differences.
  for (const nn::DualActivation& d : duals)
    for (double xi : {-0.7, 0.1, 0.6}) CHECK(d.derivative(xi) == doctest::Approx((d.value(xi + 1e-6) - d.value(xi - 1e-6)) / 2e-6).epsilon(1e-6));
  for (double t = -1; t <= 1; t += 0.01) CHECK(std::fabs(nn::acos_det(t) - std::acos(t)) < 1e-14);
}

TEST_CASE("ntk: alpha = (d - 1) / 2 for the 2-D consistent dual, and the deep kernel has that exponent") {
  CHECK(nn::ntk_singular_exponent(kHilbert2d) == doctest::Approx(0.5).epsilon(1e-14));
  CHECK(std::isnan(nn::ntk_singular_exponent(nn::DualActivation::relu())));
  CHECK(std::isnan(nn::ntk_singular_exponent(nn::DualActivation::polynomial({0, 0, 1}))));
  CHECK(nn::ntk_singular_exponent(nn::DualActivation::polynomial({0, 0.25, 0, 0, 0, 0.75})) == doctest::Approx(1.0));
  // The limit kernel s(xi) ~ (1 - xi)^(-alpha); at finite depth L, for 1 - xi << 1/L, the
  // early layers' terms (1 - xi)^(-alpha - 1) dominate instead (both from the derivation).
  for (const auto& [dual, alpha] : {std::pair<nn::DualActivation, double>{kHilbert2d, 0.5},
                                    {nn::DualActivation::polynomial({0, 0.25, 0, 0, 0, 0.75}), 1.0}}) {
    const double slope = -(nn::ntk_limit_kernel(dual, 1 - 1e-4).log - nn::ntk_limit_kernel(dual, 1 - 1e-3).log) / std::log(0.1);
    CHECK(slope == doctest::Approx(alpha).epsilon(0.03));
    nn::NtkEntry a = nn::ntk_start(1 - 1e-3), b = nn::ntk_start(1 - 1e-4);
    for (int l = 0; l < 60; ++l) nn::ntk_layer(dual, a), nn::ntk_layer(dual, b);
    CHECK(-(b.k.log - a.k.log) / std::log(0.1) == doctest::Approx(alpha + 1).epsilon(0.05));
    // The limit kernel is the Koenigs function: s(phi^(xi)) = a_1 s(xi).
    const nn::SignedLog s0 = nn::ntk_limit_kernel(dual, 0.7), s1 = nn::ntk_limit_kernel(dual, dual.value(0.7));
    CHECK(s1.log - s0.log == doctest::Approx(std::log(dual.slope_at_zero())).epsilon(1e-6));
  }
}

TEST_CASE("ntk: the log-domain recursion equals the plain one, and survives where the plain one underflows") {
  const nn::DualActivation duals[] = {kHilbert2d, nn::DualActivation::polynomial({0, 0, 1}), nn::DualActivation::relu(),
                                      nn::DualActivation::polynomial({0, 0.5, 0.5})};
  for (const nn::DualActivation& d : duals)
    for (double xi : {-0.95, -0.4, 0.0, 0.3, 0.9, 1.0}) {
      double s = xi, k = xi;
      nn::NtkEntry e = nn::ntk_start(xi);
      for (int l = 1; l <= 4; ++l) {
        k = d.value(s) + k * d.derivative(s);
        s = d.value(s);
        nn::ntk_layer(d, e);
        CHECK(e.k.value() == doctest::Approx(k).epsilon(1e-12));
        CHECK(e.sigma.value() == doctest::Approx(s).epsilon(1e-12));
      }
    }
  // xi^2: Sigma^(l) = xi^(2^l); at l = 40 log Sigma = 2^40 log xi, far below the smallest double.
  nn::NtkEntry e = nn::ntk_start(0.5);
  for (int l = 0; l < 40; ++l) nn::ntk_layer(duals[1], e);
  CHECK(e.sigma.log == doctest::Approx(std::ldexp(1.0, 40) * std::log(0.5)).epsilon(1e-12));
  CHECK(std::isfinite(e.k.log));
  CHECK(e.k.sign == 1.0);
}

TEST_CASE("wide-deep-optimality: deep, the optimal dual's NTK classifier is the predicted singular-kernel limit") {
  // The NTK's slow way to the limit, on the whole circle (where the limit and the Hilbert estimate part):
  // at depth 200 with 20 points (1 - xi > 1/L for the neighbours) the NTK classifier is
  // sign(sum_i y_i s(<x, x_i>)).
  double mean = 0;
  for (uint64_t seed : {1, 2, 3}) {
    pg::Session s;
    run(s, {{"depth", "200"}, {"n_train", "20"}, {"data", "circle"}, {"kernel", "ntk"}}, seed);
    CAPTURE(seed);
    CHECK(metric(s, "agree_limit") >= 0.9);
    mean += metric(s, "agree_limit") / 3;
    CHECK(metric(s, "phi_at_one") == doctest::Approx(1.0));
    CHECK(metric(s, "alpha") == doctest::Approx(0.5));
    CHECK(metric(s, "acc_bayes") >= metric(s, "acc_majority"));
  }
  CHECK(mean >= 0.95);
  // The NTK's measured exponent near xi = 1 falls from alpha + 1 toward alpha as L grows; the NNGP's is
  // alpha already at depth 20.
  pg::Session l20, l200, nngp;
  run(l20, {{"depth", "20"}, {"n_train", "20"}, {"kernel", "ntk"}});
  run(l200, {{"depth", "200"}, {"n_train", "20"}, {"kernel", "ntk"}});
  run(nngp, {{"depth", "20"}, {"n_train", "20"}});
  CHECK(metric(l20, "alpha_measured") == doctest::Approx(1.5).epsilon(0.1));
  CHECK(metric(l200, "alpha_measured") < metric(l20, "alpha_measured") - 0.3);
  CHECK(metric(nngp, "alpha_measured") == doctest::Approx(0.5).epsilon(0.02));
  CHECK(metric(l20, "agree_hilbert") > 0.5);
}

TEST_CASE("wide-deep-optimality: at L = 20 the 2-D optimal dual agrees with the Hilbert estimate on >= 99% of points") {
  // LESSONS.md #31 in the paper's setting, which the defaults are (its code, uhlerlab/inf_depth_ntks:
  // Dirichlet(1, 2) against Dirichlet(2, 1) normalized onto a quarter of the circle, the NNGP,
  // (xi + xi^7)/2), at depth 20.  300 test points a seed; the few disagreements come from far training
  // points, where s(xi) and ||x - x_i||^-1 differ (seeds 1-40: mean 0.996, lowest 0.973), so the bar is
  // on the mean of ten seeds, with a floor on each.
  double mean = 0, mean_ntk = 0;
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    pg::Session s;
    run(s, {}, seed);
    CAPTURE(seed);
    CHECK(metric(s, "depth_done") == 20);
    CHECK(metric(s, "alpha") == doctest::Approx(0.5));
    CHECK(metric(s, "agree_hilbert") >= 0.97);
    CHECK(metric(s, "agree_hilbert") == metric(s, "agree_hilbert_nngp"));
    CHECK(metric(s, "agree_limit") >= 0.99);  // for the NNGP depth 20 is already the deep limit
    CHECK(metric(s, "acc_bayes_exact") == doctest::Approx(0.76));
    mean += metric(s, "agree_hilbert") / 10;
    mean_ntk += metric(s, "agree_hilbert_ntk") / 10;
    // The paper's data: every point in the first quadrant, so every <x, x'> >= 0.
    const pg::Array* angle = s.lesson().outputs().find_array("train_angle");
    REQUIRE(angle != nullptr);
    for (double t : angle->d) CHECK((t >= 0 && t <= 1.5707963267948966));
  }
  CHECK(mean >= 0.99);
  // What the panel names as breaking it: the NTK at the same depth (its early layers), and the whole
  // circle, where the odd dual lets nearly antipodal points vote against their label.
  CHECK(mean_ntk < 0.95);
  for (uint64_t seed : {1, 2, 3}) {
    pg::Session c;
    run(c, {{"data", "circle"}}, seed);
    CAPTURE(seed);
    CHECK(metric(c, "agree_hilbert") < 0.95);
    CHECK(metric(c, "agree_limit") >= 0.99);  // the limit itself still holds there
  }
}

TEST_CASE("wide-deep-optimality: no linear term gives 1-NN; ReLU keeps K(1) = L + 1") {
  pg::Session q;
  run(q, {{"dual", "nolinear"}, {"depth", "30"}});
  CHECK(metric(q, "agree_1nn") >= 0.99);
  CHECK(metric(q, "alpha") == 0.0);
  // The ReLU dual keeps phi^'(1) = 1, so K^(L)(1) = L + 1 exactly.
  nn::NtkEntry e = nn::ntk_start(1.0);
  for (int l = 0; l < 50; ++l) nn::ntk_layer(nn::DualActivation::relu(), e);
  CHECK(e.k.value() == doctest::Approx(51.0).epsilon(1e-12));
}

TEST_CASE("wide-deep-optimality: the result does not depend on how step() calls split the layers") {
  const auto knobs = {std::pair<const char*, const char*>{"depth", "12"}, {"n_train", "40"}};
  CHECK(lesson_test::metrics_after_run("wide-deep-optimality", knobs, 3, 1) ==
        lesson_test::metrics_after_run("wide-deep-optimality", knobs, 3, 1000));
}
