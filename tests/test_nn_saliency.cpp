// engine/nn/saliency and the model hooks it relies on (normgrad, LESSONS.md
// #30): the frame's closed forms against the explicit C x C contributions,
// sum_u g_u x_u^T against finite differences of an identity 1x1 convolution
// really inserted through Model's forward hook, Grad-CAM rebuilt from a
// shared virtual bias's finite differences against its direct formula, the
// layer-to-image grid maps, and data::place_on_canvas.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "engine/data/dataset.h"
#include "engine/nn/model.h"
#include "engine/nn/saliency.h"
#include "engine/rng.h"
#include "tests/test_nn_util.h"

namespace {

// A network, one input, the explained layer and a one-hot backward from class k.
struct Probe {
  nn::Model model;
  std::vector<float> x;
  int layer = 0, k = 0;
  double score() {
    const float* out = model.forward(x.data(), 1);
    return out[k];
  }
  void backward() {
    model.forward(x.data(), 1);
    std::vector<float> dout(size_t(model.output_size()), 0.0f);
    dout[size_t(k)] = 1.0f;
    model.zero_grad();
    model.backward(dout.data());
  }
};

void make_probe(Probe& p, const nn::ModelSpec& spec, int layer, uint64_t seed) {
  pg::Rng rng(seed);
  REQUIRE(p.model.init(spec, 1, rng));
  p.x = nntest::random_vector(rng, p.model.input_size(), 0.0, 1.0);
  p.layer = layer;
  p.k = 1;
}

// Central differences of the score w.r.t. the weights of an identity 1x1
// convolution inserted after p.layer, against sum_u g_u x_u^T.  Returns the
// largest |analytic - numeric| relative to max(1, |analytic|).
double identity_conv_check(Probe& p, double h) {
  p.backward();
  const nn::Shape s = p.model.layer_output_shape(p.layer);
  const int C = s.channels, U = s.height * s.width;
  const std::vector<float> x(p.model.layer_output(p.layer), p.model.layer_output(p.layer) + C * U);
  const std::vector<float> g(p.model.layer_output_grad(p.layer), p.model.layer_output_grad(p.layer) + C * U);
  std::vector<double> G(size_t(C) * C);
  nn::identity_conv_gradient(G.data(), x.data(), g.data(), C, U);
  int pi = 0, pj = 0;
  double step = 0;
  p.model.set_forward_hook([&](int layer, float* out, int) {
    if (layer != p.layer) return;
    for (int u = 0; u < U; ++u) out[pi * U + u] += float(step) * x[size_t(pj) * U + u];  // W = I + step E_ij
  });
  double worst = 0;
  for (pi = 0; pi < C; ++pi)
    for (pj = 0; pj < C; ++pj) {
      step = h;
      const double up = p.score();
      step = -h;
      const double down = p.score();
      const double numeric = (up - down) / (2 * h), exact = G[size_t(pi) * C + pj];
      worst = std::fmax(worst, std::fabs(numeric - exact) / std::fmax(1.0, std::fabs(exact)));
    }
  p.model.set_forward_hook(nullptr);
  return worst;
}

}  // namespace

TEST_CASE("saliency: the frame's closed forms equal the explicit contributions (NormGrad = ||g|| ||x||)") {
  pg::Rng rng(3);
  const int C = 5, U = 7;
  const std::vector<float> x = nntest::random_vector(rng, C * U), g = nntest::random_vector(rng, C * U);
  std::vector<float> out(U);
  for (int agg = 0; agg < 3; ++agg)
    for (int layer = 0; layer < 3; ++layer) {
      nn::frame_saliency(out.data(), x.data(), g.data(), C, U, nn::VirtualLayer(layer), nn::Aggregate(agg));
      for (int u = 0; u < U; ++u) {
        // The contribution at u, written out entry by entry.
        std::vector<double> entries;
        for (int i = 0; i < C; ++i) {
          const double gi = g[size_t(i) * U + u], xi = x[size_t(i) * U + u];
          if (layer == 0) entries.push_back(gi);
          if (layer == 1) entries.push_back(gi * xi);
          if (layer == 2)
            for (int j = 0; j < C; ++j) entries.push_back(gi * x[size_t(j) * U + u]);  // g_u x_u^T
        }
        double norm2 = 0, sum = 0, mx = -INFINITY;
        for (double e : entries) norm2 += e * e, sum += e, mx = std::fmax(mx, e);
        const double expected = agg == 0 ? std::sqrt(norm2) : agg == 1 ? sum : mx;
        CHECK(out[size_t(u)] == doctest::Approx(expected).epsilon(1e-5));
      }
    }
}

TEST_CASE("saliency: sum_u g_u x_u^T is the gradient of an identity 1x1 convolution inserted after the layer") {
  SUBCASE("smooth CNN (tanh), after the first and the second convolution") {
    const nn::ModelSpec spec = nn::ModelSpec::images(2, 6, 6).conv2d(4, 3).tanh().conv2d(3, 3, nn::Padding::valid).tanh().linear(3);
    for (int layer : {1, 3}) {
      Probe p;
      make_probe(p, spec, layer, 11 + layer);
      CHECK(identity_conv_check(p, 1e-2) < 2e-3);
    }
  }
  SUBCASE("the lesson's ReLU + max-pooling CNN on a tie-free input, before a ReLU") {
    Probe p;
    make_probe(p, nn::cnn(1, 8, 8, {4, 6}, 3, nn::Padding::same, 16, 3), 3, 5);  // layer 3: conv2's output
    CHECK(identity_conv_check(p, 1e-3) < 2e-3);
  }
}

