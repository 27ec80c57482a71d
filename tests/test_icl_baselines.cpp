// test_icl_baselines.cpp - the prompt sampler, the classical estimators and
// their closed-form risks against Monte Carlo (lessons icl-gd, icl-multihead).
//
// Every Monte Carlo comparison allows 4 standard errors of the sample mean,
// computed from the samples themselves, so a failure means a wrong formula
// (or sampler), not bad luck (about 1 in 16,000 per check).
#include <doctest/doctest.h>

#include <Eigen/Dense>
#include <cmath>
#include <vector>

#include "engine/icl/baselines.h"
#include "engine/icl/normal.h"
#include "engine/icl/prompts.h"

namespace {

struct MeanSe {
  double mean = 0, se = 0;
};

template <typename F>
MeanSe squared_error_stats(const icl::PromptBatch& batch, F predict) {
  double sum = 0, sum_sq = 0;
  for (int b = 0; b < batch.B; ++b) {
    const double err = predict(b) - batch.yq[b];
    const double e2 = err * err;
    sum += e2;
    sum_sq += e2 * e2;
  }
  MeanSe out;
  out.mean = sum / batch.B;
  const double var = sum_sq / batch.B - out.mean * out.mean;
  out.se = std::sqrt(var / batch.B);
  return out;
}

icl::PromptBatch make_batch(const icl::PromptConfig& c, int B, uint64_t seed) {
  icl::PromptBatch batch;
  batch.resize(B, c.n, c.d);
  pg::Rng rng(seed);
  icl::sample_prompts(c, rng, batch);
  return batch;
}

}  // namespace

TEST_CASE("icl: ziggurat normals have the moments of N(0, 1)") {
  pg::Rng rng(11);
  const int N = 400000;
  std::vector<double> v(N);
  icl::fill_normal(rng, v.data(), N);
  double m1 = 0, m2 = 0, m4 = 0, tail = 0;
  for (double x : v) {
    m1 += x;
    m2 += x * x;
    m4 += x * x * x * x;
    if (std::fabs(x) > 3.6541528853610088) tail += 1;  // beyond the base layer: the tail path
  }
  m1 /= N;
  m2 /= N;
  m4 /= N;
  tail /= N;
  CHECK(std::fabs(m1) < 4 * std::sqrt(1.0 / N));
  CHECK(std::fabs(m2 - 1.0) < 4 * std::sqrt(2.0 / N));
  CHECK(std::fabs(m4 - 3.0) < 4 * std::sqrt(96.0 / N));  // Var(x^4) = 105 - 9
  // P(|x| > R) = 2.58e-4 for R = 3.654
  CHECK(std::fabs(tail - 2.58e-4) < 4 * std::sqrt(2.58e-4 / N));
  // fill_normal is the same stream as repeated normal()
  pg::Rng a(5), b(5);
  double buf[64];
  icl::fill_normal(a, buf, 64, 2.0);
  for (int i = 0; i < 64; ++i) CHECK(buf[i] == 2.0 * icl::normal(b));
}

TEST_CASE("icl: prompts follow y = beta^T x + noise") {
  icl::PromptConfig c;
  c.d = 5;
  c.n = 7;
  c.noise_var = 0.0;
  const icl::PromptBatch batch = make_batch(c, 3, 1);
  for (int b = 0; b < batch.B; ++b) {
    for (int l = 0; l < c.n; ++l) {
      double dot = 0;
      for (int k = 0; k < c.d; ++k) dot += batch.beta[b * c.d + k] * batch.x_of(b)[l * c.d + k];
      CHECK(batch.y_of(b)[l] == doctest::Approx(dot).epsilon(1e-14));
    }
  }
}

TEST_CASE("icl: ridge primal and dual forms agree, lambda = 0 is min-norm OLS") {
  pg::Rng rng(3);
  const int d = 8;
  for (int n : {4, 12}) {  // n < d takes the dual form, n > d the primal
    std::vector<double> x(n * d), y(n), xq(d);
    icl::fill_normal(rng, x.data(), n * d);
    icl::fill_normal(rng, y.data(), n);
    icl::fill_normal(rng, xq.data(), d);
    const double lambda = 0.7;
    // The other form, solved directly: w = (X^T X + lambda I)^{-1} X^T y.
    Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> X(x.data(), n, d);
    Eigen::Map<const Eigen::VectorXd> Y(y.data(), n), Xq(xq.data(), d);
    Eigen::MatrixXd G = X.transpose() * X + lambda * Eigen::MatrixXd::Identity(d, d);
    const double primal = (G.ldlt().solve(X.transpose() * Y)).dot(Xq);
    CHECK(icl::predict_ridge(x.data(), y.data(), n, d, lambda, xq.data()) == doctest::Approx(primal).epsilon(1e-12));
    if (n < d) {  // the min-norm interpolant fits every context point
      for (int l = 0; l < n; ++l)
        CHECK(icl::predict_ols(x.data(), y.data(), n, d, &x[l * d]) == doctest::Approx(y[l]).epsilon(1e-10));
    }
    const double tiny = icl::predict_ridge(x.data(), y.data(), n, d, 1e-10, xq.data());
    CHECK(tiny == doctest::Approx(icl::predict_ols(x.data(), y.data(), n, d, xq.data())).epsilon(1e-6));
  }
}

