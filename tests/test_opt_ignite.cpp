// test_opt_ignite.cpp - engine/opt/ignite (LESSONS.md #28 with
// papers/method-notes.md #8) and the ignite lesson: the surrogate's gradients
// by finite differences; IGNITE's h = 0 for a model linear in its parameters;
// h / r -> the Hessian-vector product of G (against nn::GradientHvp);
// the correction's formula, lambda unclipped, lambda = 0 the plain step; the
// lesson's exported designs reproduce its true scores; lambda = 0 gives two
// identical runs; the constraint lowers the surrogate's gradient norm.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "engine/nn/hessian.h"
#include "engine/opt/ignite.h"
#include "engine/rng.h"
#include "tests/lesson_test_util.h"
#include "web/session.h"

namespace {

struct Fixture {
  opt::SurrogateMlp net;
  std::vector<double> theta, x, y;
  int n = 7;
  explicit Fixture(int depth, int width = 5, uint64_t seed = 3) {
    net.init(2, width, depth);
    pg::Rng rng(seed);
    theta.resize(size_t(net.num_params()));
    net.init_params(rng, theta.data());
    for (double& t : theta) t += 0.1 * rng.normal();  // nonzero biases too
    x.resize(size_t(n) * 2), y.resize(size_t(n));
    for (double& v : x) v = rng.uniform(-1, 1);
    for (double& v : y) v = rng.normal();
  }
  opt::GradientClosure grad_G() {
    return [this](const double* b, double* g) { net.mean_prediction(b, x.data(), n, g); };
  }
};

double rel_err(const std::vector<double>& a, const std::vector<double>& b) {
  double num = 0, den = 0;
  for (size_t i = 0; i < a.size(); ++i) num += (a[i] - b[i]) * (a[i] - b[i]), den += b[i] * b[i];
  return std::sqrt(num / std::max(den, 1e-300));
}

}  // namespace

TEST_CASE("ignite: the surrogate's parameter and input gradients match central differences") {
  for (int depth : {0, 1, 2}) {
    CAPTURE(depth);
    Fixture f(depth);
    const int P = f.net.num_params();
    std::vector<double> gG(static_cast<size_t>(P)), gL(static_cast<size_t>(P)), t = f.theta;
    f.net.mean_prediction(f.theta.data(), f.x.data(), f.n, gG.data());
    f.net.squared_error(f.theta.data(), f.x.data(), f.y.data(), f.n, gL.data());
    std::vector<double> scratch(static_cast<size_t>(P));
    const double h = 1e-6;
    for (int k = 0; k < P; ++k) {
      t[size_t(k)] = f.theta[size_t(k)] + h;
      const double Gp = f.net.mean_prediction(t.data(), f.x.data(), f.n, scratch.data());
      const double Lp = f.net.squared_error(t.data(), f.x.data(), f.y.data(), f.n, scratch.data());
      t[size_t(k)] = f.theta[size_t(k)] - h;
      const double Gm = f.net.mean_prediction(t.data(), f.x.data(), f.n, scratch.data());
      const double Lm = f.net.squared_error(t.data(), f.x.data(), f.y.data(), f.n, scratch.data());
      t[size_t(k)] = f.theta[size_t(k)];
      CHECK(gG[size_t(k)] == doctest::Approx((Gp - Gm) / (2 * h)).epsilon(1e-6));
      CHECK(gL[size_t(k)] == doctest::Approx((Lp - Lm) / (2 * h)).epsilon(1e-6));
    }
    double dx[2];
    const double x0[2] = {0.3, -0.7};
    f.net.predict_input_grad(f.theta.data(), x0, dx);
    for (int c = 0; c < 2; ++c) {
      double xp[2] = {x0[0], x0[1]}, xm[2] = {x0[0], x0[1]};
      xp[c] += h, xm[c] -= h;
      CHECK(dx[c] == doctest::Approx((f.net.predict(f.theta.data(), xp) - f.net.predict(f.theta.data(), xm)) / (2 * h))
                         .epsilon(1e-6));
    }
  }
}

