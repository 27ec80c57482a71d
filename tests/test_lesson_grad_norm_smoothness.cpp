// grad-norm-smoothness (LESSONS.md #25) at the lesson level: the exported
// A, b reproduce f(x0) and f*; every method's exported gaps decrease
// monotonically; the Newton runs reach 1e-8 long before the gradient method;
// the live GN - H identity check is at rounding level; frame splits do not
// change the numbers.  (The method and the problem's derivatives are tested
// in test_opt_flat.cpp.)
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "tests/lesson_test_util.h"
#include "web/session.h"

using namespace pg;
using lesson_test::metric;
using lesson_test::run_to_end;
using lesson_test::output_array;

namespace {

// f(x) = mu log sum exp((A x - b) / mu), recomputed from the export with libm (a numpy reader's view).
double lse(const Array& A, const Array& b, const std::vector<double>& x, double mu) {
  const int m = int(A.shape[0]), n = int(A.shape[1]);
  std::vector<double> z(static_cast<size_t>(m));
  double zmax = -INFINITY;
  for (int i = 0; i < m; ++i) {
    double s = 0.0;
    for (int j = 0; j < n; ++j) s += A.d[size_t(i) * n + j] * x[size_t(j)];
    z[size_t(i)] = (s - b.d[size_t(i)]) / mu;
    zmax = std::max(zmax, z[size_t(i)]);
  }
  double sum = 0.0;
  for (double v : z) sum += std::exp(v - zmax);
  return mu * (zmax + std::log(sum));
}
}  // namespace

TEST_CASE("grad-norm-smoothness: exported problem and gaps; monotone; Newton beats the gradient method") {
  Session s;
  std::string msg;
  REQUIRE(s.open("grad-norm-smoothness", msg));
  s.reset(1);
  run_to_end(s);
  CHECK(s.lesson().problem().empty());
  const Array& A = output_array(s, "A");
  const Array& b = output_array(s, "b");
  REQUIRE(A.shape == std::vector<int64_t>{100, 20});
  const double mu = 0.1;
  const std::vector<double> x0(20, 0.0);
  const double f_star = metric(s, "f_star");
  for (const char* key : {"gaps_exact", "gaps_gn", "gaps_grad"}) {
    CAPTURE(key);
    const Array& g = output_array(s, key);
    REQUIRE(g.d.size() >= 2);
    CHECK(g.d[0] + f_star == doctest::Approx(lse(A, b, x0, mu)).epsilon(1e-12));
    for (size_t k = 1; k < g.d.size(); ++k) CHECK(g.d[k] <= g.d[k - 1]);  // monotone decrease
    CHECK(g.d.back() < 1e-8);
  }
  const double exact = metric(s, "iters_to_1e-8_exact"), gn = metric(s, "iters_to_1e-8_gn"),
               grad = metric(s, "iters_to_1e-8_grad");
  CHECK(exact > 0);
  CHECK(gn >= exact);          // GN is the cruder curvature
  CHECK(grad > 5 * gn);        // and both are far ahead of first order at mu = 0.1
  CHECK(metric(s, "gn_identity_err") < 1e-12);
  CHECK(metric(s, "gn_minus_hessian_psd") == 1);
}

TEST_CASE("grad-norm-smoothness: iteration counts read the exported gaps; small mu is harder for every method") {
  Session s;
  std::string msg;
  REQUIRE(s.open("grad-norm-smoothness", msg));
  REQUIRE(s.set("mu", "0.02", msg));
  REQUIRE(s.set("iters", "300", msg));
  s.reset(2);
  run_to_end(s);
  CHECK(s.lesson().problem().empty());
  const Array& g = output_array(s, "gaps_gn");
  int first = -1;
  for (size_t k = 0; k < g.d.size() && first < 0; ++k)
    if (g.d[k] < 1e-8) first = int(k);
  CHECK(metric(s, "iters_to_1e-8_gn") == first);
  CHECK(metric(s, "iters_to_1e-8_exact") > 4);
  CHECK(metric(s, "iters_to_1e-8_grad") == -1);  // not within 300 iterations
  CHECK(metric(s, "final_gap_grad") > 1e-8);
}

TEST_CASE("grad-norm-smoothness: same numbers however the iterations are split into frames") {
  const auto a = lesson_test::metrics_after_run("grad-norm-smoothness", {{"mu", "0.05"}}, 4, 1);
  const auto b = lesson_test::metrics_after_run("grad-norm-smoothness", {{"mu", "0.05"}}, 4, 7);
  CHECK(a == b);
}
