// curve.h - bounded, allocation-free records of a run: a training curve (loss
// or accuracy vs step) and the thinning rule behind it, which also keeps
// bounded sets of evaluations and parameter snapshots.
//
// Thinning: at most `capacity` samples, one every `every` steps; when full,
// neighbouring samples are merged pairwise (a curve averages them; a snapshot
// set keeps the earlier one) and from then on samples come half as often.
// Memory stays fixed however long training runs and the whole history stays
// visible.
//
// Curve, reserve(capacity): add() once per step; every `stride` consecutive
// values are averaged into one point (stride 1 until the first merge).  The
// result depends only on the sequence of add() calls, not on how training
// was split into frames.
// Curve, reserve(capacity, window): aligned windows.  Point k covers the steps
// ending at a multiple of the current window, so after a merge the window that
// is still open keeps collecting until the next multiple of the doubled window
// (icl-multihead's loss curve: a point every 10 steps, at steps 10, 20, ...).
#pragma once
#include <vector>

namespace nn {

class Thinning {
 public:
  void reset(int capacity, int every) {
    capacity_ = (capacity < 2 ? 2 : capacity) & ~1;
    every_ = every < 1 ? 1 : every;
    size_ = 0;
  }
  // When full: merge(i) folds samples 2i and 2i + 1 into slot i, for each i
  // < capacity / 2; then half the slots are free and `every` doubles.
  template <class Merge>
  void make_room(Merge&& merge) {
    if (size_ < capacity_) return;
    for (int i = 0; i < size_ / 2; ++i) merge(i);
    size_ /= 2;
    every_ *= 2;
  }
  int push() { return size_++; }  // the slot of a new sample; call make_room first
  bool due(long step) const { return step % every_ == 0; }
  int size() const { return size_; }
  int capacity() const { return capacity_; }
  int every() const { return every_; }

 private:
  int capacity_ = 0, every_ = 1, size_ = 0;
};

class Curve {
 public:
  // window 0: average every `stride` add() calls; window > 0: aligned windows
  // of `window` steps (see the top of the file).
  void reserve(int capacity, int window = 0) {
    aligned_ = window > 0;
    window_ = aligned_ ? window : 1;
    thin_.reset(capacity, window_);
    steps_.assign(size_t(thin_.capacity()), 0.0f);
    values_.assign(size_t(thin_.capacity()), 0.0f);
    clear();
  }
  void clear() {
    thin_.reset(thin_.capacity(), window_);
    pending_count_ = 0;
    pending_sum_ = 0.0;
    last_mean_ = 0.0;
  }
  // value in double: a window's mean is taken before rounding to float.
  void add(int step, double value) {
    if (thin_.capacity() == 0) reserve(1024);  // never called in a step when reserved first
    pending_sum_ += value;
    ++pending_count_;
    if (aligned_) {
      if (!thin_.due(step)) return;
      thin_.make_room([this](int i) { merge(i); });
      if (!thin_.due(step)) return;  // the window doubled: keep collecting
    } else {
      if (pending_count_ < thin_.every()) return;
      thin_.make_room([this](int i) { merge(i); });
    }
    const int slot = thin_.push();
    last_mean_ = pending_sum_ / pending_count_;
    steps_[size_t(slot)] = float(step);
    values_[size_t(slot)] = float(last_mean_);
    pending_count_ = 0;
    pending_sum_ = 0.0;
  }
  int size() const { return thin_.size(); }
  const float* steps() const { return steps_.data(); }
  const float* values() const { return values_.data(); }
  float last() const { return size() > 0 ? values_[size_t(size() - 1)] : 0.0f; }
  double last_mean() const { return last_mean_; }  // the last point before rounding to float
  int stride() const { return aligned_ ? thin_.every() / window_ : thin_.every(); }

 private:
  void merge(int i) {  // the mean of the pair, at the later step
    steps_[size_t(i)] = steps_[size_t(2 * i + 1)];
    values_[size_t(i)] = 0.5f * (values_[size_t(2 * i)] + values_[size_t(2 * i + 1)]);
  }

  std::vector<float> steps_, values_;
  Thinning thin_;
  bool aligned_ = false;
  int window_ = 1, pending_count_ = 0;
  double pending_sum_ = 0.0, last_mean_ = 0.0;
};

}  // namespace nn
