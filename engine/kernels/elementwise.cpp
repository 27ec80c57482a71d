// elementwise.cpp - exp, sigmoid, tanh and GELU over arrays (see elementwise.h).
// x and y are (n).  Every function is written once for 4 lanes and once for
// one float with the same operations in the same order.
#include "engine/kernels/elementwise.h"

#include <cstdint>
#include <cstring>
#include <limits>

#include "engine/kernels/vexp.h"
#include "engine/simd.h"

namespace kern {

namespace {

// Applies the 4-lane op to full vectors and the scalar twin to the tail.
template <class VecOp, class ScalarOp>
inline void map(const float* x, float* y, size_t n, VecOp vec_op, ScalarOp scalar_op) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const simd::f32x4 a = vec_op(simd::load(x + i)), b = vec_op(simd::load(x + i + 4));
    simd::store(y + i, a);
    simd::store(y + i + 4, b);
  }
  for (; i + 4 <= n; i += 4) simd::store(y + i, vec_op(simd::load(x + i)));
  for (; i < n; ++i) y[i] = scalar_op(x[i]);
}

// ---- sigmoid(x) = 1 / (1 + e^-x) ---------------------------------------------------
// e^-x overflows to +inf for x < -88.7, and 1 / inf = 0: correct to float.
inline simd::f32x4 sigmoid_f32x4(simd::f32x4 x) {
  const simd::f32x4 one = simd::set1(1.0f);
  return simd::div(one, simd::add(one, exp_f32x4(simd::sub(simd::zero(), x))));
}
inline float sigmoid_scalar(float x) { return 1.0f / (1.0f + exp_scalar(0.0f - x)); }

// ---- tanh ------------------------------------------------------------------------
// |u| < 0.55: tanh u = u + u^3 P(u^2), P of degree 4 fitted to (tanh(u)/u - 1)/u^2
// on [0, 0.55^2] (Chebyshev fit, relative error 4e-9).  There the exp form
// would lose bits to the cancellation in 1 - e^-2|u|.
// |u| >= 0.55: tanh |u| = (1 - e) / (1 + e), e = e^-2|u| in (0, 0.333].
constexpr float kTanhSmall = 0.55f;
constexpr float kT0 = -0.33333332007976979681f;
constexpr float kT1 = 0.1333311372902087191f;
constexpr float kT2 = -0.053909428827460545439f;
constexpr float kT3 = 0.021309388664443473807f;
constexpr float kT4 = -0.0066102278311147345141f;

// Both branches work on a = |u| and the sign of u is put back at the end, so
// tanh(-0) = -0 and the function is exactly odd.
inline simd::f32x4 tanh_f32x4(simd::f32x4 u) {
  const simd::f32x4 sign = simd::set1(-0.0f);
  const simd::f32x4 a = simd::bit_andnot(sign, u);  // |u|
  // Small branch: a + a^3 P(a^2).
  const simd::f32x4 a2 = simd::mul(a, a);
  simd::f32x4 p = simd::set1(kT4);
  p = simd::madd(p, a2, simd::set1(kT3));
  p = simd::madd(p, a2, simd::set1(kT2));
  p = simd::madd(p, a2, simd::set1(kT1));
  p = simd::madd(p, a2, simd::set1(kT0));
  const simd::f32x4 small = simd::madd(simd::mul(a, a2), p, a);
  // Large branch (NaN falls here and stays NaN).
  const simd::f32x4 one = simd::set1(1.0f);
  const simd::f32x4 e = exp_nonpos_f32x4(simd::mul(simd::set1(-2.0f), a));
  const simd::f32x4 large = simd::div(simd::sub(one, e), simd::add(one, e));
  const simd::f32x4 t = simd::select(simd::cmplt(a, simd::set1(kTanhSmall)), small, large);
  return simd::bit_or(t, simd::bit_and(sign, u));
}
inline float tanh_scalar(float u) {
  const uint32_t sign = vexp_detail::bits(u) & 0x80000000u;
  const float a = vexp_detail::from_bits(vexp_detail::bits(u) & 0x7fffffffu);
  float t;
  if (a < kTanhSmall) {
    const float a2 = a * a;
    float p = kT4;
    p = p * a2 + kT3;
    p = p * a2 + kT2;
    p = p * a2 + kT1;
    p = p * a2 + kT0;
    t = (a * a2) * p + a;
  } else {
    const float e = exp_scalar(-2.0f * a);
    t = (1.0f - e) / (1.0f + e);
  }
  return vexp_detail::from_bits(vexp_detail::bits(t) | sign);
}

// ---- GELU (tanh form) --------------------------------------------------------------
// 0.5 x (1 + tanh z) = x sigmoid(2z).  With w = 2z and e = e^-|w| <= 1:
//   sigmoid(w) = 1 / (1 + e)  for w >= 0,   e / (1 + e)  for w < 0,
// so nothing overflows (x / (1 + e^-w) would turn e^-w into +inf and give 0
// for x in [-10.3, -10], where the true result is still a normal float).
constexpr float kGeluC = 0.7978845608028654f;  // sqrt(2 / pi)
constexpr float kGeluA = 0.044715f;

inline simd::f32x4 gelu_f32x4(simd::f32x4 x) {
  const simd::f32x4 one = simd::set1(1.0f);
  const simd::f32x4 x3 = simd::mul(simd::mul(x, x), x);
  const simd::f32x4 w = simd::mul(simd::set1(2.0f * kGeluC), simd::madd(simd::set1(kGeluA), x3, x));
  const simd::f32x4 e = exp_nonpos_f32x4(simd::bit_or(w, simd::set1(-0.0f)));  // e^-|w|
  const simd::f32x4 num = simd::select(simd::cmplt(w, simd::zero()), e, one);
  const simd::f32x4 y = simd::div(simd::mul(x, num), simd::add(one, e));
  // x = -inf gives -inf * 0 = NaN; the limit is 0.
  return simd::bit_andnot(simd::cmplt(x, simd::set1(-std::numeric_limits<float>::max())), y);
}
inline float gelu_scalar(float x) {
  const float x3 = (x * x) * x;
  const float w = (2.0f * kGeluC) * (kGeluA * x3 + x);
  const float e = exp_scalar(vexp_detail::from_bits(vexp_detail::bits(w) | 0x80000000u));
  const float num = w < 0.0f ? e : 1.0f;
  const float y = (x * num) / (1.0f + e);
  return x < -std::numeric_limits<float>::max() ? 0.0f : y;
}

}  // namespace

void exp_forward(const float* x, float* y, size_t n) { map(x, y, n, exp_f32x4, exp_scalar); }
void exp_forward_ref(const float* x, float* y, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] = exp_scalar(x[i]);
}

void sigmoid_forward(const float* x, float* y, size_t n) { map(x, y, n, sigmoid_f32x4, sigmoid_scalar); }
void sigmoid_forward_ref(const float* x, float* y, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] = sigmoid_scalar(x[i]);
}

void tanh_forward(const float* x, float* y, size_t n) { map(x, y, n, tanh_f32x4, tanh_scalar); }
void tanh_forward_ref(const float* x, float* y, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] = tanh_scalar(x[i]);
}

void gelu_forward(const float* x, float* y, size_t n) { map(x, y, n, gelu_f32x4, gelu_scalar); }
void gelu_forward_ref(const float* x, float* y, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] = gelu_scalar(x[i]);
}

}  // namespace kern
