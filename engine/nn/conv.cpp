// conv.cpp - see conv.h.
#include "engine/nn/conv.h"

#include "engine/kernels/gemm.h"

namespace nn {

// Output columns ox whose input column ox + j - pad lies inside the image:
// [lo, hi) (hi <= lo when none does, e.g. a 5-wide kernel on a 1-wide map).
static inline void valid_columns(int j, const ConvShape& s, int& lo, int& hi) {
  const int OW = s.out_width();
  lo = s.pad - j > 0 ? s.pad - j : 0;
  hi = s.width + s.pad - j < OW ? s.width + s.pad - j : OW;
  if (hi < lo) hi = lo;
}

// col (IC*K*K, OH*OW): row (c, i, j) holds the input pixel that kernel tap
// (i, j) of channel c sees at every output position, 0 outside the image.
// Each output row is a zero head, a copied run of the input row and a zero
// tail, so the inner loops have no per-pixel bounds test (it was 30% of a
// CNN training step natively with one).
static void im2col(float* col, const float* x, const ConvShape& s) {
  const int OH = s.out_height(), OW = s.out_width(), K = s.kernel;
  for (int c = 0; c < s.in_channels; ++c) {
    const float* plane = x + c * s.height * s.width;
    for (int i = 0; i < K; ++i) {
      for (int j = 0; j < K; ++j) {
        float* row = col + ((c * K + i) * K + j) * OH * OW;
        int lo, hi;
        valid_columns(j, s, lo, hi);
        for (int oy = 0; oy < OH; ++oy) {
          const int y = oy + i - s.pad;
          float* dst = row + oy * OW;
          if (y < 0 || y >= s.height) {
            for (int ox = 0; ox < OW; ++ox) dst[ox] = 0.0f;
            continue;
          }
          const float* src = plane + y * s.width;
          const int shift = j - s.pad;  // output column ox reads input column ox + shift
          for (int ox = 0; ox < lo; ++ox) dst[ox] = 0.0f;
          for (int ox = lo; ox < hi; ++ox) dst[ox] = src[ox + shift];
          for (int ox = hi; ox < OW; ++ox) dst[ox] = 0.0f;
        }
      }
    }
  }
}

// The adjoint of im2col: every col entry adds back into the pixel it was copied from.
static void col2im_accumulate(float* dx, const float* dcol, const ConvShape& s) {
  const int OH = s.out_height(), OW = s.out_width(), K = s.kernel;
  for (int c = 0; c < s.in_channels; ++c) {
    float* plane = dx + c * s.height * s.width;
    for (int i = 0; i < K; ++i) {
      for (int j = 0; j < K; ++j) {
        const float* row = dcol + ((c * K + i) * K + j) * OH * OW;
        int lo, hi;
        valid_columns(j, s, lo, hi);
        for (int oy = 0; oy < OH; ++oy) {
          const int y = oy + i - s.pad;
          if (y < 0 || y >= s.height) continue;
          const float* src = row + oy * OW;
          float* dst = plane + y * s.width;
          const int shift = j - s.pad;
          for (int ox = lo; ox < hi; ++ox) dst[ox + shift] += src[ox];
        }
      }
    }
  }
}

void conv2d_forward(float* out, float* scratch_col, const float* x, const float* W,
                    const float* bias, const ConvShape& s) {
  const int positions = s.out_height() * s.out_width(), patch = s.patch_size();
  const int in_size = s.in_channels * s.height * s.width, out_size = s.out_channels * positions;
  for (int b = 0; b < s.batch; ++b) {
    im2col(scratch_col, x + b * in_size, s);
    float* out_b = out + b * out_size;
    // out_b (OC, OH*OW) = W (OC, patch) * col (patch, OH*OW)
    kern::gemm(false, false, s.out_channels, positions, patch, 1.0f, W, patch, scratch_col,
               positions, 0.0f, out_b, positions);
    if (bias) {
      for (int o = 0; o < s.out_channels; ++o) {
        float* plane = out_b + o * positions;
        for (int p = 0; p < positions; ++p) plane[p] += bias[o];
      }
    }
  }
}

void conv2d_backward(float* dx, float* dW, float* dbias, float* scratch_col, float* scratch_dcol,
                     const float* dout, const float* x, const float* W, const ConvShape& s) {
  const int positions = s.out_height() * s.out_width(), patch = s.patch_size();
  const int in_size = s.in_channels * s.height * s.width, out_size = s.out_channels * positions;
  for (int b = 0; b < s.batch; ++b) {
    const float* dout_b = dout + b * out_size;
    // Recomputing the im2col matrix costs less memory than keeping B of them.
    im2col(scratch_col, x + b * in_size, s);
    // dW (OC, patch) += dout_b (OC, positions) * col^T (positions, patch)
    kern::gemm(false, true, s.out_channels, patch, positions, 1.0f, dout_b, positions, scratch_col,
               positions, 1.0f, dW, patch);
    if (dbias) {
      for (int o = 0; o < s.out_channels; ++o) {
        const float* plane = dout_b + o * positions;
        float sum = 0.0f;
        for (int p = 0; p < positions; ++p) sum += plane[p];
        dbias[o] += sum;
      }
    }
    if (dx) {
      // dcol (patch, positions) = W^T (patch, OC) * dout_b (OC, positions)
      kern::gemm(true, false, patch, positions, s.out_channels, 1.0f, W, patch, dout_b, positions,
                 0.0f, scratch_dcol, positions);
      col2im_accumulate(dx + b * in_size, scratch_dcol, s);
    }
  }
}

void maxpool2x2_forward(float* out, int* argmax, const float* x, int B, int C, int H, int W) {
  const int OH = H / 2, OW = W / 2;
  for (int plane = 0; plane < B * C; ++plane) {
    const float* in = x + plane * H * W;
    float* o = out + plane * OH * OW;
    int* a = argmax + plane * OH * OW;
    for (int oy = 0; oy < OH; ++oy) {
      for (int ox = 0; ox < OW; ++ox) {
        int best = (2 * oy) * W + 2 * ox;
        const int candidates[3] = {best + 1, best + W, best + W + 1};
        for (int c : candidates) {
          if (in[c] > in[best]) best = c;  // ties keep the first (top-left) element
        }
        o[oy * OW + ox] = in[best];
        a[oy * OW + ox] = best;
      }
    }
  }
}

void maxpool2x2_backward(float* dx, const float* dout, const int* argmax, int B, int C, int H, int W) {
  const int OH = H / 2, OW = W / 2;
  for (int plane = 0; plane < B * C; ++plane) {
    float* d = dx + plane * H * W;
    const float* g = dout + plane * OH * OW;
    const int* a = argmax + plane * OH * OW;
    for (int p = 0; p < OH * OW; ++p) d[a[p]] += g[p];
  }
}

}  // namespace nn
