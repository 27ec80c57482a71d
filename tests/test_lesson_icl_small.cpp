// test_lesson_icl_small.cpp - lessons icl-softmax-regression and
// transformers-as-svm at the lesson level (through pg::Session, as the page,
// the CLI and the JS API drive them).
#include <doctest/doctest.h>

#include <string>

#include "web/session.h"
#include "tests/lesson_test_util.h"

using namespace pg;
using lesson_test::metric;

namespace {

// Opens a lesson, applies knobs, resets with a seed and runs it to the end.
void run_to_end(Session& s, const char* id, uint64_t seed, std::initializer_list<std::pair<const char*, const char*>> knobs = {}) {
  std::string msg;
  REQUIRE(s.open(id, msg));
  for (const auto& kv : knobs) REQUIRE(s.set(kv.first, kv.second, msg));
  s.reset(seed);
  lesson_test::run_to_end(s);
  REQUIRE(s.lesson().done());
}

}  // namespace

TEST_CASE("icl-softmax-regression: the data twin is exact, the Lipschitz bound holds, outputs sum to 1") {
  for (uint64_t seed : {1, 2, 7}) {
    for (const char* lr : {"0.1", "1", "10"}) {
      CAPTURE(seed);
      CAPTURE(lr);
      Session s;
      run_to_end(s, "icl-softmax-regression", seed, {{"lr", lr}, {"scale", "4"}});
      CHECK(metric(s, "gd_steps") == 300);
      CHECK(metric(s, "twin_max_abs_diff") < 1e-12);
      CHECK(metric(s, "max_lipschitz_ratio") <= 1.0);
      CHECK(metric(s, "max_lipschitz_ratio") > 0.0);
      CHECK(metric(s, "outputs_sum_minus_one") < 1e-14);
    }
  }
  // With the defaults GD reaches the reachable target b = softmax(A x*).
  Session s;
  run_to_end(s, "icl-softmax-regression", 1);
  CHECK(metric(s, "loss") < 1e-10);
}

TEST_CASE("transformers-as-svm: the SVM meets KKT and GD's direction reaches W_mm (defaults, one sample)") {
  for (uint64_t seed : {1, 3, 4}) {
    CAPTURE(seed);
    Session s;
    run_to_end(s, "transformers-as-svm", seed);
    CHECK(metric(s, "kkt_max_violation") <= 1e-8);
    CHECK(metric(s, "svm_margin_min") >= 1.0 - 1e-8);
    CHECK(metric(s, "correlation") > 0.99);
    CHECK(metric(s, "opt_token_prob") > 0.99);
    CHECK(metric(s, "w_norm") > 10.0);  // the norm grows; only the direction converges
  }
  // W = K Q^T: with one sample the nuclear-norm and Frobenius SVMs coincide.
  Session s;
  run_to_end(s, "transformers-as-svm", 1, {{"param", "KQ^T"}});
  CHECK(metric(s, "correlation") > 0.99);
}

TEST_CASE("icl-softmax-regression and transformers-as-svm: metrics are deterministic and split-independent") {
  for (const char* id : {"icl-softmax-regression", "transformers-as-svm"}) {
    CAPTURE(id);
    Session a, b;
    run_to_end(a, id, 5);
    std::string msg;
    REQUIRE(b.open(id, msg));
    b.reset(5);
    while (!b.lesson().done()) b.advance(1, 1e9);  // one unit per call
    CHECK(lesson_test::deterministic_metrics(a) == lesson_test::deterministic_metrics(b));
    Session c;
    run_to_end(c, id, 6);
    CHECK(lesson_test::deterministic_metrics(a) != lesson_test::deterministic_metrics(c));
  }
}

// Issue 10, item 3: the measured ratio exceeded the proven bound (1.08 at seed 1
// with 1000 steps, 1.60 at the defaults with seed 32) once GD had converged and
// ||df|| was rounding noise.  Steps below the rounding floor are not counted.
TEST_CASE("icl-softmax-regression: max_lipschitz_ratio <= 1 over 50 seeds, four scales and three steps") {
  {
    Session s;
    run_to_end(s, "icl-softmax-regression", 32);
    CHECK(metric(s, "max_lipschitz_ratio") <= 1.0);
    CHECK(metric(s, "max_lipschitz_ratio_all_steps") > 1.0);  // what the old metric reported: noise
    CHECK(metric(s, "lipschitz_steps_counted") > 50);
    CHECK(metric(s, "rounding_floor_last") > 0);
    Session t;
    run_to_end(t, "icl-softmax-regression", 1, {{"steps", "1000"}});
    CHECK(metric(t, "max_lipschitz_ratio") <= 1.0);
  }
  double worst = 0;
  int runs = 0;
  Session s;
  std::string msg;
  REQUIRE(s.open("icl-softmax-regression", msg));
  REQUIRE(s.set("steps", "600", msg));
  for (const char* scale : {"0.25", "1", "2", "4"})
    for (const char* lr : {"0.1", "1", "10"}) {
      REQUIRE(s.set("scale", scale, msg));
      REQUIRE(s.set("lr", lr, msg));
      for (uint64_t seed = 1; seed <= 50; ++seed) {
        s.reset(seed);
        lesson_test::run_to_end(s);
        const double r = metric(s, "max_lipschitz_ratio");
        if (r > 1.0) {
          INFO("seed " << seed << " scale " << scale << " lr " << lr << ": " << r);
          CHECK(r <= 1.0);
        }
        worst = std::max(worst, r);
        ++runs;
      }
    }
  INFO("worst ratio over " << runs << " runs: " << worst);
  CHECK(worst <= 1.0);
  CHECK(worst > 0.3);
}

// Issue 10, item 7: with W = K Q^T the limit is the nuclear-norm Att-SVM W_*;
// the lesson compared with the Frobenius W_mm only.  n = 3, d = 4, seed 1:
// the two SVMs differ, and each parameterization goes to its own.
TEST_CASE("transformers-as-svm: K Q^T goes to the nuclear-norm SVM, W to the Frobenius one") {
  Session w, kq;
  run_to_end(w, "transformers-as-svm", 1, {{"samples", "3"}, {"d", "4"}, {"steps", "5000"}});
  run_to_end(kq, "transformers-as-svm", 1, {{"samples", "3"}, {"d", "4"}, {"steps", "5000"}, {"param", "KQ^T"}});
  for (Session* s : {&w, &kq}) {
    CHECK(metric(*s, "nuclear_svm_gap") < 1e-6);
    CHECK(metric(*s, "nuclear_svm_margin_min") >= 1.0 - 1e-9);
    CHECK(metric(*s, "nuclear_svm_norm") < 0.95 * metric(*s, "frobenius_svm_nuclear_norm"));  // they differ here
    CHECK(metric(*s, "opt_token_prob") > 0.999);
  }
  INFO("W: corr W_mm " << metric(w, "correlation") << " W_* " << metric(w, "correlation_nuclear") << "; KQ^T: W_mm "
                       << metric(kq, "correlation") << " W_* " << metric(kq, "correlation_nuclear"));
  CHECK(metric(w, "correlation") > 0.999);
  CHECK(metric(w, "correlation_nuclear") < metric(w, "correlation") - 0.01);
  CHECK(metric(kq, "correlation_nuclear") > 0.999);
  CHECK(metric(kq, "correlation") < metric(kq, "correlation_nuclear") - 0.01);
}
