// fuzz_api.cpp - sequences of calls to the page's C API (web/api.h), as
// window.playground and postMessage make them: every reply must be valid JSON
// (pg_state returns the plain state string), whatever came before.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "tests/fuzz/json_check.h"
#include "web/api.h"

namespace {
// Takes the next NUL-terminated field from the input.
std::string field(const uint8_t*& p, const uint8_t* end) {
  std::string s;
  while (p < end && *p) s += char(*p++);
  if (p < end) ++p;
  return s;
}
void check(const char* reply) {
  if (!reply || !fuzzcheck::valid_json(reply)) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;
  const uint8_t* p = data;
  const uint8_t* end = data + size;
  for (int call = 0; call < 16 && p < end; ++call) {
    const uint8_t op = *p++;
    switch (op % 13) {
      case 0: check(pg_open(field(p, end).c_str())); break;
      case 1: {
        const std::string key = field(p, end);
        check(pg_set(key.c_str(), field(p, end).c_str()));
        break;
      }
      case 2: check(pg_get(field(p, end).c_str())); break;
      case 3: check(pg_metrics()); break;
      case 4: check(pg_step(p < end ? *p++ % 4 : 1)); break;  // small: a step may train
      case 5: check(pg_reset(field(p, end).c_str())); break;
      case 6: check(pg_play(p < end ? int(*p++ % 3) - 1 : -1)); break;
      case 7: {
        const char* state = pg_state();
        if (!state) std::abort();
        break;
      }
      case 8: check(pg_apply_state(field(p, end).c_str())); break;
      case 9: check(pg_take_messages()); break;
      case 10: check(pg_text()); break;
      case 11: check(pg_layout(p < end ? double(*p++) / 16.0 : 1.0)); break;
      case 12: check(pg_lessons()); break;
    }
  }
  return 0;
}
