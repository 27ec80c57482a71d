// test_kernels_softmax.cpp - every softmax variant against the double
// reference, against its _ref twin, and on the inputs that break naive code
// (LESSONS.md #1 "must prove"), plus the row helpers and the fused
// softmax-cross-entropy backward against finite differences.
#include <doctest/doctest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "engine/kernels/softmax.h"
#include "engine/rng.h"

namespace {

using SoftmaxFn = void (*)(const float*, float*, size_t);
struct Variant {
  const char* name;
  SoftmaxFn fn;
  bool is_ref;
};
const Variant kVariants[] = {
    {"three_pass_reload", kern::softmax_three_pass_reload, false},
    {"three_pass_reload_ref", kern::softmax_three_pass_reload_ref, true},
    {"three_pass_recompute", kern::softmax_three_pass_recompute, false},
    {"three_pass_recompute_ref", kern::softmax_three_pass_recompute_ref, true},
    {"two_pass", kern::softmax_two_pass, false},
    {"two_pass_ref", kern::softmax_two_pass_ref, true},
    {"two_pass_v1", kern::softmax_two_pass_v1, false},
    {"two_pass_v1_ref", kern::softmax_two_pass_v1_ref, true},
    {"online", kern::softmax_online, false},
    {"online_ref", kern::softmax_online_ref, true},
};
const size_t kSizes[] = {1, 3, 7, 8, 17, 255, 256, 257, 513, 100000};
constexpr float kInf = std::numeric_limits<float>::infinity();

// Size of one float ulp at the magnitude of r (2^-149 in the subnormal range).
double ulp_of(double r) {
  if (std::fabs(r) < FLT_MIN) return std::ldexp(1.0, -149);
  int e;
  std::frexp(r, &e);
  return std::ldexp(1.0, e - 24);
}
// Largest error in ulps; outputs whose true value is below 2^-126 may be
// flushed to 0 (vexp.h), so there only |y - ref| <= 2^-126 is required.
double max_ulp_error(const std::vector<float>& y, const std::vector<double>& ref) {
  double worst = 0.0;
  for (size_t i = 0; i < y.size(); ++i) {
    const double err = std::fabs(double(y[i]) - ref[i]);
    const double e = std::fabs(ref[i]) < FLT_MIN ? (err <= FLT_MIN ? 0.0 : 1e30) : err / ulp_of(ref[i]);
    if (!(e <= worst)) worst = e;  // NaN counts as the worst
  }
  return worst;
}
std::vector<float> uniform(pg::Rng& rng, size_t n, double lo, double hi) {
  std::vector<float> x(n);
  for (auto& v : x) v = float(rng.uniform(lo, hi));
  return x;
}
bool all_finite(const std::vector<float>& y) {
  for (float v : y)
    if (!std::isfinite(v)) return false;
  return true;
}
// Error bound in ulps vs the reference for x in a range where x - max is
// exact (|x| within a factor 2 of the max, as for U(-1000, 1000)).  The fast
// paths sum in short compensated chunks (softmax_detail.h) and stay within a
// few ulp at every size (measured <= 3.3 over 30 seeds at n = 1e5).  The _ref
// twins add sequentially in one float, so longer rows carry more rounding
// (measured <= 31 ulp at n = 1e5).
double ulp_bound(const Variant& v, size_t n) { return (v.is_ref && n > 64) ? 40.0 : 6.0; }
double sum_of(const std::vector<float>& y) {
  double s = 0.0;
  for (float v : y) s += v;
  return s;
}

}  // namespace

TEST_CASE("softmax: every variant within a few ulp of the reference, x ~ U(-1000, 1000)") {
  // See ulp_bound for the bounds.
  pg::Rng rng(101);
  for (size_t n : kSizes) {
    const std::vector<float> x = uniform(rng, n, -1000.0, 1000.0);
    std::vector<double> ref(n);
    kern::softmax_reference(x.data(), ref.data(), n);
    for (const Variant& v : kVariants) {
      std::vector<float> y(n);
      v.fn(x.data(), y.data(), n);
      INFO(std::string(v.name) << " n=" << n);
      CHECK(max_ulp_error(y, ref) <= ulp_bound(v, n));
    }
  }
}

