// linalg.h - the small dense linear algebra the flat methods need (P up to a
// few dozen): Cholesky factorization and solve, dot products in a fixed order.
#pragma once
#include <cmath>

namespace opt {

inline double dot(const double* a, const double* b, int n) {
  double s = 0.0;
  for (int i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}

// In place: the lower triangle of A (n, n), row-major and symmetric, becomes L
// with A = L L^T (the upper triangle is left as is).  Returns false when A is
// not (numerically) positive definite: a pivot <= 0 or not finite.
inline bool cholesky_factor(double* A, int n) {
  for (int j = 0; j < n; ++j) {
    double d = A[j * n + j];
    for (int k = 0; k < j; ++k) d -= A[j * n + k] * A[j * n + k];
    if (!(d > 0.0) || !std::isfinite(d)) return false;
    const double l = std::sqrt(d);
    A[j * n + j] = l;
    for (int i = j + 1; i < n; ++i) {
      double s = A[i * n + j];
      for (int k = 0; k < j; ++k) s -= A[i * n + k] * A[j * n + k];
      A[i * n + j] = s / l;
    }
  }
  return true;
}

// Solves L L^T x = b with L from cholesky_factor; b (n,) in, x (n,) out (may alias b).
inline void cholesky_solve(const double* L, int n, const double* b, double* x) {
  for (int i = 0; i < n; ++i) {  // L y = b
    double s = b[i];
    for (int k = 0; k < i; ++k) s -= L[i * n + k] * x[k];
    x[i] = s / L[i * n + i];
  }
  for (int i = n - 1; i >= 0; --i) {  // L^T x = y
    double s = x[i];
    for (int k = i + 1; k < n; ++k) s -= L[k * n + i] * x[k];
    x[i] = s / L[i * n + i];
  }
}

// Euclidean projection of x (n,) onto the ball ||x|| <= R, in place.  A point
// inside, or outside by at most 1e-12 relative (the rounding of an earlier
// projection), is left as is: projecting twice changes no bit.
inline void project_ball(double* x, int n, double R) {
  double sq = 0.0;
  for (int i = 0; i < n; ++i) sq += x[i] * x[i];
  if (sq <= R * R * (1.0 + 1e-12)) return;
  const double s = R / std::sqrt(sq);
  for (int i = 0; i < n; ++i) x[i] *= s;
}

}  // namespace opt
