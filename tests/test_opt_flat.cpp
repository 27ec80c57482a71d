// engine/opt: the flat trainer and its methods.  The log-sum-exp gradient and
// Hessian against finite differences, GN - H = g g^T / mu, Cholesky, the
// regularized Newton step (monotone; a Newton step on a quadratic as gamma ->
// inf), optimistic OMD (M = 0 is OGD bit for bit; the fixed-eta regret bound
// on random sequences), the nn::Optimizer adapter, the divergence stop and
// frame-split independence.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <memory>
#include <vector>

#include "engine/nn/optim.h"
#include "engine/opt/flat_trainer.h"
#include "engine/opt/linalg.h"
#include "engine/opt/logsumexp.h"
#include "engine/opt/methods.h"
#include "engine/rng.h"

namespace {

opt::Objective lse_objective(const opt::LogSumExpProblem& p) {
  opt::Objective f;
  f.dim = p.dim();
  f.value_grad = [&p](int, const double* x, double* g) { return p.value_grad(x, g); };
  return f;
}

std::vector<double> random_point(pg::Rng& rng, int n, double scale) {
  std::vector<double> x(static_cast<size_t>(n));
  for (double& v : x) v = rng.uniform(-scale, scale);
  return x;
}

using opt::project_ball;

}  // namespace

TEST_CASE("opt: log-sum-exp gradient and Hessian match central differences, several mu") {
  for (double mu : {0.05, 0.3, 2.0}) {
    CAPTURE(mu);
    pg::Rng rng(11);
    opt::LogSumExpProblem p;
    p.generate(17, 5, mu, rng);
    const int n = p.dim();
    std::vector<double> x = random_point(rng, n, 0.5), g(static_cast<size_t>(n)), H(size_t(n) * n), gp(static_cast<size_t>(n)), gm(static_cast<size_t>(n));
    p.value_grad(x.data(), g.data());
    p.hessian(x.data(), H.data(), false);
    const double h = 1e-6;
    for (int i = 0; i < n; ++i) {
      std::vector<double> xp = x, xm = x;
      xp[size_t(i)] += h, xm[size_t(i)] -= h;
      const double fd = (p.value_grad(xp.data(), gp.data()) - p.value_grad(xm.data(), gm.data())) / (2 * h);
      CHECK(g[size_t(i)] == doctest::Approx(fd).epsilon(1e-6));
      for (int j = 0; j < n; ++j) {  // d g_j / d x_i
        const double fdh = (gp[size_t(j)] - gm[size_t(j)]) / (2 * h);
        CHECK(std::fabs(H[size_t(i) * n + j] - fdh) <= 1e-6 * (1 + std::fabs(fdh)));
      }
    }
  }
}

TEST_CASE("opt: Gauss-Newton minus the exact Hessian is g g^T / mu, and PSD") {
  pg::Rng rng(5);
  opt::LogSumExpProblem p;
  p.generate(40, 7, 0.2, rng);
  const int n = p.dim();
  for (int trial = 0; trial < 5; ++trial) {
    std::vector<double> x = random_point(rng, n, 2.0), g(static_cast<size_t>(n)), H(size_t(n) * n), G(size_t(n) * n);
    p.value_grad(x.data(), g.data());
    p.hessian(x.data(), H.data(), false);
    p.hessian(x.data(), G.data(), true);
    for (int r = 0; r < n; ++r)
      for (int c = 0; c < n; ++c)
        CHECK(std::fabs(G[size_t(r) * n + c] - H[size_t(r) * n + c] - g[size_t(r)] * g[size_t(c)] / p.mu()) < 1e-12);
    // PSD: v^T (GN - H) v = (g.v)^2 / mu >= 0 for random v (up to rounding)
    for (int k = 0; k < 10; ++k) {
      std::vector<double> v = random_point(rng, n, 1.0);
      double q = 0.0;
      for (int r = 0; r < n; ++r)
        for (int c = 0; c < n; ++c) q += v[size_t(r)] * (G[size_t(r) * n + c] - H[size_t(r) * n + c]) * v[size_t(c)];
      CHECK(q >= -1e-12);
    }
  }
}

