// test_nn_train.cpp - seeded end-to-end training through nn::Trainer: accuracy
// targets (LESSONS.md #11: both heads >= 95% on 3 blobs), real data packs,
// determinism across call splits, divergence handling, evaluation outputs.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>

#include "engine/data/pack.h"
#include "engine/data/toy.h"
#include "engine/nn/losses_face.h"
#include "engine/nn/losses_margin.h"
#include "engine/nn/losses_softmax.h"
#include "engine/nn/trainer.h"
#include "engine/simd.h"

static const double kNoBudgetLimit = 1e12;  // ms: run exactly the requested steps

static void blobs_split(data::Dataset& train, data::Dataset& test, uint64_t seed) {
  data::train_test_split(data::make_blobs(600, 3, 0.25f, seed), 0.3f, seed + 1, train, test);
}

static nn::OptimizerConfig adam(float lr) {
  nn::OptimizerConfig c;
  c.kind = nn::OptimizerKind::adam;
  c.lr = lr;
  return c;
}

TEST_CASE("softmax and squared-hinge heads side by side both reach >= 95% on 3 blobs") {
  data::Dataset train, test;
  blobs_split(train, test, 1);
  nn::TrainerConfig cfg;
  cfg.seed = 5;
  cfg.eval_every = 100;
  cfg.eval_samples = 0;
  nn::Trainer trainer;
  trainer.reset(std::move(train), std::move(test), cfg);
  const nn::ModelSpec spec = nn::mlp(2, {32, 32}, 3);
  REQUIRE(trainer.add_run("softmax", spec, std::make_unique<nn::SoftmaxCrossEntropy>(), adam(1e-2f)) == 0);
  REQUIRE(trainer.add_run("L2-SVM", spec, std::make_unique<nn::MultiClassHinge>(true, 1.0f), adam(1e-2f)) == 1);
  // Same initialization.
  const nn::Model &a = trainer.run(0).model, &b = trainer.run(1).model;
  REQUIRE(a.num_params() == b.num_params());
  CHECK(std::memcmp(a.params(), b.params(), sizeof(float) * a.num_params()) == 0);

  CHECK(trainer.step(600, kNoBudgetLimit) == 600);
  CHECK(trainer.state() == nn::Trainer::State::running);
  trainer.evaluate_all();
  for (int r = 0; r < 2; ++r) {
    const nn::Run& run = trainer.run(r);
    INFO(run.name << ": accuracy " << run.last_eval.accuracy << ", loss " << run.smoothed_loss);
    CHECK(run.last_eval.accuracy >= 0.95f);
    CHECK(run.test_accuracy.size() == 6);
    CHECK(run.train_loss.size() == 600);
    CHECK(run.train_loss.values()[599] < run.train_loss.values()[0]);
  }
  // The runs differ only by their loss, so their parameters differ now.
  CHECK(std::memcmp(a.params(), b.params(), sizeof(float) * a.num_params()) != 0);
}

TEST_CASE("cosine head (l2norm + cosine_linear) with ArcFace and normalized softmax learns blobs") {
  data::Dataset train, test;
  blobs_split(train, test, 3);
  nn::TrainerConfig cfg;
  cfg.seed = 9;
  cfg.eval_every = 0;
  nn::Trainer trainer;
  trainer.reset(std::move(train), std::move(test), cfg);
  nn::ModelSpec spec = nn::ModelSpec::vectors(2).linear(32).relu().linear(8).l2norm().cosine_linear(3);
  nn::MarginConfig arc;
  arc.scale = 16.0f;
  arc.margin = 0.3f;
  arc.elastic = true;
  arc.sigma = 0.05f;
  arc.plus = true;
  REQUIRE(trainer.add_run("ElasticArc+", spec, std::make_unique<nn::MarginSoftmax>(arc), adam(1e-2f)) == 0);
  REQUIRE(trainer.add_run("NormSoftmax", spec, std::make_unique<nn::SoftmaxCrossEntropy>(10.0f), adam(1e-2f)) == 1);
  trainer.step(400, kNoBudgetLimit);
  trainer.evaluate_all();
  CHECK(trainer.run(0).last_eval.accuracy >= 0.95f);
  CHECK(trainer.run(1).last_eval.accuracy >= 0.95f);
}

