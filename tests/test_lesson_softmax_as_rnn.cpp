// softmax-as-rnn (LESSONS.md #3) at the lesson level: the RNN the lesson steps
// equals the masked parallel form, the truncation error falls with the order,
// odd orders can make G_t <= 0 (flagged) while even ones cannot.  The engine's
// own checks (order 25 vs softmax to 1e-10, recurrent == parallel for every
// denominator) are in test_attention_soft.cpp.
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "tests/lesson_test_util.h"
#include "web/session.h"

using namespace pg;
using lesson_test::metric;
using lesson_test::run_to_end;

namespace {
void open_rnn(Session& s, const char* order, const char* scale, const char* den = "taylor_sum") {
  std::string msg;
  REQUIRE(s.open("softmax-as-rnn", msg));
  REQUIRE(s.set("order", order, msg));
  REQUIRE(s.set("scale", scale, msg));
  REQUIRE(s.set("denominator", den, msg));
  s.reset(2);
}
}  // namespace

TEST_CASE("softmax-as-rnn: the stepped RNN equals the masked parallel form") {
  for (const char* den : {"taylor_sum", "l2_norm", "token_count"})
    for (const char* order : {"1", "2", "5"}) {
      Session s;
      open_rnn(s, order, "1", den);
      CHECK(metric(s, "tokens_processed") == 0);
      run_to_end(s);
      CAPTURE(den);
      CAPTURE(order);
      CHECK(metric(s, "tokens_processed") == 48);
      CHECK(metric(s, "recurrent_vs_parallel_max_abs") < 1e-12);
    }
}

TEST_CASE("softmax-as-rnn: the error falls with the order; the state is sum d^p (dv + 1)") {
  Session s;
  open_rnn(s, "2", "1");
  const double e4 = metric(s, "max_abs_err_order_4"), e8 = metric(s, "max_abs_err_order_8"),
               e12 = metric(s, "max_abs_err_order_12");
  // Factorial decay once P passes the largest logit (about 7 with this seed).
  CHECK(metric(s, "max_abs_logit") < 8);
  CHECK(e8 < 0.5 * e4);
  CHECK(e12 < 0.1 * e8);
  CHECK(metric(s, "state_size") == (1 + 4 + 16) * 5);
  Session t;
  open_rnn(t, "6", "1");
  CHECK(metric(t, "max_abs_err") < metric(s, "max_abs_err"));  // low orders converge slowly at logits near 7
  CHECK(metric(t, "state_size") == (1 + 4 + 16 + 64 + 256 + 1024 + 4096) * 5);
}

TEST_CASE("softmax-as-rnn: odd orders can make G_t <= 0, even orders never do") {
  for (const char* order : {"1", "3", "5"}) {
    Session s;
    open_rnn(s, order, "4");
    CAPTURE(order);
    CHECK(metric(s, "min_denominator") <= 0.0);
    CHECK(metric(s, "nonpositive_denominators") >= 1);
    run_to_end(s);
    MetricList ml;
    s.lesson().metrics(ml);
    for (const Metric& m : ml.items()) CHECK(std::isfinite(m.value));
  }
  for (const char* order : {"2", "4", "6"}) {
    Session s;
    open_rnn(s, order, "4");
    CAPTURE(order);
    CHECK(metric(s, "min_denominator") > 0.0);
    CHECK(metric(s, "nonpositive_denominators") == 0);
  }
}

TEST_CASE("softmax-as-rnn: the state after N tokens does not depend on how they were split") {
  const std::string a = lesson_test::metrics_after_run("softmax-as-rnn", {{"order", "3"}}, 4, 1);
  const std::string b = lesson_test::metrics_after_run("softmax-as-rnn", {{"order", "3"}}, 4, 1000);
  CHECK(a == b);
}