TEST_CASE("icl: k-NN averages the k closest labels") {
  // x in 1-D at 0, 1, 2, 3, 10; labels = 10 x; query 1.4 -> neighbours 1, 2, 0
  const double x[5] = {0, 1, 2, 3, 10}, y[5] = {0, 10, 20, 30, 100}, xq[1] = {1.4};
  CHECK(icl::predict_knn(x, y, 5, 1, xq, 3) == doctest::Approx(10.0));
  CHECK(icl::predict_knn(x, y, 5, 1, xq, 1) == doctest::Approx(10.0));
  CHECK(icl::predict_knn(x, y, 5, 1, xq, 2) == doctest::Approx(15.0));
}

TEST_CASE("icl: GD risk R(eta) = sigma^2 + 1 - 2 eta + eta^2 (n+d+1+sigma^2 d)/n matches Monte Carlo") {
  // He et al.'s setting: beta ~ N(0, I/d), sigma^2 = 0.1, risk against the noisy y_q.
  icl::PromptConfig c;
  c.d = 10;
  c.n = 40;
  c.noise_var = 0.1;
  const icl::PromptBatch batch = make_batch(c, 6000, 21);
  const double tau2 = icl::prior_variance(c);
  const double eta_opt = icl::gd_step_opt(c.d, c.n, c.noise_var, tau2);
  CHECK(eta_opt == doctest::Approx(40.0 / (40 + 10 + 1 + 0.1 * 10)));
  for (double eta : {0.3, eta_opt, 1.3}) {
    const double closed = c.noise_var + 1 - 2 * eta + eta * eta * (c.n + c.d + 1 + c.noise_var * c.d) / c.n;
    CHECK(icl::gd_risk(c.d, c.n, c.noise_var, tau2, eta) == doctest::Approx(closed).epsilon(1e-14));
    const MeanSe mc = squared_error_stats(batch, [&](int b) {
      return icl::predict_gd(batch.x_of(b), batch.y_of(b), c.n, c.d, eta, batch.xq_of(b));
    });
    INFO("eta = " << eta << " closed form " << closed << " Monte Carlo " << mc.mean << " +- " << mc.se);
    CHECK(std::fabs(mc.mean - closed) < 4 * mc.se);
  }
  // Debiased GD at its own optimal step.
  const double eta_deb = icl::debiased_gd_step_opt(c.d, c.n, c.noise_var, tau2);
  const double closed_deb = icl::debiased_gd_risk(c.d, c.n, c.noise_var, tau2, eta_deb);
  const MeanSe mc_deb = squared_error_stats(batch, [&](int b) {
    return icl::predict_debiased_gd(batch.x_of(b), batch.y_of(b), c.n, c.d, eta_deb, batch.xq_of(b));
  });
  INFO("debiased: closed " << closed_deb << " Monte Carlo " << mc_deb.mean << " +- " << mc_deb.se);
  CHECK(std::fabs(mc_deb.mean - closed_deb) < 4 * mc_deb.se);
  // The optimal steps are optimal: the closed forms are minimized there.
  for (double delta : {-0.05, 0.05}) {
    CHECK(icl::gd_risk(c.d, c.n, c.noise_var, tau2, eta_opt + delta) > icl::gd_risk(c.d, c.n, c.noise_var, tau2, eta_opt));
    CHECK(icl::debiased_gd_risk(c.d, c.n, c.noise_var, tau2, eta_deb + delta) > closed_deb);
  }
}

