// mahalanobis.cpp - see mahalanobis.h.
#include "engine/nn/mahalanobis.h"

#include <cmath>

#include "engine/opt/linalg.h"

namespace nn {

bool spd_inverse(double* a, int d, double* L, double* Linv) {
  // Cholesky a = L L^T (L in the lower triangle), then a^-1 = L^-T L^-1.
  for (size_t i = 0; i < size_t(d) * d; ++i) L[i] = a[i], Linv[i] = 0.0;
  if (!opt::cholesky_factor(L, d)) return false;
  // Linv = L^-1 (lower triangular), by forward substitution column by column.
  for (int j = 0; j < d; ++j) {
    Linv[size_t(j) * d + j] = 1.0 / L[size_t(j) * d + j];
    for (int i = j + 1; i < d; ++i) {
      double s = 0;
      for (int k = j; k < i; ++k) s -= L[size_t(i) * d + k] * Linv[size_t(k) * d + j];
      Linv[size_t(i) * d + j] = s / L[size_t(i) * d + i];
    }
  }
  // a^-1 = Linv^T Linv: (i, j) = sum_{k >= max(i, j)} Linv(k, i) Linv(k, j).
  for (int i = 0; i < d; ++i)
    for (int j = 0; j <= i; ++j) {
      double s = 0;
      for (int k = i; k < d; ++k) s += Linv[size_t(k) * d + i] * Linv[size_t(k) * d + j];
      a[size_t(i) * d + j] = s;
      a[size_t(j) * d + i] = s;
    }
  return true;
}

bool fit_class_gaussians(const float* features, const int* labels, int n, int dim, int classes, double shrinkage,
                         ClassGaussians& out) {
  out.classes = classes;
  out.dim = dim;
  out.means.assign(size_t(classes) * dim, 0.0);
  out.covariance.assign(size_t(dim) * dim, 0.0);
  out.count.assign(size_t(classes), 0);
  std::vector<int>& count = out.count;
  // Class means mu_c = mean of f_i over y_i = c.
  for (int i = 0; i < n; ++i) {
    const int c = labels[i];
    if (c < 0 || c >= classes) continue;
    ++count[size_t(c)];
    for (int k = 0; k < dim; ++k) out.means[size_t(c) * dim + k] += features[size_t(i) * dim + k];
  }
  for (int c = 0; c < classes; ++c)
    if (count[size_t(c)] > 0)
      for (int k = 0; k < dim; ++k) out.means[size_t(c) * dim + k] /= count[size_t(c)];
  // Tied covariance of the class-centred features (one Sigma for all classes).
  out.work_a.assign(size_t(dim) * dim, 0.0);  // same size as last time: no allocation
  double* centred = out.work_a.data();
  int used = 0;
  for (int i = 0; i < n; ++i) {
    const int c = labels[i];
    if (c < 0 || c >= classes) continue;
    ++used;
    for (int k = 0; k < dim; ++k) centred[k] = features[size_t(i) * dim + k] - out.means[size_t(c) * dim + k];
    for (int a = 0; a < dim; ++a) {
      const double ca = centred[a];
      double* row = &out.covariance[size_t(a) * dim];
      for (int b = 0; b <= a; ++b) row[b] += ca * centred[b];
    }
  }
  for (int a = 0; a < dim; ++a)
    for (int b = 0; b <= a; ++b) {
      const double v = used > 0 ? out.covariance[size_t(a) * dim + b] / used : 0.0;
      out.covariance[size_t(a) * dim + b] = v;
      out.covariance[size_t(b) * dim + a] = v;
    }
  double trace = 0;
  for (int k = 0; k < dim; ++k) trace += out.covariance[size_t(k) * dim + k];
  const double scale = dim > 0 ? trace / dim : 0.0;
  for (double& v : out.covariance) v *= (1.0 - shrinkage);
  out.ridge = shrinkage * scale + 1e-6 * scale;
  for (int k = 0; k < dim; ++k) out.covariance[size_t(k) * dim + k] += out.ridge;
  return scale > 0 && set_covariance(out);
}

bool set_covariance(ClassGaussians& g) {
  const int dim = g.dim, classes = g.classes;
  g.work_a.resize(size_t(dim) * dim);
  g.precision.assign(g.covariance.begin(), g.covariance.end());
  g.whiten.assign(size_t(dim) * dim, 0.0);
  g.white_means.assign(size_t(classes) * dim, 0.0);
  if (!spd_inverse(g.precision.data(), dim, g.work_a.data(), g.whiten.data())) {
    g.precision.assign(size_t(dim) * dim, 0.0);
    g.whiten.assign(size_t(dim) * dim, 0.0);
    return false;
  }
  // Whitened means W mu_c, W = L^-1 lower triangular.
  for (int c = 0; c < classes; ++c)
    for (int a = 0; a < dim; ++a) {
      double v = 0;
      for (int b = 0; b <= a; ++b) v += g.whiten[size_t(a) * dim + b] * g.means[size_t(c) * dim + b];
      g.white_means[size_t(c) * dim + a] = v;
    }
  return true;
}

int mahalanobis_distances(const ClassGaussians& g, const float* f, double* dist, double* scratch) {
  // With Sigma^-1 = W^T W (W = L^-1):  dist_c = ||W f - W mu_c||^2, so one
  // triangular product per sample (D^2 / 2) and C differences, not C D^2.
  const int D = g.dim;
  for (int a = 0; a < D; ++a) {
    const double* row = &g.whiten[size_t(a) * D];
    double v = 0;
    for (int b = 0; b <= a; ++b) v += row[b] * f[b];
    scratch[a] = v;
  }
  int best = 0;
  for (int c = 0; c < g.classes; ++c) {
    const double* wm = &g.white_means[size_t(c) * D];
    double s = 0;
    for (int a = 0; a < D; ++a) s += (scratch[a] - wm[a]) * (scratch[a] - wm[a]);
    dist[c] = s;
    if (s < dist[best]) best = c;
  }
  return best;
}

void mahalanobis_gradient(const ClassGaussians& g, const float* f, int c, float* grad, double* scratch) {
  const int D = g.dim;
  const double* mu = &g.means[size_t(c) * D];
  for (int k = 0; k < D; ++k) scratch[k] = f[k] - mu[k];
  for (int a = 0; a < D; ++a) {
    const double* row = &g.precision[size_t(a) * D];
    double pa = 0;
    for (int b = 0; b < D; ++b) pa += row[b] * scratch[b];
    grad[a] = float(2.0 * pa);
  }
}

}  // namespace nn
