// linear.h - fully connected layers (llm.c style: explicit forward/backward).
//
// Conventions shared by every layer in engine/nn:
//   * row-major float arrays, the batch is the slowest index, shapes in comments;
//   * <op>_forward writes its output (overwrites);
//   * <op>_backward ACCUMULATES (+=) into dx and into the parameter grads, so a
//     caller zeroes grads once per step and several consumers of one tensor just
//     add up; pass dx = nullptr when the input gradient is not needed.
#pragma once

namespace nn {

// Linear: out = x W^T + b                      (Goodfellow et al., Deep Learning, 6.1)
// x is (B, I), W is (O, I) (one row per output unit), b is (O,) or nullptr, out is (B, O).
void linear_forward(float* out, const float* x, const float* W, const float* b, int B, int I, int O);

// dx += dout W,  dW += dout^T x,  db += sum_b dout     (dout is (B, O))
void linear_backward(float* dx, float* dW, float* db, const float* dout, const float* x,
                     const float* W, int B, int I, int O);

// Cosine linear: the class weights are normalized, w^_k = w_k / ||w_k||, and
// out = x w^^T, no bias.  With unit-norm x (an l2norm layer before it) the
// outputs are cosines cos(theta_k) in [-1, 1], the input of the normalized
// softmax, ArcFace/CosFace/ElasticFace and hyperspherical heads.
// x is (B, I), W is (O, I), out is (B, O).
// scratch_w_hat is (O, I) and scratch_norms is (O,): forward fills them,
// backward reads them (so call backward right after the matching forward).
void cosine_linear_forward(float* out, float* scratch_w_hat, float* scratch_norms, const float* x,
                           const float* W, int B, int I, int O);

// dx += dout w^;  dW_k += (dw^_k - w^_k (w^_k . dw^_k)) / ||w_k||  with dw^ = dout^T x.
// scratch_dw_hat is (O, I).
void cosine_linear_backward(float* dx, float* dW, float* scratch_dw_hat, const float* dout,
                            const float* x, const float* scratch_w_hat,
                            const float* scratch_norms, int B, int I, int O);

}  // namespace nn
