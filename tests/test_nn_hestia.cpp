// engine/nn/hestia (LESSONS.md #24 with papers/method-notes.md #5): the
// closed form equals the softmax expectation, the quantizer's gradient
// (through the scale, which is not detached) matches finite differences in
// double, T -> 0 gives hard ternary, the default temperature is about 0.351,
// the schedule's endpoints and the trace-to-temperature sign.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "engine/nn/hestia.h"
#include "engine/nn/model.h"
#include "engine/rng.h"

TEST_CASE("hestia: closed form sinh(2z/T) / (cosh(2z/T) + e^(1/T)/2) equals the softmax expectation") {
  double worst = 0;
  for (double T : {0.05, 0.2, 0.351, 1.0, 2.0})
    for (double z = -3; z <= 3; z += 0.0625) worst = std::fmax(worst, std::fabs(nn::soft_ternary_closed(z, T) - nn::soft_ternary_softmax(z, T)));
  CHECK(worst < 1e-12);
  CHECK(nn::soft_ternary_closed(0.0, 0.3) == 0.0);
  CHECK(nn::soft_ternary_closed(40.0, 0.01) == doctest::Approx(1.0));  // no overflow
}

TEST_CASE("hestia: the quantizer's gradient matches central differences (soft and straight-through phases)") {
  pg::Rng rng(4);
  const int n = 9;
  std::vector<double> w(n), dout(n);
  for (double& v : w) v = rng.uniform(-1.0, 1.0);
  for (double& v : dout) v = rng.uniform(-1.0, 1.0);
  for (double T : {0.351, 0.05}) {
    for (double pressure : {0.0, 0.4, 1.0}) {
      std::vector<double> dw(n, 0.0), out(n);
      nn::hestia_quantize_backward(dw.data(), dout.data(), w.data(), n, T, pressure);
      for (int j = 0; j < n; ++j) {
        const double h = 1e-6, saved = w[size_t(j)];
        double f[2];
        for (int side = 0; side < 2; ++side) {
          w[size_t(j)] = saved + (side == 0 ? h : -h);
          nn::hestia_quantize_forward(out.data(), w.data(), n, T, pressure);
          f[side] = 0;
          for (int i = 0; i < n; ++i) f[side] += out[size_t(i)] * dout[size_t(i)];
        }
        w[size_t(j)] = saved;
        CHECK(dw[size_t(j)] == doctest::Approx((f[0] - f[1]) / (2 * h)).epsilon(1e-5));
      }
    }
  }
}

TEST_CASE("hestia: T = 0 is hard ternary times the scale, and small T approaches it") {
  const std::vector<double> w = {0.9, -0.05, 0.3, -1.2, 0.02, 0.6};
  double mean_abs = 0;
  for (double v : w) mean_abs += std::fabs(v);
  mean_abs /= w.size();
  std::vector<double> hard(w.size()), soft(w.size());
  nn::hestia_quantize_forward(hard.data(), w.data(), int(w.size()), 0.0, 1.0);
  nn::hestia_quantize_forward(soft.data(), w.data(), int(w.size()), 1e-3, 1.0);
  for (size_t i = 0; i < w.size(); ++i) {
    const double level = hard[i] / mean_abs;
    CHECK((level == doctest::Approx(-1.0) || level == doctest::Approx(0.0) || level == doctest::Approx(1.0)));
    CHECK(soft[i] == doctest::Approx(hard[i]).epsilon(1e-6));
  }
  CHECK(hard[0] == doctest::Approx(mean_abs));  // 0.9 / 0.512 = 1.76 -> 1
  CHECK(hard[1] == 0.0);
  // Straight-through at T = 0, pressure 1: dw_j = dout_j + (sum_i dout_i qbar_i) sign(w_j) / n.
  std::vector<double> dout(w.size(), 1.0), dw(w.size(), 0.0);
  nn::hestia_quantize_backward(dw.data(), dout.data(), w.data(), int(w.size()), 0.0, 1.0);
  double levels = 0;
  for (size_t i = 0; i < w.size(); ++i) levels += hard[i] / mean_abs;
  CHECK(dw[0] == doctest::Approx(1.0 + levels / double(w.size())));
}

