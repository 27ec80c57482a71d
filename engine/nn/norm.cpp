// norm.cpp - see norm.h.
#include "engine/nn/norm.h"

#include <cmath>

namespace nn {

void layernorm_forward(float* out, float* mean, float* rstd, const float* x, const float* gamma,
                       const float* beta, int B, int D, float eps) {
  for (int b = 0; b < B; ++b) {
    const float* xr = x + b * D;
    float sum = 0.0f;
    for (int i = 0; i < D; ++i) sum += xr[i];
    const float mu = sum / D;
    float sum_sq = 0.0f;
    for (int i = 0; i < D; ++i) sum_sq += (xr[i] - mu) * (xr[i] - mu);
    const float rs = 1.0f / std::sqrt(sum_sq / D + eps);
    float* o = out + b * D;
    for (int i = 0; i < D; ++i) o[i] = (xr[i] - mu) * rs * gamma[i] + beta[i];
    mean[b] = mu;
    rstd[b] = rs;
  }
}

void layernorm_backward(float* dx, float* dgamma, float* dbeta, const float* dout, const float* x,
                        const float* mean, const float* rstd, const float* gamma, int B, int D) {
  for (int b = 0; b < B; ++b) {
    const float* xr = x + b * D;
    const float* g = dout + b * D;
    const float mu = mean[b], rs = rstd[b];
    float g_mean = 0.0f, g_xhat_mean = 0.0f;
    for (int i = 0; i < D; ++i) {
      const float xhat = (xr[i] - mu) * rs;
      const float dnorm = gamma[i] * g[i];
      g_mean += dnorm;
      g_xhat_mean += dnorm * xhat;
    }
    g_mean /= D;
    g_xhat_mean /= D;
    for (int i = 0; i < D; ++i) {
      const float xhat = (xr[i] - mu) * rs;
      const float dnorm = gamma[i] * g[i];
      dgamma[i] += g[i] * xhat;
      dbeta[i] += g[i];
      if (dx) dx[b * D + i] += (dnorm - g_mean - xhat * g_xhat_mean) * rs;
    }
  }
}

static const float kMinNorm = 1e-12f;

void l2norm_forward(float* out, float* norms, const float* x, int B, int D) {
  for (int b = 0; b < B; ++b) {
    const float* xr = x + b * D;
    float sum_sq = 0.0f;
    for (int i = 0; i < D; ++i) sum_sq += xr[i] * xr[i];
    float n = std::sqrt(sum_sq);
    if (n < kMinNorm) n = kMinNorm;
    norms[b] = n;
    float* o = out + b * D;
    for (int i = 0; i < D; ++i) o[i] = xr[i] / n;
  }
}

void l2norm_backward(float* dx, const float* dout, const float* out, const float* norms, int B, int D) {
  for (int b = 0; b < B; ++b) {
    const float* o = out + b * D;
    const float* g = dout + b * D;
    float radial = 0.0f;
    for (int i = 0; i < D; ++i) radial += o[i] * g[i];
    const float inv = 1.0f / norms[b];
    float* d = dx + b * D;
    for (int i = 0; i < D; ++i) d[i] += (g[i] - o[i] * radial) * inv;
  }
}

}  // namespace nn
