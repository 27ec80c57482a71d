// engine/opt/grpo.h: the max-variance rule equals brute force for every
// G <= 12 and k (also with ties and GRPO-shaped advantages), token selection
// keeps exactly ceil(pN) tokens and never drops a higher score than it keeps,
// equal rewards give zero advantage, the exact expected reward equals
// enumeration, and the policy-gradient loss's gradient matches central
// differences.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "engine/opt/grpo.h"
#include "engine/rng.h"

TEST_CASE("grpo: the sorted max-variance rule equals brute force for G <= 12, every k") {
  pg::Rng rng(42);
  int cases = 0;
  for (int n = 1; n <= 12; ++n)
    for (int trial = 0; trial < 6; ++trial) {
      std::vector<double> v(static_cast<size_t>(n));
      if (trial % 3 == 0) {  // GRPO-shaped: advantages of binary rewards
        std::vector<double> r(static_cast<size_t>(n));
        for (double& x : r) x = rng.uniform() < 0.3 ? 1.0 : 0.0;
        opt::group_advantages(r.data(), n, 1e-6, v.data());
      } else if (trial % 3 == 1) {  // many ties
        for (double& x : v) x = double(rng.below(3)) - 1.0;
      } else {
        for (double& x : v) x = rng.normal();
      }
      std::vector<int> order(static_cast<size_t>(n)), kept(static_cast<size_t>(n));
      for (int k = 1; k <= n; ++k) {
        const double rule = opt::max_variance_subset(v.data(), n, k, order.data(), kept.data());
        const double brute = opt::max_variance_brute_force(v.data(), n, k);
        CAPTURE(n);
        CAPTURE(k);
        CHECK(std::fabs(rule - brute) <= 1e-12 * (1 + brute));
        CHECK(opt::population_variance(v.data(), kept.data(), k) == doctest::Approx(rule).epsilon(1e-12));  // the returned set
        for (int j = 1; j < k; ++j) CHECK(kept[size_t(j)] > kept[size_t(j - 1)]);  // distinct, ascending
        ++cases;
      }
    }
  CHECK(cases == 6 * 78);
}

TEST_CASE("grpo: token selection keeps exactly ceil(pN) and every kept score >= every dropped one") {
  CHECK(opt::keep_count(0.2, 10) == 2);    // 0.2 * 10 = 2.0000000000000004 in floating point: still 2
  CHECK(opt::keep_count(0.25, 7) == 2);    // ceil(1.75)
  CHECK(opt::keep_count(0.05, 8) == 1);    // at least one
  CHECK(opt::keep_count(1.0, 13) == 13);
  CHECK(opt::keep_count(0.3, 0) == 0);
  pg::Rng rng(7);
  for (int trial = 0; trial < 40; ++trial) {
    const int n = 1 + int(rng.below(300));
    const double p = rng.uniform(0.05, 1.0);
    std::vector<double> s(static_cast<size_t>(n));
    for (double& x : s) x = trial % 2 ? double(rng.below(4)) : rng.uniform();  // ties on odd trials
    const int keep = opt::keep_count(p, n);
    CHECK(keep == std::max(1, int(std::ceil(p * n - 1e-9))));
    std::vector<int> order(static_cast<size_t>(n)), kept(static_cast<size_t>(keep));
    opt::top_k(s.data(), n, keep, order.data(), kept.data());
    std::vector<int> mask(static_cast<size_t>(n), 0);
    for (int i : kept) mask[size_t(i)] = 1;
    int count = 0;
    double min_kept = INFINITY, max_dropped = -INFINITY;
    for (int i = 0; i < n; ++i) {
      count += mask[size_t(i)];
      if (mask[size_t(i)]) min_kept = std::min(min_kept, s[size_t(i)]);
      else max_dropped = std::max(max_dropped, s[size_t(i)]);
    }
    CHECK(count == keep);
    CHECK(min_kept >= max_dropped);
  }
}

