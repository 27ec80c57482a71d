// losses_margin.cpp - see losses_margin.h.
#include "engine/nn/losses_margin.h"

#include <cmath>

#include "engine/rng.h"

namespace nn {

// ----------------------------------------------------------------- hinge

float MultiClassHinge::forward(const float* logits, const int* labels, int B, int C) {
  double total = 0.0;
  for (int b = 0; b < B; ++b) {
    const float* o = logits + b * C;
    for (int k = 0; k < C; ++k) {
      const float t = k == labels[b] ? 1.0f : -1.0f;
      const float slack = 1.0f - t * o[k];
      if (slack > 0.0f) total += squared ? double(slack) * slack : double(slack);
    }
  }
  return float(double(c_svm) * total / (class_mean ? double(B) * C : double(B)));
}

void MultiClassHinge::backward(const float* logits, const int* labels, int B, int C, float* dlogits) {
  const float factor = c_svm / (class_mean ? float(B) * float(C) : float(B));
  for (int b = 0; b < B; ++b) {
    const float* o = logits + b * C;
    float* d = dlogits + b * C;
    for (int k = 0; k < C; ++k) {
      const float t = k == labels[b] ? 1.0f : -1.0f;
      const float slack = 1.0f - t * o[k];
      if (slack > 0.0f) d[k] = squared ? -2.0f * factor * t * slack : -factor * t;
      else d[k] = 0.0f;
    }
  }
}

// ----------------------------------------------------------------- Z-loss

// A row of identical scores has sigma = 0 and no direction; the tiny floor
// keeps z finite (all zeros) without measurably breaking the invariance.
static const double kMinVariance = 1e-30;

struct RowMoments {
  double mu, sigma;
};

static RowMoments moments(const float* o, int C) {
  double sum = 0.0;
  for (int k = 0; k < C; ++k) sum += o[k];
  const double mu = sum / C;
  double sq = 0.0;
  for (int k = 0; k < C; ++k) sq += (o[k] - mu) * (o[k] - mu);
  return {mu, std::sqrt(sq / C + kMinVariance)};
}

void ZLoss::z_scores(const float* row, int C, double* z) {
  const RowMoments m = moments(row, C);
  for (int k = 0; k < C; ++k) z[k] = (row[k] - m.mu) / m.sigma;
}

// softplus(u) = max(u, 0) + log(1 + e^-|u|), stable for any u.
static double softplus(double u) { return std::fmax(u, 0.0) + detmath::log(1.0 + detmath::exp(-std::fabs(u))); }
static double sigmoid(double u) {
  if (u >= 0.0) return 1.0 / (1.0 + detmath::exp(-u));
  const double e = detmath::exp(u);
  return e / (1.0 + e);
}

float ZLoss::forward(const float* logits, const int* labels, int B, int C) {
  double total = 0.0;
  for (int r = 0; r < B; ++r) {
    const float* o = logits + r * C;
    const RowMoments m = moments(o, C);
    const double zc = (o[labels[r]] - m.mu) / m.sigma;
    total += softplus(double(a) * (double(b) - zc)) / a;
  }
  return float(total / B);
}

void ZLoss::backward(const float* logits, const int* labels, int B, int C, float* dlogits) {
  for (int r = 0; r < B; ++r) {
    const float* o = logits + r * C;
    float* d = dlogits + r * C;
    const RowMoments m = moments(o, C);
    const int c = labels[r];
    const double zc = (o[c] - m.mu) / m.sigma;
    const double dL_dzc = -sigmoid(double(a) * (double(b) - zc)) / B;
    for (int k = 0; k < C; ++k) {
      const double zk = (o[k] - m.mu) / m.sigma;
      const double dzc_dok = ((k == c ? 1.0 : 0.0) - 1.0 / C - zc * zk / C) / m.sigma;
      d[k] = float(dL_dzc * dzc_dok);
    }
  }
}

}  // namespace nn