TEST_CASE("ignite: h = 0 exactly for a model linear in its parameters, and not for a network") {
  Fixture lin(/*depth=*/0);
  const int P = lin.net.num_params();
  std::vector<double> g(static_cast<size_t>(P)), h(size_t(P), 1.0), s(static_cast<size_t>(P));
  for (double r : {0.05, 0.5, 3.0}) {
    const double norm = opt::sharpness_difference(lin.grad_G(), lin.theta.data(), P, r, g.data(), h.data(), s.data());
    CHECK(norm > 0);
    for (double v : h) CHECK(v == 0.0);
  }
  Fixture mlp(/*depth=*/2);
  const int Q = mlp.net.num_params();
  std::vector<double> g2(static_cast<size_t>(Q)), h2(static_cast<size_t>(Q)), s2(static_cast<size_t>(Q));
  opt::sharpness_difference(mlp.grad_G(), mlp.theta.data(), Q, 0.05, g2.data(), h2.data(), s2.data());
  double hmax = 0;
  for (double v : h2) hmax = std::max(hmax, std::fabs(v));
  CHECK(hmax > 1e-4);
}

TEST_CASE("ignite: h / r converges to the Hessian-vector product of G along u, at first order in r") {
  Fixture f(/*depth=*/2, /*width=*/6);
  const int P = f.net.num_params();
  std::vector<double> g(static_cast<size_t>(P)), h(static_cast<size_t>(P)), s(static_cast<size_t>(P)), u(static_cast<size_t>(P)), hvp(static_cast<size_t>(P));
  // The reference: nn::GradientHvp (central difference, step 1e-5, ~1e-10 relative).
  nn::GradientHvp H;
  H.init(P, f.grad_G(), nn::GradientHvp::kDoubleStep);
  H.set_point(f.theta.data());
  f.net.mean_prediction(f.theta.data(), f.x.data(), f.n, g.data());
  double norm = 0;
  for (double v : g) norm += v * v;
  norm = std::sqrt(norm);
  for (int k = 0; k < P; ++k) u[size_t(k)] = g[size_t(k)] / norm;
  H.apply(u.data(), hvp.data());
  double prev = INFINITY;
  for (double r : {1e-1, 1e-2, 1e-3, 1e-4}) {
    opt::sharpness_difference(f.grad_G(), f.theta.data(), P, r, g.data(), h.data(), s.data());
    for (double& v : h) v /= r;
    const double err = rel_err(h, hvp);
    CAPTURE(r);
    CAPTURE(err);
    CHECK(err < prev * 0.3);  // first order: about 10x smaller per decade
    prev = err;
  }
  CHECK(prev < 1e-3);
}

TEST_CASE("ignite: the correction is lambda (rho/r) h; lambda follows the unclipped dual update; lambda = 0 is plain") {
  Fixture f(/*depth=*/1);
  const int P = f.net.num_params();
  std::vector<double> base(static_cast<size_t>(P)), grad(static_cast<size_t>(P)), g(static_cast<size_t>(P)), h(static_cast<size_t>(P)), s(static_cast<size_t>(P));
  for (int k = 0; k < P; ++k) base[size_t(k)] = 0.01 * k;
  const double norm = opt::sharpness_difference(f.grad_G(), f.theta.data(), P, 0.05, g.data(), h.data(), s.data());

  opt::IgniteConfig c;  // official defaults
  opt::IgniteCorrection ig;
  ig.reset(P, c);
  grad = base;
  CHECK(ig.apply(f.grad_G(), f.theta.data(), grad.data()) == norm);
  for (int k = 0; k < P; ++k) CHECK(grad[size_t(k)] == base[size_t(k)] + 1e-3 * (0.05 / 0.05) * h[size_t(k)]);
  CHECK(ig.lambda() == doctest::Approx(1e-3 + 1e-3 * (0.05 * norm - 1e-3)).epsilon(1e-14));

  // A loose budget: rho ||g|| < eps, lambda falls below 0 (no max(0, .) clip).
  c.epsilon = 10 * 0.05 * norm, c.lambda0 = 0, c.eta_lambda = 1;
  ig.reset(P, c);
  grad = base;
  ig.apply(f.grad_G(), f.theta.data(), grad.data());
  CHECK(grad == base);  // this step's lambda was 0
  CHECK(ig.lambda() < 0);
  ig.apply(f.grad_G(), f.theta.data(), grad.data());
  CHECK(ig.lambda() < -1.5 * 9 * 0.05 * norm);  // still falling

  // lambda fixed at 0: the step is the plain one, bit for bit.
  c.dual_update = false, c.lambda0 = 0;
  ig.reset(P, c);
  grad = base;
  for (int i = 0; i < 3; ++i) ig.apply(f.grad_G(), f.theta.data(), grad.data());
  CHECK(grad == base);
  CHECK(ig.lambda() == 0.0);
}

