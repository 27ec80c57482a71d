// softmax.cpp - the four softmax algorithms over one vector (see softmax.h).
// x is (n), y is (n).  Fast paths use 4-lane SIMD with a scalar tail; each
// _ref twin is the same algorithm as one plain sequential loop.
#include "engine/kernels/softmax.h"

#include <cmath>
#include <limits>

#include "engine/kernels/softmax_detail.h"
#include "engine/kernels/vexp.h"
#include "engine/simd.h"

namespace kern {

using namespace softmax_detail;

// ============================================================================
// Three-pass softmax with reload (Dukhan & Ablavatski 2020, Algorithm 1):
//   mu = max_i x_i;   y_i = e^(x_i - mu), s = sum_i y_i;   y_i = y_i / s
// Traffic: 5 floats per element (x read twice, y written twice, read once).
// ============================================================================
void softmax_three_pass_reload(const float* x, float* y, size_t n) {
  if (n == 0) return;
  const RowRange range = row_range(x, n);
  if (!is_finite(range.max)) return softmax_special_row(x, y, n);
  const float s = exps_in_range(range) ? sum_exp<true, true>(x, y, n, range.max)
                                       : sum_exp<true, false>(x, y, n, range.max);
  scale_inplace(y, n, 1.0f / s);
}
void softmax_three_pass_reload_ref(const float* x, float* y, size_t n) {
  if (n == 0) return;
  const float mu = row_max_ref(x, n);
  if (!is_finite(mu)) return softmax_special_row(x, y, n);
  const float s = sum_exp_ref<true>(x, y, n, mu);
  const float inv = 1.0f / s;
  for (size_t i = 0; i < n; ++i) y[i] *= inv;
}

// ============================================================================
// Three-pass softmax with recomputation (Algorithm 2):
//   mu = max_i x_i;   s = sum_i e^(x_i - mu);   y_i = e^(x_i - mu) / s
// Traffic: 4 floats per element (x read three times, y written once), at the
// price of computing every exponential twice.
// ============================================================================
void softmax_three_pass_recompute(const float* x, float* y, size_t n) {
  if (n == 0) return;
  const RowRange range = row_range(x, n);
  const float mu = range.max;
  if (!is_finite(mu)) return softmax_special_row(x, y, n);
  if (exps_in_range(range)) {
    exp_scale<true>(x, y, n, mu, 1.0f / sum_exp<false, true>(x, nullptr, n, mu));
  } else {
    exp_scale<false>(x, y, n, mu, 1.0f / sum_exp<false, false>(x, nullptr, n, mu));
  }
}
void softmax_three_pass_recompute_ref(const float* x, float* y, size_t n) {
  if (n == 0) return;
  const float mu = row_max_ref(x, n);
  if (!is_finite(mu)) return softmax_special_row(x, y, n);
  const float s = sum_exp_ref<false>(x, nullptr, n, mu);
  exp_scale_ref(x, y, n, mu, 1.0f / s);
}

// ============================================================================
// Two-pass softmax (Dukhan & Ablavatski 2020, Algorithm 3).
// Write e^x_i = m_i 2^(n_i), n_i = round(x_i log2 e), m_i in [2^-1/2, 2^1/2]
// (exp_split, vexp.h).  The sum is kept as a pair (m_s, n_s), so it cannot
// overflow and no max pass is needed:
//   pass 1:  n' = max(n_s, n_i)
//            m_s <- m_s 2^(n_s - n') + m_i 2^(n_i - n'),   n_s <- n'
//   pass 2:  y_i = m_i / m_s * 2^(n_i - n_s)
// 2^d for d <= -127 is exactly 0 (exp2_nonpos).  Traffic: 3 floats per element.
//
// Domain: x is clamped to [-16384, 16384] (where exp_split is accurate), with
// NaN kept.  After pass 1, n_s tells whether the clamp mattered: n_s at the
// top of the range means some x >= 16383.7 (+inf included); n_s within 127 of
// the bottom means every x is below about -16296, where a clamped -inf could
// gain a non-zero share.  Those rows (never seen in practice) are handed to
// the three-pass recompute algorithm, which handles any float, so the result
// follows the rules in softmax.h for every input.
// ============================================================================
namespace {
constexpr float kTwoPassClamp = vexp_detail::kSplitMaxAbs;  // 16384
constexpr float kTwoPassTopExp = 23637.0f;                  // round(16384 log2 e)
constexpr float kTwoPassLowExp = -23637.0f + 127.0f;
// Stand-in for n_s = -inf that keeps n_s - n' finite (no inf - inf = NaN).
constexpr float kNoExponent = -1e30f;

inline simd::f32x4 two_pass_clamp(simd::f32x4 x) {
  return simd::min(simd::set1(kTwoPassClamp), simd::max(simd::set1(-kTwoPassClamp), x));
}
inline float two_pass_clamp_scalar(float x) {
  using vexp_detail::smax;
  using vexp_detail::smin;
  return smin(kTwoPassClamp, smax(-kTwoPassClamp, x));
}
// (m_s, n_s) <- (m_s, n_s) (+) (m, e): the accumulation step of pass 1.
inline void two_pass_accumulate(simd::f32x4& ms, simd::f32x4& ns, simd::f32x4 m, simd::f32x4 e) {
  const simd::f32x4 nn = simd::max(ns, e);
  ms = simd::add(simd::mul(ms, exp2_nonpos_f32x4(simd::sub(ns, nn))),
                 simd::mul(m, exp2_nonpos_f32x4(simd::sub(e, nn))));
  ns = nn;
}
inline void two_pass_accumulate_scalar(float& ms, float& ns, float m, float e) {
  const float nn = vexp_detail::smax(ns, e);
  ms = ms * exp2_nonpos_scalar(ns - nn) + m * exp2_nonpos_scalar(e - nn);
  ns = nn;
}
// The chunk merge, Kahan-compensated: (ms, comp, ns) (+) (m, e).  Scaling by
// a power of two is exact, so the compensation is rescaled along with ms.
inline void two_pass_accumulate_kahan(simd::f32x4& ms, simd::f32x4& comp, simd::f32x4& ns,
                                      simd::f32x4 m, simd::f32x4 e) {
  const simd::f32x4 nn = simd::max(ns, e);
  const simd::f32x4 sa = exp2_nonpos_f32x4(simd::sub(ns, nn));
  const simd::f32x4 a = simd::mul(ms, sa);
  const simd::f32x4 y = simd::sub(simd::mul(m, exp2_nonpos_f32x4(simd::sub(e, nn))), simd::mul(comp, sa));
  const simd::f32x4 t = simd::add(a, y);
  comp = simd::sub(simd::sub(t, a), y);
  ms = t;
  ns = nn;
}
inline bool two_pass_in_range(float ns) { return ns > kTwoPassLowExp && ns < kTwoPassTopExp; }
}  // namespace

void softmax_two_pass(const float* x, float* y, size_t n) {
  if (n == 0) return;
  // Pass 1, in chunks of kSumChunk elements (see softmax_detail.h): within a
  // chunk two independent accumulator pairs (8 lanes, for instruction-level
  // parallelism), then the chunk's pairs are merged into (ms0, ns0) with
  // Kahan compensation.
  simd::f32x4 ms0 = simd::zero(), comp0 = simd::zero(), ns0 = simd::set1(kNoExponent);
  float mt = 0.0f, nt = kNoExponent;
  size_t i = 0;
  for (size_t c = 0; c < n; c += kSumChunk) {
    const size_t end = n - c < kSumChunk ? n : c + kSumChunk;
    simd::f32x4 ma = simd::zero(), na = simd::set1(kNoExponent);
    simd::f32x4 mb = simd::zero(), nb = simd::set1(kNoExponent);
    for (i = c; i + 8 <= end; i += 8) {
      simd::f32x4 m0, e0, m1, e1;
      exp_split_f32x4(two_pass_clamp(simd::load(x + i)), m0, e0);
      exp_split_f32x4(two_pass_clamp(simd::load(x + i + 4)), m1, e1);
      two_pass_accumulate(ma, na, m0, e0);
      two_pass_accumulate(mb, nb, m1, e1);
    }
    for (; i + 4 <= end; i += 4) {
      simd::f32x4 m0, e0;
      exp_split_f32x4(two_pass_clamp(simd::load(x + i)), m0, e0);
      two_pass_accumulate(ma, na, m0, e0);
    }
    for (; i < end; ++i) {  // only in the last chunk
      float m, e;
      exp_split_scalar(two_pass_clamp_scalar(x[i]), m, e);
      two_pass_accumulate_scalar(mt, nt, m, e);
    }
    two_pass_accumulate(ma, na, mb, nb);
    two_pass_accumulate_kahan(ms0, comp0, ns0, ma, na);
  }
  ms0 = simd::sub(ms0, comp0);
  // Reduce lanes (0 (+) 1) (+) (2 (+) 3), then add the scalar tail.
  float lm[4], ln[4];
  simd::store(lm, ms0);
  simd::store(ln, ns0);
  two_pass_accumulate_scalar(lm[0], ln[0], lm[1], ln[1]);
  two_pass_accumulate_scalar(lm[2], ln[2], lm[3], ln[3]);
  two_pass_accumulate_scalar(lm[0], ln[0], lm[2], ln[2]);
  two_pass_accumulate_scalar(lm[0], ln[0], mt, nt);
  const float ms = lm[0], ns = ln[0];
  if (!two_pass_in_range(ns)) return softmax_three_pass_recompute(x, y, n);

  // Pass 2: y_i = m_i * (1 / m_s) * 2^(n_i - n_s).
  const float inv = 1.0f / ms;
  const simd::f32x4 vinv = simd::set1(inv), vns = simd::set1(ns);
  for (i = 0; i + 4 <= n; i += 4) {
    simd::f32x4 m, e;
    exp_split_f32x4(two_pass_clamp(simd::load(x + i)), m, e);
    simd::store(y + i, simd::mul(simd::mul(m, vinv), exp2_nonpos_f32x4(simd::sub(e, vns))));
  }
  for (; i < n; ++i) {
    float m, e;
    exp_split_scalar(two_pass_clamp_scalar(x[i]), m, e);
    y[i] = (m * inv) * exp2_nonpos_scalar(e - ns);
  }
}

void softmax_two_pass_ref(const float* x, float* y, size_t n) {
  if (n == 0) return;
  float ms = 0.0f, ns = kNoExponent;
  for (size_t i = 0; i < n; ++i) {
    float m, e;
    exp_split_scalar(two_pass_clamp_scalar(x[i]), m, e);
    two_pass_accumulate_scalar(ms, ns, m, e);
  }
  if (!two_pass_in_range(ns)) return softmax_three_pass_recompute_ref(x, y, n);
  const float inv = 1.0f / ms;
  for (size_t i = 0; i < n; ++i) {
    float m, e;
    exp_split_scalar(two_pass_clamp_scalar(x[i]), m, e);
    y[i] = (m * inv) * exp2_nonpos_scalar(e - ns);
  }
}

// ============================================================================
// Online softmax (Milakov & Gimelshein 2018, Algorithm 3):
//   m_0 = -inf, d_0 = 0
//   m_j = max(m_{j-1}, x_j),  d_j = d_{j-1} e^(m_{j-1} - m_j) + e^(x_j - m_j)
//   y_i = e^(x_i - m_V) / d_V
// One pass finds the max and the sum together.  The SIMD path keeps (m, d)
// per lane and rescales once per block of 16 elements (block max first), so
// it pays ~1.25 exps per element instead of 2 (the lane merges at the end
// use the same rescaling).  m starts at -FLT_MAX rather
// than -inf so that m_{j-1} - m_j stays a number when x_j = -inf.
// ============================================================================
namespace {
constexpr float kOnlineInitMax = -std::numeric_limits<float>::max();

// Merge (m_b, d_b) into (m_a, d_a).
inline void online_merge_scalar(float& ma, float& da, float mb, float db) {
  const float m = vexp_detail::smax(ma, mb);
  da = da * exp_scalar(ma - m) + db * exp_scalar(mb - m);
  ma = m;
}
}  // namespace

void softmax_online(const float* x, float* y, size_t n) {
  if (n == 0) return;
  // Per-lane (m, d); chunks of kSumChunk elements keep d small while summing
  // (see softmax_detail.h) and are merged into (vm, vd) at their end.
  simd::f32x4 vm = simd::set1(kOnlineInitMax), vd = simd::zero(), comp = simd::zero();
  size_t i = 0;
  for (size_t c = 0; c + 4 <= n; c += kSumChunk) {
    const size_t end = n - c < kSumChunk ? n : c + kSumChunk;
    simd::f32x4 cm = simd::set1(kOnlineInitMax), cd = simd::zero();
    for (i = c; i + 16 <= end; i += 16) {
      const simd::f32x4 x0 = simd::load(x + i), x1 = simd::load(x + i + 4);
      const simd::f32x4 x2 = simd::load(x + i + 8), x3 = simd::load(x + i + 12);
      const simd::f32x4 mn = simd::max(cm, simd::max(simd::max(x0, x1), simd::max(x2, x3)));
      const simd::f32x4 e01 = simd::add(exp_nonpos_f32x4(simd::sub(x0, mn)),
                                        exp_nonpos_f32x4(simd::sub(x1, mn)));
      const simd::f32x4 e23 = simd::add(exp_nonpos_f32x4(simd::sub(x2, mn)),
                                        exp_nonpos_f32x4(simd::sub(x3, mn)));
      cd = simd::add(simd::mul(cd, exp_nonpos_f32x4(simd::sub(cm, mn))), simd::add(e01, e23));
      cm = mn;
    }
    for (; i + 4 <= end; i += 4) {
      const simd::f32x4 xi = simd::load(x + i);
      const simd::f32x4 mn = simd::max(cm, xi);
      cd = simd::add(simd::mul(cd, exp_nonpos_f32x4(simd::sub(cm, mn))),
                     exp_nonpos_f32x4(simd::sub(xi, mn)));
      cm = mn;
    }
    // Merge the chunk, Kahan-compensated (comp is rescaled with vd).
    const simd::f32x4 mn = simd::max(vm, cm);
    const simd::f32x4 fa = exp_nonpos_f32x4(simd::sub(vm, mn));
    const simd::f32x4 a = simd::mul(vd, fa);
    const simd::f32x4 y = simd::sub(simd::mul(cd, exp_nonpos_f32x4(simd::sub(cm, mn))), simd::mul(comp, fa));
    vd = simd::add(a, y);
    comp = simd::sub(simd::sub(vd, a), y);
    vm = mn;
  }
  vd = simd::sub(vd, comp);
  float mt = kOnlineInitMax, dt = 0.0f;
  for (; i < n; ++i) {
    const float mn = vexp_detail::smax(mt, x[i]);
    dt = dt * exp_scalar(mt - mn) + exp_scalar(x[i] - mn);
    mt = mn;
  }
  float lm[4], ld[4];
  simd::store(lm, vm);
  simd::store(ld, vd);
  online_merge_scalar(lm[0], ld[0], lm[1], ld[1]);
  online_merge_scalar(lm[2], ld[2], lm[3], ld[3]);
  online_merge_scalar(lm[0], ld[0], lm[2], ld[2]);
  online_merge_scalar(lm[0], ld[0], mt, dt);
  // d = 0 only when every x is -inf (the max element contributes e^0 = 1).
  if (!is_finite(lm[0]) || ld[0] == 0.0f) return softmax_special_row(x, y, n);
  exp_scale(x, y, n, lm[0], 1.0f / ld[0]);
}

void softmax_online_ref(const float* x, float* y, size_t n) {
  if (n == 0) return;
  float m = kOnlineInitMax, d = 0.0f;
  for (size_t i = 0; i < n; ++i) {
    const float mn = vexp_detail::smax(m, x[i]);
    d = d * exp_scalar(m - mn) + exp_scalar(x[i] - mn);
    m = mn;
  }
  if (!is_finite(m) || d == 0.0f) return softmax_special_row(x, y, n);
  exp_scale_ref(x, y, n, m, 1.0f / d);
}

// ============================================================================
// Naive softmax: y_i = e^(x_i) / sum_j e^(x_j), no max shift.  e^x overflows
// to +inf for x > 88.72, and then inf / inf = NaN.  Kept to show exactly that.
// ============================================================================
void softmax_naive(const float* x, float* y, size_t n) {
  simd::f32x4 s0 = simd::zero(), s1 = simd::zero();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const simd::f32x4 e0 = exp_f32x4(simd::load(x + i));
    const simd::f32x4 e1 = exp_f32x4(simd::load(x + i + 4));
    simd::store(y + i, e0);
    simd::store(y + i + 4, e1);
    s0 = simd::add(s0, e0);
    s1 = simd::add(s1, e1);
  }
  for (; i + 4 <= n; i += 4) {
    const simd::f32x4 e = exp_f32x4(simd::load(x + i));
    simd::store(y + i, e);
    s0 = simd::add(s0, e);
  }
  float tail = 0.0f;
  for (; i < n; ++i) tail += (y[i] = exp_scalar(x[i]));
  scale_inplace(y, n, 1.0f / (simd::hsum(simd::add(s0, s1)) + tail));
}
void softmax_naive_ref(const float* x, float* y, size_t n) {
  float s = 0.0f;
  for (size_t i = 0; i < n; ++i) s += (y[i] = exp_scalar(x[i]));
  const float inv = 1.0f / s;
  for (size_t i = 0; i < n; ++i) y[i] *= inv;
}

