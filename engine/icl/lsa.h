// lsa.h - stacked linear self-attention (lesson icl-gd; von Oswald et al. 2023,
// "Transformers learn in-context by gradient descent", eq. (3) and Prop. 1).
//
// Tokens e_j = (x_j, y_j) in R^D, D = d + 1, for the n context pairs and
// e_q = (x_q, 0) for the query.  One layer updates every token (context and
// query) from the context tokens only (the query is masked as key and value):
//
//   e_j <- e_j + (1/n) P W_V sum_{i<=n} e_i (W_K e_i)^T (W_Q e_j)
//        = e_j + A e_j,   A = (1/n) P W_V C W_K^T W_Q,   C = sum_{i<=n} e_i e_i^T
//
// Re-associated through the (D, D) context moment C, a layer costs
// O(n D^2 + D^3).  The prediction is read, as in the paper, from the query's
// y-slot with a minus sign: y^ = -e_q[d] after the last layer.
//
// Prop. 1: with W_K = W_Q = [[I_d, 0], [0, 0]], W_V = [[0, 0], [0, -1]] and
// P = eta I, a layer adds -(eta/n) sum_i y_i <x_i, x_j> to every y-slot.  The
// context y-slots hold the residuals y_i - w^T x_i of the current GD iterate w,
// so each layer is one GD step on the prompt's own data, and K stacked layers
// give y^ = w_K^T x_q of K steps of GD from w = 0 (baselines.h: predict_gd_steps).
#pragma once
#include <cstddef>
#include <vector>

namespace icl {

// Flat parameter layout, per layer l (row-major (D, D) each): W_Q | W_K | W_V | P.
struct LsaShape {
  int d = 10;
  int layers = 1;
  int D() const { return d + 1; }
  int layer_params() const { return 4 * D() * D(); }
  int num_params() const { return layers * layer_params(); }
  int wq_offset(int l) const { return l * layer_params(); }
  int wk_offset(int l) const { return wq_offset(l) + D() * D(); }
  int wv_offset(int l) const { return wq_offset(l) + 2 * D() * D(); }
  int p_offset(int l) const { return wq_offset(l) + 3 * D() * D(); }
};

template <typename T>
class LsaStack {
 public:
  // tokens: (n + 1, D) row-major, the n context tokens then the query.
  // Returns y^ = -(query's y-slot) after all layers.  Keeps what backward needs.
  T forward(const LsaShape& shape, const T* params, const T* tokens, int n);
  // Convenience: builds the tokens from a prompt (x (n, d), y (n), xq (d)).
  T predict(const LsaShape& shape, const T* params, const double* x, const double* y, int n, const double* xq);
  // Adds dL/dparams to grads (P,) for dL/dy^ = dy (after forward on the same input).
  void backward(const LsaShape& shape, const T* params, T dy, T* grads);

  // Tokens after layer l (0 = input), (n + 1, D): for showing the y-slots move.
  const T* tokens_after(int l) const { return &E_[size_t(l) * (n_ + 1) * D_]; }

 private:
  int n_ = 0, D_ = 0, layers_ = 0;
  std::vector<T> E_;       // (layers + 1, n + 1, D)
  std::vector<T> A_;       // (layers, D, D)
  std::vector<T> C_;       // (layers, D, D)
  std::vector<T> tokens_;  // (n + 1, D) scratch for predict()
};

// Sets every layer to von Oswald et al.'s construction with step eta.
template <typename T>
void lsa_set_gd_construction(const LsaShape& shape, T* params, double eta);

}  // namespace icl
