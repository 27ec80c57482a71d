// test_icl_softmax_regression.cpp - lesson icl-softmax-regression (Li et al. 2023):
// the gradient, the exact data twin, the Lipschitz bound, and GD on x.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "engine/icl/normal.h"
#include "engine/icl/softmax_regression.h"

TEST_CASE("icl-softmax-regression: outputs sum to 1 and the gradient matches finite differences") {
  for (double scale : {0.25, 1.0, 4.0}) {
    icl::SoftmaxRegression p;
    pg::Rng rng(3);
    p.sample(6, 4, scale, rng);
    std::vector<double> x(4), f(6), g(4);
    icl::fill_normal(rng, x.data(), 4);
    p.forward(x.data(), f.data());
    double sum = 0;
    for (double v : f) sum += v;
    CHECK(sum == doctest::Approx(1.0).epsilon(1e-15));
    p.grad(x.data(), g.data());
    for (int k = 0; k < 4; ++k) {
      const double h = 1e-6;
      std::vector<double> xp = x, xm = x;
      xp[k] += h;
      xm[k] -= h;
      const double fd = (p.loss(xp.data()) - p.loss(xm.data())) / (2 * h);
      INFO("scale " << scale << " k " << k << " analytic " << g[k] << " fd " << fd);
      CHECK(std::fabs(fd - g[k]) <= 1e-7 * std::max(std::fabs(fd), 1e-3));
    }
  }
}

TEST_CASE("icl-softmax-regression: the data twin A' = A + (A dx) x^T/||x||^2 gives f(A', x) = f(A, x + dx)") {
  icl::SoftmaxRegression p;
  pg::Rng rng(8);
  p.sample(5, 3, 2.0, rng);
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<double> x(3), dx(3), x_dx(3), twin(15), f_twin(5), f_shift(5);
    icl::fill_normal(rng, x.data(), 3);
    icl::fill_normal(rng, dx.data(), 3, 0.5);
    for (int k = 0; k < 3; ++k) x_dx[k] = x[k] + dx[k];
    icl::data_twin(p.A.data(), 5, 3, x.data(), dx.data(), twin.data());
    icl::softmax_of_affine(twin.data(), 5, 3, x.data(), f_twin.data());
    p.forward(x_dx.data(), f_shift.data());
    for (int i = 0; i < 5; ++i) CHECK(std::fabs(f_twin[i] - f_shift[i]) < 1e-14);
  }
}

TEST_CASE("icl-softmax-regression: ||f(A, x + dx) - f(A, x)|| <= 1/2 ||A||_2 ||dx||") {
  icl::SoftmaxRegression p;
  pg::Rng rng(12);
  p.sample(8, 4, 4.0, rng);
  const double bound = 0.5 * icl::spectral_norm(p.A.data(), 8, 4);
  double worst = 0;
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<double> x(4), x2(4), f1(8), f2(8);
    icl::fill_normal(rng, x.data(), 4);
    icl::fill_normal(rng, x2.data(), 4);
    const double step = trial % 2 ? 1e-3 : 1.0;  // small steps approach the bound
    double dx2 = 0, df2 = 0;
    for (int k = 0; k < 4; ++k) {
      x2[k] = x[k] + step * x2[k];
      dx2 += (x2[k] - x[k]) * (x2[k] - x[k]);
    }
    p.forward(x.data(), f1.data());
    p.forward(x2.data(), f2.data());
    for (int i = 0; i < 8; ++i) df2 += (f2[i] - f1[i]) * (f2[i] - f1[i]);
    worst = std::max(worst, std::sqrt(df2 / dx2) / bound);
  }
  CHECK(worst <= 1.0);
  CHECK(worst > 0.05);  // the bound is not vacuous on these inputs
}