TEST_CASE("opt: Cholesky solves SPD systems and refuses an indefinite one") {
  pg::Rng rng(2);
  for (int n : {1, 3, 17}) {
    std::vector<double> B = random_point(rng, n * n, 1.0), A(size_t(n) * n, 0.0), b = random_point(rng, n, 1.0),
                        x(static_cast<size_t>(n));
    for (int r = 0; r < n; ++r)
      for (int c = 0; c < n; ++c) {
        for (int k = 0; k < n; ++k) A[size_t(r) * n + c] += B[size_t(r) * n + k] * B[size_t(c) * n + k];
        if (r == c) A[size_t(r) * n + c] += 0.1;
      }
    std::vector<double> L = A;
    REQUIRE(opt::cholesky_factor(L.data(), n));
    opt::cholesky_solve(L.data(), n, b.data(), x.data());
    for (int r = 0; r < n; ++r) CHECK(opt::dot(&A[size_t(r) * n], x.data(), n) == doctest::Approx(b[size_t(r)]).epsilon(1e-9));
  }
  double M[4] = {1, 2, 2, 1};  // eigenvalues 3 and -1
  CHECK_FALSE(opt::cholesky_factor(M, 2));
}

TEST_CASE("opt: the regularized Newton method decreases f monotonically (exact, GN) and so does the gradient method") {
  for (double mu : {0.02, 0.1, 1.0}) {
    CAPTURE(mu);
    pg::Rng rng(3);
    opt::LogSumExpProblem p;
    p.generate(60, 10, mu, rng);
    std::vector<double> x0(10, 0.0);
    for (int kind = 0; kind < 3; ++kind) {
      CAPTURE(kind);
      opt::FlatTrainer t;
      std::unique_ptr<opt::Method> m;
      if (kind == 2) m = std::make_unique<opt::BacktrackingGradient>(opt::BacktrackingGradientConfig{});
      else
        m = std::make_unique<opt::RegularizedNewton>(
            [&p, kind](const double* x, double* H) { p.hessian(x, H, kind == 1); }, opt::RegularizedNewtonConfig{});
      t.reset(lse_objective(p), std::move(m), x0.data(), 60);
      double prev = p.value_grad(x0.data(), nullptr);
      while (!t.done()) {
        t.step(1, 1e30);
        CHECK(t.last_value() <= prev);
        prev = t.last_value();
      }
      CHECK_FALSE(t.diverged());
      if (kind < 2) CHECK(prev < p.value_grad(x0.data(), nullptr));
    }
  }
}

TEST_CASE("opt: on a quadratic, gamma -> infinity makes the step a Newton step (one step to the minimizer)") {
  // f = 1/2 x^T Q x - c^T x, Q SPD (n = 4): x* = Q^-1 c.
  const int n = 4;
  const double Q[16] = {4, 1, 0, 0.5, 1, 3, 0.2, 0, 0, 0.2, 2, 0.1, 0.5, 0, 0.1, 1.5};
  const double c[4] = {1, -2, 0.5, 3};
  opt::Objective f;
  f.dim = n;
  f.value_grad = [&](int, const double* x, double* g) {
    double v = 0.0;
    for (int r = 0; r < n; ++r) {
      const double qx = opt::dot(&Q[r * n], x, n);
      v += 0.5 * x[r] * qx - c[r] * x[r];
      if (g) g[r] = qx - c[r];
    }
    return v;
  };
  std::vector<double> L(Q, Q + 16), xstar(static_cast<size_t>(n)), x0 = {1, 1, -1, 2};
  REQUIRE(opt::cholesky_factor(L.data(), n));
  opt::cholesky_solve(L.data(), n, c, xstar.data());
  for (double gamma0 : {1e3, 1e6, 1e12}) {
    opt::RegularizedNewtonConfig config;
    config.gamma0 = gamma0;
    opt::FlatTrainer t;
    t.reset(f, std::make_unique<opt::RegularizedNewton>([&](const double*, double* H) {
              for (int k = 0; k < 16; ++k) H[k] = Q[k];
            }, config), x0.data(), 1);
    t.step(1, 1e30);
    double err = 0.0;
    for (int k = 0; k < n; ++k) err = std::max(err, std::fabs(t.x()[size_t(k)] - xstar[size_t(k)]));
    CAPTURE(gamma0);
    CHECK(err < 100.0 / gamma0);  // the step is the Newton step up to O(lambda) = O(1/gamma)
  }
}

