// MadaCos (LESSONS.md #14, engine/nn/losses_madacos.h): the median sample's
// target probability is exactly a when m > 0 (at least a when m is clipped to
// 0), s >= 32 and m >= 0 on random batches, the lower median is well defined,
// and the gradient with s and m frozen matches finite differences.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "engine/nn/losses_madacos.h"
#include "engine/rng.h"
#include "tests/test_nn_util.h"

using nntest::check_gradient;

namespace {

// A batch (B, C) of cosines whose target entries lie in [t_lo, t_hi] and the others in [o_lo, o_hi].
void make_batch(pg::Rng& rng, int B, int C, double t_lo, double t_hi, double o_lo, double o_hi,
                std::vector<float>& cos, std::vector<int>& labels) {
  cos.assign(size_t(B) * C, 0.0f);
  labels.assign(B, 0);
  for (int i = 0; i < B; ++i) {
    labels[i] = int(rng.next_u64() % uint64_t(C));
    for (int j = 0; j < C; ++j)
      cos[size_t(i) * C + j] = float(j == labels[i] ? rng.uniform(t_lo, t_hi) : rng.uniform(o_lo, o_hi));
  }
}

// The median sample's target probability under the loss's logits, in double,
// computed here from the cosines and the loss's s and m (std::exp: a check, not the engine).
double median_target_probability(const nn::MadaCosStats& st, const float* cos, const int* labels, int C) {
  const float* c = cos + size_t(st.median_index) * C;
  const int y = labels[st.median_index];
  const double target = st.scale * (double(c[y]) - st.margin);
  double others = 0.0;
  for (int j = 0; j < C; ++j)
    if (j != y) others += std::exp(st.scale * c[j] - target);
  return 1.0 / (1.0 + others);
}

}  // namespace

TEST_CASE("MadaCos: the lower median is index (B-1)/2 of the sorted target cosines, ties by index") {
  const int C = 3;
  // target cosines 0.5, 0.1, 0.3, 0.1 (labels 0, 1, 2, 0): sorted 0.1(#1) 0.1(#3) 0.3 0.5 -> lower median #3
  const std::vector<float> cos = {0.5f, 0, 0, 0, 0.1f, 0, 0, 0, 0.3f, 0.1f, 0, 0};
  const std::vector<int> labels = {0, 1, 2, 0};
  std::vector<int> order(4);
  CHECK(nn::median_target_index(cos.data(), labels.data(), 4, C, order.data()) == 3);
  CHECK(nn::median_target_index(cos.data(), labels.data(), 3, C, order.data()) == 2);  // 0.5, 0.1, 0.3 -> 0.3
  CHECK(nn::median_target_index(cos.data(), labels.data(), 1, C, order.data()) == 0);
}

TEST_CASE("MadaCos: the median sample's target probability is exactly a (1e-12) whenever m > 0") {
  pg::Rng rng(141);
  int with_margin = 0;
  for (double a : {0.005, 0.02, 0.1, 0.3}) {
    for (double log10_K : {2.0, 4.0, 7.0, 8.0}) {
      for (int trial = 0; trial < 5; ++trial) {
        const int B = 64 + 7 * trial, C = 3 + 4 * trial;
        std::vector<float> cos;
        std::vector<int> labels;
        // well-trained batches: targets near 1, others spread -> a positive margin
        make_batch(rng, B, C, 0.6, 0.98, -0.6, 0.4, cos, labels);
        nn::MadaCosConfig cfg;
        cfg.alpha = a;
        cfg.log10_K = log10_K;
        nn::MadaCos loss(cfg);
        loss.forward(cos.data(), labels.data(), B, C);
        const nn::MadaCosStats& st = loss.stats();
        CAPTURE(a);
        CAPTURE(log10_K);
        CAPTURE(st.scale);
        CAPTURE(st.margin);
        const double p = median_target_probability(st, cos.data(), labels.data(), C);
        if (st.margin > 0) {
          ++with_margin;
          CHECK(std::fabs(p - a) <= 1e-12);
        } else {
          CHECK(p >= a - 1e-12);  // m clipped to 0: the batch already beats a
        }
      }
    }
  }
  CHECK(with_margin >= 60);  // most of the 80 batches exercise the exact case
}

