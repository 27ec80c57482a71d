// The generalized trainer: target kinds (labels, label sets, vectors) and
// their metrics, the data-set registry, gradient transforms and the weight
// hook, ROC/AUROC/TNR@95 against brute force, and the emulated
// reduced-precision softmax sums.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "engine/data/generated.h"
#include "engine/data/registry.h"
#include "engine/data/toy.h"
#include "engine/nn/eval.h"
#include "engine/nn/grad_transforms.h"
#include "engine/nn/losses_softmax.h"
#include "engine/nn/losses_vector.h"
#include "engine/nn/reduced_sum.h"
#include "engine/nn/trainer.h"
#include "tests/test_nn_util.h"

using nntest::random_vector;

namespace {

uint64_t dataset_hash(const data::Dataset& d) {
  uint64_t h = 1469598103934665603ull;
  auto mix = [&h](const void* p, size_t n) {
    const unsigned char* b = static_cast<const unsigned char*>(p);
    for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 1099511628211ull;
  };
  mix(&d.n, sizeof d.n);
  mix(d.x.data(), d.x.size() * sizeof(float));
  mix(d.pixels.data(), d.pixels.size());
  mix(d.y.data(), d.y.size() * sizeof(int));
  mix(d.label_sets.data(), d.label_sets.size() * sizeof(int));
  mix(d.targets.data(), d.targets.size() * sizeof(float));
  return h;
}

}  // namespace

// ------------------------------------------------------------------ registry
TEST_CASE("registry: every generated set is deterministic by seed, and the hashes are pinned (native == wasm)") {
  // The pinned hashes were recorded natively; the wasm build runs this same
  // test, so equal hashes there mean bit-identical generators.
  struct Expect {
    const char* key;
    uint64_t train_hash, test_hash;
  };
  const Expect expected[] = {
      {"blobs", 11039723006241907740ull, 13819375223123999646ull},
      {"moons", 2708803978727464254ull, 8036947094863551542ull},
      {"spirals", 10338421806554775611ull, 8783157896644214404ull},
      {"rings", 11356841831100593916ull, 17854591595595394504ull},
      {"modular-addition", 16025417667463504840ull, 8073740490733461223ull},
      {"multilabel-scenes", 12349699137458865338ull, 643830797734078945ull},
  };
  for (const Expect& e : expected) {
    const data::DatasetInfo* info = data::find_dataset(e.key);
    REQUIRE(info != nullptr);
    REQUIRE(bool(info->make));
    data::DatasetOptions o;
    data::Dataset a_train, a_test, b_train, b_test, c_train, c_test;
    info->make(o, 11, a_train, a_test);
    info->make(o, 11, b_train, b_test);
    info->make(o, 12, c_train, c_test);
    CHECK(dataset_hash(a_train) == dataset_hash(b_train));
    CHECK(dataset_hash(a_test) == dataset_hash(b_test));
    CHECK(dataset_hash(a_train) != dataset_hash(c_train));
    CHECK_MESSAGE(dataset_hash(a_train) == e.train_hash, e.key);
    CHECK_MESSAGE(dataset_hash(a_test) == e.test_hash, e.key);
  }
}

TEST_CASE("registry: the old data-set ids are its first entries, and the toys are the old recipe") {
  const char* keys[] = {"blobs", "moons", "spirals", "rings", "digits", "mnist", "fashion-mnist"};
  for (int i = 0; i < 7; ++i) CHECK(data::dataset_index(keys[i]) == i);
  CHECK(data::find_dataset("nope") == nullptr);
  // blobs: 900 points, 3 classes, noise 0.25, a third held out at seed + 1.
  data::ToyConfig cfg;
  cfg.kind = data::ToyKind::blobs;
  cfg.n = 900, cfg.classes = 3, cfg.noise = 0.25f;
  data::Dataset all = data::make_toy(cfg, 5), train, test, rtrain, rtest;
  data::train_test_split(all, 1.0f / 3.0f, 6, train, test);
  data::find_dataset("blobs")->make(data::DatasetOptions(), 5, rtrain, rtest);
  CHECK(dataset_hash(train) == dataset_hash(rtrain));
  CHECK(dataset_hash(test) == dataset_hash(rtest));
}

