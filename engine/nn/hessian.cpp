// hessian.cpp - see hessian.h.
#include "engine/nn/hessian.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>

namespace nn {
namespace {

double dot(const double* a, const double* b, int n) {
  double s = 0.0;
  for (int i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}

double norm(const double* a, int n) { return std::sqrt(dot(a, a, n)); }

void rademacher(double* z, int n, pg::Rng& rng) {
  for (int i = 0; i < n; ++i) z[i] = (rng.next_u64() >> 63) ? 1.0 : -1.0;
}

// Orthonormalizes the columns of M (n, m) row-major in place (modified
// Gram-Schmidt, twice for stability); columns that fall below 1e-12 of their
// original norm (dependent) become 0.  Returns the number kept nonzero.
int orthonormalize_columns(double* M, int n, int m) {
  int kept = 0;
  for (int j = 0; j < m; ++j) {
    double original = 0.0;
    for (int i = 0; i < n; ++i) original += M[i * m + j] * M[i * m + j];
    original = std::sqrt(original);
    for (int pass = 0; pass < 2; ++pass)
      for (int k = 0; k < j; ++k) {
        double c = 0.0;
        for (int i = 0; i < n; ++i) c += M[i * m + k] * M[i * m + j];
        for (int i = 0; i < n; ++i) M[i * m + j] -= c * M[i * m + k];
      }
    double len = 0.0;
    for (int i = 0; i < n; ++i) len += M[i * m + j] * M[i * m + j];
    len = std::sqrt(len);
    const bool keep = len > 1e-12 * original && len > 0.0;
    for (int i = 0; i < n; ++i) M[i * m + j] = keep ? M[i * m + j] / len : 0.0;
    kept += keep;
  }
  return kept;
}

}  // namespace

// ------------------------------------------------------------ GradientHvp
void GradientHvp::init(int n, GradientFn gradient, double step) {
  n_ = n;
  step_ = step;
  gradient_ = std::move(gradient);
  theta_.assign(size_t(n), 0.0);
  shifted_.assign(size_t(n), 0.0);
  g_plus_.assign(size_t(n), 0.0);
  g_minus_.assign(size_t(n), 0.0);
  calls_ = 0;
}

void GradientHvp::set_point(const double* theta) { std::copy(theta, theta + n_, theta_.begin()); }

void GradientHvp::apply(const double* v, double* hv) {
  const double len = norm(v, n_);
  if (!(len > 0.0)) {
    std::fill(hv, hv + n_, 0.0);
    return;
  }
  const double h = step_ / len;  // theta +- h v moves by step_ in parameter space
  for (int i = 0; i < n_; ++i) shifted_[i] = theta_[i] + h * v[i];
  gradient_(shifted_.data(), g_plus_.data());
  for (int i = 0; i < n_; ++i) shifted_[i] = theta_[i] - h * v[i];
  gradient_(shifted_.data(), g_minus_.data());
  calls_ += 2;
  const double inv = 1.0 / (2.0 * h);
  for (int i = 0; i < n_; ++i) hv[i] = (g_plus_[i] - g_minus_[i]) * inv;
}

// --------------------------------------------------------- ModelObjective
bool ModelObjective::init(const ModelSpec& spec, const float* params, Loss& loss, const float* x, const int* y, int n,
                          int chunk, double weight_decay) {
  error_.clear();
  chunk_ = std::max(1, std::min(chunk, n));
  pg::Rng unused(1);
  if (!model_.init(spec, chunk_, unused)) {
    error_ = model_.error();
    return false;
  }
  std::copy(params, params + model_.num_params(), model_.params());
  loss_ = &loss;
  n_ = n;
  dim_ = model_.input_size();
  classes_ = model_.output_size();
  loss.reserve(chunk_, classes_);
  x_.assign(x, x + size_t(n) * dim_);
  y_.assign(y, y + n);
  dlogits_.assign(size_t(chunk_) * classes_, 0.0f);
  theta0_.assign(params, params + model_.num_params());
  weight_decay_ = weight_decay;
  return true;
}

void ModelObjective::load(const double* theta) {
  float* p = model_.params();
  for (int i = 0, P = model_.num_params(); i < P; ++i) p[i] = float(theta[i]);
}

double ModelObjective::value(const double* theta) {
  load(theta);
  double total = 0.0;
  for (int start = 0; start < n_; start += chunk_) {
    const int B = std::min(chunk_, n_ - start);
    const float* logits = model_.forward(&x_[size_t(start) * dim_], B);
    total += double(loss_->forward(logits, &y_[start], B, classes_)) * B;
  }
  double f = total / n_;
  if (weight_decay_ != 0.0) f += 0.5 * weight_decay_ * dot(theta, theta, model_.num_params());
  return f;
}

void ModelObjective::gradient(const double* theta, double* grad) {
  load(theta);
  model_.zero_grad();
  for (int start = 0; start < n_; start += chunk_) {
    const int B = std::min(chunk_, n_ - start);
    const float* logits = model_.forward(&x_[size_t(start) * dim_], B);
    loss_->forward(logits, &y_[start], B, classes_);
    loss_->backward(logits, &y_[start], B, classes_, dlogits_.data());
    // d(mean over the chunk) -> d(mean over all n rows)
    const float share = float(B) / float(n_);
    for (int i = 0; i < B * classes_; ++i) dlogits_[i] *= share;
    model_.backward(dlogits_.data());
  }
  const float* g = model_.grads();
  for (int i = 0, P = model_.num_params(); i < P; ++i) grad[i] = double(g[i]) + weight_decay_ * theta[i];
}

double ModelObjective::accuracy(const double* theta) {
  load(theta);
  int correct = 0;
  for (int start = 0; start < n_; start += chunk_) {
    const int B = std::min(chunk_, n_ - start);
    const float* logits = model_.forward(&x_[size_t(start) * dim_], B);
    for (int b = 0; b < B; ++b) correct += argmax_row(logits + size_t(b) * classes_, classes_) == y_[start + b];
  }
  return n_ > 0 ? double(correct) / n_ : 0.0;
}

// ----------------------------------------------------------- MlpObjective
namespace {
// e^x for |x| <= 40 from + - * only (bit-identical everywhere), ~1 ulp: x = k ln2 + r,
// |r| <= ln2 / 2, Taylor to r^13 by Horner with exact reciprocal constants
// (detmath::exp divides in its loop; this runs in the hot loops below).
double exp_small(double x) {
  const double inv_ln2 = 1.44269504088896338700, magic = 6755399441055744.0;
  const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
  const double k = (x * inv_ln2 + magic) - magic;
  const double r = (x - k * ln2_hi) - k * ln2_lo;
  static const double inv_fact[14] = {1.0, 1.0, 1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720, 1.0 / 5040,
                                      1.0 / 40320, 1.0 / 362880, 1.0 / 3628800, 1.0 / 39916800, 1.0 / 479001600,
                                      1.0 / 6227020800.0};
  double p = inv_fact[13];
  for (int i = 12; i >= 0; --i) p = p * r + inv_fact[i];
  uint64_t bits = uint64_t(int64_t(k) + 1023) << 52;
  double scale;
  std::memcpy(&scale, &bits, 8);
  return p * scale;
}
double tanh_d(double x) {  // 1 - 2 / (e^(2x) + 1), saturated beyond |x| = 20 (1 - tanh < 1e-17)
  if (x > 20.0) return 1.0;
  if (x < -20.0) return -1.0;
  return 1.0 - 2.0 / (exp_small(2.0 * x) + 1.0);
}
double sigmoid_d(double x) {
  if (x > 40.0) return 1.0;
  if (x < -40.0) return detmath::exp(x);
  return x >= 0 ? 1.0 / (1.0 + exp_small(-x)) : 1.0 - 1.0 / (1.0 + exp_small(x));
}
}  // namespace

bool MlpObjective::init(const ModelSpec& spec, const float* params, const float* x, const int* y, int n,
                        double weight_decay) {
  error_.clear();
  layers_.clear();
  if (spec.input.height != 1 || spec.input.width != 1) {
    error_ = "MlpObjective: vector input only";
    return false;
  }
  int width = spec.input.size(), offset = 0;
  for (const LayerSpec& l : spec.layers) {
    Layer L;
    L.kind = l.kind, L.in = width, L.offset = offset;
    if (l.kind == LayerKind::linear) {
      L.out = l.units, L.bias = l.bias;
      offset += L.out * L.in + (L.bias ? L.out : 0);
    } else if (l.kind == LayerKind::tanh || l.kind == LayerKind::relu || l.kind == LayerKind::sigmoid) {
      L.out = width;
    } else {
      error_ = std::string("MlpObjective: unsupported layer ") + layer_kind_name(l.kind);
      return false;
    }
    width = L.out;
    layers_.push_back(L);
  }
  num_params_ = offset;
  classes_ = width;
  n_ = n;
  x_.assign(x, x + size_t(n) * spec.input.size());
  y_.assign(y, y + n);
  theta0_.assign(params, params + num_params_);
  weight_decay_ = weight_decay;
  acts_.assign(layers_.size() + 1, {});
  grads_.assign(layers_.size() + 1, {});
  acts_[0] = x_;
  grads_[0].assign(x_.size(), 0.0);
  for (size_t i = 0; i < layers_.size(); ++i) {
    acts_[i + 1].assign(size_t(n) * layers_[i].out, 0.0);
    grads_[i + 1].assign(size_t(n) * layers_[i].out, 0.0);
  }
  return true;
}

double MlpObjective::forward(const double* theta) {
  for (size_t l = 0; l < layers_.size(); ++l) {
    const Layer& L = layers_[l];
    const double* in = acts_[l].data();
    double* out = acts_[l + 1].data();
    if (L.kind == LayerKind::linear) {
      const double* W = theta + L.offset;
      const double* b = L.bias ? W + size_t(L.out) * L.in : nullptr;
      for (int s = 0; s < n_; ++s)
        for (int o = 0; o < L.out; ++o) {
          double a = b ? b[o] : 0.0;
          for (int i = 0; i < L.in; ++i) a += W[size_t(o) * L.in + i] * in[size_t(s) * L.in + i];
          out[size_t(s) * L.out + o] = a;
        }
    } else {
      for (size_t i = 0, m = size_t(n_) * L.out; i < m; ++i)
        out[i] = L.kind == LayerKind::tanh ? tanh_d(in[i]) : L.kind == LayerKind::relu ? (in[i] > 0 ? in[i] : 0.0)
                                                                                         : sigmoid_d(in[i]);
    }
  }
  // Mean softmax cross-entropy; the last gradient slot holds softmax - onehot over n.
  const double* z = acts_.back().data();
  double* dz = grads_.back().data();
  double total = 0.0;
  for (int s = 0; s < n_; ++s) {
    const double* zs = z + size_t(s) * classes_;
    double mx = zs[0];
    for (int c = 1; c < classes_; ++c) mx = std::max(mx, zs[c]);
    double se = 0.0;
    for (int c = 0; c < classes_; ++c) se += detmath::exp(zs[c] - mx);
    total += detmath::log(se) + mx - zs[y_[s]];
    for (int c = 0; c < classes_; ++c)
      dz[size_t(s) * classes_ + c] = (detmath::exp(zs[c] - mx) / se - (c == y_[s] ? 1.0 : 0.0)) / n_;
  }
  return total / n_;
}

double MlpObjective::value(const double* theta) {
  double f = forward(theta);
  if (weight_decay_ != 0.0) f += 0.5 * weight_decay_ * dot(theta, theta, num_params_);
  return f;
}

void MlpObjective::gradient(const double* theta, double* grad) {
  forward(theta);
  for (int i = 0; i < num_params_; ++i) grad[i] = weight_decay_ * theta[i];
  for (size_t l = layers_.size(); l-- > 0;) {
    const Layer& L = layers_[l];
    const double* in = acts_[l].data();
    const double* out = acts_[l + 1].data();
    const double* dout = grads_[l + 1].data();
    double* din = grads_[l].data();
    if (L.kind == LayerKind::linear) {
      const double* W = theta + L.offset;
      double* gW = grad + L.offset;
      double* gb = L.bias ? gW + size_t(L.out) * L.in : nullptr;
      std::fill(din, din + size_t(n_) * L.in, 0.0);
      for (int s = 0; s < n_; ++s)
        for (int o = 0; o < L.out; ++o) {
          const double d = dout[size_t(s) * L.out + o];
          if (gb) gb[o] += d;
          for (int i = 0; i < L.in; ++i) {
            gW[size_t(o) * L.in + i] += d * in[size_t(s) * L.in + i];
            din[size_t(s) * L.in + i] += d * W[size_t(o) * L.in + i];
          }
        }
    } else {
      for (size_t i = 0, m = size_t(n_) * L.out; i < m; ++i) {
        const double y = out[i];
        const double local = L.kind == LayerKind::tanh ? 1.0 - y * y : L.kind == LayerKind::relu ? (in[i] > 0 ? 1.0 : 0.0)
                                                                                                 : y * (1.0 - y);
        din[i] = dout[i] * local;
      }
    }
  }
}

double MlpObjective::accuracy(const double* theta) {
  forward(theta);
  const double* z = acts_.back().data();
  int correct = 0;
  for (int s = 0; s < n_; ++s) {
    const double* zs = z + size_t(s) * classes_;
    int best = 0;
    for (int c = 1; c < classes_; ++c)
      if (zs[c] > zs[best]) best = c;
    correct += best == y_[s];
  }
  return n_ > 0 ? double(correct) / n_ : 0.0;
}

// ------------------------------------------------------- dense and eigen
void dense_hessian_columns(const LinearOperator& H, int n, int first, int count, double* out) {
  std::vector<double> e(size_t(n), 0.0);
  for (int j = 0; j < count; ++j) {
    e[first + j] = 1.0;
    H(e.data(), out + size_t(j) * n);
    e[first + j] = 0.0;
  }
}

void dense_hessian(const LinearOperator& H, int n, double* out) {
  dense_hessian_columns(H, n, 0, n, out);
  for (int i = 0; i < n; ++i)
    for (int j = i + 1; j < n; ++j) {
      const double s = 0.5 * (out[size_t(i) * n + j] + out[size_t(j) * n + i]);
      out[size_t(i) * n + j] = out[size_t(j) * n + i] = s;
    }
}

void symmetric_eigen(const double* A, int n, double* values, double* vectors) {
  using Mat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  Eigen::Map<const Mat> M(A, n, n);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(Eigen::MatrixXd(M),
                                                        vectors ? Eigen::ComputeEigenvectors : Eigen::EigenvaluesOnly);
  for (int i = 0; i < n; ++i) values[i] = solver.eigenvalues()[i];
  if (vectors) Eigen::Map<Mat>(vectors, n, n) = solver.eigenvectors();
}

// ----------------------------------------------------------------- traces
TraceEstimate hutchinson_trace(const LinearOperator& A, int n, int probes, pg::Rng& rng) {
  TraceEstimate out;
  if (probes <= 0 || n <= 0) return out;
  std::vector<double> z(static_cast<size_t>(n)), az(static_cast<size_t>(n));
  double sum = 0.0, sum_sq = 0.0;
  for (int k = 0; k < probes; ++k) {
    rademacher(z.data(), n, rng);
    A(z.data(), az.data());
    const double q = dot(z.data(), az.data(), n);
    sum += q, sum_sq += q * q;
  }
  out.trace = sum / probes;
  out.matvecs = probes;
  if (probes > 1) {
    const double var = std::max(0.0, (sum_sq - probes * out.trace * out.trace) / (probes - 1));
    out.std_error = std::sqrt(var / probes);
  }
  return out;
}

TraceEstimate hutchpp_trace(const LinearOperator& A, int n, int matvecs, pg::Rng& rng) {
  TraceEstimate out;
  const int m = std::max(1, matvecs / 3);
  if (n <= 0) return out;
  // Q (n, m) = orth(A S): S's columns are Rademacher.
  std::vector<double> Q(size_t(n) * m), s(static_cast<size_t>(n)), as(static_cast<size_t>(n));
  for (int j = 0; j < m; ++j) {
    rademacher(s.data(), n, rng);
    A(s.data(), as.data());
    for (int i = 0; i < n; ++i) Q[size_t(i) * m + j] = as[i];
  }
  orthonormalize_columns(Q.data(), n, m);
  // tr(Q^T A Q)
  double top = 0.0;
  std::vector<double> q(static_cast<size_t>(n)), aq(static_cast<size_t>(n));
  for (int j = 0; j < m; ++j) {
    for (int i = 0; i < n; ++i) q[i] = Q[size_t(i) * m + j];
    A(q.data(), aq.data());
    top += dot(q.data(), aq.data(), n);
  }
  // Hutchinson on the deflated operator (I - QQ^T) A (I - QQ^T) with m probes.
  double rest = 0.0;
  std::vector<double> c(static_cast<size_t>(m));
  for (int k = 0; k < m; ++k) {
    rademacher(s.data(), n, rng);
    for (int j = 0; j < m; ++j) c[j] = 0.0;
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < m; ++j) c[j] += Q[size_t(i) * m + j] * s[i];
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < m; ++j) s[i] -= Q[size_t(i) * m + j] * c[j];
    A(s.data(), as.data());
    rest += dot(s.data(), as.data(), n);  // s is already projected, so s^T A s = g^T P A P g
  }
  out.trace = top + rest / m;
  out.matvecs = 3 * m;
  return out;
}

