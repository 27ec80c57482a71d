// generated.h - synthetic data sets beyond the 2-D toys, deterministic by seed
// (pg::Rng only: identical natively and in wasm).
#pragma once
#include <cstdint>

#include "engine/data/dataset.h"

namespace data {

// Modular arithmetic (Power et al. 2022; Prieto et al. 2025): every pair
// (a, b) in [0, p)^2 with label (a + b) mod p, input concat(one-hot a,
// one-hot b) (2p features, stored as bytes).  A seeded shuffle of the p^2
// pairs puts the first round(train_fraction p^2) in train (at least one),
// the rest in test; both keep the pairs' (a, b) order.  p in [2, 255].
void make_modular_addition(int p, float train_fraction, uint64_t seed, Dataset& train, Dataset& test);

// Synthetic multi-label scenes: `classes` object types, each a random unit
// prototype in `dim` dimensions; a scene holds 1..max_objects distinct
// objects (uniform count, uniform choice), and its features are the sum of
// their prototypes plus N(0, noise^2) per feature.  Targets are label sets
// (target_width = max_objects, -1 padded; y = the first object).
Dataset make_multilabel_scenes(int n, int classes, int dim, int max_objects, float noise, uint64_t seed);

}  // namespace data
