// hessian.h - the curvature of a loss around a point, from gradients only:
// Hessian-vector products, trace estimators, Lanczos and the spectral density.
//
// Everything works on a flat parameter vector theta (n,) in double.  The one
// primitive is a Hessian-vector product H v; it comes either from a gradient
// closure (a central finite difference of gradients, GradientHvp) or, for the
// engine's networks, from ModelObjective (the mean training loss of an
// nn::Model on a fixed set, plus optional weight decay).  On top of any
// symmetric operator:
//   hutchinson_trace   tr(H) ~ mean of z^T H z over Rademacher probes z
//   hutchpp_trace      Hutch++ (Meyer, Musco, Musco & Woodruff, 2021): the top
//                      of the spectrum exactly from a sketch, Hutchinson on the rest
//   lanczos            k steps with full reorthogonalization: extreme
//                      eigenvalues and their Ritz vectors
//   slq_spectrum       stochastic Lanczos quadrature (Ubaru, Chen & Saad, 2017;
//                      as in PyHessian / LLA): Ritz values as nodes, squared
//                      first components of T's eigenvectors as weights
//   dense_hessian, symmetric_eigen   the exact spectrum of a small model
// Randomness (probes, start vectors) comes from the pg::Rng passed in, so the
// same seed gives the same numbers native and wasm.
//
//   nn::ModelObjective obj;
//   obj.init(spec, params, loss, x, y, n, /*chunk=*/256, /*weight_decay=*/0);
//   nn::GradientHvp hvp;
//   hvp.init(obj.num_params(), obj.gradient_fn(), nn::GradientHvp::kFloatModelStep);
//   hvp.set_point(theta);                          // theta (n,) double
//   nn::LinearOperator H = hvp.op();
//   nn::LanczosResult top = nn::lanczos(H, n, 30, rng);   // top.ritz_values ascending
//   nn::TraceEstimate tr = nn::hutchinson_trace(H, n, 100, rng);
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "engine/nn/loss.h"
#include "engine/nn/model.h"
#include "engine/rng.h"

namespace nn {

// y (n,) = A v for v (n,): a symmetric linear operator (y never aliases v).
using LinearOperator = std::function<void(const double* v, double* y)>;
// grad (n,) = the gradient of f at theta (n,).
using GradientFn = std::function<void(const double* theta, double* grad)>;
// f(theta) for theta (n,).
using ObjectiveFn = std::function<double(const double* theta)>;

// ------------------------------------------------- Hessian-vector products
// Central difference of gradients along the unit direction u = v / ||v||:
//   H v ~ ||v|| (g(theta + h u) - g(theta - h u)) / (2 h)
// Error: O(h^2 |d^3 f|) from truncation plus (gradient rounding) / h.  For
// gradients exact to double, h ~ 1e-5 gives ~1e-10 relative; for a float
// network (ModelObjective) the gradient carries ~1e-7 relative rounding and
// h ~ 1e-3 balances the two (~1e-4 relative).  H v is linear in v up to that error.
class GradientHvp {
 public:
  static constexpr double kDoubleStep = 1e-5;     // for gradients computed in double
  static constexpr double kFloatModelStep = 2e-3; // for ModelObjective (float network)

  void init(int n, GradientFn gradient, double step);
  // The point theta (n,) the products are taken at (copied).
  void set_point(const double* theta);
  // hv (n,) = H v.  Two gradient calls; allocation-free.  v = 0 gives 0.
  void apply(const double* v, double* hv);
  LinearOperator op() {
    return [this](const double* v, double* y) { apply(v, y); };
  }
  int num_params() const { return n_; }
  double step() const { return step_; }
  const double* point() const { return theta_.data(); }
  long long gradient_calls() const { return calls_; }

 private:
  int n_ = 0;
  double step_ = kDoubleStep;
  GradientFn gradient_;
  std::vector<double> theta_, shifted_, g_plus_, g_minus_;
  long long calls_ = 0;
};

// The mean training loss of an nn::Model on a fixed set, as a function of its
// flat parameters in double:
//   f(theta) = (1/n) sum_i loss(model_theta(x_i), y_i) + (wd / 2) ||theta||^2
// The network itself runs in float (theta is rounded to float to evaluate);
// sums over chunks and the weight-decay term are in double.  The model is a
// private copy: the caller's (a trainer's) model is never touched.
class ModelObjective {
 public:
  // spec/params: the architecture and its current parameters (num_params floats).
  // loss: not owned, must outlive this (reserve() is called here).  x (n, dim),
  // y (n,) are copied; chunk rows per forward pass.  Returns false with error()
  // when the spec does not build.
  bool init(const ModelSpec& spec, const float* params, Loss& loss, const float* x, const int* y, int n, int chunk,
            double weight_decay);
  const std::string& error() const { return error_; }