// ---------------------------------------------------------------- Lanczos
void LanczosIteration::init(int n, int k, pg::Rng& rng, const double* v0) {
  n_ = n;
  k_ = std::max(1, std::min(k, n));
  finished_ = false;
  alpha_.clear(), beta_.clear();
  alpha_.reserve(size_t(k_)), beta_.reserve(size_t(k_));
  V_.assign(size_t(k_) * n, 0.0);
  w_.assign(size_t(n), 0.0);
  double* v = V_.data();
  if (v0) std::copy(v0, v0 + n, v);
  else
    for (int i = 0; i < n; ++i) v[i] = rng.normal();
  double len = norm(v, n);
  if (!(len > 0.0)) {  // a zero start: use e_0
    std::fill(v, v + n, 0.0);
    v[0] = len = 1.0;
  }
  for (int i = 0; i < n; ++i) v[i] /= len;
}

bool LanczosIteration::step(const LinearOperator& A) {
  if (finished_) return false;
  const int n = n_, j = steps();
  const double* vj = &V_[size_t(j) * n];
  A(vj, w_.data());
  const double a = dot(vj, w_.data(), n);
  alpha_.push_back(a);
  if (j + 1 == k_) {
    finished_ = true;
    return false;
  }
  // w -= a v_j + b v_(j-1), then full reorthogonalization, twice.
  for (int i = 0; i < n; ++i) w_[i] -= a * vj[i];
  if (j > 0) {
    const double* vp = &V_[size_t(j - 1) * n];
    for (int i = 0; i < n; ++i) w_[i] -= beta_.back() * vp[i];
  }
  for (int pass = 0; pass < 2; ++pass)
    for (int t = 0; t <= j; ++t) {
      const double* vt = &V_[size_t(t) * n];
      const double c = dot(vt, w_.data(), n);
      for (int i = 0; i < n; ++i) w_[i] -= c * vt[i];
    }
  const double b = norm(w_.data(), n);
  const double scale = std::fabs(a) + (j > 0 ? beta_.back() : 0.0);
  if (!(b > 1e-10 * std::max(scale, 1e-300))) {  // invariant subspace: T's eigenvalues are exact
    finished_ = true;
    return false;
  }
  beta_.push_back(b);
  double* vn = &V_[size_t(j + 1) * n];
  for (int i = 0; i < n; ++i) vn[i] = w_[i] / b;
  return true;
}

