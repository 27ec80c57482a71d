// test_nn_losses.cpp - the "must prove" properties of the loss lessons
// (LESSONS.md #11 cnn-svm, #12 z-loss, #13 elasticface, #17 dexml, #18 stablemax)
// and the optimizer extras (clipping, schedules).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "engine/nn/losses_face.h"
#include "engine/nn/losses_margin.h"
#include "engine/nn/losses_softmax.h"
#include "engine/nn/nnmath.h"
#include "engine/nn/optim.h"
#include "tests/test_nn_util.h"

using nntest::random_vector;

TEST_CASE("squared hinge: zero loss and zero gradient when every margin is >= 1") {
  const int B = 3, C = 4;
  const std::vector<int> labels = {0, 2, 3};
  // target score >= 1, every other score <= -1
  std::vector<float> o = {1.0f, -1.0f, -3.0f, -1.5f,  //
                          -1.0f, -2.0f, 4.0f, -1.0f,  //
                          -7.0f, -1.0f, -1.25f, 1.0f};
  for (bool squared : {true, false}) {
    nn::MultiClassHinge loss(squared, 3.0f);
    CHECK(loss.forward(o.data(), labels.data(), B, C) == 0.0f);
    std::vector<float> d(B * C, 1.0f);
    loss.backward(o.data(), labels.data(), B, C, d.data());
    for (float g : d) CHECK(g == 0.0f);
  }
  // One margin below 1 costs C * (1 - 0.5)^2 / B.
  o[0] = 0.5f;
  nn::MultiClassHinge l2(true, 3.0f);
  CHECK(l2.forward(o.data(), labels.data(), B, C) == doctest::Approx(3.0 * 0.25 / 3.0));
}

TEST_CASE("Z-loss: invariant under o -> alpha o + beta") {
  pg::Rng rng(40);
  const int B = 5, C = 7;
  const std::vector<int> labels = {0, 6, 3, 3, 1};
  auto o = random_vector(rng, B * C, -2, 2);
  nn::ZLoss z(2.0f, 1.5f);
  const float base = z.forward(o.data(), labels.data(), B, C);
  const float transforms[][2] = {{3.0f, 0.0f}, {0.25f, -4.0f}, {10.0f, 100.0f}, {1.0f, 7.5f}};
  for (const auto& t : transforms) {
    std::vector<float> moved(o);
    for (float& v : moved) v = t[0] * v + t[1];
    CHECK(z.forward(moved.data(), labels.data(), B, C) == doctest::Approx(base).epsilon(1e-5));
  }
}

TEST_CASE("Z-loss: the gradient is orthogonal to 1 and to o") {
  pg::Rng rng(41);
  const int B = 4, C = 9;
  const std::vector<int> labels = {8, 0, 4, 2};
  auto o = random_vector(rng, B * C, -3, 3);
  nn::ZLoss z(1.0f, 2.0f);
  std::vector<float> g(B * C);
  z.backward(o.data(), labels.data(), B, C, g.data());
  for (int b = 0; b < B; ++b) {
    double dot_one = 0.0, dot_o = 0.0, norm_g = 0.0, norm_o = 0.0;
    for (int k = 0; k < C; ++k) {
      dot_one += g[b * C + k];
      dot_o += double(g[b * C + k]) * o[b * C + k];
      norm_g += double(g[b * C + k]) * g[b * C + k];
      norm_o += double(o[b * C + k]) * o[b * C + k];
    }
    norm_g = std::sqrt(norm_g);
    CHECK(norm_g > 1e-3);
    CHECK(std::fabs(dot_one) <= 1e-6 * norm_g * std::sqrt(double(C)));
    CHECK(std::fabs(dot_o) <= 1e-6 * norm_g * std::sqrt(norm_o));
  }
}

TEST_CASE("Z-loss: the largest z-score is sqrt(D - 1), reached by a one-hot row") {
  for (int D : {2, 3, 10, 100}) {
    std::vector<float> one_hot(D, 0.0f);
    one_hot[0] = 1.0f;
    std::vector<double> z(D);
    nn::ZLoss::z_scores(one_hot.data(), D, z.data());
    CHECK(z[0] == doctest::Approx(std::sqrt(double(D - 1))).epsilon(1e-12));
    pg::Rng rng(42 + D);
    for (int trial = 0; trial < 50; ++trial) {
      auto o = random_vector(rng, D, -5, 5);
      nn::ZLoss::z_scores(o.data(), D, z.data());
      for (double v : z) CHECK(v <= std::sqrt(double(D - 1)) + 1e-9);
    }
  }
}