TEST_CASE("softmax: outputs sum to 1 within N * 2^-24 at every scale") {
  pg::Rng rng(102);
  for (double range : {1.0, 10.0, 100.0, 1000.0, 1e4}) {
    for (size_t n : kSizes) {
      const std::vector<float> x = uniform(rng, n, -range, range);
      for (const Variant& v : kVariants) {
        std::vector<float> y(n);
        v.fn(x.data(), y.data(), n);
        INFO(std::string(v.name) << " n=" << n << " range=" << range);
        CHECK(std::fabs(sum_of(y) - 1.0) <= double(n) * std::ldexp(1.0, -24));
      }
    }
  }
}

TEST_CASE("softmax: SIMD path matches its scalar _ref twin, tails included") {
  // Same exp, same algorithm: the twins differ only in summation order, so
  // they agree to a few ulp of each output (plus the 2^-126 flush floor).
  pg::Rng rng(103);
  for (double range : {1.0, 30.0, 1000.0}) {
    for (size_t n = 1; n <= 70; ++n) {  // every tail length, with and without full blocks
      const std::vector<float> x = uniform(rng, n, -range, range);
      for (size_t k = 0; k + 1 < sizeof kVariants / sizeof kVariants[0]; k += 2) {
        std::vector<float> fast(n), ref(n);
        kVariants[k].fn(x.data(), fast.data(), n);
        kVariants[k + 1].fn(x.data(), ref.data(), n);
        std::vector<double> ref_d(ref.begin(), ref.end());
        INFO(std::string(kVariants[k].name) << " n=" << n << " range=" << range);
        CHECK(max_ulp_error(fast, ref_d) <= 8.0);
      }
    }
  }
}

TEST_CASE("softmax: no Inf or NaN for finite inputs, even far beyond |x| <= 1e4") {
  pg::Rng rng(104);
  std::vector<std::vector<float>> rows;
  rows.push_back(uniform(rng, 257, -1e4, 1e4));
  rows.push_back(std::vector<float>(33, 1e4f));
  rows.push_back(std::vector<float>(33, -1e4f));
  std::vector<float> alt(100);
  for (size_t i = 0; i < alt.size(); ++i) alt[i] = (i % 2) ? 1e4f : -1e4f;
  rows.push_back(alt);
  // Around the two-pass clamp (16384) and at the float limits: every variant
  // must still give the documented answer.
  rows.push_back({16383.0f, 16385.0f, -16385.0f, 0.0f, 16384.0f, 16380.0f, 1.0f});
  rows.push_back({-20000.0f, -20001.0f, -20005.0f, -30000.0f, -20000.5f});
  rows.push_back({FLT_MAX, -FLT_MAX, 0.0f, FLT_MAX, 1e30f, -1e30f, 3.0f, 2.0f, 1.0f});
  rows.push_back({-FLT_MAX, -FLT_MAX, -1e38f, -FLT_MAX, -3e38f});
  for (const auto& x : rows) {
    std::vector<double> ref(x.size());
    kern::softmax_reference(x.data(), ref.data(), x.size());
    for (const Variant& v : kVariants) {
      std::vector<float> y(x.size());
      v.fn(x.data(), y.data(), x.size());
      INFO(std::string(v.name) << " n=" << x.size() << " x0=" << x[0]);
      CHECK(all_finite(y));
      CHECK(max_ulp_error(y, ref) <= ulp_bound(v, x.size()));
    }
  }
}