TEST_CASE("modular addition: every pair once, label (a + b) mod p, the train fraction honoured") {
  const int p = 13;
  data::Dataset train, test;
  data::make_modular_addition(p, 0.3f, 4, train, test);
  CHECK(train.n == int(0.3f * p * p + 0.5f));
  CHECK(train.n + test.n == p * p);
  CHECK(train.dim == 2 * p);
  CHECK(train.classes == p);
  std::vector<int> seen(p * p, 0);
  for (const data::Dataset* d : {&train, &test}) {
    std::vector<float> row(2 * p);
    for (int i = 0; i < d->n; ++i) {
      d->row(i, row.data());
      int a = -1, b = -1, ones = 0;
      for (int k = 0; k < 2 * p; ++k) {
        if (row[k] == 1.0f) {
          ++ones;
          (k < p ? a : b) = k < p ? k : k - p;
        }
      }
      REQUIRE(ones == 2);
      REQUIRE(a >= 0);
      REQUIRE(b >= 0);
      CHECK(d->y[i] == (a + b) % p);
      ++seen[a * p + b];
    }
  }
  for (int c : seen) CHECK(c == 1);
}

TEST_CASE("multi-label scenes: label sets are distinct valid labels, padded with -1") {
  data::Dataset d = data::make_multilabel_scenes(300, 8, 16, 3, 0.2f, 9);
  CHECK(d.target_kind == data::TargetKind::label_set);
  CHECK(d.target_width == 3);
  REQUIRE(int(d.label_sets.size()) == 300 * 3);
  for (int i = 0; i < d.n; ++i) {
    const int* s = d.label_sets.data() + i * 3;
    CHECK(s[0] >= 0);
    CHECK(s[0] == d.y[i]);
    bool padding = false;
    for (int k = 0; k < 3; ++k) {
      if (s[k] < 0) padding = true;
      else CHECK_FALSE(padding);  // no label after padding
      for (int e = 0; e < k; ++e)
        if (s[k] >= 0) CHECK(s[k] != s[e]);
    }
  }
}

// ------------------------------------------------------------ target kinds
TEST_CASE("trainer: label sets train a multi-positive head, and P@k / mAP follow") {
  data::DatasetOptions o;
  data::Dataset train, test;
  data::find_dataset("multilabel-scenes")->make(o, 3, train, test);
  nn::TrainerConfig cfg;
  cfg.seed = 3;
  cfg.batch_size = 64;
  cfg.max_steps = 300;
  cfg.eval_every = 0;
  cfg.top_k = 3;
  cfg.detect_stuck = false;
  nn::Trainer t;
  const int W = train.target_width, C = train.classes, dim = train.dim;
  t.reset(std::move(train), std::move(test), cfg);
  nn::OptimizerConfig adam;
  adam.lr = 5e-3f;
  // A label loss on label-set data is refused with a message.
  CHECK(t.add_run("ce", nn::mlp(dim, {32}, C), std::make_unique<nn::SoftmaxCrossEntropy>(), adam) == -1);
  CHECK(t.error().find("label set") != std::string::npos);
  REQUIRE(t.add_run("multi", nn::mlp(dim, {32}, C), std::make_unique<nn::MultiPositiveSoftmax>(W), adam) == 0);
  t.evaluate_all();
  const nn::EvalResult before = t.run(0).last_eval;
  CHECK(before.kind == data::TargetKind::label_set);
  while (t.state() == nn::Trainer::State::running) t.step(1000, 1e9);
  t.evaluate_all();
  const nn::EvalResult& e = t.run(0).last_eval;
  CHECK(e.samples == t.test_data().n);
  CHECK(e.accuracy > 0.9f);  // P@1: the top score is one of the scene's objects
  CHECK(e.mean_ap > before.mean_ap + 0.3f);
  CHECK(e.mean_ap > 0.8f);
  CHECK(e.precision_at_k > 0.5f);  // up to 4 objects per scene, k = 3
  CHECK(e.precision_at_k <= 1.0f);
  CHECK(e.top_k_accuracy >= e.accuracy);
}