LanczosResult LanczosIteration::finish(bool keep_vectors) {
  LanczosResult r;
  const int steps = this->steps(), n = n_;
  r.steps = steps;
  r.alpha = alpha_;
  r.beta.assign(beta_.begin(), beta_.begin() + std::max(0, steps - 1));
  if (steps == 0) return r;
  Eigen::VectorXd diag(steps), sub(std::max(0, steps - 1));
  for (int j = 0; j < steps; ++j) diag[j] = alpha_[j];
  for (int j = 0; j + 1 < steps; ++j) sub[j] = beta_[j];
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver;
  solver.computeFromTridiagonal(diag, sub, Eigen::ComputeEigenvectors);
  r.ritz_values.resize(steps);
  r.weights.resize(steps);
  for (int j = 0; j < steps; ++j) {
    r.ritz_values[j] = solver.eigenvalues()[j];
    const double first = solver.eigenvectors()(0, j);
    r.weights[j] = first * first;
  }
  if (keep_vectors) {
    r.ritz_vectors.assign(size_t(steps) * n, 0.0);
    for (int j = 0; j < steps; ++j) {
      double* out = &r.ritz_vectors[size_t(j) * n];
      for (int t = 0; t < steps; ++t) {
        const double c = solver.eigenvectors()(t, j);
        const double* vt = &V_[size_t(t) * n];
        for (int i = 0; i < n; ++i) out[i] += c * vt[i];
      }
    }
    r.basis.assign(V_.begin(), V_.begin() + size_t(steps) * n);
  }
  return r;
}

