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
