// The host session's scheduling (web/session.h): resets scheduled by opening
// a lesson, a URL state or a restarting knob run once, before the lesson is
// next read; slow motion (speed=) paces on_play lessons' steps per second.
#include <doctest/doctest.h>

#include <climits>
#include <string>

#include "tests/lesson_test_util.h"
#include "web/session.h"

using namespace pg;

TEST_CASE("session: a URL state's knobs take effect in one scheduled reset, before anything reads the lesson") {
  Session s;
  std::string msg;
  REQUIRE(s.open("icl-multihead", msg));
  s.advance(3, 1e9);
  CHECK(s.steps_done() == 3);
  s.apply_state("icl-multihead?d=3&n=20&heads=2&seed=9");
  CHECK(s.steps_done() == 0);  // the run restarts with the state, even before the reset has run
  CHECK(s.seed() == 9);
  // Reading the lesson runs the reset: the same numbers as an explicit one.
  const std::string lazy = lesson_test::deterministic_metrics(s);
  Session t;
  REQUIRE(t.open("icl-multihead", msg));
  REQUIRE(t.set("d", "3", msg));
  REQUIRE(t.set("n", "20", msg));
  REQUIRE(t.set("heads", "2", msg));
  t.reset(9);
  CHECK(lesson_test::deterministic_metrics(t) == lazy);
  // A state that is only parsed and written back never needs the lesson.
  Session u;
  u.apply_state("z-loss?seed=4");
  CHECK(u.state_string().rfind("z-loss?", 0) == 0);
}

TEST_CASE("session: speed= paces an on_play lesson's steps per second; full speed and continuous lessons are unpaced") {
  Session s;
  std::string msg;
  REQUIRE(s.open("icl-multihead", msg));
  CHECK(s.steps_for_frame(16.7) == INT_MAX);
  REQUIRE(s.set("speed", "4", msg));
  CHECK(s.state_string().find("&speed=4") != std::string::npos);
  int total = 0;
  for (int frame = 0; frame < 60; ++frame) total += s.steps_for_frame(1000.0 / 60);  // one second
  CHECK(total == 4);
  // A long pause (a hidden tab) does not bank a burst of steps.
  CHECK(s.steps_for_frame(60000) <= 3);
  CHECK_FALSE(s.set("speed", "3", msg));
  CHECK(msg.find("not one of max, 60, 15, 4, 1") != std::string::npos);
  CHECK(s.speed_steps_per_s == 4);
  s.apply_state("icl-multihead?speed=1");
  CHECK(s.speed_steps_per_s == 1);
  bool ok = false;
  CHECK(s.get("speed", ok) == "1");
  s.apply_state("icl-multihead");
  CHECK(s.speed_steps_per_s == 0);
  REQUIRE(s.open("two-pass-softmax", msg));
  REQUIRE(s.set("speed", "1", msg));
  CHECK(s.steps_for_frame(16.7) == INT_MAX);  // measuring lessons ignore it
}

TEST_CASE("session: a trainer's run length is known (step k of N), and the pace is measured while it advances") {
  Session s;
  std::string msg;
  REQUIRE(s.open("icl-multihead", msg));
  REQUIRE(s.set("steps", "500", msg));
  CHECK(s.lesson().run_length() == 500);
  CHECK(s.steps_per_second() == 0);  // nothing measured yet
  REQUIRE(s.open("two-pass-softmax", msg));
  CHECK(s.lesson().run_length() == 0);  // a measurement has no fixed length
}
