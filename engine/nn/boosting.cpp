// boosting.cpp - GBNN (see boosting.h).  Equations follow GAA-UAM/GBNN gbnn/GBNN.py.
#include "engine/nn/boosting.h"

#include <algorithm>
#include <cmath>

namespace nn {
namespace boost {

double sigmoid(double x) {
  if (x >= 0.0) return 1.0 / (1.0 + detmath::exp(-x));
  const double e = detmath::exp(x);
  return e / (1.0 + e);
}

void sigmoid_net_init(SigmoidNet& net, int in, int hidden, int out, pg::Rng& rng) {
  net.in = in, net.hidden = hidden, net.out = out;
  net.p.assign(size_t(net.num_params()), 0.0);
  // sklearn MLP, activation 'logistic': U(-b, b), b = sqrt(2 / (fan_in + fan_out)), biases too.
  const double b1 = std::sqrt(2.0 / double(in + hidden)), b2 = std::sqrt(2.0 / double(hidden + out));
  for (int i = 0; i < hidden * in + hidden; ++i) net.p[size_t(i)] = rng.uniform(-b1, b1);
  for (int i = hidden * in + hidden; i < net.num_params(); ++i) net.p[size_t(i)] = rng.uniform(-b2, b2);
}

// hid = sigmoid(x W1^T + b1), y = hid W2^T + b2.  x is (n, in).
void sigmoid_net_forward(const SigmoidNet& net, const double* x, int n, double* hid, double* y) {
  const double *w1 = net.w1(), *b1 = net.b1(), *w2 = net.w2(), *b2 = net.b2();
  for (int i = 0; i < n; ++i) {
    const double* xi = x + size_t(i) * net.in;
    double* hi = hid + size_t(i) * net.hidden;
    for (int j = 0; j < net.hidden; ++j) {
      double a = b1[j];
      for (int k = 0; k < net.in; ++k) a += w1[j * net.in + k] * xi[k];
      hi[j] = sigmoid(a);
    }
    for (int o = 0; o < net.out; ++o) {
      double a = b2[o];
      for (int j = 0; j < net.hidden; ++j) a += w2[o * net.hidden + j] * hi[j];
      y[size_t(i) * net.out + o] = a;
    }
  }
}

void sigmoid_net_backward(const SigmoidNet& net, const double* x, const double* hid, const double* dy, int n,
                          double* grad, double* dhid) {
  const int H = net.hidden, D = net.in, O = net.out;
  std::fill(grad, grad + net.num_params(), 0.0);
  double *gw1 = grad, *gb1 = grad + H * D, *gw2 = gb1 + H, *gb2 = gw2 + O * H;
  const double* w2 = net.w2();
  for (int i = 0; i < n; ++i) {
    const double* xi = x + size_t(i) * D;
    const double* hi = hid + size_t(i) * H;
    const double* di = dy + size_t(i) * O;
    for (int j = 0; j < H; ++j) dhid[j] = 0.0;
    for (int o = 0; o < O; ++o) {
      gb2[o] += di[o];
      for (int j = 0; j < H; ++j) {
        gw2[o * H + j] += di[o] * hi[j];
        dhid[j] += di[o] * w2[o * H + j];
      }
    }
    for (int j = 0; j < H; ++j) {
      const double da = dhid[j] * hi[j] * (1.0 - hi[j]);  // sigmoid' = s (1 - s)
      gb1[j] += da;
      for (int k = 0; k < D; ++k) gw1[j * D + k] += da * xi[k];
    }
  }
}

void AdamFitter::reserve(int max_params, int max_hidden, int max_out) {
  m.assign(size_t(max_params), 0.0), v.assign(size_t(max_params), 0.0), grad.assign(size_t(max_params), 0.0);
  row_grad.assign(size_t(max_params), 0.0);
  hid.assign(size_t(max_hidden), 0.0), dhid.assign(size_t(max_hidden), 0.0);
  y.assign(size_t(max_out), 0.0), dy.assign(size_t(max_out), 0.0);
}

// Adam update of params p (P) with gradient g, step t >= 1.
static void adam_update(double* p, const double* g, double* m, double* v, int P, int t, double lr) {
  const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
  double c1 = 1.0, c2 = 1.0;
  for (int i = 0; i < t; ++i) c1 *= b1, c2 *= b2;
  for (int i = 0; i < P; ++i) {
    m[i] = b1 * m[i] + (1 - b1) * g[i];
    v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
    p[i] -= lr * (m[i] / (1 - c1)) / (std::sqrt(v[i] / (1 - c2)) + eps);
  }
}

double fit_least_squares(SigmoidNet& net, const double* x, const double* r, const int* idx, int n, int iters,
                         double lr, double alpha, AdamFitter& fit) {
  const int P = net.num_params(), D = net.in, O = net.out, H = net.hidden;
  std::fill(fit.m.begin(), fit.m.begin() + P, 0.0);
  std::fill(fit.v.begin(), fit.v.begin() + P, 0.0);
  double objective = 0;
  for (int it = 0; it <= iters; ++it) {
    objective = 0;
    std::fill(fit.grad.begin(), fit.grad.begin() + P, 0.0);
    // Row by row through idx, so no gathered copy is needed.
    for (int s = 0; s < n; ++s) {
      const double* xs = x + size_t(idx[s]) * D;
      const double* rs = r + size_t(idx[s]) * O;
      double* hid = fit.hid.data();
      double* y = fit.y.data();
      sigmoid_net_forward(net, xs, 1, hid, y);
      for (int o = 0; o < O; ++o) {
        const double e = y[o] - rs[o];
        objective += 0.5 * e * e;
        fit.dy[size_t(o)] = e;
      }
      sigmoid_net_backward(net, xs, hid, fit.dy.data(), 1, fit.row_grad.data(), fit.dhid.data());
      for (int i = 0; i < P; ++i) fit.grad[size_t(i)] += fit.row_grad[size_t(i)];
    }
    double wsq = 0;
    for (int i = 0; i < H * D; ++i) wsq += net.p[size_t(i)] * net.p[size_t(i)];
    for (int i = 0; i < O * H; ++i) wsq += net.w2()[i] * net.w2()[i];
    objective = (objective + 0.5 * alpha * wsq) / n;
    if (it == iters) break;
    for (int i = 0; i < P; ++i) fit.grad[size_t(i)] /= n;
    for (int i = 0; i < H * D; ++i) fit.grad[size_t(i)] += alpha / n * net.p[size_t(i)];
    for (int i = 0; i < O * H; ++i) fit.grad[size_t(H * D + H + i)] += alpha / n * net.w2()[i];
    adam_update(net.p.data(), fit.grad.data(), fit.m.data(), fit.v.data(), P, it + 1, lr);
  }
  return objective;
}

int outputs_of(const BoostConfig& c) { return c.task == Task::multiclass ? std::max(2, c.classes) : 1; }

// log(1 + e^z) without overflow.
static double softplus(double z) { return z > 0 ? z + detmath::log(1.0 + detmath::exp(-z)) : detmath::log(1.0 + detmath::exp(z)); }

static double logsumexp(const double* f, int K) {
  double mx = f[0];
  for (int k = 1; k < K; ++k) mx = std::max(mx, f[k]);
  double s = 0;
  for (int k = 0; k < K; ++k) s += detmath::exp(f[k] - mx);
  return mx + detmath::log(s);
}

double boost_loss(Task task, int K, const double* F, const double* y, int n) {
  double total = 0;
  for (int i = 0; i < n; ++i) {
    if (task == Task::binary) {
      total += softplus(-2.0 * y[i] * F[i]);  // log(1 + e^(-2yF))
    } else if (task == Task::multiclass) {
      const double* f = F + size_t(i) * K;
      total += logsumexp(f, K) - f[int(y[i])];
    } else {
      const double e = y[i] - F[i];
      total += e * e;
    }
  }
  return n > 0 ? total / n : 0.0;
}

void boost_residuals(Task task, int K, const double* F, const double* y, int n, double* r) {
  for (int i = 0; i < n; ++i) {
    if (task == Task::binary) {
      r[i] = 2.0 * y[i] * sigmoid(-2.0 * y[i] * F[i]);  // = 2y / (1 + e^(2yF))
    } else if (task == Task::multiclass) {
      const double* f = F + size_t(i) * K;
      const double lse = logsumexp(f, K);
      for (int k = 0; k < K; ++k) r[size_t(i) * K + k] = (int(y[i]) == k ? 1.0 : 0.0) - detmath::exp(f[k] - lse);
    } else {
      r[i] = y[i] - F[i];
    }
  }
}

double boost_newton_step(Task task, int K, const double* y, const double* r, const double* h, int n) {
  if (task == Task::regression) return 1.0;
  double num = 0, den = 0;
  if (task == Task::binary) {
    // rho = sum r h / sum r h^2 (2y - r)
    for (int i = 0; i < n; ++i) num += r[i] * h[i], den += r[i] * h[i] * h[i] * (2.0 * y[i] - r[i]);
  } else {
    // p = onehot - r;  rho = -sum h (y - p) / sum h^2 p (p - 1)
    for (int i = 0; i < n; ++i)
      for (int k = 0; k < K; ++k) {
        const size_t e = size_t(i) * K + k;
        const double yk = int(y[i]) == k ? 1.0 : 0.0, p = yk - r[e];
        num -= h[e] * (yk - p), den += h[e] * h[e] * p * (p - 1.0);
      }
  }
  // A weak learner that predicts 0 everywhere (den = 0) takes no step.
  if (!(std::fabs(den) > 1e-300) || !std::isfinite(num / den)) return 0.0;
  return num / den;
}

void Booster::init(const BoostConfig& config, const double* x, const double* y, int n, int dim, uint64_t seed) {
  config_ = config;
  n_ = n, dim_ = dim, K_ = outputs_of(config);
  x_.assign(x, x + size_t(n) * dim);
  y_.assign(y, y + n);
  if (config.task == Task::binary)
    for (double& v : y_) v = v > 0.5 ? 1.0 : -1.0;
  f0_.assign(size_t(K_), 0.0);
  if (config.task == Task::binary) {
    double ybar = 0;
    for (double v : y_) ybar += v;
    ybar /= std::max(1, n);
    ybar = std::min(std::max(ybar, -1.0 + 1e-9), 1.0 - 1e-9);  // one class only: keep F_0 finite
    f0_[0] = 0.5 * detmath::log((1.0 + ybar) / (1.0 - ybar));
  } else if (config.task == Task::regression) {
    double mean = 0;
    for (double v : y_) mean += v;
    f0_[0] = mean / std::max(1, n);
  }  // multiclass: F_0 = 0
  F_.assign(size_t(n) * K_, 0.0);
  for (int i = 0; i < n; ++i)
    for (int k = 0; k < K_; ++k) F_[size_t(i) * K_ + k] = f0_[size_t(k)];
  r_.assign(F_.size(), 0.0), h_.assign(F_.size(), 0.0);
  hid_.assign(size_t(n) * config.units_per_step, 0.0);
  rho_.assign(size_t(config.steps), 0.0);
  rng_ = pg::Rng(seed);
  learners_.assign(size_t(config.steps), SigmoidNet());
  for (SigmoidNet& l : learners_) sigmoid_net_init(l, dim, config.units_per_step, K_, rng_);
  perm_.resize(size_t(n));
  fit_.reserve(learners_.empty() ? 1 : learners_[0].num_params(), config.units_per_step, K_);
  done_ = 0;
}

bool Booster::step() {
  if (done_ >= config_.steps) return false;
  SigmoidNet& net = learners_[size_t(done_)];
  boost_residuals(config_.task, K_, F_.data(), y_.data(), n_, r_.data());
  // A subsample without replacement (partial Fisher-Yates), as sklearn's sample_without_replacement.
  for (int i = 0; i < n_; ++i) perm_[size_t(i)] = i;
  const int m = std::max(1, std::min(n_, int(config_.subsample * n_)));
  for (int i = 0; i < m; ++i) std::swap(perm_[size_t(i)], perm_[size_t(i + int(rng_.below(uint32_t(n_ - i))))]);
  std::sort(perm_.begin(), perm_.begin() + m);
  fit_least_squares(net, x_.data(), r_.data(), perm_.data(), m, config_.fit_iters, config_.fit_lr, config_.alpha, fit_);
  // The Newton step uses every row (GBNN.py: predictions on all of X).
  sigmoid_net_forward(net, x_.data(), n_, hid_.data(), h_.data());
  const double rho = config_.eta * boost_newton_step(config_.task, K_, y_.data(), r_.data(), h_.data(), n_);
  rho_[size_t(done_)] = rho;
  for (size_t e = 0; e < F_.size(); ++e) F_[e] += rho * h_[e];
  ++done_;
  return true;
}

void Booster::predict(const double* x, int m, int t, double* scores, double* hid, double* y) const {
  t = std::min(t, done_);
  for (int i = 0; i < m; ++i)
    for (int k = 0; k < K_; ++k) scores[size_t(i) * K_ + k] = f0_[size_t(k)];
  for (int s = 0; s < t; ++s) {
    sigmoid_net_forward(learners_[size_t(s)], x, m, hid, y);
    const double rho = rho_[size_t(s)];
    for (size_t e = 0; e < size_t(m) * K_; ++e) scores[e] += rho * y[e];
  }
}

SigmoidNet Booster::merge(int t) const {
  SigmoidNet net;
  merge_into(t, net);
  return net;
}

void Booster::merge_into(int t, SigmoidNet& net) const {
  t = std::min(t, done_);
  const int J = config_.units_per_step, H = t * J;
  const double mult = multiplier();
  net.in = dim_, net.hidden = H, net.out = K_;
  net.p.assign(size_t(net.num_params()), 0.0);
  for (int k = 0; k < K_; ++k) net.b2()[k] = f0_[size_t(k)] * mult;
  for (int s = 0; s < t; ++s) {
    const SigmoidNet& l = learners_[size_t(s)];
    const double rho = rho_[size_t(s)];
    for (int j = 0; j < J; ++j) {  // input -> hidden: the step's units, unchanged
      const int u = s * J + j;
      for (int d = 0; d < dim_; ++d) net.w1()[u * dim_ + d] = l.w1()[j * dim_ + d];
      net.b1()[u] = l.b1()[j];
      for (int k = 0; k < K_; ++k) net.w2()[k * H + u] = l.w2()[k * J + j] * rho * mult;
    }
    for (int k = 0; k < K_; ++k) net.b2()[k] += l.b2()[k] * rho * mult;
  }
}

void JointNet::init(const BoostConfig& config, const double* x, const double* y, int n, int dim, int hidden,
                    double lr, uint64_t seed) {
  config_ = config, n_ = n, K_ = outputs_of(config), lr_ = lr, t_ = 0;
  x_.assign(x, x + size_t(n) * dim);
  y_.assign(y, y + n);
  if (config.task == Task::binary)
    for (double& v : y_) v = v > 0.5 ? 1.0 : -1.0;
  pg::Rng rng(seed);
  sigmoid_net_init(net_, dim, hidden, K_, rng);
  F_.assign(size_t(n) * K_, 0.0), r_ = F_, dy_ = F_;
  hid_.assign(size_t(n) * hidden, 0.0), dhid_.assign(size_t(hidden), 0.0);
  grad_.assign(size_t(net_.num_params()), 0.0), m_ = grad_, v_ = grad_;
  train(0);
}

void JointNet::train(int iters) {
  // dL/dF = -r (binary, multiclass) or -2 r (squared error), r = boost_residuals.
  const double scale = (config_.task == Task::regression ? -2.0 : -1.0) / std::max(1, n_);
  for (int it = 0; it < iters; ++it) {
    sigmoid_net_forward(net_, x_.data(), n_, hid_.data(), F_.data());
    boost_residuals(config_.task, K_, F_.data(), y_.data(), n_, r_.data());
    for (size_t e = 0; e < r_.size(); ++e) dy_[e] = scale * r_[e];
    sigmoid_net_backward(net_, x_.data(), hid_.data(), dy_.data(), n_, grad_.data(), dhid_.data());
    adam_update(net_.p.data(), grad_.data(), m_.data(), v_.data(), net_.num_params(), ++t_, lr_);
  }
  sigmoid_net_forward(net_, x_.data(), n_, hid_.data(), F_.data());
  loss_ = boost_loss(config_.task, K_, F_.data(), y_.data(), n_);
}

}  // namespace boost
}  // namespace nn
