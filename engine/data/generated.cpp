// generated.cpp - see generated.h.
#include "engine/data/generated.h"

#include <cmath>
#include <vector>

#include "engine/rng.h"

namespace data {

void make_modular_addition(int p, float train_fraction, uint64_t seed, Dataset& train, Dataset& test) {
  p = p < 2 ? 2 : (p > 255 ? 255 : p);
  if (!(train_fraction >= 0.0f)) train_fraction = 0.0f;
  if (train_fraction > 1.0f) train_fraction = 1.0f;
  const int pairs = p * p, dim = 2 * p;
  Dataset all;
  all.name = "modular addition";
  all.n = pairs;
  all.dim = dim;
  all.classes = p;
  all.channels = dim;
  all.pixel_scale = 1.0f;
  all.pixels.assign(size_t(pairs) * dim, 0);
  all.y.assign(pairs, 0);
  for (int a = 0; a < p; ++a)
    for (int b = 0; b < p; ++b) {
      const int i = a * p + b;
      all.pixels[size_t(i) * dim + a] = 1;
      all.pixels[size_t(i) * dim + p + b] = 1;
      all.y[i] = (a + b) % p;
    }
  std::vector<int> order(pairs);
  for (int i = 0; i < pairs; ++i) order[i] = i;
  pg::Rng(seed).shuffle(order.data(), pairs);
  int n_train = int(train_fraction * float(pairs) + 0.5f);
  n_train = n_train < 1 ? 1 : n_train;
  std::vector<char> in_train(pairs, 0);
  for (int k = 0; k < n_train; ++k) in_train[order[k]] = 1;
  std::vector<int> tr, te;
  for (int i = 0; i < pairs; ++i) (in_train[i] ? tr : te).push_back(i);
  train = subset(all, tr.data(), int(tr.size()));
  test = subset(all, te.data(), int(te.size()));
}

Dataset make_multilabel_scenes(int n, int classes, int dim, int max_objects, float noise, uint64_t seed) {
  classes = classes < 2 ? 2 : classes;
  dim = dim < 1 ? 1 : dim;
  max_objects = max_objects < 1 ? 1 : (max_objects > classes ? classes : max_objects);
  n = n < 0 ? 0 : n;
  pg::Rng rng(seed);
  std::vector<float> prototypes(size_t(classes) * dim);
  for (int c = 0; c < classes; ++c) {
    double norm2 = 0.0;
    float* row = prototypes.data() + size_t(c) * dim;
    for (int k = 0; k < dim; ++k) {
      row[k] = float(rng.normal());
      norm2 += double(row[k]) * row[k];
    }
    const float inv = norm2 > 0.0 ? float(1.0 / std::sqrt(norm2)) : 0.0f;
    for (int k = 0; k < dim; ++k) row[k] *= inv;
  }
  Dataset d;
  d.name = "multi-label scenes";
  d.n = n;
  d.dim = dim;
  d.classes = classes;
  d.channels = dim;
  d.target_kind = TargetKind::label_set;
  d.target_width = max_objects;
  d.x.assign(size_t(n) * dim, 0.0f);
  d.y.assign(n, 0);
  d.label_sets.assign(size_t(n) * max_objects, -1);
  std::vector<int> pool(classes);
  for (int i = 0; i < n; ++i) {
    const int count = 1 + int(rng.below(uint32_t(max_objects)));
    for (int c = 0; c < classes; ++c) pool[c] = c;
    rng.shuffle(pool.data(), classes);
    float* x = d.x.data() + size_t(i) * dim;
    for (int k = 0; k < count; ++k) {
      d.label_sets[size_t(i) * max_objects + k] = pool[k];
      const float* proto = prototypes.data() + size_t(pool[k]) * dim;
      for (int j = 0; j < dim; ++j) x[j] += proto[j];
    }
    for (int j = 0; j < dim; ++j) x[j] += float(noise * rng.normal());
    d.y[i] = pool[0];
  }
  return d;
}

}  // namespace data
