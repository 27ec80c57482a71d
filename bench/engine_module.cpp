// engine_module.cpp - the figure table (figures.h) as a WebAssembly module for
// bench/side_by_side.mjs, which loads the SIMD128 and the scalar build into
// one node process next to TensorFlow.js and times them interleaved.
#include <emscripten.h>

#include "bench/figures.h"
#include "engine/simd.h"

extern "C" {
EMSCRIPTEN_KEEPALIVE int pg_bench_count() { return int(bench::figures().size()); }
EMSCRIPTEN_KEEPALIVE const char* pg_bench_name(int i) { return bench::figures()[i].name.c_str(); }
EMSCRIPTEN_KEEPALIVE const char* pg_bench_unit(int i) { return bench::figures()[i].unit; }
EMSCRIPTEN_KEEPALIVE double pg_bench_work(int i) { return bench::figures()[i].work; }
EMSCRIPTEN_KEEPALIVE void pg_bench_setup(int i) { bench::figures()[i].setup(); }
EMSCRIPTEN_KEEPALIVE void pg_bench_run(int i, int calls) {
  const bench::Figure& f = bench::figures()[i];
  for (int c = 0; c < calls; ++c) f.call();
}
EMSCRIPTEN_KEEPALIVE int pg_bench_mlp_diverged() { return bench::mlp_diverged() ? 1 : 0; }
EMSCRIPTEN_KEEPALIVE const char* pg_bench_simd() { return simd::backend_name(); }
}
