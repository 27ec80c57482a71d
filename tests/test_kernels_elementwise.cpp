// test_kernels_elementwise.cpp - the shared exp (vexp.h) and the activations
// built on it: accuracy against double, special values, and bit-identity of
// every SIMD kernel with its scalar _ref twin (tails included).
#include <doctest/doctest.h>

#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "engine/kernels/elementwise.h"
#include "engine/kernels/vexp.h"
#include "engine/rng.h"

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

double ulp_of(double r) {
  if (std::fabs(r) < FLT_MIN) return std::ldexp(1.0, -149);
  int e;
  std::frexp(r, &e);
  return std::ldexp(1.0, e - 24);
}
// Error in ulps.  Results below `flush` may be flushed to 0 (vexp.h gives no
// subnormals), so there any |y - truth| <= flush counts as exact.
double ulp_error(float y, double truth, double flush = FLT_MIN) {
  if (std::isnan(truth)) return std::isnan(y) ? 0.0 : 1e30;
  if (std::isinf(truth)) return y == truth ? 0.0 : 1e30;
  const double err = std::fabs(double(y) - truth);
  if (std::fabs(truth) < flush) return err <= flush ? 0.0 : 1e30;
  return err / ulp_of(truth);
}
bool same_bits(float a, float b) {
  if (std::isnan(a) && std::isnan(b)) return true;  // NaN payloads differ between backends
  return std::memcmp(&a, &b, 4) == 0;
}

using ArrayFn = void (*)(const float*, float*, size_t);
struct Kernel {
  const char* name;
  ArrayFn fast, ref;
  double (*truth)(double);
};
double sigmoid_d(double x) { return 1.0 / (1.0 + std::exp(-x)); }
// 0.5 x (1 + tanh z) == x / (1 + e^-2z); the second form has no cancellation
// for x << 0, where even double would round 1 + tanh z to 0.
double gelu_d(double x) {
  return x / (1.0 + std::exp(-2.0 * 0.7978845608028654 * (x + 0.044715 * x * x * x)));
}
double exp_d(double x) { return std::exp(x); }
double tanh_d(double x) { return std::tanh(x); }
const Kernel kKernels[] = {{"exp", kern::exp_forward, kern::exp_forward_ref, exp_d},
                           {"sigmoid", kern::sigmoid_forward, kern::sigmoid_forward_ref, sigmoid_d},
                           {"tanh", kern::tanh_forward, kern::tanh_forward_ref, tanh_d},
                           {"gelu", kern::gelu_forward, kern::gelu_forward_ref, gelu_d}};

}  // namespace

TEST_CASE("exp: <= 2 ulp on [-87, 88], vector lanes == scalar twin bit for bit") {
  pg::Rng rng(401);
  double worst = 0.0, worst_split = 0.0;
  int mismatches = 0, out_of_range = 0;
  for (int i = 0; i < 400000; ++i) {
    // Half uniform on the range, half near 0 where the reduction is delicate.
    const float x = i % 2 ? float(rng.uniform(-87.0, 88.0)) : float(rng.uniform(-1.0, 1.0));
    const float y = kern::exp_scalar(x);
    worst = std::max(worst, ulp_error(y, std::exp(double(x))));
    float lanes[4];
    simd::store(lanes, kern::exp_f32x4(simd::set4(x, -x, x * 0.5f, 1.0f)));
    mismatches += !same_bits(lanes[0], y) + !same_bits(lanes[1], kern::exp_scalar(-x)) +
                  !same_bits(lanes[2], kern::exp_scalar(x * 0.5f));
    if (x <= 0.0f) {
      simd::store(lanes, kern::exp_nonpos_f32x4(simd::set1(x)));
      mismatches += !same_bits(lanes[0], y);
    }
    // Split form: e^x = m 2^e, m in [2^-1/2, 2^1/2], on the two-pass domain.
    const float xs = float(rng.uniform(-16384.0, 16384.0));
    float m, e;
    kern::exp_split_scalar(xs, m, e);
    // [2^-1/2, 2^1/2], widened by the rounding of x log2 e (up to 2^-10 at |x| = 16384).
    out_of_range += !(m >= 0.7064f && m <= 1.4157f);
    const double m_true = std::exp(double(xs) - double(e) * 0.693147180559945309417);
    worst_split = std::max(worst_split, ulp_error(m, m_true));
    simd::f32x4 vm, ve;
    kern::exp_split_f32x4(simd::set1(xs), vm, ve);
    mismatches += !same_bits(simd::lane(vm, 0), m) + !same_bits(simd::lane(ve, 0), e);
  }
  CHECK(worst <= 2.0);
  CHECK(worst_split <= 2.0);
  CHECK(out_of_range == 0);
  CHECK(mismatches == 0);
}