TEST_CASE("trainer: vector targets train with MSE; a vector loss on labels reads one-hot vectors") {
  // Regression onto a fixed linear map of 2-D points (targets (n, 3)).
  data::Dataset all = data::make_blobs(400, 3, 0.3f, 8);
  all.target_kind = data::TargetKind::vector;
  all.target_width = 3;
  all.targets.resize(size_t(all.n) * 3);
  for (int i = 0; i < all.n; ++i) {
    const float x = all.x[2 * i], y = all.x[2 * i + 1];
    all.targets[3 * i] = x + y, all.targets[3 * i + 1] = x - 2 * y, all.targets[3 * i + 2] = 0.5f * x;
  }
  data::Dataset train, test;
  data::train_test_split(all, 0.25f, 9, train, test);
  nn::TrainerConfig cfg;
  cfg.seed = 4;
  cfg.max_steps = 400;
  cfg.eval_every = 0;
  cfg.detect_stuck = false;
  nn::Trainer t;
  t.reset(std::move(train), std::move(test), cfg);
  nn::OptimizerConfig adam;
  adam.lr = 1e-2f;
  CHECK(t.add_run("bad", nn::mlp(2, {16}, 4), std::make_unique<nn::MeanSquaredError>(), adam) == -1);  // 4 != 3
  REQUIRE(t.add_run("mse", nn::mlp(2, {16}, 3), std::make_unique<nn::MeanSquaredError>(), adam) == 0);
  t.evaluate_all();
  const float mse0 = t.run(0).last_eval.mse;
  while (t.state() == nn::Trainer::State::running) t.step(1000, 1e9);
  t.evaluate_all();
  CHECK(t.run(0).last_eval.kind == data::TargetKind::vector);
  CHECK(t.run(0).last_eval.mse < 0.05f * mse0);
  CHECK(t.run(0).last_eval.mse < 0.01f);

  // MSE on one-hot labels (a regression onto the class vector) still classifies.
  data::Dataset tr2, te2;
  data::find_dataset("blobs")->make(data::DatasetOptions(), 2, tr2, te2);
  nn::Trainer t2;
  t2.reset(std::move(tr2), std::move(te2), cfg);
  REQUIRE(t2.add_run("mse", nn::mlp(2, {16}, 3), std::make_unique<nn::MeanSquaredError>(), adam) == 0);
  while (t2.state() == nn::Trainer::State::running) t2.step(1000, 1e9);
  t2.evaluate_all();
  CHECK(t2.run(0).last_eval.accuracy > 0.9f);
}

TEST_CASE("grad: mean squared error and soft-target cross-entropy (vector targets and one-hot labels)") {
  pg::Rng rng(61);
  const int B = 3, C = 4;
  std::vector<float> logits = random_vector(rng, B * C, -2, 2), soft = random_vector(rng, B * C, 0, 1);
  const std::vector<int> labels = {1, 3, 0};
  nn::MeanSquaredError mse;
  nn::SoftTargetCrossEntropy soft_ce;
  for (nn::Loss* loss : {static_cast<nn::Loss*>(&mse), static_cast<nn::Loss*>(&soft_ce)}) {
    for (int use_vector = 0; use_vector < 2; ++use_vector) {
      nn::Targets t;
      if (use_vector) t.values = soft.data(), t.width = C;
      else t.labels = labels.data();
      std::vector<float> analytic(B * C);
      loss->backward_targets(logits.data(), t, B, C, analytic.data());
      auto f = [&] { return double(loss->forward_targets(logits.data(), t, B, C)); };
      nntest::check_gradient(loss->name(), f, logits.data(), analytic.data(), B * C, 1e-2f, 2e-3, 1e-5);
    }
  }
  // Soft-target CE on one-hot labels is plain softmax cross-entropy.
  nn::SoftmaxCrossEntropy ce;
  CHECK(soft_ce.forward(logits.data(), labels.data(), B, C) ==
        doctest::Approx(ce.forward(logits.data(), labels.data(), B, C)).epsilon(1e-6));
}

