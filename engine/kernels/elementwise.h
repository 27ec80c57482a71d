// elementwise.h - activation functions over arrays, built on the shared exp
// (vexp.h).  x and y are (n); y may be the same array as x.
//
// Each fast kernel (4 lanes through simd.h, scalar tail) and its _ref twin
// perform the same float operations element by element, so they agree bit
// for bit on every backend.  Accuracy vs a double reference (tests):
//   exp       <= 2 ulp on [-87.3, 88.7]; subnormal results only down to
//             e^-87.68, 0 below; +inf above 88.72
//   sigmoid   <= 4 ulp
//   tanh      <= 4 ulp
//   gelu      x >= 0: <= 4 ulp; x < 0: the inner argument z is rounded in
//             float, which costs ~|z| ulp where the result is small, and
//             results below |x| 2^-126 (x < -10) flush to 0.
#pragma once
#include <cstddef>

namespace kern {

// y = e^x
void exp_forward(const float* x, float* y, size_t n);
void exp_forward_ref(const float* x, float* y, size_t n);

// y = 1 / (1 + e^-x)
void sigmoid_forward(const float* x, float* y, size_t n);
void sigmoid_forward_ref(const float* x, float* y, size_t n);

// y = tanh x: an odd polynomial for |x| < 0.55, else (1 - e^-2|x|) / (1 + e^-2|x|)
void tanh_forward(const float* x, float* y, size_t n);
void tanh_forward_ref(const float* x, float* y, size_t n);

// GELU, tanh form (Hendrycks & Gimpel 2016, as in GPT-2 / llm.c):
//   y = 0.5 x (1 + tanh z),  z = sqrt(2/pi) (x + 0.044715 x^3)
// evaluated as the identical y = x sigmoid(2z), which has no cancellation
// for negative x (1 + tanh z -> 0 there).  gelu(-inf) = 0.
void gelu_forward(const float* x, float* y, size_t n);
void gelu_forward_ref(const float* x, float* y, size_t n);

}  // namespace kern
