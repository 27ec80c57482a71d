// test_nn_grad.cpp - finite-difference gradient checks for every layer and every loss.
//
// Layers: the scalar objective is sum(out * R) for a fixed random R, so the
// analytic gradients come from <op>_backward with dout = R (into zeroed grads)
// and the numeric ones from central differences of the float forward, summed
// in double.  Losses: d(mean loss)/d logits from backward() vs central
// differences of forward().  Inputs are kept away from kinks (ReLU at 0, hinge
// at margin 1, max-pool ties) where a difference quotient is meaningless.
#include <doctest/doctest.h>

#include <cstring>
#include <memory>

#include "engine/nn/activations.h"
#include "engine/nn/conv.h"
#include "engine/nn/embedding.h"
#include "engine/nn/linear.h"
#include "engine/nn/losses_face.h"
#include "engine/nn/losses_margin.h"
#include "engine/nn/losses_softmax.h"
#include "engine/nn/model.h"
#include "engine/nn/norm.h"
#include "tests/test_nn_util.h"

using nntest::check_gradient;
using nntest::random_vector;
using nntest::weighted_sum;

// ------------------------------------------------------------------- layers

TEST_CASE("grad: linear (x, W, b)") {
  pg::Rng rng(11);
  const int B = 3, I = 5, O = 4;
  auto x = random_vector(rng, B * I), W = random_vector(rng, O * I), b = random_vector(rng, O);
  auto R = random_vector(rng, B * O);
  std::vector<float> out(B * O), dx(B * I, 0.0f), dW(O * I, 0.0f), db(O, 0.0f);
  auto f = [&] {
    nn::linear_forward(out.data(), x.data(), W.data(), b.data(), B, I, O);
    return weighted_sum(out.data(), R.data(), B * O);
  };
  f();
  nn::linear_backward(dx.data(), dW.data(), db.data(), R.data(), x.data(), W.data(), B, I, O);
  check_gradient("linear dx", f, x.data(), dx.data(), B * I, 1e-2f, 1e-3, 1e-4);
  check_gradient("linear dW", f, W.data(), dW.data(), O * I, 1e-2f, 1e-3, 1e-4);
  check_gradient("linear db", f, b.data(), db.data(), O, 1e-2f, 1e-3, 1e-4);

  // Backward accumulates: a second call doubles every gradient.
  std::vector<float> dW_once = dW;
  nn::linear_backward(dx.data(), dW.data(), db.data(), R.data(), x.data(), W.data(), B, I, O);
  for (int i = 0; i < O * I; ++i) CHECK(dW[i] == doctest::Approx(2.0f * dW_once[i]));
}

TEST_CASE("grad: cosine linear (x, W) and its outputs are cosines") {
  pg::Rng rng(12);
  const int B = 3, I = 4, O = 5;
  auto x = random_vector(rng, B * I), W = random_vector(rng, O * I), R = random_vector(rng, B * O);
  std::vector<float> out(B * O), w_hat(O * I), norms(O), dw_hat(O * I), dx(B * I, 0.0f), dW(O * I, 0.0f);
  auto f = [&] {
    nn::cosine_linear_forward(out.data(), w_hat.data(), norms.data(), x.data(), W.data(), B, I, O);
    return weighted_sum(out.data(), R.data(), B * O);
  };
  f();
  nn::cosine_linear_backward(dx.data(), dW.data(), dw_hat.data(), R.data(), x.data(), w_hat.data(), norms.data(), B,
                             I, O);
  check_gradient("cosine_linear dx", f, x.data(), dx.data(), B * I, 1e-2f, 1e-3, 1e-4);
  check_gradient("cosine_linear dW", f, W.data(), dW.data(), O * I, 1e-2f, 2e-3, 2e-4);
  // With unit-norm inputs, every output is a cosine in [-1, 1].
  std::vector<float> unit(B * I), unit_norms(B);
  nn::l2norm_forward(unit.data(), unit_norms.data(), x.data(), B, I);
  nn::cosine_linear_forward(out.data(), w_hat.data(), norms.data(), unit.data(), W.data(), B, I, O);
  for (float c : out) CHECK(std::fabs(c) <= 1.0f + 1e-6f);
}

