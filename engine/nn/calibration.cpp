// calibration.cpp - see calibration.h.
#include "engine/nn/calibration.h"

#include <cmath>

#include "engine/rng.h"

namespace nn {

namespace {
constexpr int kMaxBins = 100;

int top_class(const float* row, int C) {
  int best = 0;
  for (int k = 1; k < C; ++k)
    if (row[k] > row[best]) best = k;
  return best;
}

int bin_of(double c, int bins) {
  int b = int(c * bins);
  if (b < 0) b = 0;
  if (b >= bins) b = bins - 1;
  return b;
}
}  // namespace

double expected_calibration_error(const float* probs, const int* labels, int n, int C, int bins,
                                  const ReliabilityBins& out) {
  if (bins < 1) bins = 1;
  if (bins > kMaxBins) bins = kMaxBins;
  double conf[kMaxBins] = {}, hits[kMaxBins] = {}, count[kMaxBins] = {};
  for (int i = 0; i < n; ++i) {
    const float* row = probs + size_t(i) * C;
    const int k = top_class(row, C);
    const int b = bin_of(row[k], bins);
    conf[b] += row[k];
    hits[b] += k == labels[i] ? 1.0 : 0.0;
    count[b] += 1.0;
  }
  double ece = 0;
  for (int b = 0; b < bins; ++b) {
    const double c = count[b] > 0 ? conf[b] / count[b] : 0.0, a = count[b] > 0 ? hits[b] / count[b] : 0.0;
    if (n > 0) ece += count[b] / n * std::fabs(a - c);
    if (out.confidence) out.confidence[b] = float(c);
    if (out.accuracy) out.accuracy[b] = float(a);
    if (out.count) out.count[b] = float(count[b]);
  }
  return ece;
}

double calibration_error_vs_truth(const float* probs, const float* truth, int n, int C, int bins) {
  if (bins < 1) bins = 1;
  if (bins > kMaxBins) bins = kMaxBins;
  double conf[kMaxBins] = {}, right[kMaxBins] = {}, count[kMaxBins] = {};
  for (int i = 0; i < n; ++i) {
    const float* row = probs + size_t(i) * C;
    const int k = top_class(row, C);
    const int b = bin_of(row[k], bins);
    conf[b] += row[k];
    right[b] += truth[size_t(i) * C + k];  // the chance that the prediction is right
    count[b] += 1.0;
  }
  double gap = 0;
  for (int b = 0; b < bins; ++b)
    if (count[b] > 0 && n > 0) gap += count[b] / n * std::fabs(right[b] / count[b] - conf[b] / count[b]);
  return gap;
}

double kendall_tau(const float* a, const float* b, int C) {
  if (C < 2) return 1.0;
  int score = 0;
  for (int i = 0; i < C; ++i)
    for (int j = i + 1; j < C; ++j) {
      const float da = a[i] - a[j], db = b[i] - b[j];
      if ((da > 0 && db > 0) || (da < 0 && db < 0)) ++score;
      else if ((da > 0 && db < 0) || (da < 0 && db > 0)) --score;
    }
  return double(score) / (0.5 * C * (C - 1));
}

double mean_kendall_tau(const float* scores, const float* truth, int n, int C) {
  double sum = 0;
  for (int i = 0; i < n; ++i) sum += kendall_tau(scores + size_t(i) * C, truth + size_t(i) * C, C);
  return n > 0 ? sum / n : 0.0;
}

void softmax_temperature(const float* logits, int n, int C, double T, float* probs) {
  for (int i = 0; i < n; ++i) {
    const float* z = logits + size_t(i) * C;
    float* p = probs + size_t(i) * C;
    double top = z[0];
    for (int k = 1; k < C; ++k) top = z[k] > top ? z[k] : top;
    double sum = 0;
    for (int k = 0; k < C; ++k) sum += detmath::exp((z[k] - top) / T);
    for (int k = 0; k < C; ++k) p[k] = float(detmath::exp((z[k] - top) / T) / sum);
  }
}

double temperature_nll(const float* logits, const int* labels, int n, int C, double T) {
  double total = 0;
  for (int i = 0; i < n; ++i) {
    const float* z = logits + size_t(i) * C;
    double top = z[0];
    for (int k = 1; k < C; ++k) top = z[k] > top ? z[k] : top;
    double sum = 0;
    for (int k = 0; k < C; ++k) sum += detmath::exp((z[k] - top) / T);
    total += detmath::log(sum) - (z[labels[i]] - top) / T;  // -log softmax(z / T)_y
  }
  return n > 0 ? total / n : 0.0;
}

double fit_temperature(const float* logits, const int* labels, int n, int C) {
  if (n <= 0) return 1.0;
  const double ratio = 0.6180339887498949;
  double lo = detmath::log(0.05), hi = detmath::log(20.0);
  double a = hi - ratio * (hi - lo), b = lo + ratio * (hi - lo);
  double fa = temperature_nll(logits, labels, n, C, detmath::exp(a));
  double fb = temperature_nll(logits, labels, n, C, detmath::exp(b));
  for (int it = 0; it < 40; ++it) {
    if (fa <= fb) {
      hi = b, b = a, fb = fa;
      a = hi - ratio * (hi - lo);
      fa = temperature_nll(logits, labels, n, C, detmath::exp(a));
    } else {
      lo = a, a = b, fa = fb;
      b = lo + ratio * (hi - lo);
      fb = temperature_nll(logits, labels, n, C, detmath::exp(b));
    }
  }
  return detmath::exp(0.5 * (lo + hi));
}

}  // namespace nn
