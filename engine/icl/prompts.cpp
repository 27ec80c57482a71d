// prompts.cpp - see prompts.h.
#include "engine/icl/prompts.h"

#include <cmath>

#include "engine/icl/normal.h"

namespace icl {

void PromptBatch::resize(int num_prompts, int context_len, int dim) {
  B = num_prompts;
  n = context_len;
  d = dim;
  x.assign(size_t(B) * n * d, 0.0);
  y.assign(size_t(B) * n, 0.0);
  xq.assign(size_t(B) * d, 0.0);
  yq.assign(size_t(B), 0.0);
  beta.assign(size_t(B) * d, 0.0);
}

void sample_prompts(const PromptConfig& config, pg::Rng& rng, PromptBatch& out) {
  const int d = out.d, n = out.n;
  const double tau = std::sqrt(config.prior == TaskPrior::isotropic_over_d ? 1.0 / d : 1.0);
  const double sigma = std::sqrt(config.noise_var);
  for (int b = 0; b < out.B; ++b) {
    double* beta = out.beta.data() + size_t(b) * d;
    double* x = out.x.data() + size_t(b) * n * d;
    double* y = out.y.data() + size_t(b) * n;
    double* xq = out.xq.data() + size_t(b) * d;
    const bool uniform = config.x_dist == InputDist::uniform;
    auto fill_inputs = [&](double* out, int count) {
      if (!uniform) return fill_normal(rng, out, count);
      for (int k = 0; k < count; ++k) out[k] = rng.uniform(-1.0, 1.0);
    };
    fill_normal(rng, beta, d, tau);
    fill_inputs(x, n * d);
    fill_normal(rng, y, n, sigma);  // the label noise first, then add the signal
    fill_inputs(xq, d);
    double noise_q;
    fill_normal(rng, &noise_q, 1, sigma);
    for (int l = 0; l < n; ++l) {
      double dot = 0.0;
      for (int k = 0; k < d; ++k) dot += beta[k] * x[l * d + k];
      y[l] += dot;
    }
    double dot = 0.0;
    for (int k = 0; k < d; ++k) dot += beta[k] * xq[k];
    out.yq[b] = dot + noise_q;
  }
}

}  // namespace icl
