// soft-attention (LESSONS.md #2) at the lesson level: the numbers the panel
// shows say what LESSONS.md's "must prove" says, with method-notes 10's
// correction (exact at m = n only without the ridge).  The kernels' own
// identities (R_(k+1) = R_k^2 entrywise, Eigen's pseudo-inverse, 1 1^T) are
// in test_attention_soft.cpp.
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "tests/lesson_test_util.h"
#include "web/session.h"

using namespace pg;
using lesson_test::metric;

namespace {
void open_soft(Session& s, std::initializer_list<std::pair<const char*, const char*>> knobs) {
  std::string msg;
  REQUIRE(s.open("soft-attention", msg));
  REQUIRE(s.set("n", "256", msg));
  for (const auto& kv : knobs) REQUIRE_MESSAGE(s.set(kv.first, kv.second, msg), msg);
  s.reset(3);
}
const Series& series(Session& s, const char* key) {
  const Series* se = s.lesson().outputs().find_series(key);
  REQUIRE(se != nullptr);
  return *se;
}
}  // namespace

TEST_CASE("soft-attention: exact when the landmarks are the tokens, only with the ridge off") {
  Session s;
  open_soft(s, {});
  CHECK(metric(s, "rel_frob_err_m_eq_n") < 1e-3);
  CHECK(metric(s, "rel_frob_err_m_eq_n_ridge") > 10 * metric(s, "rel_frob_err_m_eq_n"));
}

TEST_CASE("soft-attention: the residual falls quadratically, then plateaus") {
  Session s;
  open_soft(s, {{"ridge", "0"}, {"m", "16"}});
  const Series& nt = series(s, "newton");
  REQUIRE(nt.rows() == 31);
  const float* r = nt.col(2);  // the residual of the matrix inverted (no ridge: A itself)
  int squaring_steps = 0;
  for (int k = 0; k + 1 < nt.rows(); ++k)
    if (r[k] < 0.5f && r[k] > 1e-2f) {
      CHECK(r[k + 1] <= 1.5f * r[k] * r[k] + 1e-4f);  // squares (float rounding aside)
      ++squaring_steps;
    }
  CHECK(squaring_steps >= 1);
  CHECK(r[30] < 1e-3f);
  // With the ridge, ||I - A V|| stops at the ridge's bias while the ridged residual goes on down.
  Session t;
  open_soft(t, {{"m", "16"}});
  CHECK(metric(t, "newton_residual_ridged") < 1e-2);
  CHECK(metric(t, "newton_residual") > 10 * metric(t, "newton_residual_ridged"));
}

TEST_CASE("soft-attention: more landmarks, smaller error; no iterations, no inverse") {
  Session s;
  open_soft(s, {});
  const Series& sw = series(s, "error_vs_m");
  REQUIRE(sw.rows() >= 4);
  CHECK(sw.col(1)[sw.rows() - 1] < 0.5f * sw.col(1)[0]);
  const double err = metric(s, "rel_frob_err");
  CHECK(err < 0.3);
  Session t;
  open_soft(t, {{"iters", "0"}});
  CHECK(metric(t, "rel_frob_err") > 2 * err);
  CHECK(metric(t, "newton_residual_ridged") > 1.0);
}

TEST_CASE("soft-attention: the symmetric variant halves its start until ||I - A V_0||_1 <= 1.01") {
  Session s;
  open_soft(s, {{"variant", "symmetric"}});
  const double halvings = metric(s, "alpha_halvings");
  CHECK(halvings >= 0);
  CHECK(halvings <= 10);
  // alpha = 2 / (max row sum of A)^2 / 2^halvings, A the exported landmark kernel.
  const Array* A = s.lesson().outputs().find_array("landmark_kernel");
  REQUIRE(A != nullptr);
  const int m = int(A->shape[0]);
  double rowsum = 0.0;
  for (int i = 0; i < m; ++i) {
    double r = 0.0;
    for (int j = 0; j < m; ++j) r += A->f[size_t(i) * m + j];
    rowsum = r > rowsum ? r : rowsum;
  }
  CHECK(metric(s, "newton_alpha") == doctest::Approx(2.0 / (rowsum * rowsum) / std::pow(2.0, halvings)).epsilon(1e-5));
  CHECK(std::isfinite(metric(s, "rel_frob_err")));
  // Plain SOFT starts at 1.8 / rowsum^2 (the code's 0.9 * 2) and never halves.
  Session t;
  open_soft(t, {});
  CHECK(metric(t, "alpha_halvings") == 0);
}

TEST_CASE("soft-attention: extreme knobs stay finite") {
  for (const char* bw : {"0.3", "3"})
    for (const char* m : {"4", "64"})
      for (const char* it : {"0", "30"}) {
        Session s;
        std::string msg;
        REQUIRE(s.open("soft-attention", msg));
        REQUIRE(s.set("n", "64", msg));
        REQUIRE(s.set("bandwidth", bw, msg));
        REQUIRE(s.set("m", m, msg));
        REQUIRE(s.set("iters", it, msg));
        s.reset(1);
        CAPTURE(bw);
        CAPTURE(m);
        CAPTURE(it);
        MetricList ml;
        s.lesson().metrics(ml);
        for (const Metric& x : ml.items())
          if (!x.timing) CHECK(std::isfinite(x.value));
        CHECK(metric(s, "landmarks") <= 64);
      }
}
