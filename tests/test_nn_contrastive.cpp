// softcon groundwork (LESSONS.md #16, method-notes.md #3): the two-term soft
// contrastive loss with lambda = 0 is InfoNCE exactly; the label similarities
// (Jaccard, cosine) are symmetric, in [0, 1], 1 on the diagonal and handle
// empty sets; and the loss's gradient, through the score matrix back to both
// views' embeddings, matches finite differences.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "engine/nn/losses_contrastive.h"
#include "engine/nn/losses_softmax.h"
#include "tests/test_nn_util.h"

TEST_CASE("softcon loss: lambda = 0 is InfoNCE (softmax cross-entropy with the diagonal as labels)") {
  pg::Rng rng(81);
  const int B = 5;
  std::vector<float> S = nntest::random_vector(rng, B * B, -3, 3), Y(B * B, 0.5f), dS(B * B), g(B * B);
  std::vector<int> diag(B);
  for (int i = 0; i < B; ++i) diag[i] = i;
  nn::SoftmaxCrossEntropy ce;
  const double info_nce = ce.forward(S.data(), diag.data(), B, B);
  CHECK(nn::softcon_loss(S.data(), Y.data(), B, 0.0, dS.data()) == doctest::Approx(info_nce).epsilon(1e-6));
  ce.backward(S.data(), diag.data(), B, B, g.data());
  for (int i = 0; i < B * B; ++i) CHECK(dS[i] == doctest::Approx(g[i]).epsilon(1e-5).scale(1e-6));
  // lambda > 0 adds (lambda/B^2) sum BCE(sigmoid(S_ij), Y_ij), which is > 0 for Y in [0, 1].
  CHECK(nn::softcon_loss(S.data(), Y.data(), B, 0.3, nullptr) > info_nce);
}

TEST_CASE("label similarity: Jaccard and cosine of label sets, symmetric, in [0, 1], diagonal 1, empty sets") {
  const int B = 4, W = 3, C = 6;
  // {0, 1}, {1, 2}, {} (all padding), {0, 1, 1} (a duplicate)
  const std::vector<int> sets = {0, 1, -1, 1, 2, -1, -1, -1, -1, 0, 1, 1};
  std::vector<float> J(B * B), K(B * B);
  nn::label_similarity(sets.data(), B, W, C, nn::LabelSimilarity::jaccard, J.data());
  nn::label_similarity(sets.data(), B, W, C, nn::LabelSimilarity::cosine, K.data());
  CHECK(J[0 * B + 1] == doctest::Approx(1.0 / 3.0));
  CHECK(K[0 * B + 1] == doctest::Approx(0.5));
  CHECK(J[0 * B + 3] == doctest::Approx(1.0));  // duplicates count once
  CHECK(K[0 * B + 3] == doctest::Approx(1.0));
  CHECK(J[0 * B + 2] == 0.0f);  // an empty set shares nothing
  CHECK(J[2 * B + 2] == 1.0f);  // but is its own positive
  for (int i = 0; i < B; ++i)
    for (int j = 0; j < B; ++j) {
      CHECK(J[i * B + j] == J[j * B + i]);
      CHECK(K[i * B + j] == K[j * B + i]);
      CHECK(J[i * B + j] >= 0.0f);
      CHECK(J[i * B + j] <= 1.0f);
      CHECK(K[i * B + j] >= 0.0f);
      CHECK(K[i * B + j] <= 1.0f);
      CHECK(J[i * B + j] <= K[i * B + j] + 1e-7f);  // |a n b| / |a u b| <= |a n b| / sqrt(|a| |b|)
    }
}

TEST_CASE("grad: softcon loss through S = z z'^T / tau to both views (finite differences)") {
  pg::Rng rng(82);
  const int B = 4, D = 3;
  const float tau = 0.5f;
  const double lambda = 0.7;
  std::vector<float> z = nntest::random_vector(rng, B * D, -1, 1), zp = nntest::random_vector(rng, B * D, -1, 1);
  std::vector<float> Y = nntest::random_vector(rng, B * B, 0, 1), S(B * B), dS(B * B), dz(B * D), dzp(B * D);
  for (int i = 0; i < B; ++i) Y[i * B + i] = 1.0f;
  nn::contrastive_scores(z.data(), zp.data(), B, D, tau, S.data());
  nn::softcon_loss(S.data(), Y.data(), B, lambda, dS.data());
  // d L / d S directly
  auto f_of_S = [&] { return nn::softcon_loss(S.data(), Y.data(), B, lambda, nullptr); };
  nntest::check_gradient("softcon dS", f_of_S, S.data(), dS.data(), B * B, 1e-2f, 2e-3, 1e-5);
  nn::contrastive_scores_backward(dS.data(), z.data(), zp.data(), B, D, tau, dz.data(), dzp.data());
  std::vector<float> S2(B * B);
  auto f_of_z = [&] {
    nn::contrastive_scores(z.data(), zp.data(), B, D, tau, S2.data());
    return nn::softcon_loss(S2.data(), Y.data(), B, lambda, nullptr);
  };
  nntest::check_gradient("softcon dz", f_of_z, z.data(), dz.data(), B * D, 1e-2f, 2e-3, 1e-5);
  nntest::check_gradient("softcon dz'", f_of_z, zp.data(), dzp.data(), B * D, 1e-2f, 2e-3, 1e-5);
}