static nn::MarginConfig margin_config(nn::MarginKind kind, bool elastic, float sigma, bool plus) {
  nn::MarginConfig c;
  c.kind = kind;
  c.scale = 32.0f;
  c.margin = 0.35f;
  c.elastic = elastic;
  c.sigma = sigma;
  c.plus = plus;
  return c;
}

TEST_CASE("ElasticFace with sigma = 0 is exactly ArcFace / CosFace") {
  pg::Rng rng(43);
  const int B = 16, C = 5;
  std::vector<int> labels(B);
  for (int b = 0; b < B; ++b) labels[b] = b % C;
  auto cosines = random_vector(rng, B * C, -0.95, 0.95);
  for (nn::MarginKind kind : {nn::MarginKind::arc, nn::MarginKind::cos}) {
    for (bool plus : {false, true}) {
      nn::MarginSoftmax fixed(margin_config(kind, false, 0.0f, false), 1);
      nn::MarginSoftmax elastic(margin_config(kind, true, 0.0f, plus), 1);
      fixed.reserve(B, C);
      elastic.reserve(B, C);
      for (int step = 0; step < 3; ++step) {
        const float a = fixed.forward(cosines.data(), labels.data(), B, C);
        const float e = elastic.forward(cosines.data(), labels.data(), B, C);
        CHECK(a == e);  // bit-identical
        std::vector<float> ga(B * C), ge(B * C);
        fixed.backward(cosines.data(), labels.data(), B, C, ga.data());
        elastic.backward(cosines.data(), labels.data(), B, C, ge.data());
        CHECK(ga == ge);
      }
    }
  }
}

TEST_CASE("ElasticFace: margins are drawn per sample per step with mean m and std sigma") {
  const int B = 256, C = 4, steps = 40;
  nn::MarginSoftmax loss(margin_config(nn::MarginKind::arc, true, 0.05f, false), 99);
  loss.reserve(B, C);
  pg::Rng rng(44);
  auto cosines = random_vector(rng, B * C, -0.5, 0.5);
  std::vector<int> labels(B, 1);
  double sum = 0.0, sum_sq = 0.0;
  std::vector<float> first(loss.margins(), loss.margins());
  for (int s = 0; s < steps; ++s) {
    loss.forward(cosines.data(), labels.data(), B, C);
    if (s == 0) first.assign(loss.margins(), loss.margins() + B);
    if (s == 1) CHECK(first != std::vector<float>(loss.margins(), loss.margins() + B));  // redrawn each step
    for (int i = 0; i < B; ++i) {
      sum += loss.margins()[i];
      sum_sq += double(loss.margins()[i]) * loss.margins()[i];
    }
  }
  const double n = double(B) * steps, mean = sum / n, std_dev = std::sqrt(sum_sq / n - mean * mean);
  // Standard errors: 0.05 / sqrt(10240) = 5e-4 for the mean, about 3.5e-4 for the std.
  CHECK(std::fabs(mean - 0.35) < 0.0015);
  CHECK(std::fabs(std_dev - 0.05) < 0.0015);
}

