// norm.h - per-row normalizations: layer norm and L2 normalization.
// Backward ACCUMULATES (see linear.h).
#pragma once

namespace nn {

// Layer norm (Ba, Kiros & Hinton 2016, eq. 4), per row of x:
//   mu = mean(x), rstd = 1 / sqrt(var(x) + eps), out = (x - mu) rstd gamma + beta
// x, out are (B, D); gamma, beta are (D,); mean, rstd (B,) are cached for backward.
void layernorm_forward(float* out, float* mean, float* rstd, const float* x, const float* gamma,
                       const float* beta, int B, int D, float eps = 1e-5f);

// With xhat = (x - mu) rstd and g = gamma * dout:
//   dx += rstd (g - mean(g) - xhat mean(g xhat)),  dgamma += sum_b dout xhat,  dbeta += sum_b dout
void layernorm_backward(float* dx, float* dgamma, float* dbeta, const float* dout, const float* x,
                        const float* mean, const float* rstd, const float* gamma, int B, int D);

// L2 normalization, per row: out = x / ||x||, so every row lies on the unit
// sphere (hyperspherical embeddings, cosine classifiers).  A zero row stays 0
// (the norm is clamped at 1e-12).  x, out are (B, D); norms (B,) cached.
void l2norm_forward(float* out, float* norms, const float* x, int B, int D);

// dx += (dout - out (out . dout)) / ||x||: only the tangential part of dout survives.
void l2norm_backward(float* dx, const float* dout, const float* out, const float* norms, int B, int D);

}  // namespace nn