TEST_CASE("grad: activations (ReLU, GELU, tanh, sigmoid)") {
  pg::Rng rng(13);
  const int n = 40;
  auto x = random_vector(rng, n, -3.0, 3.0);
  for (float& v : x) {
    if (std::fabs(v) < 0.05f) v = 0.3f;  // keep ReLU's kink out of the difference quotient
  }
  auto R = random_vector(rng, n);
  std::vector<float> out(n);
  struct Case {
    const char* name;
    void (*forward)(float*, const float*, int);
    bool backward_uses_output;
    void (*backward)(float*, const float*, const float*, int);
  };
  const Case cases[] = {
      {"relu", nn::relu_forward, false, nn::relu_backward},
      {"gelu", nn::gelu_forward, false, nn::gelu_backward},
      {"tanh", nn::tanh_forward, true, nn::tanh_backward},
      {"sigmoid", nn::sigmoid_forward, true, nn::sigmoid_backward},
  };
  for (const Case& c : cases) {
    auto f = [&] {
      c.forward(out.data(), x.data(), n);
      return weighted_sum(out.data(), R.data(), n);
    };
    f();
    std::vector<float> dx(n, 0.0f);
    c.backward(dx.data(), R.data(), c.backward_uses_output ? out.data() : x.data(), n);
    check_gradient(c.name, f, x.data(), dx.data(), n, 1e-2f, 2e-3, 2e-4);
  }
}

TEST_CASE("activation values match the closed forms") {
  const float xs[] = {-20.0f, -5.0f, -1.0f, -0.03f, 0.0f, 0.01f, 0.5f, 2.0f, 8.0f, 30.0f};
  for (float x : xs) {
    float t, s, g;
    nn::tanh_forward(&t, &x, 1);
    nn::sigmoid_forward(&s, &x, 1);
    nn::gelu_forward(&g, &x, 1);
    CHECK(t == doctest::Approx(std::tanh(double(x))).epsilon(1e-6));
    CHECK(s == doctest::Approx(1.0 / (1.0 + std::exp(-double(x)))).epsilon(1e-6));
    const double gelu = 0.5 * x * (1.0 + std::tanh(0.7978845608028654 * (x + 0.044715 * double(x) * x * x)));
    CHECK(std::fabs(g - gelu) <= 1e-6 * std::fmax(std::fabs(gelu), 1e-3));
  }
}

static void check_conv(int IC, int H, int W, int OC, int K, nn::Padding padding, uint64_t seed) {
  pg::Rng rng(seed);
  nn::ConvShape s;
  s.batch = 2;
  s.in_channels = IC;
  s.height = H;
  s.width = W;
  s.out_channels = OC;
  s.kernel = K;
  s.pad = nn::padding_amount(padding, K);
  const int in_n = s.batch * IC * H * W, out_n = s.batch * OC * s.out_height() * s.out_width();
  auto x = random_vector(rng, in_n), w = random_vector(rng, OC * IC * K * K), bias = random_vector(rng, OC);
  auto R = random_vector(rng, out_n);
  std::vector<float> out(out_n), col(s.col_size()), dcol(s.col_size());
  std::vector<float> dx(in_n, 0.0f), dw(w.size(), 0.0f), dbias(OC, 0.0f);
  auto f = [&] {
    nn::conv2d_forward(out.data(), col.data(), x.data(), w.data(), bias.data(), s);
    return weighted_sum(out.data(), R.data(), out_n);
  };
  f();
  // The im2col path against the definition, written out directly.
  for (int b = 0; b < s.batch; ++b)
    for (int o = 0; o < OC; ++o)
      for (int y = 0; y < s.out_height(); ++y)
        for (int xo = 0; xo < s.out_width(); ++xo) {
          double acc = bias[o];
          for (int c = 0; c < IC; ++c)
            for (int i = 0; i < K; ++i)
              for (int j = 0; j < K; ++j) {
                const int yy = y + i - s.pad, xx = xo + j - s.pad;
                if (yy < 0 || yy >= H || xx < 0 || xx >= W) continue;
                acc += double(w[((o * IC + c) * K + i) * K + j]) * x[((b * IC + c) * H + yy) * W + xx];
              }
          const float got = out[((b * OC + o) * s.out_height() + y) * s.out_width() + xo];
          CHECK(got == doctest::Approx(acc).epsilon(1e-5).scale(1.0));
        }
  nn::conv2d_backward(dx.data(), dw.data(), dbias.data(), col.data(), dcol.data(), R.data(), x.data(), w.data(), s);
  check_gradient("conv dx", f, x.data(), dx.data(), in_n, 1e-2f, 1e-3, 2e-4);
  check_gradient("conv dW", f, w.data(), dw.data(), int(w.size()), 1e-2f, 1e-3, 2e-4);
  check_gradient("conv dbias", f, bias.data(), dbias.data(), OC, 1e-2f, 1e-3, 2e-4);
}