TEST_CASE("grpo: a group of equal rewards gets zero advantage; otherwise mean 0 and unit std") {
  for (double r : {0.0, 1.0}) {
    const double rewards[5] = {r, r, r, r, r};
    double a[5];
    opt::group_advantages(rewards, 5, 1e-6, a);
    for (double x : a) CHECK(x == 0.0);
  }
  const double rewards[4] = {1, 0, 0, 0};
  double a[4];
  opt::group_advantages(rewards, 4, 0.0, a);
  CHECK(a[0] + a[1] + a[2] + a[3] == doctest::Approx(0.0).epsilon(1e-12));
  CHECK((a[0] * a[0] + a[1] * a[1] + a[2] * a[2] + a[3] * a[3]) / 4 == doctest::Approx(1.0));
}

TEST_CASE("grpo: the exact expected reward equals enumeration over all sequences") {
  const int L = 4, V = 3;
  opt::TabularPolicy pol;
  pol.configure(L, V, 2, {2, 0, 1, 1});
  pg::Rng rng(3);
  std::vector<double> theta(static_cast<size_t>(pol.num_params()));
  for (double& t : theta) t = rng.normal();
  pol.update_tables(theta.data());
  double total = 0.0, mass = 0.0;
  int tokens[L];
  for (int code = 0; code < 81; ++code) {
    int c = code, prev = 0;
    double p = 1.0;
    for (int l = 0; l < L; ++l) {
      tokens[l] = c % V, c /= V;
      p *= pol.probs(l, prev)[tokens[l]];
      prev = tokens[l];
    }
    mass += p;
    total += p * pol.reward(tokens);
  }
  CHECK(mass == doctest::Approx(1.0));
  CHECK(pol.expected_reward() == doctest::Approx(total).epsilon(1e-12));
  // and Monte Carlo agrees roughly
  int states[L];
  double mc = 0.0;
  for (int i = 0; i < 20000; ++i) mc += pol.sample(rng, tokens, states);
  CHECK(mc / 20000 == doctest::Approx(total).epsilon(0.05));
}

TEST_CASE("grpo: the policy-gradient loss's gradient matches central differences") {
  const int L = 5, V = 4, n = 12;
  opt::TabularPolicy pol;
  pol.configure(L, V, 3, {0, 1, 2, 3, 0});
  pg::Rng rng(8);
  std::vector<double> theta(static_cast<size_t>(pol.num_params()));
  for (double& t : theta) t = 0.5 * rng.normal();
  pol.update_tables(theta.data());
  std::vector<int> tokens(size_t(n) * L), states(size_t(n) * L), kept(size_t(n) * L);
  std::vector<double> adv(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    pol.sample(rng, &tokens[size_t(i) * L], &states[size_t(i) * L]);
    adv[size_t(i)] = rng.normal();
  }
  for (int& k : kept) k = rng.uniform() < 0.6;
  std::vector<double> grad(theta.size()), scratch(theta.size());
  opt::policy_gradient_loss(pol, tokens.data(), states.data(), adv.data(), kept.data(), n, grad.data());
  const double h = 1e-6;
  for (size_t k = 0; k < theta.size(); ++k) {
    const double saved = theta[k];
    theta[k] = saved + h;
    pol.update_tables(theta.data());
    const double up = opt::policy_gradient_loss(pol, tokens.data(), states.data(), adv.data(), kept.data(), n, scratch.data());
    theta[k] = saved - h;
    pol.update_tables(theta.data());
    const double down = opt::policy_gradient_loss(pol, tokens.data(), states.data(), adv.data(), kept.data(), n, scratch.data());
    theta[k] = saved;
    CHECK(std::fabs(grad[k] - (up - down) / (2 * h)) < 1e-7);
  }
  std::vector<int> none(kept.size(), 0);
  CHECK(opt::policy_gradient_loss(pol, tokens.data(), states.data(), adv.data(), none.data(), n, grad.data()) == 0.0);
  for (double g : grad) CHECK(g == 0.0);
}
