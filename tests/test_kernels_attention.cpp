// test_kernels_attention.cpp - blocked attention_forward and the materializing
// attention_forward_ref against attention computed in double, with and
// without the causal mask, on shapes that cut the 32-query and 64-key blocks.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "engine/kernels/attention.h"
#include "engine/rng.h"

namespace {

// O in double: scores, masked row softmax, then P V.
std::vector<double> attention_double(const std::vector<float>& Q, const std::vector<float>& K,
                                     const std::vector<float>& V, int n_q, int n_k, int d,
                                     float scale, bool causal) {
  std::vector<double> O(size_t(n_q) * d, 0.0), s(n_k);
  for (int i = 0; i < n_q; ++i) {
    const int vis = causal ? std::max(0, std::min(n_k, i + (n_k - n_q) + 1)) : n_k;
    if (vis == 0) continue;
    double mu = -HUGE_VAL, sum = 0.0;
    for (int j = 0; j < vis; ++j) {
      double dot = 0.0;
      for (int c = 0; c < d; ++c) dot += double(Q[size_t(i) * d + c]) * K[size_t(j) * d + c];
      s[j] = double(scale) * dot;
      mu = std::max(mu, s[j]);
    }
    for (int j = 0; j < vis; ++j) sum += (s[j] = std::exp(s[j] - mu));
    for (int j = 0; j < vis; ++j)
      for (int c = 0; c < d; ++c) O[size_t(i) * d + c] += s[j] / sum * V[size_t(j) * d + c];
  }
  return O;
}

std::vector<float> normal(pg::Rng& rng, size_t n, double sd) {
  std::vector<float> v(n);
  for (auto& x : v) x = float(rng.normal() * sd);
  return v;
}

}  // namespace

TEST_CASE("attention_forward and _ref match attention in double") {
  pg::Rng rng(301);
  struct Shape { int n_q, n_k, d; };
  const Shape shapes[] = {{1, 1, 1},   {3, 3, 7},    {1, 17, 8},   {17, 17, 16}, {33, 65, 3},
                          {64, 64, 64}, {65, 129, 17}, {31, 255, 32}, {257, 256, 8}, {100, 40, 5}};
  for (const Shape& s : shapes) {
    for (int causal = 0; causal < 2; ++causal) {
      // Scores of size ~3: peaked enough that the max shift and the rescaling matter.
      const std::vector<float> Q = normal(rng, size_t(s.n_q) * s.d, 1.0);
      const std::vector<float> K = normal(rng, size_t(s.n_k) * s.d, 3.0);
      const std::vector<float> V = normal(rng, size_t(s.n_k) * s.d, 1.0);
      const float scale = 1.0f / std::sqrt(float(s.d));
      std::vector<float> O(size_t(s.n_q) * s.d, -7.0f), R(O.size(), -7.0f);
      kern::attention_forward(Q.data(), K.data(), V.data(), O.data(), s.n_q, s.n_k, s.d, scale, causal);
      kern::attention_forward_ref(Q.data(), K.data(), V.data(), R.data(), s.n_q, s.n_k, s.d, scale, causal);
      const std::vector<double> T = attention_double(Q, K, V, s.n_q, s.n_k, s.d, scale, causal);
      double err_fast = 0.0, err_ref = 0.0;
      for (size_t i = 0; i < T.size(); ++i) {
        err_fast = std::max(err_fast, std::fabs(O[i] - T[i]));
        err_ref = std::max(err_ref, std::fabs(R[i] - T[i]));
      }
      // |V| ~ 1; float scores of size ~ |s| d eps: a few 1e-6 absolute.
      INFO("n_q=" << s.n_q << " n_k=" << s.n_k << " d=" << s.d << " causal=" << causal);
      CHECK(err_fast <= 2e-5);
      CHECK(err_ref <= 2e-5);
    }
  }
}

TEST_CASE("attention: causal rows with no visible key give 0; extreme scores stay finite") {
  pg::Rng rng(302);
  const int n_q = 40, n_k = 10, d = 4;  // queries 0..29 see no key
  const std::vector<float> Q = normal(rng, n_q * d, 1.0), K = normal(rng, n_k * d, 1.0),
                           V = normal(rng, n_k * d, 1.0);
  std::vector<float> O(n_q * d, 5.0f), R(n_q * d, 5.0f);
  kern::attention_forward(Q.data(), K.data(), V.data(), O.data(), n_q, n_k, d, 0.5f, true);
  kern::attention_forward_ref(Q.data(), K.data(), V.data(), R.data(), n_q, n_k, d, 0.5f, true);
  for (int i = 0; i < 30 * d; ++i) {
    CHECK(O[i] == 0.0f);
    CHECK(R[i] == 0.0f);
  }
  // Scores of +-1e4: the online rescaling must neither overflow nor divide 0/0.
  const int n = 130;
  std::vector<float> Q2 = normal(rng, n * d, 100.0), K2 = normal(rng, n * d, 100.0),
                     V2 = normal(rng, n * d, 1.0), O2(n * d);
  kern::attention_forward(Q2.data(), K2.data(), V2.data(), O2.data(), n, n, d, 1.0f, false);
  const std::vector<double> T2 = attention_double(Q2, K2, V2, n, n, d, 1.0f, false);
  double err = 0.0;
  for (size_t i = 0; i < T2.size(); ++i) err = std::max(err, std::fabs(O2[i] - T2[i]));
  CHECK(err <= 1e-3);  // scores ~1e4 carry ~1e-3 absolute rounding in float
}