TEST_CASE("ElasticFace+: the margins are a permutation of the draws, largest to the hardest") {
  const int B = 64, C = 5;
  pg::Rng rng(45);
  auto cosines = random_vector(rng, B * C, -0.9, 0.9);
  std::vector<int> labels(B);
  for (int b = 0; b < B; ++b) labels[b] = int(rng.below(C));
  for (nn::MarginKind kind : {nn::MarginKind::arc, nn::MarginKind::cos}) {
    // Same seed: the plain elastic loss shows what the + loss drew.
    nn::MarginSoftmax plain(margin_config(kind, true, 0.1f, false), 5);
    nn::MarginSoftmax plus(margin_config(kind, true, 0.1f, true), 5);
    plain.reserve(B, C);
    plus.reserve(B, C);
    plain.forward(cosines.data(), labels.data(), B, C);
    plus.forward(cosines.data(), labels.data(), B, C);
    std::vector<float> drawn(plain.margins(), plain.margins() + B), assigned(plus.margins(), plus.margins() + B);
    CHECK(drawn != assigned);
    std::vector<float> a = drawn, b = assigned;
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    CHECK(a == b);  // a permutation
    for (int i = 0; i < B; ++i)
      for (int j = 0; j < B; ++j) {
        const float ci = cosines[i * C + labels[i]], cj = cosines[j * C + labels[j]];
        if (ci < cj) CHECK(assigned[i] >= assigned[j]);  // harder sample, larger margin
      }
  }
  // The rank mapping on a hand-made case: cosines 0.9, 0.1, 0.5 -> hardest is sample 1.
  const float target[3] = {0.9f, 0.1f, 0.5f}, draws[3] = {0.2f, 0.4f, 0.3f};
  int order[3];
  float sorted[3], out[3];
  nn::assign_margins_by_difficulty(target, draws, 3, order, sorted, out);
  CHECK(out[1] == 0.4f);
  CHECK(out[2] == 0.3f);
  CHECK(out[0] == 0.2f);
}

TEST_CASE("ElasticFace+: Spearman(target cos, margin) is -1 as the paper states it, near 0 in the official code") {
  // The official code's margin[idicate_cosie] literally, on a hand-made case
  // where the permutation is not its own inverse: cosines 0.1, 0.9, 0.5, 0.3
  // sort descending to samples (1, 2, 3, 0); the draws sort ascending to
  // (0.1, 0.2, 0.3, 0.4); row i of margin[idicate_cosie] is sorted[order[i]].
  {
    const float target[4] = {0.1f, 0.9f, 0.5f, 0.3f}, draws[4] = {0.4f, 0.1f, 0.3f, 0.2f};
    int order[4];
    float sorted[4], code[4], text[4];
    nn::assign_margins_official_code(target, draws, 4, order, sorted, code);
    CHECK(code[0] == 0.2f);
    CHECK(code[1] == 0.3f);
    CHECK(code[2] == 0.4f);  // the largest margin goes to a middling sample
    CHECK(code[3] == 0.1f);  // and the smallest to the second-hardest one
    nn::assign_margins_by_difficulty(target, draws, 4, order, sorted, text);
    CHECK(text[0] == 0.4f);  // the hardest sample (0.1) gets the largest margin
    CHECK(text[3] == 0.3f);
    CHECK(text[2] == 0.2f);
    CHECK(text[1] == 0.1f);  // the easiest the smallest
  }
  // On batches of 128 random cosines, as a training step sees them.
  const int B = 128, C = 6, batches = 50;
  pg::Rng rng(46);
  std::vector<int> labels(B);
  for (int b = 0; b < B; ++b) labels[b] = int(rng.below(C));
  for (nn::MarginKind kind : {nn::MarginKind::arc, nn::MarginKind::cos}) {
    CAPTURE(int(kind));
    nn::MarginConfig text_cfg = margin_config(kind, true, 0.02f, true), code_cfg = text_cfg,
                     plain_cfg = margin_config(kind, true, 0.02f, false);
    code_cfg.plus_mapping = nn::PlusMapping::official_code;
    nn::MarginSoftmax text(text_cfg, 7), code(code_cfg, 7), plain(plain_cfg, 7);
    for (nn::MarginSoftmax* l : {&text, &code, &plain}) l->reserve(B, C);
    double code_sum = 0, plain_sum = 0;
    for (int t = 0; t < batches; ++t) {
      auto cosines = random_vector(rng, B * C, -0.9, 0.9);
      text.forward(cosines.data(), labels.data(), B, C);
      code.forward(cosines.data(), labels.data(), B, C);
      plain.forward(cosines.data(), labels.data(), B, C);
      CHECK(text.margin_cosine_spearman() == doctest::Approx(-1.0).epsilon(1e-12));
      // a random permutation: the correlation's standard deviation is 1/sqrt(B - 1) = 0.089
      CHECK(std::fabs(code.margin_cosine_spearman()) < 0.4);
      code_sum += code.margin_cosine_spearman();
      plain_sum += plain.margin_cosine_spearman();
      // both "+" mappings hand out the same margins, only to different samples
      std::vector<float> a(text.margins(), text.margins() + B), b(code.margins(), code.margins() + B);
      std::sort(a.begin(), a.end());
      std::sort(b.begin(), b.end());
      CHECK(a == b);
    }
    // the mean over 50 batches: standard error 0.089 / sqrt(50) = 0.013
    CHECK(std::fabs(code_sum / batches) < 0.06);
    CHECK(std::fabs(plain_sum / batches) < 0.06);
  }
  // Fixed margins: no correlation to speak of.
  nn::MarginSoftmax fixed(margin_config(nn::MarginKind::arc, false, 0.0f, false), 1);
  auto cosines = random_vector(rng, B * C, -0.9, 0.9);
  fixed.forward(cosines.data(), labels.data(), B, C);
  CHECK(std::isnan(fixed.margin_cosine_spearman()));
}

