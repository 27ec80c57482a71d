// optimistic-omd (LESSONS.md #26) at the lesson level: the fixed-eta bound
// holds on every sequence tried (random knobs and seeds); the exported loss
// sequence and played points recompute the regrets; optimism with adaptive
// steps beats OGD on a slow drift and loses its edge under heavy noise;
// frame splits do not change the numbers.  (M = 0 being OGD bit for bit and
// the bound on arbitrary random sequences are tested in test_opt_flat.cpp.)
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "engine/rng.h"
#include "tests/lesson_test_util.h"
#include "web/session.h"

using namespace pg;
using lesson_test::metric;
using lesson_test::run_to_end;
using lesson_test::output_array;

namespace {
void open_omd(Session& s, std::initializer_list<std::pair<const char*, std::string>> knobs) {
  std::string msg;
  REQUIRE(s.open("optimistic-omd", msg));
  for (const auto& kv : knobs) REQUIRE_MESSAGE(s.set(kv.first, kv.second, msg), msg);
}
}  // namespace

TEST_CASE("optimistic-omd: the fixed-eta bound holds across the stochastic-adversarial spectrum") {
  Rng rng(17);
  for (int trial = 0; trial < 12; ++trial) {
    Session s;
    char sigma[32], amp[32], eta[32];
    std::snprintf(sigma, sizeof sigma, "%.3f", rng.uniform(0, 2));
    std::snprintf(amp, sizeof amp, "%.3f", rng.uniform(0, 2));
    std::snprintf(eta, sizeof eta, "%.4f", std::exp(rng.uniform(std::log(1e-3), 0.0)));
    open_omd(s, {{"sigma", sigma}, {"amplitude", amp}, {"eta", eta}, {"period", std::to_string(2 + rng.below(500))},
                 {"rounds", "400"}, {"d", std::to_string(2 + rng.below(7))}});
    s.reset(100 + uint64_t(trial));
    run_to_end(s);
    CAPTURE(sigma);
    CAPTURE(amp);
    CAPTURE(eta);
    CHECK(metric(s, "bound_holds") == 1);
    CHECK(metric(s, "regret_oomd_fixed") <= metric(s, "bound_tight_fixed_eta") + 1e-9);
    CHECK(metric(s, "bound_tight_fixed_eta") <= metric(s, "bound_fixed_eta") + 1e-9);
    CHECK(metric(s, "regret_ogd_fixed") <= metric(s, "bound_ogd_fixed_eta") + 1e-9);
    CHECK(metric(s, "dynamic_regret_ogd") >= metric(s, "regret_ogd") - 1e-9);
  }
}

TEST_CASE("optimistic-omd: the exported losses and played points recompute the regrets") {
  Session s;
  open_omd(s, {{"rounds", "500"}, {"d", "3"}});
  s.reset(5);
  run_to_end(s);
  const Array& g = output_array(s, "gradients");
  REQUIRE(g.shape == std::vector<int64_t>{500, 3});
  const char* keys[4] = {"x_ogd_fixed", "x_oomd_fixed", "x_ogd_adaptive", "x_oomd_adaptive"};
  const char* metrics[4] = {"regret_ogd_fixed", "regret_oomd_fixed", "regret_ogd_adaptive", "regret_oomd_adaptive"};
  double G[3] = {0, 0, 0};
  for (int t = 0; t < 500; ++t)
    for (int k = 0; k < 3; ++k) G[k] += g.d[size_t(t) * 3 + k];
  const double best = -std::sqrt(G[0] * G[0] + G[1] * G[1] + G[2] * G[2]);  // min over the unit ball
  for (int r = 0; r < 4; ++r) {
    const Array& x = output_array(s, keys[r]);
    REQUIRE(x.shape == g.shape);
    double loss = 0.0;
    for (size_t i = 0; i < g.d.size(); ++i) loss += g.d[i] * x.d[i];
    for (int t = 0; t < 500; ++t) {  // every played point is feasible
      const double* p = &x.d[size_t(t) * 3];
      CHECK(p[0] * p[0] + p[1] * p[1] + p[2] * p[2] <= 1 + 1e-9);
    }
    CHECK(metric(s, metrics[r]) == doctest::Approx(loss - best).epsilon(1e-9));
  }
  // the first point played is x^_1 = 0 for OGD
  CHECK(output_array(s, "x_ogd_fixed").d[0] == 0.0);
  // The spectrum view's numbers (an output, so a worker's copy shows them) are the metrics, bit for bit.
  const char* shown[] = {"stochastic_var_sum", "adversarial_var_sum", "deviation_sum", "gradient_sq_sum",
                         "bound_fixed_eta", "bound_tight_fixed_eta", "regret_oomd_fixed", "bound_ogd_fixed_eta",
                         "regret_ogd_fixed", "regret_oomd_adaptive", "regret_ogd_adaptive", "dynamic_regret_oomd",
                         "dynamic_regret_ogd"};
  const Array& numbers = output_array(s, "spectrum_numbers");
  REQUIRE(numbers.d.size() == 13);
  for (size_t i = 0; i < 13; ++i) {
    CAPTURE(shown[i]);
    CHECK(numbers.d[i] == metric(s, shown[i]));
  }
}

TEST_CASE("optimistic-omd: optimism wins on a slow drift and loses its edge under heavy noise") {
  Session slow;
  open_omd(slow, {});
  slow.reset(1);
  run_to_end(slow);
  CHECK(metric(slow, "deviation_sum") < 0.25 * metric(slow, "gradient_sq_sum"));
  CHECK(metric(slow, "regret_oomd") < metric(slow, "regret_ogd"));  // adaptive steps, the default headline
  CHECK(metric(slow, "dynamic_regret_oomd") < 0.6 * metric(slow, "dynamic_regret_ogd"));
  CHECK(metric(slow, "bound_fixed_eta") < metric(slow, "bound_ogd_fixed_eta"));

  Session noisy;
  open_omd(noisy, {{"sigma", "1.5"}});
  noisy.reset(1);
  run_to_end(noisy);
  CHECK(metric(noisy, "deviation_sum") > metric(noisy, "gradient_sq_sum"));
  CHECK(metric(noisy, "bound_fixed_eta") > metric(noisy, "bound_ogd_fixed_eta"));
  CHECK(metric(noisy, "regret_oomd") > metric(noisy, "regret_ogd"));
}

TEST_CASE("optimistic-omd: same numbers however the rounds are split into frames") {
  const auto a = lesson_test::metrics_after_run("optimistic-omd", {{"rounds", "300"}, {"sigma", "0.7"}}, 2, 1);
  const auto b = lesson_test::metrics_after_run("optimistic-omd", {{"rounds", "300"}, {"sigma", "0.7"}}, 2, 13);
  CHECK(a == b);
}