TEST_CASE("grad: conv2d 3x3 same, 5x5 same, 3x3 valid") {
  check_conv(2, 6, 6, 3, 3, nn::Padding::same, 14);
  check_conv(1, 7, 7, 2, 5, nn::Padding::same, 15);
  check_conv(2, 8, 8, 2, 3, nn::Padding::valid, 16);
}

// The cnn-svm lesson's layers: 5x5 'valid' (28 -> 24, 12 -> 8), and 'same'
// on maps narrower than the kernel, where im2col's copied run of a row is
// empty for the outer taps (the bounds im2col computes once per tap row).
TEST_CASE("grad: conv2d 5x5 valid, and 5x5 same on maps smaller than the kernel") {
  check_conv(3, 9, 8, 2, 5, nn::Padding::valid, 40);
  check_conv(2, 2, 3, 3, 5, nn::Padding::same, 41);
  check_conv(1, 1, 1, 2, 5, nn::Padding::same, 42);
}

TEST_CASE("grad: max pooling 2x2 (odd size drops the last row/column)") {
  const int B = 2, C = 2, H = 5, W = 6;
  const int n = B * C * H * W, out_n = B * C * (H / 2) * (W / 2);
  // Distinct values 0.1 apart, shuffled: no near-ties for the difference quotient.
  std::vector<float> x(n);
  for (int i = 0; i < n; ++i) x[i] = 0.1f * float(i) - 3.0f;
  pg::Rng rng(17);
  rng.shuffle(x.data(), n);
  auto R = random_vector(rng, out_n);
  std::vector<float> out(out_n), dx(n, 0.0f);
  std::vector<int> argmax(out_n);
  auto f = [&] {
    nn::maxpool2x2_forward(out.data(), argmax.data(), x.data(), B, C, H, W);
    return weighted_sum(out.data(), R.data(), out_n);
  };
  f();
  nn::maxpool2x2_backward(dx.data(), R.data(), argmax.data(), B, C, H, W);
  check_gradient("maxpool dx", f, x.data(), dx.data(), n, 1e-3f, 1e-3, 1e-4);
}

TEST_CASE("grad: embedding (table rows, repeated ids accumulate)") {
  pg::Rng rng(18);
  const int B = 2, T = 3, V = 4, D = 3;
  const float ids[B * T] = {0, 2, 2, 3, 1, 2};
  auto table = random_vector(rng, V * D), R = random_vector(rng, B * T * D);
  std::vector<float> out(B * T * D), dtable(V * D, 0.0f);
  auto f = [&] {
    nn::embedding_forward(out.data(), ids, table.data(), B, T, V, D);
    return weighted_sum(out.data(), R.data(), B * T * D);
  };
  f();
  nn::embedding_backward(dtable.data(), R.data(), ids, B, T, V, D);
  check_gradient("embedding dW", f, table.data(), dtable.data(), V * D, 1e-2f, 1e-4, 1e-5);
}