// ============================================================================
// Reference in double: y_i = e^(x_i - mu) / s with a Neumaier-compensated sum.
// ============================================================================
void softmax_reference(const float* x, double* y, size_t n) {
  if (n == 0) return;
  double mu = -HUGE_VAL;
  size_t n_nan = 0, n_inf = 0;
  for (size_t i = 0; i < n; ++i) {
    if (std::isnan(x[i])) ++n_nan;
    if (x[i] == HUGE_VALF) ++n_inf;
    if (x[i] > mu) mu = x[i];
  }
  if (n_nan || n_inf || mu == -HUGE_VAL) {  // the rules in softmax.h
    for (size_t i = 0; i < n; ++i) {
      y[i] = n_nan ? NAN
             : n_inf ? (x[i] == HUGE_VALF ? 1.0 / double(n_inf) : 0.0)
                     : 1.0 / double(n);
    }
    return;
  }
  double s = 0.0, c = 0.0;  // Neumaier: c collects the low-order bits lost by s
  for (size_t i = 0; i < n; ++i) {
    const double e = std::exp(double(x[i]) - mu);
    y[i] = e;
    const double t = s + e;
    c += std::fabs(s) >= std::fabs(e) ? (s - t) + e : (e - t) + s;
    s = t;
  }
  s += c;
  for (size_t i = 0; i < n; ++i) y[i] /= s;
}

}  // namespace kern