// Steps through `total` steps in the given chunk sizes (0 = one step per call,
// by a zero time budget), with a loss that draws random margins every step.
static void train_in_chunks(nn::Trainer& t, int total, const std::vector<int>& chunks) {
  data::Dataset train, test;
  data::train_test_split(data::make_spirals(300, 3, 0.05f, 4), 0.2f, 4, train, test);
  nn::TrainerConfig cfg;
  cfg.seed = 77;
  cfg.batch_size = 16;
  cfg.eval_every = 25;
  cfg.clip_norm = 1.0f;
  cfg.schedule = {nn::ScheduleKind::warmup_cosine, total, 20, 0.1f};
  cfg.curve_capacity = 64;  // forces curve merging along the way
  t.reset(std::move(train), std::move(test), cfg);
  nn::MarginConfig elastic;
  elastic.kind = nn::MarginKind::cos;
  elastic.scale = 8.0f;
  elastic.elastic = true;
  elastic.plus = true;
  t.add_run("ce", nn::mlp(2, {16, 16}, 3, nn::LayerKind::gelu), std::make_unique<nn::SoftmaxCrossEntropy>(), adam(1e-2f));
  t.add_run("elastic", nn::ModelSpec::vectors(2).linear(16).tanh().l2norm().cosine_linear(3),
            std::make_unique<nn::MarginSoftmax>(elastic), adam(1e-2f));
  int done = 0;
  for (int c : chunks) done += c == 0 ? t.step(1000000, 0.0) : t.step(c, kNoBudgetLimit);
  while (done < total) done += t.step(total - done, kNoBudgetLimit);
  REQUIRE(t.steps_done() == total);
}

TEST_CASE("determinism: N steps in one call == the same N steps split across calls, bit for bit") {
  const int total = 300;
  nn::Trainer one, split, frames;
  train_in_chunks(one, total, {total});
  train_in_chunks(split, total, {1, 99, 7, 13, 80});
  train_in_chunks(frames, total, std::vector<int>(37, 0));  // 37 single-step "frames" first
  for (nn::Trainer* other : {&split, &frames}) {
    for (int r = 0; r < 2; ++r) {
      const nn::Run &x = one.run(r), &y = other->run(r);
      REQUIRE(x.model.num_params() == y.model.num_params());
      CHECK(std::memcmp(x.model.params(), y.model.params(), sizeof(float) * x.model.num_params()) == 0);
      CHECK(x.train_loss.size() == y.train_loss.size());
      CHECK(std::memcmp(x.train_loss.values(), y.train_loss.values(), sizeof(float) * x.train_loss.size()) == 0);
      CHECK(x.test_accuracy.size() == y.test_accuracy.size());
      CHECK(x.last_eval.accuracy == y.last_eval.accuracy);
      CHECK(x.last_loss == y.last_loss);
    }
  }
  CHECK(one.run(1).train_loss.stride() > 1);  // the curves were merged along the way
}