TEST_CASE("grad: layer norm (x, gamma, beta)") {
  pg::Rng rng(19);
  const int B = 3, D = 6;
  auto x = random_vector(rng, B * D, -2.0, 2.0), gamma = random_vector(rng, D, 0.5, 1.5), beta = random_vector(rng, D);
  auto R = random_vector(rng, B * D);
  std::vector<float> out(B * D), mean(B), rstd(B), dx(B * D, 0.0f), dgamma(D, 0.0f), dbeta(D, 0.0f);
  auto f = [&] {
    nn::layernorm_forward(out.data(), mean.data(), rstd.data(), x.data(), gamma.data(), beta.data(), B, D);
    return weighted_sum(out.data(), R.data(), B * D);
  };
  f();
  nn::layernorm_backward(dx.data(), dgamma.data(), dbeta.data(), R.data(), x.data(), mean.data(), rstd.data(),
                         gamma.data(), B, D);
  check_gradient("layernorm dx", f, x.data(), dx.data(), B * D, 1e-2f, 3e-3, 3e-4);
  check_gradient("layernorm dgamma", f, gamma.data(), dgamma.data(), D, 1e-2f, 1e-3, 1e-4);
  check_gradient("layernorm dbeta", f, beta.data(), dbeta.data(), D, 1e-2f, 1e-3, 1e-4);
}

TEST_CASE("grad: L2 normalization, and outputs have unit norm") {
  pg::Rng rng(20);
  const int B = 3, D = 5;
  auto x = random_vector(rng, B * D), R = random_vector(rng, B * D);
  std::vector<float> out(B * D), norms(B), dx(B * D, 0.0f);
  auto f = [&] {
    nn::l2norm_forward(out.data(), norms.data(), x.data(), B, D);
    return weighted_sum(out.data(), R.data(), B * D);
  };
  f();
  for (int b = 0; b < B; ++b) {
    double sq = 0.0;
    for (int i = 0; i < D; ++i) sq += double(out[b * D + i]) * out[b * D + i];
    CHECK(sq == doctest::Approx(1.0).epsilon(1e-6));
  }
  nn::l2norm_backward(dx.data(), R.data(), out.data(), norms.data(), B, D);
  check_gradient("l2norm dx", f, x.data(), dx.data(), B * D, 1e-2f, 3e-3, 3e-4);
}

// The whole container: parameter offsets, buffer hand-over between layers and
// the input gradient, on a small CNN and on an embedding/layer-norm/cosine net.
static void check_model(const nn::ModelSpec& spec, const std::vector<float>& input, int B, uint64_t seed,
                        const char* name) {
  nn::Model model;
  pg::Rng rng(seed);
  REQUIRE_MESSAGE(model.init(spec, B, rng), model.error());
  auto R = random_vector(rng, B * model.output_size());
  std::vector<float> x = input, dx(x.size(), 0.0f);
  auto f = [&] { return weighted_sum(model.forward(x.data(), B), R.data(), B * model.output_size()); };
  f();
  model.zero_grad();
  model.backward(R.data(), dx.data());
  std::vector<float> grads(model.grads(), model.grads() + model.num_params());
  // eps 1e-3: small enough that no max-pool winner changes between the two evaluations.
  check_gradient(name, f, model.params(), grads.data(), model.num_params(), 1e-3f, 5e-3, 5e-4);
  if (spec.layers[0].kind != nn::LayerKind::embedding) {
    check_gradient(name, f, x.data(), dx.data(), int(x.size()), 1e-3f, 5e-3, 5e-4);
  }
}

