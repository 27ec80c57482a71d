// test_data_augment.cpp - data augmentation (engine/data/augment.h) and the
// trainer's use of it: a moved image is exactly the shifted image, a mirror
// image is exactly the mirrored one, the draws are a pure function of the
// generator (same seed and step, same bits), and a trainer that augments
// gives the same parameters however its steps are split into calls.
#include <doctest/doctest.h>

#include <cstring>
#include <memory>
#include <set>
#include <utility>
#include <vector>

#include "engine/data/augment.h"
#include "engine/nn/losses_margin.h"
#include "engine/nn/losses_softmax.h"
#include "engine/nn/trainer.h"

namespace {

// (C, H, W) with every pixel distinct and nonzero: value 1 + its index.
std::vector<float> numbered_image(int C, int H, int W) {
  std::vector<float> x(size_t(C) * H * W);
  for (size_t i = 0; i < x.size(); ++i) x[i] = float(i + 1);
  return x;
}

// in[c, y - dy, x - dx] or 0 outside, written out by hand.
float shifted_pixel(const std::vector<float>& in, int C, int H, int W, int c, int y, int x, int dy, int dx) {
  (void)C;
  const int sy = y - dy, sx = x - dx;
  if (sy < 0 || sy >= H || sx < 0 || sx >= W) return 0.0f;
  return in[(size_t(c) * H + sy) * W + sx];
}

// Synthetic 6x6 two-channel images of 3 classes (a bright square whose place
// depends on the class, plus noise), for the trainer tests.
data::Dataset squares(int n, uint64_t seed) {
  data::Dataset d;
  d.name = "squares";
  d.n = n, d.classes = 3, d.channels = 2, d.height = 6, d.width = 6, d.dim = 72;
  pg::Rng rng(seed);
  d.x.assign(size_t(n) * d.dim, 0.0f);
  d.y.resize(size_t(n));
  for (int i = 0; i < n; ++i) {
    const int k = i % 3;
    d.y[size_t(i)] = k;
    float* img = d.x.data() + size_t(i) * d.dim;
    for (int p = 0; p < d.dim; ++p) img[p] = float(0.2 * rng.uniform());
    for (int c = 0; c < 2; ++c)
      for (int y = k; y < k + 3; ++y)
        for (int x = 2 * k % 4; x < 2 * k % 4 + 2; ++x) img[(c * 6 + y) * 6 + x] += 1.0f;
  }
  return d;
}

void train_squares(nn::Trainer& t, const data::Augmentation& augment, int total, const std::vector<int>& chunks) {
  nn::TrainerConfig cfg;
  cfg.seed = 5;
  cfg.batch_size = 8;
  cfg.eval_every = 10;
  cfg.augment = augment;
  t.reset(squares(96, 3), squares(30, 4), cfg);
  nn::OptimizerConfig adam;
  adam.lr = 1e-2f;
  const nn::ModelSpec spec =
      nn::ModelSpec::images(2, 6, 6).conv2d(4, 3, nn::Padding::same).relu().maxpool2x2().linear(3);
  REQUIRE(t.add_run("softmax", spec, std::make_unique<nn::SoftmaxCrossEntropy>(), adam) == 0);
  REQUIRE(t.add_run("svm", spec, std::make_unique<nn::MultiClassHinge>(true, 1.0f, true), adam) == 1);
  int done = 0;
  for (int c : chunks) done += c == 0 ? t.step(1000000, 0.0) : t.step(c, 1e12);
  while (done < total) done += t.step(total - done, 1e12);
  REQUIRE(t.steps_done() == total);
}

bool same_params(const nn::Trainer& a, const nn::Trainer& b) {
  for (int r = 0; r < a.num_runs(); ++r) {
    const nn::Model &x = a.run(r).model, &y = b.run(r).model;
    if (x.num_params() != y.num_params() ||
        std::memcmp(x.params(), y.params(), sizeof(float) * size_t(x.num_params())) != 0)
      return false;
  }
  return true;
}

}  // namespace

TEST_CASE("augment: a translated image is the shifted image, pixel for pixel, zeros where nothing lands") {
  const int C = 2, H = 5, W = 7;
  const std::vector<float> in = numbered_image(C, H, W);
  std::vector<float> out(in.size());
  for (int dy = -6; dy <= 6; ++dy) {
    for (int dx = -8; dx <= 8; ++dx) {  // beyond the image too: all zeros
      CAPTURE(dy);
      CAPTURE(dx);
      std::fill(out.begin(), out.end(), -1.0f);
      data::translate_image(out.data(), in.data(), C, H, W, dy, dx);
      int mismatches = 0, zeros = 0;
      for (int c = 0; c < C; ++c)
        for (int y = 0; y < H; ++y)
          for (int x = 0; x < W; ++x) {
            const float want = shifted_pixel(in, C, H, W, c, y, x, dy, dx);
            mismatches += out[(size_t(c) * H + y) * W + x] != want ? 1 : 0;
            zeros += want == 0.0f ? 1 : 0;
          }
      CHECK(mismatches == 0);
      const int kept_rows = std::max(0, H - std::abs(dy)), kept_cols = std::max(0, W - std::abs(dx));
      CHECK(zeros == C * (H * W - kept_rows * kept_cols));
    }
  }
  // A concrete case: one pixel moves one row down and two columns left.
  std::vector<float> dot(size_t(H) * W, 0.0f), moved(dot.size());
  dot[size_t(1) * W + 3] = 0.5f;
  data::translate_image(moved.data(), dot.data(), 1, H, W, 1, -2);
  CHECK(moved[size_t(2) * W + 1] == 0.5f);
  float total = 0.0f;
  for (float v : moved) total += v;
  CHECK(total == 0.5f);
}

