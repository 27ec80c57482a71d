// bench_common.h - timing, statistics and the JSON line protocol shared by
// the engine's benchmark programs (bench_kernels.cpp, bench_mlp_step.cpp).
//
// Protocol: one JSON object per line on stdout,
//   {"name": "gemm_256", "platform": "wasm-simd", "unit": "GFLOP/s",
//    "median": 15.2, "min": 14.8, "max": 15.5, "samples": 9, "clock": "cpu"}
// bench/report.mjs collects the lines of every program and TensorFlow.js.
//
// Protocol for one figure: run the kernel for >= warmup_ms (JIT tier-up in
// V8, caches, pack buffers), pick an iteration count so that one sample lasts
// >= sample_ms, take `samples` samples, report median / min / max of the
// per-sample throughput.
//
// Clock: process CPU time by default (clock_gettime natively,
// process.cpuUsage() under node), so that other jobs on a shared machine do
// not inflate the figures; --clock=wall switches to wall time.  The
// TensorFlow.js side (tfjs_bench.mjs) uses the same clocks.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#ifdef __EMSCRIPTEN__
#include <emscripten.h>
#endif

#ifndef PG_BENCH_PLATFORM
#define PG_BENCH_PLATFORM "native"
#endif

namespace bench {

#ifdef __EMSCRIPTEN__
EM_JS(double, js_cpu_ms, (), {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
});
EM_JS(double, js_wall_ms, (), { return performance.now(); });
#endif

struct Options {
  bool cpu_clock = true;
  int samples = 9;
  double warmup_ms = 100.0;
  double sample_ms = 25.0;
  std::string filter;  // run only figures whose name contains this

  // --clock=cpu|wall --samples=N --sample-ms=X --filter=substring
  static Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
      const char* a = argv[i];
      if (!std::strcmp(a, "--clock=wall")) o.cpu_clock = false;
      else if (!std::strcmp(a, "--clock=cpu")) o.cpu_clock = true;
      else if (!std::strncmp(a, "--samples=", 10)) o.samples = std::max(1, std::atoi(a + 10));
      else if (!std::strncmp(a, "--sample-ms=", 12)) o.sample_ms = std::atof(a + 12);
      else if (!std::strncmp(a, "--filter=", 9)) o.filter = a + 9;
      else std::fprintf(stderr, "ignoring unknown option %s\n", a);
    }
    return o;
  }
  bool wants(const std::string& name) const { return filter.empty() || name.find(filter) != std::string::npos; }
};

inline double now_ms(bool cpu) {
#ifdef __EMSCRIPTEN__
  return cpu ? js_cpu_ms() : js_wall_ms();
#else
  timespec t;
  clock_gettime(cpu ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC, &t);
  return double(t.tv_sec) * 1e3 + double(t.tv_nsec) * 1e-6;
#endif
}

struct Stats {
  double median, min, max;
};

// Throughput samples of f(): each is work_per_call * iterations / seconds.
template <class F>
Stats measure(const Options& o, double work_per_call, F&& f) {
  const double t0 = now_ms(o.cpu_clock);
  int calls = 0;
  double elapsed = 0.0;
  do {
    f();
    ++calls;
    elapsed = now_ms(o.cpu_clock) - t0;
  } while (elapsed < o.warmup_ms || calls < 3);
  const double per_call = elapsed / calls;
  const int iters = std::max(1, int(std::ceil(o.sample_ms / std::max(per_call, 1e-6))));
  std::vector<double> rates;
  for (int s = 0; s < o.samples; ++s) {
    const double start = now_ms(o.cpu_clock);
    for (int i = 0; i < iters; ++i) f();
    const double ms = std::max(now_ms(o.cpu_clock) - start, 1e-6);
    rates.push_back(work_per_call * iters / (ms * 1e-3));
  }
  std::sort(rates.begin(), rates.end());
  const size_t n = rates.size();
  const double median = n % 2 ? rates[n / 2] : 0.5 * (rates[n / 2 - 1] + rates[n / 2]);
  return {median, rates.front(), rates.back()};
}

inline void emit(const Options& o, const std::string& name, const char* unit, const Stats& s) {
  std::printf(
      "{\"name\":\"%s\",\"platform\":\"%s\",\"unit\":\"%s\",\"median\":%.6g,\"min\":%.6g,"
      "\"max\":%.6g,\"samples\":%d,\"clock\":\"%s\"}\n",
      name.c_str(), PG_BENCH_PLATFORM, unit, s.median, s.min, s.max, o.samples,
      o.cpu_clock ? "cpu" : "wall");
  std::fflush(stdout);
}

// Inputs shared with the TensorFlow.js side (tfjs_bench.mjs computes the same
// numbers): element i is lo + (hi - lo) * h(i) / 2^24 with
// h(i) = ((i * 2654435761) mod 2^32) >> 8, rounded to float.
inline void fill(std::vector<float>& v, double lo, double hi) {
  for (size_t i = 0; i < v.size(); ++i) {
    const uint32_t h = uint32_t(uint32_t(i) * 2654435761u) >> 8;
    v[i] = float(lo + (hi - lo) * (double(h) / 16777216.0));
  }
}

}  // namespace bench
