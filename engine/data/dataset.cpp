// dataset.cpp - see dataset.h.
#include "engine/data/dataset.h"

#include "engine/rng.h"

#include <cstdint>
#include <utility>

namespace data {

const char* target_kind_name(TargetKind kind) {
  switch (kind) {
    case TargetKind::label: return "label";
    case TargetKind::label_set: return "label set";
    default: return "vector";
  }
}

void Dataset::row(int i, float* out) const {
  const float gain = row_gain.empty() ? 1.0f : row_gain[size_t(i)];
  if (!x.empty()) {
    const float* src = x.data() + size_t(i) * dim;
    if (row_gain.empty()) for (int k = 0; k < dim; ++k) out[k] = src[k];
    else for (int k = 0; k < dim; ++k) out[k] = src[k] * gain;
  } else {
    const uint8_t* src = pixels.data() + size_t(i) * dim;
    const float scale = pixel_scale * gain;
    for (int k = 0; k < dim; ++k) out[k] = float(src[k]) * scale;
  }
}

void Dataset::gather(const int* idx, int B, float* x_out, int* y_out) const {
  for (int b = 0; b < B; ++b) {
    row(idx[b], x_out + size_t(b) * dim);
    if (y_out) y_out[b] = y[idx[b]];
  }
}

SpreadRows::SpreadRows(int count, int total) : total_(total > 0 ? total : 0) {
  if (count >= total_ || total_ <= 2) return;
  const auto gcd = [](int64_t a, int64_t b) {
    while (b) a %= b, std::swap(a, b);
    return a;
  };
  // 0.3819... = 1 - 1/phi: the same sequence as 1/phi, read backwards.
  int64_t a = int64_t(double(total_) * 0.3819660112501051 + 0.5);
  if (a < 1) a = 1;
  while (gcd(a, total_) != 1) ++a;
  stride_ = a;
}

void SpreadRows::fill(int* idx, int count) const {
  for (int k = 0; k < count; ++k) idx[k] = (*this)[k];
}

void Dataset::gather_targets(const int* idx, int B, int* sets_out, float* targets_out) const {
  const int w = target_width;
  for (int b = 0; b < B; ++b) {
    const size_t row = size_t(idx[b]) * w;
    if (target_kind == TargetKind::label_set && sets_out)
      for (int k = 0; k < w; ++k) sets_out[size_t(b) * w + k] = label_sets[row + k];
    if (target_kind == TargetKind::vector && targets_out)
      for (int k = 0; k < w; ++k) targets_out[size_t(b) * w + k] = targets[row + k];
  }
}

std::vector<int> Dataset::class_counts() const {
  std::vector<int> counts(classes > 0 ? classes : 0, 0);
  for (int label : y) {
    if (label >= 0 && label < classes) ++counts[label];
  }
  return counts;
}

static Dataset empty_like(const Dataset& all) {
  Dataset d;
  d.name = all.name;
  d.dim = all.dim;
  d.classes = all.classes;
  d.channels = all.channels;
  d.height = all.height;
  d.width = all.width;
  d.pixel_scale = all.pixel_scale;
  d.target_kind = all.target_kind;
  d.target_width = all.target_width;
  return d;
}

static void append_row(Dataset& d, const Dataset& all, int i, int label) {
  if (!all.x.empty()) d.x.insert(d.x.end(), all.x.begin() + size_t(i) * all.dim, all.x.begin() + size_t(i + 1) * all.dim);
  else d.pixels.insert(d.pixels.end(), all.pixels.begin() + size_t(i) * all.dim, all.pixels.begin() + size_t(i + 1) * all.dim);
  d.y.push_back(label);
  if (!all.row_gain.empty()) d.row_gain.push_back(all.row_gain[size_t(i)]);
  const size_t w = size_t(all.target_width);
  if (all.target_kind == TargetKind::label_set)
    d.label_sets.insert(d.label_sets.end(), all.label_sets.begin() + i * w, all.label_sets.begin() + (i + 1) * w);
  if (all.target_kind == TargetKind::vector)
    d.targets.insert(d.targets.end(), all.targets.begin() + i * w, all.targets.begin() + (i + 1) * w);
  ++d.n;
}

Dataset subset(const Dataset& all, const int* idx, int count) {
  Dataset d = empty_like(all);
  for (int k = 0; k < count; ++k) append_row(d, all, idx[k], all.y[idx[k]]);
  return d;
}

void train_test_split(const Dataset& all, float test_fraction, uint64_t seed, Dataset& train, Dataset& test) {
  if (!(test_fraction >= 0.0f)) test_fraction = 0.0f;
  if (test_fraction > 1.0f) test_fraction = 1.0f;
  pg::Rng rng(seed);
  std::vector<char> to_test(all.n, 0);
  for (int c = 0; c < all.classes; ++c) {
    std::vector<int> members;
    for (int i = 0; i < all.n; ++i) if (all.y[i] == c) members.push_back(i);
    rng.shuffle(members.data(), int(members.size()));
    const int n_test = int(test_fraction * float(members.size()) + 0.5f);
    for (int k = 0; k < n_test; ++k) to_test[members[k]] = 1;
  }
  train = empty_like(all);
  test = empty_like(all);
  for (int i = 0; i < all.n; ++i) append_row(to_test[i] ? test : train, all, i, all.y[i]);
}

Dataset place_on_canvas(const Dataset& all, int canvas_h, int canvas_w, uint64_t seed, std::vector<int>* offsets_out) {
  if (offsets_out) offsets_out->assign(size_t(all.n) * 2, 0);
  if (canvas_h < all.height || canvas_w < all.width || !all.is_image()) return all;
  Dataset d = all;
  const int C = all.channels, h = all.height, w = all.width;
  d.height = canvas_h, d.width = canvas_w, d.dim = C * canvas_h * canvas_w;
  const bool bytes = all.x.empty();
  if (bytes) d.pixels.assign(size_t(all.n) * d.dim, 0);
  else d.x.assign(size_t(all.n) * d.dim, 0.0f);
  pg::Rng rng(seed);
  for (int i = 0; i < all.n; ++i) {
    const int top = int(rng.below(uint32_t(canvas_h - h + 1))), left = int(rng.below(uint32_t(canvas_w - w + 1)));
    if (offsets_out) (*offsets_out)[size_t(i) * 2] = top, (*offsets_out)[size_t(i) * 2 + 1] = left;
    for (int c = 0; c < C; ++c)
      for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
          const size_t src = size_t(i) * all.dim + (size_t(c) * h + y) * w + x;
          const size_t dst = size_t(i) * d.dim + (size_t(c) * canvas_h + top + y) * canvas_w + left + x;
          if (bytes) d.pixels[dst] = all.pixels[src];
          else d.x[dst] = all.x[src];
        }
  }
  return d;
}

Dataset select_classes(const Dataset& all, const std::vector<int>& keep) {
  Dataset d = empty_like(all);
  d.classes = int(keep.size());
  for (int i = 0; i < all.n; ++i) {
    for (size_t k = 0; k < keep.size(); ++k) {
      if (all.y[i] == keep[k]) {
        append_row(d, all, i, int(k));
        break;
      }
    }
  }
  return d;
}

}  // namespace data
