// losses_topk.cpp - see losses_topk.h.
#include "engine/nn/losses_topk.h"

#include <cmath>

#include "engine/nn/nnmath.h"
#include "engine/rng.h"

namespace nn {

// sigmoid(x) and log sigmoid(x) in double, stable for either sign, through
// detmath (identical natively and in wasm).
static double sigmoid_d(double x) {
  if (x >= 0.0) return 1.0 / (1.0 + detmath::exp(-x));
  const double e = detmath::exp(x);
  return e / (1.0 + e);
}
static double log_sigmoid_d(double x) {
  // log sigmoid(x) = -softplus(-x) = -(max(-x, 0) + log(1 + e^-|x|))
  return -((x < 0.0 ? -x : 0.0) + detmath::log(1.0 + detmath::exp(-std::fabs(x))));
}

double soft_topk_forward(const double* s, int C, double k, double alpha, int iterations, double* p) {
  if (C <= 0) return 0.0;
  // k in (0, C): sum_j p_j lies strictly between 0 and C.
  const double k_min = 1e-6, k_max = C - 1e-6;
  k = k < k_min ? k_min : (k > k_max ? k_max : k);
  double s_max = s[0], s_min = s[0];
  for (int j = 1; j < C; ++j) s_max = std::fmax(s_max, s[j]), s_min = std::fmin(s_min, s[j]);
  double lo = -s_max - 10.0 / alpha, hi = -s_min + 10.0 / alpha;
  const double lo0 = lo, hi0 = hi;  // the float bisection's final bracket may miss the double root
  // The bisection only compares sum_j p_j with k: float sigmoids (nnmath,
  // identical natively and in wasm) are exact enough for that and several
  // times cheaper than double ones; p itself is then computed in double.
  for (int it = 0; it < iterations; ++it) {
    const double t = 0.5 * (lo + hi);
    float sum = 0.0f;
    for (int j = 0; j < C; ++j) sum += nnmath::sigmoidf(float(alpha * (s[j] + t)));
    if (sum < k) lo = t;
    else hi = t;
  }
  // Then safeguarded Newton steps in double, f(t) = sum_j p_j - k, f'(t) =
  // sum_j v_j, until |f| < 1e-12 k (a step leaving the bracket [a, b] that
  // still holds the root is replaced by its midpoint): sum p = k to double
  // precision, which the Jacobian (derived from the exact constraint) assumes.
  // The official code stops after its float32 halvings; the difference is
  // below float precision.
  double t = 0.5 * (lo + hi), a = lo0, b = hi0;
  for (int it = 0; it < 60; ++it) {
    double sum = 0.0, slope = 0.0;
    for (int j = 0; j < C; ++j) {
      const double pj = sigmoid_d(alpha * (s[j] + t));
      sum += pj;
      slope += alpha * pj * (1.0 - pj);
    }
    const double f = sum - k;
    if (std::fabs(f) <= 1e-12 * k) break;
    if (f < 0.0) a = t;
    else b = t;
    double next = slope > 0.0 ? t - f / slope : 0.5 * (a + b);
    if (!(next > a && next < b)) next = 0.5 * (a + b);
    t = next;
  }
  for (int j = 0; j < C; ++j) p[j] = sigmoid_d(alpha * (s[j] + t));
  return t;
}

void soft_topk_backward(const double* p, int C, double alpha, const double* dp, double* ds) {
  // ds = diag(v) dp - v (v . dp) / sum v
  double v_sum = 0.0, v_dot = 0.0;
  for (int j = 0; j < C; ++j) {
    const double v = alpha * p[j] * (1.0 - p[j]);
    v_sum += v;
    v_dot += v * dp[j];
  }
  const double ratio = v_sum > 0.0 ? v_dot / v_sum : 0.0;
  for (int j = 0; j < C; ++j) {
    const double v = alpha * p[j] * (1.0 - p[j]);
    ds[j] = v * dp[j] - v * ratio;
  }
}

void SoftTopKLoss::reserve(int max_batch, int classes) {
  PositiveSetLoss::reserve(max_batch, classes);
  scores_.assign(classes, 0.0);
  p_.assign(classes, 0.0);
  batch_p_.assign(size_t(max_batch) * classes, 0.0);
}

double SoftTopKLoss::row_topk(const float* z, int C) {
  if (int(scores_.size()) < C) scores_.assign(C, 0.0), p_.assign(C, 0.0);
  for (int j = 0; j < C; ++j) scores_[j] = double(scale) * z[j];
  return soft_topk_forward(scores_.data(), C, k, alpha, iterations, p_.data());
}

float SoftTopKLoss::forward(const float* logits, const int* labels, int B, int C) {
  if (batch_p_.size() < size_t(B) * C) batch_p_.assign(size_t(B) * C, 0.0);
  double total = 0.0;
  for (int b = 0; b < B; ++b) {
    const int count = mark_row(labels, b, C);
    if (count == 0) continue;
    const double t = row_topk(logits + size_t(b) * C, C);
    for (int j = 0; j < C; ++j) batch_p_[size_t(b) * C + j] = p_[j];
    double row = 0.0;  // sum_{l in P} log p_l, as log sigmoid (finite for any score)
    for (int l = 0; l < C; ++l)
      if (is_positive_[l]) row += log_sigmoid_d(alpha * (scores_[l] + t));
    total += -row / count;
  }
  return float(total / B);
}

void SoftTopKLoss::backward(const float*, const int* labels, int B, int C, float* dlogits) {
  for (int b = 0; b < B; ++b) {
    float* d = dlogits + size_t(b) * C;
    for (int j = 0; j < C; ++j) d[j] = 0.0f;
    const int count = mark_row(labels, b, C);
    if (count == 0) continue;
    // p from the forward of this batch (the bisection is the expensive part)
    const double* p_row = batch_p_.data() + size_t(b) * C;
    for (int j = 0; j < C; ++j) p_[j] = p_row[j];
    double v_sum = 0.0, pos_sum = 0.0;  // sum_j v_j, sum_{l in P} alpha (1 - p_l)
    for (int j = 0; j < C; ++j) {
      v_sum += alpha * p_[j] * (1.0 - p_[j]);
      if (is_positive_[j]) pos_sum += alpha * (1.0 - p_[j]);
    }
    const double ratio = v_sum > 0.0 ? pos_sum / v_sum : 0.0;
    const double factor = -double(scale) / (double(B) * count);
    for (int j = 0; j < C; ++j) {
      const double v = alpha * p_[j] * (1.0 - p_[j]);
      const double g = (is_positive_[j] ? alpha * (1.0 - p_[j]) : 0.0) - v * ratio;
      d[j] = float(factor * g);
    }
  }
}

}  // namespace nn
