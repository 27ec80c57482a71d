// hestia (LESSONS.md #24, method-notes.md #5) at the lesson level, on one
// short seeded run: the weights soften first and end exactly ternary, the
// Hutch++ traces agree with the exact ones, the temperature scales follow the
// official sign, and all three networks learn.  The quantizer's identities
// (closed form, gradient, T -> 0, T0) are tested in tests/test_nn_hestia.cpp.
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "tests/lesson_test_util.h"
#include "web/session.h"

using namespace pg;
using lesson_test::metric;
using lesson_test::run_to_end;

TEST_CASE("hestia: soft then hard ternary weights, Hutch++ traces, the Hessian sign") {
  Session s;
  std::string msg;
  REQUIRE(s.open("hestia", msg));
  REQUIRE(s.set("dataset", "rings", msg));
  REQUIRE(s.set("steps", "600", msg));
  s.reset(1);
  REQUIRE_MESSAGE(s.lesson().problem().empty(), s.lesson().problem());
  // The traces (at the initial weights) and their temperature scales.
  const char* names[3] = {"fc1", "fc2", "fc3"};
  double trace[3], scale[3];
  for (int t = 0; t < 3; ++t) {
    trace[t] = metric(s, ("trace_" + std::string(names[t])).c_str());
    const double exact = metric(s, ("trace_" + std::string(names[t]) + "_exact").c_str());
    scale[t] = metric(s, ("temp_scale_" + std::string(names[t])).c_str());
    CHECK(exact > 0);
    CHECK(trace[t] == doctest::Approx(exact).epsilon(0.05));
    CHECK(scale[t] >= std::exp(-0.5));
    CHECK(scale[t] <= 1.0);
  }
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b)
      if (trace[a] > trace[b]) CHECK(scale[a] < scale[b]);  // higher trace, lower temperature
  CHECK(metric(s, "tau0") == doctest::Approx(0.351).epsilon(0.01));
  // A third of the way in, the pressure is full but T is still high: soft weights.
  for (int i = 0; i < 200 && !s.lesson().done(); ++i) s.advance(1, 1e9);
  CHECK(metric(s, "ternary_fraction") < 0.5);
  run_to_end(s);
  CHECK(metric(s, "ternary_fraction") == 1.0);  // T = 0 at the last step: every weight in {-s, 0, +s}
  CHECK(metric(s, "test_acc_fp") > 0.9);  // three rings, chance 1/3
  CHECK(metric(s, "test_acc_hestia") > 0.9);
  CHECK(metric(s, "test_acc_ste") > 0.8);
}
