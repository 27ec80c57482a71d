// bench_native.cpp - the figure table (figures.h) measured natively, alone in
// its process, with the protocol of bench/side_by_side.mjs: warm up for
// --warmup-ms, pick a call count so one sample lasts --sample-ms, then time
// --rounds samples by the wall clock.  One JSON line per figure on stdout:
//   {"name":"gemm_256","platform":"native","unit":"GFLOP/s","median":..,"min":..,"max":..,
//    "rounds":7,"clock":"wall"}
// Options: --rounds=N --sample-ms=X --warmup-ms=X --filter=substring.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "bench/figures.h"

namespace {
double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
}  // namespace

int main(int argc, char** argv) {
  int rounds = 7;
  double sample_ms = 20.0, warmup_ms = 100.0;
  std::string filter;
  for (int i = 1; i < argc; ++i) {
    const char* a = argv[i];
    if (!std::strncmp(a, "--rounds=", 9)) rounds = std::max(1, std::atoi(a + 9));
    else if (!std::strncmp(a, "--sample-ms=", 12)) sample_ms = std::max(1.0, std::atof(a + 12));
    else if (!std::strncmp(a, "--warmup-ms=", 12)) warmup_ms = std::max(0.0, std::atof(a + 12));
    else if (!std::strncmp(a, "--filter=", 9)) filter = a + 9;
    else std::fprintf(stderr, "bench_native: ignoring unknown option %s\n", a);
  }
  for (const bench::Figure& f : bench::figures()) {
    if (!filter.empty() && f.name.find(filter) == std::string::npos) continue;
    f.setup();
    int calls = 0;
    const double t0 = now_ms();
    double elapsed = 0.0;
    do {
      f.call();
      ++calls;
      elapsed = now_ms() - t0;
    } while (elapsed < warmup_ms || calls < 3);
    const int per_sample = std::max(1, int(sample_ms / std::max(elapsed / calls, 1e-6) + 0.5));
    std::vector<double> rates;
    for (int r = 0; r < rounds; ++r) {
      const double start = now_ms();
      for (int c = 0; c < per_sample; ++c) f.call();
      rates.push_back(f.work * per_sample / (std::max(now_ms() - start, 1e-6) * 1e-3));
    }
    std::sort(rates.begin(), rates.end());
    const double median = rates.size() % 2 ? rates[rates.size() / 2]
                                           : 0.5 * (rates[rates.size() / 2 - 1] + rates[rates.size() / 2]);
    std::printf("{\"name\":\"%s\",\"platform\":\"native\",\"unit\":\"%s\",\"median\":%.6g,\"min\":%.6g,"
                "\"max\":%.6g,\"rounds\":%d,\"clock\":\"wall\"}\n",
                f.name.c_str(), f.unit, median, rates.front(), rates.back(), rounds);
    std::fflush(stdout);
  }
  if (bench::mlp_diverged()) {
    std::fprintf(stderr, "bench_native: the mlp_step trainer stopped; its figure is not valid\n");
    return 1;
  }
  return 0;
}
