// losses_contrastive.cpp - see losses_contrastive.h.
#include "engine/nn/losses_contrastive.h"

#include <cmath>

#include "engine/rng.h"

namespace nn {

void label_similarity(const int* sets, int B, int W, int C, LabelSimilarity kind, float* out) {
  std::vector<unsigned char> a(size_t(C > 0 ? C : 1));
  auto count_row = [&](int i) {
    int m = 0;
    for (int k = 0; k < W; ++k) {
      const int l = sets[size_t(i) * W + k];
      bool seen = false;
      for (int q = 0; q < k; ++q) seen = seen || sets[size_t(i) * W + q] == l;
      if (l >= 0 && l < C && !seen) ++m;
    }
    return m;
  };
  for (int i = 0; i < B; ++i) {
    for (int c = 0; c < C; ++c) a[c] = 0;
    for (int k = 0; k < W; ++k) {
      const int l = sets[size_t(i) * W + k];
      if (l >= 0 && l < C) a[l] = 1;
    }
    const int ni = count_row(i);
    for (int j = 0; j < B; ++j) {
      if (i == j) {
        out[size_t(i) * B + j] = 1.0f;
        continue;
      }
      const int nj = count_row(j);
      int both = 0;
      for (int k = 0; k < W; ++k) {
        const int l = sets[size_t(j) * W + k];
        bool seen = false;
        for (int q = 0; q < k; ++q) seen = seen || sets[size_t(j) * W + q] == l;
        if (l >= 0 && l < C && !seen && a[l]) ++both;
      }
      double sim = 0.0;
      if (ni > 0 && nj > 0)
        sim = kind == LabelSimilarity::jaccard ? double(both) / double(ni + nj - both)
                                               : double(both) / std::sqrt(double(ni) * nj);
      out[size_t(i) * B + j] = float(sim);
    }
  }
}

void contrastive_scores(const float* z, const float* z_prime, int B, int D, float tau, float* S) {
  for (int i = 0; i < B; ++i)
    for (int j = 0; j < B; ++j) {
      double dot = 0.0;
      for (int k = 0; k < D; ++k) dot += double(z[size_t(i) * D + k]) * z_prime[size_t(j) * D + k];
      S[size_t(i) * B + j] = float(dot / tau);
    }
}

double softcon_loss(const float* S, const float* Y, int B, double lambda, float* dS) {
  if (B <= 0) return 0.0;
  double hard = 0.0, soft = 0.0;
  const double inv_b = 1.0 / B, inv_b2 = 1.0 / (double(B) * B);
  for (int i = 0; i < B; ++i) {
    const float* row = S + size_t(i) * B;
    double m = row[0];
    for (int j = 1; j < B; ++j) m = std::fmax(m, double(row[j]));
    double sum = 0.0;
    for (int j = 0; j < B; ++j) sum += detmath::exp(double(row[j]) - m);
    const double lse = m + detmath::log(sum);
    hard += lse - row[i];
    for (int j = 0; j < B; ++j) {
      const double s = row[j], y = Y[size_t(i) * B + j];
      // softplus(s) = max(s, 0) + log(1 + e^-|s|);  sigmoid(s) = e^(s - softplus(s))
      const double softplus = (s > 0.0 ? s : 0.0) + detmath::log(1.0 + detmath::exp(-std::fabs(s)));
      soft += softplus - y * s;
      if (dS) {
        const double p = detmath::exp(s - lse);
        const double sig = detmath::exp(s - softplus);
        dS[size_t(i) * B + j] = float(inv_b * (p - (i == j ? 1.0 : 0.0)) + lambda * inv_b2 * (sig - y));
      }
    }
  }
  return hard * inv_b + lambda * soft * inv_b2;
}

void contrastive_scores_backward(const float* dS, const float* z, const float* z_prime, int B, int D, float tau,
                                 float* dz, float* dz_prime) {
  for (int i = 0; i < B; ++i)
    for (int k = 0; k < D; ++k) {
      double a = 0.0, b = 0.0;
      for (int j = 0; j < B; ++j) {
        a += double(dS[size_t(i) * B + j]) * z_prime[size_t(j) * D + k];
        b += double(dS[size_t(j) * B + i]) * z[size_t(j) * D + k];
      }
      dz[size_t(i) * D + k] = float(a / tau);
      dz_prime[size_t(i) * D + k] = float(b / tau);
    }
}

}  // namespace nn