TEST_CASE("MadaCos: s >= 32 and m >= 0 on random batches, for several a and K") {
  pg::Rng rng(142);
  for (double a : {0.005, 0.05, 0.3}) {
    for (double log10_K : {2.0, 5.0, 8.0}) {
      for (int trial = 0; trial < 20; ++trial) {
        const int B = 64 + trial, C = 2 + trial % 9;
        std::vector<float> cos;
        std::vector<int> labels;
        const double lo = rng.uniform(-1, 0.9);
        make_batch(rng, B, C, lo, std::fmin(1.0, lo + rng.uniform(0, 1)), -1, rng.uniform(-0.5, 1), cos, labels);
        nn::MadaCosConfig cfg;
        cfg.alpha = a;
        cfg.log10_K = log10_K;
        nn::MadaCos loss(cfg);
        const float L = loss.forward(cos.data(), labels.data(), B, C);
        const nn::MadaCosStats& st = loss.stats();
        CHECK(std::isfinite(L));
        CHECK(st.scale >= 32.0);
        CHECK(st.margin >= 0.0);
        CHECK(std::isfinite(st.scale));
        CHECK(std::isfinite(st.margin));
        // and s is exactly the formula above the floor
        const double raw = (log10_K * std::log(10.0) + std::log((1 - a) / a)) / (1 - st.median_cos);
        CHECK(st.scale == doctest::Approx(std::fmax(32.0, raw)).epsilon(1e-12));
      }
    }
  }
}

TEST_CASE("MadaCos: stays finite when the scale is huge (median cosine near 1)") {
  const int B = 64, C = 4;
  std::vector<float> cos(size_t(B) * C, -0.2f);
  std::vector<int> labels(B);
  for (int i = 0; i < B; ++i) {
    labels[i] = i % C;
    cos[size_t(i) * C + labels[i]] = i % 2 ? 1.0f : 0.99999f;
  }
  nn::MadaCos loss;
  std::vector<float> grad(size_t(B) * C);
  const float L = loss.forward(cos.data(), labels.data(), B, C);
  loss.backward(cos.data(), labels.data(), B, C, grad.data());
  CHECK(std::isfinite(L));
  CHECK(loss.stats().scale > 1e5);
  CHECK(std::isfinite(loss.stats().margin));
  for (float g : grad) CHECK(std::isfinite(g));
  CHECK(median_target_probability(loss.stats(), cos.data(), labels.data(), C) == doctest::Approx(0.02).epsilon(1e-6));
}

TEST_CASE("grad: MadaCos with s and m frozen") {
  pg::Rng rng(143);
  for (int variant = 0; variant < 2; ++variant) {
    const int B = 8, C = 5;
    std::vector<float> cos;
    std::vector<int> labels;
    // variant 0: targets well above the others, so m > 0; variant 1: random cosines (m usually clipped to 0)
    if (variant == 0) make_batch(rng, B, C, 0.5, 0.8, -0.5, 0.3, cos, labels);
    else make_batch(rng, B, C, -0.9, 0.9, -0.9, 0.9, cos, labels);
    nn::MadaCosConfig cfg;
    cfg.log10_K = 2;  // a moderate scale keeps the difference quotient well conditioned
    nn::MadaCos loss(cfg);
    loss.reserve(B, C);
    loss.forward(cos.data(), labels.data(), B, C);  // sets this batch's s and m
    CAPTURE(loss.stats().scale);
    CAPTURE(loss.stats().margin);
    if (variant == 0) CHECK(loss.stats().margin > 0);
    loss.freeze(true);
    std::vector<float> analytic(size_t(B) * C);
    loss.backward(cos.data(), labels.data(), B, C, analytic.data());
    auto f = [&] { return double(loss.forward(cos.data(), labels.data(), B, C)); };
    check_gradient("MadaCos", f, cos.data(), analytic.data(), B * C, 1e-3f, 5e-3, 2e-3);
  }
}
