// loss.cpp - the helpers declared in loss.h.
#include "engine/nn/loss.h"

#include "engine/nn/nnmath.h"

namespace nn {

int argmax_row(const float* row, int C) {
  int best = 0;
  for (int j = 1; j < C; ++j) {
    if (row[j] > row[best]) best = j;
  }
  return best;
}

void softmax_rows(float* probs, const float* logits, int B, int C, float scale) {
  for (int b = 0; b < B; ++b) {
    const float* z = logits + b * C;
    float* p = probs + b * C;
    float zmax = scale * z[0];
    for (int j = 1; j < C; ++j) zmax = scale * z[j] > zmax ? scale * z[j] : zmax;
    float sum = 0.0f;
    for (int j = 0; j < C; ++j) {
      p[j] = nnmath::expf(scale * z[j] - zmax);
      sum += p[j];
    }
    const float inv = 1.0f / sum;
    for (int j = 0; j < C; ++j) p[j] *= inv;
  }
}

void Loss::probabilities(const float* logits, int B, int C, float* probs) const {
  softmax_rows(probs, logits, B, C, 1.0f);
}

}  // namespace nn