LanczosResult lanczos(const LinearOperator& A, int n, int k, pg::Rng& rng, const double* v0, bool keep_vectors) {
  LanczosIteration it;
  it.init(n, k, rng, v0);
  while (it.step(A)) {
  }
  return it.finish(keep_vectors);
}

SpectrumEstimate slq_spectrum(const LinearOperator& A, int n, int k, int runs, pg::Rng& rng) {
  SpectrumEstimate s;
  for (int r = 0; r < runs; ++r) {
    LanczosResult l = lanczos(A, n, k, rng, nullptr, false);
    s.nodes.push_back(std::move(l.ritz_values));
    s.weights.push_back(std::move(l.weights));
  }
  return s;
}

// ------------------------------------------------------ loss landscapes
void random_direction(const Model& model, const double* theta, DirectionNorm how, pg::Rng& rng, double* d) {
  const int P = model.num_params();
  for (int i = 0; i < P; ++i) d[i] = rng.normal();
  if (how == DirectionNorm::none) return;
  std::vector<bool> is_weight(static_cast<size_t>(P), false);
  for (int l = 0; l < model.num_layers(); ++l) {
    const LayerSpec& spec = model.layer_spec(l);
    const int off = model.param_offset(l), count = model.param_count(l);
    if (count == 0) continue;
    const bool has_weight_matrix = spec.kind == LayerKind::linear || spec.kind == LayerKind::cosine_linear ||
                                   spec.kind == LayerKind::conv2d || spec.kind == LayerKind::embedding;
    if (!has_weight_matrix) continue;
    // Weights first (rows = output units / filters / embedding rows), then the bias.
    const int rows = spec.kind == LayerKind::embedding ? spec.vocab : spec.units;
    const int bias = spec.kind == LayerKind::linear || spec.kind == LayerKind::conv2d ? (spec.bias ? spec.units : 0) : 0;
    const int weights = count - bias, per_row = rows > 0 ? weights / rows : 0;
    for (int i = off; i < off + weights; ++i) is_weight[i] = true;
    auto rescale = [&](int first, int len) {
      double nd = 0.0, nt = 0.0;
      for (int i = first; i < first + len; ++i) nd += d[i] * d[i], nt += theta[i] * theta[i];
      const double f = nd > 0.0 ? std::sqrt(nt / nd) : 0.0;
      for (int i = first; i < first + len; ++i) d[i] *= f;
    };
    if (how == DirectionNorm::filter && per_row > 0)
      for (int r = 0; r < rows; ++r) rescale(off + r * per_row, per_row);
    else
      rescale(off, weights);
  }
  for (int i = 0; i < P; ++i)
    if (!is_weight[i]) d[i] = 0.0;
}