TEST_CASE("opt: a failed factorization halves gamma like a rejected step") {
  // A concave direction: H = -I, so H + lambda I is indefinite until lambda > 1.
  opt::Objective f;
  f.dim = 2;
  f.value_grad = [](int, const double* x, double* g) {
    if (g) g[0] = x[0], g[1] = x[1];
    return 0.5 * (x[0] * x[0] + x[1] * x[1]);
  };
  opt::RegularizedNewtonConfig config;
  config.gamma0 = 64;  // ||g|| = 1 at x0 = (1, 0): lambda = 1/64, then 1/32, ... > 1 after 7 halvings
  auto m = std::make_unique<opt::RegularizedNewton>([](const double*, double* H) {
    H[0] = H[3] = -1, H[1] = H[2] = 0;
  }, config);
  opt::RegularizedNewton* raw = m.get();
  const double x0[2] = {1, 0};
  opt::FlatTrainer t;
  t.reset(f, std::move(m), x0, 1);
  t.step(1, 1e30);
  CHECK(raw->failed_factorizations() == 7);  // lambda = 1/64 .. 1 are not > 1
  CHECK(t.x()[0] < 1.0);                     // then a step was accepted
}

TEST_CASE("opt: optimistic OMD with M = 0 is OGD bit for bit (fixed and adaptive steps)") {
  const int n = 3, T = 300;
  for (bool adaptive : {false, true}) {
    std::vector<double> played[2];
    for (int which = 0; which < 2; ++which) {
      opt::Objective f;
      f.dim = n;
      std::vector<double>& rec = played[which];
      f.value_grad = [&rec](int t, const double* x, double* g) {
        pg::Rng rng(1000 + uint64_t(t));  // f_t(x) = <g_t, x>, g_t drawn from t
        double v = 0.0;
        for (int k = 0; k < 3; ++k) {
          g[k] = rng.normal(0.3, 1.0);
          v += g[k] * x[k];
          rec.push_back(x[k]);
        }
        return v;
      };
      f.project = [](double* x) { project_ball(x, 3, 1.0); };
      opt::OnlineStepConfig c;
      c.adaptive = adaptive, c.eta = 0.07;
      std::unique_ptr<opt::Method> m;
      if (which == 0) m = std::make_unique<opt::OnlineGradientDescent>(c);
      else m = std::make_unique<opt::OptimisticOmd>(c, opt::OptimisticOmd::Hint::zero);
      const double x0[3] = {0.2, -0.1, 0.4};
      opt::FlatTrainer t;
      t.reset(f, std::move(m), x0, T);
      while (!t.done()) t.step(7, 1e30);
    }
    REQUIRE(played[0].size() == played[1].size());
    CHECK(std::memcmp(played[0].data(), played[1].data(), played[0].size() * sizeof(double)) == 0);
  }
}