TEST_CASE("softmax: +-inf and NaN inputs follow the rules in softmax.h") {
  for (size_t n : {size_t(1), size_t(3), size_t(8), size_t(17), size_t(257)}) {
    for (size_t pos : {size_t(0), n / 2, n - 1}) {
      std::vector<float> x(n);
      for (size_t i = 0; i < n; ++i) x[i] = float(i % 7) - 3.0f;
      for (const Variant& v : kVariants) {
        INFO(std::string(v.name) << " n=" << n << " pos=" << pos);
        std::vector<float> y(n);
        // One +inf: all the mass there.
        std::vector<float> a = x;
        a[pos] = kInf;
        v.fn(a.data(), y.data(), n);
        for (size_t i = 0; i < n; ++i) CHECK(y[i] == (i == pos ? 1.0f : 0.0f));
        // Two +inf (first and pos): split equally.
        if (n > 1 && pos != 0) {
          a[0] = kInf;
          v.fn(a.data(), y.data(), n);
          for (size_t i = 0; i < n; ++i) CHECK(y[i] == ((i == pos || i == 0) ? 0.5f : 0.0f));
        }
        // -inf: exactly 0 there, the rest a proper softmax.
        if (n > 1) {
          std::vector<float> b = x;
          b[pos] = -kInf;
          std::vector<double> ref(n);
          kern::softmax_reference(b.data(), ref.data(), n);
          v.fn(b.data(), y.data(), n);
          CHECK(y[pos] == 0.0f);
          CHECK(max_ulp_error(y, ref) <= ulp_bound(v, n));
        }
        // All -inf: uniform.
        std::vector<float> c(n, -kInf);
        v.fn(c.data(), y.data(), n);
        for (size_t i = 0; i < n; ++i) CHECK(y[i] == 1.0f / float(n));
        // NaN anywhere: every output NaN.
        std::vector<float> d = x;
        d[pos] = std::numeric_limits<float>::quiet_NaN();
        v.fn(d.data(), y.data(), n);
        for (size_t i = 0; i < n; ++i) CHECK(std::isnan(y[i]));
      }
    }
  }
}

TEST_CASE("softmax: an all-equal input gives 1/N") {
  // The three-pass and online variants sum e^0 = 1 exactly and give
  // float(1/N).  The two-pass one sums N copies of a mantissa m in
  // [0.7, 1.4], which rounds like any float sum: within the N * 2^-24 sum rule.
  for (size_t n : kSizes) {
    for (float value : {0.0f, -3.5f, 88.0f, 1000.0f, 1e4f, -1e4f}) {
      std::vector<float> x(n, value), y(n);
      const double expected = 1.0 / double(n);
      for (const Variant& v : kVariants) {
        v.fn(x.data(), y.data(), n);
        double worst = 0.0;
        for (float yi : y) worst = std::fmax(worst, std::fabs(yi - expected) / ulp_of(expected));
        const bool two_pass = std::string(v.name).find("two_pass") == 0;
        INFO(std::string(v.name) << " n=" << n << " value=" << value);
        CHECK(worst <= (two_pass ? 2.0 + double(n) : 1.0));
      }
    }
  }
}

TEST_CASE("softmax_naive: fine for small inputs, Inf/NaN once x > 88.7") {
  pg::Rng rng(105);
  for (size_t n : {size_t(7), size_t(257)}) {
    std::vector<float> x = uniform(rng, n, -5.0, 5.0), y(n), yr(n);
    std::vector<double> ref(n);
    kern::softmax_reference(x.data(), ref.data(), n);
    kern::softmax_naive(x.data(), y.data(), n);
    kern::softmax_naive_ref(x.data(), yr.data(), n);
    CHECK(max_ulp_error(y, ref) <= 8.0);
    CHECK(max_ulp_error(yr, ref) <= 8.0);
    x[n / 2] = 89.0f;  // e^89 > FLT_MAX
    kern::softmax_naive(x.data(), y.data(), n);
    CHECK(std::isnan(y[n / 2]));
    // The shifted algorithms do not care.
    kern::softmax_two_pass(x.data(), y.data(), n);
    CHECK(all_finite(y));
  }
}

// ---- row helpers ---------------------------------------------------------------

