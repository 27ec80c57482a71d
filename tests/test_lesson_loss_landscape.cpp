// test_lesson_loss_landscape.cpp - the loss-landscape lesson: the analysis of
// the trained net agrees with itself (Lanczos vs the exact spectrum, SLQ's re
// vs the exact one, Hutch++ vs the exact trace), Kh = 0 at a positive-definite
// minimum, the Hessian-axes landscape follows the second-order model near
// theta, filter norms match, and the exports hold what a reader needs.
#include <doctest/doctest.h>

#include <cmath>

#include "tests/lesson_test_util.h"
#include "web/session.h"

using lesson_test::metric;

namespace {
void open_run(pg::Session& s, std::initializer_list<std::pair<const char*, const char*>> knobs, uint64_t seed = 1) {
  std::string msg;
  REQUIRE_MESSAGE(s.open("loss-landscape", msg), msg);
  for (const auto& kv : knobs) REQUIRE_MESSAGE(s.set(kv.first, kv.second, msg), msg);
  s.reset(seed);
  lesson_test::run_to_end(s);
  REQUIRE(s.lesson().done());
  REQUIRE(s.lesson().problem().empty());
  REQUIRE(metric(s, "analysis_stage") == 2);
}
}  // namespace

TEST_CASE("loss-landscape: the trained net's spectrum, Lanczos, SLQ and Hutch++ agree") {
  pg::Session s;
  open_run(s, {{"steps", "400"}, {"resolution", "17"}});
  const int P = int(metric(s, "num_params"));
  const pg::Array* eigs = s.lesson().outputs().find_array("eigenvalues_exact");
  REQUIRE(eigs);
  REQUIRE(eigs->size() == P);
  CHECK(metric(s, "lambda_max") == eigs->d.back());
  CHECK(metric(s, "lambda_min") == eigs->d.front());
  CHECK(metric(s, "lanczos_top_rel_err") < 1e-6);
  // SLQ with min(P, 100) steps has converged at both ends: re matches the exact spectrum's.
  CHECK(metric(s, "re") == doctest::Approx(metric(s, "re_exact")).epsilon(1e-3));
  CHECK(metric(s, "kh") >= 0);
  CHECK(metric(s, "trace_hutchpp") == doctest::Approx(metric(s, "trace_exact")).epsilon(0.05));
  // The Hessian axes are orthonormal; their eigenvalues are the exact top two.
  const pg::Array* axes = s.lesson().outputs().find_array("hessian_axes");
  const pg::Array* ritz = s.lesson().outputs().find_array("hessian_axes_eigenvalues");
  REQUIRE(axes->size() == 2 * P);
  double n1 = 0, n2 = 0, c = 0;
  for (int i = 0; i < P; ++i) n1 += axes->d[i] * axes->d[i], n2 += axes->d[P + i] * axes->d[P + i], c += axes->d[i] * axes->d[P + i];
  CHECK(std::fabs(n1 - 1) < 1e-10);
  CHECK(std::fabs(n2 - 1) < 1e-10);
  CHECK(std::fabs(c) < 1e-10);
  CHECK(ritz->d[0] == doctest::Approx(eigs->d[P - 1]).epsilon(1e-6));
  CHECK(ritz->d[1] == doctest::Approx(eigs->d[P - 2]).epsilon(1e-4));
  // Filter normalization: every filter of both random directions has theta's filter norm.
  CHECK(metric(s, "filter_norm_rel_err") < 1e-12);
  // The grids: the centre cell is theta itself, so the minimum is at most f(theta).
  const pg::Array* grid = s.lesson().outputs().find_array("landscape_hessian");
  REQUIRE(grid->shape.size() == 2);
  CHECK(grid->shape[0] == 17);
  CHECK(grid->d[8 * 17 + 8] == doctest::Approx(metric(s, "train_loss")).epsilon(1e-5));
  CHECK(metric(s, "landscape_min") <= grid->d[8 * 17 + 8]);
  CHECK(metric(s, "landscape_max") == metric(s, "landscape_hessian_max"));
  CHECK(metric(s, "test_acc") > 0.9);
}

TEST_CASE("loss-landscape: Kh = 0 at a positive-definite minimum (weight decay), re is not") {
  pg::Session s;
  open_run(s, {{"weight_decay", "0.05"}, {"resolution", "17"}, {"slq_steps", "60"}});
  CHECK(metric(s, "negative_fraction") == 0.0);
  CHECK(metric(s, "lambda_min") > 0);
  CHECK(metric(s, "kh") == 0.0);
  CHECK(metric(s, "kh_exact") == 0.0);
  CHECK(metric(s, "re") > 0.0);
  // Without weight decay the saturated cross-entropy leaves negative curvature: Kh > 0.
  pg::Session t;
  open_run(t, {{"steps", "400"}, {"resolution", "17"}, {"slq_steps", "60"}});
  CHECK(metric(t, "negative_fraction") > 0.0);
  CHECK(metric(t, "kh") > 0.0);
}

TEST_CASE("loss-landscape: near theta the Hessian-axes landscape is the second-order model") {
  pg::Session s;
  open_run(s, {{"steps", "400"}, {"resolution", "17"}, {"hessian_extent", "0.01"}, {"slq_steps", "20"}});
  CHECK(metric(s, "quadratic_rel_err") < 0.01);
  pg::Session far;
  open_run(far, {{"steps", "400"}, {"resolution", "17"}, {"hessian_extent", "2"}, {"slq_steps", "20"}});
  CHECK(metric(far, "quadratic_rel_err") > 10 * metric(s, "quadratic_rel_err"));
}

TEST_CASE("loss-landscape: label noise flips training labels; a large net skips the dense Hessian") {
  pg::Session s;
  open_run(s, {{"steps", "200"}, {"label_noise", "0.3"}, {"resolution", "17"}, {"slq_steps", "20"}});
  CHECK(metric(s, "train_acc") < 0.85);  // 120 of 400 labels contradict the clean ones
  pg::Session big;
  open_run(big, {{"steps", "100"}, {"hidden", "24"}, {"resolution", "17"}, {"slq_steps", "20"}});
  CHECK(metric(big, "num_params") > 300);
  CHECK(big.lesson().outputs().find_array("eigenvalues_exact")->size() == 0);
  CHECK(metric(big, "trace_exact") == 0);
  CHECK(std::isfinite(metric(big, "lambda_max")));
  CHECK(metric(big, "lambda_max") > metric(big, "lambda_min"));
}

TEST_CASE("loss-landscape: the result does not depend on how step() calls split the work") {
  const auto knobs = {std::pair<const char*, const char*>{"steps", "100"}, {"resolution", "17"}, {"slq_steps", "20"}};
  const std::string a = lesson_test::metrics_after_run("loss-landscape", knobs, 5, 1);
  const std::string b = lesson_test::metrics_after_run("loss-landscape", knobs, 5, 7);
  const std::string c = lesson_test::metrics_after_run("loss-landscape", knobs, 5, 100000);
  CHECK(a == b);
  CHECK(a == c);
}
