// tract (LESSONS.md #23) at the lesson level: on contrast-varied digits the
// TrAct run reaches the target accuracy in fewer steps than the plain run
// (Adam and SGD) and ends at a lower training loss; both branches of TrAct's
// gradient agree on a trained batch (the official code's b < n branch is the
// one used); an image's self-influence on its own activations grows as
// contrast^2 under the plain gradient and stops depending on contrast as
// lambda -> 0 (dZ = -eta b G), returning to the plain slope for large lambda;
// the export holds the contrast factors.  (The branch identity and the lambda
// limits in float64 are tested in test_nn_tract.cpp.)
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "web/session.h"
#include "tests/lesson_test_util.h"

using namespace pg;
using lesson_test::metric;
using lesson_test::run_to_end;

namespace {
void open_tract(Session& s, std::initializer_list<std::pair<const char*, const char*>> knobs) {
  std::string msg;
  REQUIRE(s.open("tract", msg));
  for (const auto& kv : knobs) REQUIRE_MESSAGE(s.set(kv.first, kv.second, msg), msg);
}
}  // namespace

TEST_CASE("tract: on contrast-varied digits TrAct reaches 95% sooner, its branches agree, metrics finite") {
  Session s;
  open_tract(s, {{"dataset", "digits"}, {"steps", "300"}});
  s.reset(1);
  REQUIRE_MESSAGE(s.lesson().problem().empty(), s.lesson().problem());
  run_to_end(s);
  CHECK(s.lesson().problem().empty());
  lesson_test::check_metrics_finite(s);
  CHECK(metric(s, "steps_to_target_tract") < metric(s, "steps_to_target_plain"));
  CHECK(metric(s, "speedup") > 1.2);
  CHECK(metric(s, "train_loss_tract") < metric(s, "train_loss_plain"));
  CHECK(metric(s, "final_test_acc_tract") > 0.95);
  CHECK(metric(s, "final_test_acc_plain") > 0.9);
  // b = 32 < n = 64: the batch branch; the full branch gives the same matrix.
  CHECK(metric(s, "batch_branch_used") == 1);
  CHECK(metric(s, "branch_scale") > 1e-3);
  CHECK(metric(s, "branch_max_abs_diff") <= 1e-10 * std::max(1.0, metric(s, "branch_scale")));
  // Contrast factors inside [1/4, 4], exported for every image.
  CHECK(metric(s, "contrast_min") >= 0.25 * (1 - 1e-6));
  CHECK(metric(s, "contrast_max") <= 4.0 * (1 + 1e-6));
  const Array* train_c = s.lesson().outputs().find_array("train_contrast");
  const Array* test_c = s.lesson().outputs().find_array("test_contrast");
  REQUIRE(train_c != nullptr);
  REQUIRE(test_c != nullptr);
  CHECK(train_c->size() > 1000);
  CHECK(test_c->size() > 300);
  const Array* filters = s.lesson().outputs().find_array("filters");
  REQUIRE(filters != nullptr);
  CHECK(filters->shape == std::vector<int64_t>{2, 16, 8, 8});

  // The same with SGD and momentum: the plain first layer feels the scale directly.
  Session sgd;
  open_tract(sgd, {{"dataset", "digits"}, {"steps", "300"}, {"optimizer", "sgd"}, {"lr", "0.05"}});
  sgd.reset(1);
  run_to_end(sgd);
  CHECK(sgd.lesson().problem().empty());
  CHECK(metric(sgd, "steps_to_target_tract") < metric(sgd, "steps_to_target_plain"));
}

TEST_CASE("tract: self-influence grows as contrast^2 when plain, stops depending on contrast as lambda -> 0") {
  auto at = [](const char* lambda, double& plain, double& tract, double& over_b) {
    Session s;
    open_tract(s, {{"dataset", "digits"}, {"contrast", "10"}, {"lambda", lambda}});
    s.reset(2);
    plain = metric(s, "influence_slope_plain");
    tract = metric(s, "influence_slope_tract");
    over_b = metric(s, "tract_self_influence_over_b");
  };
  double plain, tract_small, tract_default, tract_large, over_b_small, over_b_default, over_b_large;
  at("0.001", plain, tract_small, over_b_small);
  CHECK(plain == doctest::Approx(2.0).epsilon(0.05));  // K_ii = ||a_i||^2, rows scaled by their contrast
  CHECK(std::fabs(tract_small) < 0.2);                   // K -> b I: dZ = -eta b G whatever the contrast
  CHECK(over_b_small > 0.85);
  CHECK(over_b_small <= 1.0 + 1e-9);
  at("0.1", plain, tract_default, over_b_default);
  at("10", plain, tract_large, over_b_large);
  CHECK(tract_small < tract_default);
  CHECK(tract_default < tract_large);
  CHECK(tract_large > 0.8 * plain);  // lambda -> inf: back to the plain gradient's behaviour
  CHECK(over_b_large < over_b_default);

  // contrast = 1: every factor is 1, the slopes do not exist (NaN by declaration).
  Session one;
  open_tract(one, {{"dataset", "digits"}, {"contrast", "1"}});
  one.reset(1);
  CHECK(metric(one, "contrast_min") == doctest::Approx(1.0));
  CHECK(metric(one, "contrast_max") == doctest::Approx(1.0));
  CHECK(std::isnan(metric(one, "influence_slope_plain")));
}

TEST_CASE("tract: the same steps give the same metrics and outputs however they are split into frames") {
  auto run = [](int per_call) {
    return lesson_test::metrics_after_run("tract", {{"dataset", "digits"}, {"steps", "70"}}, 4, per_call);
  };
  CHECK(run(1) == run(13));
}