TEST_CASE("grad: whole models (CNN; embedding + layer norm + GELU + cosine head)") {
  pg::Rng rng(21);
  nn::ModelSpec cnn = nn::ModelSpec::images(1, 8, 8)
                          .conv2d(3, 3, nn::Padding::same).tanh().maxpool2x2()
                          .conv2d(4, 3, nn::Padding::valid).sigmoid()
                          .linear(3);
  check_model(cnn, random_vector(rng, 2 * 64), 2, 22, "cnn");

  // nn::cnn(), the cnn-svm lesson's builder: 16 -> 12 -> 6 -> 2 -> 1 with 5x5 'valid' convolutions.
  const nn::ModelSpec lesson_cnn = nn::cnn(1, 16, 16, {2, 3}, 5, nn::Padding::valid, 4, 3);
  REQUIRE(lesson_cnn.layers.size() == 9);
  check_model(lesson_cnn, random_vector(rng, 2 * 256), 2, 24, "nn::cnn");

  nn::ModelSpec tokens = nn::ModelSpec::tokens(2).embedding(5, 3).layernorm().linear(6).gelu().l2norm().cosine_linear(4);
  check_model(tokens, {1, 4, 0, 2, 3, 3}, 3, 23, "embedding net");
}

// ------------------------------------------------------------------- losses

// Checks loss.backward against central differences of loss.forward at logits (B, C).
static void check_loss(nn::Loss& loss, std::vector<float> logits, const std::vector<int>& labels, int B, int C,
                       float eps, double rtol, double atol) {
  loss.reserve(B, C);
  std::vector<float> analytic(B * C);
  loss.forward(logits.data(), labels.data(), B, C);
  loss.backward(logits.data(), labels.data(), B, C, analytic.data());
  auto f = [&] { return double(loss.forward(logits.data(), labels.data(), B, C)); };
  check_gradient(loss.name(), f, logits.data(), analytic.data(), B * C, eps, rtol, atol);
}

TEST_CASE("grad: softmax cross-entropy, with and without a scale") {
  pg::Rng rng(30);
  const int B = 4, C = 5;
  const std::vector<int> labels = {0, 3, 4, 1};
  nn::SoftmaxCrossEntropy plain, scaled(4.0f);
  check_loss(plain, random_vector(rng, B * C, -2, 2), labels, B, C, 1e-2f, 2e-3, 1e-4);
  check_loss(scaled, random_vector(rng, B * C, -1, 1), labels, B, C, 1e-2f, 5e-3, 1e-4);
}

TEST_CASE("grad: hinge and squared hinge (away from the kink)") {
  pg::Rng rng(31);
  const int B = 4, C = 5;
  const std::vector<int> labels = {2, 0, 4, 4};
  auto logits = random_vector(rng, B * C, -2, 2);
  for (int b = 0; b < B; ++b)
    for (int k = 0; k < C; ++k) {
      float& o = logits[b * C + k];
      const float t = k == labels[b] ? 1.0f : -1.0f;
      if (std::fabs(1.0f - t * o) < 0.05f) o += 0.2f;  // margin exactly 1 is a kink
    }
  nn::MultiClassHinge l1(false, 0.7f), l2(true, 2.5f);
  check_loss(l1, logits, labels, B, C, 1e-2f, 2e-3, 1e-4);
  check_loss(l2, logits, labels, B, C, 1e-2f, 2e-3, 1e-4);
}