double filter_norm_error(const Model& model, const double* theta, const double* d) {
  double worst = 0.0;
  for (int l = 0; l < model.num_layers(); ++l) {
    if (model.layer_spec(l).kind != LayerKind::linear) continue;
    const int units = model.layer_spec(l).units, in = model.layer_input_shape(l).size(), off = model.param_offset(l);
    for (int o = 0; o < units; ++o) {
      const int first = off + o * in;
      const double nd = norm(d + first, in), nt = norm(theta + first, in);
      if (nt > 0.0) worst = std::max(worst, std::fabs(nd - nt) / nt);
    }
  }
  return worst;
}

void landscape_row(const ObjectiveFn& f, const double* theta, const double* d1, const double* d2, int n,
                   const double* a, int count, double b, double* out, double* scratch) {
  for (int c = 0; c < count; ++c) {
    for (int i = 0; i < n; ++i) scratch[i] = theta[i] + a[c] * d1[i] + b * d2[i];
    out[c] = f(scratch);
  }
}

// ------------------------------------------------------------ criteria
namespace {
HessianCriteria criteria_of(const double* nodes, const double* weights, double uniform_weight, int count,
                            double power) {
  HessianCriteria c;
  if (count <= 0) return c;
  double lo = nodes[0], hi = nodes[0];
  for (int j = 1; j < count; ++j) lo = std::min(lo, nodes[j]), hi = std::max(hi, nodes[j]);
  c.re = hi != 0.0 ? std::fabs(lo / hi) : INFINITY;
  double pos = 0.0, neg = 0.0;
  for (int j = 0; j < count; ++j) {
    const double lw = std::fabs(nodes[j] * (weights ? weights[j] : uniform_weight));
    // power 0.5 (the default) is a square root: exact and the same everywhere.
    const double term = power == 0.5 ? std::sqrt(lw) : (lw > 0 ? detmath::exp(power * detmath::log(lw)) : 0.0);
    if (nodes[j] > 0) pos += term;
    else if (nodes[j] < 0) neg += term;
  }
  c.kh = pos > 0.0 ? neg / pos : (neg > 0.0 ? INFINITY : 0.0);
  return c;
}
}  // namespace

