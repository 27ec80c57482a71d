// figures.h - the engine's benchmark figures, one table for every build.
//
// A figure is one operation on fixed inputs: "softmax_256x1024" is
// kern::softmax_rows on a 256 x 1024 matrix.  The same table is compiled
//   * natively (bench_native.cpp measures it alone, in its own process), and
//   * into two WebAssembly modules, SIMD128 and scalar (-DPG_SIMD_SCALAR),
//     whose exports (engine_module.cpp) let bench/side_by_side.mjs run each
//     figure interleaved with the other module and with TensorFlow.js's op of
//     the same name (bench/tfjs_figures.mjs), in one node process.
// Inputs follow bench::fill (the TF.js side computes the same numbers).
#pragma once
#include <functional>
#include <string>
#include <vector>

namespace bench {

struct Figure {
  std::string name;
  const char* unit;            // "GFLOP/s", "GB/s" or "steps/s"
  double work;                 // units of work per call: GFLOP, GB or steps
  std::function<void()> setup; // allocate and fill the inputs (once, before timing)
  std::function<void()> call;  // the operation, once
};

// Every figure, in report order.  Inputs are made lazily by setup().
std::vector<Figure>& figures();

// Input element i is lo + (hi - lo) * h(i) / 2^24 with
// h(i) = ((i * 2654435761) mod 2^32) >> 8, rounded to float.
void fill(std::vector<float>& v, double lo, double hi);

// True when the mlp_step trainer has stopped (diverged or finished), which
// would make its figure meaningless.
bool mlp_diverged();

}  // namespace bench
