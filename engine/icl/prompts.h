// prompts.h - in-context linear regression prompts (lessons icl-gd, icl-multihead).
//
// One prompt (Garg et al. 2022; von Oswald et al. 2023; He et al. 2025):
//   beta ~ N(0, tau^2 I_d)          the task, fresh for every prompt
//   x_1..x_n, x_q ~ N(0, I_d)       context inputs and the query input, or
//                  ~ U(-1, 1)^d     (von Oswald et al.'s text and code, data.py create_reg_data)
//   y_l = beta^T x_l + eps_l        eps_l ~ N(0, sigma^2)
//   y_q = beta^T x_q + eps_q        the target the model must predict (noisy,
//                                   so every risk below includes sigma^2)
// tau^2 = 1/d (He et al.; E||beta||^2 = 1) or tau^2 = 1 (von Oswald et al.).
//
// Draw order per prompt: beta (d), all x_l (n d), all eps_l (n), x_q (d), eps_q,
// beta and the noise from icl::fill_normal (a ziggurat on pg::Rng, see normal.h), x and x_q
// from it too or from pg::Rng::uniform(-1, 1), coordinate by coordinate.  A batch is sized once with
// resize(); sample_prompts() then never allocates.
#pragma once
#include <cstdint>
#include <vector>

#include "engine/rng.h"

namespace icl {

enum class TaskPrior {
  isotropic_over_d,  // beta ~ N(0, I/d): He et al. 2025 (icl-multihead)
  isotropic,         // beta ~ N(0, I):   von Oswald et al. 2023 (icl-gd)
};

enum class InputDist {
  gaussian,  // x ~ N(0, I_d): Garg et al., He et al.; where the closed forms live
  uniform,   // x ~ U(-1, 1)^d: von Oswald et al. (E x x^T = I/3)
};

// The per-coordinate moments the closed forms need: E x_k^2 and E x_k^4
// (N(0, 1): 1 and 3; U(-1, 1): 1/3 and 1/5).
struct InputMoments {
  double var = 1.0, m4 = 3.0;
};

struct PromptConfig {
  int d = 10;              // input dimension
  int n = 40;              // context length (number of (x, y) pairs)
  double noise_var = 0.1;  // sigma^2
  TaskPrior prior = TaskPrior::isotropic_over_d;
  InputDist x_dist = InputDist::gaussian;
};

inline InputMoments input_moments(InputDist dist) {
  return dist == InputDist::uniform ? InputMoments{1.0 / 3.0, 1.0 / 5.0} : InputMoments{1.0, 3.0};
}
inline InputMoments input_moments(const PromptConfig& c) { return input_moments(c.x_dist); }

// tau^2, the prior variance of one coordinate of beta.
inline double prior_variance(const PromptConfig& c) {
  return c.prior == TaskPrior::isotropic_over_d ? 1.0 / c.d : 1.0;
}

struct PromptBatch {
  int B = 0, n = 0, d = 0;
  std::vector<double> x;     // (B, n, d) context inputs
  std::vector<double> y;     // (B, n) context labels
  std::vector<double> xq;    // (B, d) query inputs
  std::vector<double> yq;    // (B,) query targets (with noise)
  std::vector<double> beta;  // (B, d) task vectors (for diagnostics)

  void resize(int num_prompts, int context_len, int dim);
  const double* x_of(int b) const { return x.data() + size_t(b) * n * d; }
  const double* y_of(int b) const { return y.data() + size_t(b) * n; }
  const double* xq_of(int b) const { return xq.data() + size_t(b) * d; }
};

// Fills all out.B prompts with out.n context pairs of dimension out.d
// (config.n and config.d are ignored here so a batch can be resized for
// another evaluation length).  No allocation.
void sample_prompts(const PromptConfig& config, pg::Rng& rng, PromptBatch& out);

}  // namespace icl
