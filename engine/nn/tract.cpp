// tract.cpp - TrAct's first-layer gradient (tract.h).
#include "engine/nn/tract.h"

#include <algorithm>
#include <memory>

#include "engine/opt/linalg.h"

namespace nn {
namespace {
// sys (k, k) += lambda' I, factor; returns false when not positive definite.
bool factor_with_ridge(std::vector<double>& sys, int k, double ridge) {
  for (int i = 0; i < k; ++i) sys[size_t(i) * k + i] += ridge;
  return opt::cholesky_factor(sys.data(), k);
}
}  // namespace

// tract.py (b >= n): grad_W = G^T A (A^T A / b + lambda I)^-1.
bool tract_gradient_from_G_full(const double* G, const double* A, int b, int m, int n, double lambda, double* out) {
  std::vector<double> sys(size_t(n) * n, 0.0), row(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      double s = 0.0;
      for (int r = 0; r < b; ++r) s += A[size_t(r) * n + i] * A[size_t(r) * n + j];
      sys[size_t(i) * n + j] = s / b;
    }
  if (!factor_with_ridge(sys, n, lambda)) return false;
  for (int o = 0; o < m; ++o) {  // row o of G^T A, then solve (symmetric system)
    for (int j = 0; j < n; ++j) {
      double s = 0.0;
      for (int r = 0; r < b; ++r) s += G[size_t(r) * m + o] * A[size_t(r) * n + j];
      row[size_t(j)] = s;
    }
    opt::cholesky_solve(sys.data(), n, row.data(), out + size_t(o) * n);
  }
  return true;
}

// tract.py (b < n): grad_W = G^T (A A^T / b + lambda I_b)^-1 A.
bool tract_gradient_from_G_batch(const double* G, const double* A, int b, int m, int n, double lambda, double* out) {
  std::vector<double> sys(size_t(b) * b, 0.0), col(static_cast<size_t>(b)), X(size_t(b) * m);
  for (int i = 0; i < b; ++i)
    for (int j = 0; j < b; ++j) {
      double s = 0.0;
      for (int k = 0; k < n; ++k) s += A[size_t(i) * n + k] * A[size_t(j) * n + k];
      sys[size_t(i) * b + j] = s / b;
    }
  if (!factor_with_ridge(sys, b, lambda)) return false;
  for (int o = 0; o < m; ++o) {  // X[:, o] = K^-1 G[:, o]
    for (int r = 0; r < b; ++r) col[size_t(r)] = G[size_t(r) * m + o];
    opt::cholesky_solve(sys.data(), b, col.data(), col.data());
    for (int r = 0; r < b; ++r) X[size_t(r) * m + o] = col[size_t(r)];
  }
  for (int o = 0; o < m; ++o)
    for (int j = 0; j < n; ++j) {
      double s = 0.0;
      for (int r = 0; r < b; ++r) s += X[size_t(r) * m + o] * A[size_t(r) * n + j];
      out[size_t(o) * n + j] = s;
    }
  return true;
}

bool tract_transform_weight_grad(double* grad_W, const double* A, int b, int m, int n, double lambda,
                                 TractScratch& s, int force_branch) {
  const bool batch_branch = force_branch < 0 ? b < n : force_branch == 1;
  if (!batch_branch) {
    s.sys.assign(size_t(n) * n, 0.0);
    for (int r = 0; r < b; ++r)
      for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j) s.sys[size_t(i) * n + j] += A[size_t(r) * n + i] * A[size_t(r) * n + j];
    for (double& v : s.sys) v /= b;
    if (!factor_with_ridge(s.sys, n, lambda)) return false;
    for (int o = 0; o < m; ++o) opt::cholesky_solve(s.sys.data(), n, grad_W + size_t(o) * n, grad_W + size_t(o) * n);
    return true;
  }
  // Woodbury: (grad_W - (grad_W A^T) (b lambda I_b + A A^T)^-1 A) / lambda.
  if (!(lambda > 0.0)) return false;
  s.sys.assign(size_t(b) * b, 0.0);
  for (int i = 0; i < b; ++i)
    for (int j = 0; j < b; ++j) {
      double v = 0.0;
      for (int k = 0; k < n; ++k) v += A[size_t(i) * n + k] * A[size_t(j) * n + k];
      s.sys[size_t(i) * b + j] = v;
    }
  if (!factor_with_ridge(s.sys, b, double(b) * lambda)) return false;
  s.rhs.resize(size_t(b));
  for (int o = 0; o < m; ++o) {
    double* g = grad_W + size_t(o) * n;
    for (int r = 0; r < b; ++r) s.rhs[size_t(r)] = opt::dot(g, A + size_t(r) * n, n);  // (grad_W A^T)[o, r]
    opt::cholesky_solve(s.sys.data(), b, s.rhs.data(), s.rhs.data());
    for (int j = 0; j < n; ++j) {
      double v = g[j];
      for (int r = 0; r < b; ++r) v -= s.rhs[size_t(r)] * A[size_t(r) * n + j];
      g[j] = v / lambda;
    }
  }
  return true;
}

Trainer::GradTransform tract_transform(double lambda) {
  auto scratch = std::make_shared<TractScratch>();
  return [lambda, scratch](int, Model& model, const Batch& batch) {
    const int n = model.input_size(), wc = model.weight_count(0), m = n > 0 ? wc / n : 0;
    if (m * n != wc || batch.B <= 0) return;
    float* gw = model.grads() + model.param_offset(0);
    TractScratch& s = *scratch;
    s.gw.assign(gw, gw + wc);
    s.tmp.assign(batch.x, batch.x + size_t(batch.B) * n);
    if (tract_transform_weight_grad(s.gw.data(), s.tmp.data(), batch.B, m, n, lambda, s))
      for (int i = 0; i < wc; ++i) gw[i] = float(s.gw[size_t(i)]);
  };
}

}  // namespace nn
