// toy.cpp - see toy.h.
#include "engine/data/toy.h"

#include "engine/nn/nnmath.h"
#include "engine/rng.h"

namespace data {

const char* toy_kind_name(ToyKind kind) {
  switch (kind) {
    case ToyKind::blobs: return "blobs";
    case ToyKind::moons: return "moons";
    case ToyKind::spirals: return "spirals";
    case ToyKind::rings: return "rings";
  }
  return "?";
}

static Dataset points(const char* name, int n, int classes) {
  Dataset d;
  d.name = name;
  d.n = n > 0 ? n : 0;
  d.dim = 2;
  d.classes = classes;
  d.channels = 2;
  d.x.assign(size_t(d.n) * 2, 0.0f);
  d.y.assign(d.n, 0);
  return d;
}

static int clamp_classes(int classes) { return classes < 2 ? 2 : (classes > 64 ? 64 : classes); }
static double clamp_noise(float noise) { return noise > 0.0f ? double(noise) : 0.0; }

static void set_point(Dataset& d, int i, double px, double py, int label, double noise, pg::Rng& rng) {
  d.x[2 * i] = float(px + noise * rng.normal());
  d.x[2 * i + 1] = float(py + noise * rng.normal());
  d.y[i] = label;
}

Dataset make_blobs(int n, int classes, float noise, uint64_t seed) {
  classes = clamp_classes(classes);
  Dataset d = points("blobs", n, classes);
  pg::Rng rng(seed);
  const double rotation = rng.uniform(0.0, 2.0 * nnmath::kPi), sigma = clamp_noise(noise);
  for (int i = 0; i < d.n; ++i) {
    const int k = i % classes;
    double s, c;
    nnmath::sincos(rotation + 2.0 * nnmath::kPi * k / classes, s, c);
    set_point(d, i, c, s, k, sigma, rng);
  }
  return d;
}

Dataset make_moons(int n, float noise, uint64_t seed) {
  Dataset d = points("moons", n, 2);
  pg::Rng rng(seed);
  const double sigma = clamp_noise(noise);
  for (int i = 0; i < d.n; ++i) {
    const int k = i % 2;
    double s, c;
    nnmath::sincos(rng.uniform(0.0, nnmath::kPi), s, c);
    // outer moon (cos t, sin t), inner moon (1 - cos t, 0.5 - sin t), both shifted by (-0.5, -0.25)
    if (k == 0) set_point(d, i, c - 0.5, s - 0.25, k, sigma, rng);
    else set_point(d, i, 0.5 - c, 0.25 - s, k, sigma, rng);
  }
  return d;
}

Dataset make_spirals(int n, int classes, float noise, uint64_t seed) {
  classes = clamp_classes(classes);
  Dataset d = points("spirals", n, classes);
  pg::Rng rng(seed);
  const double sigma = clamp_noise(noise);
  for (int i = 0; i < d.n; ++i) {
    const int k = i % classes;
    const double t = rng.uniform();
    const double radius = 0.1 + 0.9 * t;
    double s, c;
    nnmath::sincos(2.0 * nnmath::kPi * k / classes + 3.0 * nnmath::kPi * t, s, c);
    set_point(d, i, radius * c, radius * s, k, sigma, rng);
  }
  return d;
}

Dataset make_rings(int n, int classes, float noise, uint64_t seed) {
  classes = clamp_classes(classes);
  Dataset d = points("rings", n, classes);
  pg::Rng rng(seed);
  const double sigma = clamp_noise(noise);
  for (int i = 0; i < d.n; ++i) {
    const int k = i % classes;
    const double radius = double(k + 1) / classes;
    double s, c;
    nnmath::sincos(rng.uniform(0.0, 2.0 * nnmath::kPi), s, c);
    set_point(d, i, radius * c, radius * s, k, sigma, rng);
  }
  return d;
}

Dataset make_toy(const ToyConfig& config, uint64_t seed) {
  switch (config.kind) {
    case ToyKind::blobs: return make_blobs(config.n, config.classes, config.noise, seed);
    case ToyKind::moons: return make_moons(config.n, config.noise, seed);
    case ToyKind::spirals: return make_spirals(config.n, config.classes, config.noise, seed);
    case ToyKind::rings: return make_rings(config.n, config.classes, config.noise, seed);
  }
  return make_blobs(config.n, config.classes, config.noise, seed);
}

}  // namespace data
