// softmax.h - softmax over one vector, four algorithms, plus row-wise helpers.
//
//   softmax(x)_i = e^(x_i - mu) / sum_j e^(x_j - mu),   mu = max_j x_j
//
// Every variant has a fast path (4-lane SIMD through simd.h, several
// accumulators, scalar tail) and a plain scalar _ref twin.  Both use the same
// exp (vexp.h), so a fast kernel and its _ref differ only in summation order.
// Division by the sum is done as a multiplication by 1/s (one divide per row),
// in the fast path and the _ref alike.
//
// Memory traffic per element (reads + writes of n-float arrays), which is what
// decides speed once a row no longer fits in cache (Dukhan & Ablavatski 2020):
//   three-pass reload     5  (read x; read x, write y; read y, write y)
//   three-pass recompute  4  (read x; read x;         read x, write y)
//   two-pass              3  (read x;                 read x, write y)
//   online                3  (same traffic as two-pass; two exps per element
//                            in pass 1 in the scalar recurrence, ~1.25 in the
//                            blocked SIMD one)
//
// Inputs that are not ordinary, identical for every variant and the reference:
//   * NaN anywhere in the row       -> every output NaN;
//   * k entries equal to +inf       -> 1/k on each of them, 0 elsewhere;
//   * -inf entries                  -> exactly 0 (when some entry is larger);
//   * every entry -inf              -> 1/n each (the limit of an all-equal row).
// Finite inputs of any size never produce Inf or NaN (except softmax_naive).
// Results below 2^-126 may be flushed to 0.
//
// Accuracy: the three-pass and online variants round x - mu in float, which
// costs up to |x - mu| / 2 ulp of e^(x - mu) when x and mu differ in binade
// (e.g. ~16 ulp for x ~ U(-10, 10)); the two-pass variant reduces x itself
// with a three-part ln2 and stays within ~3 ulp.  For x ~ U(-1000, 1000) (the
// lesson's case, where x - mu is exact for every non-negligible term) all
// fast paths are within ~3 ulp of softmax_reference at every size.
#pragma once
#include <cstddef>

namespace kern {

// ---- single vector: x is (n), y is (n) -------------------------------------------
// Three passes, storing e^(x - mu) in y during the sum and rescaling it.
void softmax_three_pass_reload(const float* x, float* y, size_t n);
void softmax_three_pass_reload_ref(const float* x, float* y, size_t n);
// Three passes, summing only, then recomputing e^(x - mu) / s.
void softmax_three_pass_recompute(const float* x, float* y, size_t n);
void softmax_three_pass_recompute_ref(const float* x, float* y, size_t n);
// Two passes (Dukhan & Ablavatski 2020): running (mantissa, exponent) sum,
// lean as XNNPACK's f32-raddextexp / f32-vscaleextexp: one rescale of the
// sum per block of 16 elements after the block's largest exponent, 2^d in 3
// operations, no clamp (the sum's own check catches what a clamp would).
void softmax_two_pass(const float* x, float* y, size_t n);
void softmax_two_pass_ref(const float* x, float* y, size_t n);
// The first version, kept to be measured against: rescales the sum on every
// vector, builds 2^d in 6 operations and clamps x in both passes.  Same results
// within the same ulp bound.
void softmax_two_pass_v1(const float* x, float* y, size_t n);
void softmax_two_pass_v1_ref(const float* x, float* y, size_t n);
// Online normalizer (Milakov & Gimelshein 2018): running max and rescaled sum.
void softmax_online(const float* x, float* y, size_t n);
void softmax_online_ref(const float* x, float* y, size_t n);
// e^x / sum e^x without the max shift.  Deliberately unsafe: overflows to
// Inf / NaN once some x > 88.72 (the lesson shows why the shift exists).
void softmax_naive(const float* x, float* y, size_t n);
void softmax_naive_ref(const float* x, float* y, size_t n);
// Accuracy reference: double precision exp, compensated (Neumaier) sum, same
// special-value rules as above.  Its error (~1e-16 relative) is far below a
// float ulp, so it stands in for exact arithmetic in the tests.
void softmax_reference(const float* x, double* y, size_t n);

// ---- the fast paths above, one pass at a time over pieces of the row --------------
// Each fast path is a fixed sequence of passes over the row.  Running it a
// piece at a time gives exactly the bits of one call, provided the pieces of a
// pass come in order and every boundary is a multiple of kSoftmaxPiece (so a
// caller that must not block, like the lesson timing a 64M-element row between
// frames, measures the real kernel):
//   SoftmaxPasses s(SoftmaxAlg::two_pass, n);
//   for (int p = 0; p < s.passes(); ++p)
//     for (size_t b = 0; b < n; b += piece) softmax_pass(s, p, x, y, b, b + piece < n ? b + piece : n);
// Rows that need the special-value rules or the two-pass fallback are done
// whole by the first piece of the last pass.
enum class SoftmaxAlg { three_pass_reload, three_pass_recompute, two_pass, two_pass_v1, online };
constexpr size_t kSoftmaxPiece = 256;
struct SoftmaxPasses {
  SoftmaxPasses(SoftmaxAlg a, size_t length);
  int passes() const;
  SoftmaxAlg alg;
  size_t n;
  // Carried between pieces (meaning per algorithm): lane accumulators, the
  // scalar tail's, and what the last pass needs.
  float acc[3][4];
  float tail[2];
  float mu, lo, scale;
  bool whole_row_done;
};
void softmax_pass(SoftmaxPasses& s, int pass, const float* x, float* y, size_t begin, size_t end);

// ---- rows: x, y are (rows, n), row-major -------------------------------------------
// softmax of each row: the three-pass reload algorithm (the fastest variant
// for rows that fit in cache, measured in bench/); rows of 8192 elements or
// more run it one 2048-element block at a time with a max per block, so x is
// read from memory once (4 transfers per element instead of 5).  The max pass
// of the next row (block) and the scale pass of a previous one run inside
// each exp pass's loop (softmax_rows.cpp); the bits are those of
// softmax_three_pass_reload on each row (rows < 8192).  x and y must not overlap.
void softmax_rows(const float* x, float* y, int rows, int n);
void softmax_rows_ref(const float* x, float* y, int rows, int n);
// y = x - mu - log(sum e^(x - mu)) per row; +inf entries get -log k, others -inf.
void log_softmax_rows(const float* x, float* y, int rows, int n);
void log_softmax_rows_ref(const float* x, float* y, int rows, int n);
// Fused softmax + cross-entropy, forward and backward.
//   logits is (rows, n), labels is (rows) with values in [0, n)
//   returns mean over rows of -log softmax(logits_r)[labels_r]
//   dlogits (rows, n) = (softmax(logits) - onehot(labels)) / rows   (if non-null)
// A label outside [0, n) makes that row's loss NaN (and gets no one-hot term)
// rather than reading out of bounds.
float softmax_xent_rows(const float* logits, const int* labels, int rows, int n, float* dlogits);
float softmax_xent_rows_ref(const float* logits, const int* labels, int rows, int n,
                            float* dlogits);

}  // namespace kern
