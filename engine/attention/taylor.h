// taylor.h - causal softmax attention as a sum of RNNs, one per Taylor order
// ("On the Expressiveness of Softmax Attention: A Recurrent Neural Network
// Perspective", 2025; official code gmongaras/On-the-Expressiveness-...).
//
//   exp(s q.k) = sum_p (s q.k)^p / p!,   (q.k)^p = (q^(x)p) . (k^(x)p)
//
// so order p is a linear-attention RNN with the Kronecker-power feature map:
//   S_t^(p) = S_(t-1)^(p) + k_t^(x)p v_t^T   (d^p, dv),   z_t^(p) = z_(t-1)^(p) + k_t^(x)p   (d^p)
//   num_t = sum_(p<=P) s^p / p! (q_t^(x)p)^T S_t^(p),   G_t = sum_(p<=P) s^p / p! (q_t^(x)p)^T z_t^(p)
// and the layer's output is num_t over a denominator (Denominator):
//   taylor_sum    num_t / G_t        (order P -> infinity: softmax attention; odd P can make G_t <= 0)
//   l2_norm       num_t / |num_t|    (the official code's output-norm variants)
//   token_count   num_t / t          (its "softmax_divs": no denominator, divide by the visible count)
// Linear attention is the p = 1 term.  Everything is in double (the test of
// order 25 against softmax to 1e-10 needs it); order < 0 means the exact exp.
// The scale is the caller's (the official code uses 1/sqrt(d)).
#pragma once
#include <cstdint>
#include <vector>

namespace attn {

enum class TaylorDenominator { taylor_sum, l2_norm, token_count };

// W (n, n): w_ij = sum_(p<=P) (s q_i.k_j)^p / p! for j <= i, 0 above (exp(s q_i.k_j) when order < 0).
// q, k are (n, d).
void taylor_weights(const double* q, const double* k, int n, int d, double scale, int order, double* W);
// Y (n, dv) = the layer from W (n, n) and v (n, dv); denominators (n) (may be null)
// receives the value each row was divided by (G_t, |num_t| or t).  A zero
// denominator gives a zero row.
void taylor_apply(const double* W, const double* v, int n, int dv, TaylorDenominator den, double* Y,
                  double* denominators);
// The same layer as the sum of order-p RNNs above, token by token.  order >= 0
// (the state has sum_p d^p (dv + 1) numbers: keep d^order small).
void taylor_recurrent(const double* q, const double* k, const double* v, int n, int d, int dv, double scale,
                      int order, TaylorDenominator den, double* Y, double* denominators);
// The same RNN one token at a time (the lesson animates it): reset, then
// step(q_t, k_t, v_t) writes y_t (dv) and returns its divisor.
class TaylorRnn {
 public:
  void reset(int d, int dv, double scale, int order);
  double step(const double* q_t, const double* k_t, const double* v_t, TaylorDenominator den, double* y_t);
  int tokens() const { return t_; }
  // Per-order read-out of the last step: G^(p) = s^p / p! (q^(x)p).z^(p), p = 0..order.
  const std::vector<double>& order_terms() const { return terms_; }

 private:
  int d_ = 0, dv_ = 0, order_ = 0, t_ = 0;
  std::vector<std::vector<double>> S_, z_, kp_, qp_;
  std::vector<double> coef_, num_, terms_;
};

// Numbers in the recurrent state: sum_(p<=P) d^p (dv + 1) (saturates at INT64_MAX / 2).
int64_t taylor_state_size(int d, int dv, int order);

}  // namespace attn
