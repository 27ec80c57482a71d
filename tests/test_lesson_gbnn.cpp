// gbnn (LESSONS.md #21; method-notes.md section 10, checked against
// GAA-UAM/GBNN): the sigmoid net's gradient by finite differences; the
// residuals are the negative gradients of the official losses; the binary
// Newton step is the exact 1-D Newton step of the loss along h; F_0 minimizes
// the loss over constants; the merged net of T*J units equals the staged sum
// for all three tasks; the multiclass path learns well-separated blobs; and the
// lesson's default run (two moons, n = 200, noise 0.1, J = 2, T = 50,
// eta = 0.5) reaches training loss < 0.05 and test accuracy >= 0.98, with its
// exported merged weights reproducing the exported grid predictions.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "engine/data/toy.h"
#include "engine/nn/boosting.h"
#include "engine/rng.h"
#include "tests/lesson_test_util.h"
#include "web/session.h"

using namespace pg;
namespace nb = nn::boost;
using lesson_test::metric;
using lesson_test::run_to_end;

namespace {

std::vector<double> random_doubles(Rng& rng, int n, double lo = -1, double hi = 1) {
  std::vector<double> v(static_cast<size_t>(n));
  for (double& x : v) x = rng.uniform(lo, hi);
  return v;
}

// Targets for each task: binary 0/1 labels, multiclass class ids, regression values.
std::vector<double> targets(nb::Task task, int n, int K, Rng& rng) {
  std::vector<double> y(static_cast<size_t>(n));
  for (double& v : y)
    v = task == nb::Task::binary ? double(rng.below(2)) : task == nb::Task::multiclass ? double(rng.below(uint32_t(K)))
                                                                                      : rng.uniform(-1, 1);
  return y;
}

}  // namespace

TEST_CASE("gbnn: sigmoid net backward matches central differences (double)") {
  Rng rng(11);
  for (int shape = 0; shape < 3; ++shape) {
    const int in = 1 + shape, hidden = 1 + 3 * shape, out = 1 + shape, n = 5;
    nb::SigmoidNet net;
    nb::sigmoid_net_init(net, in, hidden, out, rng);
    for (double& p : net.p) p = rng.uniform(-2, 2);
    const std::vector<double> x = random_doubles(rng, n * in, -2, 2), dy = random_doubles(rng, n * out);
    std::vector<double> hid(size_t(n * hidden)), y(size_t(n * out)), grad(size_t(net.num_params())), dh(static_cast<size_t>(hidden));
    auto objective = [&]() {
      nb::sigmoid_net_forward(net, x.data(), n, hid.data(), y.data());
      double s = 0;
      for (int e = 0; e < n * out; ++e) s += dy[size_t(e)] * y[size_t(e)];
      return s;
    };
    objective();
    nb::sigmoid_net_backward(net, x.data(), hid.data(), dy.data(), n, grad.data(), dh.data());
    for (int i = 0; i < net.num_params(); ++i) {
      const double saved = net.p[size_t(i)], eps = 1e-6;
      net.p[size_t(i)] = saved + eps;
      const double up = objective();
      net.p[size_t(i)] = saved - eps;
      const double down = objective();
      net.p[size_t(i)] = saved;
      CHECK(grad[size_t(i)] == doctest::Approx((up - down) / (2 * eps)).epsilon(1e-6));
    }
  }
}

