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
//   Measured total error vs a double reference: 1.04 ulp at worst over every
//   16th float of [-87, 88] (1.4e8 values); the tests check <= 2 ulp on
//   random samples (tests/test_kernels_elementwise.cpp).
// * n = round(x log2 e) by the magic-number addition of simd::round_nearest
//   (t = x log2e + 1.5 * 2^23 leaves n in the low mantissa bits), with the
//   exponent bias 127 folded into the magic number: then t's bits shifted
//   left by 23 are exactly 2^n, and n = t - magic.  Three operations give
//   both n and 2^n (XNNPACK's "magic bias" trick), and no conversion
//   instruction is involved, so every backend rounds alike.
//
// Range: x > 88.7228 (ln FLT_MAX) gives +inf; NaN gives NaN.  Underflow is
// handled without a compare-and-mask: x is clamped at -100 (so r stays a
// number) and t at 1.5 * 2^23, i.e. n >= -127, whose "2^n" bits are exactly
// +0.  Results below 2^-126 are therefore subnormal for x in [-87.68, -87.34)
// (n = -126) and exactly +0 below (-inf included): no x gives garbage.
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
// kExpLo is the smallest float with e^x >= 2^-126 (so n >= -126 whenever
// x >= kExpLo); below it results are subnormal or 0.
constexpr float kExpLo = -87.33654022216797f;
// Inputs are clamped to >= kExpFloor: e^-100 is 0 in float, and the clamp
// keeps r = x - n ln2 within [-12, 0.35] where the polynomial is positive
// and finite (so 0 * p is +0, never NaN).
constexpr float kExpFloor = -100.0f;
// t = x log2e + kBiasedMagic is clamped to >= kMagicFloor = 1.5 * 2^23,
// i.e. n >= -127, where t's exponent-field bits are 0 and "2^n" is +0.
constexpr float kMagicFloor = 12582912.0f;
// Above kExpHi, e^x rounds to +inf; kExpHi is the largest float with a finite
// e^x.  There n = round(x log2 e) reaches 128, see the fold below.
constexpr float kExpHi = 88.72283172607422f;
// Split form domain (see exp_split_f32x4).
constexpr float kSplitMaxAbs = 16384.0f;
// 1.5 * 2^23 + 127: x log2e + kBiasedMagic has round(x log2 e) + 127 in its
// low mantissa bits (for |x log2 e| < 2^21).
constexpr float kBiasedMagic = 12583039.0f;

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
// The scalar twin of exp_reduce_f32x4.
inline float sreduce(float x, float& n) {
  const float t = smax(x * kLog2e + kBiasedMagic, kMagicFloor);
  n = t - kBiasedMagic;
  return from_bits(bits(t) << 23);
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

// n = max(round(x log2 e), -127) and 2^n (+0 for n = -127) from one
// magic-number addition (see the top).  Needs x log2 e <= 128; n = 128
// gives +inf bits, which exp_f32x4 folds away.  A NaN x gives n = -127, s = 0.
inline simd::f32x4 exp_reduce_f32x4(simd::f32x4 x, simd::f32x4& n) {
  using namespace vexp_detail;
  simd::f32x4 t = simd::madd(x, simd::set1(kLog2e), simd::set1(kBiasedMagic));
  t = simd::max(t, simd::set1(kMagicFloor));
  n = simd::sub(t, simd::set1(kBiasedMagic));
  return simd::as_f32(simd::i32_shl(simd::as_i32(t), 23));
}

// ---- e^x for every float x ---------------------------------------------------
inline simd::f32x4 exp_f32x4(simd::f32x4 x) {
  using namespace vexp_detail;
  // Clamp to [-100, ln FLT_MAX]; max(lo, x) / min(hi, .) in this argument
  // order keep NaN (simd::max(a, b) = a > b ? a : b).
  const simd::f32x4 xc = simd::min(simd::set1(kExpHi), simd::max(simd::set1(kExpFloor), x));
  simd::f32x4 n;
  simd::f32x4 s = exp_reduce_f32x4(xc, n);
  const simd::f32x4 r =
      simd::sub(simd::sub(xc, simd::mul(n, simd::set1(kLn2Hi))), simd::mul(n, simd::set1(kLn2Lo)));
  simd::f32x4 p = exp_poly_f32x4(r);
  // n = 128 (x near ln FLT_MAX) has no exponent encoding (s came out +inf):
  // use 2p * 2^127 instead.
  const simd::f32x4 big = simd::cmpgt(n, simd::set1(127.0f));
  p = simd::add(p, simd::bit_and(big, p));
  s = simd::min(s, simd::set1(1.7014118346046923e38f));  // 2^127
  const simd::f32x4 y = simd::mul(p, s);
  return simd::select(simd::cmpgt(x, simd::set1(kExpHi)),
                      simd::set1(std::numeric_limits<float>::infinity()), y);
}
inline float exp_scalar(float x) {
  using namespace vexp_detail;
  const float xc = smin(kExpHi, smax(kExpFloor, x));
  float n;
  float s = sreduce(xc, n);
  const float r = (xc - n * kLn2Hi) - n * kLn2Lo;
  float p = exp_poly_scalar(r);
  const bool big = n > 127.0f;
  p = p + (big ? p : 0.0f);
  s = smin(s, 1.7014118346046923e38f);
  const float y = p * s;
  return x > kExpHi ? std::numeric_limits<float>::infinity() : y;
}

// ---- e^x for x <= 0 (or NaN, -inf): the softmax hot path ----------------------
// Every softmax exponent is x - max <= 0, so the upper clamp and the n = 128
// fold are not needed.  For x <= 0 the result is bit-identical to exp_f32x4 /
// exp_scalar (the skipped steps are identities there), which is what the
// _ref twins rely on.  23 operations per 4 lanes.
inline simd::f32x4 exp_nonpos_f32x4(simd::f32x4 x) {
  using namespace vexp_detail;
  const simd::f32x4 xc = simd::max(simd::set1(kExpFloor), x);
  simd::f32x4 n;
  const simd::f32x4 s = exp_reduce_f32x4(xc, n);
  const simd::f32x4 r =
      simd::sub(simd::sub(xc, simd::mul(n, simd::set1(kLn2Hi))), simd::mul(n, simd::set1(kLn2Lo)));
  return simd::mul(exp_poly_f32x4(r), s);
}

// ---- e^x for x in [kExpLo, 0]: the softmax hot path when the row is known ---
// When every exponent lies in [-87.34, 0] (the softmax kernels check the
// row's min against its max first), n is in [-126, 0], so neither clamp is
// needed: 21 operations per 4 lanes, and bit-identical to exp_scalar there.
inline simd::f32x4 exp_inrange_f32x4(simd::f32x4 x) {
  using namespace vexp_detail;
  const simd::f32x4 t = simd::madd(x, simd::set1(kLog2e), simd::set1(kBiasedMagic));
  const simd::f32x4 n = simd::sub(t, simd::set1(kBiasedMagic));
  const simd::f32x4 s = simd::as_f32(simd::i32_shl(simd::as_i32(t), 23));
  const simd::f32x4 r =
      simd::sub(simd::sub(x, simd::mul(n, simd::set1(kLn2Hi))), simd::mul(n, simd::set1(kLn2Lo)));
  return simd::mul(exp_poly_f32x4(r), s);
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
