// grad_transforms.cpp - see grad_transforms.h.
#include "engine/nn/grad_transforms.h"

#include <cmath>

#include "engine/nn/optim.h"

namespace nn {

void perp_grad(float* g, const float* w, int n) {
  double wg = 0.0, ww = 0.0, gg = 0.0;
  for (int i = 0; i < n; ++i) {
    wg += double(w[i]) * g[i];
    ww += double(w[i]) * w[i];
    gg += double(g[i]) * g[i];
  }
  const double coef = wg / (ww + 1e-30);
  double pp = 0.0;
  for (int i = 0; i < n; ++i) {
    const double p = double(g[i]) - coef * w[i];
    pp += p * p;
  }
  const double rescale = std::sqrt(gg) / (std::sqrt(pp) + 1e-30);
  for (int i = 0; i < n; ++i) g[i] = float((double(g[i]) - coef * w[i]) * rescale);
}

void perp_grad(Model& model) {
  float* g = model.grads();
  const float* w = model.params();
  for (int l = 0; l < model.num_layers(); ++l) {
    const int off = model.param_offset(l), count = model.param_count(l), weights = model.weight_count(l);
    if (count == 0) continue;
    perp_grad(g + off, w + off, weights);
    if (count > weights) perp_grad(g + off + weights, w + off + weights, count - weights);
  }
}

double cos_grad_negative_weights(const Model& model) {
  const float* g = model.grads();
  const float* w = model.params();
  double gw = 0.0, gg = 0.0, ww = 0.0;
  for (int i = 0; i < model.num_params(); ++i) {
    gw += double(g[i]) * w[i];
    gg += double(g[i]) * g[i];
    ww += double(w[i]) * w[i];
  }
  if (gg == 0.0 || ww == 0.0) return 0.0;
  return -gw / (std::sqrt(gg) * std::sqrt(ww));
}

double weight_norm(const Model& model) {
  const float* w = model.params();
  double ww = 0.0;
  for (int i = 0; i < model.num_params(); ++i) ww += double(w[i]) * w[i];
  return std::sqrt(ww);
}

Trainer::GradTransform perp_grad_transform() {
  return [](int, Model& model, const Batch&) { perp_grad(model); };
}

Trainer::GradTransform clip_transform(float max_norm) {
  return [max_norm](int, Model& model, const Batch&) { clip_grad_norm(model.grads(), model.num_params(), max_norm); };
}

}  // namespace nn