TEST_CASE("Spearman correlation: ranks, ties at their average rank, constant input") {
  int order[5];
  float rx[5], ry[5];
  const float x[5] = {1, 2, 3, 4, 5}, up[5] = {10, 20, 30, 40, 500}, down[5] = {5, 4, 3, 2, 1};
  CHECK(nn::spearman_correlation(x, up, 5, order, rx, ry) == doctest::Approx(1.0).epsilon(1e-12));
  CHECK(nn::spearman_correlation(x, down, 5, order, rx, ry) == doctest::Approx(-1.0).epsilon(1e-12));
  // ties: y = (1, 1, 2, 3, 3) has ranks (0.5, 0.5, 2, 3.5, 3.5); numpy/scipy spearmanr gives 0.9486832980505138
  const float tied[5] = {1, 1, 2, 3, 3};
  CHECK(nn::spearman_correlation(x, tied, 5, order, rx, ry) == doctest::Approx(0.9486832980505138).epsilon(1e-6));
  CHECK(ry[0] == 0.5f);
  CHECK(ry[4] == 3.5f);
  const float flat[5] = {2, 2, 2, 2, 2};
  CHECK(std::isnan(nn::spearman_correlation(x, flat, 5, order, rx, ry)));
}

TEST_CASE("ArcFace / CosFace target logits") {
  const int C = 3;
  const float cosines[C] = {0.6f, 0.2f, -0.1f};
  const int label = 0;
  nn::MarginSoftmax arc(margin_config(nn::MarginKind::arc, false, 0.0f, false));
  nn::MarginSoftmax cos(margin_config(nn::MarginKind::cos, false, 0.0f, false));
  const double s = 32.0, m = 0.35;
  const double arc_target = s * std::cos(std::acos(0.6) + m), cos_target = s * (0.6 - m);
  auto ce = [&](double target) {
    const double others[2] = {s * 0.2, s * -0.1};
    return std::log(std::exp(target) + std::exp(others[0]) + std::exp(others[1])) - target;
  };
  CHECK(arc.forward(cosines, &label, 1, C) == doctest::Approx(ce(arc_target)).epsilon(1e-6));
  CHECK(cos.forward(cosines, &label, 1, C) == doctest::Approx(ce(cos_target)).epsilon(1e-6));
}

TEST_CASE("ArcFace: with `monotonic` the loss keeps falling as the target cosine rises") {
  // One sample, two classes, the other cosine fixed at 0: the loss must fall
  // monotonically as cos theta_y goes from -1 to 1.  Without the branch (the
  // ElasticFace code), cos(theta + m) turns back up past theta = pi - m.
  const int label = 0;
  for (bool monotonic : {true, false}) {
    nn::MarginConfig cfg = margin_config(nn::MarginKind::arc, false, 0.0f, false);
    cfg.margin = 0.5f;
    cfg.monotonic = monotonic;
    nn::MarginSoftmax loss(cfg);
    float previous = INFINITY;
    bool falls = true;
    for (int k = 0; k <= 200; ++k) {
      const float c[2] = {-0.999f + 0.00999f * k, 0.0f};
      const float l = loss.forward(c, &label, 1, 2);
      if (l > previous) falls = false;
      previous = l;
    }
    CHECK(falls == monotonic);
  }
  // Gradient check inside the branch (target cosines below -cos m = -0.878).
  nn::MarginConfig cfg = margin_config(nn::MarginKind::arc, true, 0.05f, true);
  cfg.margin = 0.5f;
  cfg.scale = 8.0f;
  nn::MarginSoftmax loss(cfg, 3);
  const int B = 3, C = 3;
  std::vector<float> cosines = {-0.95f, 0.2f, -0.3f, 0.1f, -0.97f, 0.4f, 0.5f, 0.3f, -0.92f};
  const std::vector<int> labels = {0, 1, 2};
  loss.reserve(B, C);
  loss.forward(cosines.data(), labels.data(), B, C);
  loss.freeze_margins(true);
  std::vector<float> analytic(B * C);
  loss.backward(cosines.data(), labels.data(), B, C, analytic.data());
  auto f = [&] { return double(loss.forward(cosines.data(), labels.data(), B, C)); };
  nntest::check_gradient("ArcFace beyond pi - m", f, cosines.data(), analytic.data(), B * C, 1e-3f, 5e-3, 1e-3);
}