TEST_CASE("augment: a mirror image reverses every row, and mirroring twice restores the image") {
  const int C = 2, H = 3, W = 5;
  const std::vector<float> in = numbered_image(C, H, W);
  std::vector<float> x = in;
  data::flip_image(x.data(), C, H, W);
  for (int row = 0; row < C * H; ++row)
    for (int col = 0; col < W; ++col) CHECK(x[size_t(row) * W + col] == in[size_t(row) * W + (W - 1 - col)]);
  data::flip_image(x.data(), C, H, W);
  CHECK(x == in);
}

TEST_CASE("augment: every augmented image is the original moved by at most max_shift, each move drawn") {
  const int C = 1, H = 8, W = 8, B = 400;
  const std::vector<float> one = numbered_image(C, H, W);
  std::vector<float> batch;
  for (int b = 0; b < B; ++b) batch.insert(batch.end(), one.begin(), one.end());
  data::Augmentation a;
  a.max_shift = 2;
  a.flip = true;
  pg::Rng rng(11);
  std::vector<float> scratch(one.size()), candidate(one.size());
  data::augment_images(batch.data(), B, C, H, W, a, rng, scratch.data());
  std::set<std::pair<int, int>> moves_seen;
  int flipped = 0;
  for (int b = 0; b < B; ++b) {
    const float* img = batch.data() + size_t(b) * one.size();
    bool found = false;
    for (int f = 0; f < 2 && !found; ++f) {
      std::vector<float> src = one;
      if (f) data::flip_image(src.data(), C, H, W);
      for (int dy = -2; dy <= 2 && !found; ++dy)
        for (int dx = -2; dx <= 2 && !found; ++dx) {
          data::translate_image(candidate.data(), src.data(), C, H, W, dy, dx);
          if (std::memcmp(candidate.data(), img, sizeof(float) * one.size()) == 0) {
            found = true;
            moves_seen.insert({dy, dx});
            flipped += f;
          }
        }
    }
    CHECK(found);
  }
  CHECK(moves_seen.size() == 25);  // all 5 x 5 moves occur in 400 draws
  CHECK(flipped > B / 4);
  CHECK(flipped < 3 * B / 4);
}

TEST_CASE("augment: the same generator state gives the same bits, another step other bits") {
  const int C = 1, H = 10, W = 10, B = 16;
  std::vector<float> base(size_t(B) * C * H * W);
  pg::Rng fill(3);
  for (float& v : base) v = float(fill.uniform());
  data::Augmentation a;
  a.max_shift = 2;
  a.flip = true;
  std::vector<float> scratch(size_t(C) * H * W);
  auto augmented = [&](uint64_t seed, uint64_t step) {
    std::vector<float> x = base;
    pg::Rng rng = pg::Rng(seed).fork(3).fork(step);
    data::augment_images(x.data(), B, C, H, W, a, rng, scratch.data());
    return x;
  };
  CHECK(augmented(1, 7) == augmented(1, 7));
  CHECK(augmented(1, 7) != augmented(1, 8));
  CHECK(augmented(1, 7) != augmented(2, 7));
  CHECK(augmented(1, 7) != base);
  data::Augmentation off;
  std::vector<float> x = base;
  pg::Rng rng(1);
  data::augment_images(x.data(), B, C, H, W, off, rng, scratch.data());
  CHECK(x == base);
}

TEST_CASE("trainer: augmented training is the same however the steps are split, and differs from no augmentation") {
  data::Augmentation a;
  a.max_shift = 1;
  a.flip = true;
  const int total = 60;
  nn::Trainer one, split, frames, again, plain;
  train_squares(one, a, total, {total});
  train_squares(split, a, total, {1, 17, 3, 25});
  train_squares(frames, a, total, std::vector<int>(13, 0));  // 13 single-step "frames" first
  train_squares(again, a, total, {total});
  train_squares(plain, data::Augmentation(), total, {total});
  CHECK(same_params(one, split));
  CHECK(same_params(one, frames));
  CHECK(same_params(one, again));
  CHECK_FALSE(same_params(one, plain));
  CHECK(one.run(0).last_eval.accuracy == split.run(0).last_eval.accuracy);
}

TEST_CASE("trainer: augmentation leaves non-image data alone") {
  data::Dataset points;
  points.n = 40, points.dim = 2, points.classes = 2;
  points.x.resize(80);
  points.y.resize(40);
  for (int i = 0; i < 40; ++i) {
    points.y[size_t(i)] = i % 2;
    points.x[size_t(2 * i)] = float(i % 2) - 0.5f;
    points.x[size_t(2 * i + 1)] = float(i) / 40.0f;
  }
  nn::Trainer with, without;
  for (nn::Trainer* t : {&with, &without}) {
    nn::TrainerConfig cfg;
    cfg.batch_size = 8;
    if (t == &with) cfg.augment.max_shift = 2, cfg.augment.flip = true;
    t->reset(points, points, cfg);
    nn::OptimizerConfig adam;
    REQUIRE(t->add_run("softmax", nn::mlp(2, {8}, 2), std::make_unique<nn::SoftmaxCrossEntropy>(), adam) == 0);
    t->step(20, 1e12);
  }
  CHECK(same_params(with, without));
}
