// vexp.h - the one vectorized float exp shared by every kernel, and its
// scalar twin that performs the same operations lane by lane.
//
//   e^x = 2^n * e^r,   n = round(x * log2 e),   r = x - n ln2,  |r| <= ln2 / 2
//
// * Cody-Waite range reduction: ln2 is split into a short "hi" part (few
//   significant bits, so n * hi is exact) and a "lo" part, so r keeps full
//   float precision even though x and n ln2 nearly cancel.
// * e^r by a degree-6 polynomial, 1 + r + r^2 q(r), q of degree 4 fitted to
//   (e^r - 1 - r) / r^2 on [-ln2/2, ln2/2] (Chebyshev fit, max relative
//   error 1.1e-8, i.e. ~0.1 ulp; degree 5 would cost ~1.3 ulp on its own).
//   Measured total error vs a double reference: <= 2 ulp on [-87, 88]
//   (tests/test_kernels_elementwise.cpp).
// * 2^n built directly in the exponent bits (simd::exp2_int).
// * n = round(x log2 e) through simd::round_nearest (the 1.5 * 2^23 trick),
//   so ties round the same way on every backend.
//
// Range: results below 2^-126 (x < -87.3365) flush to exactly 0 (no
// subnormals); x > 88.7228 (ln FLT_MAX) gives +inf; NaN gives NaN.
//
// Bit-identity: exp_f32x4(v) lane i == exp_scalar(lane i of v) on every
// backend (wasm SIMD128, SSE2, scalar), because both are written with the
// same sequence of IEEE single-precision + - * and bit operations, no FMA.
// Build with -ffp-contract=off so the compiler does not fuse the scalar twin.
#pragma once
#include <cstdint>
#include <cstring>
#include <limits>

#include "engine/simd.h"

