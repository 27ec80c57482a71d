// reduced_sum.h - the softmax normalizer summed in an emulated precision
// (float16-like, float32, float64), in a stated order.
//
// Prieto et al. (2025) call it Softmax Collapse: once the correct logit leads
// the others by enough, S = sum_j e^(z_j - z_max) rounds to exactly 1 in the
// training precision, so the sample's loss log S - (z_y - z_max) is exactly 0
// and the gradient of its correct class, p_y - 1 = 1/S - 1, is exactly 0 too.
// When that happens depends on the precision AND on the summation order:
//   largest_first   ((1 + t_0) + t_1) + ... : every small term t meets the
//                   running sum ~1 alone and vanishes once t < half an ulp
//                   of 1 (2^-24 in float32), for 113 classes at d > 16.64;
//   smallest_first  (t_0 + t_1 + ...) + 1   : the small terms are summed among
//                   themselves first, so 112 e^-d must fall below 2^-24:
//                   d > 16.64 + ln 112 = 21.35.
// (d = the margin of the largest logit over all others, all equal.)  The small
// terms go in index order in both, so no sort is needed.  Every term
// e^(z_j - z_max) is computed in double (detmath::exp, identical native and
// wasm) and rounded once to the precision; every partial sum is rounded too.
//
// float16-like: IEEE binary16 rounding (11 significant bits, round to nearest
// even, subnormals down to 2^-24, overflow beyond 65504 to infinity) of values
// held in double; the exponent range is binary16's.  float32 is the exact
// float cast; float64 is plain double.
#pragma once

namespace nn {

enum class SumPrecision { float16, float32, float64 };
enum class SumOrder { largest_first, smallest_first };

const char* sum_precision_name(SumPrecision p);  // "float16", "float32", "float64"
const char* sum_order_name(SumOrder o);          // "largest first", "small terms first"

// x rounded to the nearest value of precision p (ties to even).
double round_to(SumPrecision p, double x);

// S = sum_j e^(z_j - z_max) over z (C,), in precision p and order o (above).
// When terms is not null it receives the rounded terms e^(z_j - z_max), (C,).
// *argmax (if given) is the index of the largest logit (first on ties).
double softmax_normalizer(const float* z, int C, SumPrecision p, SumOrder o, double* terms = nullptr,
                          int* argmax = nullptr);

// Softmax Collapse of one sample: its label holds the largest logit and S
// rounds to exactly 1, so its loss and its correct-class gradient are exactly 0.
bool in_softmax_collapse(const float* z, int C, int label, SumPrecision p, SumOrder o);

// The smallest margin d (to 1e-6) at which C classes - one logit d above
// C - 1 equal ones - are in Softmax Collapse (bisection over d in [0, 200]).
double collapse_threshold(int C, SumPrecision p, SumOrder o);

}  // namespace nn