TEST_CASE("softmax_rows and log_softmax_rows match their _ref twins and the reference") {
  pg::Rng rng(106);
  for (int n : {1, 3, 17, 255, 256, 257}) {
    const int rows = 5;
    std::vector<float> x = uniform(rng, size_t(rows) * n, -20.0, 20.0);
    x[0] = -1000.0f;  // a tiny probability: log-softmax must keep it, not give -inf
    std::vector<float> y(x.size()), yr(x.size()), ly(x.size()), lyr(x.size());
    kern::softmax_rows(x.data(), y.data(), rows, n);
    kern::softmax_rows_ref(x.data(), yr.data(), rows, n);
    kern::log_softmax_rows(x.data(), ly.data(), rows, n);
    kern::log_softmax_rows_ref(x.data(), lyr.data(), rows, n);
    for (int r = 0; r < rows; ++r) {
      const size_t o = size_t(r) * n;
      std::vector<double> ref(n);
      kern::softmax_reference(x.data() + o, ref.data(), n);
      // log p in double, computed directly (not log of a rounded p).
      double mu = -HUGE_VAL, s = 0.0;
      for (int i = 0; i < n; ++i) mu = std::fmax(mu, x[o + i]);
      for (int i = 0; i < n; ++i) s += std::exp(double(x[o + i]) - mu);
      for (int i = 0; i < n; ++i) {
        INFO("n=" << n << " r=" << r << " i=" << i);
        // Rounding x - mu costs up to |x - mu| / 2 ulp of e^(x - mu) (see
        // softmax.h); the _ref's sequential sum adds up to ~n/8 ulp here.
        const double t = std::fabs(double(x[o + i]) - mu);
        const double bound = (6.0 + t) * ulp_of(ref[i]) + FLT_MIN;
        CHECK(std::fabs(y[o + i] - ref[i]) <= bound);
        CHECK(std::fabs(yr[o + i] - ref[i]) <= bound + (n / 8.0) * ulp_of(ref[i]));
        const double logp = (double(x[o + i]) - mu) - std::log(s);
        const double tol = 4.0 * ulp_of(std::fmax(std::fabs(logp), 1.0));
        CHECK(std::fabs(ly[o + i] - logp) <= tol);
        CHECK(std::fabs(lyr[o + i] - logp) <= tol);
      }
    }
  }
  // Non-ordinary rows follow the softmax rules, in log space.
  const float row[4] = {kInf, 1.0f, kInf, -kInf};
  float ly[4];
  kern::log_softmax_rows(row, ly, 1, 4);
  CHECK(ly[0] == doctest::Approx(-std::log(2.0)));
  CHECK(ly[2] == doctest::Approx(-std::log(2.0)));
  CHECK(ly[1] == -kInf);
  CHECK(ly[3] == -kInf);
}

TEST_CASE("softmax_rows: long rows (blocked path) match the reference, special values included") {
  // Rows of >= 8192 elements go through the per-block-max algorithm of
  // softmax_rows.cpp; its extra rescale costs at most ~2 ulp more.
  pg::Rng rng(108);
  for (int n : {8192, 8195, 16385, 100000}) {
    for (double range : {8.0, 1000.0}) {
      std::vector<float> x = uniform(rng, size_t(n), -range, range), y(n);
      std::vector<double> ref(n);
      kern::softmax_reference(x.data(), ref.data(), n);
      kern::softmax_rows(x.data(), y.data(), 1, n);
      INFO("n=" << n << " range=" << range);
      // x - max rounding costs up to |x - max| / 2 ulp (see softmax.h).
      double worst = 0.0;
      double mu = -HUGE_VAL;
      for (float v : x) mu = std::fmax(mu, v);
      for (int i = 0; i < n; ++i) {
        const double err = std::fabs(y[i] - ref[i]);
        const double allowed = (8.0 + std::fabs(x[i] - mu)) * ulp_of(ref[i]) + FLT_MIN;
        worst = std::fmax(worst, err / allowed);
      }
      CHECK(worst <= 1.0);
      CHECK(std::fabs(sum_of(y) - 1.0) <= double(n) * std::ldexp(1.0, -24));
    }
    // Special values in a late block: the row falls back to the rules of softmax.h.
    std::vector<float> x(n, 0.0f), y(n);
    x[n - 1] = kInf;
    kern::softmax_rows(x.data(), y.data(), 1, n);
    CHECK(y[n - 1] == 1.0f);
    CHECK(y[0] == 0.0f);
    x[n - 1] = -kInf;
    kern::softmax_rows(x.data(), y.data(), 1, n);
    CHECK(y[n - 1] == 0.0f);
    CHECK(y[0] == doctest::Approx(1.0 / (n - 1)).epsilon(1e-5));
    x[n / 2] = std::numeric_limits<float>::quiet_NaN();
    kern::softmax_rows(x.data(), y.data(), 1, n);
    CHECK(std::isnan(y[0]));
  }
}