namespace kern {

namespace vexp_detail {
constexpr float kLog2e = 1.44269502162933349609375f;   // float(log2 e)
// Two-part ln2 for exp_f32x4 (|n| <= 128): hi has 15 significant bits.
constexpr float kLn2Hi = 0.693145751953125f;            // 0x3f317200
constexpr float kLn2Lo = 1.428606765330187045e-06f;     // float(ln2 - hi)
// Three-part ln2 for the split form (|n| <= 2^15): c1, c2 have 9 significant
// bits each, so n * c1 and n * c2 are exact; c1 + c2 == kLn2Hi.
constexpr float kLn2C1 = 0.69140625f;                   // 354 / 2^9
constexpr float kLn2C2 = 0.001739501953125f;            // 456 / 2^18
constexpr float kLn2C3 = 1.428606765330187045e-06f;     // float(ln2 - c1 - c2)
// q(r) = (e^r - 1 - r) / r^2 ~ Q0 + Q1 r + Q2 r^2 + Q3 r^3 + Q4 r^4.
constexpr float kQ0 = 0.5f;
constexpr float kQ1 = 0.1666657702559798819f;
constexpr float kQ2 = 0.041666554662050533982f;
constexpr float kQ3 = 0.0083631730745137109028f;
constexpr float kQ4 = 0.0013926176119935578884f;
// Below kExpLo the result would be subnormal: flush to 0.  kExpLo is the
// smallest float with e^x >= 2^-126, so n >= -126 whenever x >= kExpLo.
constexpr float kExpLo = -87.33654022216797f;
// Above kExpHi, e^x rounds to +inf; kExpHi is the largest float with a finite
// e^x.  There n = round(x log2 e) reaches 128, see the fold below.
constexpr float kExpHi = 88.72283172607422f;
// Split form domain (see exp_split_f32x4).
constexpr float kSplitMaxAbs = 16384.0f;

inline uint32_t bits(float f) { uint32_t u; std::memcpy(&u, &f, 4); return u; }
inline float from_bits(uint32_t u) { float f; std::memcpy(&f, &u, 4); return f; }
// The scalar twins of simd::max / min / round_nearest / exp2_int.
inline float smax(float a, float b) { return a > b ? a : b; }
inline float smin(float a, float b) { return a < b ? a : b; }
inline float sround(float x) { const float magic = 12582912.0f; return (x + magic) - magic; }
inline float sexp2_int(float n) {
  const float magic = 12582912.0f;
  const uint32_t b = bits(n + magic) - bits(magic);
  return from_bits((b + 127u) << 23);
}
}  // namespace vexp_detail

// ---- e^r on |r| <= ln2/2 (the polynomial), vector and scalar ----------------
inline simd::f32x4 exp_poly_f32x4(simd::f32x4 r) {
  using namespace vexp_detail;
  simd::f32x4 q = simd::set1(kQ4);
  q = simd::madd(q, r, simd::set1(kQ3));
  q = simd::madd(q, r, simd::set1(kQ2));
  q = simd::madd(q, r, simd::set1(kQ1));
  q = simd::madd(q, r, simd::set1(kQ0));
  const simd::f32x4 r2 = simd::mul(r, r);
  return simd::add(simd::madd(r2, q, r), simd::set1(1.0f));  // (r^2 q + r) + 1
}
inline float exp_poly_scalar(float r) {
  using namespace vexp_detail;
  float q = kQ4;
  q = q * r + kQ3;
  q = q * r + kQ2;
  q = q * r + kQ1;
  q = q * r + kQ0;
  const float r2 = r * r;
  return (r2 * q + r) + 1.0f;
}

// ---- e^x for every float x ---------------------------------------------------
inline simd::f32x4 exp_f32x4(simd::f32x4 x) {
  using namespace vexp_detail;
  // Clamp first so the reduction only sees |x| < 89.  max(lo, x) / min(hi, .)
  // in this argument order keep NaN (simd::max(a, b) = a > b ? a : b).
  const simd::f32x4 xc = simd::min(simd::set1(kExpHi), simd::max(simd::set1(kExpLo), x));
  simd::f32x4 n = simd::round_nearest(simd::mul(xc, simd::set1(kLog2e)));
  const simd::f32x4 r =
      simd::sub(simd::sub(xc, simd::mul(n, simd::set1(kLn2Hi))), simd::mul(n, simd::set1(kLn2Lo)));
  simd::f32x4 p = exp_poly_f32x4(r);
  // n = 128 (x near ln FLT_MAX) has no exponent encoding: use 2p * 2^127.
  const simd::f32x4 big = simd::cmpgt(n, simd::set1(127.0f));
  p = simd::add(p, simd::bit_and(big, p));
  n = simd::sub(n, simd::bit_and(big, simd::set1(1.0f)));
  simd::f32x4 y = simd::mul(p, simd::exp2_int(n));
  y = simd::bit_andnot(simd::cmplt(x, simd::set1(kExpLo)), y);  // underflow -> +0
  return simd::select(simd::cmpgt(x, simd::set1(kExpHi)),
                      simd::set1(std::numeric_limits<float>::infinity()), y);
}
inline float exp_scalar(float x) {
  using namespace vexp_detail;
  const float xc = smin(kExpHi, smax(kExpLo, x));
  float n = sround(xc * kLog2e);
  const float r = (xc - n * kLn2Hi) - n * kLn2Lo;
  float p = exp_poly_scalar(r);
  const bool big = n > 127.0f;
  p = p + (big ? p : 0.0f);
  n = n - (big ? 1.0f : 0.0f);
  float y = p * sexp2_int(n);
  if (x < kExpLo) y = 0.0f;
  if (x > kExpHi) y = std::numeric_limits<float>::infinity();
  return y;
}

// ---- e^x for x <= 0 (or NaN, -inf): the softmax hot path ----------------------
// Every softmax exponent is x - max <= 0, so the clamps and the n = 128 fold
// are not needed; lanes below kExpLo compute garbage that the final mask
// replaces by 0 (this includes -inf, whose reduction gives NaN).  For x <= 0
// the result is bit-identical to exp_f32x4 / exp_scalar (the skipped steps
// are identities there), which is what the _ref twins rely on.
inline simd::f32x4 exp_nonpos_f32x4(simd::f32x4 x) {
  using namespace vexp_detail;
  const simd::f32x4 n = simd::round_nearest(simd::mul(x, simd::set1(kLog2e)));
  const simd::f32x4 r =
      simd::sub(simd::sub(x, simd::mul(n, simd::set1(kLn2Hi))), simd::mul(n, simd::set1(kLn2Lo)));
  const simd::f32x4 y = simd::mul(exp_poly_f32x4(r), simd::exp2_int(n));
  return simd::bit_andnot(simd::cmplt(x, simd::set1(kExpLo)), y);
}

// ---- split form for the two-pass softmax --------------------------------------
// e^x = m * 2^e with e = round(x log2 e) (returned as a float holding an
// integer) and m = e^(x - e ln2) in [2^-1/2, 2^1/2] (slightly wider for large
// |x|, where x log2 e itself is rounded: |r| <= ln2/2 + 2^-10 at |x| = 16384).
// No overflow is possible because 2^e is never formed.  Domain: |x| <= 16384
// (callers clamp), where the three-part ln2 keeps r exact to ~2^-26
// (|e| <= 23637 < 2^15).
inline void exp_split_f32x4(simd::f32x4 x, simd::f32x4& mantissa, simd::f32x4& exponent) {
  using namespace vexp_detail;
  const simd::f32x4 n = simd::round_nearest(simd::mul(x, simd::set1(kLog2e)));
  simd::f32x4 r = simd::sub(x, simd::mul(n, simd::set1(kLn2C1)));
  r = simd::sub(r, simd::mul(n, simd::set1(kLn2C2)));
  r = simd::sub(r, simd::mul(n, simd::set1(kLn2C3)));
  mantissa = exp_poly_f32x4(r);
  exponent = n;
}
inline void exp_split_scalar(float x, float& mantissa, float& exponent) {
  using namespace vexp_detail;
  const float n = sround(x * kLog2e);
  float r = x - n * kLn2C1;
  r = r - n * kLn2C2;
  r = r - n * kLn2C3;
  mantissa = exp_poly_scalar(r);
  exponent = n;
}

// 2^d for integer-valued d <= 0: exact, and exactly 0 once d <= -127 (the
// two-pass softmax's "exponent differences <= -127 give 0").  d = -inf -> 0.
inline simd::f32x4 exp2_nonpos_f32x4(simd::f32x4 d) {
  return simd::bit_andnot(simd::cmplt(d, simd::set1(-126.5f)), simd::exp2_int(d));
}
inline float exp2_nonpos_scalar(float d) {
  return d < -126.5f ? 0.0f : vexp_detail::sexp2_int(d);
}

}  // namespace kern
