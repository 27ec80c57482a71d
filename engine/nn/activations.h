// activations.h - elementwise nonlinearities with explicit backward.
//
// All act on flat arrays of n = B * D values (the shape does not matter).
// Backward ACCUMULATES into dx (see linear.h for the conventions).  Backward
// takes the forward input x (and, where cheaper, the output) so no extra cache
// is needed.  The exponentials are the engine's shared exp (vexp.h), so native
// and wasm agree bit for bit.
#pragma once

namespace nn {

// ReLU: out = max(0, x);  dx += dout * [x > 0]
void relu_forward(float* out, const float* x, int n);
void relu_backward(float* dx, const float* dout, const float* x, int n);

// GELU, tanh form (Hendrycks & Gimpel 2016, eq. in sec. 2):
//   out = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
// evaluated as x sigmoid(2 sqrt(2/pi) (x + 0.044715 x^3)), the same function
// without cancellation for negative x.
void gelu_forward(float* out, const float* x, int n);
void gelu_backward(float* dx, const float* dout, const float* x, int n);

// tanh: out = tanh(x);  dx += dout * (1 - out^2)
void tanh_forward(float* out, const float* x, int n);
void tanh_backward(float* dx, const float* dout, const float* out, int n);

// sigmoid: out = 1 / (1 + e^-x);  dx += dout * out (1 - out)
void sigmoid_forward(float* out, const float* x, int n);
void sigmoid_backward(float* dx, const float* dout, const float* out, int n);

}  // namespace nn