TEST_CASE("icl: noiseless normalized curves (von Oswald et al.): averaging, tuned GD, OLS") {
  // beta ~ N(0, I), sigma = 0: error / d.
  icl::PromptConfig c;
  c.d = 10;
  c.noise_var = 0.0;
  c.prior = icl::TaskPrior::isotropic;
  const double tau2 = 1.0;
  for (int n : {5, 20, 40}) {
    c.n = n;
    const icl::PromptBatch batch = make_batch(c, 4000, 100 + n);
    const double d = c.d;
    // averaging: (d + 1) / n
    CHECK(icl::averaging_risk(c.d, n, 0.0, tau2) / d == doctest::Approx((d + 1) / n).epsilon(1e-14));
    MeanSe mc = squared_error_stats(batch, [&](int b) {
      return icl::predict_averaging(batch.x_of(b), batch.y_of(b), n, c.d, batch.xq_of(b));
    });
    INFO("n = " << n << " averaging MC/d " << mc.mean / d << " vs " << (d + 1) / n);
    CHECK(std::fabs(mc.mean / d - (d + 1) / n) < 4 * mc.se / d);
    // tuned one-step GD: (d + 1) / (n + d + 1), at eta* = n / (n + d + 1)
    const double eta = icl::gd_step_opt(c.d, n, 0.0, tau2);
    CHECK(eta == doctest::Approx(n / (n + d + 1)));
    CHECK(icl::gd_risk(c.d, n, 0.0, tau2, eta) / d == doctest::Approx((d + 1) / (n + d + 1)).epsilon(1e-14));
    mc = squared_error_stats(batch, [&](int b) {
      return icl::predict_gd(batch.x_of(b), batch.y_of(b), n, c.d, eta, batch.xq_of(b));
    });
    INFO("n = " << n << " tuned GD MC/d " << mc.mean / d << " vs " << (d + 1) / (n + d + 1));
    CHECK(std::fabs(mc.mean / d - (d + 1) / (n + d + 1)) < 4 * mc.se / d);
    // OLS (min-norm below d): 1 - n/d for n < d, 0 above.
    const double ols_closed = n < c.d ? 1.0 - double(n) / d : 0.0;
    CHECK(icl::ols_risk(c.d, n, 0.0, tau2) / d == doctest::Approx(ols_closed).epsilon(1e-14));
    mc = squared_error_stats(batch, [&](int b) {
      return icl::predict_ols(batch.x_of(b), batch.y_of(b), n, c.d, batch.xq_of(b));
    });
    INFO("n = " << n << " OLS MC/d " << mc.mean / d << " vs " << ols_closed);
    CHECK(std::fabs(mc.mean / d - ols_closed) < 4 * mc.se / d + 1e-12);
  }
}

TEST_CASE("icl: OLS with noise, sigma^2 (1 + d/(n-d-1)), against Monte Carlo") {
  icl::PromptConfig c;
  c.d = 10;
  c.n = 40;
  c.noise_var = 0.25;
  const icl::PromptBatch batch = make_batch(c, 4000, 7);
  const double closed = icl::ols_risk(c.d, c.n, c.noise_var, icl::prior_variance(c));
  CHECK(closed == doctest::Approx(0.25 * (1 + 10.0 / 29)));
  const MeanSe mc = squared_error_stats(batch, [&](int b) {
    return icl::predict_ols(batch.x_of(b), batch.y_of(b), c.n, c.d, batch.xq_of(b));
  });
  CHECK(std::fabs(mc.mean - closed) < 4 * mc.se);
}

TEST_CASE("icl: ridge lambda = sigma^2 / tau^2 is the Bayes-optimal choice for each prior") {
  // N(0, I/d): lambda = sigma^2 d;  N(0, I): lambda = sigma^2.  On the same
  // prompts, the posterior mean must beat ridge with lambda 3x too small or too large.
  for (icl::TaskPrior prior : {icl::TaskPrior::isotropic_over_d, icl::TaskPrior::isotropic}) {
    icl::PromptConfig c;
    c.d = 10;
    c.n = 12;
    c.noise_var = 0.5;
    c.prior = prior;
    const double lambda = icl::ridge_lambda(c);
    CHECK(lambda == doctest::Approx(prior == icl::TaskPrior::isotropic_over_d ? 0.5 * 10 : 0.5));
    const icl::PromptBatch batch = make_batch(c, 3000, 9);
    auto loss_at = [&](double lam) {
      return squared_error_stats(batch, [&](int b) {
               return icl::predict_ridge(batch.x_of(b), batch.y_of(b), c.n, c.d, lam, batch.xq_of(b));
             }).mean;
    };
    const double best = loss_at(lambda);
    CHECK(best < loss_at(lambda / 3));
    CHECK(best < loss_at(lambda * 3));
  }
  // The Marchenko-Pastur limit is He et al.'s ridge_loss (0.115 at d = 5, n = 40, sigma^2 = 0.1)
  // and within a few percent of the finite-d risk at d = 10, n = 40.
  CHECK(icl::ridge_risk_asymptotic(5, 40, 0.1, 1.0 / 5) == doctest::Approx(0.1140).epsilon(2e-3));
  icl::PromptConfig c;
  const icl::PromptBatch batch = make_batch(c, 4000, 10);
  const icl::BaselineLosses losses = icl::evaluate_baselines(batch, c);
  const double asym = icl::ridge_risk_asymptotic(c.d, c.n, c.noise_var, icl::prior_variance(c));
  CHECK(std::fabs(losses.ridge - asym) / asym < 0.1);
  CHECK(losses.ridge < losses.ols);
  CHECK(losses.ridge < losses.gd);
  CHECK(losses.gd < losses.averaging);
}