// ------------------------------------------------ transforms and the hook
TEST_CASE("perpGrad: the projected gradient is orthogonal to the weights and keeps the gradient's norm") {
  pg::Rng rng(62);
  std::vector<float> w = random_vector(rng, 37), g = random_vector(rng, 37);
  for (int i = 0; i < 37; ++i) g[i] += 0.8f * w[i];  // a large radial component
  double gg0 = 0;
  for (float v : g) gg0 += double(v) * v;
  nn::perp_grad(g.data(), w.data(), 37);
  double wg = 0, gg = 0, ww = 0;
  for (int i = 0; i < 37; ++i) wg += double(w[i]) * g[i], gg += double(g[i]) * g[i], ww += double(w[i]) * w[i];
  CHECK(std::fabs(wg) / std::sqrt(gg * ww) < 1e-6);
  CHECK(std::sqrt(gg) == doctest::Approx(std::sqrt(gg0)).epsilon(1e-6));
}

TEST_CASE("trainer: gradient transforms run in order for their runs, after the grad hook; the weight hook before every forward") {
  data::Dataset train, test;
  data::find_dataset("blobs")->make(data::DatasetOptions(), 1, train, test);
  nn::TrainerConfig cfg;
  cfg.seed = 1;
  cfg.max_steps = 5;
  cfg.eval_every = 0;
  nn::Trainer t;
  t.reset(std::move(train), std::move(test), cfg);
  nn::OptimizerConfig adam;
  REQUIRE(t.add_run("a", nn::mlp(2, {8}, 3), std::make_unique<nn::SoftmaxCrossEntropy>(), adam) == 0);
  REQUIRE(t.add_run("b", nn::mlp(2, {8}, 3), std::make_unique<nn::SoftmaxCrossEntropy>(), adam) == 1);
  std::vector<int> log;
  log.reserve(200);
  t.set_grad_hook([&](int r, nn::Model&, const float*, const int*, int) { log.push_back(100 + r); });
  t.add_grad_transform([&](int r, nn::Model&, const nn::Batch& b) {
    CHECK(b.B == t.batch_size());
    log.push_back(200 + r);
  });
  t.add_grad_transform([&](int r, nn::Model&, const nn::Batch&) { log.push_back(300 + r); }, 1);
  int training_forwards = 0, eval_forwards = 0;
  t.set_weight_hook([&](int, nn::Model&, bool training) { (training ? training_forwards : eval_forwards) += 1; });
  t.step(1, 1e9);
  CHECK(log == std::vector<int>{100, 200, 101, 201, 301});
  CHECK(training_forwards == 2);
  t.evaluate_all();
  CHECK(eval_forwards == 2);
  // A transform that zeroes run 1's gradient from the start freezes it
  // (it acts before the update: Adam's moments stay 0), run 0 moves.
  data::Dataset train2, test2;
  data::find_dataset("blobs")->make(data::DatasetOptions(), 1, train2, test2);
  nn::Trainer t2;
  t2.reset(std::move(train2), std::move(test2), cfg);
  REQUIRE(t2.add_run("a", nn::mlp(2, {8}, 3), std::make_unique<nn::SoftmaxCrossEntropy>(), adam) == 0);
  REQUIRE(t2.add_run("b", nn::mlp(2, {8}, 3), std::make_unique<nn::SoftmaxCrossEntropy>(), adam) == 1);
  t2.add_grad_transform([](int, nn::Model& m, const nn::Batch&) {
    for (int i = 0; i < m.num_params(); ++i) m.grads()[i] = 0.0f;
  }, 1);
  const std::vector<float> before(t2.run(1).model.params(), t2.run(1).model.params() + t2.run(1).model.num_params());
  t2.step(3, 1e9);
  const float* after = t2.run(1).model.params();
  const float* moved = t2.run(0).model.params();
  bool same = true, run0_same = true;
  for (size_t i = 0; i < before.size(); ++i) {
    same = same && before[i] == after[i];
    run0_same = run0_same && before[i] == moved[i];
  }
  CHECK_FALSE(run0_same);
  CHECK(same);
}

