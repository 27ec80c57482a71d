// softmax_rows.cpp - row-wise softmax, log-softmax and the fused
// softmax-cross-entropy forward + backward (see softmax.h).
// x, y, logits, dlogits are (rows, n), row-major; labels is (rows).
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include "engine/kernels/softmax.h"
#include "engine/kernels/softmax_detail.h"
#include "engine/rng.h"  // detmath::log: the same log natively and in wasm
#include "engine/simd.h"

namespace kern {

using namespace softmax_detail;

// ============================================================================
// softmax per row: the three-pass reload algorithm (softmax.h), the fastest
// for rows that fit in cache: one exp per element plus two cheap passes.
// Rows of kBlockedMin elements or more run it one cache-sized block at a
// time, with a max per block, so x is read from memory once instead of twice
// (4 array transfers per element instead of 5):
//   for each block b:  m_b = max x_b,  y_b = e^(x_b - m_b),  s_b = sum y_b
//   M = max_b m_b,  S = sum_b s_b e^(m_b - M)
//   for each block b:  y_b *= e^(m_b - M) / S
// This is the online-softmax merge (Milakov & Gimelshein 2018) applied to
// blocks instead of elements.
//
// Segments (a whole row, or one block of a long row) are pipelined: the exp
// pass of segment k carries the max/min pass of segment k + 1 and the oldest
// waiting scale pass (a previous row's, or a previous row's block) in its loop
// (RideAlong, softmax_detail.h), so only the exp pass's time is paid.  The
// three passes run one after the other take ~25% longer at 256 x 1024 in wasm:
// the max and scale passes are cheap but, as loops of their own, they do not
// overlap the exp pass, which is bound by the latency of its dependency chain
// and leaves most execution slots idle.  Every output has the bits of the
// unpipelined algorithm (softmax_three_pass_reload on rows shorter than
// kBlockedMin).
// ============================================================================
namespace {
constexpr size_t kBlock = 2048;          // 8 KB of x and 8 KB of y stay in L1
constexpr size_t kBlockedMin = 4 * kBlock;

// A scale pass waiting for its row's sum: y[0, n) *= c.
struct ScaleJob {
  float* y;
  size_t n;
  float c;
};
thread_local std::vector<float> t_block_stats;  // (m_b, s_b) of the blocks of a long row
thread_local std::vector<ScaleJob> t_jobs;      // scale passes waiting, oldest first (softmax_rows consumes them in order)

// y = e^(x - range.max) for one segment of length n; returns its sum.  Takes
// the oldest waiting scale pass along if it has length n (else runs it on its
// own first), and the max/min of `after` (the next segment, same length, or
// nullptr) into *after_range.
template <bool kInRange>
float exp_pass(const float* x, float* y, size_t n, RowRange range, size_t& next_job, const float* after,
               RowRange* after_range) {
  RideAlong ride;
  ride.range_x = after ? after : x;  // at the end: a harmless re-read of x (one segment per call)
  const ScaleJob* job = next_job < t_jobs.size() ? &t_jobs[next_job] : nullptr;
  if (job && job->n != n) {
    scale_inplace(job->y, job->n, job->c);
    job = nullptr, ++next_job;
  }
  float s;
  if (job) {
    ride.scale_y = job->y, ride.scale_c = job->c, ++next_job;
    s = sum_exp<true, kInRange, true, true>(x, y, n, range.max, &ride);
  } else {
    s = sum_exp<true, kInRange, false, true>(x, y, n, range.max, &ride);
  }
  if (after) *after_range = ride.range;
  return s;
}

// Rescale factors of a long row's blocks, queued as scale passes.
void queue_block_scales(float* y, size_t n, size_t blocks) {
  float* m = t_block_stats.data();
  const float* s = m + blocks;
  float big_m = -std::numeric_limits<float>::infinity();
  for (size_t b = 0; b < blocks; ++b) big_m = m[b] > big_m ? m[b] : big_m;
  float total = 0.0f, comp = 0.0f;  // Kahan: up to n / 2048 terms
  for (size_t b = 0; b < blocks; ++b) {
    m[b] = exp_scalar(m[b] - big_m);  // now the block's rescale factor
    const float term = s[b] * m[b] - comp, t = total + term;
    comp = (t - total) - term;
    total = t;
  }
  const float inv = 1.0f / total;
  for (size_t b = 0; b < blocks; ++b) {
    const size_t o = b * kBlock;
    t_jobs.push_back({y + o, n - o < kBlock ? n - o : kBlock, m[b] * inv});
  }
}
}  // namespace

void softmax_rows(const float* x, float* y, int rows, int n) {
  if (rows <= 0 || n <= 0) return;
  const size_t len = size_t(n);
  const size_t seg = len >= kBlockedMin ? kBlock : len;  // segment length (a row's last block may be shorter)
  const size_t blocks = (len + seg - 1) / seg;
  const size_t count = size_t(rows) * blocks;
  const auto seg_offset = [&](size_t k) { return (k / blocks) * len + (k % blocks) * seg; };
  const auto seg_length = [&](size_t k) {
    const size_t o = (k % blocks) * seg;
    return len - o < seg ? len - o : seg;
  };
  if (blocks > 1 && t_block_stats.size() < 2 * blocks) t_block_stats.resize(2 * blocks);
  t_jobs.clear();
  size_t next_job = 0;
  RowRange range{};
  bool have_range = false;  // range already taken by the previous segment's exp pass
  for (size_t k = 0; k < count; ++k) {
    const size_t b = k % blocks, o = seg_offset(k), m = seg_length(k);
    if (!have_range) range = row_range(x + o, m);
    have_range = false;
    if (!is_finite(range.max)) {
      // +inf, NaN or only -inf: the whole-row algorithm implements the rules
      // of softmax.h.  Skip the row's other blocks.
      const size_t row = o - b * seg;
      softmax_three_pass_reload(x + row, y + row, len);
      k += blocks - 1 - b;
      continue;
    }
    const float* after = k + 1 < count && seg_length(k + 1) == m ? x + seg_offset(k + 1) : nullptr;
    const RowRange mine = range;  // exp_pass puts the next segment's range into `range`
    const float s = exps_in_range(mine) ? exp_pass<true>(x + o, y + o, m, mine, next_job, after, &range)
                                        : exp_pass<false>(x + o, y + o, m, mine, next_job, after, &range);
    have_range = after != nullptr;
    if (blocks == 1) {
      t_jobs.push_back({y + o, m, 1.0f / s});
    } else {
      t_block_stats[b] = mine.max, t_block_stats[b + blocks] = s;
      if (b + 1 == blocks) queue_block_scales(y + o - b * seg, len, blocks);
    }
  }
  for (; next_job < t_jobs.size(); ++next_job) scale_inplace(t_jobs[next_job].y, t_jobs[next_job].n, t_jobs[next_job].c);
}
// The twin: the plain three-pass reload algorithm on every row.
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
    const RowRange range = row_range(xr, n);
    const float mu = range.max;
    if (!is_finite(mu)) {
      log_softmax_special_row(xr, yr, n);
      continue;
    }
    const float s = exps_in_range(range) ? sum_exp<false, true>(xr, nullptr, n, mu)
                                         : sum_exp<false, false>(xr, nullptr, n, mu);
    const float logs = log_of_sum(s);
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
    const RowRange range = kFast ? row_range(z, n) : RowRange{row_max_ref(z, n), 0.0f};
    const float mu = range.max;
    const bool in_range = kFast && exps_in_range(range);
    if (!is_finite(mu)) {
      total += xent_special_row(z, n, label, inv_rows, d);
      continue;
    }
    float s;
    if (d) {
      s = !kFast     ? sum_exp_ref<true>(z, d, n, mu)
          : in_range ? sum_exp<true, true>(z, d, n, mu)
                     : sum_exp<true, false>(z, d, n, mu);
      const float c = (1.0f / s) * inv_rows;
      if (kFast) {
        scale_inplace(d, n, c);
      } else {
        for (int i = 0; i < n; ++i) d[i] *= c;
      }
      if (label >= 0 && label < n) d[label] -= inv_rows;
    } else {
      s = !kFast     ? sum_exp_ref<false>(z, nullptr, n, mu)
          : in_range ? sum_exp<false, true>(z, nullptr, n, mu)
                     : sum_exp<false, false>(z, nullptr, n, mu);
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
