// z-loss (LESSONS.md #12) at the lesson level: both heads learn three blobs,
// the z-scores the panel shows respect max z_c <= sqrt(D - 1), b is clamped to
// that bound, top-k is never below top-1, and the views refreshed every 25
// steps do not depend on how the steps were split into frames.  (The loss's
// own invariance and gradients are tested in test_nn_losses.cpp.)
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "web/session.h"
#include "tests/lesson_test_util.h"

using namespace pg;
using lesson_test::metric;
using lesson_test::run_to_end;

namespace {
void open_blobs(Session& s, const char* steps) {
  std::string msg;
  REQUIRE(s.open("z-loss", msg));
  REQUIRE(s.set("dataset", "blobs", msg));
  REQUIRE(s.set("steps", steps, msg));
}
}  // namespace

TEST_CASE("z-loss: Z-loss and softmax heads both reach 90% on three blobs, metrics finite") {
  Session s;
  open_blobs(s, "400");
  s.reset(7);
  run_to_end(s);
  CHECK(s.lesson().problem().empty());
  lesson_test::check_metrics_finite(s);
  CHECK(metric(s, "test_acc_zloss") >= 0.9);
  CHECK(metric(s, "test_acc_ce") >= 0.9);
  CHECK(metric(s, "top_k_acc_zloss") >= metric(s, "test_acc_zloss"));
  CHECK(metric(s, "top_k_acc_ce") >= metric(s, "test_acc_ce"));
}

TEST_CASE("z-loss: the shown z-scores never exceed sqrt(D - 1), and training drives z_c up to it") {
  Session s;
  open_blobs(s, "400");
  s.reset(3);
  const double bound = std::sqrt(2.0);  // D = 3
  CHECK(metric(s, "z_bound") == doctest::Approx(bound));
  CHECK(metric(s, "max_z_c") <= bound + 1e-6);  // at initialization
  run_to_end(s);
  CHECK(metric(s, "max_z_c") <= bound + 1e-6);
  CHECK(metric(s, "max_z_c") > 0.95 * bound);  // some sample is almost one-vs-all
}

TEST_CASE("z-loss: ten digit classes give the bound 3, and the image run learns") {
  Session s;
  std::string msg;
  REQUIRE(s.open("z-loss", msg));
  REQUIRE(s.set("dataset", "digits", msg));
  REQUIRE(s.set("steps", "300", msg));
  s.reset(1);
  REQUIRE_MESSAGE(s.lesson().problem().empty(), s.lesson().problem());
  run_to_end(s);
  CHECK(metric(s, "z_bound") == doctest::Approx(3.0));
  CHECK(metric(s, "max_z_c") <= 3.0 + 1e-6);
  CHECK(metric(s, "test_acc_zloss") > 0.85);
  CHECK(metric(s, "top_k") == 3);
  CHECK(metric(s, "top_k_acc_zloss") >= metric(s, "test_acc_zloss"));
}

TEST_CASE("z-loss: a target b above sqrt(D - 1) is clamped to it") {
  Session s;
  open_blobs(s, "100");
  std::string msg;
  REQUIRE(s.set("b", "3", msg));
  s.reset(1);
  CHECK(metric(s, "b_used") == doctest::Approx(std::sqrt(2.0)));
  REQUIRE(s.set("b", "0.5", msg));
  s.refresh();
  CHECK(metric(s, "b_used") == doctest::Approx(0.5));
}

TEST_CASE("z-loss: the same steps give the same z-scores however they are split into frames") {
  auto run = [](int per_call) {
    Session s;
    open_blobs(s, "130");
    s.reset(5);
    run_to_end(s, per_call);
    return std::to_string(metric(s, "max_z_c")) + " " + std::to_string(metric(s, "test_acc_zloss"));
  };
  const std::string whole = run(1000);
  CHECK(run(7) == whole);
  CHECK(run(1) == whole);
}
