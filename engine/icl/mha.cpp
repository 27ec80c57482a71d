// mha.cpp - see mha.h.  Reference multi-head softmax attention at the query.
#include "engine/icl/mha.h"

#include <cmath>

namespace icl {

template <typename T>
void MhaCache<T>::resize(int num_heads, int dim, int context_len) {
  heads = num_heads;
  D = dim;
  n = context_len;
  q.assign(size_t(heads) * D, T(0));
  w.assign(size_t(heads) * D, T(0));
  u.assign(size_t(heads) * D, T(0));
  p.assign(size_t(heads) * n, T(0));
  c.assign(size_t(heads) * n, T(0));
  head_out.assign(size_t(heads), T(0));
}

template <typename T>
T mha_forward(const MhaShape& shape, const T* params, const T* z, int n, const T* zq, MhaCache<T>& cache) {
  const int D = shape.D(), H = shape.heads;
  if (cache.heads != H || cache.D != D || cache.n != n) cache.resize(H, D, n);
  const T inv_sqrt_D = T(1) / std::sqrt(T(D));
  T yhat = 0;
  for (int h = 0; h < H; ++h) {
    const T* Q = params + shape.q_offset(h);  // (D, D)
    const T* K = params + shape.k_offset(h);  // (D, D)
    const T* V = params + shape.v_offset(h);  // (D, D)
    const T* o = params + shape.o_offset(h);  // (D,)  O_h as a vector
    T* q = &cache.q[size_t(h) * D];
    T* w = &cache.w[size_t(h) * D];
    T* u = &cache.u[size_t(h) * D];
    T* p = &cache.p[size_t(h) * n];
    T* c = &cache.c[size_t(h) * n];
    // q = Q z_q;  w = K^T q;  u = V^T o   (each (D,), O(D^2))
    for (int i = 0; i < D; ++i) {
      T acc = 0;
      for (int j = 0; j < D; ++j) acc += Q[i * D + j] * zq[j];
      q[i] = acc;
    }
    for (int j = 0; j < D; ++j) {
      T acc_w = 0, acc_u = 0;
      for (int i = 0; i < D; ++i) {
        acc_w += K[i * D + j] * q[i];
        acc_u += V[i * D + j] * o[i];
      }
      w[j] = acc_w;
      u[j] = acc_u;
    }
    // s_l = <z_l, w> / sqrt(D) (kept in p until the softmax), c_l = <z_l, u>   (O(n D))
    T smax = -INFINITY;
    for (int l = 0; l < n; ++l) {
      T s = 0, cv = 0;
      for (int k = 0; k < D; ++k) {
        s += z[l * D + k] * w[k];
        cv += z[l * D + k] * u[k];
      }
      p[l] = s * inv_sqrt_D;
      c[l] = cv;
      if (p[l] > smax) smax = p[l];
    }
    // p = softmax(s) over the context (max-subtracted), head output = <p, c>
    T sum = 0;
    for (int l = 0; l < n; ++l) {
      p[l] = std::exp(p[l] - smax);
      sum += p[l];
    }
    T out = 0;
    for (int l = 0; l < n; ++l) {
      p[l] /= sum;
      out += p[l] * c[l];
    }
    cache.head_out[h] = out;
    yhat += out;
  }
  return yhat;
}

template <typename T>
void mha_backward(const MhaShape& shape, const T* params, const T* z, int n, const T* zq,
                  const MhaCache<T>& cache, T dy, T* grads) {
  const int D = shape.D(), H = shape.heads;
  const T inv_sqrt_D = T(1) / std::sqrt(T(D));
  std::vector<T> dw(D), du(D), dq(D);
  for (int h = 0; h < H; ++h) {
    const T* K = params + shape.k_offset(h);
    const T* V = params + shape.v_offset(h);
    const T* o = params + shape.o_offset(h);
    T* dQ = grads + shape.q_offset(h);
    T* dK = grads + shape.k_offset(h);
    T* dV = grads + shape.v_offset(h);
    T* dO = grads + shape.o_offset(h);
    const T* q = &cache.q[size_t(h) * D];
    const T* p = &cache.p[size_t(h) * n];
    const T* c = &cache.c[size_t(h) * n];
    const T out = cache.head_out[h];
    // y^ = sum_l p_l c_l:  dc_l = dy p_l;  softmax backward
    //   ds_l = p_l (dp_l - <p, dp>) with dp_l = dy c_l  =>  ds_l = dy p_l (c_l - out)
    // dw = sum_l ds_l z_l / sqrt(D);  du = sum_l dc_l z_l
    for (int k = 0; k < D; ++k) dw[k] = du[k] = 0;
    for (int l = 0; l < n; ++l) {
      const T dc = dy * p[l];
      const T ds = dc * (c[l] - out) * inv_sqrt_D;
      for (int k = 0; k < D; ++k) {
        dw[k] += ds * z[l * D + k];
        du[k] += dc * z[l * D + k];
      }
    }
    // u = V^T o:  dV_ij += o_i du_j,  do_i += sum_j V_ij du_j
    // w = K^T q:  dK_ij += q_i dw_j,  dq_i  = sum_j K_ij dw_j
    for (int i = 0; i < D; ++i) {
      T acc_o = 0, acc_q = 0;
      for (int j = 0; j < D; ++j) {
        dV[i * D + j] += o[i] * du[j];
        dK[i * D + j] += q[i] * dw[j];
        acc_o += V[i * D + j] * du[j];
        acc_q += K[i * D + j] * dw[j];
      }
      dO[i] += acc_o;
      dq[i] = acc_q;
    }
    // q = Q z_q:  dQ_ij += dq_i zq_j
    for (int i = 0; i < D; ++i)
      for (int j = 0; j < D; ++j) dQ[i * D + j] += dq[i] * zq[j];
  }
}

template <typename T>
void make_tokens(const double* x, const double* y, int n, int d, const double* xq, T* z, T* zq) {
  const int D = d + 1;
  for (int l = 0; l < n; ++l) {
    for (int k = 0; k < d; ++k) z[l * D + k] = T(x[l * d + k]);
    z[l * D + d] = T(y[l]);
  }
  for (int k = 0; k < d; ++k) zq[k] = T(xq[k]);
  zq[d] = T(0);
}

template <typename T>
void mha_set_head(const MhaShape& shape, T* params, int h, double omega, double mu) {
  const int D = shape.D(), d = shape.d;
  T* Q = params + shape.q_offset(h);
  T* K = params + shape.k_offset(h);
  T* V = params + shape.v_offset(h);
  T* o = params + shape.o_offset(h);
  for (int i = 0; i < D * D; ++i) Q[i] = K[i] = V[i] = T(0);
  for (int i = 0; i < D; ++i) {
    K[i * D + i] = T(1);
    V[i * D + i] = T(1);
    o[i] = T(0);
  }
  // sqrt(D) cancels the layer's 1/sqrt(D): the softmax sees omega <x_l, x_q>.
  for (int i = 0; i < d; ++i) Q[i * D + i] = T(omega * std::sqrt(double(D)));
  o[d] = T(mu);
}

template <typename T>
void mha_set_debiased_gd(const MhaShape& shape, T* params, double omega, double eta) {
  const double mu = eta / (2.0 * omega);
  for (int h = 0; h < shape.heads; ++h) {
    if (h < 2) {
      mha_set_head(shape, params, h, h == 0 ? omega : -omega, h == 0 ? mu : -mu);
    } else {
      mha_set_head(shape, params, h, 0.0, 0.0);
    }
  }
}

template <typename T>
void mha_kq(const MhaShape& shape, const T* params, int h, T* out) {
  const int D = shape.D();
  const T* Q = params + shape.q_offset(h);
  const T* K = params + shape.k_offset(h);
  for (int i = 0; i < D; ++i)
    for (int j = 0; j < D; ++j) {
      T acc = 0;
      for (int k = 0; k < D; ++k) acc += K[k * D + i] * Q[k * D + j];
      out[i * D + j] = acc;
    }
}

template <typename T>
void mha_ov(const MhaShape& shape, const T* params, int h, T* out) {
  const int D = shape.D();
  const T* V = params + shape.v_offset(h);
  const T* o = params + shape.o_offset(h);
  for (int j = 0; j < D; ++j) {
    T acc = 0;
    for (int i = 0; i < D; ++i) acc += o[i] * V[i * D + j];
    out[j] = acc;
  }
}

template <typename T>
HeadPattern mha_head_pattern(const MhaShape& shape, const T* params, int h) {
  // Entries of KQ's x-block and of OV are formed on the fly: no allocation, so
  // the trainer can call this inside step().
  const int D = shape.D(), d = shape.d;
  const T* Q = params + shape.q_offset(h);
  const T* K = params + shape.k_offset(h);
  const T* V = params + shape.v_offset(h);
  const T* o = params + shape.o_offset(h);
  HeadPattern hp;
  double trace = 0, sq = 0;
  for (int i = 0; i < d; ++i)
    for (int j = 0; j < d; ++j) {
      double v = 0;  // (K^T Q)_ij
      for (int k = 0; k < D; ++k) v += double(K[k * D + i]) * double(Q[k * D + j]);
      sq += v * v;
      if (i == j) trace += v;
    }
  const double mean_diag = trace / d;
  hp.omega = mean_diag / std::sqrt(double(D));
  hp.kq_identity_frac = sq > 0 ? mean_diag * mean_diag * d / sq : 0.0;
  double ov_sq = 0;
  for (int j = 0; j < D; ++j) {
    double v = 0;  // (O V)_j
    for (int i = 0; i < D; ++i) v += double(o[i]) * double(V[i * D + j]);
    ov_sq += v * v;
    if (j == d) hp.mu = v;
  }
  hp.ov_norm = std::sqrt(ov_sq);
  hp.ov_last_frac = ov_sq > 0 ? std::fabs(hp.mu) / hp.ov_norm : 0.0;
  return hp;
}

#define ICL_MHA_INSTANTIATE(T)                                                                     \
  template struct MhaCache<T>;                                                                     \
  template T mha_forward<T>(const MhaShape&, const T*, const T*, int, const T*, MhaCache<T>&);     \
  template void mha_backward<T>(const MhaShape&, const T*, const T*, int, const T*,                \
                                const MhaCache<T>&, T, T*);                                        \
  template void make_tokens<T>(const double*, const double*, int, int, const double*, T*, T*);     \
  template void mha_set_head<T>(const MhaShape&, T*, int, double, double);                         \
  template void mha_set_debiased_gd<T>(const MhaShape&, T*, double, double);                       \
  template void mha_kq<T>(const MhaShape&, const T*, int, T*);                                     \
  template void mha_ov<T>(const MhaShape&, const T*, int, T*);                                     \
  template HeadPattern mha_head_pattern<T>(const MhaShape&, const T*, int);
ICL_MHA_INSTANTIATE(float)
ICL_MHA_INSTANTIATE(double)
#undef ICL_MHA_INSTANTIATE

}  // namespace icl
