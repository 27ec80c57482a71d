// test_nn_noprop.cpp - engine/nn/noprop (LESSONS.md #22 with method-notes.md
// #4's indexing): the schedule's identities a_t + b_t sqrt(abar_(t-1)) =
// sqrt(abar_t) and b_t^2 (1 - abar_(t-1)) + c_t = 1 - abar_t, abar increasing
// from noise to label, the capped SNR differences positive; a block's
// denoising gradient against central differences; one block's step leaves
// every other block's gradient untouched; label-free inference starts from
// N(0, I) noise and learns three blobs.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "engine/data/toy.h"
#include "engine/nn/noprop.h"
#include "engine/rng.h"
#include "tests/test_nn_util.h"

TEST_CASE("noprop: schedule identities, abar increasing from noise to label, capped SNR differences") {
  for (int T : {2, 3, 10, 20}) {
    CAPTURE(T);
    const nn::NoPropSchedule s = nn::NoPropSchedule::cosine(T, 100.0);
    REQUIRE(int(s.abar.size()) == T + 1);
    CHECK(s.abar[0] <= 1e-5 + 1e-12);
    CHECK(s.abar[size_t(T)] > 0.999);
    for (int t = 1; t <= T; ++t) {
      CAPTURE(t);
      const double ab = s.abar[size_t(t)], ab_prev = s.abar[size_t(t) - 1];
      CHECK(ab > ab_prev);
      CHECK(std::fabs(s.a[size_t(t)] + s.b[size_t(t)] * std::sqrt(ab_prev) - std::sqrt(ab)) < 1e-12);
      CHECK(std::fabs(s.b[size_t(t)] * s.b[size_t(t)] * (1 - ab_prev) + s.c[size_t(t)] - (1 - ab)) < 1e-12);
      CHECK(s.c[size_t(t)] >= 0);
      CHECK(s.dsnr[size_t(t)] > 0);
      CHECK(s.dsnr[size_t(t)] <= 100.0);
    }
  }
}

TEST_CASE("noprop: a block's denoising gradient matches central differences; other blocks get none") {
  pg::Rng rng(3);
  const int dim = 3, C = 4, B = 5;
  nn::NoPropConfig config;
  config.T = 3;
  config.hidden = 6;
  config.eta = 0.7;
  nn::NoPropDT net;
  REQUIRE(net.init(dim, C, config, B, rng));
  std::vector<float> x = nntest::random_vector(rng, B * dim), z = nntest::random_vector(rng, B * C, -2, 2);
  const int y[B] = {0, 3, 1, 2, 3};
  for (int t = 1; t <= 3; ++t) {
    CAPTURE(t);
    for (int s = 1; s <= 3; ++s) net.block(s).zero_grad();
    net.block_gradient(t, x.data(), y, z.data(), B);
    nn::Model& m = net.block(t);
    const std::vector<float> analytic(m.grads(), m.grads() + m.num_params());
    nntest::check_gradient("block", [&] { return net.block_loss(t, x.data(), y, z.data(), B); }, m.params(),
                           analytic.data(), m.num_params(), 1e-2f, 2e-2, 1e-5);
    for (int s = 1; s <= 3; ++s) {
      if (s == t) continue;
      const nn::Model& other = net.block(s);
      double most = 0;
      for (int i = 0; i < other.num_params(); ++i) most = std::fmax(most, std::fabs(other.grads()[i]));
      CHECK(most == 0.0);
    }
  }
}

TEST_CASE("noprop: label-free inference from N(0, I) learns three blobs; same stream, same classes") {
  data::Dataset train = data::make_blobs(300, 3, 0.25f, 11), test = data::make_blobs(150, 3, 0.25f, 12);
  nn::NoPropConfig config;
  config.T = 4;
  config.hidden = 16;
  config.optimizer.kind = nn::OptimizerKind::adamw;
  config.optimizer.lr = 3e-3f;
  config.optimizer.weight_decay = 1e-3f;
  pg::Rng init(1), train_rng(2);
  nn::NoPropDT net;
  REQUIRE(net.init(2, 3, config, 150, init));
  std::vector<int> idx(32), yb(32);
  std::vector<float> xb(64);
  pg::Rng order(5);
  for (int step = 0; step < 300; ++step) {
    for (int& i : idx) i = int(order.below(uint32_t(train.n)));
    train.gather(idx.data(), 32, xb.data(), yb.data());
    CHECK(std::isfinite(net.train_step(xb.data(), yb.data(), 32, train_rng)));
  }
  std::vector<float> traj(size_t(test.n) * 5 * 3);
  std::vector<int> pred(size_t(test.n)), again(size_t(test.n));
  pg::Rng eval1(9), eval2(9);
  net.predict(test.x.data(), test.n, eval1, pred.data(), traj.data());
  net.predict(test.x.data(), test.n, eval2, again.data());
  CHECK(pred == again);
  int correct = 0;
  for (int i = 0; i < test.n; ++i) correct += pred[size_t(i)] == test.y[size_t(i)];
  CHECK(double(correct) / test.n > 0.9);
  // z_0 is N(0, I) noise: mean ~ 0, variance ~ 1 over the 450 coordinates.
  double sum = 0, sq = 0;
  for (int i = 0; i < test.n; ++i)
    for (int k = 0; k < 3; ++k) {
      const double v = traj[size_t(i) * 15 + k];
      sum += v, sq += v * v;
    }
  const double mean = sum / (3.0 * test.n), var = sq / (3.0 * test.n) - mean * mean;
  CHECK(std::fabs(mean) < 0.15);
  CHECK(std::fabs(var - 1.0) < 0.2);
}
