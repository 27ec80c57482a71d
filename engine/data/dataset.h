// dataset.h - a labelled data set as the trainers see it.
//
// Rows are features (n, dim).  Toy 2-D data keeps them as floats in x; image
// packs keep the original bytes in pixels (4x smaller: 10,000 MNIST digits are
// 7.8 MB instead of 31 MB) and convert a mini-batch at a time.
//
// Every row has a target of one of three kinds (TargetKind):
//   label      one class in [0, classes): y (n,)  - the default
//   label_set  up to target_width positives per row, padded with -1:
//              label_sets (n, target_width); y holds each row's first positive
//   vector     target_width floats (regression, soft targets): targets
//              (n, target_width); y holds each row's argmax (for class counts)
// Losses say which kind they read (nn::Loss::target_kind()).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace data {

enum class TargetKind { label, label_set, vector };
const char* target_kind_name(TargetKind kind);  // "label", "label set", "vector"

struct Dataset {
  std::string name;
  int n = 0, dim = 0, classes = 0;
  int channels = 1, height = 1, width = 1;  // image layout of a row; (dim, 1, 1) for points
  std::vector<float> x;                     // (n, dim) when stored as floats, else empty
  std::vector<uint8_t> pixels;              // (n, dim) when stored as bytes: value = pixel * pixel_scale
  float pixel_scale = 1.0f;
  // Optional per-row gain (n,): row i's features are multiplied by
  // row_gain[i] when read (a per-image contrast, kept apart from the stored
  // bytes).  Empty: gain 1.
  std::vector<float> row_gain;
  std::vector<int> y;                       // (n,) labels in [0, classes)
  TargetKind target_kind = TargetKind::label;
  int target_width = 1;                     // positives per row (label_set) or floats per row (vector)
  std::vector<int> label_sets;              // (n, target_width), -1 padded: label_set only
  std::vector<float> targets;               // (n, target_width): vector only

  bool empty() const { return n == 0; }
  bool is_image() const { return height > 1 || width > 1; }
  // out (dim,) = row i as floats
  void row(int i, float* out) const;
  // x_out (B, dim), y_out (B,) = rows idx[0..B); y_out may be nullptr
  void gather(const int* idx, int B, float* x_out, int* y_out) const;
  // The targets of rows idx[0..B) for the data's kind: label_set rows into
  // sets_out (B, target_width), vector rows into targets_out (B, target_width).
  // Either may be nullptr; nothing is written for plain labels.
  void gather_targets(const int* idx, int B, int* sets_out, float* targets_out) const;
  // Number of rows of each class, (classes,)
  std::vector<int> class_counts() const;
};

// A subset of `count` of `total` rows spread over the whole set, for
// evaluations and views that look at part of a test set: row k is
// (k * a) mod total, a the integer nearest total / golden ratio that is
// coprime to total.  Coprime: the rows are distinct.  The golden stride:
// they fill the set evenly (a low-discrepancy sequence).  Why not the plain
// floor(k * total / count): the packs' rows cycle through the classes, and a
// stride of total / count (2 for half the set) sees only some of them.
// count >= total: every row, in order.
class SpreadRows {
 public:
  SpreadRows(int count, int total);
  int operator[](int k) const { return stride_ == 1 ? k : int((int64_t(k) * stride_) % total_); }
  // idx[0..count) = rows 0..count of the subset
  void fill(int* idx, int count) const;

 private:
  int64_t total_ = 0, stride_ = 1;
};

// The rows idx[0..count), in that order (labels and layout kept).
Dataset subset(const Dataset& all, const int* idx, int count);

// Stratified split by a seeded shuffle: in every class, round(test_fraction *
// count) rows go to test, the rest to train; both keep the original row order.
void train_test_split(const Dataset& all, float test_fraction, uint64_t seed, Dataset& train, Dataset& test);

// Every image (channels, height, width) pasted at a random position into an
// empty canvas (channels, canvas_h, canvas_w) of zeros, the offset drawn per
// row from seed (uniform over the positions where it fits); labels, targets
// and the storage (floats or bytes) kept.  Objects at known, varying places:
// the pointing game's ground truth.  offsets_out (n, 2), if given, gets each
// row's (top, left).  A canvas smaller than the image returns a copy.
Dataset place_on_canvas(const Dataset& all, int canvas_h, int canvas_w, uint64_t seed,
                        std::vector<int>* offsets_out = nullptr);

// Only the rows whose class is in keep, relabelled 0..keep.size()-1 in keep's
// order (e.g. train on digits 0-7, hold 8 and 9 out as novel classes).
Dataset select_classes(const Dataset& all, const std::vector<int>& keep);

}  // namespace data