TEST_CASE("gbnn: residuals are the official losses' negative gradients; the binary step is 1-D Newton") {
  Rng rng(5);
  const int n = 17;
  for (nb::Task task : {nb::Task::binary, nb::Task::multiclass, nb::Task::regression}) {
    CAPTURE(int(task));
    const int K = task == nb::Task::multiclass ? 3 : 1;
    std::vector<double> y = targets(task, n, K, rng);
    if (task == nb::Task::binary)
      for (double& v : y) v = v > 0.5 ? 1.0 : -1.0;  // the losses take +-1
    std::vector<double> F = random_doubles(rng, n * K, -1.5, 1.5), r(size_t(n * K));
    nb::boost_residuals(task, K, F.data(), y.data(), n, r.data());
    // GBNN.py's squared loss derives y - F: half the negative gradient of (y - F)^2.
    const double factor = task == nb::Task::regression ? 0.5 : 1.0;
    for (int e = 0; e < n * K; ++e) {
      const double saved = F[size_t(e)], eps = 1e-6;
      F[size_t(e)] = saved + eps;
      const double up = nb::boost_loss(task, K, F.data(), y.data(), n) * n;
      F[size_t(e)] = saved - eps;
      const double down = nb::boost_loss(task, K, F.data(), y.data(), n) * n;
      F[size_t(e)] = saved;
      CHECK(r[size_t(e)] == doctest::Approx(-factor * (up - down) / (2 * eps)).epsilon(1e-6));
    }
    if (task != nb::Task::binary) continue;
    // phi(rho) = sum L(F + rho h): Newton's step -phi'(0) / phi''(0) by finite differences.
    const std::vector<double> h = random_doubles(rng, n);
    auto phi = [&](double rho) {
      std::vector<double> G(F);
      for (int i = 0; i < n; ++i) G[size_t(i)] += rho * h[size_t(i)];
      return nb::boost_loss(task, 1, G.data(), y.data(), n) * n;
    };
    const double e = 1e-4, d1 = (phi(e) - phi(-e)) / (2 * e), d2 = (phi(e) - 2 * phi(0) + phi(-e)) / (e * e);
    CHECK(nb::boost_newton_step(task, 1, y.data(), r.data(), h.data(), n) == doctest::Approx(-d1 / d2).epsilon(1e-5));
  }
}

TEST_CASE("gbnn: F_0 is the constant minimizer, and the merged net equals the staged sum (all tasks)") {
  for (nb::Task task : {nb::Task::binary, nb::Task::multiclass, nb::Task::regression}) {
    CAPTURE(int(task));
    Rng rng(21);
    const int n = 40, dim = 2, K = task == nb::Task::multiclass ? 3 : 1;
    const std::vector<double> x = random_doubles(rng, n * dim, -2, 2), y = targets(task, n, K, rng);
    nb::BoostConfig c;
    c.task = task, c.classes = 3, c.units_per_step = 3, c.steps = 7, c.eta = 0.7, c.fit_iters = 30;
    nb::Booster b;
    b.init(c, x.data(), y.data(), n, dim, 99);
    // F_0: the mean loss's derivative along a constant shift is 0 (binary, regression).
    if (task != nb::Task::multiclass) {
      const double f0 = b.f0()[0], e = 1e-6;
      std::vector<double> Fp(size_t(n), f0 + e), Fm(size_t(n), f0 - e), ypm(y);
      if (task == nb::Task::binary)
        for (double& v : ypm) v = v > 0.5 ? 1.0 : -1.0;
      const double slope = (nb::boost_loss(task, 1, Fp.data(), ypm.data(), n) - nb::boost_loss(task, 1, Fm.data(), ypm.data(), n)) / (2 * e);
      CHECK(std::fabs(slope) < 1e-6);
    }
    const double loss0 = b.train_loss();
    while (b.step()) {
    }
    CHECK(b.steps_done() == 7);
    CHECK(b.train_loss() < loss0);  // each step is a descent step on the training loss here
    const nb::SigmoidNet merged = b.merge(7);
    CHECK(merged.hidden == 7 * 3);
    const int m = 33;
    const std::vector<double> q = random_doubles(rng, m * dim, -3, 3);
    std::vector<double> staged(size_t(m * K)), hid(size_t(m * 21)), out(size_t(m * K)), mo(size_t(m * K));
    b.predict(q.data(), m, 7, staged.data(), hid.data(), out.data());
    nb::sigmoid_net_forward(merged, q.data(), m, hid.data(), mo.data());
    double worst = 0;
    for (int e = 0; e < m * K; ++e) worst = std::fmax(worst, std::fabs(mo[size_t(e)] - b.multiplier() * staged[size_t(e)]));
    CHECK(worst < 1e-12);
    CHECK(b.multiplier() == (task == nb::Task::binary ? 2.0 : 1.0));
  }
}

