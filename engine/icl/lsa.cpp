// lsa.cpp - see lsa.h.  Small (D, D) algebra through Eigen maps.
#include "engine/icl/lsa.h"

#include <Eigen/Dense>
#include <algorithm>

namespace icl {

namespace {
template <typename T>
using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <typename T>
using MapC = Eigen::Map<const Mat<T>>;
template <typename T>
using Map = Eigen::Map<Mat<T>>;
}  // namespace

template <typename T>
T LsaStack<T>::forward(const LsaShape& shape, const T* params, const T* tokens, int n) {
  const int D = shape.D(), L = shape.layers, rows = n + 1;
  if (n_ != n || D_ != D || layers_ != L) {
    n_ = n;
    D_ = D;
    layers_ = L;
    E_.assign(size_t(L + 1) * rows * D, T(0));
    A_.assign(size_t(L) * D * D, T(0));
    C_.assign(size_t(L) * D * D, T(0));
  }
  std::copy(tokens, tokens + size_t(rows) * D, E_.begin());
  const T inv_n = T(1) / T(n);
  for (int l = 0; l < L; ++l) {
    MapC<T> E(&E_[size_t(l) * rows * D], rows, D);          // (n+1, D) input tokens
    Map<T> E_next(&E_[size_t(l + 1) * rows * D], rows, D);  // (n+1, D) output tokens
    MapC<T> Wq(params + shape.wq_offset(l), D, D), Wk(params + shape.wk_offset(l), D, D);
    MapC<T> Wv(params + shape.wv_offset(l), D, D), P(params + shape.p_offset(l), D, D);
    Map<T> C(&C_[size_t(l) * D * D], D, D), A(&A_[size_t(l) * D * D], D, D);
    // C = sum over the n context tokens of e_i e_i^T: keys and values see the context only.
    C.noalias() = E.topRows(n).transpose() * E.topRows(n);
    // A = (1/n) P W_V C W_K^T W_Q;  e_j' = e_j + A e_j for all n + 1 tokens.
    A.noalias() = inv_n * (P * Wv) * C * (Wk.transpose() * Wq);
    E_next.noalias() = E + E * A.transpose();
  }
  return -E_[(size_t(L) * rows + n) * D + (D - 1)];
}

template <typename T>
T LsaStack<T>::predict(const LsaShape& shape, const T* params, const double* x, const double* y, int n,
                       const double* xq) {
  const int d = shape.d, D = shape.D();
  tokens_.assign(size_t(n + 1) * D, T(0));
  for (int i = 0; i < n; ++i) {
    for (int k = 0; k < d; ++k) tokens_[size_t(i) * D + k] = T(x[i * d + k]);
    tokens_[size_t(i) * D + d] = T(y[i]);
  }
  for (int k = 0; k < d; ++k) tokens_[size_t(n) * D + k] = T(xq[k]);
  return forward(shape, params, tokens_.data(), n);
}

template <typename T>
void LsaStack<T>::backward(const LsaShape& shape, const T* params, T dy, T* grads) {
  const int D = D_, L = layers_, n = n_, rows = n + 1;
  const T inv_n = T(1) / T(n);
  // G = dL/dE for the current layer's output: only the query's y-slot is read.
  Mat<T> G = Mat<T>::Zero(rows, D);
  G(n, D - 1) = -dy;
  for (int l = L - 1; l >= 0; --l) {
    MapC<T> E(&E_[size_t(l) * rows * D], rows, D);
    MapC<T> Wq(params + shape.wq_offset(l), D, D), Wk(params + shape.wk_offset(l), D, D);
    MapC<T> Wv(params + shape.wv_offset(l), D, D), P(params + shape.p_offset(l), D, D);
    MapC<T> C(&C_[size_t(l) * D * D], D, D), A(&A_[size_t(l) * D * D], D, D);
    Map<T> dWq(grads + shape.wq_offset(l), D, D), dWk(grads + shape.wk_offset(l), D, D);
    Map<T> dWv(grads + shape.wv_offset(l), D, D), dP(grads + shape.p_offset(l), D, D);
    // E' = E + E A^T:  dA = G^T E,  dE = G + G A
    const Mat<T> dA = G.transpose() * E;
    Mat<T> dE = G + G * A;
    // A = L1 C R1 with L1 = (1/n) P W_V, R1 = W_K^T W_Q
    const Mat<T> L1 = inv_n * (P * Wv);
    const Mat<T> R1 = Wk.transpose() * Wq;
    const Mat<T> dL1 = dA * (C * R1).transpose();
    const Mat<T> dR1 = (L1 * C).transpose() * dA;
    const Mat<T> dC = L1.transpose() * dA * R1.transpose();
    dP.noalias() += inv_n * dL1 * Wv.transpose();
    dWv.noalias() += inv_n * P.transpose() * dL1;
    dWk.noalias() += Wq * dR1.transpose();
    dWq.noalias() += Wk * dR1;
    // C = sum_i e_i e_i^T over the context rows:  de_i += (dC + dC^T) e_i
    dE.topRows(n) += E.topRows(n) * (dC + dC.transpose()).transpose();
    G = dE;
  }
}

template <typename T>
void lsa_set_gd_construction(const LsaShape& shape, T* params, double eta) {
  const int D = shape.D(), d = shape.d;
  for (int l = 0; l < shape.layers; ++l) {
    T* Wq = params + shape.wq_offset(l);
    T* Wk = params + shape.wk_offset(l);
    T* Wv = params + shape.wv_offset(l);
    T* P = params + shape.p_offset(l);
    for (int i = 0; i < D * D; ++i) Wq[i] = Wk[i] = Wv[i] = P[i] = T(0);
    for (int i = 0; i < d; ++i) Wq[i * D + i] = Wk[i * D + i] = T(1);  // [[I_d, 0], [0, 0]]
    Wv[d * D + d] = T(-1);                                             // [[0, 0], [0, -1]]
    for (int i = 0; i < D; ++i) P[i * D + i] = T(eta);                 // the step: P = eta I
  }
}

template class LsaStack<float>;
template class LsaStack<double>;
template void lsa_set_gd_construction<float>(const LsaShape&, float*, double);
template void lsa_set_gd_construction<double>(const LsaShape&, double*, double);

}  // namespace icl