  int num_params() const { return model_.num_params(); }
  int rows() const { return n_; }
  // The parameters given to init, as double (the natural centre point).
  const std::vector<double>& initial_point() const { return theta0_; }
  double value(const double* theta);
  void gradient(const double* theta, double* grad);
  // Accuracy (fraction of rows whose argmax logit is the label) at theta.
  double accuracy(const double* theta);
  GradientFn gradient_fn() {
    return [this](const double* t, double* g) { gradient(t, g); };
  }
  ObjectiveFn value_fn() {
    return [this](const double* t) { return value(t); };
  }
  Model& model() { return model_; }

 private:
  void load(const double* theta);
  Model model_;
  Loss* loss_ = nullptr;
  std::vector<float> x_, dlogits_;
  std::vector<int> y_;
  std::vector<double> theta0_;
  int n_ = 0, dim_ = 0, chunk_ = 1, classes_ = 0;
  double weight_decay_ = 0;
  std::string error_;
};

// The same objective for an MLP - linear layers (with or without bias) and
// tanh / relu / sigmoid activations - with softmax cross-entropy, evaluated
// entirely in double (exp/log from detmath, so bit-identical native and wasm).
// Its gradient is exact to ~1e-15 relative, so GradientHvp with kDoubleStep
// gives products to ~1e-9: the noise floor of a float network's products
// (~1e-3 of ||H||) would hide the small eigenvalues that decide LLA's Kh.
//   f(theta) = (1/n) sum_i CE(mlp_theta(x_i), y_i) + (wd / 2) ||theta||^2
// The parameter layout is nn::Model's, so theta moves between the two as is.
class MlpObjective {
 public:
  // Returns false with error() for a spec with other layers or image input.
  bool init(const ModelSpec& spec, const float* params, const float* x, const int* y, int n, double weight_decay);
  const std::string& error() const { return error_; }
  int num_params() const { return num_params_; }
  int rows() const { return n_; }
  const std::vector<double>& initial_point() const { return theta0_; }
  double value(const double* theta);
  void gradient(const double* theta, double* grad);
  double accuracy(const double* theta);
  GradientFn gradient_fn() {
    return [this](const double* t, double* g) { gradient(t, g); };
  }
  ObjectiveFn value_fn() {
    return [this](const double* t) { return value(t); };
  }

 private:
  struct Layer {
    LayerKind kind;
    int in = 0, out = 0, offset = 0;  // linear: W (out, in) at offset, then b (out,) when bias
    bool bias = false;
  };
  double forward(const double* theta);  // fills acts_, returns the mean CE (no decay)
  std::vector<Layer> layers_;
  std::vector<std::vector<double>> acts_;  // per layer: (n, out); acts_[0] is the input
  std::vector<std::vector<double>> grads_;  // per layer: d loss / d output, (n, out)
  std::vector<double> x_, theta0_;
  std::vector<int> y_;
  int n_ = 0, num_params_ = 0, classes_ = 0;
  double weight_decay_ = 0;
  std::string error_;
};

// The full Hessian (n, n) row-major from n products with the unit vectors,
// symmetrized as (H + H^T) / 2.  For small models only (n products).
void dense_hessian(const LinearOperator& H, int n, double* out);
// One column block of it: columns [first, first + count) into out (count, n)
// (row j = H e_(first + j)), so a lesson can spread the work over frames.
void dense_hessian_columns(const LinearOperator& H, int n, int first, int count, double* out);

// Eigen-decomposition of a symmetric A (n, n) row-major: values (n,)
// ascending; vectors (n, n) row-major with eigenvector k in COLUMN k (may be
// null).  Deterministic (scalar Eigen).
void symmetric_eigen(const double* A, int n, double* values, double* vectors);

// ------------------------------------------------------------------ traces
struct TraceEstimate {
  double trace = 0;
  double std_error = 0;  // sample std of the per-probe estimates / sqrt(probes) (Hutchinson only)
  int matvecs = 0;
};

// tr(A) ~ (1/m) sum_k z_k^T A z_k, z_k with independent +-1 entries
// (Hutchinson, 1990): unbiased, variance 2 (||A||_F^2 - sum_i A_ii^2) / m.
TraceEstimate hutchinson_trace(const LinearOperator& A, int n, int probes, pg::Rng& rng);

// Hutch++ with `matvecs` products (Meyer et al., 2021, Algorithm 1): S, G with
// m/3 Rademacher columns each; Q = orth(A S); tr(A) ~ tr(Q^T A Q) +
// (3/m) tr(G^T (I - QQ^T) A (I - QQ^T) G).  Exact when rank(A) <= m/3.
TraceEstimate hutchpp_trace(const LinearOperator& A, int n, int matvecs, pg::Rng& rng);

// ----------------------------------------------------------------- Lanczos
struct LanczosResult {
  int steps = 0;                   // k actually taken (stops early on an invariant subspace)
  std::vector<double> alpha, beta; // T's diagonal (k,) and off-diagonal (k - 1,)
  std::vector<double> ritz_values; // (k,) ascending: eigenvalues of T
  std::vector<double> weights;     // (k,) squared first components of T's eigenvectors (sum 1)
  std::vector<double> basis;       // (k, n) orthonormal Lanczos vectors (when kept)
  std::vector<double> ritz_vectors;// (k, n): row j is the Ritz vector of ritz_values[j] (when kept)
};

// The same iteration one matrix-vector product at a time, so a lesson can
// spread it over frames:  it.init(n, k, rng);  while (it.step(A)) {}  it.finish();
class LanczosIteration {
 public:
  // Start vector v0 (n,) (normalized here; null: Gaussian from rng).
  void init(int n, int k, pg::Rng& rng, const double* v0 = nullptr);
  // One product and one orthogonalization; returns false once k steps are done
  // (or an invariant subspace was found), true while more remain.
  bool step(const LinearOperator& A);
  bool finished() const { return finished_; }
  int steps() const { return int(alpha_.size()); }
  // T's eigen-decomposition; keep_vectors: basis and Ritz vectors too.
  LanczosResult finish(bool keep_vectors = true);

