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
// Every fast path is a sequence of passes (softmax.h, SoftmaxPasses): the
// whole-row functions below run each pass over [0, n) in one piece.
// ============================================================================
namespace {
constexpr float kTwoPassClamp = vexp_detail::kSplitMaxAbs;  // 16384
constexpr float kTwoPassTopExp = 23637.0f;                  // round(16384 log2 e)
constexpr float kTwoPassLowExp = -23637.0f + 127.0f;
// Stand-in for n_s = -inf that keeps n_s - n' finite (no inf - inf = NaN).
constexpr float kNoExponent = -1e30f;
constexpr float kOnlineInitMax = -std::numeric_limits<float>::max();

void run_whole(SoftmaxAlg alg, const float* x, float* y, size_t n) {
  if (n == 0) return;
  SoftmaxPasses s(alg, n);
  for (int p = 0; p < s.passes(); ++p) softmax_pass(s, p, x, y, 0, n);
}
inline simd::f32x4 lanes(const float* v) { return simd::load(v); }
inline void put(float* v, simd::f32x4 a) { simd::store(v, a); }
}  // namespace

SoftmaxPasses::SoftmaxPasses(SoftmaxAlg a, size_t length)
    : alg(a), n(length), acc{}, tail{0.0f, 0.0f}, mu(-std::numeric_limits<float>::infinity()),
      lo(std::numeric_limits<float>::infinity()), scale(0.0f), whole_row_done(false) {
  if (alg == SoftmaxAlg::two_pass || alg == SoftmaxAlg::two_pass_v1) {
    for (float& v : acc[2]) v = kNoExponent;  // (ms, comp, ns) per lane
    tail[1] = kNoExponent;                    // (mt, nt)
  } else if (alg == SoftmaxAlg::online) {
    for (float& v : acc[0]) v = kOnlineInitMax;  // (m, d, comp) per lane
    tail[0] = kOnlineInitMax;                     // (mt, dt)
  }
}
int SoftmaxPasses::passes() const {
  return alg == SoftmaxAlg::three_pass_reload || alg == SoftmaxAlg::three_pass_recompute ? 3 : 2;
}

namespace {
// ---- three-pass: pass 0 = max and min, pass 1 = sum (storing e or not) ----
void range_piece(SoftmaxPasses& s, const float* x, size_t begin, size_t end) {
  const RowRange r = row_range(x + begin, end - begin);
  if (begin == 0) {
    s.mu = r.max, s.lo = r.min;
    return;
  }
  s.mu = r.max > s.mu ? r.max : s.mu;
  s.lo = r.min < s.lo ? r.min : s.lo;
}
template <bool kStore>
void sum_piece(SoftmaxPasses& s, const float* x, float* y, size_t begin, size_t end) {
  simd::f32x4 total = lanes(s.acc[0]), comp = lanes(s.acc[1]);
  if (exps_in_range({s.mu, s.lo})) sum_exp_piece<kStore, true>(x, y, begin, end, s.mu, total, comp, s.tail[0]);
  else sum_exp_piece<kStore, false>(x, y, begin, end, s.mu, total, comp, s.tail[0]);
  put(s.acc[0], total), put(s.acc[1], comp);
}
float three_pass_sum(const SoftmaxPasses& s) {
  return simd::hsum(simd::sub(lanes(s.acc[0]), lanes(s.acc[1]))) + s.tail[0];
}
}  // namespace

