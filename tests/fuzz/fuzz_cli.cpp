// fuzz_cli.cpp - playground-cli's arguments (one per line of the input).
// Every run is bounded (a run without --steps gets --steps 2; --export is
// left out: it writes files), and the exit code must be 0, 1 or 2.
// `run`/`doc` of a real lesson resets it (and trains it), so such an input
// goes ahead only with a token from the deep budget (probe_lesson.h); the
// probe lesson takes the others.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "lessons/lesson.h"
#include "tests/fuzz/probe_lesson.h"
#include "web/cli_main.h"

namespace {
fuzzprobe::DeepBudget* g_deep = nullptr;
}

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  g_deep = new fuzzprobe::DeepBudget(fuzzprobe::deep_every_flag(*argc, *argv, 1000));
  // The CLI prints results; the fuzzer only needs its exit codes and crashes.
  if (!std::freopen("/dev/null", "w", stdout)) return 0;
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 2048) return 0;
  g_deep->next_input();
  std::vector<std::string> args;
  std::string cur;
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == '\n') args.push_back(cur), cur.clear();
    else cur += char(data[i]);
  }
  args.push_back(cur);
  bool has_steps = false;
  for (const std::string& a : args) {
    if (a == "--export") return 0;
    has_steps |= a == "--steps";
  }
  if (!args.empty() && args[0] == "run" && !has_steps) args.insert(args.end(), {"--steps", "2"});
  for (size_t i = 0; i + 1 < args.size(); ++i)  // bounded runs: at most 50 steps
    if (args[i] == "--steps" && args[i + 1].size() > 2) args[i + 1] = "50";
  // The lesson `run <id>` and `doc <id>` would reset (cli_main.h).
  if (args.size() > 1 && (args[0] == "run" || args[0] == "doc") && pg::find_lesson(args[1]) >= 0 &&
      !fuzzprobe::is_probe(args[1]) && !g_deep->take())
    return 0;
  std::fflush(stderr);
  const int code = pg::cli_main(args);
  if (code < 0 || code > 2) std::abort();
  return 0;
}
