// embedding.cpp - see embedding.h.
#include "engine/nn/embedding.h"

namespace nn {

static int token_index(float id, int V) {
  if (!(id >= 0.0f)) return 0;  // also catches NaN
  const int i = int(id);
  return i < V ? i : V - 1;
}

void embedding_forward(float* out, const float* ids, const float* W, int B, int T, int V, int D) {
  for (int bt = 0; bt < B * T; ++bt) {
    const float* row = W + token_index(ids[bt], V) * D;
    float* o = out + bt * D;
    for (int i = 0; i < D; ++i) o[i] = row[i];
  }
}

void embedding_backward(float* dW, const float* dout, const float* ids, int B, int T, int V, int D) {
  for (int bt = 0; bt < B * T; ++bt) {
    float* row = dW + token_index(ids[bt], V) * D;
    const float* g = dout + bt * D;
    for (int i = 0; i < D; ++i) row[i] += g[i];
  }
}

}  // namespace nn