// ============================================================================
// Three-pass softmax with reload (Dukhan & Ablavatski 2020, Algorithm 1):
//   mu = max_i x_i;   y_i = e^(x_i - mu), s = sum_i y_i;   y_i = y_i / s
// Traffic: 5 floats per element (x read twice, y written twice, read once).
// ============================================================================
void softmax_three_pass_reload(const float* x, float* y, size_t n) { run_whole(SoftmaxAlg::three_pass_reload, x, y, n); }
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
  run_whole(SoftmaxAlg::three_pass_recompute, x, y, n);
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
// 2^d for d <= -127 is exactly 0.  Traffic: 3 floats per element.
//
// Lean, as the paper's author's XNNPACK kernels (src/f32-raddextexp,
// src/f32-vscaleextexp):
//   * pass 1 takes 16 elements at a time, finds the block's largest exponent
//     n' first and rescales the sum once per block (not once per vector);
//   * 2^d = bits(max(d, -127) + (1.5 2^23 + 127)) << 23: 3 operations, and
//     exactly 0 for d <= -127 (XNNPACK's vmin_exponent / vmagic_bias);
//   * no clamp of x in either pass.  exp_split is accurate for |x| <= 16384;
//     outside, n_s says so (some x >= 16383.7 puts n_s at or above the top;
//     every x below about -16296 puts it within 127 of the bottom), and any
//     x whose m is not finite (+-inf, |x| near FLT_MAX, NaN) makes m_s NaN or
//     inf.  Those rows (never seen in practice; -inf entries included) go to
//     the three-pass recompute algorithm, which handles any float.  When m_s
//     is finite and n_s in range, every m_i of pass 1 was finite, so pass 2
//     (the same operations on the same x) needs no clamp either.  An x below
//     -16384 in such a row is 127+ binades under n_s and contributes exactly 0.
// Operations per 4 lanes (SIMD128/SSE2, no FMA): pass 1 ~29 (exp_split 21,
// block max 1, 2^d 4, multiply-add 2, the block's rescale 6/4), pass 2 27.
// The first version (softmax_two_pass_v1) needs ~40 and ~32.
// ============================================================================
namespace {
inline bool two_pass_in_range(float ns) { return ns > kTwoPassLowExp && ns < kTwoPassTopExp; }

// 2^d for integer-valued d <= 0, exactly 0 for d <= -127 (and for NaN d).
inline simd::f32x4 exp2_delta(simd::f32x4 d) {
  const simd::f32x4 t = simd::add(simd::max(d, simd::set1(-127.0f)), simd::set1(vexp_detail::kBiasedMagic));
  return simd::as_f32(simd::i32_shl(simd::as_i32(t), 23));
}
inline float exp2_delta_scalar(float d) {
  using namespace vexp_detail;
  return from_bits(bits(smax(d, -127.0f) + kBiasedMagic) << 23);
}
// (ms, ns) <- (ms, ns) (+) (m, e), with Exp2 building 2^d for d <= 0 (the
// lean kernel's 3-operation exp2_delta, or the first version's
// exp2_nonpos): one template serves both kernels.
template <simd::f32x4 (*Exp2)(simd::f32x4)>
inline void accumulate(simd::f32x4& ms, simd::f32x4& ns, simd::f32x4 m, simd::f32x4 e) {
  const simd::f32x4 nn = simd::max(ns, e);
  ms = simd::add(simd::mul(ms, Exp2(simd::sub(ns, nn))), simd::mul(m, Exp2(simd::sub(e, nn))));
  ns = nn;
}
template <float (*Exp2)(float)>
inline void accumulate_scalar(float& ms, float& ns, float m, float e) {
  const float nn = vexp_detail::smax(ns, e);
  ms = ms * Exp2(ns - nn) + m * Exp2(e - nn);
  ns = nn;
}
// The chunk merge, Kahan-compensated: (ms, comp, ns) (+) (m, e).  Scaling by
// a power of two is exact, so the compensation is rescaled along with ms.
template <simd::f32x4 (*Exp2)(simd::f32x4)>
inline void accumulate_kahan(simd::f32x4& ms, simd::f32x4& comp, simd::f32x4& ns, simd::f32x4 m, simd::f32x4 e) {
  const simd::f32x4 nn = simd::max(ns, e);
  const simd::f32x4 sa = Exp2(simd::sub(ns, nn));
  const simd::f32x4 a = simd::mul(ms, sa);
  const simd::f32x4 y = simd::sub(simd::mul(m, Exp2(simd::sub(e, nn))), simd::mul(comp, sa));
  const simd::f32x4 t = simd::add(a, y);
  comp = simd::sub(simd::sub(t, a), y);
  ms = t;
  ns = nn;
}
constexpr auto lean_accumulate = accumulate<exp2_delta>;
constexpr auto lean_accumulate_scalar = accumulate_scalar<exp2_delta_scalar>;
constexpr auto lean_accumulate_kahan = accumulate_kahan<exp2_delta>;

// Pass 1 over [begin, end): chunks of kSumChunk, blocks of 16 within.
void two_pass_sum_piece(SoftmaxPasses& s, const float* x, size_t begin, size_t end) {
  simd::f32x4 ms0 = lanes(s.acc[0]), comp0 = lanes(s.acc[1]), ns0 = lanes(s.acc[2]);
  for (size_t c = begin; c < end; c += kSumChunk) {
    const size_t chunk_end = end - c < kSumChunk ? end : c + kSumChunk;
    simd::f32x4 ma = simd::zero(), na = simd::set1(kNoExponent);
    size_t i = c;
    for (; i + 16 <= chunk_end; i += 16) {
      simd::f32x4 m0, e0, m1, e1, m2, e2, m3, e3;
      exp_split_f32x4(simd::load(x + i), m0, e0);
      exp_split_f32x4(simd::load(x + i + 4), m1, e1);
      exp_split_f32x4(simd::load(x + i + 8), m2, e2);
      exp_split_f32x4(simd::load(x + i + 12), m3, e3);
      const simd::f32x4 nb = simd::max(simd::max(na, simd::max(e0, e1)), simd::max(e2, e3));
      const simd::f32x4 t01 = simd::add(simd::mul(m0, exp2_delta(simd::sub(e0, nb))),
                                        simd::mul(m1, exp2_delta(simd::sub(e1, nb))));
      const simd::f32x4 t23 = simd::add(simd::mul(m2, exp2_delta(simd::sub(e2, nb))),
                                        simd::mul(m3, exp2_delta(simd::sub(e3, nb))));
      ma = simd::add(simd::mul(ma, exp2_delta(simd::sub(na, nb))), simd::add(t01, t23));
      na = nb;
    }
    for (; i + 4 <= chunk_end; i += 4) {
      simd::f32x4 m0, e0;
      exp_split_f32x4(simd::load(x + i), m0, e0);
      lean_accumulate(ma, na, m0, e0);
    }
    for (; i < chunk_end; ++i) {  // only in the last chunk
      float m, e;
      exp_split_scalar(x[i], m, e);
      lean_accumulate_scalar(s.tail[0], s.tail[1], m, e);
    }
    lean_accumulate_kahan(ms0, comp0, ns0, ma, na);
  }
  put(s.acc[0], ms0), put(s.acc[1], comp0), put(s.acc[2], ns0);
}
// Between the passes: reduce the lanes (0 (+) 1) (+) (2 (+) 3), add the
// scalar tail; false when the row needs the fallback.
bool two_pass_finish(SoftmaxPasses& s) {
  float lm[4], ln[4];
  put(lm, simd::sub(lanes(s.acc[0]), lanes(s.acc[1])));
  for (int k = 0; k < 4; ++k) ln[k] = s.acc[2][k];
  lean_accumulate_scalar(lm[0], ln[0], lm[1], ln[1]);
  lean_accumulate_scalar(lm[2], ln[2], lm[3], ln[3]);
  lean_accumulate_scalar(lm[0], ln[0], lm[2], ln[2]);
  lean_accumulate_scalar(lm[0], ln[0], s.tail[0], s.tail[1]);
  if (!is_finite(lm[0]) || !two_pass_in_range(ln[0])) return false;
  s.scale = 1.0f / lm[0], s.mu = ln[0];
  return true;
}
// Pass 2 over [begin, end): y_i = m_i * (1 / m_s) * 2^(n_i - n_s).
void two_pass_write_piece(const SoftmaxPasses& s, const float* x, float* y, size_t begin, size_t end) {
  const float inv = s.scale, ns = s.mu;
  const simd::f32x4 vinv = simd::set1(inv), vns = simd::set1(ns);
  size_t i = begin;
  for (; i + 8 <= end; i += 8) {
    simd::f32x4 m0, e0, m1, e1;
    exp_split_f32x4(simd::load(x + i), m0, e0);
    exp_split_f32x4(simd::load(x + i + 4), m1, e1);
    simd::store(y + i, simd::mul(simd::mul(m0, vinv), exp2_delta(simd::sub(e0, vns))));
    simd::store(y + i + 4, simd::mul(simd::mul(m1, vinv), exp2_delta(simd::sub(e1, vns))));
  }
  for (; i + 4 <= end; i += 4) {
    simd::f32x4 m, e;
    exp_split_f32x4(simd::load(x + i), m, e);
    simd::store(y + i, simd::mul(simd::mul(m, vinv), exp2_delta(simd::sub(e, vns))));
  }
  for (; i < end; ++i) {
    float m, e;
    exp_split_scalar(x[i], m, e);
    y[i] = (m * inv) * exp2_delta_scalar(e - ns);
  }
}
}  // namespace

