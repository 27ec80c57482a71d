// losses_contrastive.h - InfoNCE and the two-term soft contrastive loss of
// SoftCon (Wang et al. 2024, "Multi-label guided soft contrastive learning
// for efficient Earth observation pretraining"; official repo zhu-xlab/softcon
// has no loss code, see papers/method-notes.md #3).
//
// Two views of B samples give unit-norm embeddings z (B, D) and z' (B, D) and
// the score matrix S_ij = z_i . z'_j / tau (B, B).  The official figure adds
// two targets over that matrix: the one-positive InfoNCE target (the diagonal)
// and a per-cell soft target Y_ij in [0, 1] from the samples' multi-label
// annotations (diagonal 1).  RECONSTRUCTION (not verified): the soft term is
// taken as an elementwise sigmoid cross-entropy, the form of a third-party
// implementation, and the similarity Y as Jaccard or cosine of the label sets:
//   L_hard = (1/B) sum_i [ log sum_j e^(S_ij) - S_ii ]
//   L_soft = (1/B^2) sum_ij [ softplus(S_ij) - Y_ij S_ij ]      (= BCE(sigmoid(S_ij), Y_ij))
//   L = L_hard + lambda L_soft
//   dL/dS_ij = (1/B) (softmax_j(S_i)_j - [i == j]) + (lambda/B^2) (sigmoid(S_ij) - Y_ij)
// lambda = 0 is InfoNCE exactly.
#pragma once
#include <vector>

namespace nn {

enum class LabelSimilarity { jaccard, cosine };

// sets (B, W): label ids padded with -1 (values outside [0, C) ignored,
// duplicates counted once).  out (B, B): Jaccard |a ∩ b| / |a ∪ b| or cosine
// |a ∩ b| / sqrt(|a| |b|) of row i's and row j's sets; 0 when either set is
// empty (nothing in common), and the diagonal is 1 (a sample is its own positive).
void label_similarity(const int* sets, int B, int W, int C, LabelSimilarity kind, float* out);

// S (B, B) = z z'^T / tau for z, z' (B, D).
void contrastive_scores(const float* z, const float* z_prime, int B, int D, float tau, float* S);

// The loss above for S (B, B) and soft targets Y (B, B); writes dS (B, B) when
// not null.  Computed in double (detmath exp/log).  Returns L.
double softcon_loss(const float* S, const float* Y, int B, double lambda, float* dS);

// Back through S = z z'^T / tau: dz = dS z' / tau, dz' = dS^T z / tau, both (B, D).
void contrastive_scores_backward(const float* dS, const float* z, const float* z_prime, int B, int D, float tau,
                                 float* dz, float* dz_prime);

}  // namespace nn