TEST_CASE("squared hinge averaged over classes (official cnn-svm code) is the sum's 1/C, with its gradient") {
  pg::Rng rng(32);
  const int B = 3, C = 4;
  const std::vector<int> labels = {1, 3, 0};
  auto logits = random_vector(rng, B * C, -2, 2);
  for (int b = 0; b < B; ++b)
    for (int k = 0; k < C; ++k) {
      float& o = logits[b * C + k];
      if (std::fabs(1.0f - (k == labels[b] ? 1.0f : -1.0f) * o) < 0.05f) o += 0.2f;
    }
  nn::MultiClassHinge sum(true, 1.5f), mean(true, 1.5f, true);
  const float s = sum.forward(logits.data(), labels.data(), B, C), m = mean.forward(logits.data(), labels.data(), B, C);
  CHECK(s > 0.0f);
  CHECK(m == doctest::Approx(s / C).epsilon(1e-6));
  // By hand: C_svm mean over all B*C entries of max(0, 1 - t o)^2.
  double by_hand = 0;
  for (int b = 0; b < B; ++b)
    for (int k = 0; k < C; ++k) {
      const double slack = 1.0 - (k == labels[b] ? 1.0 : -1.0) * logits[b * C + k];
      by_hand += slack > 0 ? slack * slack : 0.0;
    }
  CHECK(m == doctest::Approx(1.5 * by_hand / (B * C)).epsilon(1e-6));
  check_loss(mean, logits, labels, B, C, 1e-2f, 2e-3, 1e-5);
  nn::MultiClassHinge l1_mean(false, 0.7f, true);
  check_loss(l1_mean, logits, labels, B, C, 1e-2f, 2e-3, 1e-5);
}

TEST_CASE("grad: Z-loss for several a, b") {
  pg::Rng rng(32);
  const int B = 4, C = 6;
  const std::vector<int> labels = {0, 5, 2, 2};
  const float settings[][2] = {{0.1f, 0.0f}, {1.0f, 1.0f}, {5.0f, 2.0f}};
  for (const auto& ab : settings) {
    nn::ZLoss z(ab[0], ab[1]);
    check_loss(z, random_vector(rng, B * C, -2, 2), labels, B, C, 1e-2f, 2e-3, 1e-4);
  }
}

TEST_CASE("grad: ArcFace, CosFace, ElasticArc/Cos and their + variants (margins frozen)") {
  pg::Rng rng(33);
  const int B = 6, C = 4;
  const std::vector<int> labels = {0, 1, 2, 3, 1, 0};
  for (nn::MarginKind kind : {nn::MarginKind::arc, nn::MarginKind::cos}) {
    for (int variant = 0; variant < 3; ++variant) {
      nn::MarginConfig cfg;
      cfg.kind = kind;
      cfg.scale = 16.0f;
      cfg.margin = 0.3f;
      cfg.elastic = variant > 0;
      cfg.sigma = 0.05f;
      cfg.plus = variant == 2;
      nn::MarginSoftmax loss(cfg, 7);
      auto cosines = random_vector(rng, B * C, -0.9, 0.9);
      loss.reserve(B, C);
      loss.forward(cosines.data(), labels.data(), B, C);  // draws this step's margins
      loss.freeze_margins(true);
      INFO(std::string(loss.name()));
      check_loss(loss, cosines, labels, B, C, 1e-3f, 5e-3, 2e-3);
    }
  }
}

TEST_CASE("grad: StableMax cross-entropy (both branches of s)") {
  pg::Rng rng(34);
  const int B = 4, C = 5;
  nn::StableMaxCrossEntropy loss;
  auto logits = random_vector(rng, B * C, -3, 3);
  for (float& z : logits) {
    if (std::fabs(z) < 0.05f) z = 0.5f;  // s'' jumps at 0: keep the difference quotient on one side
  }
  check_loss(loss, logits, {1, 0, 4, 2}, B, C, 1e-3f, 5e-3, 1e-4);
}

TEST_CASE("grad: multi-positive and decoupled softmax (DEXML)") {
  pg::Rng rng(35);
  const int B = 3, C = 6, P = 3;
  const std::vector<int> labels = {0, 4, -1, 2, -1, -1, 5, 1, 3};  // (B, P), -1 = padding
  nn::MultiPositiveSoftmax multi(P, 2.0f);
  nn::DecoupledSoftmax decoupled(P, 2.0f);
  check_loss(multi, random_vector(rng, B * C, -1, 1), labels, B, C, 1e-2f, 2e-3, 1e-4);
  check_loss(decoupled, random_vector(rng, B * C, -1, 1), labels, B, C, 1e-2f, 2e-3, 1e-4);
}
