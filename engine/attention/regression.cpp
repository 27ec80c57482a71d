// regression.cpp - test-time-regression memory layers (regression.h).
#include "engine/attention/regression.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <vector>

#include "engine/rng.h"

namespace attn {
namespace {

using MatrixRM = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

double dot(const double* a, const double* b, int n) {
  double s = 0;
  for (int c = 0; c < n; ++c) s += a[c] * b[c];
  return s;
}

// y = M q for M (dv, dk).
void apply(const double* M, const double* q, double* y, int dk, int dv) {
  for (int r = 0; r < dv; ++r) y[r] = dot(M + size_t(r) * dk, q, dk);
}

// Runs a recurrence over the keys and reads every query out right after its
// last visible key: update(j) folds pair j into the state, read(i, y) writes
// query i's output.  Queries that see no key get 0.
template <class Update, class Read>
void scan_keys(int nq, int t, int dv, bool causal, double* Y, Update update, Read read) {
  std::fill(Y, Y + size_t(nq) * dv, 0.0);
  for (int j = 0; j < t; ++j) {
    update(j);
    for (int i = 0; i < nq; ++i)
      if (ttr_visible(i, nq, t, causal) == j + 1) read(i, Y + size_t(i) * dv);
  }
}

double clamp_ridge(double lambda) { return std::max(lambda, 1e-12); }

}  // namespace

// ------------------------------------------------------------ linear attention
void ttr_linear_forward(const double* Q, const double* K, const double* V, double* Y, int nq, int t, int dk, int dv,
                        bool causal, double* M_final) {
  std::vector<double> M(size_t(dv) * dk, 0.0);
  scan_keys(
      nq, t, dv, causal, Y,
      [&](int j) {  // M += v_j k_j^T
        const double *k = K + size_t(j) * dk, *v = V + size_t(j) * dv;
        for (int r = 0; r < dv; ++r)
          for (int c = 0; c < dk; ++c) M[size_t(r) * dk + c] += v[r] * k[c];
      },
      [&](int i, double* y) { apply(M.data(), Q + size_t(i) * dk, y, dk, dv); });
  if (M_final) std::copy(M.begin(), M.end(), M_final);
}

void ttr_linear_forward_ref(const double* Q, const double* K, const double* V, double* Y, int nq, int t, int dk,
                            int dv, bool causal) {
  for (int i = 0; i < nq; ++i) {
    double* y = Y + size_t(i) * dv;
    std::fill(y, y + dv, 0.0);
    const int vis = ttr_visible(i, nq, t, causal);
    for (int j = 0; j < vis; ++j) {
      const double w = dot(Q + size_t(i) * dk, K + size_t(j) * dk, dk);
      for (int r = 0; r < dv; ++r) y[r] += w * V[size_t(j) * dv + r];
    }
  }
}

void ttr_gd_step(double* M, const double* K, const double* V, int t, int dk, int dv, double eta) {
  // The gradient of 1/2 sum_j ||v_j - M k_j||^2 is sum_j (M k_j - v_j) k_j^T, taken at the current M.
  std::vector<double> G(size_t(dv) * dk, 0.0), r(static_cast<size_t>(dv));
  for (int j = 0; j < t; ++j) {
    const double* k = K + size_t(j) * dk;
    apply(M, k, r.data(), dk, dv);
    for (int a = 0; a < dv; ++a) {
      const double e = r[size_t(a)] - V[size_t(j) * dv + a];
      for (int c = 0; c < dk; ++c) G[size_t(a) * dk + c] += e * k[c];
    }
  }
  for (size_t x = 0; x < G.size(); ++x) M[x] -= eta * G[x];
}

// ------------------------------------------------------------------- gated
void ttr_gated_forward(const double* Q, const double* K, const double* V, const double* gamma, double* Y, int nq,
                       int t, int dk, int dv, bool causal, double* M_final) {
  std::vector<double> M(size_t(dv) * dk, 0.0);
  scan_keys(
      nq, t, dv, causal, Y,
      [&](int j) {  // M = gamma_j M + v_j k_j^T
        const double *k = K + size_t(j) * dk, *v = V + size_t(j) * dv, g = gamma[j];
        for (int r = 0; r < dv; ++r)
          for (int c = 0; c < dk; ++c) M[size_t(r) * dk + c] = g * M[size_t(r) * dk + c] + v[r] * k[c];
      },
      [&](int i, double* y) { apply(M.data(), Q + size_t(i) * dk, y, dk, dv); });
  if (M_final) std::copy(M.begin(), M.end(), M_final);
}

void ttr_gated_forward_ref(const double* Q, const double* K, const double* V, const double* gamma, double* Y, int nq,
                           int t, int dk, int dv, bool causal) {
  for (int i = 0; i < nq; ++i) {
    double* y = Y + size_t(i) * dv;
    std::fill(y, y + dv, 0.0);
    const int vis = ttr_visible(i, nq, t, causal);
    double decay = 1;  // prod_{l=j+1..vis-1} gamma_l, built from the newest key back
    for (int j = vis - 1; j >= 0; --j) {
      if (j < vis - 1) decay *= gamma[j + 1];
      const double w = decay * dot(Q + size_t(i) * dk, K + size_t(j) * dk, dk);
      for (int r = 0; r < dv; ++r) y[r] += w * V[size_t(j) * dv + r];
    }
  }
}

// ----------------------------------------------------------- least squares
void ttr_least_squares_memory(const double* K, const double* V, int t, int dk, int dv, double lambda, double* M) {
  Eigen::Map<const MatrixRM> Km(K, t, dk), Vm(V, t, dv);
  Eigen::MatrixXd G = Km.transpose() * Km;  // sum_j k_j k_j^T, (dk, dk)
  G.diagonal().array() += clamp_ridge(lambda);
  // M G = V^T K  <=>  G M^T = K^T V  (G symmetric positive definite).
  const Eigen::MatrixXd Mt = G.llt().solve(Km.transpose() * Vm);  // (dk, dv)
  for (int r = 0; r < dv; ++r)
    for (int c = 0; c < dk; ++c) M[size_t(r) * dk + c] = Mt(c, r);
}

void ttr_least_squares_forward_ref(const double* Q, const double* K, const double* V, double* Y, int nq, int t,
                                   int dk, int dv, double lambda, bool causal) {
  std::vector<double> M(size_t(dv) * dk);
  for (int i = 0; i < nq; ++i) {
    double* y = Y + size_t(i) * dv;
    const int vis = ttr_visible(i, nq, t, causal);
    if (vis == 0) {
      std::fill(y, y + dv, 0.0);
      continue;
    }
    ttr_least_squares_memory(K, V, vis, dk, dv, lambda, M.data());
    apply(M.data(), Q + size_t(i) * dk, y, dk, dv);
  }
}

void ttr_rls_forward(const double* Q, const double* K, const double* V, double* Y, int nq, int t, int dk, int dv,
                     double lambda, bool causal, double* M_final) {
  std::vector<double> M(size_t(dv) * dk, 0.0), P(size_t(dk) * dk, 0.0), Pk(static_cast<size_t>(dk)), r(static_cast<size_t>(dv));
  for (int c = 0; c < dk; ++c) P[size_t(c) * dk + c] = 1.0 / clamp_ridge(lambda);  // P_0 = (lambda I)^-1
  scan_keys(
      nq, t, dv, causal, Y,
      [&](int j) {
        const double *k = K + size_t(j) * dk, *v = V + size_t(j) * dv;
        for (int a = 0; a < dk; ++a) Pk[size_t(a)] = dot(&P[size_t(a) * dk], k, dk);
        const double denom = 1.0 + dot(k, Pk.data(), dk);  // >= 1: P stays positive definite
        apply(M.data(), k, r.data(), dk, dv);
        for (int a = 0; a < dv; ++a) {
          const double e = v[a] - r[size_t(a)];  // the new pair's residual under the old fit
          for (int c = 0; c < dk; ++c) M[size_t(a) * dk + c] += e * Pk[size_t(c)] / denom;
        }
        for (int a = 0; a < dk; ++a)
          for (int c = 0; c < dk; ++c) P[size_t(a) * dk + c] -= Pk[size_t(a)] * Pk[size_t(c)] / denom;
      },
      [&](int i, double* y) { apply(M.data(), Q + size_t(i) * dk, y, dk, dv); });
  if (M_final) std::copy(M.begin(), M.end(), M_final);
}

// ------------------------------------------------------------------ DeltaNet
void ttr_delta_forward(const double* Q, const double* K, const double* V, double beta, double* Y, int nq, int t,
                       int dk, int dv, bool causal, double* M_final) {
  std::vector<double> M(size_t(dv) * dk, 0.0), r(static_cast<size_t>(dv));
  scan_keys(
      nq, t, dv, causal, Y,
      [&](int j) {
        const double *k = K + size_t(j) * dk, *v = V + size_t(j) * dv;
        apply(M.data(), k, r.data(), dk, dv);
        for (int a = 0; a < dv; ++a) {
          const double e = beta * (v[a] - r[size_t(a)]);
          for (int c = 0; c < dk; ++c) M[size_t(a) * dk + c] += e * k[c];
        }
      },
      [&](int i, double* y) { apply(M.data(), Q + size_t(i) * dk, y, dk, dv); });
  if (M_final) std::copy(M.begin(), M.end(), M_final);
}

void ttr_delta_forward_ref(const double* Q, const double* K, const double* V, double beta, double* Y, int nq, int t,
                           int dk, int dv, bool causal) {
  // Forward substitution for W: w_j = beta (v_j - sum_{l<j} (k_l . k_j) w_l).
  std::vector<double> W(size_t(t) * dv);
  for (int j = 0; j < t; ++j) {
    double* w = &W[size_t(j) * dv];
    for (int a = 0; a < dv; ++a) w[a] = V[size_t(j) * dv + a];
    for (int l = 0; l < j; ++l) {
      const double g = dot(K + size_t(l) * dk, K + size_t(j) * dk, dk);
      for (int a = 0; a < dv; ++a) w[a] -= g * W[size_t(l) * dv + a];
    }
    for (int a = 0; a < dv; ++a) w[a] *= beta;
  }
  ttr_linear_forward_ref(Q, K, W.data(), Y, nq, t, dk, dv, causal);
}

// ------------------------------------------------------------ local linear
namespace {

// a = vbar + B (q - kbar), B = S_vk (S_kk + lambda I)^-1, from normalized
// moments (means kbar (dk), vbar (dv); covariances Skk (dk, dk), Svk (dv, dk)).
void local_linear_readout(const double* q, const Eigen::VectorXd& kbar, const Eigen::VectorXd& vbar,
                          Eigen::MatrixXd Skk, const Eigen::MatrixXd& Svk, double lambda, double* y) {
  const int dk = int(kbar.size()), dv = int(vbar.size());
  Skk.diagonal().array() += clamp_ridge(lambda);
  Eigen::VectorXd dq(dk);
  for (int c = 0; c < dk; ++c) dq(c) = q[c] - kbar(c);
  // B (q - kbar) = S_vk (S_kk + lambda I)^-1 (q - kbar): one solve with the symmetric matrix.
  const Eigen::VectorXd z = Skk.ldlt().solve(dq);
  const Eigen::VectorXd a = vbar + Svk * z;
  for (int r = 0; r < dv; ++r) y[r] = std::isfinite(a(r)) ? a(r) : 0.0;
}

}  // namespace

void ttr_local_linear_forward(const double* Q, const double* K, const double* V, double* Y, int nq, int t, int dk,
                              int dv, double inv_tau, double lambda, bool causal) {
  // Per query: running max score m and sums scaled by e^(-m) (online softmax).
  struct State {
    double m = -HUGE_VAL, w = 0;
    Eigen::VectorXd sk, sv;
    Eigen::MatrixXd skk, svk;
  };
  std::vector<State> st(static_cast<size_t>(nq));
  for (State& s : st) {
    s.sk = Eigen::VectorXd::Zero(dk), s.sv = Eigen::VectorXd::Zero(dv);
    s.skk = Eigen::MatrixXd::Zero(dk, dk), s.svk = Eigen::MatrixXd::Zero(dv, dk);
  }
  scan_keys(
      nq, t, dv, causal, Y,
      [&](int j) {
        Eigen::Map<const Eigen::VectorXd> k(K + size_t(j) * dk, dk), v(V + size_t(j) * dv, dv);
        for (int i = 0; i < nq; ++i) {
          if (j >= ttr_visible(i, nq, t, causal)) continue;
          State& s = st[size_t(i)];
          const double score = inv_tau * dot(Q + size_t(i) * dk, K + size_t(j) * dk, dk);
          if (score > s.m) {  // rescale what was summed to the new maximum
            const double r = detmath::exp(s.m - score);
            s.w *= r, s.sk *= r, s.sv *= r, s.skk *= r, s.svk *= r;
            s.m = score;
          }
          const double e = detmath::exp(score - s.m);
          s.w += e, s.sk += e * k, s.sv += e * v;
          s.skk.noalias() += (e * k) * k.transpose();  // rank-one updates, no temporaries
          s.svk.noalias() += (e * v) * k.transpose();
        }
      },
      [&](int i, double* y) {
        const State& s = st[size_t(i)];
        const Eigen::VectorXd kbar = s.sk / s.w, vbar = s.sv / s.w;
        const Eigen::MatrixXd Skk = s.skk / s.w - kbar * kbar.transpose();
        const Eigen::MatrixXd Svk = s.svk / s.w - vbar * kbar.transpose();
        local_linear_readout(Q + size_t(i) * dk, kbar, vbar, Skk, Svk, lambda, y);
      });
}

void ttr_local_linear_forward_ref(const double* Q, const double* K, const double* V, double* Y, int nq, int t,
                                  int dk, int dv, double inv_tau, double lambda, bool causal) {
  std::vector<double> p(static_cast<size_t>(t));
  for (int i = 0; i < nq; ++i) {
    double* y = Y + size_t(i) * dv;
    const int vis = ttr_visible(i, nq, t, causal);
    if (vis == 0) {
      std::fill(y, y + dv, 0.0);
      continue;
    }
    // The row's softmax weights, materialized.
    double mx = -HUGE_VAL, sum = 0;
    for (int j = 0; j < vis; ++j) mx = std::max(mx, p[size_t(j)] = inv_tau * dot(Q + size_t(i) * dk, K + size_t(j) * dk, dk));
    for (int j = 0; j < vis; ++j) sum += (p[size_t(j)] = detmath::exp(p[size_t(j)] - mx));
    for (int j = 0; j < vis; ++j) p[size_t(j)] /= sum;
    Eigen::VectorXd kbar = Eigen::VectorXd::Zero(dk), vbar = Eigen::VectorXd::Zero(dv);
    for (int j = 0; j < vis; ++j) {
      kbar += p[size_t(j)] * Eigen::Map<const Eigen::VectorXd>(K + size_t(j) * dk, dk);
      vbar += p[size_t(j)] * Eigen::Map<const Eigen::VectorXd>(V + size_t(j) * dv, dv);
    }
    // Centred moments in one more pass (the recurrence uses raw moments minus the means' product).
    Eigen::MatrixXd Skk = Eigen::MatrixXd::Zero(dk, dk), Svk = Eigen::MatrixXd::Zero(dv, dk);
    for (int j = 0; j < vis; ++j) {
      const Eigen::VectorXd dk_ = Eigen::Map<const Eigen::VectorXd>(K + size_t(j) * dk, dk) - kbar;
      const Eigen::VectorXd dv_ = Eigen::Map<const Eigen::VectorXd>(V + size_t(j) * dv, dv) - vbar;
      Skk.noalias() += (p[size_t(j)] * dk_) * dk_.transpose();
      Svk.noalias() += (p[size_t(j)] * dv_) * dk_.transpose();
    }
    local_linear_readout(Q + size_t(i) * dk, kbar, vbar, Skk, Svk, lambda, y);
  }
}

}  // namespace attn
