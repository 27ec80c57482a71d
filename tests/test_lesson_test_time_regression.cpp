// test_lesson_test_time_regression.cpp - lesson test-time-regression through
// pg::Session: LESSONS.md #6's "must prove" list as live checks (linear
// attention == one GD step; orthonormal keys and t <= d make linear attention
// = least squares = exact recall; RLS == batch; DeltaNet with beta = 1 and
// unit keys stores the newest value exactly), the recall story as keys
// correlate, the export recomputing the memories, and split independence.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "tests/lesson_test_util.h"
#include "web/session.h"

using namespace pg;
using lesson_test::output_array;
using lesson_test::metric;

namespace {

const char* const kLayers[] = {"linear", "least_squares", "gated", "deltanet", "softmax", "local_linear"};

void open_run(Session& s, uint64_t seed, std::initializer_list<std::pair<const char*, const char*>> knobs = {}) {
  lesson_test::open_and_run(s, "test-time-regression", seed, knobs);
}

}  // namespace

TEST_CASE("test-time-regression: the identities hold live, at any knob setting") {
  const std::initializer_list<std::pair<const char*, const char*>> settings[] = {
      {},
      {{"pairs", "1"}},
      {{"pairs", "64"}, {"rho", "0.99"}, {"lambda", "1e-6"}, {"beta", "1.9"}, {"inv_tau", "64"}, {"gamma", "0.5"}},
      {{"pairs", "16"}, {"rho", "0"}, {"lambda", "10"}, {"inv_tau", "1"}},
  };
  for (const auto& knobs : settings) {
    Session s;
    open_run(s, 2, knobs);
    CHECK(metric(s, "linear_vs_gd_step_max_abs") < 1e-12);  // linear attention = one GD step from 0
    CHECK(metric(s, "rls_vs_batch_max_abs") < 1e-6);        // Sherman-Morrison = batch least squares
    for (const char* l : kLayers) {
      CAPTURE(l);
      const double e = metric(s, ("recall_err_" + std::string(l)).c_str());
      CHECK(std::isfinite(e));
      CHECK(e >= 0.0);
    }
  }
  // DeltaNet with beta = 1 and unit keys stores the newest pair exactly; with beta = 1/2 it does not.
  Session s;
  open_run(s, 3, {{"beta", "1"}});
  CHECK(metric(s, "deltanet_newest_err") < 1e-12);
  Session h;
  open_run(h, 3, {{"beta", "0.5"}});
  CHECK(metric(h, "deltanet_newest_err") > 1e-3);
}

TEST_CASE("test-time-regression: orthonormal keys and t <= d: linear attention = least squares = exact recall") {
  for (const char* t : {"4", "16"}) {
    CAPTURE(t);
    Session s;
    open_run(s, 4, {{"orthonormal", "1"}, {"pairs", t}, {"lambda", "1e-6"}});
    CHECK(metric(s, "recall_err_linear") < 1e-20);
    CHECK(metric(s, "recall_err_least_squares") < 1e-9);
    CHECK(metric(s, "recall_err_deltanet") < 1e-20);  // beta = 1 on orthonormal keys: each pair untouched by the others
    // And linear attention's memory equals least squares' up to the ridge.
    const Array &ml = output_array(s, "m_linear"), &ms = output_array(s, "m_least_squares");
    double e = 0;
    for (size_t i = 0; i < ml.d.size(); ++i) e = std::max(e, std::fabs(ml.d[i] - ms.d[i]));
    CHECK(e < 1e-5);
  }
}

TEST_CASE("test-time-regression: correlated keys break linear attention, not least squares") {
  Session s;
  open_run(s, 5);
  const Series* c = s.lesson().outputs().find_series("recall_err_vs_rho");
  REQUIRE(c != nullptr);
  REQUIRE(c->rows() == 12);
  const int lin = 1, ls = 2, soft = 5, ll = 6;
  CHECK(c->col(0)[0] == 0.0f);
  // Linear attention's error grows several-fold from rho = 0 to rho = 0.9 and passes 1 (worse than recalling 0).
  CHECK(c->col(lin)[9] > 4.0f * c->col(lin)[0]);
  CHECK(c->col(lin)[9] > 1.0f);
  // Least squares (t = 12 <= d = 16) stays near exact at every correlation up to 0.9.
  for (int r = 0; r <= 9; ++r) CHECK(c->col(ls)[r] < 0.02f);
  // Local-linear regression improves on the locally constant softmax at the same kernel.
  for (int r = 0; r < 12; ++r) CHECK(c->col(ll)[r] < c->col(soft)[r]);
  // More pairs than dimensions: no linear map stores them all.
  Session big;
  open_run(big, 5, {{"pairs", "48"}, {"rho", "0"}});
  CHECK(metric(big, "recall_err_least_squares") > 0.2);
}

TEST_CASE("test-time-regression: the export recomputes the memories and the recall") {
  Session s;
  open_run(s, 6, {{"pairs", "10"}, {"rho", "0.7"}});
  const Array &K = output_array(s, "keys"), &V = output_array(s, "values");
  const int t = int(K.shape[0]), d = int(K.shape[1]), dv = int(V.shape[1]);
  // M_linear = sum_j v_j k_j^T.
  const Array& ml = output_array(s, "m_linear");
  double e = 0;
  for (int r = 0; r < dv; ++r)
    for (int c = 0; c < d; ++c) {
      double m = 0;
      for (int j = 0; j < t; ++j) m += V.d[size_t(j) * dv + r] * K.d[size_t(j) * d + c];
      e = std::max(e, std::fabs(m - ml.d[size_t(r) * d + c]));
    }
  CHECK(e < 1e-12);
  // The recall of every matrix layer is M k_j; least squares' M solves M (K^T K + lambda I) = V^T K.
  const char* const matrix_layers[] = {"linear", "least_squares", "gated", "deltanet"};
  for (const char* l : matrix_layers) {
    CAPTURE(l);
    const Array &M = output_array(s, ("m_" + std::string(l)).c_str()), &Y = output_array(s, ("y_" + std::string(l)).c_str());
    double err = 0;
    for (int j = 0; j < t; ++j)
      for (int r = 0; r < dv; ++r) {
        double y = 0;
        for (int c = 0; c < d; ++c) y += M.d[size_t(r) * d + c] * K.d[size_t(j) * d + c];
        err = std::max(err, std::fabs(y - Y.d[size_t(j) * dv + r]));
      }
    CHECK(err < 1e-10);
  }
  const Array& ms = output_array(s, "m_least_squares");
  double res = 0;
  for (int r = 0; r < dv; ++r)
    for (int c = 0; c < d; ++c) {
      double lhs = 1e-3 * ms.d[size_t(r) * d + c], rhs = 0;
      for (int j = 0; j < t; ++j) {
        double mk = 0;
        for (int e2 = 0; e2 < d; ++e2) mk += ms.d[size_t(r) * d + e2] * K.d[size_t(j) * d + e2];
        lhs += mk * K.d[size_t(j) * d + c];
        rhs += V.d[size_t(j) * dv + r] * K.d[size_t(j) * d + c];
      }
      res = std::max(res, std::fabs(lhs - rhs));
    }
  CHECK(res < 1e-10);
}

TEST_CASE("test-time-regression: metrics and outputs do not depend on how the units are split") {
  const std::string a = lesson_test::metrics_after_run("test-time-regression", {{"pairs", "9"}}, 9, 1);
  const std::string b = lesson_test::metrics_after_run("test-time-regression", {{"pairs", "9"}}, 9, 1000);
  CHECK(a == b);
}
