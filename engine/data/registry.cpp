// registry.cpp - see registry.h.  To add a data set: write its generator
// (deterministic by seed, pg::Rng only) and add one entry to the list below.
#include "engine/data/registry.h"

#include "engine/data/generated.h"
#include "engine/data/posterior.h"
#include "engine/data/toy.h"

namespace data {

void DatasetOptions::set(const std::string& key, double value) {
  for (auto& kv : values) {
    if (kv.first == key) {
      kv.second = value;
      return;
    }
  }
  values.emplace_back(key, value);
}

double DatasetOptions::get(const std::string& key, double fallback) const {
  for (const auto& kv : values)
    if (kv.first == key) return kv.second;
  return fallback;
}

double DatasetInfo::knob(const DatasetOptions& options, const char* key) const {
  for (const DatasetKnob& k : knobs) {
    if (std::string(k.key) != key) continue;
    double v = options.get(key, k.default_value);
    if (!(v >= k.min)) v = k.min;  // NaN too
    if (v > k.max) v = k.max;
    return v;
  }
  return options.get(key, 0.0);
}

namespace {

// The 2-D toys: n points, a third held out by a stratified split (seed + 1).
// This is exactly what TrainerLesson did before the registry (same numbers).
template <ToyKind kind>
void make_toy_split(const DatasetOptions& o, uint64_t seed, Dataset& train, Dataset& test) {
  const DatasetInfo& info = datasets()[int(kind)];
  ToyConfig cfg;
  cfg.kind = kind;
  cfg.n = int(info.knob(o, "n"));
  cfg.classes = int(info.knob(o, "classes"));
  cfg.noise = float(info.knob(o, "noise"));
  Dataset all = make_toy(cfg, seed);
  train_test_split(all, float(info.knob(o, "test_frac")), seed + 1, train, test);
}

void make_modular(const DatasetOptions& o, uint64_t seed, Dataset& train, Dataset& test) {
  const DatasetInfo& info = *find_dataset("modular-addition");
  make_modular_addition(int(info.knob(o, "p")), float(info.knob(o, "train_frac")), seed, train, test);
}

void make_scenes(const DatasetOptions& o, uint64_t seed, Dataset& train, Dataset& test) {
  const DatasetInfo& info = *find_dataset("multilabel-scenes");
  const int n = int(info.knob(o, "n")), classes = int(info.knob(o, "classes")), dim = int(info.knob(o, "dim")),
            objects = int(info.knob(o, "max_objects"));
  const float noise = float(info.knob(o, "noise"));
  // The same prototypes for both splits (one generator call), split by rows.
  Dataset all = make_multilabel_scenes(n, classes, dim, objects, noise, seed);
  const int n_test = int(info.knob(o, "test_frac") * n + 0.5);
  std::vector<int> tr, te;
  for (int i = 0; i < all.n; ++i) (i < all.n - n_test ? tr : te).push_back(i);
  train = subset(all, tr.data(), int(tr.size()));
  test = subset(all, te.data(), int(te.size()));
}

void make_posterior_split(const DatasetOptions& o, uint64_t seed, Dataset& train, Dataset& test) {
  const DatasetInfo& info = *find_dataset("known-posterior");
  Dataset all = make_known_posterior(int(info.knob(o, "n")), int(info.knob(o, "classes")),
                                     info.knob(o, "sharpness"), seed);
  train_test_split(all, float(info.knob(o, "test_frac")), seed + 1, train, test);
}

std::vector<DatasetKnob> toy_knobs(double noise) {
  return {{"n", "points", 30, 5000, 900, true, "Points generated (train and test together)."},
          {"classes", "classes", 2, 64, 3, true, "Number of classes (moons always has 2)."},
          {"noise", "noise", 0, 1, noise, false, "Std of the Gaussian added to each coordinate."},
          {"test_frac", "test fraction", 0.05, 0.9, 1.0 / 3.0, false, "Share of each class held out for testing."}};
}

std::vector<DatasetInfo> build_registry() {
  std::vector<DatasetInfo> r;
  r.push_back({"blobs", "3 Gaussian blobs", DatasetSource::generated, TargetKind::label, true, toy_knobs(0.25),
               &make_toy_split<ToyKind::blobs>});
  r.push_back({"moons", "two moons", DatasetSource::generated, TargetKind::label, true, toy_knobs(0.05),
               &make_toy_split<ToyKind::moons>});
  r.push_back({"spirals", "3 spirals", DatasetSource::generated, TargetKind::label, true, toy_knobs(0.05),
               &make_toy_split<ToyKind::spirals>});
  r.push_back({"rings", "3 rings", DatasetSource::generated, TargetKind::label, true, toy_knobs(0.05),
               &make_toy_split<ToyKind::rings>});
  r.push_back({"digits", "UCI 8x8 digits", DatasetSource::pack, TargetKind::label, false, {}, nullptr});
  r.push_back({"mnist", "MNIST (10,000 digits)", DatasetSource::pack, TargetKind::label, false, {}, nullptr});
  r.push_back({"fashion-mnist", "Fashion-MNIST (10,000 items)", DatasetSource::pack, TargetKind::label, false, {},
               nullptr});
  r.push_back({"modular-addition", "(a + b) mod p", DatasetSource::generated, TargetKind::label, false,
               {{"p", "modulus p", 2, 255, 113, true, "Classes and the size of each one-hot half of the input."},
                {"train_frac", "train fraction", 0.05, 0.95, 0.3, false,
                 "Share of the p^2 pairs used for training; the rest is the test set."}},
               &make_modular});
  r.push_back({"multilabel-scenes", "synthetic multi-label scenes", DatasetSource::generated, TargetKind::label_set,
               false,
               {{"n", "scenes", 50, 20000, 2000, true, "Scenes generated (train and test together)."},
                {"classes", "object types", 2, 64, 12, true, "Object types (labels)."},
                {"dim", "features", 2, 256, 32, true, "Feature dimension."},
                {"max_objects", "objects per scene (max)", 1, 8, 4, true, "A scene holds 1 to this many objects."},
                {"noise", "noise", 0, 2, 0.3, false, "Std of the Gaussian added to each feature."},
                {"test_frac", "test fraction", 0.05, 0.9, 0.25, false, "Share of scenes held out for testing."}},
               &make_scenes});
  r.push_back({"known-posterior", "2-D points with a known P(y|x)", DatasetSource::generated, TargetKind::label, true,
               {{"n", "points", 100, 50000, 8000, true, "Points generated (train and test together)."},
                {"classes", "classes", 2, 16, 4, true, "Number of classes, each on two opposite sides of the circle."},
                {"sharpness", "sharpness", 0.25, 30, 4, false,
                 "P(y = k | x) = softmax(-sharpness * distance to class k's nearer centre): larger is less noisy."},
                {"test_frac", "test fraction", 0.05, 0.9, 0.5, false, "Share of each class held out for testing."}},
               &make_posterior_split});
  return r;
}

}  // namespace

const std::vector<DatasetInfo>& datasets() {
  static const std::vector<DatasetInfo> registry = build_registry();
  return registry;
}

const DatasetInfo* find_dataset(const std::string& key) {
  const int i = dataset_index(key);
  return i < 0 ? nullptr : &datasets()[i];
}

int dataset_index(const std::string& key) {
  const std::vector<DatasetInfo>& r = datasets();
  for (size_t i = 0; i < r.size(); ++i)
    if (key == r[i].key) return int(i);
  return -1;
}

}  // namespace data
