// softplus-attention (LESSONS.md #4) at the lesson level, with method-notes 1:
// rows are >= 0 and sum to 1, or are all zero when the row was exactly uniform
// (the zero-row fallback, the reimplementation's) / the LSSA row (the teaching
// fallback); finite for long rows (no (N - 1)^15 overflow); the needle's weight
// under LSSAR stays high as N grows while softmax's decays like e^D / (e^D + N).
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "engine/attention/attention.h"
#include "engine/rng.h"
#include "tests/lesson_test_util.h"
#include "web/session.h"

using namespace pg;
using lesson_test::metric;
using lesson_test::run_to_end;

namespace {
void open_sp(Session& s, std::initializer_list<std::pair<const char*, const char*>> knobs) {
  std::string msg;
  REQUIRE(s.open("softplus-attention", msg));
  for (const auto& kv : knobs) REQUIRE_MESSAGE(s.set(kv.first, kv.second, msg), msg);
  s.reset(5);
}
}  // namespace

TEST_CASE("softplus-attention: LSSAR keeps the needle as N grows, softmax's weight decays as predicted") {
  Session s;
  open_sp(s, {});
  run_to_end(s);
  const Series* sw = s.lesson().outputs().find_series("sweep");
  REQUIRE(sw != nullptr);
  REQUIRE(sw->rows() == 9);
  for (int i = 0; i < sw->rows(); ++i) {
    CAPTURE(sw->col(0)[i]);
    CHECK(sw->col(3)[i] > 0.9f);                                            // LSSAR
    CHECK(std::fabs(sw->col(1)[i] - sw->col(7)[i]) < 0.05f);                // softmax vs e^D / (e^D + N e^(s^2/2))
    if (i > 0) CHECK(sw->col(1)[i] < sw->col(1)[i - 1]);                    // softmax decays
    CHECK(sw->col(6)[i] < sw->col(4)[i]);                                   // LSSAR sharper than softmax
  }
  CHECK(metric(s, "needle_mass_lssar_8192") > 0.9);
  CHECK(metric(s, "needle_mass_softmax_8192") < 0.5 * metric(s, "needle_mass_softmax"));
  // Without the length scale, LSSA is nearly uniform.
  Session t;
  open_sp(t, {{"scale", "0"}});
  CHECK(metric(t, "entropy_lssa") > 0.99 * metric(t, "uniform_entropy"));
}

TEST_CASE("softplus-attention: an exactly uniform row - zero row or LSSA row, as the fallback knob says") {
  Session s;
  open_sp(s, {});
  CHECK(metric(s, "uniform_row_lssar_sum") == 0.0);
  Session t;
  open_sp(t, {{"fallback", "lssa_row"}});
  CHECK(metric(t, "uniform_row_lssar_sum") == doctest::Approx(1.0).epsilon(1e-6));
}

TEST_CASE("softplus-attention: LSSA and LSSAR rows are >= 0 and sum to 1 (or 0), finite at N = 8192 and |s| = 1e4") {
  const int d = 64;
  pg::Rng rng(9);
  for (int N : {1, 2, 3, 4, 370, 371, 8192})
    for (float magnitude : {1.0f, 1e4f}) {
      std::vector<float> k(size_t(N) * d), q(d), row(N);
      for (float& x : k) x = magnitude * float(rng.normal());
      for (int c = 0; c < d; ++c) q[c] = k[c];  // a one-hot-like row: the worst case for (N - 1)^p
      for (int fallback = 0; fallback < 2; ++fallback)
        for (attn::Op op : {attn::Op::lssa, attn::Op::lssar}) {
          attn::OpSpec spec;
          spec.op = op, spec.power = 15;
          spec.lssar_fallback = fallback ? attn::LssarFallback::lssa_row : attn::LssarFallback::zero_row;
          attn::attention_row(spec, q.data(), k.data(), N, N - 1, d, row.data());
          double sum = 0.0;
          bool ok = true;
          for (float x : row) {
            ok = ok && std::isfinite(x) && x >= 0.0f;
            sum += x;
          }
          CAPTURE(N);
          CAPTURE(magnitude);
          CHECK(ok);
          CHECK((std::fabs(sum - 1.0) < 1e-5 || (op == attn::Op::lssar && fallback == 0 && sum == 0.0)));
          if (op == attn::Op::lssar && N > 3) CHECK(row[0] > 0.99f);  // the matching key takes it all
        }
    }
}

TEST_CASE("softplus-attention: every knob combination stays finite") {
  for (const char* n : {"32", "8192"})
    for (const char* p : {"1", "15"})
      for (const char* scale : {"0", "1"}) {
        Session s;
        open_sp(s, {{"n", n}, {"p", p}, {"scale", scale}});
        CAPTURE(n);
        CAPTURE(p);
        CAPTURE(scale);
        MetricList ml;
        s.lesson().metrics(ml);
        for (const Metric& m : ml.items()) CHECK(std::isfinite(m.value));
      }
}