TEST_CASE("divergence: a huge learning rate stops the trainer with a message, no crash") {
  data::Dataset train, test;
  blobs_split(train, test, 6);
  nn::TrainerConfig cfg;
  cfg.seed = 3;
  nn::Trainer trainer;
  trainer.reset(train, test, cfg);
  nn::OptimizerConfig sgd;
  sgd.kind = nn::OptimizerKind::sgd;
  sgd.lr = 1e30f;
  REQUIRE(trainer.add_run("exploding", nn::mlp(2, {16}, 3), std::make_unique<nn::SoftmaxCrossEntropy>(), sgd) == 0);
  const int steps = trainer.step(1000, kNoBudgetLimit);
  CHECK(steps < 1000);
  CHECK(trainer.diverged());
  CHECK(trainer.run(0).diverged);
  INFO(trainer.message());
  CHECK(trainer.message().find("lower the learning rate and reset") != std::string::npos);
  CHECK(trainer.message().find("at step " + std::to_string(steps)) != std::string::npos);
  CHECK(trainer.step(10, kNoBudgetLimit) == 0);  // stays stopped

  // With stop_on_divergence off, the healthy run keeps training.
  cfg.stop_on_divergence = false;
  trainer.reset(train, test, cfg);
  trainer.add_run("exploding", nn::mlp(2, {16}, 3), std::make_unique<nn::SoftmaxCrossEntropy>(), sgd);
  trainer.add_run("healthy", nn::mlp(2, {16}, 3), std::make_unique<nn::SoftmaxCrossEntropy>(), adam(1e-2f));
  CHECK(trainer.step(200, kNoBudgetLimit) == 200);
  CHECK(trainer.run(0).diverged);
  CHECK_FALSE(trainer.run(1).diverged);
  CHECK(trainer.state() == nn::Trainer::State::running);
  CHECK(trainer.message().rfind("exploding: ", 0) == 0);
}

TEST_CASE("trainer rejects runs that do not fit the data, with a message") {
  data::Dataset train, test;
  blobs_split(train, test, 7);
  nn::Trainer trainer;
  trainer.reset(std::move(train), std::move(test), nn::TrainerConfig());
  CHECK(trainer.add_run("too few outputs", nn::mlp(2, {8}, 2), std::make_unique<nn::SoftmaxCrossEntropy>(), adam(1e-2f)) == -1);
  CHECK(trainer.error().find("outputs") != std::string::npos);
  CHECK(trainer.add_run("wrong inputs", nn::mlp(5, {8}, 3), std::make_unique<nn::SoftmaxCrossEntropy>(), adam(1e-2f)) == -1);
  CHECK(trainer.error().find("inputs") != std::string::npos);
  nn::ModelSpec bad = nn::ModelSpec::vectors(2).conv2d(4, 5, nn::Padding::valid);
  CHECK(trainer.add_run("bad conv", bad, std::make_unique<nn::SoftmaxCrossEntropy>(), adam(1e-2f)) == -1);
  CHECK(trainer.error().find("does not fit") != std::string::npos);
  CHECK(trainer.state() == nn::Trainer::State::empty);
  CHECK(trainer.step(10, kNoBudgetLimit) == 0);
}

