// prototypes.cpp - see prototypes.h.
#include "engine/nn/prototypes.h"

#include <cmath>

namespace nn {

void prototype_direction(const float* x, int n, int D, bool normalize_rows, float* out) {
  double sum[1024];  // D is an embedding width (<= 1024 here)
  const int d_max = D < 1024 ? D : 1024;
  for (int k = 0; k < d_max; ++k) sum[k] = 0.0;
  for (int i = 0; i < n; ++i) {
    const float* row = x + size_t(i) * D;
    double scale = 1.0;
    if (normalize_rows) {
      double sq = 0.0;
      for (int k = 0; k < d_max; ++k) sq += double(row[k]) * row[k];
      scale = sq > 0.0 ? 1.0 / std::sqrt(sq) : 0.0;
    }
    for (int k = 0; k < d_max; ++k) sum[k] += double(row[k]) * scale;
  }
  double sq = 0.0;
  for (int k = 0; k < d_max; ++k) sq += sum[k] * sum[k];
  const double inv = sq > 0.0 ? 1.0 / std::sqrt(sq) : 0.0;
  for (int k = 0; k < D; ++k) out[k] = k < d_max ? float(sum[k] * inv) : 0.0f;
}

static double dot(const float* a, const float* b, int D) {
  double s = 0.0;
  for (int k = 0; k < D; ++k) s += double(a[k]) * b[k];
  return s;
}

void extended_cosine_logits(const float* e, const float* W, int K, const float* P, int N, int B, int D, float s,
                            float* out) {
  const int C = K + N;
  for (int b = 0; b < B; ++b) {
    const float* eb = e + size_t(b) * D;
    float* row = out + size_t(b) * C;
    for (int k = 0; k < K; ++k) {
      const float* w = W + size_t(k) * D;
      const double norm = std::sqrt(dot(w, w, D));
      const double c = norm > 0.0 ? dot(eb, w, D) / norm : 0.0;
      row[k] = float(double(s) * c);
    }
    for (int j = 0; j < N; ++j) row[K + j] = float(double(s) * dot(eb, P + size_t(j) * D, D));
  }
}

void extended_linear_logits(const float* h, const float* W, const float* b, int K, const float* P,
                            const float* pb, int N, int B, int D, float* out) {
  const int C = K + N;
  for (int r = 0; r < B; ++r) {
    const float* hr = h + size_t(r) * D;
    float* row = out + size_t(r) * C;
    for (int k = 0; k < K; ++k) row[k] = float(dot(hr, W + size_t(k) * D, D) + b[k]);
    for (int j = 0; j < N; ++j) row[K + j] = float(dot(hr, P + size_t(j) * D, D) + pb[j]);
  }
}

void prototype_linear_rows(const float* W, const float* b, int K, const float* dir, int N, int D, float* P,
                           float* pb) {
  double norm = 0.0, bias = 0.0;
  for (int k = 0; k < K; ++k) {
    const float* w = W + size_t(k) * D;
    norm += std::sqrt(dot(w, w, D));
    bias += b[k];
  }
  norm = K > 0 ? norm / K : 1.0;
  bias = K > 0 ? bias / K : 0.0;
  for (int j = 0; j < N; ++j) {
    for (int k = 0; k < D; ++k) P[size_t(j) * D + k] = float(norm * dir[size_t(j) * D + k]);
    pb[j] = float(bias);
  }
}

SplitAccuracy split_accuracy(const float* logits, const int* labels, int n, int K, int N) {
  const int C = K + N;
  int n_old = 0, n_new = 0, ok_old = 0, ok_new = 0, ok_disjoint = 0;
  for (int i = 0; i < n; ++i) {
    const float* row = logits + size_t(i) * C;
    int best = 0;
    for (int k = 1; k < C; ++k)
      if (row[k] > row[best]) best = k;
    if (labels[i] < K) {
      ++n_old;
      ok_old += best == labels[i];
    } else {
      ++n_new;
      ok_new += best == labels[i];
      int best_new = K;
      for (int k = K + 1; k < C; ++k)
        if (row[k] > row[best_new]) best_new = k;
      ok_disjoint += best_new == labels[i];
    }
  }
  SplitAccuracy a;
  a.old_classes = n_old ? double(ok_old) / n_old : NAN;
  a.new_classes = n_new ? double(ok_new) / n_new : NAN;
  a.new_disjoint = n_new ? double(ok_disjoint) / n_new : NAN;
  a.all = n ? double(ok_old + ok_new) / n : NAN;
  return a;
}

}  // namespace nn
