// registry.h - every data set a trainer lesson may offer, registered in one
// place with its knobs (replacing a fixed enum of data sets).
//
// An entry is either generated (toy 2-D sets, modular arithmetic, multi-label
// scenes: make() builds train and test from knob values and a seed,
// deterministically, identical natively and in wasm) or an image pack that
// the page fetches (pack names the file; lessons/packs.h loads it and
// data::pack_to_datasets splits it).  Knob values are looked up by key with
// the knob's default for anything not given.
//
//   const data::DatasetInfo* info = data::find_dataset("modular-addition");
//   data::DatasetOptions options;  options.set("p", 59);  options.set("train_frac", 0.4);
//   data::Dataset train, test;
//   info->make(options, seed, train, test);
//
// The first seven entries keep the order of the old TrainerLesson::DatasetId
// (blobs, moons, spirals, rings, digits, mnist, fashion-mnist), so those ids
// are registry indices.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "engine/data/dataset.h"

namespace data {

struct DatasetKnob {
  const char* key;
  const char* label;
  double min, max, default_value;
  bool integer;
  const char* help;
};

// Knob values by key (a small ordered list: deterministic, no hashing).
struct DatasetOptions {
  std::vector<std::pair<std::string, double>> values;
  void set(const std::string& key, double value);
  // The value given for key, else fallback.
  double get(const std::string& key, double fallback) const;
};

enum class DatasetSource { generated, pack };

struct DatasetInfo {
  const char* key;   // "blobs", "modular-addition", ...
  const char* name;  // for the panel
  DatasetSource source;
  TargetKind target_kind;
  bool two_d;        // 2-D points (decision regions can be drawn)
  std::vector<DatasetKnob> knobs;
  // Generated sets: fills train and test (knob values clamped to the knobs'
  // ranges, missing ones at their defaults).  Packs: nullptr.
  void (*make)(const DatasetOptions& options, uint64_t seed, Dataset& train, Dataset& test);
  double knob(const DatasetOptions& options, const char* key) const;  // clamped value or default
};

// Every registered data set, in registry order.
const std::vector<DatasetInfo>& datasets();
// The entry with this key and its index, or nullptr / -1.
const DatasetInfo* find_dataset(const std::string& key);
int dataset_index(const std::string& key);

}  // namespace data
