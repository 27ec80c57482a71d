// posterior.cpp - see posterior.h.
#include "engine/data/posterior.h"

#include <cmath>
#include <vector>

#include "engine/rng.h"

namespace data {

namespace {
constexpr int kMaxClasses = 16;
constexpr double kPi = 3.14159265358979323846;

// The class centres c_k, (classes, 2).  cos/sin of the fixed angles pi k / C
// from a rotation applied k times (exact enough, and the same bits everywhere).
void centres(int classes, double* c) {
  // the first angle's cosine and sine by their Taylor series (|a| <= pi/2)
  const double a = kPi / classes;
  double ca = 0, sa = 0, term = 1;
  for (int i = 0; i < 30; ++i) {  // sum a^i / i! with the signs of cos and sin
    if (i % 4 == 0) ca += term;
    if (i % 4 == 1) sa += term;
    if (i % 4 == 2) ca -= term;
    if (i % 4 == 3) sa -= term;
    term *= a / (i + 1);
  }
  double x = 1, y = 0;
  for (int k = 0; k < classes; ++k) {
    c[2 * k] = x, c[2 * k + 1] = y;
    const double nx = x * ca - y * sa, ny = x * sa + y * ca;
    x = nx, y = ny;
  }
}
}  // namespace

void known_posterior(const float* x, int n, int classes, double sharpness, float* probs) {
  if (classes < 1) return;
  if (classes > kMaxClasses) classes = kMaxClasses;
  double c[2 * kMaxClasses], z[kMaxClasses];
  centres(classes, c);
  for (int i = 0; i < n; ++i) {
    const double px = x[2 * i], py = x[2 * i + 1];
    double top = -1e300;
    for (int k = 0; k < classes; ++k) {
      const double a = std::sqrt((px - c[2 * k]) * (px - c[2 * k]) + (py - c[2 * k + 1]) * (py - c[2 * k + 1]));
      const double b = std::sqrt((px + c[2 * k]) * (px + c[2 * k]) + (py + c[2 * k + 1]) * (py + c[2 * k + 1]));
      z[k] = -sharpness * (a < b ? a : b);
      if (z[k] > top) top = z[k];
    }
    double sum = 0;
    for (int k = 0; k < classes; ++k) sum += (z[k] = detmath::exp(z[k] - top));
    for (int k = 0; k < classes; ++k) probs[size_t(i) * classes + k] = float(z[k] / sum);
  }
}

Dataset make_known_posterior(int n, int classes, double sharpness, uint64_t seed) {
  if (classes < 2) classes = 2;
  if (classes > kMaxClasses) classes = kMaxClasses;
  if (n < 0) n = 0;
  pg::Rng rng(seed);
  Dataset d;
  d.name = "known posterior";
  d.n = n, d.dim = 2, d.classes = classes;
  d.channels = 2;
  d.x.resize(size_t(n) * 2);
  d.y.resize(size_t(n));
  std::vector<float> p(static_cast<size_t>(classes), 0.0f);
  for (int i = 0; i < n; ++i) {
    d.x[2 * i] = float(rng.uniform(-1.5, 1.5));
    d.x[2 * i + 1] = float(rng.uniform(-1.5, 1.5));
    known_posterior(&d.x[2 * i], 1, classes, sharpness, p.data());
    // draw y from p: the first class whose cumulative probability passes u
    const double u = rng.uniform();
    double cum = 0;
    int y = classes - 1;
    for (int k = 0; k < classes; ++k) {
      cum += p[k];
      if (u < cum) {
        y = k;
        break;
      }
    }
    d.y[i] = y;
  }
  return d;
}

}  // namespace data
