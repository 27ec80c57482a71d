// activations.cpp - see activations.h.  ReLU is written for 4 lanes through
// simd.h (with the same operation per element in the scalar tail);
// GELU/tanh/sigmoid forward use the shared SIMD kernels of
// engine/kernels/elementwise.h, and their backward passes are plain loops.
#include "engine/nn/activations.h"

#include "engine/kernels/elementwise.h"
#include "engine/nn/nnmath.h"
#include "engine/simd.h"

namespace nn {

void relu_forward(float* out, const float* x, int n) {
  const simd::f32x4 zero = simd::zero();
  int i = 0;
  for (; i + 4 <= n; i += 4) simd::store(out + i, simd::max(simd::load(x + i), zero));  // x > 0 ? x : 0
  for (; i < n; ++i) out[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

void relu_backward(float* dx, const float* dout, const float* x, int n) {
  const simd::f32x4 zero = simd::zero();
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    const simd::f32x4 pass = simd::cmpgt(simd::load(x + i), zero);
    simd::store(dx + i, simd::add(simd::load(dx + i), simd::bit_and(pass, simd::load(dout + i))));
  }
  for (; i < n; ++i) dx[i] += x[i] > 0.0f ? dout[i] : 0.0f;
}

static const float kGeluScale = 0.7978845608028654f;  // sqrt(2 / pi)
static const float kGeluCubic = 0.044715f;

void gelu_forward(float* out, const float* x, int n) { kern::gelu_forward(x, out, size_t(n)); }

// With u = sqrt(2/pi) (x + 0.044715 x^3), GELU = x sigmoid(2u), so
// d/dx = sigmoid(2u) + x * 2 sigmoid(2u) (1 - sigmoid(2u)) du/dx,
// du/dx = sqrt(2/pi) (1 + 3 * 0.044715 x^2).
void gelu_backward(float* dx, const float* dout, const float* x, int n) {
  for (int i = 0; i < n; ++i) {
    const float v = x[i];
    const float u = kGeluScale * (v + kGeluCubic * v * v * v);
    const float sg = nnmath::sigmoidf(2.0f * u);
    const float du = kGeluScale * (1.0f + 3.0f * kGeluCubic * v * v);
    dx[i] += (sg + v * 2.0f * sg * (1.0f - sg) * du) * dout[i];
  }
}

void tanh_forward(float* out, const float* x, int n) { kern::tanh_forward(x, out, size_t(n)); }

void tanh_backward(float* dx, const float* dout, const float* out, int n) {
  for (int i = 0; i < n; ++i) dx[i] += dout[i] * (1.0f - out[i] * out[i]);
}

void sigmoid_forward(float* out, const float* x, int n) { kern::sigmoid_forward(x, out, size_t(n)); }

void sigmoid_backward(float* dx, const float* dout, const float* out, int n) {
  for (int i = 0; i < n; ++i) dx[i] += dout[i] * out[i] * (1.0f - out[i]);
}

}  // namespace nn
