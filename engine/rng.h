// rng.h - the engine's one random generator and its own sampling.
//
// Why not <random>: std::normal_distribution and friends are implemented
// differently by libstdc++ (native) and libc++ (Emscripten), so the same seed
// would give different experiments in the tests and in the browser.  Here the
// generator is xoshiro256** (seeded through splitmix64), and every sampler is
// built from + - * / and sqrt only (correctly rounded everywhere), plus
// detmath::log below, so native and wasm draw bit-identical numbers.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

namespace detmath {

// Natural log in double from basic operations only (no libm), so that it is
// bit-identical on every platform.  x = 2^k * m with m in [sqrt(1/2), sqrt(2)),
// log m = 2 atanh(s), s = (m - 1) / (m + 1), |s| <= 0.1716; the odd series to
// s^29 is below 1e-20 relative.
inline double log(double x) {
  if (!(x > 0.0)) return x == 0.0 ? -HUGE_VAL : NAN;
  if (x == HUGE_VAL) return x;
  uint64_t bits;
  std::memcpy(&bits, &x, 8);
  int k = int((bits >> 52) & 0x7ff);
  if (k == 0) {  // subnormal: scale into the normal range first
    return detmath::log(x * 18014398509481984.0) - 54.0 * 0.69314718055994530942;
  }
  k -= 1023;
  bits = (bits & 0x000fffffffffffffull) | 0x3ff0000000000000ull;  // m in [1, 2)
  double m;
  std::memcpy(&m, &bits, 8);
  if (m > 1.4142135623730951) { m *= 0.5; k += 1; }
  const double s = (m - 1.0) / (m + 1.0), s2 = s * s;
  double series = 1.0 / 29.0;
  for (int odd = 27; odd >= 1; odd -= 2) series = series * s2 + 1.0 / odd;
  const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
  return (k * ln2_hi) + (2.0 * s * series + k * ln2_lo);
}

// e^x in double from basic operations only.  x = n ln2 + r, |r| <= ln2 / 2,
// e^r by its Taylor series to r^17 (error < 1e-19), scaled by 2^n exactly.
inline double exp(double x) {
  if (x != x) return x;
  if (x > 709.78) return HUGE_VAL;
  if (x < -745.2) return 0.0;
  const double inv_ln2 = 1.44269504088896338700;
  const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
  const double magic = 6755399441055744.0;  // 1.5 * 2^52: round to nearest even
  const double n = (x * inv_ln2 + magic) - magic;
  const double r = (x - n * ln2_hi) - n * ln2_lo;
  double poly = 1.0;
  for (int i = 17; i >= 1; --i) poly = 1.0 + poly * r / i;
  // Multiply by 2^n in two halves so subnormal results stay exact enough.
  int ni = int(n);
  int n1 = ni / 2, n2 = ni - n1;
  auto pow2 = [](int e) {
    uint64_t b = uint64_t(e + 1023) << 52;
    double d;
    std::memcpy(&d, &b, 8);
    return d;
  };
  return poly * pow2(n1) * pow2(n2);
}

}  // namespace detmath

namespace pg {

class Rng {
 public:
  explicit Rng(uint64_t seed = 1) { reseed(seed); }

  void reseed(uint64_t seed) {
    uint64_t z = seed;
    for (auto& word : state_) word = splitmix64(z);
    has_spare_normal_ = false;
  }

  // An independent stream for a sub-experiment (e.g. one per model or per
  // data split) that does not shift the parent's sequence.
  Rng fork(uint64_t stream) const {
    return Rng(state_[0] ^ (0x9E3779B97F4A7C15ull * (stream + 1)) ^ state_[3]);
  }

  uint64_t next_u64() {
    const uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }
  uint32_t next_u32() { return uint32_t(next_u64() >> 32); }

  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return double(next_u64() >> 11) * (1.0 / 9007199254740992.0); }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  float uniformf(float lo, float hi) { return float(uniform(lo, hi)); }

  // Integer in [0, n), unbiased (rejection on the top of the range).
  uint32_t below(uint32_t n) {
    if (n <= 1) return 0;
    const uint32_t limit = uint32_t(0x100000000ull - (0x100000000ull % n));
    for (;;) {
      uint32_t r = next_u32();
      if (limit == 0 || r < limit) return r % n;
    }
  }

  // Standard normal by Marsaglia's polar method (sqrt and detmath::log only).
  double normal() {
    if (has_spare_normal_) {
      has_spare_normal_ = false;
      return spare_normal_;
    }
    double u, v, s;
    do {
      u = 2.0 * uniform() - 1.0;
      v = 2.0 * uniform() - 1.0;
      s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    const double scale = std::sqrt(-2.0 * detmath::log(s) / s);
    spare_normal_ = v * scale;
    has_spare_normal_ = true;
    return u * scale;
  }
  double normal(double mean, double stddev) { return mean + stddev * normal(); }

  // Fisher-Yates shuffle of p[0..n).
  template <typename T>
  void shuffle(T* p, int n) {
    for (int i = n - 1; i > 0; --i) {
      int j = int(below(uint32_t(i + 1)));
      T tmp = p[i];
      p[i] = p[j];
      p[j] = tmp;
    }
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static uint64_t splitmix64(uint64_t& z) {
    uint64_t r = (z += 0x9E3779B97F4A7C15ull);
    r = (r ^ (r >> 30)) * 0xBF58476D1CE4E5B9ull;
    r = (r ^ (r >> 27)) * 0x94D049BB133111EBull;
    return r ^ (r >> 31);
  }
  uint64_t state_[4];
  double spare_normal_ = 0.0;
  bool has_spare_normal_ = false;
};

}  // namespace pg