TEST_CASE("opt: the fixed-eta optimistic bound holds on random sequences, for every comparator tried") {
  // sum <g_t, x_t - u> <= ||u - x^_1||^2 / (2 eta) + (eta/2) sum ||g_t - M_t||^2 - (1/(2 eta)) sum ||x_t - x^_t||^2
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    pg::Rng rng(seed);
    const int n = 1 + int(rng.below(5)), T = 50 + int(rng.below(200));
    const double eta = rng.uniform(0.01, 1.0), R = rng.uniform(0.5, 2.0), drift = rng.uniform(0, 2),
                 noise = rng.uniform(0, 2);
    std::vector<double> gs, xs;
    opt::Objective f;
    f.dim = n;
    f.value_grad = [&](int t, const double* x, double* g) {
      pg::Rng r(seed * 7919 + uint64_t(t));
      double v = 0.0;
      for (int k = 0; k < n; ++k) {
        g[k] = drift * ((t / 5) % 2 ? 1.0 : -1.0) * (k + 1) / n + noise * r.normal();
        v += g[k] * x[k];
        gs.push_back(g[k]), xs.push_back(x[k]);
      }
      return v;
    };
    f.project = [n, R](double* x) { project_ball(x, n, R); };
    opt::OnlineStepConfig c;
    c.eta = eta;
    auto m = std::make_unique<opt::OptimisticOmd>(c, opt::OptimisticOmd::Hint::last_gradient);
    opt::OptimisticOmd* omd = m.get();
    std::vector<double> x0(size_t(n), 0.0);
    opt::FlatTrainer t;
    t.reset(f, std::move(m), x0.data(), T);
    t.step(T, 1e30);
    double dev = 0.0;  // sum ||g_t - g_(t-1)||^2, g_(-1) = 0
    for (int s = 0; s < T; ++s)
      for (int k = 0; k < n; ++k) {
        const double prev = s > 0 ? gs[size_t(s - 1) * n + k] : 0.0;
        dev += (gs[size_t(s) * n + k] - prev) * (gs[size_t(s) * n + k] - prev);
      }
    for (int trial = 0; trial < 8; ++trial) {
      std::vector<double> u = random_point(rng, n, R);
      if (trial == 0) {  // the best comparator in hindsight: -R G / ||G||
        std::vector<double> G(size_t(n), 0.0);
        for (int s = 0; s < T; ++s)
          for (int k = 0; k < n; ++k) G[size_t(k)] += gs[size_t(s) * n + k];
        const double norm = std::sqrt(opt::dot(G.data(), G.data(), n));
        for (int k = 0; k < n; ++k) u[size_t(k)] = norm > 0 ? -R * G[size_t(k)] / norm : 0.0;
      }
      project_ball(u.data(), n, R);
      double regret = 0.0, u_sq = 0.0;
      for (int s = 0; s < T; ++s)
        for (int k = 0; k < n; ++k) regret += gs[size_t(s) * n + k] * (xs[size_t(s) * n + k] - u[size_t(k)]);
      for (int k = 0; k < n; ++k) u_sq += u[size_t(k)] * u[size_t(k)];
      const double bound = u_sq / (2 * eta) + eta / 2 * dev - omd->sum_play_gap_sq() / (2 * eta);
      CAPTURE(seed);
      CHECK(regret <= bound + 1e-9 * (1 + std::fabs(bound)));
      const double D = 2 * R;  // the looser D^2 / (2 eta) form the lesson reports
      CHECK(regret <= D * D / (2 * eta) + eta / 2 * dev + 1e-9);
    }
  }
}

