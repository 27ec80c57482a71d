// Trainers that go bad stop and say so (issue: "a diverging trainer stops and
// says so"): each lesson is driven into a bad state at extreme settings, and
// its problem() - the panel's red box with a reset button, the API's and the
// CLI's "problem" field - must name what happened.
#include <doctest/doctest.h>

#include <string>

#include "tests/lesson_test_util.h"
#include "web/session.h"

using namespace pg;

namespace {

// Runs the lesson at the given knobs; returns its problem().  A lesson with a
// problem must say so in the CLI's JSON too, and with must_stop, be done.
std::string problem_after(const char* id, std::initializer_list<std::pair<const char*, const char*>> knobs, int steps,
                          bool must_stop = false) {
  Session s;
  std::string msg;
  REQUIRE(s.open(id, msg));
  for (const auto& kv : knobs) REQUIRE_MESSAGE(s.set(kv.first, kv.second, msg), msg);
  s.reset(1);
  for (int i = 0; i < steps && !s.lesson().done(); i += 100) s.advance(100, 1e9);
  const std::string problem = s.lesson().problem();
  if (!problem.empty()) {
    CHECK(s.run_json().find("\"problem\":") != std::string::npos);
    if (must_stop) CHECK(s.lesson().done());
  }
  return problem;
}

}  // namespace

TEST_CASE("a trainer at chance accuracy with finite losses stops with a message (lr = 1)") {
  // Before: both heads sat at chance with finite losses and nothing said so.
  for (const char* id : {"cnn-svm", "z-loss"}) {
    CAPTURE(id);
    const std::string p = problem_after(id, {{"lr", "1"}}, 2000, true);  // default data: spirals, UCI digits
    CHECK(p.find("stuck at chance") != std::string::npos);
    CHECK(p.find("learning rate") != std::string::npos);
  }
  // The defaults are healthy: no message.
  CHECK(problem_after("cnn-svm", {{"dataset", "blobs"}, {"steps", "600"}}, 600).empty());
}

TEST_CASE("icl-gd: K GD steps that diverge stop the lesson with a message") {
  // Before: err_lsa_at_n reached 9.7e13 and nothing said so.
  const std::string p = problem_after("icl-gd", {{"tuned", "0"}, {"eta", "2"}, {"layers", "5"}, {"n", "1"}}, 100, true);
  CHECK(p.find("diverge") != std::string::npos);
  CHECK(problem_after("icl-gd", {}, 100).empty());
}

TEST_CASE("transformers-as-svm: an infeasible reference SVM is reported, not shown as a result") {
  // Before: kkt_max_violation 4e7 and a negative margin, silently.
  const std::string p = problem_after(
      "transformers-as-svm", {{"samples", "8"}, {"d", "2"}, {"tokens", "6"}, {"lr", "0.01"}, {"init", "0.01"}}, 100);
  CHECK(p.find("no solution") != std::string::npos);
  CHECK(problem_after("transformers-as-svm", {}, 100).empty());
}