TEST_CASE("DEXML: one positive makes decoupled == softmax; ln|P| floor vs 0") {
  pg::Rng rng(46);
  const int B = 4, C = 6;
  auto logits = random_vector(rng, B * C, -2, 2);
  const std::vector<int> labels = {1, 0, 5, 3};
  nn::SoftmaxCrossEntropy ce;
  nn::MultiPositiveSoftmax multi(1);
  nn::DecoupledSoftmax decoupled(1);
  const float l_ce = ce.forward(logits.data(), labels.data(), B, C);
  CHECK(decoupled.forward(logits.data(), labels.data(), B, C) == doctest::Approx(l_ce).epsilon(1e-6));
  CHECK(multi.forward(logits.data(), labels.data(), B, C) == doctest::Approx(l_ce).epsilon(1e-6));
  std::vector<float> g_ce(B * C), g_dec(B * C);
  ce.backward(logits.data(), labels.data(), B, C, g_ce.data());
  decoupled.backward(logits.data(), labels.data(), B, C, g_dec.data());
  for (int i = 0; i < B * C; ++i) CHECK(g_dec[i] == doctest::Approx(g_ce[i]).epsilon(1e-5).scale(1e-6));

  // s_pos = 10 for three positives, s_neg = -10 for the rest.
  const int P = 3, D = 10;
  std::vector<float> s(D, -10.0f);
  const int pos[P] = {2, 5, 7};
  for (int l : pos) s[l] = 10.0f;
  nn::MultiPositiveSoftmax multi3(P);
  nn::DecoupledSoftmax decoupled3(P);
  CHECK(multi3.forward(s.data(), pos, 1, D) == doctest::Approx(std::log(3.0)).epsilon(1e-6));
  CHECK(decoupled3.forward(s.data(), pos, 1, D) < 1e-7);
}

TEST_CASE("StableMax: logits (40, 0 x 112) - softmax collapses in float32, StableMax does not") {
  const int C = 113;
  std::vector<float> z(C, 0.0f);
  z[0] = 40.0f;
  const int label = 0;
  std::vector<float> p(C);
  nn::softmax_rows(p.data(), z.data(), 1, C);
  CHECK(p[0] == 1.0f);  // e^-40 * 112 is below half an ulp of 1
  nn::SoftmaxCrossEntropy ce;
  CHECK(ce.forward(z.data(), &label, 1, C) == 0.0f);
  nn::StableMaxCrossEntropy sm;
  sm.probabilities(z.data(), 1, C, p.data());
  CHECK(p[0] == doctest::Approx(41.0 / 153.0).epsilon(1e-6));  // ~ 0.268
  CHECK(sm.forward(z.data(), &label, 1, C) == doctest::Approx(-std::log(41.0 / 153.0)).epsilon(1e-6));
}

TEST_CASE("softmax cross-entropy stays finite for huge logits") {
  const float z[3] = {1e4f, -1e4f, 0.0f};
  const int label = 1;
  nn::SoftmaxCrossEntropy ce;
  const float l = ce.forward(z, &label, 1, 3);
  CHECK(std::isfinite(l));
  CHECK(l == doctest::Approx(2e4f));
}