void softmax_two_pass(const float* x, float* y, size_t n) { run_whole(SoftmaxAlg::two_pass, x, y, n); }

void softmax_two_pass_ref(const float* x, float* y, size_t n) {
  if (n == 0) return;
  float ms = 0.0f, ns = kNoExponent;
  for (size_t i = 0; i < n; ++i) {
    float m, e;
    exp_split_scalar(x[i], m, e);
    lean_accumulate_scalar(ms, ns, m, e);
  }
  if (!is_finite(ms) || !two_pass_in_range(ns)) return softmax_three_pass_recompute_ref(x, y, n);
  const float inv = 1.0f / ms;
  for (size_t i = 0; i < n; ++i) {
    float m, e;
    exp_split_scalar(x[i], m, e);
    y[i] = (m * inv) * exp2_delta_scalar(e - ns);
  }
}

// ============================================================================
// Two-pass, first version: the same algorithm with the sum rescaled on every
// vector (two exp2 per element), 2^d by exp2_nonpos (6 operations: integer
// exponent arithmetic plus a compare and mask for d <= -127), and x clamped to
// [-16384, 16384] in both passes (NaN kept), so that only n_s needs checking.
// Kept to measure what the lean version saves (the lesson, bench/).
// ============================================================================
namespace {
inline simd::f32x4 v1_clamp(simd::f32x4 x) {
  return simd::min(simd::set1(kTwoPassClamp), simd::max(simd::set1(-kTwoPassClamp), x));
}
inline float v1_clamp_scalar(float x) {
  using vexp_detail::smax;
  using vexp_detail::smin;
  return smin(kTwoPassClamp, smax(-kTwoPassClamp, x));
}
constexpr auto v1_accumulate = accumulate<exp2_nonpos_f32x4>;
constexpr auto v1_accumulate_scalar = accumulate_scalar<exp2_nonpos_scalar>;
constexpr auto v1_accumulate_kahan = accumulate_kahan<exp2_nonpos_f32x4>;
void v1_sum_piece(SoftmaxPasses& s, const float* x, size_t begin, size_t end) {
  // Within a chunk two independent accumulator pairs (8 lanes), then the
  // chunk's pairs are merged into (ms0, ns0) with Kahan compensation.
  simd::f32x4 ms0 = lanes(s.acc[0]), comp0 = lanes(s.acc[1]), ns0 = lanes(s.acc[2]);
  for (size_t c = begin; c < end; c += kSumChunk) {
    const size_t chunk_end = end - c < kSumChunk ? end : c + kSumChunk;
    simd::f32x4 ma = simd::zero(), na = simd::set1(kNoExponent);
    simd::f32x4 mb = simd::zero(), nb = simd::set1(kNoExponent);
    size_t i = c;
    for (; i + 8 <= chunk_end; i += 8) {
      simd::f32x4 m0, e0, m1, e1;
      exp_split_f32x4(v1_clamp(simd::load(x + i)), m0, e0);
      exp_split_f32x4(v1_clamp(simd::load(x + i + 4)), m1, e1);
      v1_accumulate(ma, na, m0, e0);
      v1_accumulate(mb, nb, m1, e1);
    }
    for (; i + 4 <= chunk_end; i += 4) {
      simd::f32x4 m0, e0;
      exp_split_f32x4(v1_clamp(simd::load(x + i)), m0, e0);
      v1_accumulate(ma, na, m0, e0);
    }
    for (; i < chunk_end; ++i) {  // only in the last chunk
      float m, e;
      exp_split_scalar(v1_clamp_scalar(x[i]), m, e);
      v1_accumulate_scalar(s.tail[0], s.tail[1], m, e);
    }
    v1_accumulate(ma, na, mb, nb);
    v1_accumulate_kahan(ms0, comp0, ns0, ma, na);
  }
  put(s.acc[0], ms0), put(s.acc[1], comp0), put(s.acc[2], ns0);
}
bool v1_finish(SoftmaxPasses& s) {
  float lm[4], ln[4];
  put(lm, simd::sub(lanes(s.acc[0]), lanes(s.acc[1])));
  for (int k = 0; k < 4; ++k) ln[k] = s.acc[2][k];
  v1_accumulate_scalar(lm[0], ln[0], lm[1], ln[1]);
  v1_accumulate_scalar(lm[2], ln[2], lm[3], ln[3]);
  v1_accumulate_scalar(lm[0], ln[0], lm[2], ln[2]);
  v1_accumulate_scalar(lm[0], ln[0], s.tail[0], s.tail[1]);
  if (!two_pass_in_range(ln[0])) return false;
  s.scale = 1.0f / lm[0], s.mu = ln[0];
  return true;
}
void v1_write_piece(const SoftmaxPasses& s, const float* x, float* y, size_t begin, size_t end) {
  const float inv = s.scale, ns = s.mu;
  const simd::f32x4 vinv = simd::set1(inv), vns = simd::set1(ns);
  size_t i = begin;
  for (; i + 4 <= end; i += 4) {
    simd::f32x4 m, e;
    exp_split_f32x4(v1_clamp(simd::load(x + i)), m, e);
    simd::store(y + i, simd::mul(simd::mul(m, vinv), exp2_nonpos_f32x4(simd::sub(e, vns))));
  }
  for (; i < end; ++i) {
    float m, e;
    exp_split_scalar(v1_clamp_scalar(x[i]), m, e);
    y[i] = (m * inv) * exp2_nonpos_scalar(e - ns);
  }
}
}  // namespace

