// risk_curves.cpp - see risk_curves.h.
#include "engine/icl/risk_curves.h"

#include <cmath>

#include "engine/icl/lsa.h"

namespace icl {

std::vector<RiskCurvePoint> risk_curves(const PromptConfig& config, const std::vector<int>& ns, int prompts,
                                        int layers, double eta, uint64_t seed) {
  std::vector<RiskCurvePoint> out;
  if (prompts < 1) prompts = 1;
  if (layers < 1) layers = 1;
  const int d = config.d;
  const InputMoments moments = input_moments(config);
  const double tau2 = prior_variance(config), scale = 1.0 / signal_power(d, tau2, moments);
  const pg::Rng root(seed);
  LsaShape shape;
  shape.d = d;
  shape.layers = layers;
  std::vector<double> params(static_cast<size_t>(shape.num_params()));
  LsaStack<double> lsa;
  PromptBatch batch;
  for (int n : ns) {
    if (n < 1) continue;
    PromptConfig c = config;
    c.n = n;
    pg::Rng rng = root.fork(uint64_t(n));  // each length its own prompts, the same every call
    batch.resize(prompts, n, d);
    sample_prompts(c, rng, batch);
    RiskCurvePoint p;
    p.n = n;
    p.gd_step = gd_step_opt(d, n, c.noise_var, tau2, moments);
    p.mc = evaluate_baselines(batch, c);
    const double lsa_eta = eta > 0 ? eta : p.gd_step;
    lsa_set_gd_construction(shape, params.data(), lsa_eta);
    double sum = 0;
    for (int b = 0; b < batch.B; ++b) {
      const double err = lsa.predict(shape, params.data(), batch.x_of(b), batch.y_of(b), n, batch.xq_of(b)) - batch.yq[b];
      sum += err * err;
    }
    p.lsa = sum / batch.B * scale;
    p.mc.ols *= scale;
    p.mc.ridge *= scale;
    p.mc.gd *= scale;
    p.mc.debiased_gd *= scale;
    p.mc.averaging *= scale;
    p.mc.knn *= scale;
    // OLS in closed form for Gaussian x only (NaN otherwise).
    p.ols_closed = c.x_dist == InputDist::gaussian ? ols_risk(d, n, c.noise_var, tau2) * scale : NAN;
    p.averaging_closed = gd_risk(d, n, c.noise_var, tau2, 1.0, moments) * scale;
    p.gd_tuned_closed = gd_risk(d, n, c.noise_var, tau2, p.gd_step, moments) * scale;
    p.lsa_closed = layers == 1 ? gd_risk(d, n, c.noise_var, tau2, lsa_eta, moments) * scale : 0.0;
    out.push_back(p);
  }
  return out;
}

}  // namespace icl
