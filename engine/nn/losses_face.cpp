// losses_face.cpp - see losses_face.h.
#include "engine/nn/losses_face.h"

#include <algorithm>
#include <cmath>

#include "engine/nn/nnmath.h"

namespace nn {

MarginSoftmax::MarginSoftmax(const MarginConfig& c, uint64_t seed) : config(c), rng_(seed) {}

const char* MarginSoftmax::name() const {
  const bool arc = config.kind == MarginKind::arc;
  if (!config.elastic) return arc ? "ArcFace" : "CosFace";
  if (config.plus && config.plus_mapping == PlusMapping::official_code)
    return arc ? "ElasticArcFace+ (code)" : "ElasticCosFace+ (code)";
  if (config.plus) return arc ? "ElasticArcFace+" : "ElasticCosFace+";
  return arc ? "ElasticArcFace" : "ElasticCosFace";
}

void MarginSoftmax::reserve(int max_batch, int) {
  margins_.assign(max_batch, 0.0f);
  drawn_.assign(max_batch, 0.0f);
  target_cos_.assign(max_batch, 0.0f);
  sorted_.assign(max_batch, 0.0f);
  rank_a_.assign(max_batch, 0.0f);
  rank_b_.assign(max_batch, 0.0f);
  order_.assign(max_batch, 0);
}

// NaN sorts first (as the "hardest"), so the comparison stays a strict weak
// order even on a diverged batch (std::sort with a broken order is undefined).
static float sort_key(float x) { return x != x ? -INFINITY : x; }

void assign_margins_by_difficulty(const float* target_cos, const float* drawn, int B, int* order,
                                  float* sorted, float* assigned) {
  for (int i = 0; i < B; ++i) {
    order[i] = i;
    sorted[i] = sort_key(drawn[i]);
  }
  std::sort(order, order + B, [target_cos](int a, int b) {
    const float ka = sort_key(target_cos[a]), kb = sort_key(target_cos[b]);
    return ka < kb || (ka == kb && a < b);
  });
  std::sort(sorted, sorted + B, [](float a, float b) { return a > b; });
  // rank r = r-th hardest sample receives the r-th largest margin
  for (int r = 0; r < B; ++r) assigned[order[r]] = sorted[r];
}

void assign_margins_official_code(const float* target_cos, const float* drawn, int B, int* order, float* sorted,
                                  float* assigned) {
  for (int i = 0; i < B; ++i) {
    order[i] = i;
    sorted[i] = sort_key(drawn[i]);
  }
  // _, idicate_cosie = torch.sort(distmat, dim=0, descending=True)
  std::sort(order, order + B, [target_cos](int a, int b) {
    const float ka = sort_key(target_cos[a]), kb = sort_key(target_cos[b]);
    return ka > kb || (ka == kb && a < b);
  });
  // margin, _ = torch.sort(margin, dim=0)
  std::sort(sorted, sorted + B, [](float a, float b) { return a < b; });
  // margin[idicate_cosie]: row i of the result is sorted[order[i]], scattered to sample i
  for (int i = 0; i < B; ++i) assigned[i] = sorted[order[i]];
}

// Ranks 0..n-1 of v by ascending value into rank, ties sharing their average rank.
static void average_ranks(const float* v, int n, int* order, float* rank) {
  for (int i = 0; i < n; ++i) order[i] = i;
  std::sort(order, order + n, [v](int a, int b) {
    const float ka = sort_key(v[a]), kb = sort_key(v[b]);
    return ka < kb || (ka == kb && a < b);
  });
  for (int r = 0; r < n;) {
    int e = r + 1;
    while (e < n && sort_key(v[order[e]]) == sort_key(v[order[r]])) ++e;
    const float mean_rank = float(0.5 * (r + e - 1));
    for (int k = r; k < e; ++k) rank[order[k]] = mean_rank;
    r = e;
  }
}

double spearman_correlation(const float* x, const float* y, int n, int* order, float* rank_x, float* rank_y) {
  if (n < 2) return NAN;
  average_ranks(x, n, order, rank_x);
  average_ranks(y, n, order, rank_y);
  const double mean = 0.5 * (n - 1);
  double sxy = 0, sxx = 0, syy = 0;
  for (int i = 0; i < n; ++i) {
    const double a = rank_x[i] - mean, b = rank_y[i] - mean;
    sxy += a * b, sxx += a * a, syy += b * b;
  }
  return sxx > 0 && syy > 0 ? sxy / std::sqrt(sxx * syy) : NAN;
}

void MarginSoftmax::prepare_margins(const float* cosines, const int* labels, int B, int C) {
  if (int(margins_.size()) < B) reserve(B, C);
  if (frozen_) return;
  if (!config.elastic) {
    for (int i = 0; i < B; ++i) margins_[i] = config.margin;
    spearman_ = NAN;
    return;
  }
  const double sigma = config.sigma > 0.0f ? config.sigma : 0.0;
  for (int i = 0; i < B; ++i) drawn_[i] = float(double(config.margin) + sigma * rng_.normal());
  for (int i = 0; i < B; ++i) target_cos_[i] = cosines[i * C + labels[i]];
  if (!config.plus) {
    for (int i = 0; i < B; ++i) margins_[i] = drawn_[i];
  } else if (config.plus_mapping == PlusMapping::official_code) {
    assign_margins_official_code(target_cos_.data(), drawn_.data(), B, order_.data(), sorted_.data(),
                                 margins_.data());
  } else {
    assign_margins_by_difficulty(target_cos_.data(), drawn_.data(), B, order_.data(), sorted_.data(),
                                 margins_.data());
  }
  spearman_ = spearman_correlation(target_cos_.data(), margins_.data(), B, order_.data(), rank_a_.data(),
                                   rank_b_.data());
}

static const double kCosLimit = 1.0 - 1e-6;

static double clamp_cos(double c) { return c < -kCosLimit ? -kCosLimit : (c > kCosLimit ? kCosLimit : c); }

// Target logit / s and its derivative w.r.t. the target cosine c.
static void target_value(const MarginConfig& config, double c, double m, double* value, double* slope) {
  if (config.kind == MarginKind::cos) {
    *value = c - m;
    *slope = 1.0;
    return;
  }
  double sin_m, cos_m;
  nnmath::sincos(m, sin_m, cos_m);
  c = clamp_cos(c);
  // theta > pi - m  <=>  c < cos(pi - m) = -cos m   (only a positive margin can pass pi)
  if (config.monotonic && m > 0.0 && c < -cos_m) {
    *value = c - m * sin_m;  // insightface: cos theta - sin(pi - m) m
    *slope = 1.0;
    return;
  }
  const double sin_theta = std::sqrt(1.0 - c * c);
  *value = c * cos_m - sin_theta * sin_m;  // cos(theta + m)
  *slope = cos_m + c * sin_m / sin_theta;  // d cos(theta + m) / d cos(theta)
}

float MarginSoftmax::forward(const float* cosines, const int* labels, int B, int C) {
  prepare_margins(cosines, labels, B, C);
  const double s = config.scale;
  double total = 0.0;
  for (int i = 0; i < B; ++i) {
    const float* c = cosines + i * C;
    const int y = labels[i];
    double target, slope;
    target_value(config, c[y], margins_[i], &target, &slope);
    double lmax = s * target;
    for (int j = 0; j < C; ++j) if (j != y) lmax = std::fmax(lmax, s * c[j]);
    double sum = 0.0;
    for (int j = 0; j < C; ++j) sum += detmath::exp((j == y ? s * target : s * c[j]) - lmax);
    total += lmax + detmath::log(sum) - s * target;
  }
  return float(total / B);
}

void MarginSoftmax::backward(const float* cosines, const int* labels, int B, int C, float* dcosines) {
  const double s = config.scale;
  for (int i = 0; i < B; ++i) {
    const float* c = cosines + i * C;
    float* d = dcosines + i * C;
    const int y = labels[i];
    double target, slope;
    target_value(config, c[y], margins_[i], &target, &slope);
    double lmax = s * target;
    for (int j = 0; j < C; ++j) if (j != y) lmax = std::fmax(lmax, s * c[j]);
    double sum = 0.0;
    for (int j = 0; j < C; ++j) sum += detmath::exp((j == y ? s * target : s * c[j]) - lmax);
    for (int j = 0; j < C; ++j) {
      const double p = detmath::exp((j == y ? s * target : s * c[j]) - lmax) / sum;
      // dL/dlogit_j = p_j - [j == y]; logit_j = s c_j, logit_y = s target(c_y)
      d[j] = float(j == y ? s * (p - 1.0) * slope / B : s * p / B);
    }
  }
}

void MarginSoftmax::probabilities(const float* cosines, int B, int C, float* probs) const {
  softmax_rows(probs, cosines, B, C, config.scale);
}

}  // namespace nn