TEST_CASE("softmax_rows: pipelined rows give the bits of one row at a time, special rows anywhere") {
  // softmax_rows runs each segment's (a row's, or a long row's block's) exp
  // pass together with the next segment's max/min pass and a previous
  // segment's scale pass (softmax_rows.cpp).  None of that may change a bit:
  // every row equals softmax_three_pass_reload on it (rows < 8192) or
  // softmax_rows on it alone (the blocked path), whatever its neighbours are,
  // and a special row (the rules of softmax.h) must not lose a neighbour's
  // waiting scale pass or next max.
  pg::Rng rng(112);
  const float kNaN = std::numeric_limits<float>::quiet_NaN();
  for (int n : {1, 3, 4, 15, 16, 17, 255, 1024, 1031, 8192, 8195, 10000}) {
    const int rows = 8;
    std::vector<float> x(size_t(rows) * n);
    for (int r = 0; r < rows; ++r) {
      float* row = x.data() + size_t(r) * n;
      const double range = r % 3 == 2 ? 1000.0 : 20.0;  // 1000: exponents below kExpLo, the clamping exp
      for (int i = 0; i < n; ++i) row[i] = float(rng.uniform(-range, range));
      if (r == 1) row[n - 1] = kInf;        // in the last block of a long row
      if (r == 4) row[n / 3] = kNaN;
      if (r == 5) std::fill(row, row + n, -kInf);
      if (r == 6 && n > 1) row[n / 2] = -kInf;  // an ordinary row (the max is finite)
    }
    std::vector<float> y(x.size(), 7.0f);
    kern::softmax_rows(x.data(), y.data(), rows, n);
    for (int r = 0; r < rows; ++r) {
      const size_t o = size_t(r) * n;
      std::vector<float> one(n, 7.0f);
      if (n < 8192) kern::softmax_three_pass_reload(x.data() + o, one.data(), size_t(n));
      else kern::softmax_rows(x.data() + o, one.data(), 1, n);
      INFO("n=" << n << " row=" << r);
      CHECK(std::memcmp(y.data() + o, one.data(), size_t(n) * sizeof(float)) == 0);
    }
  }
}

namespace {
// Mean cross-entropy in double: the ground truth for the fused kernel.
double xent_double(const std::vector<double>& z, const std::vector<int>& labels, int rows, int n) {
  double total = 0.0;
  for (int r = 0; r < rows; ++r) {
    double mu = -HUGE_VAL, s = 0.0;
    for (int i = 0; i < n; ++i) mu = std::fmax(mu, z[size_t(r) * n + i]);
    for (int i = 0; i < n; ++i) s += std::exp(z[size_t(r) * n + i] - mu);
    total += std::log(s) - (z[size_t(r) * n + labels[r]] - mu);
  }
  return total / rows;
}
}  // namespace

TEST_CASE("softmax_xent_rows: loss and gradient vs double reference and finite differences") {
  pg::Rng rng(107);
  for (int n : {1, 3, 17, 255, 256, 257}) {
    const int rows = 7;
    std::vector<float> z = uniform(rng, size_t(rows) * n, -6.0, 6.0);
    std::vector<int> labels(rows);
    for (auto& l : labels) l = int(rng.below(uint32_t(n)));
    std::vector<float> d(z.size()), dr(z.size());
    const float loss = kern::softmax_xent_rows(z.data(), labels.data(), rows, n, d.data());
    const float loss_ref = kern::softmax_xent_rows_ref(z.data(), labels.data(), rows, n, dr.data());
    CHECK(kern::softmax_xent_rows(z.data(), labels.data(), rows, n, nullptr) == loss);
    std::vector<double> zd(z.begin(), z.end());
    const double truth = xent_double(zd, labels, rows, n);
    CHECK(loss == doctest::Approx(truth).epsilon(1e-5));
    CHECK(loss_ref == doctest::Approx(truth).epsilon(1e-5));
    // Central differences of the double loss: error ~ h^2, far below 1e-6.
    const double h = 1e-4;
    for (size_t k = 0; k < z.size(); k += (z.size() > 64 ? 37 : 1)) {
      std::vector<double> zp = zd, zm = zd;
      zp[k] += h;
      zm[k] -= h;
      const double g = (xent_double(zp, labels, rows, n) - xent_double(zm, labels, rows, n)) / (2 * h);
      INFO("n=" << n << " k=" << k);
      CHECK(std::fabs(d[k] - g) <= 1e-6);
      CHECK(std::fabs(dr[k] - g) <= 1e-6);
    }
    // And central differences of the float kernel itself (loose: float loss).
    const float hf = 1e-2f;
    for (size_t k = 0; k < z.size(); k += (z.size() > 64 ? 53 : 2)) {
      std::vector<float> zp = z, zm = z;
      zp[k] += hf;
      zm[k] -= hf;
      const double lp = kern::softmax_xent_rows(zp.data(), labels.data(), rows, n, nullptr);
      const double lm = kern::softmax_xent_rows(zm.data(), labels.data(), rows, n, nullptr);
      const double g = (lp - lm) / (double(zp[k]) - double(zm[k]));
      CHECK(std::fabs(d[k] - g) <= 2e-4);
    }
  }
}