TEST_CASE("opt: NnOptimizer gives nn::Optimizer's numbers, and the trainer stops on divergence") {
  const int n = 5;
  opt::Objective f;
  f.dim = n;
  f.value_grad = [](int t, const double* x, double* g) {
    double v = 0.0;
    for (int k = 0; k < 5; ++k) {
      g[k] = (k + 1) * x[k] - 0.1 * t;
      v += 0.5 * (k + 1) * x[k] * x[k];
    }
    return v;
  };
  nn::OptimizerConfig c;
  c.kind = nn::OptimizerKind::adam;
  c.lr = 0.05f;
  const double x0[5] = {1, -1, 0.5, 2, -0.3};
  opt::FlatTrainer t;
  t.reset(f, std::make_unique<opt::NnOptimizer>(c), x0, 20);
  t.step(3, 1e30);
  t.step(100, 1e30);
  nn::Optimizer direct;
  direct.init(n, c);
  std::vector<float> p(x0, x0 + 5), g(5);
  std::vector<double> xd(5), gd(5);
  for (int s = 0; s < 20; ++s) {
    for (int k = 0; k < n; ++k) xd[size_t(k)] = p[size_t(k)];
    f.value_grad(s, xd.data(), gd.data());
    for (int k = 0; k < n; ++k) g[size_t(k)] = float(gd[size_t(k)]);
    direct.update(p.data(), g.data());
  }
  for (int k = 0; k < n; ++k) CHECK(t.x()[size_t(k)] == double(p[size_t(k)]));

  // SGD with a step far too large on a quadratic blows up: the trainer stops and says so.
  nn::OptimizerConfig big;
  big.kind = nn::OptimizerKind::sgd, big.lr = 10.0f, big.momentum = 0.0f;
  opt::FlatTrainer d;
  d.reset(f, std::make_unique<opt::NnOptimizer>(big), x0, 100000);
  d.step(100000, 1e30);
  CHECK(d.diverged());
  CHECK(d.done());
  CHECK(d.steps() < 100000);
  CHECK(d.problem().find("diverged") != std::string::npos);

  // A NaN in the gradient (finite loss) is not applied: the trainer stops with the parameters of the step before.
  opt::Objective poisoned = f;
  poisoned.value_grad = [&f](int t, const double* x, double* g) {
    const double v = f.value_grad(t, x, g);
    if (t == 2) g[3] = NAN;
    return v;
  };
  opt::FlatTrainer p2, p3;
  p2.reset(f, std::make_unique<opt::NnOptimizer>(c), x0, 2);
  p2.step(10, 1e30);
  p3.reset(poisoned, std::make_unique<opt::NnOptimizer>(c), x0, 10);
  p3.step(10, 1e30);
  CHECK(p3.diverged());
  CHECK(p3.steps() == 3);
  CHECK(p3.x() == p2.x());

  // A schedule multiplies the learning rate: warm-up from 1/W.
  nn::LrSchedule warm;
  warm.kind = nn::ScheduleKind::warmup_cosine, warm.total_steps = 10, warm.warmup_steps = 4;
  nn::OptimizerConfig sgd;
  sgd.kind = nn::OptimizerKind::sgd, sgd.lr = 0.1f, sgd.momentum = 0.0f;
  opt::FlatTrainer w;
  w.reset(f, std::make_unique<opt::NnOptimizer>(sgd, warm), x0, 1);
  w.step(1, 1e30);
  // step 0: factor 1/4, g_0 = 1 * x0[0]
  CHECK(w.x()[0] == double(float(x0[0]) - (0.1f * 0.25f) * float(x0[0])));
}

TEST_CASE("opt: the trainer's state after N units does not depend on how step() calls split them") {
  pg::Rng rng(9);
  opt::LogSumExpProblem p;
  p.generate(30, 6, 0.1, rng);
  std::vector<double> x0(6, 0.0);
  auto run = [&](int per_call) {
    opt::FlatTrainer t;
    t.reset(lse_objective(p), std::make_unique<opt::BacktrackingGradient>(opt::BacktrackingGradientConfig{}),
            x0.data(), 200, 16);
    while (!t.done()) t.step(per_call, 1e30);
    std::vector<double> out = t.x();
    for (int i = 0; i < t.loss_curve().size(); ++i) out.push_back(t.loss_curve().values()[i]);
    out.push_back(t.method().state());
    return out;
  };
  const std::vector<double> a = run(1), b = run(7), c = run(1000);
  CHECK(a == b);
  CHECK(a == c);
}

