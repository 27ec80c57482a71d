// softcon (LESSONS.md #16 with method-notes.md #3) at the lesson level:
// lambda = 0 makes the soft run exactly the InfoNCE run; the exported probe
// scores and test label sets recompute map_infonce / map_softcon; the mAPs are
// in (0, 1] and well above a random ranking; the run does not depend on the
// frame split.  (The loss, its gradient and the similarities are tested in
// test_nn_contrastive.cpp.)
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "engine/nn/eval.h"
#include "tests/lesson_test_util.h"
#include "web/session.h"

using lesson_test::metric;
using lesson_test::run_to_end;

TEST_CASE("softcon lesson: lambda = 0 trains the soft run exactly as InfoNCE") {
  pg::Session s;
  std::string msg;
  REQUIRE_MESSAGE(s.open("softcon", msg), msg);
  REQUIRE(s.set("lambda", "0", msg));
  REQUIRE(s.set("steps", "100", msg));
  s.reset(4);
  run_to_end(s);
  CHECK(metric(s, "map_softcon") == metric(s, "map_infonce"));
  CHECK(metric(s, "train_loss_softcon") == metric(s, "train_loss_infonce"));
  CHECK(metric(s, "sim_corr_softcon") == metric(s, "sim_corr_infonce"));
}

TEST_CASE("softcon lesson: the exported probe scores recompute the mAPs; both well above chance") {
  pg::Session s;
  std::string msg;
  REQUIRE_MESSAGE(s.open("softcon", msg), msg);
  REQUIRE(s.set("steps", "200", msg));
  s.reset(6);
  run_to_end(s);
  const pg::Array* scores = s.lesson().outputs().find_array("probe_scores");
  const pg::Array* sets = s.lesson().outputs().find_array("test_label_sets");
  REQUIRE(scores != nullptr);
  REQUIRE(sets != nullptr);
  const int n = int(scores->shape[1]), C = int(scores->shape[2]), W = int(sets->shape[1]);
  std::vector<int> labels(sets->f.begin(), sets->f.end());
  const char* keys[2] = {"map_infonce", "map_softcon"};
  for (int r = 0; r < 2; ++r) {
    const double map = nn::macro_average_precision(scores->f.data() + size_t(r) * n * C, n, C, labels.data(), W);
    CHECK(map == doctest::Approx(metric(s, keys[r])).epsilon(1e-12));
    CHECK(map > 0.5);  // a random ranking gives about the label frequency (~0.2)
    CHECK(map <= 1.0);
  }
  CHECK(metric(s, "sim_corr_softcon") > 0.0);
}

TEST_CASE("softcon lesson: same numbers however the steps are split into frames") {
  const std::string a = lesson_test::metrics_after_run("softcon", {{"steps", "120"}}, 9, 1);
  const std::string b = lesson_test::metrics_after_run("softcon", {{"steps", "120"}}, 9, 37);
  CHECK(a == b);
}
