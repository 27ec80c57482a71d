// Helpers shared by the lesson-level tests (tests/test_lesson_*.cpp): read a
// metric, run a lesson to the end of its run, and fingerprint its metrics.
#pragma once
#include <doctest/doctest.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>

#include "lessons/session.h"

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

// Every deterministic metric as text, for equality checks between runs.
inline std::string deterministic_metrics(pg::Session& s) {
  pg::MetricList m;
  s.lesson().metrics(m);
  std::string out;
  for (const pg::Metric& x : m.items())
    if (!x.timing) out += x.key + "=" + std::to_string(x.value) + ";";
  return out;
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
  return deterministic_metrics(s);
}

}  // namespace lesson_test
