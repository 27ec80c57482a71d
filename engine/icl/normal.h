// normal.h - a fast standard normal sampler on top of pg::Rng (ziggurat).
//
// Why not pg::Rng::normal(): the polar method costs about 30 ns a draw (one
// detmath::log and a division per pair), and an in-context-regression batch
// (64 prompts x 41 tokens x 11 numbers) needs ~29,000 draws per training step,
// which would cost more than the model's forward and backward together.
//
// Marsaglia & Tsang (2000), "The Ziggurat Method for Generating Random
// Variables", 256 layers, as refined by Doornik (2005): one 64-bit draw gives
// both the layer (low 8 bits) and a signed 53-bit uniform (top 53 bits), so
// the two never share bits.  About 98.8% of draws return after one multiply
// and one compare.  The tables and the rare wedge / tail tests use only
// + - * / sqrt and detmath::exp / detmath::log, so native and wasm draw
// bit-identical numbers (the same promise rng.h makes).
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

#include "engine/rng.h"

namespace icl {

struct ZigguratTables {
  double x[257];  // layer edges, x[0] = V / f(R) (virtual base width), x[1] = R, x[256] = 0
  double f[257];  // f(x[i]) = exp(-x[i]^2 / 2)
  ZigguratTables() {
    const double R = 3.6541528853610088;      // right edge of the base layer
    const double V = 4.92867323399e-3;         // area of every layer (base includes the tail)
    const double fR = detmath::exp(-0.5 * R * R);
    x[0] = V / fR;
    x[1] = R;
    for (int i = 1; i < 256; ++i) {
      // Layer i is the rectangle [0, x[i]] x [f(x[i]), f(x[i+1])] of area V.
      const double next_f = V / x[i] + detmath::exp(-0.5 * x[i] * x[i]);
      x[i + 1] = next_f < 1.0 ? std::sqrt(-2.0 * detmath::log(next_f)) : 0.0;
    }
    x[256] = 0.0;
    for (int i = 0; i <= 256; ++i) f[i] = detmath::exp(-0.5 * x[i] * x[i]);
  }
};

inline const ZigguratTables& ziggurat_tables() {
  static const ZigguratTables tables;
  return tables;
}

// e^x for the wedge test, x in [-8, 0]: x = k ln2 + r, |r| <= ln2/2, Taylor to
// r^13 (relative error < 1e-16) with the 1/i! as constants (no division, so
// ~4x cheaper than detmath::exp; still only + - * and exact scaling).
inline double exp_wedge(double x) {
  const double inv_ln2 = 1.44269504088896338700, magic = 6755399441055744.0;
  const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
  const double k = (x * inv_ln2 + magic) - magic;
  const double r = (x - k * ln2_hi) - k * ln2_lo;
  static const double inv_fact[14] = {1.0, 1.0, 1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720,
                                      1.0 / 5040, 1.0 / 40320, 1.0 / 362880, 1.0 / 3628800,
                                      1.0 / 39916800, 1.0 / 479001600, 1.0 / 6227020800.0};
  double poly = inv_fact[13];
  for (int i = 12; i >= 0; --i) poly = poly * r + inv_fact[i];
  uint64_t b = uint64_t(int64_t(k) + 1023) << 52;  // 2^k, k in [-12, 0]
  double scale;
  std::memcpy(&scale, &b, 8);
  return poly * scale;
}

// The rare branches of one draw (about 1.5%): the tail beyond R and the wedges.
// Returns true with *out set, or false to reject and draw again.
inline bool normal_slow_path(pg::Rng& rng, const ZigguratTables& t, int i, double u, double x, double* out) {
  if (i == 0) {
    // Tail beyond R (Marsaglia 1964): exponential proposals, accepted with
    // probability exp(-x^2/2) relative to the exponential envelope.
    const double R = t.x[1];
    double tx, ty;
    do {
      tx = -detmath::log(1.0 - rng.uniform()) / R;
      ty = -detmath::log(1.0 - rng.uniform());
    } while (ty + ty < tx * tx);
    *out = u < 0.0 ? -(R + tx) : R + tx;
    return true;
  }
  // Wedge between the rectangle and the curve: accept under the density.
  *out = x;
  return t.f[i] + (t.f[i + 1] - t.f[i]) * rng.uniform() < exp_wedge(-0.5 * x * x);
}

// One N(0, 1) draw.
inline double normal(pg::Rng& rng) {
  const ZigguratTables& t = ziggurat_tables();
  for (;;) {
    const uint64_t bits = rng.next_u64();
    const int i = int(bits & 0xff);
    const double u = 2.0 * (double(bits >> 11) * (1.0 / 9007199254740992.0)) - 1.0;  // [-1, 1)
    const double x = u * t.x[i];
    if (std::fabs(x) < t.x[i + 1]) return x;  // inside the layer's core rectangle
    double out;
    if (normal_slow_path(rng, t, i, u, x, &out)) return out;
  }
}

// count draws into out, scaled by stddev: the same numbers as count calls of
// stddev * normal(rng), with the tables looked up once.
inline void fill_normal(pg::Rng& rng, double* out, int count, double stddev = 1.0) {
  const ZigguratTables& t = ziggurat_tables();
  for (int k = 0; k < count; ++k) {
    for (;;) {
      const uint64_t bits = rng.next_u64();
      const int i = int(bits & 0xff);
      const double u = 2.0 * (double(bits >> 11) * (1.0 / 9007199254740992.0)) - 1.0;
      const double x = u * t.x[i];
      if (std::fabs(x) < t.x[i + 1]) {
        out[k] = stddev * x;
        break;
      }
      double slow;
      if (normal_slow_path(rng, t, i, u, x, &slow)) {
        out[k] = stddev * slow;
        break;
      }
    }
  }
}

}  // namespace icl
