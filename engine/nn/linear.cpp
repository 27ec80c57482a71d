// linear.cpp - see linear.h.  The matrix products go through kern::gemm, the
// trainers' one hot loop; everything else here is O(B * O) bookkeeping.
#include "engine/nn/linear.h"

#include <cmath>

#include "engine/kernels/gemm.h"

namespace nn {

void linear_forward(float* out, const float* x, const float* W, const float* b, int B, int I, int O) {
  // out (B, O) = x (B, I) * W^T (I, O)
  kern::gemm(false, true, B, O, I, 1.0f, x, I, W, I, 0.0f, out, O);
  if (b) {
    for (int row = 0; row < B; ++row) {
      float* out_row = out + row * O;
      for (int o = 0; o < O; ++o) out_row[o] += b[o];
    }
  }
}

void linear_backward(float* dx, float* dW, float* db, const float* dout, const float* x,
                     const float* W, int B, int I, int O) {
  // dx (B, I) += dout (B, O) * W (O, I)
  if (dx) kern::gemm(false, false, B, I, O, 1.0f, dout, O, W, I, 1.0f, dx, I);
  // dW (O, I) += dout^T (O, B) * x (B, I)
  kern::gemm(true, false, O, I, B, 1.0f, dout, O, x, I, 1.0f, dW, I);
  if (db) {
    for (int row = 0; row < B; ++row) {
      const float* dout_row = dout + row * O;
      for (int o = 0; o < O; ++o) db[o] += dout_row[o];
    }
  }
}

// A row of zeros has no direction; clamping its norm keeps the output 0
// instead of NaN (and the gradient finite).
static const float kMinNorm = 1e-12f;

void cosine_linear_forward(float* out, float* scratch_w_hat, float* scratch_norms, const float* x,
                           const float* W, int B, int I, int O) {
  for (int k = 0; k < O; ++k) {
    const float* w = W + k * I;
    double sum_sq = 0.0;
    for (int i = 0; i < I; ++i) sum_sq += double(w[i]) * w[i];
    float norm = float(std::sqrt(sum_sq));
    if (norm < kMinNorm) norm = kMinNorm;
    scratch_norms[k] = norm;
    float* w_hat = scratch_w_hat + k * I;
    for (int i = 0; i < I; ++i) w_hat[i] = w[i] / norm;
  }
  // out (B, O) = x (B, I) * w^^T (I, O)
  kern::gemm(false, true, B, O, I, 1.0f, x, I, scratch_w_hat, I, 0.0f, out, O);
}

void cosine_linear_backward(float* dx, float* dW, float* scratch_dw_hat, const float* dout,
                            const float* x, const float* scratch_w_hat,
                            const float* scratch_norms, int B, int I, int O) {
  if (dx) kern::gemm(false, false, B, I, O, 1.0f, dout, O, scratch_w_hat, I, 1.0f, dx, I);
  // dw^ (O, I) = dout^T (O, B) * x (B, I)
  kern::gemm(true, false, O, I, B, 1.0f, dout, O, x, I, 0.0f, scratch_dw_hat, I);
  // Through w^ = w / ||w||: dw = (dw^ - w^ (w^ . dw^)) / ||w||  (the radial part drops out).
  for (int k = 0; k < O; ++k) {
    const float* w_hat = scratch_w_hat + k * I;
    const float* dw_hat = scratch_dw_hat + k * I;
    float radial = 0.0f;
    for (int i = 0; i < I; ++i) radial += w_hat[i] * dw_hat[i];
    const float inv_norm = 1.0f / scratch_norms[k];
    float* dw = dW + k * I;
    for (int i = 0; i < I; ++i) dw[i] += (dw_hat[i] - w_hat[i] * radial) * inv_norm;
  }
}

}  // namespace nn
