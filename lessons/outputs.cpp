// outputs.cpp - see outputs.h.
#include "lessons/outputs.h"

namespace pg {

Series& Outputs::series(const char* key, std::vector<std::string> columns) {
  Series s;
  s.key = key;
  s.values.resize(columns.size());
  s.columns = std::move(columns);
  series_.push_back(std::move(s));
  return series_.back();
}

Array& Outputs::array(const char* key) {
  Array a;
  a.key = key;
  arrays_.push_back(std::move(a));
  return arrays_.back();
}

bool Outputs::copy_values_from(const Outputs& from) {
  if (from.series_.size() != series_.size() || from.arrays_.size() != arrays_.size()) return false;
  for (size_t i = 0; i < series_.size(); ++i) {
    const Series& s = from.series_[i];
    if (s.key != series_[i].key || s.columns != series_[i].columns || s.values.size() != s.columns.size()) return false;
    for (const auto& column : s.values)
      if (column.size() != s.values[0].size()) return false;
  }
  for (size_t i = 0; i < arrays_.size(); ++i) {
    const Array& a = from.arrays_[i];
    if (a.key != arrays_[i].key) return false;
    if (a.shape.empty() && a.f.empty() && a.d.empty()) continue;  // not set yet
    int64_t n = 1;
    for (int64_t d : a.shape) {
      if (d < 0 || (d > 0 && n > (int64_t(1) << 40) / d)) return false;
      n *= d;
    }
    if ((a.f64 ? a.d.size() : a.f.size()) != size_t(n) || (a.f64 ? !a.f.empty() : !a.d.empty())) return false;
  }
  for (size_t i = 0; i < series_.size(); ++i) series_[i].values = from.series_[i].values;
  for (size_t i = 0; i < arrays_.size(); ++i) {
    Array& a = arrays_[i];
    const Array& b = from.arrays_[i];
    a.shape = b.shape, a.f64 = b.f64, a.f = b.f, a.d = b.d;
  }
  return true;
}

const Series* Outputs::find_series(const std::string& key) const {
  for (const Series& s : series_)
    if (s.key == key) return &s;
  return nullptr;
}

const Array* Outputs::find_array(const std::string& key) const {
  for (const Array& a : arrays_)
    if (a.key == key) return &a;
  return nullptr;
}

}  // namespace pg
