#include "engine/opt/grpo.h"

#include <algorithm>
#include <cmath>

namespace opt {

// ------------------------------------------------------------- the toy policy
void TabularPolicy::configure(int length, int vocab, int threshold, const std::vector<int>& target) {
  L_ = length, V_ = vocab;
  threshold_ = std::max(1, std::min(threshold, length));
  target_ = target;
  probs_.assign(size_t(L_) * V_ * V_, 1.0 / V_);
  entropy_.assign(size_t(L_) * V_, 0.0);
  dp_.assign(size_t(V_) * (L_ + 1), 0.0);
  dp_next_.assign(size_t(V_) * (L_ + 1), 0.0);
}

void TabularPolicy::update_tables(const double* theta) {
  const int V = V_;
  for (int s = 0; s < L_ * V; ++s) {
    const double* z = theta + size_t(s) * V;
    double* p = &probs_[size_t(s) * V];
    double zmax = z[0];
    for (int v = 1; v < V; ++v) zmax = std::max(zmax, z[v]);
    double sum = 0.0;
    for (int v = 0; v < V; ++v) sum += p[v] = detmath::exp(z[v] - zmax);
    double h = 0.0;
    for (int v = 0; v < V; ++v) {
      p[v] /= sum;
      if (p[v] > 0) h -= p[v] * detmath::log(p[v]);
    }
    entropy_[size_t(s)] = h;
  }
}

double TabularPolicy::sample(pg::Rng& rng, int* tokens, int* states) const {
  int prev = 0;
  for (int l = 0; l < L_; ++l) {
    const double* p = probs(l, prev);
    const double u = rng.uniform();
    int v = 0;
    double c = p[0];
    while (v + 1 < V_ && u >= c) c += p[++v];
    tokens[l] = v;
    states[l] = l * V_ + prev;
    prev = v;
  }
  return reward(tokens);
}

double TabularPolicy::reward(const int* tokens) const {
  int matches = 0;
  for (int l = 0; l < L_; ++l) matches += tokens[l] == target_[size_t(l)];
  return matches >= threshold_ ? 1.0 : 0.0;
}

double TabularPolicy::expected_reward() const {
  const int V = V_, C = L_ + 1;
  // dp[prev][c]: probability of having written tokens 0..l-1 ending in prev with c matches.
  std::fill(dp_.begin(), dp_.end(), 0.0);
  dp_[0] = 1.0;  // before token 0: "previous" 0, no matches
  for (int l = 0; l < L_; ++l) {
    std::fill(dp_next_.begin(), dp_next_.end(), 0.0);
    for (int prev = 0; prev < V; ++prev)
      for (int c = 0; c <= l; ++c) {
        const double w = dp_[size_t(prev) * C + c];
        if (w == 0.0) continue;
        const double* p = probs(l, prev);
        for (int v = 0; v < V; ++v) dp_next_[size_t(v) * C + c + (v == target_[size_t(l)])] += w * p[v];
      }
    dp_.swap(dp_next_);
  }
  double r = 0.0;
  for (int prev = 0; prev < V; ++prev)
    for (int c = threshold_; c < C; ++c) r += dp_[size_t(prev) * C + c];
  return r;
}

// ------------------------------------------------------------- advantages
void group_advantages(const double* rewards, int G, double eps, double* advantages) {
  double mean = 0.0;
  for (int i = 0; i < G; ++i) mean += rewards[i];
  mean /= G;
  double var = 0.0;
  for (int i = 0; i < G; ++i) var += (rewards[i] - mean) * (rewards[i] - mean);
  const double std = std::sqrt(var / G);
  for (int i = 0; i < G; ++i) advantages[i] = (rewards[i] - mean) / (std + eps);
}

double policy_gradient_loss(const TabularPolicy& policy, const int* tokens, const int* states, const double* adv,
                            const int* kept, int n, double* grad) {
  const int L = policy.length(), V = policy.vocab(), P = policy.num_params();
  for (int k = 0; k < P; ++k) grad[k] = 0.0;
  int count = 0;
  for (int k = 0; k < n * L; ++k) count += kept[k] != 0;
  if (count == 0) return 0.0;
  const double inv = 1.0 / count;
  double loss = 0.0;
  for (int i = 0; i < n; ++i) {
    const double a = adv[i];
    for (int l = 0; l < L; ++l) {
      const size_t at = size_t(i) * L + l;
      if (!kept[at]) continue;
      const int s = states[at], tok = tokens[at];
      const double* p = policy.probs(s / V, s % V);
      loss -= inv * a * detmath::log(p[tok]);
      double* gs = grad + size_t(s) * V;
      for (int v = 0; v < V; ++v) gs[v] -= inv * a * ((v == tok ? 1.0 : 0.0) - p[v]);
    }
  }
  return loss;
}

// ------------------------------------------------------------- selection
double population_variance(const double* values, const int* idx, int k) {
  if (k <= 0) return 0.0;
  double mean = 0.0;
  for (int i = 0; i < k; ++i) mean += values[idx[i]];
  mean /= k;
  double var = 0.0;
  for (int i = 0; i < k; ++i) var += (values[idx[i]] - mean) * (values[idx[i]] - mean);
  return var / k;
}

namespace {
// order = 0..n-1 sorted by (value ascending, index ascending).
void sort_ascending(const double* values, int n, int* order) {
  for (int i = 0; i < n; ++i) order[i] = i;
  std::sort(order, order + n, [values](int a, int b) { return values[a] < values[b] || (values[a] == values[b] && a < b); });
}
}  // namespace

double max_variance_subset(const double* values, int n, int k, int* order, int* kept) {
  k = std::max(0, std::min(k, n));
  if (k == 0) return 0.0;
  sort_ascending(values, n, order);
  // Candidate j: the j largest (order[n-j..n)) and the k-j smallest (order[0..k-j)).
  // Its variance is computed two-pass from the candidate's own values, so that
  // it is the same number population_variance gives for the same set.
  double best = -1.0;
  int best_j = 0;
  for (int j = 0; j <= k; ++j) {
    int m = 0;
    for (int i = 0; i < k - j; ++i) kept[m++] = order[i];
    for (int i = n - j; i < n; ++i) kept[m++] = order[i];
    const double var = population_variance(values, kept, k);
    if (var > best) best = var, best_j = j;
  }
  int m = 0;
  for (int i = 0; i < k - best_j; ++i) kept[m++] = order[i];
  for (int i = n - best_j; i < n; ++i) kept[m++] = order[i];
  std::sort(kept, kept + k);
  return best;
}

double max_variance_brute_force(const double* values, int n, int k) {
  if (k <= 0 || k > n || n > 20) return 0.0;
  int idx[20];
  double best = -1.0;
  for (uint32_t mask = 0; mask < (1u << n); ++mask) {
    int m = 0;
    for (int i = 0; i < n; ++i)
      if (mask >> i & 1u) {
        if (m == k) {
          m = -1;
          break;
        }
        idx[m++] = i;
      }
    if (m != k) continue;
    best = std::max(best, population_variance(values, idx, k));
  }
  return best;
}

void top_k(const double* scores, int n, int keep, int* order, int* kept) {
  keep = std::max(0, std::min(keep, n));
  for (int i = 0; i < n; ++i) order[i] = i;
  std::partial_sort(order, order + keep, order + n,
                    [scores](int a, int b) { return scores[a] > scores[b] || (scores[a] == scores[b] && a < b); });
  for (int i = 0; i < keep; ++i) kept[i] = order[i];
  std::sort(kept, kept + keep);
}

int keep_count(double ratio, int n) {
  if (n <= 0) return 0;
  const double x = ratio * n;
  const double r = std::floor(x + 0.5);
  const int k = std::fabs(x - r) <= 1e-9 ? int(r) : int(std::ceil(x));
  return std::max(1, std::min(k, n));
}

}  // namespace opt
