// tract.h - TrAct (Petersen, Borgelt & Ermon, 2024, "TrAct: Making First-layer
// Pre-Activations Trainable"; official code Felix-Petersen/tract, src/tract.py
// 10-56): the first layer's weight gradient replaced by
//   full branch (b >= n):   g~ = G^T A (A^T A / b + lambda I_n)^-1
//   batch branch (b < n):   g~ = G^T (A A^T / b + lambda I_b)^-1 A
// for Z = A W^T + c, A (b, n) the layer's inputs, G (b, m) = dL/dZ.  The two
// are equal (push-through identity); the bias gradient is unchanged.
//
// A trainer only holds grad_W = G^T A (m, n) after backward, so the transform
// computes both branches from grad_W and A: the full branch directly, the
// batch branch through Woodbury,
//   (A^T A / b + lambda I)^-1 = (1/lambda) (I - A^T (b lambda I_b + A A^T)^-1 A),
//   g~ = (grad_W - (grad_W A^T) (b lambda I_b + A A^T)^-1 A) / lambda,
// which needs a b x b solve instead of an n x n one (the official code's
// reason for the branch).  Everything in double.
#pragma once
#include <vector>

#include "engine/nn/model.h"
#include "engine/nn/trainer.h"

namespace nn {

// The definitions from G (b, m) and A (b, n), into out (m, n); for the tests
// and outside checks.  Returns false if the system is not positive definite
// (lambda <= 0 with a rank-deficient A).
bool tract_gradient_from_G_full(const double* G, const double* A, int b, int m, int n, double lambda, double* out);
bool tract_gradient_from_G_batch(const double* G, const double* A, int b, int m, int n, double lambda, double* out);

// The same from grad_W = G^T A (m, n), in place, choosing the branch like the
// official code (batch branch when b < n) unless force_branch is 0 (full) or
// 1 (batch).  scratch is resized on first use.
struct TractScratch {
  std::vector<double> gw, sys, rhs, tmp;
};
bool tract_transform_weight_grad(double* grad_W, const double* A, int b, int m, int n, double lambda,
                                 TractScratch& scratch, int force_branch = -1);

// For Trainer::add_grad_transform: applies TrAct to the first layer of the
// model (it must be linear: flat inputs), reading the batch's inputs.
Trainer::GradTransform tract_transform(double lambda);

}  // namespace nn