// --------------------------------------------------------------- ROC, AP
TEST_CASE("ROC: AUROC and TNR at 95% TPR equal brute-force counts (with ties)") {
  pg::Rng rng(63);
  for (int trial = 0; trial < 20; ++trial) {
    const int n = 5 + int(rng.below(200));
    std::vector<float> s(n);
    std::vector<int> pos(n);
    for (int i = 0; i < n; ++i) {
      pos[i] = rng.uniform() < 0.4 ? 1 : 0;
      s[i] = float(int(rng.uniform(0, 12)) + (pos[i] ? 3 : 0)) * 0.25f;  // coarse: many ties
    }
    if (std::count(pos.begin(), pos.end(), 1) == 0) pos[0] = 1;
    if (std::count(pos.begin(), pos.end(), 0) == 0) pos[1] = 0;
    const nn::RocCurve roc = nn::roc_curve(s.data(), pos.data(), n);
    double wins = 0, pairs = 0;
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j)
        if (pos[i] && !pos[j]) {
          pairs += 1;
          wins += s[i] > s[j] ? 1.0 : (s[i] == s[j] ? 0.5 : 0.0);
        }
    CHECK(roc.auroc == doctest::Approx(wins / pairs).epsilon(1e-12));
    // TNR at 95% TPR: the highest threshold t (among the scores) accepting
    // >= 95% of positives as "score >= t"; TNR = share of negatives below t.
    double best_t = -INFINITY;
    double npos = 0, nneg = 0;
    for (int i = 0; i < n; ++i) (pos[i] ? npos : nneg) += 1;
    for (int i = 0; i < n; ++i) {
      double tp = 0;
      for (int j = 0; j < n; ++j) tp += pos[j] && s[j] >= s[i] ? 1 : 0;
      if (tp / npos >= 0.95 && s[i] > best_t) best_t = s[i];
    }
    double below = 0;
    for (int j = 0; j < n; ++j) below += !pos[j] && s[j] < best_t ? 1 : 0;
    CHECK(roc.tnr_at_95_tpr == doctest::Approx(below / nneg).epsilon(1e-12));
    CHECK(roc.fpr.front() == 0.0);
    CHECK(roc.tpr.back() == 1.0);
    CHECK(roc.fpr.back() == 1.0);
  }
}

TEST_CASE("average precision: brute-force ranking, duplicates and padding ignored") {
  const float scores[6] = {0.9f, 0.1f, 0.5f, 0.7f, 0.3f, 0.5f};
  // Ranking: 0 (0.9), 3 (0.7), 2 and 5 (0.5 tie), 4, 1.  Positives {3, 5}:
  // 3 is 2nd -> 1/2; 5 ties with 2 -> ranked 4th -> 2/4.  AP = (0.5 + 0.5) / 2.
  const int positives[4] = {3, 5, -1, 3};
  CHECK(nn::average_precision(scores, 6, positives, 4) == doctest::Approx(0.5));
  const int top[2] = {0, -1};
  CHECK(nn::average_precision(scores, 6, top, 2) == doctest::Approx(1.0));
  // Macro AP over 3 rows of 2 classes.
  const float s2[6] = {0.9f, 0.1f, 0.2f, 0.8f, 0.6f, 0.4f};
  const int sets[3] = {0, 1, 1};
  // class 0: positive row 0 ranks first -> AP 1; class 1: positives rows 1, 2 with scores .8, .4;
  // ranking by class-1 score: row 1 (.8), row 2 (.4), row 0 (.1) -> AP 1.
  CHECK(nn::macro_average_precision(s2, 3, 2, sets, 1) == doctest::Approx(1.0));
}

