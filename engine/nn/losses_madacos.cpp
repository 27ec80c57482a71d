// losses_madacos.cpp - see losses_madacos.h.
#include "engine/nn/losses_madacos.h"

#include <algorithm>
#include <cmath>

#include "engine/rng.h"

namespace nn {

static const double kLn10 = 2.302585092994045684;

// NaN sorts first, so the comparison stays a strict weak order on a diverged batch.
static double sort_key(float x) { return x != x ? -INFINITY : double(x); }

int median_target_index(const float* cosines, const int* labels, int B, int C, int* order) {
  if (B <= 0) return -1;
  for (int i = 0; i < B; ++i) order[i] = i;
  // (cosine, index) is a total order, so the element at (B-1)/2 is unique
  // whatever nth_element's algorithm.
  auto less = [&](int a, int b) {
    const double ka = sort_key(cosines[a * C + labels[a]]), kb = sort_key(cosines[b * C + labels[b]]);
    return ka < kb || (ka == kb && a < b);
  };
  std::nth_element(order, order + (B - 1) / 2, order + B, less);
  return order[(B - 1) / 2];
}

MadaCosStats madacos_stats(const MadaCosConfig& config, const float* cosines, const int* labels, int B, int C,
                           int* order) {
  MadaCosStats st;
  const int i = median_target_index(cosines, labels, B, C, order);
  if (i < 0) return st;
  const double a = config.alpha;
  const float* c = cosines + i * C;
  const int y = labels[i];
  st.median_index = i;
  st.median_cos = c[y];
  // s = max(32, ln(K (1-a)/a) / (1 - c_med)); NaN passes, as `scale < 32` is false for NaN
  const double gap = std::max(1.0 - st.median_cos, 1e-7);
  double s = (config.log10_K * kLn10 + detmath::log((1.0 - a) / a)) / gap;
  if (s < config.min_scale) s = config.min_scale;
  st.scale = s;
  // ln B* = ln sum_{j != y} e^(s c_j), by log-sum-exp
  double lmax = -INFINITY;
  for (int j = 0; j < C; ++j)
    if (j != y) lmax = std::fmax(lmax, s * c[j]);
  double sum = 0.0;
  for (int j = 0; j < C; ++j)
    if (j != y) sum += detmath::exp(s * c[j] - lmax);
  st.log_B = C > 1 ? lmax + detmath::log(sum) : -INFINITY;
  // m = max(0, c_med - ln(B* a/(1-a)) / s)
  double m = C > 1 ? st.median_cos - (st.log_B + detmath::log(a / (1.0 - a))) / s : 0.0;
  if (m < 0.0) m = 0.0;
  st.margin = m;
  return st;
}

void MadaCos::reserve(int max_batch, int) { order_.assign(max_batch, 0); }

float MadaCos::forward(const float* cosines, const int* labels, int B, int C) {
  if (int(order_.size()) < B) reserve(B, C);
  if (!frozen_) stats_ = madacos_stats(config, cosines, labels, B, C, order_.data());
  const double s = stats_.scale, m = stats_.margin;
  double total = 0.0;
  for (int i = 0; i < B; ++i) {
    const float* c = cosines + i * C;
    const int y = labels[i];
    const double target = s * (double(c[y]) - m);  // s (cos_y - m)
    double lmax = target;
    for (int j = 0; j < C; ++j)
      if (j != y) lmax = std::fmax(lmax, s * c[j]);
    double sum = 0.0;
    for (int j = 0; j < C; ++j) sum += detmath::exp((j == y ? target : s * c[j]) - lmax);
    total += lmax + detmath::log(sum) - target;
  }
  return float(total / B);
}

void MadaCos::backward(const float* cosines, const int* labels, int B, int C, float* dcosines) {
  const double s = stats_.scale, m = stats_.margin;
  for (int i = 0; i < B; ++i) {
    const float* c = cosines + i * C;
    float* d = dcosines + i * C;
    const int y = labels[i];
    const double target = s * (double(c[y]) - m);
    double lmax = target;
    for (int j = 0; j < C; ++j)
      if (j != y) lmax = std::fmax(lmax, s * c[j]);
    double sum = 0.0;
    for (int j = 0; j < C; ++j) sum += detmath::exp((j == y ? target : s * c[j]) - lmax);
    for (int j = 0; j < C; ++j) {
      const double p = detmath::exp((j == y ? target : s * c[j]) - lmax) / sum;
      // dL/dlogit_j = p_j - [j == y] and every logit is s times its cosine (s, m constant)
      d[j] = float(s * (p - (j == y ? 1.0 : 0.0)) / B);
    }
  }
}

void MadaCos::probabilities(const float* cosines, int B, int C, float* probs) const {
  softmax_rows(probs, cosines, B, C, float(stats_.scale));
}

}  // namespace nn