HessianCriteria hessian_criteria(const SpectrumEstimate& spectrum, double power) {
  HessianCriteria mean;
  const int runs = int(spectrum.nodes.size());
  for (int r = 0; r < runs; ++r) {
    const HessianCriteria c =
        criteria_of(spectrum.nodes[r].data(), spectrum.weights[r].data(), 0.0, int(spectrum.nodes[r].size()), power);
    mean.re += c.re / runs;
    mean.kh += c.kh / runs;
  }
  return mean;
}

HessianCriteria hessian_criteria(const double* eigenvalues, int n, double power) {
  return criteria_of(eigenvalues, nullptr, n > 0 ? 1.0 / n : 0.0, n, power);
}

void spectral_density(const SpectrumEstimate& spectrum, const double* x, int bins, double sigma, double* density) {
  const int runs = int(spectrum.nodes.size());
  const double inv_norm = 1.0 / (std::sqrt(2.0 * 3.14159265358979323846) * sigma);
  for (int i = 0; i < bins; ++i) {
    double s = 0.0;
    for (int r = 0; r < runs; ++r)
      for (size_t j = 0; j < spectrum.nodes[r].size(); ++j) {
        const double d = (x[i] - spectrum.nodes[r][j]) / sigma;
        s += spectrum.weights[r][j] * detmath::exp(-0.5 * d * d) * inv_norm;
      }
    density[i] = runs > 0 ? s / runs : 0.0;
  }
}

}  // namespace nn
