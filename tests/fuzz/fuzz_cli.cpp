// fuzz_cli.cpp - playground-cli's arguments (one per line of the input).
// Every run is bounded (a run without --steps gets --steps 2; --export is
// left out: it writes files), and the exit code must be 0, 1 or 2.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "web/cli_main.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // The CLI prints results; the fuzzer only needs its exit codes and crashes.
  if (!std::freopen("/dev/null", "w", stdout)) return 0;
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 2048) return 0;
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
  std::fflush(stderr);
  const int code = pg::cli_main(args);
  if (code < 0 || code > 2) std::abort();
  return 0;
}
