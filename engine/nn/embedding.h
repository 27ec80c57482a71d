// embedding.h - token embedding lookup (a linear layer on one-hot inputs, done as a gather).
#pragma once

namespace nn {

// out[b, t, :] = W[ids[b, t], :]
// ids is (B, T) token ids stored as floats (so a model's input stays one float
// array; integers below 2^24 are exact), W is (V, D), out is (B, T, D).
// Ids outside [0, V) are clamped (never read out of bounds).
void embedding_forward(float* out, const float* ids, const float* W, int B, int T, int V, int D);

// dW[ids[b, t], :] += dout[b, t, :]   (no gradient flows to the ids)
void embedding_backward(float* dW, const float* dout, const float* ids, int B, int T, int V, int D);

}  // namespace nn