TEST_CASE("saliency: Grad-CAM from a shared virtual bias's finite differences equals the direct formula") {
  Probe p;
  make_probe(p, nn::ModelSpec::images(1, 6, 6).conv2d(3, 3).tanh().conv2d(4, 3).tanh().linear(3), 3, 21);
  p.backward();
  const int C = 4, U = 36;
  const std::vector<float> x(p.model.layer_output(3), p.model.layer_output(3) + C * U);
  const std::vector<float> g(p.model.layer_output_grad(3), p.model.layer_output_grad(3) + C * U);
  std::vector<float> direct(U), via_frame(U, 0.0f);
  nn::gradcam_saliency(direct.data(), x.data(), g.data(), C, U);
  int channel = 0;
  double step = 0;
  p.model.set_forward_hook([&](int layer, float* out, int) {
    if (layer == 3)
      for (int u = 0; u < U; ++u) out[channel * U + u] += float(step);
  });
  const double h = 1e-2;
  for (channel = 0; channel < C; ++channel) {
    step = h;
    const double up = p.score();
    step = -h;
    const double a = (up - p.score()) / (2 * h) / U;  // d score / d b_c, over the locations
    for (int u = 0; u < U; ++u) via_frame[size_t(u)] += float(a * x[size_t(channel) * U + u]);
  }
  double largest = 0;
  for (int u = 0; u < U; ++u) {
    CHECK(std::fmax(via_frame[size_t(u)], 0.0f) == doctest::Approx(direct[size_t(u)]).epsilon(1e-3).scale(1e-3));
    largest = std::fmax(largest, direct[size_t(u)]);
  }
  CHECK(largest > 0.0);  // the map is not trivially all zero
}

TEST_CASE("saliency: grid maps and resampling put layer cells over the right pixels") {
  pg::Rng rng(1);
  nn::Model m;
  REQUIRE(m.init(nn::cnn(1, 28, 28, {2, 2}, 5, nn::Padding::valid, 4, 2), 1, rng));
  // 28 -valid5-> 24 (centred on pixel i + 2) -pool-> 12 (2i + 2.5) -valid5-> 8 (2i + 6.5)
  CHECK(nn::layer_grid_map(m, -1).scale == 1.0);
  CHECK(nn::layer_grid_map(m, 0).offset == 2.0);
  CHECK(nn::layer_grid_map(m, 2).scale == 2.0);
  CHECK(nn::layer_grid_map(m, 2).offset == 2.5);
  CHECK(nn::layer_grid_map(m, 3).offset == 6.5);
  // A single hot cell lands on the pixels it is centred on.
  std::vector<float> cell(64, 0.0f), image(28 * 28);
  cell[3 * 8 + 5] = 1.0f;
  nn::resample_to_input(image.data(), 28, 28, cell.data(), 8, 8, nn::layer_grid_map(m, 3));
  const int peak = nn::argmax_index(image.data(), 28 * 28);
  CHECK(std::abs(peak / 28 - (2 * 3 + 6)) <= 1);
  CHECK(std::abs(peak % 28 - (2 * 5 + 6)) <= 1);
  std::vector<float> flat(64, 0.25f);
  nn::resample_to_input(image.data(), 28, 28, flat.data(), 8, 8, nn::layer_grid_map(m, 3));
  for (float v : image) CHECK(v == doctest::Approx(0.25f));
}

TEST_CASE("place_on_canvas: every image is pasted whole at its recorded offset") {
  data::Dataset d;
  d.n = 3, d.dim = 4, d.classes = 2, d.height = 2, d.width = 2;
  d.pixels = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  d.pixel_scale = 0.5f;
  d.y = {0, 1, 0};
  std::vector<int> offsets;
  const data::Dataset c = data::place_on_canvas(d, 5, 4, 9, &offsets);
  REQUIRE(c.dim == 20);
  CHECK(c.height == 5);
  CHECK(c.width == 4);
  CHECK(c.y == d.y);
  CHECK(c.pixel_scale == 0.5f);
  for (int i = 0; i < 3; ++i) {
    const int top = offsets[size_t(i) * 2], left = offsets[size_t(i) * 2 + 1];
    CHECK(top >= 0);
    CHECK(top <= 3);
    CHECK(left >= 0);
    CHECK(left <= 2);
    int sum = 0;
    for (int p = 0; p < 20; ++p) sum += c.pixels[size_t(i) * 20 + p];
    CHECK(sum == 16 * i + 10);  // the four pixels of image i (4i+1 .. 4i+4) and nothing else
    CHECK(c.pixels[size_t(i) * 20 + size_t(top) * 4 + left] == d.pixels[size_t(i) * 4]);
    CHECK(c.pixels[size_t(i) * 20 + size_t(top + 1) * 4 + left + 1] == d.pixels[size_t(i) * 4 + 3]);
  }
}
