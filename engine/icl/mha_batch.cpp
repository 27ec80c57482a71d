// mha_batch.cpp - see mha_batch.h.
#include "engine/icl/mha_batch.h"

#include <cmath>

#include "engine/kernels/vexp.h"
#include "engine/simd.h"

namespace icl {

using namespace simd;

void PackedPrompts::resize(int num_prompts, int context_len, int d) {
  B = num_prompts;
  n = context_len;
  n_pad = (context_len + 3) & ~3;
  D = d + 1;
  D_pad = (D + 3) & ~3;
  zt.assign(size_t(B) * D_pad * n_pad, 0.0f);
  zq.assign(size_t(B) * D_pad, 0.0f);
  yq.assign(size_t(B), 0.0f);
}

void pack_prompts(const PromptBatch& in, PackedPrompts& out) {
  const int n = in.n, d = in.d, n_pad = out.n_pad;
  for (int b = 0; b < in.B; ++b) {
    const double* x = in.x_of(b);
    const double* y = in.y_of(b);
    float* zt = out.zt.data() + size_t(b) * out.D_pad * n_pad;
    for (int k = 0; k < d; ++k)
      for (int l = 0; l < n; ++l) zt[k * n_pad + l] = float(x[l * d + k]);
    for (int l = 0; l < n; ++l) zt[d * n_pad + l] = float(y[l]);
    float* zq = out.zq.data() + size_t(b) * out.D_pad;
    for (int k = 0; k < d; ++k) zq[k] = float(in.xq_of(b)[k]);
    out.yq[b] = float(in.yq[b]);
  }
}

void MhaBatch::init(const MhaShape& shape, int max_n) {
  shape_ = shape;
  max_n_pad_ = (max_n + 3) & ~3;
  const int H = shape.heads, D = shape.D();
  D_pad_ = (D + 3) & ~3;
  mt_.assign(size_t(H) * D * D_pad_, 0.0f);
  u_.assign(size_t(H) * D, 0.0f);
  dm_.assign(size_t(H) * D * D_pad_, 0.0f);
  du_.assign(size_t(H) * D, 0.0f);
  wu_.assign(size_t(2 * H) * D_pad_, 0.0f);
  wu_splat_.assign(size_t(2 * H) * D * 4, 0.0f);
  sc_.assign(size_t(2 * H) * max_n_pad_, 0.0f);
  g_.assign(size_t(2 * H) * max_n_pad_, 0.0f);
  dwu_.assign(size_t(2 * H) * D_pad_, 0.0f);
  head_out_.assign(size_t(H), 0.0f);
}

namespace {

// The two token products, blocked so several independent accumulators are in
// flight at once (a single chain of dependent adds would stall on latency).
// Blocking never changes the order of the additions inside one output, so the
// numbers do not depend on it.

// out (R, n_pad) = rows (R, D) x zt (D, n_pad), R even:
//   out_r,l = sum_k rows_r,k zt_k,l   (rows_splat: each rows_r,k repeated over 4 lanes)
void rows_times_tokens(const float* rows_splat, int R, int D, const float* zt, int n_pad, float* out) {
  int r = 0;
  for (; r + 4 <= R; r += 4) {
    const float* w0 = rows_splat + size_t(r) * D * 4;
    const float* w1 = w0 + D * 4;
    const float* w2 = w1 + D * 4;
    const float* w3 = w2 + D * 4;
    for (int j = 0; j < n_pad; j += 4) {
      const f32x4 z0 = load(zt + j);
      f32x4 a0 = mul(load(w0), z0), a1 = mul(load(w1), z0), a2 = mul(load(w2), z0), a3 = mul(load(w3), z0);
      for (int k = 1; k < D; ++k) {
        const f32x4 zk = load(zt + k * n_pad + j);
        a0 = madd(load(w0 + 4 * k), zk, a0);
        a1 = madd(load(w1 + 4 * k), zk, a1);
        a2 = madd(load(w2 + 4 * k), zk, a2);
        a3 = madd(load(w3 + 4 * k), zk, a3);
      }
      store(out + size_t(r) * n_pad + j, a0);
      store(out + size_t(r + 1) * n_pad + j, a1);
      store(out + size_t(r + 2) * n_pad + j, a2);
      store(out + size_t(r + 3) * n_pad + j, a3);
    }
  }
  for (; r < R; r += 2) {
    const float* w0 = rows_splat + size_t(r) * D * 4;
    const float* w1 = w0 + D * 4;
    for (int j = 0; j < n_pad; j += 8) {
      // Two token groups per row when there are two left, for the same reason.
      const bool two = j + 4 < n_pad;
      const f32x4 z0 = load(zt + j), z0b = two ? load(zt + j + 4) : zero();
      f32x4 a0 = mul(load(w0), z0), a1 = mul(load(w1), z0);
      f32x4 b0 = mul(load(w0), z0b), b1 = mul(load(w1), z0b);
      for (int k = 1; k < D; ++k) {
        const f32x4 zk = load(zt + k * n_pad + j), zkb = two ? load(zt + k * n_pad + j + 4) : zero();
        a0 = madd(load(w0 + 4 * k), zk, a0);
        a1 = madd(load(w1 + 4 * k), zk, a1);
        b0 = madd(load(w0 + 4 * k), zkb, b0);
        b1 = madd(load(w1 + 4 * k), zkb, b1);
      }
      store(out + size_t(r) * n_pad + j, a0);
      store(out + size_t(r + 1) * n_pad + j, a1);
      if (two) {
        store(out + size_t(r) * n_pad + j + 4, b0);
        store(out + size_t(r + 1) * n_pad + j + 4, b1);
      }
    }
  }
}

// out (R, D_pad) = g (R, n_pad) x zt^T, D_pad a multiple of 4:
//   out_r,k = sum_l g_r,l zt_k,l
void grads_times_tokens(const float* g, int R, int D_pad, const float* zt, int n_pad, float* out) {
  for (int r = 0; r < R; ++r) {
    const float* gr = g + size_t(r) * n_pad;
    for (int k = 0; k < D_pad; k += 4) {
      const float* z0 = zt + size_t(k) * n_pad;
      const float* z1 = z0 + n_pad;
      const float* z2 = z1 + n_pad;
      const float* z3 = z2 + n_pad;
      const f32x4 g0 = load(gr);
      f32x4 a0 = mul(g0, load(z0)), a1 = mul(g0, load(z1)), a2 = mul(g0, load(z2)), a3 = mul(g0, load(z3));
      for (int j = 4; j < n_pad; j += 4) {
        const f32x4 gj = load(gr + j);
        a0 = madd(gj, load(z0 + j), a0);
        a1 = madd(gj, load(z1 + j), a1);
        a2 = madd(gj, load(z2 + j), a2);
        a3 = madd(gj, load(z3 + j), a3);
      }
      float* o = out + size_t(r) * D_pad + k;
      o[0] = hsum(a0);
      o[1] = hsum(a1);
      o[2] = hsum(a2);
      o[3] = hsum(a3);
    }
  }
}

}  // namespace

double MhaBatch::forward_backward(const float* params, const PackedPrompts& batch, float* grads, float* yhat) {
  if (batch.n_pad > max_n_pad_) init(shape_, batch.n);  // a longer evaluation batch: grow once
  const int H = shape_.heads, D = shape_.D(), Dp = D_pad_, R = 2 * H;
  const int n = batch.n, n_pad = batch.n_pad, B = batch.B;
  const float inv_sqrt_D = 1.0f / std::sqrt(float(D));
  const bool backward = grads != nullptr;

  // Prompt-independent products: M_h = K_h^T Q_h / sqrt(D) (stored transposed,
  // rows padded to D_pad), u_h = V_h^T o_h.
  for (int h = 0; h < H; ++h) {
    const float* Q = params + shape_.q_offset(h);
    const float* K = params + shape_.k_offset(h);
    const float* V = params + shape_.v_offset(h);
    const float* o = params + shape_.o_offset(h);
    float* Mt = &mt_[size_t(h) * D * Dp];
    for (int i = 0; i < D; ++i)
      for (int j = 0; j < D; ++j) {
        float acc = 0.0f;
        for (int k = 0; k < D; ++k) acc += K[k * D + i] * Q[k * D + j];
        Mt[j * Dp + i] = acc * inv_sqrt_D;  // M_ij
      }
    for (int j = 0; j < D; ++j) {
      float acc = 0.0f;
      for (int i = 0; i < D; ++i) acc += o[i] * V[i * D + j];
      u_[size_t(h) * D + j] = acc;
    }
  }
  if (backward) {
    for (float& v : dm_) v = 0.0f;
    for (float& v : du_) v = 0.0f;
  }

  double loss_sum = 0.0;
  for (int b = 0; b < B; ++b) {
    const float* zt = batch.zt_of(b);
    const float* zq = batch.zq_of(b);
    // w_h = M_h z_q = sum_j zq_j M_h[:, j]  (rows 0..H-1 of wu), then u_h (rows H..2H-1).
    for (int h = 0; h < H; ++h) {
      const float* Mt = &mt_[size_t(h) * D * Dp];
      float* w = &wu_[size_t(h) * Dp];
      for (int i = 0; i < Dp; i += 4) {
        f32x4 acc = mul(set1(zq[0]), load(Mt + i));
        for (int j = 1; j < D; ++j) acc = madd(set1(zq[j]), load(Mt + j * Dp + i), acc);
        store(w + i, acc);
      }
      for (int i = 0; i < D; ++i) wu_[size_t(H + h) * Dp + i] = u_[size_t(h) * D + i];
    }
    for (int r = 0; r < R; ++r)
      for (int k = 0; k < D; ++k) store(&wu_splat_[(size_t(r) * D + k) * 4], set1(wu_[size_t(r) * Dp + k]));

    // Scores s_hl = <z_l, w_h> and values c_hl = <z_l, u_h>: (2H, n_pad).
    rows_times_tokens(wu_splat_.data(), R, D, zt, n_pad, sc_.data());

    // Softmax over the n real tokens of each head; y^ = sum_h <p_h, c_h>.
    float y_pred = 0.0f;
    for (int h = 0; h < H; ++h) {
      float* p = &sc_[size_t(h) * n_pad];
      const float* c = &sc_[size_t(H + h) * n_pad];
      for (int l = n; l < n_pad; ++l) p[l] = -3.0e38f;  // pad tokens never win the max
      f32x4 vmax = load(p);
      for (int j = 4; j < n_pad; j += 4) vmax = max(vmax, load(p + j));
      const f32x4 smax = set1(hmax(vmax));
      // kern::exp_nonpos_f32x4: the shared softmax exp (engine/kernels/vexp.h), exactly
      // +0 far below 0, so the pad tokens get weight 0; NaN stays NaN.
      for (int j = 0; j < n_pad; j += 4) store(p + j, kern::exp_nonpos_f32x4(sub(load(p + j), smax)));
      f32x4 vsum = load(p);
      for (int j = 4; j < n_pad; j += 4) vsum = add(vsum, load(p + j));
      const f32x4 inv_sum = set1(1.0f / hsum(vsum));
      f32x4 vout = zero();
      for (int j = 0; j < n_pad; j += 4) {
        const f32x4 pj = mul(load(p + j), inv_sum);
        store(p + j, pj);
        vout = madd(pj, load(c + j), vout);
      }
      head_out_[h] = hsum(vout);
      y_pred += head_out_[h];
    }
    if (yhat) yhat[b] = y_pred;
    const float err = y_pred - batch.yq[b];
    loss_sum += double(err) * double(err);
    if (!backward) continue;

    // dL/dy^ for the batch mean of err^2; then per head (see mha_backward):
    //   dc_l = dy p_l,  ds_l = dy p_l (c_l - out_h)
    const f32x4 vdy = set1(2.0f * err / float(B));
    for (int h = 0; h < H; ++h) {
      const float* p = &sc_[size_t(h) * n_pad];
      const float* c = &sc_[size_t(H + h) * n_pad];
      float* ds = &g_[size_t(h) * n_pad];
      float* dc = &g_[size_t(H + h) * n_pad];
      const f32x4 out = set1(head_out_[h]);
      for (int j = 0; j < n_pad; j += 4) {
        const f32x4 dcj = mul(vdy, load(p + j));
        store(dc + j, dcj);
        store(ds + j, mul(dcj, sub(load(c + j), out)));
      }
    }
    // dw_h = sum_l ds_l z_l, du_h = sum_l dc_l z_l: (2H, D_pad).
    grads_times_tokens(g_.data(), R, Dp, zt, n_pad, dwu_.data());
    // w_h = M_h z_q: dM_h += dw_h z_q^T.  u_h is shared by the batch: du_h += ...
    for (int h = 0; h < H; ++h) {
      float* dM = &dm_[size_t(h) * D * Dp];
      const float* dw = &dwu_[size_t(h) * Dp];
      for (int i = 0; i < D; ++i) {
        const f32x4 dwi = set1(dw[i]);
        for (int j = 0; j < Dp; j += 4) store(dM + i * Dp + j, madd(dwi, load(zq + j), load(dM + i * Dp + j)));
      }
      for (int i = 0; i < D; ++i) du_[size_t(h) * D + i] += dwu_[size_t(H + h) * Dp + i];
    }
  }

  if (backward) {
    for (int h = 0; h < H; ++h) {
      const float* Q = params + shape_.q_offset(h);
      const float* K = params + shape_.k_offset(h);
      const float* V = params + shape_.v_offset(h);
      const float* o = params + shape_.o_offset(h);
      float* dQ = grads + shape_.q_offset(h);
      float* dK = grads + shape_.k_offset(h);
      float* dV = grads + shape_.v_offset(h);
      float* dO = grads + shape_.o_offset(h);
      const float* dM = &dm_[size_t(h) * D * Dp];  // dM_ij at i * Dp + j
      const float* du = &du_[size_t(h) * D];
      // M = K^T Q / sqrt(D):  dK_ki = sum_j Q_kj dM_ij / sqrt(D),  dQ_kj = sum_i K_ki dM_ij / sqrt(D)
      for (int k = 0; k < D; ++k) {
        for (int i = 0; i < D; ++i) {
          float acc = 0.0f;
          for (int j = 0; j < D; ++j) acc += Q[k * D + j] * dM[i * Dp + j];
          dK[k * D + i] = acc * inv_sqrt_D;
        }
        for (int j = 0; j < D; ++j) {
          float acc = 0.0f;
          for (int i = 0; i < D; ++i) acc += K[k * D + i] * dM[i * Dp + j];
          dQ[k * D + j] = acc * inv_sqrt_D;
        }
      }
      // u = V^T o:  dV_ij = o_i du_j,  do_i = sum_j V_ij du_j
      for (int i = 0; i < D; ++i) {
        float acc = 0.0f;
        for (int j = 0; j < D; ++j) {
          dV[i * D + j] = o[i] * du[j];
          acc += V[i * D + j] * du[j];
        }
        dO[i] = acc;
      }
    }
  }
  return B > 0 ? loss_sum / B : 0.0;
}

}  // namespace icl