TEST_CASE("optimizer extras: global-norm clipping and learning-rate schedules") {
  std::vector<float> g = {3.0f, 4.0f};
  CHECK(nn::clip_grad_norm(g.data(), 2, 10.0f) == doctest::Approx(5.0f));
  CHECK(g[0] == 3.0f);
  CHECK(nn::clip_grad_norm(g.data(), 2, 1.0f) == doctest::Approx(5.0f));
  CHECK(g[0] == doctest::Approx(0.6f));
  CHECK(g[1] == doctest::Approx(0.8f));

  nn::LrSchedule constant;
  CHECK(constant.factor(12345) == 1.0f);
  nn::LrSchedule cosine{nn::ScheduleKind::cosine, 100, 0, 0.1f};
  CHECK(cosine.factor(0) == 1.0f);
  CHECK(cosine.factor(50) == doctest::Approx(0.55f));
  CHECK(cosine.factor(100) == doctest::Approx(0.1f));
  CHECK(cosine.factor(1000) == doctest::Approx(0.1f));
  nn::LrSchedule warm{nn::ScheduleKind::warmup_cosine, 110, 10, 0.0f};
  CHECK(warm.factor(0) == doctest::Approx(0.1f));
  CHECK(warm.factor(9) == doctest::Approx(1.0f));
  CHECK(warm.factor(10) == doctest::Approx(1.0f));
  CHECK(warm.factor(60) == doctest::Approx(0.5f));
  CHECK(warm.factor(110) == 0.0f);
  for (int t = 11; t < 110; ++t) CHECK(warm.factor(t) <= warm.factor(t - 1));
}

TEST_CASE("nnmath: deterministic exp, tanh, sin, cos are accurate") {
  for (double x = -100.0; x <= 88.0; x += 0.37) {
    CHECK(double(nnmath::expf(float(x))) == doctest::Approx(std::exp(double(float(x)))).epsilon(3e-7));
  }
  CHECK(nnmath::expf(0.0f) == 1.0f);
  CHECK(nnmath::expf(-200.0f) == 0.0f);
  CHECK(std::isinf(nnmath::expf(100.0f)));
  for (double x = -50.0; x <= 50.0; x += 0.123) {
    CHECK(nnmath::sin(x) == doctest::Approx(std::sin(x)).epsilon(1e-14).scale(1e-14));
    CHECK(nnmath::cos(x) == doctest::Approx(std::cos(x)).epsilon(1e-14).scale(1e-14));
  }
}

TEST_CASE("optimizer: the 4-lane update equals the per-element formula bit for bit") {
  const int P = 4547;  // not a multiple of 4: the scalar tail runs too
  pg::Rng rng(47);
  for (nn::OptimizerKind kind : {nn::OptimizerKind::sgd, nn::OptimizerKind::adam, nn::OptimizerKind::adamw}) {
    nn::OptimizerConfig cfg;
    cfg.kind = kind;
    cfg.lr = 3e-3f;
    cfg.weight_decay = 0.01f;
    nn::Optimizer opt;
    opt.init(P, cfg);
    auto params = random_vector(rng, P);
    std::vector<float> ref = params, m(P, 0.0f), v(P, 0.0f);
    double b1_pow = 1.0, b2_pow = 1.0;
    for (int t = 0; t < 5; ++t) {
      auto grads = random_vector(rng, P);
      opt.update(params.data(), grads.data(), 0.5f);
      const float lr = cfg.lr * 0.5f;
      b1_pow *= cfg.beta1;
      b2_pow *= cfg.beta2;
      const float bias1 = float(1.0 - b1_pow), bias2 = float(1.0 - b2_pow);
      for (int i = 0; i < P; ++i) {
        if (kind == nn::OptimizerKind::sgd) {
          const float g = grads[i] + cfg.weight_decay * ref[i];
          m[i] = cfg.momentum * m[i] + g;
          ref[i] = ref[i] - lr * m[i];
          continue;
        }
        const bool decoupled = kind == nn::OptimizerKind::adamw;
        float p = ref[i];
        const float g = decoupled ? grads[i] : grads[i] + cfg.weight_decay * p;
        m[i] = cfg.beta1 * m[i] + (1.0f - cfg.beta1) * g;
        v[i] = cfg.beta2 * v[i] + (1.0f - cfg.beta2) * g * g;
        const float denom = std::sqrt(v[i]) * float(1.0 / std::sqrt(double(bias2))) + cfg.eps;
        if (decoupled) p = p - (lr * cfg.weight_decay) * p;
        ref[i] = p - ((lr / bias1) * m[i]) / denom;
      }
    }
    CHECK(std::memcmp(params.data(), ref.data(), sizeof(float) * P) == 0);
  }
}
