// conv.h - small 2-D convolution and 2x2 max pooling, NCHW, for 28x28 and 8x8 images.
//
// Convolution is stride 1 with 'valid' (pad 0) or 'same' (pad K/2, odd K)
// padding, computed per sample as im2col + one GEMM (Chellapilla et al. 2006),
// so the hot loop is kern::gemm.  Backward ACCUMULATES (see linear.h).
#pragma once

namespace nn {

enum class Padding { valid, same };

struct ConvShape {
  int batch = 0;
  int in_channels = 0, height = 0, width = 0;
  int out_channels = 0, kernel = 3;
  int pad = 0;  // 0 for 'valid', kernel / 2 for 'same'
  int out_height() const { return height + 2 * pad - kernel + 1; }
  int out_width() const { return width + 2 * pad - kernel + 1; }
  int patch_size() const { return in_channels * kernel * kernel; }  // rows of the im2col matrix
  // floats of the per-sample im2col scratch (patch_size x out_height*out_width)
  int col_size() const { return patch_size() * out_height() * out_width(); }
};

inline int padding_amount(Padding padding, int kernel) { return padding == Padding::same ? kernel / 2 : 0; }

// out[b, o, y, x] = bias[o] + sum_{c, i, j} W[o, c, i, j] * x[b, c, y + i - pad, x + j - pad]
// x is (B, IC, H, W), W is (OC, IC, K, K), bias is (OC,) or nullptr, out is (B, OC, OH, OW).
// scratch_col holds col_size() floats.
void conv2d_forward(float* out, float* scratch_col, const float* x, const float* W,
                    const float* bias, const ConvShape& s);

// dW += dout_b col_b^T, dbias += sum over positions of dout, dx += col2im(W^T dout_b).
// scratch_col and scratch_dcol hold col_size() floats each.
void conv2d_backward(float* dx, float* dW, float* dbias, float* scratch_col, float* scratch_dcol,
                     const float* dout, const float* x, const float* W, const ConvShape& s);

// 2x2 max pooling, stride 2 (odd sizes drop the last row/column, 7 -> 3).
// x is (B, C, H, W), out is (B, C, H/2, W/2); argmax (same size as out) records
// which input element (index within its H x W plane) won, for backward.
void maxpool2x2_forward(float* out, int* argmax, const float* x, int B, int C, int H, int W);

// dx[b, c, argmax] += dout[b, c, oy, ox]
void maxpool2x2_backward(float* dx, const float* dout, const int* argmax, int B, int C, int H, int W);

}  // namespace nn