TEST_CASE("softmax_xent_rows: bad labels and non-finite logits") {
  const float z[6] = {1.0f, kInf, 0.0f, 2.0f, 1.0f, 0.0f};
  float d[6];
  const int good[2] = {1, 0};
  const float loss = kern::softmax_xent_rows(z, good, 2, 3, d);
  // Row 0 puts all mass on its label (loss 0, gradient 0); row 1 is ordinary.
  const double row1 = std::log(std::exp(2.0) + std::exp(1.0) + 1.0) - 2.0;
  CHECK(loss == doctest::Approx(row1 / 2).epsilon(1e-6));
  CHECK(d[0] == 0.0f);
  CHECK(d[1] == 0.0f);
  CHECK(d[2] == 0.0f);
  const int bad[2] = {3, -1};
  CHECK(std::isnan(kern::softmax_xent_rows(z, bad, 2, 3, d)));
  CHECK(std::isnan(kern::softmax_xent_rows_ref(z, bad, 2, 3, d)));
  const int wrong[2] = {0, 0};  // label on a finite logit next to +inf: p = 0
  CHECK(kern::softmax_xent_rows(z, wrong, 2, 3, nullptr) == kInf);
}

// ---- the lean two-pass kernel (XNNPACK-style) and the pass-at-a-time API ----------

TEST_CASE("softmax_two_pass (lean): within the same ulp bound as its first version, every range and tail") {
  // The lean kernel drops the clamps and rescales per block of 16: it must
  // stay within the bound the first version meets (ulp_bound), at every
  // range (R = 1 .. 1e4, so subnormal outputs and far-below-max entries are
  // included) and every tail length.
  pg::Rng rng(110);
  const Variant lean = {"two_pass", kern::softmax_two_pass, false};
  const Variant lean_ref = {"two_pass_ref", kern::softmax_two_pass_ref, true};
  std::vector<size_t> sizes(kSizes, kSizes + sizeof kSizes / sizeof kSizes[0]);
  for (size_t n = 1; n <= 40; ++n) sizes.push_back(n);
  sizes.push_back(4096 + 13);
  for (double range : {1.0, 10.0, 100.0, 1000.0, 1e4}) {
    for (size_t n : sizes) {
      const std::vector<float> x = uniform(rng, n, -range, range);
      std::vector<double> ref(n);
      kern::softmax_reference(x.data(), ref.data(), n);
      std::vector<float> y(n), y1(n), yr(n);
      kern::softmax_two_pass(x.data(), y.data(), n);
      kern::softmax_two_pass_v1(x.data(), y1.data(), n);
      kern::softmax_two_pass_ref(x.data(), yr.data(), n);
      INFO("n=" << n << " range=" << range);
      CHECK(max_ulp_error(y, ref) <= ulp_bound(lean, n));
      CHECK(max_ulp_error(y1, ref) <= ulp_bound(lean, n));
      // The scalar twins add in the same sequential order, and both ways of
      // building 2^d are exact: the lean twin gives the first version's bits.
      std::vector<float> y1r(n);
      kern::softmax_two_pass_v1_ref(x.data(), y1r.data(), n);
      CHECK(std::memcmp(yr.data(), y1r.data(), n * sizeof(float)) == 0);
      if (range == 1000.0) CHECK(max_ulp_error(yr, ref) <= ulp_bound(lean_ref, n));
      // Same exponents, same mantissas: the lean sum only groups differently.
      std::vector<double> y1d(y1.begin(), y1.end());
      CHECK(max_ulp_error(y, y1d) <= 4.0);
    }
  }
}