// ---------------------------------------------------- reduced-precision sums
TEST_CASE("reduced precision: binary16 rounding is IEEE round-to-nearest-even") {
  using nn::SumPrecision;
  CHECK(nn::round_to(SumPrecision::float16, 1.0 + std::ldexp(1.0, -11)) == 1.0);  // tie -> even
  CHECK(nn::round_to(SumPrecision::float16, 1.0 + 3 * std::ldexp(1.0, -11)) == 1.0 + std::ldexp(1.0, -9));
  CHECK(nn::round_to(SumPrecision::float16, 65504.0) == 65504.0);
  CHECK(std::isinf(nn::round_to(SumPrecision::float16, 65520.0)));
  CHECK(nn::round_to(SumPrecision::float16, std::ldexp(1.0, -24)) == std::ldexp(1.0, -24));  // smallest subnormal
  CHECK(nn::round_to(SumPrecision::float16, std::ldexp(1.0, -25)) == 0.0);                    // tie -> even (0)
  CHECK(nn::round_to(SumPrecision::float16, 0.1) == doctest::Approx(0.0999755859375).epsilon(1e-15));
  CHECK(nn::round_to(SumPrecision::float32, 0.1) == double(0.1f));
  CHECK(nn::round_to(SumPrecision::float64, 0.1) == 0.1);
}

TEST_CASE("Softmax Collapse thresholds for 113 classes: 16.64 largest-first, 21.35 small-terms-first (float32)") {
  using nn::SumOrder;
  using nn::SumPrecision;
  const double first = nn::collapse_threshold(113, SumPrecision::float32, SumOrder::largest_first);
  const double last = nn::collapse_threshold(113, SumPrecision::float32, SumOrder::smallest_first);
  CHECK(first == doctest::Approx(16.636).epsilon(2e-4));  // 24 ln 2 = 16.6355
  CHECK(last == doctest::Approx(21.354).epsilon(2e-4));   // 24 ln 2 + ln 112 = 21.354
  // float64 needs a far larger margin (53 bits: 53 ln 2 = 36.7), float16 far less (11 ln 2 = 7.6).
  CHECK(nn::collapse_threshold(113, SumPrecision::float64, SumOrder::largest_first) ==
        doctest::Approx(36.74).epsilon(1e-3));
  CHECK(nn::collapse_threshold(113, SumPrecision::float16, SumOrder::largest_first) ==
        doctest::Approx(7.62).epsilon(2e-3));
}

TEST_CASE("logits (40, 0 x 112): float32 softmax gives p_y == 1 and zero loss, StableMax gives 41/153") {
  std::vector<float> z(113, 0.0f);
  z[0] = 40.0f;
  for (nn::SumOrder o : {nn::SumOrder::largest_first, nn::SumOrder::smallest_first}) {
    const double S = nn::softmax_normalizer(z.data(), 113, nn::SumPrecision::float32, o);
    CHECK(S == 1.0);
    CHECK(nn::in_softmax_collapse(z.data(), 113, 0, nn::SumPrecision::float32, o));
    // float64: e^-40 < 2^-53 vanishes added to 1 alone, but 112 e^-40 does not.
    CHECK(nn::in_softmax_collapse(z.data(), 113, 0, nn::SumPrecision::float64, o) == (o == nn::SumOrder::largest_first));
    std::vector<float> z30 = z;
    z30[0] = 30.0f;  // collapsed in float32, not in float64 (threshold 36.7)
    CHECK(nn::in_softmax_collapse(z30.data(), 113, 0, nn::SumPrecision::float32, o));
    CHECK_FALSE(nn::in_softmax_collapse(z30.data(), 113, 0, nn::SumPrecision::float64, o));
    CHECK_FALSE(nn::in_softmax_collapse(z.data(), 113, 5, nn::SumPrecision::float32, o));  // wrong label
  }
  nn::StableMaxCrossEntropy stablemax;
  std::vector<float> p(113);
  stablemax.probabilities(z.data(), 1, 113, p.data());
  CHECK(p[0] == doctest::Approx(41.0 / 153.0).epsilon(1e-6));
  const int label = 0;
  CHECK(stablemax.forward(z.data(), &label, 1, 113) == doctest::Approx(-std::log(41.0 / 153.0)).epsilon(1e-6));
}