TEST_CASE("exp: special values") {
  CHECK(kern::exp_scalar(0.0f) == 1.0f);
  CHECK(kern::exp_scalar(-kInf) == 0.0f);
  CHECK(kern::exp_scalar(kInf) == kInf);
  CHECK(std::isnan(kern::exp_scalar(std::numeric_limits<float>::quiet_NaN())));
  CHECK(kern::exp_scalar(88.72283f) < kInf);          // largest finite result
  CHECK(kern::exp_scalar(88.7229f) == kInf);
  CHECK(kern::exp_scalar(-87.33654f) >= FLT_MIN);     // smallest normal result
  // Just below 2^-126: subnormal down to x = -87.68, then exactly +0.
  CHECK(std::fabs(kern::exp_scalar(-87.34f) - std::exp(double(-87.34f))) <= std::ldexp(1.0, -148));
  CHECK(kern::exp_scalar(-87.7f) == 0.0f);
  CHECK(kern::exp_scalar(-1e30f) == 0.0f);
  CHECK(!std::signbit(kern::exp_scalar(-kInf)));
  float lanes[4];
  simd::store(lanes, kern::exp_nonpos_f32x4(simd::set4(-kInf, -1e30f, -99.0f, -88.0f)));
  for (float v : lanes) CHECK((v == 0.0f && !std::signbit(v)));
  CHECK(kern::exp2_nonpos_scalar(-126.0f) == FLT_MIN);
  CHECK(kern::exp2_nonpos_scalar(-127.0f) == 0.0f);   // the two-pass "<= -127 gives 0"
  CHECK(kern::exp2_nonpos_scalar(0.0f) == 1.0f);
}

TEST_CASE("elementwise: SIMD == _ref twin bit for bit, every tail length") {
  pg::Rng rng(402);
  for (const Kernel& k : kKernels) {
    for (size_t n : {size_t(1), size_t(3), size_t(7), size_t(8), size_t(17), size_t(255),
                     size_t(256), size_t(257)}) {
      std::vector<float> x(n), a(n), b(n);
      for (auto& v : x) v = float(rng.uniform(-12.0, 12.0));
      x[0] = n > 3 ? -kInf : x[0];
      k.fast(x.data(), a.data(), n);
      k.ref(x.data(), b.data(), n);
      int diff = 0;
      for (size_t i = 0; i < n; ++i) diff += !same_bits(a[i], b[i]);
      INFO(std::string(k.name) << " n=" << n);
      CHECK(diff == 0);
      // In place (y == x) gives the same.
      std::vector<float> c = x;
      k.fast(c.data(), c.data(), n);
      for (size_t i = 0; i < n; ++i) diff += !same_bits(a[i], c[i]);
      CHECK(diff == 0);
    }
  }
}

TEST_CASE("elementwise: accuracy against double") {
  pg::Rng rng(403);
  const size_t n = 100000;
  std::vector<float> x(n), y(n);
  for (const Kernel& k : kKernels) {
    const double range = std::string(k.name) == "exp" ? 87.0 : 20.0;
    for (auto& v : x) v = float(rng.uniform(-range, range));
    for (size_t i = 0; i < 1000; ++i) x[i] = float(rng.uniform(-1.0, 1.0));  // near 0
    k.fast(x.data(), y.data(), n);
    double worst = 0.0;
    for (size_t i = 0; i < n; ++i) {
      // gelu = x e^-|2z| / (1 + e) for x < 0: e flushes below 2^-126, so
      // results below |x| 2^-126 (x > -10.3: < 16 * 2^-126) may be 0.
      const bool gelu = std::string(k.name) == "gelu";
      double e = ulp_error(y[i], k.truth(x[i]), gelu ? 16.0 * FLT_MIN : FLT_MIN);
      if (gelu && x[i] < 0.0f) {
        // z = sqrt(2/pi)(x + 0.044715 x^3) rounded in float: e^-2z inherits
        // ~2|z| * 2 ulp; allow that (the result there is tiny anyway).
        const double z = 0.7978845608028654 * (x[i] + 0.044715 * double(x[i]) * x[i] * x[i]);
        e /= 1.0 + 4.0 * std::fabs(z);
      }
      worst = std::max(worst, e);
    }
    INFO(std::string(k.name));
    CHECK(worst <= 4.0);
  }
}

TEST_CASE("elementwise: special values") {
  const float x[8] = {kInf, -kInf, 0.0f, -0.0f, 1e30f, -1e30f, 0.55f, -0.55f};
  float y[8];
  kern::sigmoid_forward(x, y, 8);
  CHECK(y[0] == 1.0f);
  CHECK(y[1] == 0.0f);
  CHECK(y[2] == 0.5f);
  CHECK(y[4] == 1.0f);
  CHECK(y[5] == 0.0f);
  kern::tanh_forward(x, y, 8);
  CHECK(y[0] == 1.0f);
  CHECK(y[1] == -1.0f);
  CHECK(y[2] == 0.0f);
  CHECK(std::signbit(y[3]));
  CHECK(y[4] == 1.0f);
  CHECK(y[5] == -1.0f);
  CHECK(y[6] == -y[7]);
  kern::gelu_forward(x, y, 8);
  CHECK(y[0] == kInf);
  CHECK(y[1] == 0.0f);
  CHECK(y[2] == 0.0f);
  CHECK(y[5] == 0.0f);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (const Kernel& k : kKernels) {
    float out;
    k.fast(&nan, &out, 1);
    CHECK(std::isnan(out));
  }
}
