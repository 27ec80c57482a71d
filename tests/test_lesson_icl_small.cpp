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
