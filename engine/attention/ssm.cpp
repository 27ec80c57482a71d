// ssm.cpp - S6 and the gated RNN as diagonal time-varying systems (ssm.h).
#include "engine/attention/ssm.h"

#include <algorithm>
#include <vector>

#include "engine/rng.h"

namespace attn {

// h_i[s] = lambda_i[s] h_(i-1)[s] + b_i[s] u_i,  y_i = sum_s c_i[s] h_i[s]   (DSF eq. 1, diagonal Lambda)
void diag_system_forward(const double* lambda, const double* b, const double* c, const double* u, double* y, int L,
                         int n) {
  std::vector<double> h(size_t(std::max(n, 0)), 0.0);  // the state: n numbers, whatever L is
  for (int i = 0; i < L; ++i) {
    const double *li = lambda + size_t(i) * n, *bi = b + size_t(i) * n, *ci = c + size_t(i) * n;
    double yi = 0;
    for (int s = 0; s < n; ++s) {
      h[size_t(s)] = li[s] * h[size_t(s)] + bi[s] * u[i];
      yi += ci[s] * h[size_t(s)];
    }
    y[i] = yi;
  }
}

// Phi_ij = sum_s c_i[s] (prod_{k=j+1..i} lambda_k[s]) b_j[s]   (DSF eq. 2), column by column:
// the product is carried down the column j, one lambda per row.
void diag_system_phi(const double* lambda, const double* b, const double* c, double* phi, int L, int n) {
  std::fill(phi, phi + size_t(L) * L, 0.0);
  std::vector<double> carry(size_t(std::max(n, 0)));
  for (int j = 0; j < L; ++j) {
    for (int s = 0; s < n; ++s) carry[size_t(s)] = b[size_t(j) * n + s];
    for (int i = j; i < L; ++i) {
      const double *li = lambda + size_t(i) * n, *ci = c + size_t(i) * n;
      double v = 0;
      for (int s = 0; s < n; ++s) {
        if (i > j) carry[size_t(s)] *= li[s];
        v += ci[s] * carry[size_t(s)];
      }
      phi[size_t(i) * L + j] = v;
    }
  }
}

double sigmoid(double x) {
  if (x >= 0) return 1.0 / (1.0 + detmath::exp(-x));
  const double e = detmath::exp(x);
  return e / (1.0 + e);
}

double qlstm_forget_gate(double f, double alpha) {
  const double p = std::max(alpha, 0.0), s = sigmoid(-f);
  if (p == 0) return 1.0;
  if (s <= 0) return 0.0;
  return detmath::exp(p * detmath::log(s));
}

namespace {

// Channel ch of S6 as a diagonal system: lambda_i = exp(delta_i A), b_i = delta_i B_i, c_i = C_i.
void s6_channel(const double* delta, const double* A, const double* B, int L, int dv, int n, int ch,
                std::vector<double>& lambda, std::vector<double>& b) {
  lambda.resize(size_t(L) * n), b.resize(size_t(L) * n);
  for (int i = 0; i < L; ++i) {
    const double di = std::max(delta[size_t(i) * dv + ch], 0.0);
    for (int s = 0; s < n; ++s) {
      const double a = std::min(A[size_t(ch) * n + s], 0.0);
      // di * a is <= 0, so exp is in [0, 1]: the state never grows by itself.
      lambda[size_t(i) * n + s] = detmath::exp(di * a);
      b[size_t(i) * n + s] = di * B[size_t(i) * n + s];
    }
  }
}

}  // namespace

void s6_forward(const double* u, const double* delta, const double* A, const double* B, const double* C, double* y,
                int L, int dv, int n) {
  std::vector<double> lambda, b, uc(static_cast<size_t>(L)), yc(static_cast<size_t>(L));
  for (int ch = 0; ch < dv; ++ch) {
    s6_channel(delta, A, B, L, dv, n, ch, lambda, b);
    for (int i = 0; i < L; ++i) uc[size_t(i)] = u[size_t(i) * dv + ch];
    diag_system_forward(lambda.data(), b.data(), C, uc.data(), yc.data(), L, n);
    for (int i = 0; i < L; ++i) y[size_t(i) * dv + ch] = yc[size_t(i)];
  }
}

void s6_phi(const double* delta, const double* A, const double* B, const double* C, double* phi, int L, int dv,
            int n) {
  std::vector<double> lambda, b;
  for (int ch = 0; ch < dv; ++ch) {
    s6_channel(delta, A, B, L, dv, n, ch, lambda, b);
    diag_system_phi(lambda.data(), b.data(), C, phi + size_t(ch) * L * L, L, n);
  }
}

namespace {

// lambda_i[s] = exp(delta_i A_s), b_i[s] = delta_i B_i[s]: the shared-step system, (L, n) each.
void s6_shared_system(const double* delta, const double* A, const double* B, int L, int n, std::vector<double>& lambda,
                      std::vector<double>& b) {
  lambda.resize(size_t(L) * n), b.resize(size_t(L) * n);
  for (int i = 0; i < L; ++i) {
    const double di = std::max(delta[i], 0.0);
    for (int s = 0; s < n; ++s) {
      lambda[size_t(i) * n + s] = detmath::exp(di * std::min(A[s], 0.0));
      b[size_t(i) * n + s] = di * B[size_t(i) * n + s];
    }
  }
}

}  // namespace

void s6_shared_forward(const double* u, const double* delta, const double* A, const double* B, const double* C,
                       double* y, int L, int dv, int n) {
  std::vector<double> lambda, b, h(size_t(n) * dv, 0.0);  // h is (n, dv)
  s6_shared_system(delta, A, B, L, n, lambda, b);
  for (int i = 0; i < L; ++i) {
    const double *li = &lambda[size_t(i) * n], *bi = &b[size_t(i) * n], *ci = C + size_t(i) * n, *ui = u + size_t(i) * dv;
    double* yi = y + size_t(i) * dv;
    std::fill(yi, yi + dv, 0.0);
    for (int s = 0; s < n; ++s) {
      double* hs = &h[size_t(s) * dv];
      for (int c = 0; c < dv; ++c) {
        hs[c] = li[s] * hs[c] + bi[s] * ui[c];
        yi[c] += ci[s] * hs[c];
      }
    }
  }
}

void s6_shared_phi(const double* delta, const double* A, const double* B, const double* C, double* phi, int L, int n) {
  std::vector<double> lambda, b;
  s6_shared_system(delta, A, B, L, n, lambda, b);
  diag_system_phi(lambda.data(), b.data(), C, phi, L, n);
}

namespace {

// Column h of an (L, H) array.
void column(const double* m, int L, int H, int h, std::vector<double>& out) {
  out.resize(size_t(L));
  for (int i = 0; i < L; ++i) out[size_t(i)] = m[size_t(i) * H + h];
}

}  // namespace

void gated_rnn_forward(const double* x, const double* a, const double* g, const double* o, double* y, int L, int H) {
  // Time-major (every channel of a token at once): the same recurrence as
  // diag_system_forward with n = 1 per channel, without strided columns.
  std::vector<double> h(size_t(std::max(H, 0)), 0.0);
  for (int i = 0; i < L; ++i) {
    const size_t row = size_t(i) * H;
    for (int c = 0; c < H; ++c) {
      h[size_t(c)] = a[row + c] * h[size_t(c)] + g[row + c] * x[row + c];
      y[row + c] = o[row + c] * h[size_t(c)];
    }
  }
}

void gated_rnn_phi(const double* a, const double* g, const double* o, double* phi, int L, int H) {
  std::vector<double> ah, gh, oh;
  for (int h = 0; h < H; ++h) {
    column(a, L, H, h, ah), column(g, L, H, h, gh), column(o, L, H, h, oh);
    diag_system_phi(ah.data(), gh.data(), oh.data(), phi + size_t(h) * L * L, L, 1);
  }
}

}  // namespace attn
