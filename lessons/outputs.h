// outputs.h - what a lesson's views show, declared once and held as plain
// data: series (tables of columns, column 0 is usually x) and arrays (inputs
// and results worth checking outside, with shapes).  The views draw from
// here, not from a trainer's internals, so the state they show can be copied
// (to a Web Worker's host, to a file); `playground-cli run --export DIR`
// writes every series as CSV and every array as .npy.
//
// Declared in Lesson::declare (the lesson keeps the returned reference: it
// stays valid for the lesson's lifetime) and refilled in reset/step:
//
//   Series& loss_ = d.outputs.series("train_loss", {"step", "softmax", "svm"});
//   ...
//   loss_.clear();  loss_.push({step, a, b});
#pragma once
#include <cstdint>
#include <deque>
#include <initializer_list>
#include <string>
#include <vector>

namespace pg {

// Columns of equal length.  float: what plots take, and every series here is
// plot data; arrays carry the precision an outside check needs.
struct Series {
  std::string key;                   // file name: <key>.csv
  std::vector<std::string> columns;  // header row
  std::vector<std::vector<float>> values;  // values[c][row]
  bool timing = false;  // wall-clock measurements: differ between runs (tests skip them)

  int rows() const { return values.empty() ? 0 : int(values[0].size()); }
  int cols() const { return int(columns.size()); }
  const float* col(int c) const { return values[size_t(c)].data(); }
  float* col(int c) { return values[size_t(c)].data(); }
  void clear() {
    for (auto& v : values) v.clear();
  }
  // Sets the length of every column (new entries 0).
  void resize(int rows) {
    for (auto& v : values) v.resize(size_t(rows));
  }
  // Appends one row: one value per column.
  void push(std::initializer_list<float> row) {
    size_t c = 0;
    for (float v : row)
      if (c < values.size()) values[c++].push_back(v);
  }
};

// An N-d array, C order, float32 or float64.
struct Array {
  std::string key;          // file name: <key>.npy
  std::vector<int64_t> shape;
  bool f64 = false;
  std::vector<float> f;     // when !f64
  std::vector<double> d;    // when f64
  bool timing = false;      // wall-clock measurements: differ between runs (tests skip them)

  int64_t size() const {
    int64_t n = 1;
    for (int64_t s : shape) n *= s;
    return n;
  }
  void set(std::vector<int64_t> new_shape, const float* values) {
    shape = std::move(new_shape), f64 = false;
    f.assign(values, values + size());
    d.clear();
  }
  void set(std::vector<int64_t> new_shape, const double* values) {
    shape = std::move(new_shape), f64 = true;
    d.assign(values, values + size());
    f.clear();
  }
};

class Outputs {
 public:
  // Declarations (Lesson::declare).  References stay valid (deque storage).
  Series& series(const char* key, std::vector<std::string> columns);
  Array& array(const char* key);

  const std::deque<Series>& all_series() const { return series_; }
  const std::deque<Array>& all_arrays() const { return arrays_; }
  const Series* find_series(const std::string& key) const;
  const Array* find_array(const std::string& key) const;
  // Every series' and array's values from `from`, which must hold the same
  // declarations (keys and columns, in order; an array's data must fill its
  // shape).  False, with nothing changed, when it does not.
  bool copy_values_from(const Outputs& from);

 private:
  std::deque<Series> series_;
  std::deque<Array> arrays_;
};

}  // namespace pg
