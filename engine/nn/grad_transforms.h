// grad_transforms.h - gradient transforms for nn::Trainer::add_grad_transform:
// steps on a model's gradient after backward and before the optimizer.
//
//   trainer.add_grad_transform(nn::perp_grad_transform(), /*run=*/1);  // run 1 is "perp-AdamW"
//   trainer.add_grad_transform(nn::clip_transform(1.0f));              // every run
//
// A parameter tensor is one layer's weights, or its bias (beta): the model
// keeps each layer's weights first, then its bias (Model::weight_count).
#pragma once
#include "engine/nn/model.h"
#include "engine/nn/trainer.h"

namespace nn {

// perpGrad (Prieto et al. 2025, eq. 9; official orthograd.py), per tensor w
// with gradient g:
//   g_perp = g - (w.g / (w.w + 1e-30)) w,    g <- g_perp * ||g|| / (||g_perp|| + 1e-30)
// It removes the component of the gradient along the weights (the direction
// that only scales the logits up - "naive loss minimization") and keeps the
// gradient's length.  Dot products in double, index order.
void perp_grad(float* grads, const float* params, int n);
// The same on every parameter tensor of the model.
void perp_grad(Model& model);

// cos(g, -theta) over all parameters: +1 when the gradient step (-g) points
// straight along the weights, i.e. it only grows them.  0 for a zero vector.
double cos_grad_negative_weights(const Model& model);
// ||theta||_2 over all parameters.
double weight_norm(const Model& model);

// Transforms for Trainer::add_grad_transform.
Trainer::GradTransform perp_grad_transform();
// Global-norm clipping (as TrainerConfig::clip_norm, but placed where it is
// added among the transforms).
Trainer::GradTransform clip_transform(float max_norm);

}  // namespace nn