TEST_CASE("evaluation: confusion matrix, top-k, decision grid, max_steps") {
  data::Dataset train, test;
  blobs_split(train, test, 8);
  nn::TrainerConfig cfg;
  cfg.max_steps = 300;
  cfg.top_k = 2;
  nn::Trainer trainer;
  trainer.reset(std::move(train), std::move(test), cfg);
  trainer.add_run("softmax", nn::mlp(2, {16}, 3), std::make_unique<nn::SoftmaxCrossEntropy>(), adam(1e-2f));
  CHECK(trainer.step(1000, kNoBudgetLimit) == 300);
  CHECK(trainer.state() == nn::Trainer::State::finished);
  trainer.evaluate_all();
  const nn::EvalResult& e = trainer.run(0).last_eval;
  CHECK(e.samples == trainer.test_data().n);
  int total = 0, diagonal = 0;
  for (int t = 0; t < 3; ++t)
    for (int p = 0; p < 3; ++p) {
      total += e.confusion_at(t, p);
      if (t == p) diagonal += e.confusion_at(t, p);
    }
  CHECK(total == e.samples);
  CHECK(float(diagonal) / total == doctest::Approx(e.accuracy));
  CHECK(e.top_k_accuracy >= e.accuracy);
  CHECK(e.mean_nll > 0.0f);

  // Decision regions: each blob centre (radius 1 on a circle) is classified as its blob.
  nn::Grid grid;
  grid.nx = 40;
  grid.ny = 30;
  std::vector<int> cls(grid.nx * grid.ny);
  std::vector<float> confidence(grid.nx * grid.ny);
  trainer.decision_grid(0, grid, cls.data(), confidence.data());
  for (int c : cls) CHECK((c >= 0 && c < 3));
  for (float p : confidence) CHECK((p >= 1.0f / 3.0f - 1e-6f && p <= 1.0f));
  const data::Dataset& tr = trainer.train_data();
  for (int k = 0; k < 3; ++k) {
    double cx = 0.0, cy = 0.0;
    int n = 0;
    for (int i = 0; i < tr.n; ++i) {
      if (tr.y[i] != k) continue;
      cx += tr.x[2 * i];
      cy += tr.x[2 * i + 1];
      ++n;
    }
    cx /= n;
    cy /= n;
    const int col = int((cx - grid.x_min) / (grid.x_max - grid.x_min) * grid.nx);
    const int row = int((grid.y_max - cy) / (grid.y_max - grid.y_min) * grid.ny);  // row 0 at the top
    CHECK(cls[row * grid.nx + col] == k);
  }
}

// Loads a pack for a test, or fails with the command that builds it.
static bool load_required_pack(const char* path, data::Dataset& train, data::Dataset& test) {
  data::Pack pack;
  std::string error;
  if (!data::load_pack_file(path, pack, error)) {
    FAIL_CHECK(error << " (run `node scripts/make_data_packs.mjs` from the repository root before the tests)");
    return false;
  }
  data::pack_to_datasets(pack, train, test);
  return true;
}

TEST_CASE("UCI digits pack: an MLP and a small CNN are far above chance") {
  data::Dataset train, test;
  if (!load_required_pack("build/data/digits.pack", train, test)) return;
  nn::TrainerConfig cfg;
  cfg.seed = 21;
  cfg.eval_every = 0;
  nn::Trainer trainer;
  trainer.reset(std::move(train), std::move(test), cfg);
  REQUIRE(trainer.add_run("mlp", nn::mlp(64, {64}, 10), std::make_unique<nn::SoftmaxCrossEntropy>(), adam(1e-2f)) == 0);
  nn::ModelSpec cnn = nn::ModelSpec::images(1, 8, 8).conv2d(8, 3, nn::Padding::same).relu().maxpool2x2().linear(10);
  REQUIRE(trainer.add_run("cnn", cnn, std::make_unique<nn::MultiClassHinge>(true, 0.5f), adam(3e-3f)) == 1);
  trainer.step(600, kNoBudgetLimit);
  trainer.evaluate_all();
  INFO("mlp " << trainer.run(0).last_eval.accuracy << ", cnn " << trainer.run(1).last_eval.accuracy);
  CHECK(trainer.run(0).last_eval.accuracy >= 0.95f);  // chance is 0.10
  CHECK(trainer.run(1).last_eval.accuracy >= 0.90f);
  CHECK(trainer.run(0).last_eval.top_k_accuracy >= 0.99f);
}

TEST_CASE("MNIST pack: a small MLP learns within a few hundred steps") {
  std::FILE* f = std::fopen("build/data/mnist.pack", "rb");
  if (!f) {
    MESSAGE("build/data/mnist.pack missing, test skipped; build it with: node scripts/make_data_packs.mjs");
    return;
  }
  std::fclose(f);
  data::Dataset train, test;
  if (!load_required_pack("build/data/mnist.pack", train, test)) return;
  nn::TrainerConfig cfg;
  cfg.seed = 2;
  cfg.eval_every = 0;
  nn::Trainer trainer;
  trainer.reset(std::move(train), std::move(test), cfg);
  trainer.add_run("mlp", nn::mlp(784, {64}, 10), std::make_unique<nn::SoftmaxCrossEntropy>(), adam(2e-3f));
  trainer.step(300, kNoBudgetLimit);
  trainer.evaluate_all(1000);
  INFO("accuracy " << trainer.run(0).last_eval.accuracy);
  CHECK(trainer.run(0).last_eval.accuracy >= 0.85f);
}

