// Helpers shared by the lesson-level tests (tests/test_lesson_*.cpp): read a
// metric, run a lesson to the end of its run, fingerprint its metrics and
// outputs, and draw it headless.
#pragma once
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <string>
#include <utility>

#include "web/session.h"

namespace lesson_test {

inline double metric(pg::Session& s, const char* key) {
  pg::MetricList m;
  s.lesson().metrics(m);
  const pg::Metric* x = m.find(key);
  REQUIRE_MESSAGE(x != nullptr, key);
  return x->value;
}

// Advances until the lesson's run is complete, per_call units per advance().
inline void run_to_end(pg::Session& s, int per_call = 1000) {
  for (int i = 0; i < 100000 && !s.lesson().done(); ++i) s.advance(per_call, 1e9);
}

// Every deterministic metric as exact text (%.17g: two values print alike
// only if they are the same double), for equality checks between runs.
inline std::string deterministic_metrics(pg::Session& s) {
  pg::MetricList m;
  s.lesson().metrics(m);
  std::string out;
  char buf[40];
  for (const pg::Metric& x : m.items()) {
    if (x.timing) continue;
    std::snprintf(buf, sizeof buf, "%.17g", x.value);
    out += x.key + "=" + buf + ";";
  }
  return out;
}

// A 64-bit FNV-1a hash over every declared series and array (names, shapes
// and the bits of every value; timing outputs skipped): equal outputs, equal hashes.
inline uint64_t outputs_hash(const pg::Lesson& lesson) {
  uint64_t h = 1469598103934665603ull;
  auto mix = [&h](const void* p, size_t n) {
    const unsigned char* b = static_cast<const unsigned char*>(p);
    for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 1099511628211ull;
  };
  for (const pg::Series& s : lesson.outputs().all_series()) {
    if (s.timing) continue;
    mix(s.key.data(), s.key.size());
    for (const std::string& c : s.columns) mix(c.data(), c.size());
    for (const auto& col : s.values) mix(col.data(), col.size() * sizeof(float));
  }
  for (const pg::Array& a : lesson.outputs().all_arrays()) {
    if (a.timing) continue;
    mix(a.key.data(), a.key.size());
    mix(a.shape.data(), a.shape.size() * sizeof(int64_t));
    mix(a.f.data(), a.f.size() * sizeof(float));
    mix(a.d.data(), a.d.size() * sizeof(double));
  }
  return h;
}

// deterministic_metrics of lesson `id` after a whole run from `seed`, with the
// given knob settings, advancing per_call units per advance(): the frame-split
// checks compare it across per_call values.
inline std::string metrics_after_run(const char* id, std::initializer_list<std::pair<const char*, const char*>> knobs,
                                     uint64_t seed, int per_call) {
  pg::Session s;
  std::string msg;
  REQUIRE_MESSAGE(s.open(id, msg), msg);
  for (const auto& kv : knobs) REQUIRE_MESSAGE(s.set(kv.first, kv.second, msg), msg);
  s.reset(seed);
  run_to_end(s, per_call);
  return deterministic_metrics(s) + "outputs=" + std::to_string(outputs_hash(s.lesson()));
}

// Opens lesson `id`, sets the knobs, resets from `seed` and runs the whole run.
inline void open_and_run(pg::Session& s, const char* id, uint64_t seed,
                         std::initializer_list<std::pair<const char*, const char*>> knobs = {}) {
  std::string msg;
  REQUIRE_MESSAGE(s.open(id, msg), msg);
  for (const auto& kv : knobs) REQUIRE_MESSAGE(s.set(kv.first, kv.second, msg), msg);
  s.reset(seed);
  run_to_end(s);
  REQUIRE(s.lesson().done());
}

// A declared output array of the open lesson (fails the test when missing).
inline const pg::Array& output_array(pg::Session& s, const char* key) {
  const pg::Array* a = s.lesson().outputs().find_array(key);
  REQUIRE_MESSAGE(a != nullptr, key);
  return *a;
}

// Every metric the open lesson reports now is finite (timings too).
inline void check_metrics_finite(pg::Session& s) {
  pg::MetricList m;
  s.lesson().metrics(m);
  for (const pg::Metric& x : m.items()) {
    CAPTURE(x.key);
    CHECK(std::isfinite(x.value));
  }
}

}  // namespace lesson_test
