// attention.h - scaled dot-product attention for one head, forward.
//
//   O = softmax(scale * Q K^T + mask) V           (Vaswani et al. 2017, eq. 1)
//   Q is (n_q, d), K and V are (n_k, d), O is (n_q, d); row-major, contiguous.
//
// causal: query i may attend to key j only if j <= i + (n_k - n_q), i.e. the
// queries are the last n_q positions of the n_k-long sequence (n_q == n_k is
// the usual decoder mask).  A query that sees no key at all (only possible
// when n_q > n_k) gets O = 0.
//
// attention_forward never materializes the (n_q, n_k) score matrix: it walks
// the keys in blocks of 64 with the online-softmax rescaling (Milakov &
// Gimelshein 2018; FlashAttention, Dao et al. 2022), holding at most a
// (32 queries x 64 keys) block of scores.  attention_forward_ref builds the
// full matrix, applies the row softmax and multiplies, in plain loops.
#pragma once

namespace kern {

void attention_forward(const float* Q, const float* K, const float* V, float* O, int n_q, int n_k,
                       int d, float scale, bool causal);
void attention_forward_ref(const float* Q, const float* K, const float* V, float* O, int n_q,
                           int n_k, int d, float scale, bool causal);

}  // namespace kern