TEST_CASE("nn: curves thin by merging pairs, by call count or in aligned windows") {
  // By call count (the trainers' curves): capacity 4, one value per step, value = step.
  nn::Curve calls;
  calls.reserve(4);
  for (int s = 1; s <= 10; ++s) calls.add(s, double(s));
  // 1 2 3 4 | full at 5: (2, 1.5) (4, 3.5), stride 2, and 5 alone | (7, 6.5) | full at 9:
  // (4, 2.5) (7, 5.75), stride 4, and (9, 8.5); 10 is pending.
  REQUIRE(calls.size() == 3);
  const float call_steps[] = {4, 7, 9}, call_values[] = {2.5f, 5.75f, 8.5f};
  for (int i = 0; i < 3; ++i) {
    CHECK(calls.steps()[i] == call_steps[i]);
    CHECK(calls.values()[i] == call_values[i]);
  }
  CHECK(calls.stride() == 4);

  // Aligned windows of 2 steps: points end at multiples of the window, and after a
  // merge the open window grows to the next multiple of the doubled window.
  nn::Curve aligned;
  aligned.reserve(4, 2);
  for (int s = 1; s <= 20; ++s) aligned.add(s, double(s));
  // (2, 1.5) (4, 3.5) (6, 5.5) (8, 7.5) | full at 10: (4, 2.5) (8, 6.5), window 4, keep
  // collecting | (12, 10.5) (16, 14.5) | full at 20: (8, 4.5) (16, 12.5), window 8.
  REQUIRE(aligned.size() == 2);
  CHECK(aligned.steps()[0] == 8.0f);
  CHECK(aligned.values()[0] == 4.5f);
  CHECK(aligned.steps()[1] == 16.0f);
  CHECK(aligned.values()[1] == 12.5f);
  CHECK(aligned.last_mean() == 14.5);  // the last point recorded, before the merge
  CHECK(aligned.stride() == 4);        // window 8 = 4 x 2

  // A window's mean is taken in double before rounding: 1 + 2^-30 twice is not 1.
  nn::Curve fine;
  fine.reserve(4, 2);
  fine.add(1, 1.0 + std::ldexp(1.0, -30));
  fine.add(2, 1.0 + std::ldexp(1.0, -30));
  CHECK(fine.last_mean() == 1.0 + std::ldexp(1.0, -30));
}

TEST_CASE("nn: the linear schedule decays in float from 1 to the floor, then stays") {
  const nn::LrSchedule linear{nn::ScheduleKind::linear, 6000, 0, 0.1f};
  CHECK(linear.factor(0) == 1.0f);
  CHECK(linear.factor(3000) == 1.0f - 0.9f * 0.5f);
  CHECK(linear.factor(1234) == 1.0f - (1.0f - 0.1f) * (float(1234) / float(6000)));
  CHECK(linear.factor(6000) == 1.0f - (1.0f - 0.1f));
  CHECK(linear.factor(100000) == linear.factor(6000));
  const nn::LrSchedule never{nn::ScheduleKind::linear, 0, 0, 0.1f};
  CHECK(never.factor(50) == 1.0f);
}

TEST_CASE("opt: the after-step hook sees every unit and can stop the run with a message") {
  opt::Objective f;
  f.dim = 1;
  f.value_grad = [](int, const double* x, double* g) {
    if (g) g[0] = x[0];
    return 0.5 * x[0] * x[0];
  };
  nn::OptimizerConfig sgd;
  sgd.kind = nn::OptimizerKind::sgd, sgd.lr = 0.1f, sgd.momentum = 0.0f;
  const double x0 = 1.0;
  opt::FlatTrainer t;
  t.reset(f, std::make_unique<opt::NnOptimizer>(sgd), &x0, 100);
  std::vector<int> seen;
  t.set_after_step([&](int steps) {
    seen.push_back(steps);
    if (steps == 5) t.stop("a reference check failed at step 5");
  });
  CHECK(t.step(100, 1e30) == 5);
  CHECK(seen == std::vector<int>{1, 2, 3, 4, 5});
  CHECK(t.diverged());
  CHECK(t.problem() == "a reference check failed at step 5");
  CHECK(t.step(10, 1e30) == 0);
  t.reset(f, std::make_unique<opt::NnOptimizer>(sgd), &x0, 3);  // a reset drops the hook
  CHECK(t.step(10, 1e30) == 3);
  CHECK(seen.size() == 5);
}
