// mahalanobis.h - the class-conditional Gaussian detector of Lee et al. 2018
// ("A Simple Unified Framework for Detecting Out-of-Distribution Samples and
// Adversarial Attacks"): on the features f (D,) of one layer, class means
// mu_c and ONE covariance Sigma shared by all classes (tied, as linear
// discriminant analysis), and the confidence score
//
//   M(f) = max_c -(f - mu_c)^T Sigma^-1 (f - mu_c)          (paper, eq. 2)
//
// which is 0 at a class mean and falls quadratically away from every class.
// Everything is in double: the covariance of ReLU features is often close to
// singular, and + - * / sqrt are bit-identical native and in wasm.
#pragma once
#include <vector>

namespace nn {

struct ClassGaussians {
  int classes = 0, dim = 0;
  std::vector<double> means;      // (classes, dim)
  std::vector<double> covariance; // (dim, dim): tied, after shrinkage
  std::vector<double> precision;  // (dim, dim): covariance^-1
  std::vector<double> whiten;     // (dim, dim): W = L^-1 for covariance = L L^T (lower triangular); precision = W^T W
  std::vector<double> white_means;  // (classes, dim): W mu_c
  double ridge = 0;               // what was added to the diagonal to keep it invertible
  std::vector<double> work_a;  // scratch: refitting at the same sizes does not allocate
  std::vector<int> count;              // (classes,): samples per class in the last fit
};

// features (n, dim), labels (n,) in [0, classes).  Sigma = (1/n) sum_i
// (f_i - mu_{y_i})(f_i - mu_{y_i})^T (the official code: sklearn's
// EmpiricalCovariance on the class-centred features), then shrunk towards a
// scaled identity: Sigma <- (1 - shrinkage) Sigma + shrinkage (tr Sigma / dim) I,
// plus a ridge of 1e-6 tr Sigma / dim (dead ReLU units give zero rows).  A
// class with no sample gets mean 0.  Returns false if Sigma is not positive
// definite even then (all features constant): the detector is unusable.
bool fit_class_gaussians(const float* features, const int* labels, int n, int dim, int classes, double shrinkage,
                         ClassGaussians& out);

// Derives precision, whiten and white_means from covariance and means (fit
// calls it; a test may set covariance = I).  False if not positive definite.
bool set_covariance(ClassGaussians& g);

// Squared Mahalanobis distance of f (dim,) to every class mean, dist (classes,).
// Returns the closest class.  scratch (dim,) is caller-owned (no allocation).
int mahalanobis_distances(const ClassGaussians& g, const float* f, double* dist, double* scratch);

// d dist_c / d f = 2 Sigma^-1 (f - mu_c), into grad (dim,) (float, for backprop).
void mahalanobis_gradient(const ClassGaussians& g, const float* f, int c, float* grad, double* scratch);

// Symmetric positive definite inverse by Cholesky (a (d, d), row-major), in
// place; L is (d, d) scratch, Linv (d, d) receives L^-1.  Returns false if a is not positive definite.
bool spd_inverse(double* a, int d, double* L, double* Linv);

}  // namespace nn
