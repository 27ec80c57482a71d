// nnmath.h - deterministic elementary functions for trainers and data generators.
//
// Why: libm's expf/tanhf/cos differ in their last bits between glibc (native)
// and musl (Emscripten), so a training run would drift apart between the tests
// and the browser.  Everything here is built from + - * / and sqrt only (all
// correctly rounded in IEEE 754), plus bit tricks, so the same inputs give the
// same bits everywhere.  Build with -ffp-contract=off so nothing gets fused.
// Accuracy: expf within 2 ulp; cos/sin (double) within ~1e-16 for |x| < 1e5.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

#include "engine/kernels/vexp.h"

namespace nnmath {

// e^x in float: the engine's one shared exp (engine/kernels/vexp.h: Cody-Waite
// reduction + degree-6 polynomial, <= 2 ulp, flushes to 0 below e^-87.34),
// so the trainers and the SIMD kernels agree on every exponential.
inline float expf(float x) { return kern::exp_scalar(x); }

// sigmoid(x) = 1 / (1 + e^-x), written so e^(...) never overflows.
inline float sigmoidf(float x) {
  if (x >= 0.0f) return 1.0f / (1.0f + expf(-x));
  const float e = expf(x);
  return e / (1.0f + e);
}

// cos and sin in double.  x = k pi/2 + r with |r| <= pi/4 (two-part pi/2 so
// the reduction stays accurate for the moderate arguments used here), then the
// Taylor series of sin r / cos r to r^21 / r^22 (error < 1e-22) and the
// quadrant k mod 4 picks sign and function.
inline void sincos(double x, double& s, double& c) {
  if (!(x - x == 0.0)) {  // NaN or infinite
    s = c = NAN;
    return;
  }
  const double two_over_pi = 0.63661977236758134308;
  const double pio2_hi = 1.57079632673412561417e+00, pio2_lo = 6.07710050650619224932e-11;
  const double magic = 6755399441055744.0;  // 1.5 * 2^52
  const double k = (x * two_over_pi + magic) - magic;
  const double r = (x - k * pio2_hi) - k * pio2_lo;
  const double r2 = r * r;
  double sin_r = 1.0, cos_r = 1.0;
  for (int i = 21; i >= 3; i -= 2) sin_r = 1.0 - sin_r * r2 / double((i - 1) * i);
  sin_r *= r;
  for (int i = 22; i >= 2; i -= 2) cos_r = 1.0 - cos_r * r2 / double((i - 1) * i);
  int quadrant = int(std::fmod(k, 4.0));
  if (quadrant < 0) quadrant += 4;
  switch (quadrant) {
    case 0: s = sin_r; c = cos_r; break;
    case 1: s = cos_r; c = -sin_r; break;
    case 2: s = -sin_r; c = -cos_r; break;
    default: s = -cos_r; c = sin_r; break;
  }
}
inline double cos(double x) { double s, c; sincos(x, s, c); return c; }
inline double sin(double x) { double s, c; sincos(x, s, c); return s; }

constexpr double kPi = 3.14159265358979323846;

}  // namespace nnmath
