// softmax_detail.h - building blocks shared by softmax.cpp and
// softmax_rows.cpp (not part of the public kernel interface).
//
// Each block exists twice: a SIMD version (4 lanes, several independent
// accumulators, scalar tail) and a plain sequential scalar version used by the
// _ref twins.  Both evaluate e^t with the same operations (vexp.h), so a fast
// kernel and its _ref differ only in the order in which sums are added.
#pragma once
#include <cmath>
#include <cstddef>
#include <limits>

#include "engine/kernels/vexp.h"
#include "engine/simd.h"

namespace kern {
namespace softmax_detail {

// ---- max over x[0, n) ---------------------------------------------------------
inline float row_max(const float* x, size_t n) {
  float mu = -std::numeric_limits<float>::infinity();
  size_t i = 0;
  if (n >= 16) {
    simd::f32x4 m0 = simd::load(x), m1 = simd::load(x + 4), m2 = simd::load(x + 8),
                m3 = simd::load(x + 12);
    for (i = 16; i + 16 <= n; i += 16) {
      m0 = simd::max(m0, simd::load(x + i));
      m1 = simd::max(m1, simd::load(x + i + 4));
      m2 = simd::max(m2, simd::load(x + i + 8));
      m3 = simd::max(m3, simd::load(x + i + 12));
    }
    for (; i + 4 <= n; i += 4) m0 = simd::max(m0, simd::load(x + i));
    mu = simd::hmax(simd::max(simd::max(m0, m1), simd::max(m2, m3)));
  }
  for (; i < n; ++i) mu = x[i] > mu ? x[i] : mu;
  return mu;
}
// Max and min in one pass (the min costs one more op per vector in the
// cheapest pass and lets the exp pass drop its clamps, see exps_in_range).
struct RowRange {
  float max, min;
};
inline float hmin(simd::f32x4 v) {
  float t[4];
  simd::store(t, v);
  float lo = t[0];
  for (int k = 1; k < 4; ++k) lo = t[k] < lo ? t[k] : lo;
  return lo;
}
inline RowRange row_range(const float* x, size_t n) {
  float mu = -std::numeric_limits<float>::infinity(), lo = std::numeric_limits<float>::infinity();
  size_t i = 0;
  if (n >= 8) {
    simd::f32x4 a0 = simd::load(x), a1 = simd::load(x + 4);
    simd::f32x4 b0 = a0, b1 = a1;
    for (i = 8; i + 8 <= n; i += 8) {
      const simd::f32x4 v0 = simd::load(x + i), v1 = simd::load(x + i + 4);
      a0 = simd::max(a0, v0);
      a1 = simd::max(a1, v1);
      b0 = simd::min(b0, v0);
      b1 = simd::min(b1, v1);
    }
    for (; i + 4 <= n; i += 4) {
      const simd::f32x4 v = simd::load(x + i);
      a0 = simd::max(a0, v);
      b0 = simd::min(b0, v);
    }
    mu = simd::hmax(simd::max(a0, a1));
    lo = hmin(simd::min(b0, b1));
  }
  for (; i < n; ++i) {
    mu = x[i] > mu ? x[i] : mu;
    lo = x[i] < lo ? x[i] : lo;
  }
  return {mu, lo};
}
// True when every x - mu (rounded) is >= kExpLo, so exp_inrange_f32x4 may
// be used: fl(x - mu) is monotonic in x, so checking the min is enough.
inline bool exps_in_range(RowRange r) { return r.min - r.max >= vexp_detail::kExpLo; }

inline float row_max_ref(const float* x, size_t n) {
  float mu = -std::numeric_limits<float>::infinity();
  for (size_t i = 0; i < n; ++i) mu = x[i] > mu ? x[i] : mu;
  return mu;
}

// The exp used by the fast paths: exp_inrange when the caller has checked the
// row (exps_in_range), else the clamping exp_nonpos.  Same bits either way.
template <bool kInRange>
inline simd::f32x4 exp_row(simd::f32x4 x) {
  return kInRange ? exp_inrange_f32x4(x) : exp_nonpos_f32x4(x);
}

// ---- s = sum_i e^(x_i - mu), optionally storing e^(x_i - mu) into y -----------
// mu must be finite and >= every x_i, so every exponent is <= 0.
// Summed in chunks of kSumChunk elements: 16 lane accumulators within a
// chunk (16 terms each), then the chunk totals into one vector with Kahan
// compensation.  One flat accumulator lets small terms be rounded away against
// a large running sum: at n = 1e5, x ~ U(-10, 10) that cost ~90 ulp; chunked
// and compensated it is ~1 ulp, for a handful of extra adds per 256 elements.
constexpr size_t kSumChunk = 256;

// Kahan step on 4 lanes: total + term, with comp carrying the lost low bits
// (the true sum is total - comp).
inline void kahan_add(simd::f32x4& total, simd::f32x4& comp, simd::f32x4 term) {
  const simd::f32x4 y = simd::sub(term, comp);
  const simd::f32x4 t = simd::add(total, y);
  comp = simd::sub(simd::sub(t, total), y);
  total = t;
}

// Passes that ride along in the exp pass's loop (softmax_rows).  The exp
// pass is bound by the latency of the exp's chain of ~20 dependent operations
// per vector, not by the core's execution slots; the max/min pass and the
// scale pass are 1-2 operations per vector, bound by loads and stores.  Run as
// separate loops they add their full time; run in the exp's loop, over the
// next row (range) and the previous one (scale), they fill the idle slots.
// Measured in wasm at 256 x 1024: three loops take ~25% longer.
struct RideAlong {
  float* scale_y = nullptr;       // kScale: scale_y[i] *= scale_c over the piece's [begin, end)
  float scale_c = 0.0f;
  const float* range_x = nullptr; // kRange: range takes in range_x[begin, end)
  RowRange range = {-std::numeric_limits<float>::infinity(), std::numeric_limits<float>::infinity()};
};

// One piece [begin, end) of the sum, carrying the running (total, comp) and
// the scalar tail between pieces: pieces whose boundaries are multiples of
// kSumChunk give exactly the bits of one call over the whole row.  n is the
// row's length (the scalar tail is summed only in its last chunk).  The
// ride-along passes (kScale, kRange; ride non-null) change none of the bits.
template <bool kStore, bool kInRange = false, bool kScale = false, bool kRange = false>
inline void sum_exp_piece(const float* x, float* y, size_t begin, size_t end, float mu, simd::f32x4& total,
                          simd::f32x4& comp, float& tail, RideAlong* ride = nullptr) {
  const simd::f32x4 vmu = simd::set1(mu);
  const simd::f32x4 vc = simd::set1(kScale ? ride->scale_c : 0.0f);
  float* z = kScale ? ride->scale_y : nullptr;
  const float* w = kRange ? ride->range_x : nullptr;
  simd::f32x4 hi = simd::set1(-std::numeric_limits<float>::infinity());
  simd::f32x4 lo = simd::set1(std::numeric_limits<float>::infinity());
  for (size_t c = begin; c < end; c += kSumChunk) {
    const size_t chunk_end = end - c < kSumChunk ? end : c + kSumChunk;
    simd::f32x4 s0 = simd::zero(), s1 = simd::zero(), s2 = simd::zero(), s3 = simd::zero();
    size_t i = c;
    for (; i + 16 <= chunk_end; i += 16) {
      const simd::f32x4 e0 = exp_row<kInRange>(simd::sub(simd::load(x + i), vmu));
      const simd::f32x4 e1 = exp_row<kInRange>(simd::sub(simd::load(x + i + 4), vmu));
      const simd::f32x4 e2 = exp_row<kInRange>(simd::sub(simd::load(x + i + 8), vmu));
      const simd::f32x4 e3 = exp_row<kInRange>(simd::sub(simd::load(x + i + 12), vmu));
      if (kStore) {
        simd::store(y + i, e0);
        simd::store(y + i + 4, e1);
        simd::store(y + i + 8, e2);
        simd::store(y + i + 12, e3);
      }
      s0 = simd::add(s0, e0);
      s1 = simd::add(s1, e1);
      s2 = simd::add(s2, e2);
      s3 = simd::add(s3, e3);
      if (kScale)
        for (int k = 0; k < 16; k += 4) simd::store(z + i + k, simd::mul(simd::load(z + i + k), vc));
      if (kRange) {
        const simd::f32x4 v0 = simd::load(w + i), v1 = simd::load(w + i + 4);
        const simd::f32x4 v2 = simd::load(w + i + 8), v3 = simd::load(w + i + 12);
        hi = simd::max(hi, simd::max(simd::max(v0, v1), simd::max(v2, v3)));
        lo = simd::min(lo, simd::min(simd::min(v0, v1), simd::min(v2, v3)));
      }
    }
    for (; i + 4 <= chunk_end; i += 4) {
      const simd::f32x4 e = exp_row<kInRange>(simd::sub(simd::load(x + i), vmu));
      if (kStore) simd::store(y + i, e);
      s0 = simd::add(s0, e);
      if (kScale) simd::store(z + i, simd::mul(simd::load(z + i), vc));
      if (kRange) hi = simd::max(hi, simd::load(w + i)), lo = simd::min(lo, simd::load(w + i));
    }
    for (; i < chunk_end; ++i) {  // only in the last chunk
      const float e = exp_scalar(x[i] - mu);
      if (kStore) y[i] = e;
      tail += e;
      if (kScale) z[i] *= ride->scale_c;
      if (kRange) hi = simd::max(hi, simd::set1(w[i])), lo = simd::min(lo, simd::set1(w[i]));
    }
    kahan_add(total, comp, simd::add(simd::add(s0, s1), simd::add(s2, s3)));
  }
  if (kRange) {
    const float h = simd::hmax(hi), l = hmin(lo);
    ride->range.max = h > ride->range.max ? h : ride->range.max;
    ride->range.min = l < ride->range.min ? l : ride->range.min;
  }
}
template <bool kStore, bool kInRange = false, bool kScale = false, bool kRange = false>
inline float sum_exp(const float* x, float* y, size_t n, float mu, RideAlong* ride = nullptr) {
  simd::f32x4 total = simd::zero(), comp = simd::zero();
  float tail = 0.0f;
  sum_exp_piece<kStore, kInRange, kScale, kRange>(x, y, 0, n, mu, total, comp, tail, ride);
  return simd::hsum(simd::sub(total, comp)) + tail;
}
template <bool kStore>
inline float sum_exp_ref(const float* x, float* y, size_t n, float mu) {
  float s = 0.0f;
  for (size_t i = 0; i < n; ++i) {
    const float e = exp_scalar(x[i] - mu);
    if (kStore) y[i] = e;
    s += e;
  }
  return s;
}

// ---- y_i = e^(x_i - mu) * c -------------------------------------------------------
template <bool kInRange = false>
inline void exp_scale(const float* x, float* y, size_t n, float mu, float c) {
  const simd::f32x4 vmu = simd::set1(mu), vc = simd::set1(c);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const simd::f32x4 e0 = exp_row<kInRange>(simd::sub(simd::load(x + i), vmu));
    const simd::f32x4 e1 = exp_row<kInRange>(simd::sub(simd::load(x + i + 4), vmu));
    simd::store(y + i, simd::mul(e0, vc));
    simd::store(y + i + 4, simd::mul(e1, vc));
  }
  for (; i + 4 <= n; i += 4)
    simd::store(y + i, simd::mul(exp_row<kInRange>(simd::sub(simd::load(x + i), vmu)), vc));
  for (; i < n; ++i) y[i] = exp_scalar(x[i] - mu) * c;
}
inline void exp_scale_ref(const float* x, float* y, size_t n, float mu, float c) {
  for (size_t i = 0; i < n; ++i) y[i] = exp_scalar(x[i] - mu) * c;
}

// ---- y_i *= c -------------------------------------------------------------------
inline void scale_inplace(float* y, size_t n, float c) {
  const simd::f32x4 vc = simd::set1(c);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    simd::store(y + i, simd::mul(simd::load(y + i), vc));
    simd::store(y + i + 4, simd::mul(simd::load(y + i + 4), vc));
  }
  for (; i + 4 <= n; i += 4) simd::store(y + i, simd::mul(simd::load(y + i), vc));
  for (; i < n; ++i) y[i] *= c;
}

