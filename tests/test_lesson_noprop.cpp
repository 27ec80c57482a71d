// noprop (LESSONS.md #22) at the lesson level: NoProp-DT's label-free
// inference and the backprop MLP both learn the digits; perturbing any other
// block never changes a block's loss (max_cross_block_grad == 0) while
// perturbing the block itself does; the schedule's identities hold; with T = 20
// every block still has a positive loss weight (the capped SNR difference);
// same numbers however the steps are split into frames.  (Gradients, the
// schedule over many T and inference from noise: test_nn_noprop.cpp.)
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "web/session.h"
#include "tests/lesson_test_util.h"

using namespace pg;
using lesson_test::metric;
using lesson_test::run_to_end;

TEST_CASE("noprop: NoProp-DT and backprop both learn the digits; no gradient crosses blocks") {
  Session s;
  std::string msg;
  REQUIRE(s.open("noprop", msg));
  REQUIRE(s.set("dataset", "digits", msg));
  REQUIRE(s.set("steps", "500", msg));
  REQUIRE(s.set("blocks", "5", msg));
  s.reset(1);
  REQUIRE_MESSAGE(s.lesson().problem().empty(), s.lesson().problem());
  run_to_end(s);
  CHECK(s.lesson().problem().empty());
  lesson_test::check_metrics_finite(s);
  CHECK(metric(s, "test_acc_noprop") > 0.85);
  CHECK(metric(s, "test_acc_backprop") > 0.85);
  CHECK(metric(s, "max_cross_block_grad") == 0.0);
  CHECK(metric(s, "min_own_block_grad") > 0.0);
  CHECK(metric(s, "schedule_identity_max_abs") < 1e-12);
  CHECK(metric(s, "dsnr_max") <= 100.0);
  CHECK(metric(s, "abar_0") < metric(s, "abar_T"));
  // The exported predictions are NoProp's on the whole test set.
  const Array* pred = s.lesson().outputs().find_array("test_predictions_noprop");
  const Array* labels = s.lesson().outputs().find_array("test_labels");
  REQUIRE(pred != nullptr);
  REQUIRE(labels != nullptr);
  REQUIRE(pred->size() == labels->size());
  int correct = 0;
  for (int64_t i = 0; i < pred->size(); ++i) correct += pred->f[size_t(i)] == labels->f[size_t(i)];
  CHECK(double(correct) / double(pred->size()) == doctest::Approx(metric(s, "test_acc_noprop")));
}

TEST_CASE("noprop: with T = 20 every block keeps a positive loss weight") {
  Session s;
  std::string msg;
  REQUIRE(s.open("noprop", msg));
  REQUIRE(s.set("dataset", "digits", msg));
  REQUIRE(s.set("blocks", "20", msg));
  s.reset(1);
  CHECK(metric(s, "min_block_weight") > 0.0);
  CHECK(metric(s, "schedule_identity_max_abs") < 1e-12);
}

TEST_CASE("noprop: the same steps give the same metrics and outputs however they are split into frames") {
  auto run = [](int per_call) {
    return lesson_test::metrics_after_run("noprop", {{"dataset", "digits"}, {"steps", "110"}, {"blocks", "3"}}, 4,
                                          per_call);
  };
  CHECK(run(1) == run(17));
}
