// fuzz_api.cpp - sequences of calls to the page's C API (web/api.h), as
// window.playground and postMessage make them: every reply must be valid JSON
// (pg_state returns the plain state string), whatever came before.
// Each input starts on the probe lesson at its defaults (probe_lesson.h);
// one that opens a real lesson stops before that lesson's first reset unless
// it has the deep budget's token.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "tests/fuzz/json_check.h"
#include "tests/fuzz/probe_lesson.h"
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
fuzzprobe::DeepBudget* g_deep = nullptr;
}  // namespace

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  g_deep = new fuzzprobe::DeepBudget(fuzzprobe::deep_every_flag(*argc, *argv, 1000));
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;
  g_deep->next_input();
  // A known start, so an input means the same thing alone as in a run: the
  // probe freshly opened (knobs, play and target cleared), its page options
  // and seed back to the defaults, no messages.
  check(pg_open(fuzzprobe::kId));
  check(pg_apply_state((std::string(fuzzprobe::kId) + "?seed=1").c_str()));
  check(pg_take_messages());
  const pg::Session& session = pg::app_session();
  bool deep = false;
  const uint8_t* p = data;
  const uint8_t* end = data + size;
  for (int call = 0; call < 16 && p < end; ++call) {
    // A real lesson is open: the next call may reset and train it.
    if (!deep && !fuzzprobe::is_probe(session.info().id) && !(deep = g_deep->take())) return 0;
    const uint8_t op = *p++;
    switch (op % 15) {
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
      case 13: check(pg_export()); break;
      case 14: check(pg_knob_rect(field(p, end).c_str())); break;
    }
  }
  return 0;
}
