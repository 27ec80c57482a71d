// grpo.h - group-relative policy optimization on a tabular toy policy, and
// the down-sampling rules of D3S (dynamic dual-level down-sampling, 2025).
//
// The policy writes L tokens from a vocabulary of V; token l is drawn from
// pi(. | l, previous token) = softmax(theta[l][prev]), theta (L, V, V) (the
// first token's "previous" is 0).  A rollout earns reward 1 when at least
// `threshold` of its tokens match a hidden target, else 0 (sparse).
//
// GRPO (Shao et al. 2024) draws G rollouts per prompt ("group") and gives
// each the group-normalized advantage A_i = (r_i - mean r) / (std r + eps);
// one on-policy step ascends (1/|K|) sum_((i,t) in K) A_i grad log pi(a_it | s_it)
// over the kept tokens K (all of them for GRPO).
//
// D3S keeps (sample level) the k rollouts whose advantages have the largest
// variance, across the whole batch or within each group, then (token level)
// the top fraction of the kept rollouts' tokens by |A_i| * H_it, H the
// policy's entropy at that token.  The max-variance subset of k values is,
// after sorting, the j largest plus the k - j smallest for some j (moving a
// kept value outward never lowers the variance), so k + 1 candidates suffice.
#pragma once
#include <cstdint>
#include <vector>

#include "engine/rng.h"

namespace opt {

// ------------------------------------------------------------- the toy policy
class TabularPolicy {
 public:
  void configure(int length, int vocab, int threshold, const std::vector<int>& target);
  int length() const { return L_; }
  int vocab() const { return V_; }
  int num_params() const { return L_ * V_ * V_; }
  int threshold() const { return threshold_; }
  const std::vector<int>& target() const { return target_; }

  // pi(. | l, prev) and its entropy H (nats) for every state, from theta (L*V*V,).
  void update_tables(const double* theta);
  const double* probs(int l, int prev) const { return &probs_[(size_t(l) * V_ + prev) * V_]; }
  double entropy(int l, int prev) const { return entropy_[size_t(l) * V_ + prev]; }

  // One rollout: tokens (L,) and the state index (l * V + prev) of each token.
  // Returns the reward (0 or 1).  Uses the tables (call update_tables first).
  double sample(pg::Rng& rng, int* tokens, int* states) const;
  double reward(const int* tokens) const;
  // E[reward] under the current tables, exactly (dynamic programming over
  // (position, previous token, matches so far)).
  double expected_reward() const;

 private:
  int L_ = 0, V_ = 0, threshold_ = 1;
  std::vector<int> target_;
  std::vector<double> probs_, entropy_;
  mutable std::vector<double> dp_, dp_next_;  // (V, L + 1) each
};

// ------------------------------------------------------------- advantages
// A_i = (r_i - mean) / (std + eps) over one group r (G,), std the population
// standard deviation.  A group with equal rewards gets A = 0 exactly.
void group_advantages(const double* rewards, int G, double eps, double* advantages);

// The policy-gradient loss over the kept tokens of n rollouts and its
// gradient w.r.t. the logits (one on-policy step: the PPO ratio is 1):
//   loss = -(1/|K|) sum_((i,l) in K) A_i log pi(a_il | s_il)
//   d loss / d theta[s][v] = -(1/|K|) sum_((i,l) in K, s_il = s) A_i (1[v = a_il] - pi(v | s))
// tokens, states, kept: (n, L); adv (n,); grad (L*V*V,) is overwritten.
// Uses the policy's tables.  |K| = 0 gives loss 0 and a zero gradient.
double policy_gradient_loss(const TabularPolicy& policy, const int* tokens, const int* states, const double* adv,
                            const int* kept, int n, double* grad);

// ------------------------------------------------------------- selection
// The subset of k of values (n,) with the largest population variance:
// writes its indices into kept (k,), ascending, and returns the variance.
// order (n,) is scratch.  Ties: the smallest j (count taken from the top)
// among equal variances; equal values ordered by index.
double max_variance_subset(const double* values, int n, int k, int* order, int* kept);
// The same by trying all C(n, k) subsets (n <= 20): the reference.
double max_variance_brute_force(const double* values, int n, int k);
double population_variance(const double* values, const int* idx, int k);

// The top `keep` of scores (n,) by value (ties: lower index first): kept
// indices into kept (keep,), ascending.  order (n,) is scratch.
void top_k(const double* scores, int n, int keep, int* order, int* kept);

// ceil(ratio * n) clamped to [1, n] (0 when n == 0), robust to rounding
// (ratio * n within 1e-9 of an integer counts as that integer).
int keep_count(double ratio, int n);
// (1 - p) * start + p * end: the linear schedule in training progress p in [0, 1].
inline double linear_schedule(double start, double end, double p) { return (1.0 - p) * start + p * end; }

}  // namespace opt