TEST_CASE("icl-softmax-regression: GD on x lowers the loss and its twin tracks the path") {
  icl::SoftmaxRegression p;
  pg::Rng rng(4);
  p.sample(6, 2, 2.0, rng);
  const double x0[2] = {1.5, -1.0};
  icl::SoftmaxRegressionGd gd;
  gd.reset(p, x0, 1.0);
  const double start = gd.loss();
  CHECK(gd.step(200, 1e9) == 200);
  CHECK(gd.loss() < start);
  CHECK(gd.path_size() == 201);
  CHECK(gd.last_ratio() <= gd.lipschitz_bound());
  // f(twin, x0) == f(A, x_t)
  std::vector<double> f_twin(6), f_x(6);
  icl::softmax_of_affine(gd.twin().data(), 6, 2, x0, f_twin.data());
  p.forward(gd.x().data(), f_x.data());
  for (int i = 0; i < 6; ++i) CHECK(std::fabs(f_twin[i] - f_x[i]) < 1e-13);
  // The landscape grid evaluates the same loss.
  std::vector<double> grid(3 * 4);
  p.landscape(-2, 2, -1, 1, 4, 3, grid.data());
  const double corner[2] = {2.0, 1.0};
  CHECK(grid[2 * 4 + 3] == doctest::Approx(p.loss(corner)).epsilon(1e-15));
}

// The error model behind the rounding floor (softmax_regression.h): the
// computed f(A, x) is within delta(x) = u ((4d + 4) ||A|| ||x|| + n + 8) of the
// exact one, here a long-double evaluation (64-bit mantissa natively, 113 in wasm).
TEST_CASE("icl-softmax-regression: the computed softmax is within the rounding bound delta(x)") {
  pg::Rng rng(21);
  double worst = 0;  // largest error / bound seen
  for (int trial = 0; trial < 400; ++trial) {
    const int n = 2 + trial % 11, d = 2 + trial % 3;
    const double scale = 0.25 * std::pow(2.0, trial % 7);  // 0.25 .. 16
    icl::SoftmaxRegression p;
    p.sample(n, d, scale, rng);
    std::vector<double> x(static_cast<size_t>(d)), f(static_cast<size_t>(n));
    icl::fill_normal(rng, x.data(), d, 0.5 + trial % 5);
    p.forward(x.data(), f.data());
    std::vector<long double> z(static_cast<size_t>(n));
    long double zmax = -INFINITY, sum = 0, x_norm = 0;
    for (int k = 0; k < d; ++k) x_norm += (long double)x[k] * x[k];
    for (int i = 0; i < n; ++i) {
      z[i] = 0;
      for (int k = 0; k < d; ++k) z[i] += (long double)p.A[size_t(i) * d + k] * x[k];
      zmax = std::max(zmax, z[i]);
    }
    for (int i = 0; i < n; ++i) sum += std::exp(z[i] - zmax);
    long double err2 = 0;
    for (int i = 0; i < n; ++i) {
      const long double e = f[i] - std::exp(z[i] - zmax) / sum;
      err2 += e * e;
    }
    const double bound = icl::softmax_rounding_bound(n, d, icl::spectral_norm(p.A.data(), n, d),
                                                     std::sqrt(double(x_norm)));
    worst = std::max(worst, double(std::sqrt(err2)) / bound);
  }
  INFO("largest error / bound: " << worst);
  CHECK(worst <= 1.0);
  CHECK(worst > 1e-3);  // the bound is not absurdly loose
}

TEST_CASE("icl-softmax-regression: GD's per-step floor; below it the raw ratio is noise") {
  icl::SoftmaxRegression p;
  pg::Rng rng(32);
  p.sample(6, 2, 2.0, rng);
  const double x0[2] = {3.0, 0.0};
  icl::SoftmaxRegressionGd gd;
  gd.reset(p, x0, 1.0);
  int counted = 0, ignored = 0;
  for (int t = 0; t < 1000; ++t) {
    gd.step(1, 1e9);
    const double a_norm = 2 * gd.lipschitz_bound();
    const double x_norm = std::hypot(gd.x()[0], gd.x()[1]);
    // The floor is the stated formula, evaluated at the larger end of the step.
    CHECK(gd.last_floor() >= icl::lipschitz_step_floor(6, 2, a_norm, x_norm, icl::kLipschitzRoundingTol) * (1 - 1e-12));
    if (gd.last_counted()) {
      ++counted;
      CHECK(gd.last_ratio() <= gd.lipschitz_bound());
    } else {
      ++ignored;
      CHECK(gd.last_dx_norm() < gd.last_floor());
    }
  }
  CHECK(counted > 20);   // the real steps are measured
  CHECK(ignored > 100);  // and the converged tail is not
}