// ------------------------------------------------------------- the lesson
namespace {
// The lesson's black box, as an outside reader would code it from the panel.
double black_box(double x1, double x2) {
  auto bump = [](double a, double b, double ca, double cb, double s) {
    return std::exp(-((a - ca) * (a - ca) + (b - cb) * (b - cb)) / (2 * s * s));
  };
  return bump(x1, x2, 0.35, 0.3, 0.25) + 0.35 * bump(x1, x2, -0.55, -0.5, 0.2) - 0.15 * (x1 * x1 + x2 * x2);
}
}  // namespace

TEST_CASE("ignite lesson: exported designs reproduce the true scores; the constraint lowers ||grad G||") {
  pg::Session s;
  std::string msg;
  REQUIRE(s.open("ignite", msg));
  REQUIRE(s.set("train_steps", "300", msg));
  REQUIRE(s.set("ascent_steps", "30", msg));
  s.reset(2);
  lesson_test::run_to_end(s);
  CHECK(s.lesson().problem().empty());
  const pg::Array* range = s.lesson().outputs().find_array("score_range");
  const pg::Array* data_x = s.lesson().outputs().find_array("data_x");
  const pg::Array* data_y = s.lesson().outputs().find_array("data_y");
  REQUIRE(range);
  REQUIRE(data_x);
  REQUIRE(data_y);
  for (int64_t i = 0; i < data_y->size(); ++i) {
    CHECK(data_x->d[size_t(2 * i + 1)] <= 0.0);  // the lower half only
    CHECK(data_y->d[size_t(i)] == doctest::Approx(black_box(data_x->d[size_t(2 * i)], data_x->d[size_t(2 * i + 1)])).epsilon(1e-12));
  }
  const double fmin = range->d[0], fmax = range->d[1];
  for (const char* run : {"plain", "ignite"}) {
    CAPTURE(run);
    const pg::Array* d = s.lesson().outputs().find_array((std::string("designs_") + run).c_str());
    REQUIRE(d);
    double best = -INFINITY;
    for (int64_t k = 0; k < d->shape[0]; ++k)
      best = std::max(best, (black_box(d->d[size_t(2 * k)], d->d[size_t(2 * k + 1)]) - fmin) / (fmax - fmin));
    CHECK(best == doctest::Approx(lesson_test::metric(s, (std::string("true_score_") + run).c_str())).epsilon(1e-9));
  }
  // The dual update raised lambda (rho ||grad G|| > eps throughout) and the penalty lowered the norm.
  CHECK(lesson_test::metric(s, "lambda") > 1e-3);
  CHECK(lesson_test::metric(s, "surrogate_grad_norm_ignite") < lesson_test::metric(s, "surrogate_grad_norm_plain"));
}

TEST_CASE("ignite lesson: a fixed lambda = 0 makes the IGNITE run the plain run, bit for bit") {
  pg::Session s;
  std::string msg;
  REQUIRE(s.open("ignite", msg));
  for (auto kv : {std::pair{"train_steps", "120"}, {"ascent_steps", "10"}, {"lambda_mode", "fixed"}, {"lambda0", "0"}})
    REQUIRE_MESSAGE(s.set(kv.first, kv.second, msg), msg);
  s.reset(5);
  lesson_test::run_to_end(s);
  for (const char* m : {"true_score", "true_mean", "surrogate_grad_norm", "ood_rmse", "train_loss"}) {
    CAPTURE(m);
    CHECK(lesson_test::metric(s, (std::string(m) + "_plain").c_str()) ==
          lesson_test::metric(s, (std::string(m) + "_ignite").c_str()));
  }
}
