// snapshot.cpp - see snapshot.h.
#include "web/snapshot.h"

#include <cstring>

namespace pg {
namespace {

constexpr char kMagic[4] = {'P', 'G', 'S', '1'};

template <typename T>
void put(std::string& out, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  out.append(b, sizeof(T));
}
void put_string(std::string& out, const std::string& s) {
  put<uint32_t>(out, uint32_t(s.size()));
  out += s;
}
template <typename T>
void put_values(std::string& out, const std::vector<T>& v) {
  if (!v.empty()) out.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

// Reads with bounds checks: every get fails (and stays failed) past the end.
struct Reader {
  const uint8_t* p;
  size_t left;
  bool ok = true;
  template <typename T>
  T get() {
    T v{};
    if (!ok || left < sizeof(T)) return ok = false, v;
    std::memcpy(&v, p, sizeof(T));
    p += sizeof(T), left -= sizeof(T);
    return v;
  }
  std::string get_string() {
    const uint32_t n = get<uint32_t>();
    if (!ok || left < n) return ok = false, std::string();
    std::string s(reinterpret_cast<const char*>(p), n);
    p += n, left -= n;
    return s;
  }
  template <typename T>
  bool get_values(std::vector<T>& v, uint64_t count) {
    if (!ok || count > left / sizeof(T)) return ok = false;
    v.resize(size_t(count));
    if (count) std::memcpy(v.data(), p, size_t(count) * sizeof(T));
    p += count * sizeof(T), left -= size_t(count) * sizeof(T);
    return true;
  }
  // A count of items each at least `min_bytes` long: never more than could fit.
  uint32_t get_count(size_t min_bytes) {
    const uint32_t n = get<uint32_t>();
    if (ok && n > left / (min_bytes ? min_bytes : 1)) ok = false;
    return ok ? n : 0;
  }
};

}  // namespace

void encode_snapshot(uint64_t generation, int64_t steps, bool working, const Lesson& lesson, std::string& out) {
  out.clear();
  out.append(kMagic, 4);
  put<uint64_t>(out, generation);
  put<int64_t>(out, steps);
  put<uint8_t>(out, lesson.done() ? 1 : 0);
  put<uint8_t>(out, working ? 1 : 0);
  put_string(out, lesson.problem());
  MetricList metrics;
  lesson.metrics(metrics);
  put<uint32_t>(out, uint32_t(metrics.items().size()));
  for (const Metric& m : metrics.items()) {
    put_string(out, m.key);
    put<double>(out, m.value);
    put<uint8_t>(out, m.timing ? 1 : 0);
  }
  const Outputs& o = lesson.outputs();
  put<uint32_t>(out, uint32_t(o.all_series().size()));
  for (const Series& s : o.all_series()) {
    put_string(out, s.key);
    put<uint32_t>(out, uint32_t(s.columns.size()));
    for (const std::string& c : s.columns) put_string(out, c);
    put<uint32_t>(out, uint32_t(s.rows()));
    for (const auto& column : s.values) put_values(out, column);
  }
  put<uint32_t>(out, uint32_t(o.all_arrays().size()));
  for (const Array& a : o.all_arrays()) {
    put_string(out, a.key);
    put<uint8_t>(out, a.f64 ? 1 : 0);
    put<uint32_t>(out, uint32_t(a.shape.size()));
    for (int64_t d : a.shape) put<int64_t>(out, d);
    put<uint64_t>(out, a.f64 ? a.d.size() : a.f.size());
    if (a.f64) put_values(out, a.d);
    else put_values(out, a.f);
  }
}

bool decode_snapshot(const uint8_t* bytes, size_t size, Snapshot& out, std::string& error) {
  out = Snapshot();
  if (!bytes || size < 4 || std::memcmp(bytes, kMagic, 4) != 0) {
    error = "not a snapshot";
    return false;
  }
  Reader r{bytes + 4, size - 4};
  out.generation = r.get<uint64_t>();
  out.steps = r.get<int64_t>();
  out.done = r.get<uint8_t>() != 0;
  out.working = r.get<uint8_t>() != 0;
  out.problem = r.get_string();
  const uint32_t metrics = r.get_count(4 + 8 + 1);
  for (uint32_t i = 0; i < metrics && r.ok; ++i) {
    std::string key = r.get_string();
    const double value = r.get<double>();
    const bool timing = r.get<uint8_t>() != 0;
    if (r.ok) {
      if (timing) out.metrics.add_timing(key.c_str(), value);
      else out.metrics.add(key.c_str(), value);
    }
  }
  const uint32_t series = r.get_count(4 + 4 + 4);
  for (uint32_t i = 0; i < series && r.ok; ++i) {
    const std::string key = r.get_string();
    std::vector<std::string> columns(r.get_count(4));
    for (std::string& c : columns) c = r.get_string();
    Series& s = out.outputs.series(key.c_str(), columns);
    const uint32_t rows = r.get<uint32_t>();
    for (auto& column : s.values) r.get_values(column, rows);
  }
  const uint32_t arrays = r.get_count(4 + 1 + 4);
  for (uint32_t i = 0; i < arrays && r.ok; ++i) {
    Array& a = out.outputs.array(r.get_string().c_str());
    a.f64 = r.get<uint8_t>() != 0;
    a.shape.resize(r.get_count(8));
    uint64_t n = 1;
    for (int64_t& d : a.shape) {
      d = r.get<int64_t>();
      if (d < 0 || (d > 0 && n > (uint64_t(1) << 40) / uint64_t(d))) r.ok = false;
      else n *= uint64_t(d);
    }
    const uint64_t count = r.get<uint64_t>();
    if (count != n && !(a.shape.empty() && count == 0)) r.ok = false;  // empty shape: not set yet
    if (a.f64) r.get_values(a.d, count);
    else r.get_values(a.f, n);
  }
  if (!r.ok || r.left != 0) {
    error = r.ok ? "snapshot: bytes past the end" : "snapshot: truncated or malformed";
    out = Snapshot();
    return false;
  }
  return true;
}

}  // namespace pg
