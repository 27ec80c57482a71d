// attention.cpp - one-head attention forward (see attention.h).
// Q is (n_q, d), K and V are (n_k, d), O is (n_q, d).
#include "engine/kernels/attention.h"

#include <limits>
#include <vector>

#include "engine/kernels/gemm.h"
#include "engine/kernels/softmax.h"
#include "engine/kernels/softmax_detail.h"
#include "engine/kernels/vexp.h"

namespace kern {

namespace {

constexpr int kBq = 32;  // queries per block
constexpr int kBk = 64;  // keys per block: the score block is (kBq, kBk)

// Number of keys query i may see: all of them, or j <= i + (n_k - n_q).
inline int visible_keys(int i, int n_q, int n_k, bool causal) {
  if (!causal) return n_k;
  const int count = i + (n_k - n_q) + 1;
  return count < 0 ? 0 : (count > n_k ? n_k : count);
}

struct AttentionScratch {
  std::vector<float> scores, acc;  // (kBq, kBk) and (kBq, d)
};
thread_local AttentionScratch t_scratch;

}  // namespace

// ============================================================================
// Blocked forward with the online softmax.  For each block of queries, keep
// per row a running max m, a running sum l and an unnormalized output acc;
// for each block of keys j:
//   S = scale Q_blk K_j^T                     (gemm, (bq, bk))
//   m' = max(m, rowmax S),  P = e^(S - m')    (masked entries: P = 0)
//   l  = l e^(m - m') + rowsum P
//   acc = acc e^(m - m') + P V_j              (gemm, beta = 1)
// and at the end O = acc / l.  This is Algorithm 1 of FlashAttention (Dao et
// al. 2022) with the rescaling of Milakov & Gimelshein (2018).
// ============================================================================
void attention_forward(const float* Q, const float* K, const float* V, float* O, int n_q, int n_k,
                       int d, float scale, bool causal) {
  if (n_q <= 0 || d <= 0) return;
  AttentionScratch& sc = t_scratch;
  if (sc.scores.size() < size_t(kBq) * kBk) sc.scores.resize(size_t(kBq) * kBk);
  if (sc.acc.size() < size_t(kBq) * d) sc.acc.resize(size_t(kBq) * d);
  float* S = sc.scores.data();
  float* acc = sc.acc.data();
  float m[kBq], l[kBq];
  for (int q0 = 0; q0 < n_q; q0 += kBq) {
    const int bq = n_q - q0 < kBq ? n_q - q0 : kBq;
    for (int r = 0; r < bq; ++r) {
      m[r] = -std::numeric_limits<float>::infinity();
      l[r] = 0.0f;
    }
    for (int i = 0; i < bq * d; ++i) acc[i] = 0.0f;
    // Keys past the last row's horizon are invisible to the whole block.
    const int keys = visible_keys(q0 + bq - 1, n_q, n_k, causal);
    for (int k0 = 0; k0 < keys; k0 += kBk) {
      const int bk = keys - k0 < kBk ? keys - k0 : kBk;
      gemm(false, true, bq, bk, d, scale, Q + size_t(q0) * d, d, K + size_t(k0) * d, d, 0.0f, S, kBk);
      for (int r = 0; r < bq; ++r) {
        float* srow = S + r * kBk;
        int vis = visible_keys(q0 + r, n_q, n_k, causal) - k0;
        vis = vis < 0 ? 0 : (vis > bk ? bk : vis);
        if (vis > 0) {
          const float mb = softmax_detail::row_max(srow, vis);
          const float m_new = mb > m[r] ? mb : m[r];
          const float rescale = exp_scalar(m[r] - m_new);  // e^-inf = 0 on the first block
          const float s = softmax_detail::sum_exp<true>(srow, srow, vis, m_new);
          l[r] = l[r] * rescale + s;
          if (rescale != 1.0f) softmax_detail::scale_inplace(acc + size_t(r) * d, d, rescale);
          m[r] = m_new;
        }
        for (int j = vis; j < bk; ++j) srow[j] = 0.0f;  // masked: no weight
      }
      gemm(false, false, bq, d, bk, 1.0f, S, kBk, V + size_t(k0) * d, d, 1.0f, acc, d);
    }
    for (int r = 0; r < bq; ++r) {
      float* orow = O + size_t(q0 + r) * d;
      const float inv = l[r] > 0.0f ? 1.0f / l[r] : 0.0f;  // l = 0: no visible key, O = 0
      for (int c = 0; c < d; ++c) orow[c] = acc[size_t(r) * d + c] * inv;
    }
  }
}

// ============================================================================
// Reference: the full (n_q, n_k) score matrix, masked entries -inf, a row
// softmax, then P V, all in plain loops.
// ============================================================================
void attention_forward_ref(const float* Q, const float* K, const float* V, float* O, int n_q,
                           int n_k, int d, float scale, bool causal) {
  if (n_q <= 0 || d <= 0) return;
  std::vector<float> S(size_t(n_q) * n_k), P(size_t(n_q) * n_k);
  for (int i = 0; i < n_q; ++i) {
    const int vis = visible_keys(i, n_q, n_k, causal);
    for (int j = 0; j < n_k; ++j) {
      float dot = 0.0f;
      for (int c = 0; c < d; ++c) dot += Q[size_t(i) * d + c] * K[size_t(j) * d + c];
      S[size_t(i) * n_k + j] = j < vis ? scale * dot : -std::numeric_limits<float>::infinity();
    }
  }
  for (int i = 0; i < n_q; ++i) {
    float* orow = O + size_t(i) * d;
    for (int c = 0; c < d; ++c) orow[c] = 0.0f;
    if (visible_keys(i, n_q, n_k, causal) == 0) continue;  // no key: O = 0
    float* prow = P.data() + size_t(i) * n_k;
    softmax_three_pass_reload_ref(S.data() + size_t(i) * n_k, prow, n_k);
    for (int j = 0; j < n_k; ++j)
      for (int c = 0; c < d; ++c) orow[c] += prow[j] * V[size_t(j) * d + c];
  }
}

}  // namespace kern
