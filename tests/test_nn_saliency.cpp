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
// convolution inserted after p.layer (nn::VirtualLayerProbe, through the
// forward hook), against sum_u g_u x_u^T.  Returns the largest
// |analytic - numeric| relative to max(1, |analytic|).
double identity_conv_check(Probe& p, double h) {
  p.backward();
  const nn::Shape s = p.model.layer_output_shape(p.layer);
  const int C = s.channels, U = s.height * s.width;
  std::vector<double> G(size_t(C) * C);
  nn::identity_conv_gradient(G.data(), p.model.layer_output(p.layer), p.model.layer_output_grad(p.layer), C, U);
  nn::VirtualLayerProbe probe;
  probe.attach(p.model, p.layer, p.x.data(), p.k);
  double worst = 0;
  for (int i = 0; i < C; ++i)
    for (int j = 0; j < C; ++j) {
      const double numeric = probe.identity_conv(i, j, h), exact = G[size_t(i) * C + j];
      worst = std::fmax(worst, std::fabs(numeric - exact) / std::fmax(1.0, std::fabs(exact)));
    }
  probe.detach();
  CHECK(std::fabs(p.score() - p.score()) == 0.0);  // detached: no perturbation left behind
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
  nn::VirtualLayerProbe probe;
  probe.attach(p.model, 3, p.x.data(), p.k);
  for (int c = 0; c < C; ++c) {
    const double a = probe.shared_bias(c, 1e-2) / U;  // d score / d b_c, over the locations
    for (int u = 0; u < U; ++u) via_frame[size_t(u)] += float(a * x[size_t(c) * U + u]);
  }
  probe.detach();
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

TEST_CASE("saliency: pointing hits within the tolerance, top-k ties by index, Pearson") {
  // A 3x4 image with one object pixel at (1, 2).
  std::vector<float> img(12, 0.0f);
  img[1 * 4 + 2] = 1.0f;
  CHECK(nn::pointing_hit(img.data(), 3, 4, 1 * 4 + 2, 0.5f, 0));
  CHECK(!nn::pointing_hit(img.data(), 3, 4, 1 * 4 + 1, 0.5f, 0));
  CHECK(nn::pointing_hit(img.data(), 3, 4, 1 * 4 + 1, 0.5f, 1));   // one pixel away
  CHECK(!nn::pointing_hit(img.data(), 3, 4, 0 * 4 + 1, 0.5f, 1));  // diagonal: sqrt(2) > 1
  CHECK(!nn::pointing_hit(img.data(), 3, 4, -1, 0.5f, 3));
  const float values[6] = {0.5f, 2.0f, 0.5f, 2.0f, -1.0f, 0.5f};
  int order[6];
  nn::top_k_indices(values, 6, 4, order);
  CHECK(order[0] == 1);
  CHECK(order[1] == 3);
  CHECK(order[2] == 0);
  CHECK(order[3] == 2);
  const float a[4] = {1, 2, 3, 4}, b[4] = {2, 4, 6, 8}, c[4] = {4, 3, 2, 1}, flat[4] = {1, 1, 1, 1};
  CHECK(nn::pearson_correlation(a, b, 4) == doctest::Approx(1.0));
  CHECK(nn::pearson_correlation(a, c, 4) == doctest::Approx(-1.0));
  CHECK(nn::pearson_correlation(a, flat, 4) == 0.0);
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