TEST_CASE("softmax_two_pass (lean): rows the clamp-free kernel hands to the fallback") {
  // -inf entries, entries far below the rest, +inf, NaN and huge values make
  // m_s non-finite or n_s out of range; the answer must still follow the rules.
  const float inf = kInf;
  const std::vector<std::vector<float>> rows = {
      {0.0f, -inf, 1.0f, -inf, 2.0f, 3.0f, -1.0f, 0.5f, 4.0f},
      {1.0f, -1e30f, 2.0f, -30000.0f, 3.0f, -FLT_MAX, 0.0f, 1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f, 7.0f, 8.0f, 9.0f, 1.0f},
      {5.0f, inf, 1.0f, 2.0f, inf},
      {1.0f, 2.0f, std::numeric_limits<float>::quiet_NaN(), 3.0f},
      {1e30f, 1.0f, 2.0f, 20000.0f},
  };
  for (const auto& x : rows) {
    std::vector<double> ref(x.size());
    kern::softmax_reference(x.data(), ref.data(), x.size());
    for (SoftmaxFn f : {kern::softmax_two_pass, kern::softmax_two_pass_ref}) {
      std::vector<float> y(x.size());
      f(x.data(), y.data(), x.size());
      for (size_t i = 0; i < x.size(); ++i) {
        INFO("x[" << i << "]=" << x[i]);
        if (std::isnan(ref[i])) CHECK(std::isnan(y[i]));
        else CHECK(std::fabs(double(y[i]) - ref[i]) <= 1e-6 * ref[i] + 1e-30);
      }
    }
  }
}

TEST_CASE("softmax_pass: a row run one pass and one piece at a time gives the bits of one call") {
  using kern::SoftmaxAlg;
  const SoftmaxAlg algs[] = {SoftmaxAlg::three_pass_reload, SoftmaxAlg::three_pass_recompute, SoftmaxAlg::two_pass,
                             SoftmaxAlg::two_pass_v1, SoftmaxAlg::online};
  const SoftmaxFn whole[] = {kern::softmax_three_pass_reload, kern::softmax_three_pass_recompute,
                             kern::softmax_two_pass, kern::softmax_two_pass_v1, kern::softmax_online};
  pg::Rng rng(111);
  for (double range : {10.0, 100.0}) {
    for (size_t n : {size_t(3), size_t(256), size_t(1000), size_t(5000 + 7), size_t(65536 + 3)}) {
      std::vector<float> x = uniform(rng, n, -range, range);
      if (n > 10) x[n / 2] = -kInf;  // a two-pass fallback row, done whole by the last pass's first piece
      for (int with_inf = 0; with_inf < 2; ++with_inf) {
        std::vector<float> xr = x;
        if (!with_inf && n > 10) xr[n / 2] = 0.0f;
        for (int a = 0; a < 5; ++a) {
          std::vector<float> y(n), yp(n, 7.0f);
          whole[a](xr.data(), y.data(), n);
          for (size_t piece : {kern::kSoftmaxPiece, 3 * kern::kSoftmaxPiece, size_t(4096)}) {
            kern::SoftmaxPasses s(algs[a], n);
            for (int p = 0; p < s.passes(); ++p)
              for (size_t b = 0; b < n; b += piece) kern::softmax_pass(s, p, xr.data(), yp.data(), b, b + piece < n ? b + piece : n);
            INFO("alg=" << a << " n=" << n << " piece=" << piece << " inf=" << with_inf);
            CHECK(std::memcmp(y.data(), yp.data(), n * sizeof(float)) == 0);
          }
        }
      }
    }
  }
}