TEST_CASE("hestia: default temperature, schedule and the Hessian sign") {
  CHECK(nn::hestia_default_temperature() == doctest::Approx(0.351).epsilon(0.01));
  CHECK(nn::hestia_pressure(0, 1000, 0.2) == 0.0);
  CHECK(nn::hestia_pressure(100, 1000, 0.2) == doctest::Approx(0.5));
  CHECK(nn::hestia_pressure(700, 1000, 0.2) == 1.0);
  CHECK(nn::hestia_temperature(100, 1000, 0.35, 0.7, 0.8, false) == doctest::Approx(0.35 * 0.7));  // first 20%
  CHECK(nn::hestia_temperature(201, 1000, 0.35, 0.7, 0.8, false) == doctest::Approx(0.35).epsilon(1e-4));  // scale gone
  CHECK(nn::hestia_temperature(600, 1000, 0.35, 0.7, 0.8, false) == doctest::Approx(0.35 * 0.5));
  CHECK(nn::hestia_temperature(600, 1000, 0.35, 0.7, 0.8, true) == doctest::Approx(0.35 * 0.5 * 0.7));
  CHECK(nn::hestia_temperature(1000, 1000, 0.35, 0.7, 0.8, false) == 0.0);  // hard at the last step
  const double traces[3] = {1.0, 10.0, 100.0};
  double scales[3];
  nn::hestia_temperature_scales(traces, 3, 0.5, 1.0, scales);
  CHECK(scales[2] < scales[1]);  // higher trace, lower temperature
  CHECK(scales[1] < scales[0]);
  CHECK(scales[1] == doctest::Approx(std::exp(-0.25)));  // z = 0: sigmoid 1/2
  for (double s : scales) CHECK((s >= std::exp(-0.5) && s <= 1.0));
}

TEST_CASE("hestia: TernaryQat shows the forward quantized weights, restores the master copy and chains the gradient") {
  pg::Rng rng(2);
  nn::Model m;
  REQUIRE(m.init(nn::mlp(3, {5}, 2), 4, rng));
  nn::TernaryQat qat;
  qat.init(m);
  REQUIRE(qat.tensors() == 2);
  const std::vector<float> before(m.params(), m.params() + m.num_params());
  const double hard[2] = {0.0, 0.0}, soft[2] = {0.3, 0.2};
  CHECK(qat.ternary_fraction(m) < 0.5);  // full precision
  qat.quantize(m, hard, 1.0);
  CHECK(qat.ternary_fraction(m) == 1.0);
  qat.quantize(m, soft, 0.5);  // an evaluation forward in between keeps the master copy
  for (int t = 0; t < qat.tensors(); ++t)
    for (int i = 0; i < qat.count(t); ++i) CHECK(qat.master()[i + (t ? qat.count(0) : 0)] == before[size_t(qat.offset(t) + i)]);
  // Gradient: restore() applies hestia_quantize_backward to the tensor's slice.
  for (int i = 0; i < m.num_params(); ++i) m.grads()[i] = float(0.1 * (i % 7) - 0.3);
  const std::vector<float> g(m.grads(), m.grads() + m.num_params());
  qat.restore(m, soft, 0.5);
  std::vector<float> expected(size_t(qat.count(0)), 0.0f);
  nn::hestia_quantize_backward(expected.data(), g.data() + qat.offset(0), before.data() + qat.offset(0), qat.count(0), 0.3, 0.5);
  for (int i = 0; i < qat.count(0); ++i) CHECK(m.grads()[qat.offset(0) + i] == expected[size_t(i)]);
  for (int i = 0; i < m.num_params(); ++i) CHECK(m.params()[i] == before[size_t(i)]);  // master weights back
  // Biases are neither quantized nor touched.
  const int bias = qat.offset(0) + qat.count(0);
  CHECK(m.grads()[bias] == g[size_t(bias)]);
}
