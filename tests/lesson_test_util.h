// Helpers shared by the lesson-level tests (tests/test_lesson_*.cpp): read a
// metric, run a lesson to the end of its run, and fingerprint its metrics.
#pragma once
#include <doctest/doctest.h>

#include <string>

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

}  // namespace lesson_test
