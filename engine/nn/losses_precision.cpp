// losses_precision.cpp - see losses_precision.h.
#include "engine/nn/losses_precision.h"

#include "engine/rng.h"

namespace nn {

void PrecisionSoftmaxCrossEntropy::reserve(int max_batch, int classes) {
  (void)max_batch;
  terms_.assign(classes > 0 ? classes : 1, 0.0);
}

float PrecisionSoftmaxCrossEntropy::forward(const float* logits, const int* labels, int B, int C) {
  if (int(terms_.size()) < C) terms_.assign(C, 0.0);  // only when reserve() was skipped
  double total = 0.0;
  collapsed_ = 0;
  for (int b = 0; b < B; ++b) {
    const float* z = logits + b * C;
    int best = 0;
    const double S = softmax_normalizer(z, C, precision, order, terms_.data(), &best);
    const double loss = detmath::log(S) - (double(z[labels[b]]) - double(z[best]));
    if (loss == 0.0) ++collapsed_;
    total += loss;
  }
  return B > 0 ? float(total / B) : 0.0f;
}

void PrecisionSoftmaxCrossEntropy::backward(const float* logits, const int* labels, int B, int C, float* dlogits) {
  if (int(terms_.size()) < C) terms_.assign(C, 0.0);
  const double inv_b = 1.0 / B;
  for (int b = 0; b < B; ++b) {
    const float* z = logits + b * C;
    const double S = softmax_normalizer(z, C, precision, order, terms_.data(), nullptr);
    for (int j = 0; j < C; ++j) {
      const double p = round_to(precision, terms_[j] / S);
      dlogits[b * C + j] = float((p - (j == labels[b] ? 1.0 : 0.0)) * inv_b);
    }
  }
}

void PrecisionSoftmaxCrossEntropy::probabilities(const float* logits, int B, int C, float* probs) const {
  if (int(terms_.size()) < C) terms_.assign(C, 0.0);
  for (int b = 0; b < B; ++b) {
    const double S = softmax_normalizer(logits + b * C, C, precision, order, terms_.data(), nullptr);
    for (int j = 0; j < C; ++j) probs[b * C + j] = float(round_to(precision, terms_[j] / S));
  }
}

}  // namespace nn
