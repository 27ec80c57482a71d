// softmax_rows.cpp - row-wise softmax, log-softmax and the fused
// softmax-cross-entropy forward + backward (see softmax.h).
// x, y, logits, dlogits are (rows, n), row-major; labels is (rows).
#include <cmath>
#include <cstddef>
#include <limits>

#include "engine/kernels/softmax.h"
#include "engine/kernels/softmax_detail.h"
#include "engine/rng.h"  // detmath::log: the same log natively and in wasm
#include "engine/simd.h"

namespace kern {

using namespace softmax_detail;

// ============================================================================
// softmax per row.  Rows in these trainers and lessons fit in cache, where the
// reload variant (one exp per element) beats recompute and two-pass (see
// bench/ for the measured numbers).
// ============================================================================
void softmax_rows(const float* x, float* y, int rows, int n) {
  for (int r = 0; r < rows; ++r) softmax_three_pass_reload(x + size_t(r) * n, y + size_t(r) * n, n);
}
void softmax_rows_ref(const float* x, float* y, int rows, int n) {
  for (int r = 0; r < rows; ++r)
    softmax_three_pass_reload_ref(x + size_t(r) * n, y + size_t(r) * n, n);
}

// ============================================================================
// log-softmax:  y_i = (x_i - mu) - log s,   s = sum_j e^(x_j - mu)
// Never computes log(e^..), so tiny probabilities keep their full value
// (log-softmax of -1000 next to 0 is -1000, not -inf).  log s is taken in
// double by detmath::log (identical natively and in wasm), s in [1, n].
// Non-ordinary rows: NaN -> NaN; k entries +inf -> -log k there, -inf
// elsewhere; all -inf -> -log n.
// ============================================================================
namespace {
void log_softmax_special_row(const float* x, float* y, size_t n) {
  softmax_special_row(x, y, n);  // probabilities, then their logs
  for (size_t i = 0; i < n; ++i)
    y[i] = y[i] != y[i] ? y[i] : float(detmath::log(double(y[i])));
}
inline float log_of_sum(float s) { return float(detmath::log(double(s))); }
}  // namespace

void log_softmax_rows(const float* x, float* y, int rows, int n) {
  for (int r = 0; r < rows; ++r) {
    const float* xr = x + size_t(r) * n;
    float* yr = y + size_t(r) * n;
    const float mu = row_max(xr, n);
    if (!is_finite(mu)) {
      log_softmax_special_row(xr, yr, n);
      continue;
    }
    const float logs = log_of_sum(sum_exp<false>(xr, nullptr, n, mu));
    const simd::f32x4 vmu = simd::set1(mu), vlogs = simd::set1(logs);
    int i = 0;
    for (; i + 4 <= n; i += 4)
      simd::store(yr + i, simd::sub(simd::sub(simd::load(xr + i), vmu), vlogs));
    for (; i < n; ++i) yr[i] = (xr[i] - mu) - logs;
  }
}
void log_softmax_rows_ref(const float* x, float* y, int rows, int n) {
  for (int r = 0; r < rows; ++r) {
    const float* xr = x + size_t(r) * n;
    float* yr = y + size_t(r) * n;
    const float mu = row_max_ref(xr, n);
    if (!is_finite(mu)) {
      log_softmax_special_row(xr, yr, n);
      continue;
    }
    const float logs = log_of_sum(sum_exp_ref<false>(xr, nullptr, n, mu));
    for (int i = 0; i < n; ++i) yr[i] = (xr[i] - mu) - logs;
  }
}

// ============================================================================
// Fused softmax + cross-entropy.  With p = softmax(z) and label c:
//   loss = -log p_c = log s - (z_c - mu)
//   dloss/dz_i = p_i - [i == c]          (then / rows for the mean)
// One max pass, one pass storing e^(z - mu) into dlogits while summing, one
// scaling pass: dlogits_i = e_i * (1 / s) * (1 / rows), then the label entry
// gets -1/rows.  The loss is summed over rows in double.
// ============================================================================
namespace {
// -log p_c = log s - (z_c - mu), or NaN for a label outside [0, n).
inline float xent_label_term(const float* z, int n, int label, float mu, float logs) {
  if (label < 0 || label >= n) return std::numeric_limits<float>::quiet_NaN();
  return logs - (z[label] - mu);
}
float xent_special_row(const float* z, int n, int label, float inv_rows, float* d) {
  // Rare path (+inf, NaN or all -inf logits): the rules of softmax.h give p.
  bool nan = false;
  int n_inf = 0;
  for (int i = 0; i < n; ++i) {
    nan |= z[i] != z[i];
    n_inf += z[i] == std::numeric_limits<float>::infinity();
  }
  const bool ok = label >= 0 && label < n && !nan;
  const double p_label = !ok     ? NAN
                         : n_inf ? (z[label] == HUGE_VALF ? 1.0 / n_inf : 0.0)
                                 : 1.0 / n;
  if (d) {
    softmax_special_row(z, d, size_t(n));
    for (int i = 0; i < n; ++i) d[i] *= inv_rows;
    if (label >= 0 && label < n) d[label] -= inv_rows;
  }
  return p_label != p_label ? NAN : float(-detmath::log(p_label));  // -log 0 = +inf
}
}  // namespace

template <bool kFast>
static float softmax_xent_rows_impl(const float* logits, const int* labels, int rows, int n,
                                    float* dlogits) {
  if (rows <= 0 || n <= 0) return 0.0f;
  const float inv_rows = 1.0f / float(rows);
  double total = 0.0;
  for (int r = 0; r < rows; ++r) {
    const float* z = logits + size_t(r) * n;
    float* d = dlogits ? dlogits + size_t(r) * n : nullptr;
    const int label = labels[r];
    const float mu = kFast ? row_max(z, n) : row_max_ref(z, n);
    if (!is_finite(mu)) {
      total += xent_special_row(z, n, label, inv_rows, d);
      continue;
    }
    float s;
    if (d) {
      s = kFast ? sum_exp<true>(z, d, n, mu) : sum_exp_ref<true>(z, d, n, mu);
      const float c = (1.0f / s) * inv_rows;
      if (kFast) {
        scale_inplace(d, n, c);
      } else {
        for (int i = 0; i < n; ++i) d[i] *= c;
      }
      if (label >= 0 && label < n) d[label] -= inv_rows;
    } else {
      s = kFast ? sum_exp<false>(z, nullptr, n, mu) : sum_exp_ref<false>(z, nullptr, n, mu);
    }
    total += xent_label_term(z, n, label, mu, float(detmath::log(double(s))));
  }
  return float(total / rows);
}

float softmax_xent_rows(const float* logits, const int* labels, int rows, int n, float* dlogits) {
  return softmax_xent_rows_impl<true>(logits, labels, rows, n, dlogits);
}
float softmax_xent_rows_ref(const float* logits, const int* labels, int rows, int n,
                            float* dlogits) {
  return softmax_xent_rows_impl<false>(logits, labels, rows, n, dlogits);
}

}  // namespace kern
