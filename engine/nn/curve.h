// curve.h - a bounded, allocation-free training curve (loss or accuracy vs step).
//
// reserve(capacity) allocates once.  add() appends a point per call until the
// curve is full; then neighbouring points are merged pairwise (their mean, at
// the later step) and from then on every `stride` consecutive values are
// averaged into one point.  Memory stays fixed however long training runs, the
// whole history stays visible, and the result depends only on the sequence of
// add() calls (not on how training was split into frames).
#pragma once
#include <vector>

namespace nn {

class Curve {
 public:
  void reserve(int capacity) {
    capacity_ = capacity < 2 ? 2 : capacity;
    steps_.assign(capacity_, 0.0f);
    values_.assign(capacity_, 0.0f);
    clear();
  }
  void clear() {
    size_ = 0;
    stride_ = 1;
    pending_count_ = 0;
    pending_sum_ = 0.0;
  }
  void add(int step, float value) {
    if (capacity_ == 0) reserve(1024);  // never called in a step when reserved first
    pending_sum_ += value;
    if (++pending_count_ < stride_) return;
    if (size_ == capacity_) {
      for (int i = 0; i < capacity_ / 2; ++i) {
        steps_[i] = steps_[2 * i + 1];
        values_[i] = 0.5f * (values_[2 * i] + values_[2 * i + 1]);
      }
      size_ = capacity_ / 2;
      stride_ *= 2;
    }
    steps_[size_] = float(step);
    values_[size_] = float(pending_sum_ / pending_count_);
    ++size_;
    pending_count_ = 0;
    pending_sum_ = 0.0;
  }
  int size() const { return size_; }
  const float* steps() const { return steps_.data(); }
  const float* values() const { return values_.data(); }
  float last() const { return size_ > 0 ? values_[size_ - 1] : 0.0f; }
  int stride() const { return stride_; }

 private:
  std::vector<float> steps_, values_;
  int capacity_ = 0, size_ = 0, stride_ = 1, pending_count_ = 0;
  double pending_sum_ = 0.0;
};

}  // namespace nn