// Issue 10, item 5: the closed forms for x with independent coordinates of
// variance s and fourth moment m4, checked on x ~ U(-1, 1)^d (s = 1/3, m4 = 1/5).
TEST_CASE("icl: uniform inputs, GD and debiased GD risks in closed form match Monte Carlo") {
  icl::PromptConfig c;
  c.d = 6;
  c.prior = icl::TaskPrior::isotropic;
  c.x_dist = icl::InputDist::uniform;
  const icl::InputMoments m = icl::input_moments(c);
  CHECK(m.var == doctest::Approx(1.0 / 3));
  CHECK(m.m4 == doctest::Approx(0.2));
  for (double noise : {0.0, 0.1}) {
    for (int n : {4, 15}) {
      c.n = n;
      c.noise_var = noise;
      const icl::PromptBatch batch = make_batch(c, 20000, 300 + n + int(noise * 10));
      // The sampler draws in [-1, 1] with variance 1/3.
      double sum_sq = 0, max_abs = 0;
      for (double v : batch.x) sum_sq += v * v, max_abs = std::max(max_abs, std::fabs(v));
      CHECK(max_abs <= 1.0);
      CHECK(sum_sq / batch.x.size() == doctest::Approx(1.0 / 3).epsilon(0.01));
      const double eta_opt = icl::gd_step_opt(c.d, n, noise, 1.0, m);
      for (double eta : {0.5, eta_opt, 3.0}) {
        const double closed = icl::gd_risk(c.d, n, noise, 1.0, eta, m);
        const MeanSe mc = squared_error_stats(batch, [&](int b) {
          return icl::predict_gd(batch.x_of(b), batch.y_of(b), n, c.d, eta, batch.xq_of(b));
        });
        INFO("n " << n << " noise " << noise << " eta " << eta << ": closed " << closed << " MC " << mc.mean << " +- " << mc.se);
        CHECK(std::fabs(mc.mean - closed) < 4 * mc.se);
      }
      const double eta_deb = icl::debiased_gd_step_opt(c.d, n, noise, 1.0, m);
      const double closed_deb = icl::debiased_gd_risk(c.d, n, noise, 1.0, eta_deb, m);
      const MeanSe mc_deb = squared_error_stats(batch, [&](int b) {
        return icl::predict_debiased_gd(batch.x_of(b), batch.y_of(b), n, c.d, eta_deb, batch.xq_of(b));
      });
      INFO("debiased n " << n << ": closed " << closed_deb << " MC " << mc_deb.mean << " +- " << mc_deb.se);
      CHECK(std::fabs(mc_deb.mean - closed_deb) < 4 * mc_deb.se);
      // The tuned steps minimize their closed forms.
      for (double delta : {-0.1, 0.1}) {
        CHECK(icl::gd_risk(c.d, n, noise, 1.0, eta_opt + delta, m) > icl::gd_risk(c.d, n, noise, 1.0, eta_opt, m));
        CHECK(icl::debiased_gd_risk(c.d, n, noise, 1.0, eta_deb + delta, m) > closed_deb);
      }
    }
  }
  // Gaussian moments give back the Gaussian formulas exactly.
  const icl::InputMoments g = icl::input_moments(icl::InputDist::gaussian);
  for (int n : {3, 20}) {
    CHECK(icl::gd_risk(10, n, 0.1, 0.1, 0.7, g) == doctest::Approx(icl::gd_risk(10, n, 0.1, 0.1, 0.7)).epsilon(1e-13));
    CHECK(icl::gd_step_opt(10, n, 0.1, 0.1, g) == doctest::Approx(icl::gd_step_opt(10, n, 0.1, 0.1)).epsilon(1e-13));
    CHECK(icl::debiased_gd_risk(10, n, 0.1, 0.1, 0.7, g) ==
          doctest::Approx(icl::debiased_gd_risk(10, n, 0.1, 0.1, 0.7)).epsilon(1e-13));
    CHECK(icl::debiased_gd_step_opt(10, n, 0.1, 0.1, g) ==
          doctest::Approx(icl::debiased_gd_step_opt(10, n, 0.1, 0.1)).epsilon(1e-13));
  }
}
