// losses_vector.cpp - see losses_vector.h.
#include "engine/nn/losses_vector.h"

#include "engine/rng.h"

namespace nn {

// Target j of row b: the vector's entry, or the label's one-hot entry.
static inline double target_at(const Targets& t, int b, int j, int C) {
  if (t.values) return t.values[size_t(b) * C + j];
  return t.labels[b] == j ? 1.0 : 0.0;
}

static Targets from_labels(const int* labels) {
  Targets t;
  t.labels = labels;
  return t;
}

float MeanSquaredError::forward_targets(const float* logits, const Targets& t, int B, int C) {
  double sum = 0.0;
  for (int b = 0; b < B; ++b)
    for (int j = 0; j < C; ++j) {
      const double e = double(logits[b * C + j]) - target_at(t, b, j, C);
      sum += e * e;
    }
  return B > 0 ? float(sum / (double(B) * C)) : 0.0f;
}

void MeanSquaredError::backward_targets(const float* logits, const Targets& t, int B, int C, float* dlogits) {
  const double k = 2.0 / (double(B) * C);
  for (int b = 0; b < B; ++b)
    for (int j = 0; j < C; ++j) dlogits[b * C + j] = float(k * (double(logits[b * C + j]) - target_at(t, b, j, C)));
}

float MeanSquaredError::forward(const float* logits, const int* labels, int B, int C) {
  return forward_targets(logits, from_labels(labels), B, C);
}

void MeanSquaredError::backward(const float* logits, const int* labels, int B, int C, float* dlogits) {
  backward_targets(logits, from_labels(labels), B, C, dlogits);
}

// log-sum-exp of row z (C,) in double, max subtracted first.
static double log_sum_exp(const float* z, int C, double* zmax_out) {
  double zmax = z[0];
  for (int j = 1; j < C; ++j) zmax = z[j] > zmax ? z[j] : zmax;
  double s = 0.0;
  for (int j = 0; j < C; ++j) s += detmath::exp(double(z[j]) - zmax);
  *zmax_out = zmax;
  return zmax + detmath::log(s);
}

float SoftTargetCrossEntropy::forward_targets(const float* logits, const Targets& t, int B, int C) {
  double total = 0.0;
  for (int b = 0; b < B; ++b) {
    const float* z = logits + b * C;
    double zmax = 0.0;
    const double lse = log_sum_exp(z, C, &zmax);
    for (int j = 0; j < C; ++j) total -= target_at(t, b, j, C) * (double(z[j]) - lse);
  }
  return B > 0 ? float(total / B) : 0.0f;
}

void SoftTargetCrossEntropy::backward_targets(const float* logits, const Targets& t, int B, int C, float* dlogits) {
  for (int b = 0; b < B; ++b) {
    const float* z = logits + b * C;
    double zmax = 0.0;
    const double lse = log_sum_exp(z, C, &zmax);
    double mass = 0.0;
    for (int j = 0; j < C; ++j) mass += target_at(t, b, j, C);
    for (int j = 0; j < C; ++j) {
      const double p = detmath::exp(double(z[j]) - lse);
      dlogits[b * C + j] = float((p * mass - target_at(t, b, j, C)) / B);
    }
  }
}

float SoftTargetCrossEntropy::forward(const float* logits, const int* labels, int B, int C) {
  return forward_targets(logits, from_labels(labels), B, C);
}

void SoftTargetCrossEntropy::backward(const float* logits, const int* labels, int B, int C, float* dlogits) {
  backward_targets(logits, from_labels(labels), B, C, dlogits);
}

}  // namespace nn
