// cfcd-madacos (LESSONS.md #14) at the lesson level: with a fixed seed both
// runs learn five blobs, MadaCos's s, m and c_med are finite, respect s >= 32
// and m >= 0, and move during training, and the views do not depend on how
// steps were split into frames.  (The loss itself: test_nn_madacos.cpp.)
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "web/session.h"
#include "tests/lesson_test_util.h"

using namespace pg;
using lesson_test::metric;
using lesson_test::run_to_end;

TEST_CASE("cfcd-madacos: learns five blobs, and s, m, c_med are finite and change during training") {
  Session s;
  std::string msg;
  REQUIRE(s.open("cfcd-madacos", msg));
  REQUIRE(s.set("steps", "600", msg));
  s.reset(3);
  s.advance(20, 1e9);
  const double s_early = metric(s, "scale_s"), m_early = metric(s, "margin_m"),
               c_early = metric(s, "median_target_cos");
  run_to_end(s);
  CHECK(s.lesson().problem().empty());
  const double s_late = metric(s, "scale_s"), m_late = metric(s, "margin_m"), c_late = metric(s, "median_target_cos");
  for (double v : {s_early, m_early, c_early, s_late, m_late, c_late}) CHECK(std::isfinite(v));
  CHECK(s_early >= 32.0);
  CHECK(s_late >= 32.0);
  CHECK(m_early >= 0.0);
  CHECK(m_late >= 0.0);
  CHECK(s_late != s_early);
  CHECK(m_late != m_early);
  CHECK(c_late > c_early);  // the classes tighten: the median target cosine rises
  CHECK(s_late > s_early);  // and with it the scale
  // 5 classes: chance is 20%
  CHECK(metric(s, "test_acc_madacos") >= 0.9);
  CHECK(metric(s, "test_acc_arcface") >= 0.9);
  // the "below a non-target cosine" fraction is the cosine classifier's test error
  CHECK(metric(s, "below_nontarget_frac_madacos") == doctest::Approx(1.0 - metric(s, "test_acc_madacos")).epsilon(1e-6));
  CHECK(std::isfinite(metric(s, "median_target_cos_arcface")));
}

TEST_CASE("cfcd-madacos: the same steps give the same metrics however they are split into frames") {
  auto run = [](int per_call) { return lesson_test::metrics_after_run("cfcd-madacos", {{"steps", "130"}}, 6, per_call); };
  const std::string whole = run(1000);
  CHECK(run(9) == whole);
  CHECK(run(1) == whole);
}
