// taylor.cpp - softmax attention truncated to Taylor order P, as a masked
// matrix and as a sum of RNNs (see taylor.h).  q, k are (n, d), v is (n, dv).
#include "engine/attention/taylor.h"

#include <cmath>
#include <vector>

#include "engine/rng.h"  // detmath::exp: the same exp natively and in wasm

namespace attn {

namespace {

// sum_(p<=P) x^p / p! by Horner: 1 + x/1 (1 + x/2 (1 + ... (1 + x/P))).
double taylor_exp(double x, int order) {
  if (order < 0) return detmath::exp(x);
  double w = 1.0;
  for (int p = order; p >= 1; --p) w = 1.0 + w * x / double(p);
  return w;
}

// y (dv) = num (dv) over the chosen denominator; returns it.
double finish_row(const double* num, int dv, double G, int count, TaylorDenominator den, double* y) {
  double divisor = G;
  if (den == TaylorDenominator::l2_norm) {
    double sq = 0.0;
    for (int c = 0; c < dv; ++c) sq += num[c] * num[c];
    divisor = std::sqrt(sq);
  } else if (den == TaylorDenominator::token_count) {
    divisor = double(count);
  }
  for (int c = 0; c < dv; ++c) y[c] = divisor != 0.0 ? num[c] / divisor : 0.0;
  return divisor;
}

}  // namespace

void taylor_weights(const double* q, const double* k, int n, int d, double scale, int order, double* W) {
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      if (j > i) {
        W[size_t(i) * n + j] = 0.0;
        continue;
      }
      double dot = 0.0;
      for (int c = 0; c < d; ++c) dot += q[size_t(i) * d + c] * k[size_t(j) * d + c];
      W[size_t(i) * n + j] = taylor_exp(scale * dot, order);
    }
}

void taylor_apply(const double* W, const double* v, int n, int dv, TaylorDenominator den, double* Y,
                  double* denominators) {
  std::vector<double> num(size_t(dv > 0 ? dv : 1));
  for (int i = 0; i < n; ++i) {
    double G = 0.0;
    for (int c = 0; c < dv; ++c) num[c] = 0.0;
    for (int j = 0; j <= i; ++j) {
      const double w = W[size_t(i) * n + j];
      G += w;
      for (int c = 0; c < dv; ++c) num[c] += w * v[size_t(j) * dv + c];
    }
    const double divisor = finish_row(num.data(), dv, G, i + 1, den, Y + size_t(i) * dv);
    if (denominators) denominators[i] = divisor;
  }
}

int64_t taylor_state_size(int d, int dv, int order) {
  const int64_t cap = INT64_MAX / 4;
  int64_t total = 0, power = 1;  // d^p
  for (int p = 0; p <= order; ++p) {
    total += power * (int64_t(dv) + 1);
    if (total > cap) return cap;
    power = power > cap / (d > 0 ? d : 1) ? cap : power * d;
  }
  return total;
}

// The order-p RNNs side by side: S^(p) is (d^p, dv), z^(p) is (d^p), and the
// Kronecker powers of k_t and q_t are built one order from the last.
void TaylorRnn::reset(int d, int dv, double scale, int order) {
  d_ = d, dv_ = dv, order_ = order < 0 ? 0 : order, t_ = 0;
  const size_t orders = size_t(order_) + 1;
  S_.assign(orders, {}), z_.assign(orders, {}), kp_.assign(orders, {}), qp_.assign(orders, {});
  coef_.assign(orders, 0.0), terms_.assign(orders, 0.0), num_.assign(size_t(dv > 0 ? dv : 1), 0.0);
  size_t width = 1;
  double c = 1.0;
  for (int p = 0; p <= order_; ++p) {
    S_[p].assign(width * dv, 0.0), z_[p].assign(width, 0.0), kp_[p].resize(width), qp_[p].resize(width);
    coef_[p] = c;  // s^p / p!
    c = c * scale / double(p + 1);
    width *= size_t(d);
  }
}

double TaylorRnn::step(const double* qt, const double* kt, const double* vt, TaylorDenominator den, double* y) {
  const int d = d_, dv = dv_;
  kp_[0][0] = 1.0, qp_[0][0] = 1.0;
  for (int p = 1; p <= order_; ++p)
    for (size_t a = 0; a < kp_[p - 1].size(); ++a)
      for (int e = 0; e < d; ++e) {
        kp_[p][a * d + e] = kp_[p - 1][a] * kt[e];
        qp_[p][a * d + e] = qp_[p - 1][a] * qt[e];
      }
  // State update with (k_t, v_t), then the read-out with q_t.
  for (int p = 0; p <= order_; ++p)
    for (size_t a = 0; a < kp_[p].size(); ++a) {
      z_[p][a] += kp_[p][a];
      for (int e = 0; e < dv; ++e) S_[p][a * dv + e] += kp_[p][a] * vt[e];
    }
  ++t_;
  double G = 0.0;
  for (int e = 0; e < dv; ++e) num_[e] = 0.0;
  for (int p = 0; p <= order_; ++p) {
    double g = 0.0;
    for (size_t a = 0; a < qp_[p].size(); ++a) g += qp_[p][a] * z_[p][a];
    terms_[p] = coef_[p] * g;
    G += terms_[p];
    for (int e = 0; e < dv; ++e) {
      double s = 0.0;
      for (size_t a = 0; a < qp_[p].size(); ++a) s += qp_[p][a] * S_[p][a * dv + e];
      num_[e] += coef_[p] * s;
    }
  }
  return finish_row(num_.data(), dv, G, t_, den, y);
}

void taylor_recurrent(const double* q, const double* k, const double* v, int n, int d, int dv, double scale,
                      int order, TaylorDenominator den, double* Y, double* denominators) {
  TaylorRnn rnn;
  rnn.reset(d, dv, scale, order);
  for (int t = 0; t < n; ++t) {
    const double divisor = rnn.step(q + size_t(t) * d, k + size_t(t) * d, v + size_t(t) * dv, den, Y + size_t(t) * dv);
    if (denominators) denominators[t] = divisor;
  }
}

}  // namespace attn