// ---- subnormal numbers ---------------------------------------------------------
// x86 CPUs run ~100x slower on every operation with a subnormal operand or
// result, and WebAssembly cannot turn on flush-to-zero; a converged run on an
// easy toy used to slow down 2-3x as its gradients and Adam moments decayed
// into that range.  simd::flush_below and the thresholds in optim.h keep
// them out.
static int count_subnormal(const float* x, size_t n) {
  int count = 0;
  for (size_t i = 0; i < n; ++i) count += std::fpclassify(x[i]) == FP_SUBNORMAL;
  return count;
}

TEST_CASE("flush_below: the SIMD form and its scalar twin agree on edge values") {
  const float sub = 1e-40f, tiny = nn::kTinyGradient;
  const float xs[] = {0.0f, -0.0f, sub, -sub, 1.17549435e-38f, tiny * 0.5f, -tiny * 0.5f, tiny, -tiny, tiny * 2.0f,
                      1.0f, -3.0f, INFINITY, -INFINITY, NAN, 1e30f};
  for (float x : xs) {
    float lanes[4];
    simd::store(lanes, simd::flush_below(simd::set4(x, x, x, x), simd::set1(tiny)));
    const float scalar = nn::flush_below(x, tiny);
    uint32_t a, b;
    std::memcpy(&a, &lanes[2], 4);
    std::memcpy(&b, &scalar, 4);
    CHECK_MESSAGE(a == b, "x = " << x);
    if (std::isnan(x)) CHECK(std::isnan(scalar));
    else if (std::fabs(x) < tiny) CHECK(b == 0u);  // +0, also for -0 and negative tiny values
    else CHECK(scalar == x);
  }
}

TEST_CASE("a long converged run keeps gradients and optimizer moments out of the subnormal range") {
  for (nn::OptimizerKind kind : {nn::OptimizerKind::adam, nn::OptimizerKind::sgd}) {
    nn::TrainerConfig config;
    config.seed = 3;
    config.batch_size = 32;
    config.eval_every = 0;
    nn::Trainer trainer;
    trainer.reset(data::make_blobs(512, 3, 0.2f, 3), data::Dataset(), config);
    nn::OptimizerConfig opt = adam(kind == nn::OptimizerKind::adam ? 3e-3f : 0.1f);
    opt.kind = kind;
    REQUIRE(trainer.add_run("mlp", nn::mlp(2, {32, 32}, 3), std::make_unique<nn::SoftmaxCrossEntropy>(), opt) == 0);
    int subnormal_grads = 0;
    trainer.set_grad_hook([&](int, nn::Model& m, const float*, const int*, int) {
      subnormal_grads += count_subnormal(m.grads(), size_t(m.num_params()));
    });
    trainer.step(3000, kNoBudgetLimit);
    const nn::Run& run = trainer.run(0);
    INFO("optimizer " << (kind == nn::OptimizerKind::adam ? "adam" : "sgd"));
    REQUIRE_FALSE(trainer.diverged());
    CHECK(run.last_loss < 1e-3f);  // converged: the regime where subnormals used to appear
    CHECK(subnormal_grads == 0);
    CHECK(count_subnormal(run.dlogits.data(), run.dlogits.size()) == 0);
    const auto& m = run.optimizer.first_moment();
    const auto& v = run.optimizer.second_moment();
    CHECK(count_subnormal(m.data(), m.size()) == 0);
    CHECK(count_subnormal(v.data(), v.size()) == 0);
  }
}