 private:
  int n_ = 0, k_ = 0;
  bool finished_ = false;
  std::vector<double> V_, w_, alpha_, beta_;
};

// k Lanczos steps on A from start vector v0 (n,) (normalized here; null:
// Gaussian from rng), with full reorthogonalization against every earlier
// vector (twice, modified Gram-Schmidt), so the Ritz values have no ghost
// copies.  keep_vectors: also the basis and the Ritz vectors (k n doubles).
// The extreme Ritz values converge first (Kaniel-Paige): ritz_values.back()
// ~ lambda_max and ritz_values.front() ~ lambda_min.
LanczosResult lanczos(const LinearOperator& A, int n, int k, pg::Rng& rng, const double* v0 = nullptr,
                      bool keep_vectors = true);

// Stochastic Lanczos quadrature: `runs` independent Lanczos runs of k steps
// from Gaussian start vectors.  For each run r the spectral density is
// approximated by sum_j weights[r][j] delta(lambda - nodes[r][j]), so
// (1/n) tr f(A) ~ sum_j w_j f(theta_j).
struct SpectrumEstimate {
  std::vector<std::vector<double>> nodes, weights;  // (runs, k_r)
};
SpectrumEstimate slq_spectrum(const LinearOperator& A, int n, int k, int runs, pg::Rng& rng);

// ------------------------------------------------------ loss landscapes
// How a random direction is scaled to the network (Li, Xu, Taylor, Studer &
// Goldstein, 2018, "Visualizing the loss landscape of neural nets", sec. 4):
//   filter  each output unit's incoming weights d_o <- d_o ||theta_o|| / ||d_o||
//   layer   each weight tensor d_W <- d_W ||theta_W|| / ||d_W||
//   none    raw N(0, 1) entries
// Biases (and norm-layer parameters) get d = 0 for filter and layer, as in Li
// et al.'s default of ignoring them.
enum class DirectionNorm { filter, layer, none };
// d (num_params,) for `model`'s layers at parameters theta (num_params,).
void random_direction(const Model& model, const double* theta, DirectionNorm norm, pg::Rng& rng, double* d);

// max over the filters of `model`'s linear layers of | ||d_f|| - ||theta_f|| | / ||theta_f||
// (0 for a filter-normalized d; filters with theta_f = 0 are skipped).
double filter_norm_error(const Model& model, const double* theta, const double* d);

// One row of a 2-D landscape: out[i] = f(theta + a[i] d1 + b d2) for i < count;
// scratch holds n doubles.
void landscape_row(const ObjectiveFn& f, const double* theta, const double* d1, const double* d2, int n,
                   const double* a, int count, double b, double* out, double* scratch);

// ------------------------------------------------- LLA's Hessian criteria
// From "Investigating generalization capabilities of neural networks by means
// of loss landscapes and Hessian analysis" (LLA, 2024; src_lla/hessian/viz.py
// hessian_criteria), per run and then averaged over runs:
//   re   = |min_j theta_j / max_j theta_j|
//   Kh_p = |sum_{theta<0} |theta w|^p / sum_{theta>0} (theta w)^p|,  p = 0.5 by default
// Kh = 0 when every node is positive; re does not vanish then.
struct HessianCriteria {
  double re = 0, kh = 0;
};
HessianCriteria hessian_criteria(const SpectrumEstimate& spectrum, double power = 0.5);
// The same for one exact spectrum with equal weights 1/n (the dense case).
HessianCriteria hessian_criteria(const double* eigenvalues, int n, double power = 0.5);

// Gaussian-smoothed density on a grid: density[i] = sum_r sum_j w_rj N(x_i;
// theta_rj, sigma^2) / runs, for x (bins,); as LLA's density_plot (before its
// normalization to unit area).
void spectral_density(const SpectrumEstimate& spectrum, const double* x, int bins, double sigma, double* density);

}  // namespace nn