TEST_CASE("gbnn: multiclass boosting (one K-output regressor per step) learns three blobs") {
  const data::Dataset d = data::make_blobs(150, 3, 0.15f, 4);
  const std::vector<double> x(d.x.begin(), d.x.end());
  std::vector<double> y(static_cast<size_t>(d.n));
  for (int i = 0; i < d.n; ++i) y[size_t(i)] = d.y[size_t(i)];
  nb::BoostConfig c;
  c.task = nb::Task::multiclass, c.classes = 3, c.units_per_step = 2, c.steps = 20, c.eta = 0.5;
  nb::Booster b;
  b.init(c, x.data(), y.data(), d.n, 2, 3);
  while (b.step()) {
  }
  std::vector<double> F(size_t(d.n) * 3), hid(size_t(d.n) * 2), out(size_t(d.n) * 3);
  b.predict(x.data(), d.n, 20, F.data(), hid.data(), out.data());
  int hits = 0;
  for (int i = 0; i < d.n; ++i) {
    int best = 0;
    for (int k = 1; k < 3; ++k) best = F[size_t(i) * 3 + k] > F[size_t(i) * 3 + best] ? k : best;
    hits += best == d.y[size_t(i)];
  }
  CHECK(double(hits) / d.n >= 0.95);
  CHECK(b.train_loss() < 0.3);
}

TEST_CASE("gbnn: the default run (two moons n = 200, noise 0.1, J = 2, T = 50, eta = 0.5) meets the targets") {
  Session s;
  std::string msg;
  REQUIRE(s.open("gbnn", msg));
  s.reset(1);
  run_to_end(s, 7);
  CHECK(s.lesson().problem().empty());
  CHECK(metric(s, "steps_done") == 50);
  CHECK(metric(s, "train_loss") < 0.05);
  CHECK(metric(s, "test_acc") >= 0.98);
  CHECK(metric(s, "merged_units") == 100);
  CHECK(metric(s, "merged_vs_staged_max_abs") < 1e-10);
  CHECK(metric(s, "test_acc_joint") > 0.9);
  // The export: the merged weights alone reproduce the exported merged grid
  // predictions, and those are 2x the staged scores (binary).
  const Outputs& o = s.lesson().outputs();
  const Array *w1 = o.find_array("merged_w1"), *b1 = o.find_array("merged_b1"), *w2 = o.find_array("merged_w2"),
              *b2 = o.find_array("merged_b2"), *gx = o.find_array("grid_x"), *gm = o.find_array("grid_merged"),
              *gs = o.find_array("grid_staged");
  REQUIRE((w1 && b1 && w2 && b2 && gx && gm && gs));
  REQUIRE(w1->shape == std::vector<int64_t>{100, 2});
  const int G = int(gx->shape[0]);
  double worst = 0;
  for (int g = 0; g < G; ++g) {
    double f = b2->d[0];
    for (int u = 0; u < 100; ++u)
      f += w2->d[size_t(u)] * nb::sigmoid(b1->d[size_t(u)] + w1->d[size_t(u) * 2] * gx->d[size_t(g) * 2] +
                                          w1->d[size_t(u) * 2 + 1] * gx->d[size_t(g) * 2 + 1]);
    worst = std::fmax(worst, std::fabs(f - gm->d[size_t(g)]));
    worst = std::fmax(worst, std::fabs(f - 2.0 * gs->d[size_t(g)]));
  }
  CHECK(worst < 1e-10);
}

TEST_CASE("gbnn: inference with the first T' steps is live and matches a shorter staged sum") {
  Session s;
  std::string msg;
  REQUIRE(s.open("gbnn", msg));
  REQUIRE(s.set("t", "12", msg));
  s.reset(2);
  run_to_end(s);
  const double full = metric(s, "test_acc_shown");
  CHECK(full == metric(s, "test_acc"));
  REQUIRE(s.set("t_show", "0", msg));
  CHECK(metric(s, "steps_done") == 12);            // not restarted
  CHECK(metric(s, "test_acc_shown") <= 0.6);       // F_0 alone: a constant, one class
  for (const char* ds : {"spirals", "sine"}) {
    Session t;
    REQUIRE(t.open("gbnn", msg));
    REQUIRE(t.set("dataset", ds, msg));
    REQUIRE(t.set("t", "5", msg));
    t.reset(1);
    run_to_end(t);
    CHECK(t.lesson().problem().empty());
    CHECK(metric(t, "merged_vs_staged_max_abs") < 1e-10);
  }
}
