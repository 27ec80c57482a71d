// test_frame_budget.cpp - the page's per-frame budget for lesson work
// (web/frame_budget.h): it fills the frame up to the cap, leaves room for
// drawing and for one unit's overrun, and follows the display's rate.
#include <doctest/doctest.h>

#include <cmath>

#include "web/frame_budget.h"

using pg::FrameBudget;

TEST_CASE("frame budget: cap minus drawing minus one unit, at 60 Hz") {
  FrameBudget b;
  CHECK(b.budget_ms() == doctest::Approx(FrameBudget::kWorkCapMs));  // nothing measured yet
  // 60 Hz, drawing 2 ms, the lesson 8 ms in 4 units of 2 ms.
  for (int f = 0; f < 200; ++f) b.end_frame(16.7, 10.0, 8.0, 4);
  CHECK(b.cap_ms() == doctest::Approx(FrameBudget::kWorkCapMs));  // 0.7 x 16.7 = 11.7 > 11
  CHECK(b.draw_ms() == doctest::Approx(2.0));
  CHECK(b.unit_ms() == doctest::Approx(2.0));
  CHECK(b.budget_ms() == doctest::Approx(FrameBudget::kWorkCapMs - 2.0 - 2.0));
  CHECK(b.work_p95_ms() == doctest::Approx(10.0));
  // Whatever the lesson does with that budget, the frame stays under the cap:
  // at most budget + one unit of steps, plus the drawing.
  CHECK(b.budget_ms() + b.unit_ms() + b.draw_ms() <= FrameBudget::kWorkCapMs + 1e-9);
}

TEST_CASE("frame budget: a heavy view or a slow unit shrinks it; a fast display lowers the cap") {
  FrameBudget b;
  for (int f = 0; f < 100; ++f) b.end_frame(16.7, 3.0, 1.0, 10);  // drawing 2 ms, units of 0.1 ms
  const double light = b.budget_ms();
  for (int f = 0; f < 20; ++f) b.end_frame(16.7, 9.0, 1.0, 10);  // a view that draws in 8 ms appears
  CHECK(b.draw_ms() == doctest::Approx(8.0));                     // the 90th percentile sees it at once
  CHECK(b.budget_ms() < light - 5.0);
  // One unit that took 6 ms: the next budget leaves room for another such unit.
  b.end_frame(16.7, 14.0, 6.0, 1);
  CHECK(b.unit_ms() == doctest::Approx(6.0));
  CHECK(b.budget_ms() == doctest::Approx(FrameBudget::kMinBudgetMs));  // 11 - 8 - 6 < 2: the floor
  // 120 Hz: the cap follows the display interval ...
  FrameBudget fast;
  for (int f = 0; f < 50; ++f) fast.end_frame(8.33, 4.0, 3.0, 3);
  CHECK(fast.cap_ms() == doctest::Approx(0.7 * 8.33));
  // ... which a few back-to-back frames (1 ms apart) among 60 Hz ones do not fake.
  FrameBudget sixty;
  for (int f = 0; f < 100; ++f) sixty.end_frame(f % 10 == 0 ? 1.0 : 16.7, 4.0, 3.0, 3);
  CHECK(sixty.cap_ms() == doctest::Approx(FrameBudget::kWorkCapMs));
  // Garbage in (a clock jump, NaN) does not poison it.
  fast.end_frame(-5.0, NAN, INFINITY, 2);
  CHECK(std::isfinite(fast.budget_ms()));
  CHECK(fast.budget_ms() >= FrameBudget::kMinBudgetMs);
}

TEST_CASE("recent work: the 95th percentile of the frames built in the last three seconds") {
  pg::RecentWork w;
  CHECK(w.p95(0) == 0);
  for (int f = 0; f < 100; ++f) w.add(f * 10.0, 40.0);  // a heavy start (a pack decoded, a lesson built)
  for (int f = 0; f < 100; ++f) w.add(5000 + f * 25.0, f < 96 ? 5.0 : 9.0);  // then the run: 4 frames in 100 at 9 ms
  CHECK(w.p95(7475) == doctest::Approx(5.0));  // the start is out of the window
  w.add(7500, 30.0);
  w.add(7510, 30.0);
  CHECK(w.p95(7510) == doctest::Approx(9.0));
  CHECK(w.p95(7510 + pg::RecentWork::kWindowMs + 1) == 0);  // nothing built since
}