// ---- rows that are not "ordinary" -------------------------------------------------
// A row is ordinary when its max is finite.  Otherwise (a +inf, a NaN that
// reached the max, or all entries -inf) every variant gives the same answer:
//   * any NaN in the row      -> every output NaN
//   * k entries equal to +inf -> each of them 1/k, every other entry 0
//     (the limit of softmax(x + t e_inf) as t -> inf: the mass is split equally)
//   * all entries -inf        -> 1/n each (the limit of an all-equal row)
// NaN in an ordinary row also gives all NaN, through the sum.
inline void softmax_special_row(const float* x, float* y, size_t n) {
  size_t n_inf = 0;
  for (size_t i = 0; i < n; ++i) {
    if (x[i] != x[i]) {
      for (size_t j = 0; j < n; ++j) y[j] = std::numeric_limits<float>::quiet_NaN();
      return;
    }
    if (x[i] == std::numeric_limits<float>::infinity()) ++n_inf;
  }
  if (n_inf == 0) {
    for (size_t i = 0; i < n; ++i) y[i] = 1.0f / float(n);
    return;
  }
  const float share = 1.0f / float(n_inf);
  for (size_t i = 0; i < n; ++i) y[i] = x[i] == std::numeric_limits<float>::infinity() ? share : 0.0f;
}

inline bool is_finite(float v) { return v - v == 0.0f; }  // false for +-inf and NaN

}  // namespace softmax_detail
}  // namespace kern
