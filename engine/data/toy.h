// toy.h - seeded 2-D toy classification sets: blobs, two moons, spirals, rings.
//
// Every generator returns a Dataset of n points (n, 2) with balanced labels
// (point i has class i % classes), coordinates roughly within [-1.5, 1.5], and
// Gaussian position noise of standard deviation `noise` added to each point.
// Same seed, same points, native and wasm (pg::Rng and nnmath only).
//
//   data::ToyConfig cfg;  cfg.kind = data::ToyKind::spirals;  cfg.classes = 3;
//   data::Dataset all = data::make_toy(cfg, seed), train, test;
//   data::train_test_split(all, 0.25f, seed, train, test);
#pragma once
#include <cstdint>

#include "engine/data/dataset.h"

namespace data {

enum class ToyKind { blobs, moons, spirals, rings };
const char* toy_kind_name(ToyKind kind);

struct ToyConfig {
  ToyKind kind = ToyKind::blobs;
  int n = 600;         // points
  int classes = 3;     // moons always has 2
  float noise = 0.1f;  // std of the Gaussian added to each coordinate
};

Dataset make_toy(const ToyConfig& config, uint64_t seed);

// Class k centred at radius 1, angle 2 pi k / K + a random rotation.
Dataset make_blobs(int n, int classes, float noise, uint64_t seed);
// Two interleaving half circles (as sklearn.datasets.make_moons), centred.
Dataset make_moons(int n, float noise, uint64_t seed);
// K arms, each turning 1.5 times around the origin as the radius grows 0.1 -> 1.
Dataset make_spirals(int n, int classes, float noise, uint64_t seed);
// Concentric rings, class k at radius (k + 1) / K.
Dataset make_rings(int n, int classes, float noise, uint64_t seed);

}  // namespace data