void softmax_two_pass_v1(const float* x, float* y, size_t n) { run_whole(SoftmaxAlg::two_pass_v1, x, y, n); }

void softmax_two_pass_v1_ref(const float* x, float* y, size_t n) {
  if (n == 0) return;
  float ms = 0.0f, ns = kNoExponent;
  for (size_t i = 0; i < n; ++i) {
    float m, e;
    exp_split_scalar(v1_clamp_scalar(x[i]), m, e);
    v1_accumulate_scalar(ms, ns, m, e);
  }
  if (!two_pass_in_range(ns)) return softmax_three_pass_recompute_ref(x, y, n);
  const float inv = 1.0f / ms;
  for (size_t i = 0; i < n; ++i) {
    float m, e;
    exp_split_scalar(v1_clamp_scalar(x[i]), m, e);
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
// Merge (m_b, d_b) into (m_a, d_a).
inline void online_merge_scalar(float& ma, float& da, float mb, float db) {
  const float m = vexp_detail::smax(ma, mb);
  da = da * exp_scalar(ma - m) + db * exp_scalar(mb - m);
  ma = m;
}

void online_sum_piece(SoftmaxPasses& s, const float* x, size_t begin, size_t end) {
  const size_t n = s.n;
  // Per-lane (m, d); chunks of kSumChunk elements keep d small while summing
  // (see softmax_detail.h) and are merged into (vm, vd) at their end.
  simd::f32x4 vm = lanes(s.acc[0]), vd = lanes(s.acc[1]), comp = lanes(s.acc[2]);
  for (size_t c = begin; c < end && c + 4 <= n; c += kSumChunk) {
    const size_t chunk_end = end - c < kSumChunk ? end : c + kSumChunk;
    simd::f32x4 cm = simd::set1(kOnlineInitMax), cd = simd::zero();
    size_t i = c;
    for (; i + 16 <= chunk_end; i += 16) {
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
    for (; i + 4 <= chunk_end; i += 4) {
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
  put(s.acc[0], vm), put(s.acc[1], vd), put(s.acc[2], comp);
  if (end == n) {  // the scalar tail: the last n mod 4 elements
    float& mt = s.tail[0];
    float& dt = s.tail[1];
    for (size_t i = n & ~size_t(3); i < n; ++i) {
      const float mn = vexp_detail::smax(mt, x[i]);
      dt = dt * exp_scalar(mt - mn) + exp_scalar(x[i] - mn);
      mt = mn;
    }
  }
}
// Between the passes: merge the lanes and the tail; false for a special row.
bool online_finish(SoftmaxPasses& s) {
  float lm[4], ld[4];
  put(lm, lanes(s.acc[0]));
  put(ld, simd::sub(lanes(s.acc[1]), lanes(s.acc[2])));
  online_merge_scalar(lm[0], ld[0], lm[1], ld[1]);
  online_merge_scalar(lm[2], ld[2], lm[3], ld[3]);
  online_merge_scalar(lm[0], ld[0], lm[2], ld[2]);
  online_merge_scalar(lm[0], ld[0], s.tail[0], s.tail[1]);
  // d = 0 only when every x is -inf (the max element contributes e^0 = 1).
  if (!is_finite(lm[0]) || ld[0] == 0.0f) return false;
  s.mu = lm[0], s.scale = 1.0f / ld[0];
  return true;
}
}  // namespace

void softmax_online(const float* x, float* y, size_t n) { run_whole(SoftmaxAlg::online, x, y, n); }

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
// One pass of one algorithm over one piece (softmax.h).
// ============================================================================
void softmax_pass(SoftmaxPasses& s, int pass, const float* x, float* y, size_t begin, size_t end) {
  if (s.whole_row_done || begin >= end) return;
  const size_t n = s.n;
  const bool first = begin == 0;
  switch (s.alg) {
    case SoftmaxAlg::three_pass_reload:
    case SoftmaxAlg::three_pass_recompute: {
      const bool reload = s.alg == SoftmaxAlg::three_pass_reload;
      if (pass == 0) return range_piece(s, x, begin, end);
      if (pass == 1) {
        if (first && !is_finite(s.mu)) {
          softmax_special_row(x, y, n);
          s.whole_row_done = true;
          return;
        }
        return reload ? sum_piece<true>(s, x, y, begin, end) : sum_piece<false>(s, x, nullptr, begin, end);
      }
      if (first) s.scale = 1.0f / three_pass_sum(s);
      if (reload) return scale_inplace(y + begin, end - begin, s.scale);
      if (exps_in_range({s.mu, s.lo})) return exp_scale<true>(x + begin, y + begin, end - begin, s.mu, s.scale);
      return exp_scale<false>(x + begin, y + begin, end - begin, s.mu, s.scale);
    }
    case SoftmaxAlg::two_pass:
    case SoftmaxAlg::two_pass_v1: {
      const bool lean = s.alg == SoftmaxAlg::two_pass;
      if (pass == 0) return lean ? two_pass_sum_piece(s, x, begin, end) : v1_sum_piece(s, x, begin, end);
      if (first && !(lean ? two_pass_finish(s) : v1_finish(s))) {
        softmax_three_pass_recompute(x, y, n);
        s.whole_row_done = true;
        return;
      }
      return lean ? two_pass_write_piece(s, x, y, begin, end) : v1_write_piece(s, x, y, begin, end);
    }
    case SoftmaxAlg::online: {
      if (pass == 0) return online_sum_piece(s, x, begin, end);
      if (first && !online_finish(s)) {
        softmax_special_row(x, y, n);
        s.whole_row_done = true;
        return;
      }
      return exp_scale(x + begin, y + begin, end - begin, s.mu, s.scale);
    }
  }
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
