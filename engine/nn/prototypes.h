// prototypes.h - novel classes added to a trained classifier by prototype
// ("imprinting"), without further training.
//
// Pereira et al. 2021 ("Hyperspherical embedding for novel class
// classification"; the first author's package pyopenset, AddNewClass): the
// network is trained with unit-norm embeddings and unit-norm, bias-free class
// weights, logit_k = s cos(theta_k).  A new class gets one more output unit
// whose weight row is the mean of a few of its samples' embeddings,
// normalized to unit length:
//   p = mean_i z_i / |mean_i z_i|,   z_i = s h_i / |h_i|
// Since every z_i has the same length s, p is also the normalized mean of the
// unit embeddings h_i / |h_i|.  The old rows are left as they are, so the old
// classes' logits do not change; prediction is argmax over old and new rows.
//
// For a plain softmax head (logits h W^T + b, any norms) the same rule gives
// a direction only; prototype_linear_rows() gives it the old rows' mean norm
// and the old biases' mean (see there).
#pragma once

namespace nn {

// x (n, D), D <= 1024, -> out (D,), unit length: normalize(sum_i x_i), or with
// normalize_rows normalize(sum_i x_i / |x_i|).  Sums in double.  n = 0 or a
// zero sum gives out = 0 (such a class is never predicted by a cosine head).
void prototype_direction(const float* x, int n, int D, bool normalize_rows, float* out);

// Logits of a cosine head extended by N prototype rows.
// e (B, D) unit embeddings, W (K, D) trained class weights (normalized here,
// as cosine_linear does), P (N, D) unit prototypes ->
//   out (B, K + N) = s [e . W_k / |W_k| (k < K),  e . P_j (j < N)]
// Every logit lies in [-s, s].  Sums in double.
void extended_cosine_logits(const float* e, const float* W, int K, const float* P, int N, int B, int D, float s,
                            float* out);

// Logits of a linear head (W (K, D), b (K,)) extended by N rows (P (N, D), pb (N,)):
//   out (B, K + N) = [h . W_k + b_k,  h . P_j + pb_j].  Sums in double.
void extended_linear_logits(const float* h, const float* W, const float* b, int K, const float* P,
                            const float* pb, int N, int B, int D, float* out);

// The plain head's new rows from unit directions dir (N, D): each gets the
// mean norm of the old rows W (K, D), and the bias the mean of b (K,), so a
// new class competes on the same footing as an average old one.
//   P_j = mean_k |W_k| dir_j,   pb_j = mean_k b_k
void prototype_linear_rows(const float* W, const float* b, int K, const float* dir, int N, int D, float* P,
                           float* pb);

// Accuracy of logits (n, K + N) against labels (n,) in [0, K + N), the old
// classes being 0..K-1 and the new K..K+N-1.  NaN where a group is empty.
struct SplitAccuracy {
  double old_classes = 0;   // old-class rows: argmax over all K + N == label
  double new_classes = 0;   // new-class rows: argmax over all K + N == label ("joint")
  double all = 0;           // every row
  double new_disjoint = 0;  // new-class rows: argmax over the N new classes only ("disjoint")
};
SplitAccuracy split_accuracy(const float* logits, const int* labels, int n, int K, int N);

}  // namespace nn
