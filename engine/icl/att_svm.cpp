// att_svm.cpp - see att_svm.h.
#include "engine/icl/att_svm.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>

#include "engine/icl/normal.h"
#include "engine/timing.h"

namespace icl {

namespace {

void unit_vector(pg::Rng& rng, double* out, int d) {
  double norm = 0.0;
  do {
    fill_normal(rng, out, d);
    norm = 0.0;
    for (int k = 0; k < d; ++k) norm += out[k] * out[k];
  } while (norm == 0.0);
  norm = std::sqrt(norm);
  for (int k = 0; k < d; ++k) out[k] /= norm;
}

// <x, W z> for W (d, d).
double bilinear(const double* x, const double* W, const double* z, int d) {
  double acc = 0.0;
  for (int i = 0; i < d; ++i) {
    double wz = 0.0;
    for (int j = 0; j < d; ++j) wz += W[i * d + j] * z[j];
    acc += x[i] * wz;
  }
  return acc;
}

// <W, (x_opt - x_t) z^T>_F for constraint k.
double constraint_value(const AttSvmData& data, const AttSvmSolution& sol, const std::vector<int>& opt_of, int k,
                        const double* W) {
  const int i = sol.sample[k], d = data.d;
  const double* xo = data.token(i, opt_of[i]);
  const double* xt = data.token(i, sol.token[k]);
  double acc = 0.0;
  for (int r = 0; r < d; ++r) {
    double wz = 0.0;
    for (int c = 0; c < d; ++c) wz += W[r * d + c] * data.query(i)[c];
    acc += (xo[r] - xt[r]) * wz;
  }
  return acc;
}

}  // namespace

void sample_att_svm(int n, int T, int d, pg::Rng& rng, AttSvmData& out) {
  T = std::min(T, 64);  // att_forward keeps the T scores on the stack
  out.n = n;
  out.T = T;
  out.d = d;
  out.X.assign(size_t(n) * T * d, 0.0);
  out.z.assign(size_t(n) * d, 0.0);
  out.Y.assign(size_t(n), 1.0);
  out.v.assign(size_t(d), 0.0);
  unit_vector(rng, out.v.data(), d);
  for (int i = 0; i < n; ++i) out.Y[i] = rng.uniform() < 0.5 ? -1.0 : 1.0;
  for (int i = 0; i < n; ++i)
    for (int t = 0; t < T; ++t) unit_vector(rng, &out.X[(size_t(i) * T + t) * d], d);
  for (int i = 0; i < n; ++i) unit_vector(rng, &out.z[size_t(i) * d], d);
}

std::vector<int> optimal_tokens(const AttSvmData& data) {
  std::vector<int> opt(static_cast<size_t>(data.n), 0);
  for (int i = 0; i < data.n; ++i) {
    double best = -INFINITY;
    for (int t = 0; t < data.T; ++t) {
      double score = 0.0;
      for (int k = 0; k < data.d; ++k) score += data.v[k] * data.token(i, t)[k];
      score *= data.Y[i];
      if (score > best) {
        best = score;
        opt[i] = t;
      }
    }
  }
  return opt;
}

std::vector<int> selected_tokens(const AttSvmData& data, const double* W) {
  std::vector<int> sel(static_cast<size_t>(data.n), 0);
  for (int i = 0; i < data.n; ++i) {
    double best = -INFINITY;
    for (int t = 0; t < data.T; ++t) {
      const double s = bilinear(data.token(i, t), W, data.query(i), data.d);
      if (s > best) {
        best = s;
        sel[i] = t;
      }
    }
  }
  return sel;
}

AttSvmSolution solve_att_svm(const AttSvmData& data, const std::vector<int>& opt, double tol, int max_sweeps) {
  const int d = data.d;
  AttSvmSolution sol;
  for (int i = 0; i < data.n; ++i)
    for (int t = 0; t < data.T; ++t)
      if (t != opt[i]) {
        sol.sample.push_back(i);
        sol.token.push_back(t);
      }
  const int K = int(sol.sample.size());
  sol.lambda.assign(size_t(K), 0.0);
  sol.W.assign(size_t(d) * d, 0.0);
  // ||a_k||_F^2 = ||x_opt - x_t||^2 ||z||^2 (a rank-one matrix).
  std::vector<double> a_norm2(static_cast<size_t>(K));
  for (int k = 0; k < K; ++k) {
    const int i = sol.sample[k];
    const double *xo = data.token(i, opt[i]), *xt = data.token(i, sol.token[k]), *z = data.query(i);
    double dx2 = 0.0, z2 = 0.0;
    for (int r = 0; r < d; ++r) {
      dx2 += (xo[r] - xt[r]) * (xo[r] - xt[r]);
      z2 += z[r] * z[r];
    }
    a_norm2[k] = dx2 * z2;
    if (a_norm2[k] == 0.0) sol.feasible = false;
  }
  if (!sol.feasible || K == 0) return sol;

  // Hildreth: for each constraint, the exact maximizer of the dual along lambda_k,
  // clipped at 0; W = sum_k lambda_k a_k is kept up to date.
  auto add_rank_one = [&](int k, double delta) {
    const int i = sol.sample[k];
    const double *xo = data.token(i, opt[i]), *xt = data.token(i, sol.token[k]), *z = data.query(i);
    for (int r = 0; r < d; ++r)
      for (int c = 0; c < d; ++c) sol.W[r * d + c] += delta * (xo[r] - xt[r]) * z[c];
  };
  for (sol.sweeps = 0; sol.sweeps < max_sweeps; ++sol.sweeps) {
    double max_change = 0.0;
    for (int k = 0; k < K; ++k) {
      const double slack = 1.0 - constraint_value(data, sol, opt, k, sol.W.data());
      const double next = std::max(0.0, sol.lambda[k] + slack / a_norm2[k]);
      const double delta = next - sol.lambda[k];
      if (delta != 0.0) {
        add_rank_one(k, delta);
        sol.lambda[k] = next;
      }
      max_change = std::max(max_change, std::fabs(delta) * std::sqrt(a_norm2[k]));
    }
    if (max_change < tol) break;
  }

  // Polish: on the active set the constraints hold with equality, G lambda_A = 1
  // with G_kl = <a_k, a_l>.  Keep the direct solution if it is dual feasible.
  std::vector<int> active;
  for (int k = 0; k < K; ++k)
    if (sol.lambda[k] > 0.0) active.push_back(k);
  if (!active.empty()) {
    const int m = int(active.size());
    Eigen::MatrixXd G(m, m);
    for (int p = 0; p < m; ++p)
      for (int q = 0; q < m; ++q) {
        const int kp = active[p], kq = active[q];
        const int ip = sol.sample[kp], iq = sol.sample[kq];
        const double *xop = data.token(ip, opt[ip]), *xtp = data.token(ip, sol.token[kp]);
        const double *xoq = data.token(iq, opt[iq]), *xtq = data.token(iq, sol.token[kq]);
        double dxdx = 0.0, zz = 0.0;  // <u_p z_p^T, u_q z_q^T> = <u_p, u_q> <z_p, z_q>
        for (int r = 0; r < d; ++r) {
          dxdx += (xop[r] - xtp[r]) * (xoq[r] - xtq[r]);
          zz += data.query(ip)[r] * data.query(iq)[r];
        }
        G(p, q) = dxdx * zz;
      }
    const Eigen::VectorXd lam = G.completeOrthogonalDecomposition().solve(Eigen::VectorXd::Ones(m));
    if (lam.minCoeff() >= 0.0) {
      std::vector<double> polished(static_cast<size_t>(K), 0.0);
      for (int p = 0; p < m; ++p) polished[active[p]] = lam(p);
      std::vector<double> W(size_t(d) * d, 0.0);
      for (int k = 0; k < K; ++k) {
        if (polished[k] == 0.0) continue;
        const int i = sol.sample[k];
        const double *xo = data.token(i, opt[i]), *xt = data.token(i, sol.token[k]), *z = data.query(i);
        for (int r = 0; r < d; ++r)
          for (int c = 0; c < d; ++c) W[r * d + c] += polished[k] * (xo[r] - xt[r]) * z[c];
      }
      bool primal_ok = true;
      for (int k = 0; k < K; ++k) primal_ok = primal_ok && constraint_value(data, sol, opt, k, W.data()) >= 1.0 - 1e-12;
      if (primal_ok) {
        sol.lambda = polished;
        sol.W = W;
      }
    }
  }
  return sol;
}

std::vector<double> singular_values(const double* W, int d) {
  Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> M(W, d, d);
  const Eigen::VectorXd s = Eigen::JacobiSVD<Eigen::MatrixXd>(M).singularValues();
  return std::vector<double>(s.data(), s.data() + s.size());
}

double nuclear_norm(const double* W, int d) {
  double sum = 0.0;
  for (double s : singular_values(W, d)) sum += s;
  return sum;
}

NuclearSvmSolution solve_att_svm_nuclear(const AttSvmData& data, const std::vector<int>& opt, double gap_tol,
                                         int max_iterations) {
  using Mat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const int d = data.d, dd = d * d;
  NuclearSvmSolution out;
  // The constraint matrices a_k (K, d*d), in solve_att_svm's order, and their Gram matrix.
  std::vector<double> a;
  for (int i = 0; i < data.n; ++i)
    for (int t = 0; t < data.T; ++t) {
      if (t == opt[i]) continue;
      const double *xo = data.token(i, opt[i]), *xt = data.token(i, t), *z = data.query(i);
      for (int r = 0; r < d; ++r)
        for (int c = 0; c < d; ++c) a.push_back((xo[r] - xt[r]) * z[c]);
    }
  const int K = int(a.size()) / std::max(dd, 1);
  const Eigen::Map<const Mat> A(a.data(), K, dd);
  const Mat G = A * A.transpose();
  for (int k = 0; k < K; ++k) out.feasible = out.feasible && G(k, k) > 0;
  out.W.assign(size_t(dd), 0.0);
  out.lambda.assign(size_t(K), 0.0);
  if (!out.feasible || K == 0) return out;

  // Start from the Frobenius solution (feasible), U = 0.
  const AttSvmSolution fro = solve_att_svm(data, opt);
  Eigen::VectorXd Z = Eigen::Map<const Eigen::VectorXd>(fro.W.data(), dd), W = Z, U = Eigen::VectorXd::Zero(dd);
  Eigen::VectorXd nu = Eigen::VectorXd::Zero(K), best_W = Z, best_lambda = Eigen::VectorXd::Zero(K);
  Eigen::Map<Eigen::VectorXd> lambda_out(out.lambda.data(), K);
  double upper = INFINITY, lower = 0.0, svt_upper = INFINITY;
  Eigen::VectorXd best_svt = Z;  // the best thresholded W: exactly low-rank, preferred when as good
  double rho = 1.0 / std::max(Eigen::JacobiSVD<Eigen::MatrixXd>(Eigen::Map<const Mat>(fro.W.data(), d, d))
                                  .singularValues()(0), 1e-12);
  auto nuclear = [d](const Eigen::VectorXd& v) {
    return Eigen::JacobiSVD<Eigen::MatrixXd>(Eigen::Map<const Mat>(v.data(), d, d)).singularValues().sum();
  };
  // Certified bounds from a candidate W (rescaled to feasibility) and multipliers lambda.
  auto certify = [&](const Eigen::VectorXd& Wc, const Eigen::VectorXd& lam, bool thresholded) {
    const double m = (A * Wc).minCoeff();
    if (m > 0) {
      const double value = nuclear(Wc) / m;
      if (value < upper) upper = value, best_W = Wc / m;
      if (thresholded && value < svt_upper) svt_upper = value, best_svt = Wc / m;
    }
    const Eigen::VectorXd S = A.transpose() * lam;
    const double spec = Eigen::JacobiSVD<Eigen::MatrixXd>(Eigen::Map<const Mat>(S.data(), d, d)).singularValues()(0);
    if (spec > 0 && lam.sum() / spec > lower) lower = lam.sum() / spec, best_lambda = lam / spec;
  };
  certify(Z, nu, false);
  Eigen::JacobiSVD<Eigen::MatrixXd> svd(d, d, Eigen::ComputeFullU | Eigen::ComputeFullV);
  int it = 0;
  for (; it < max_iterations; ++it) {
    // W <- SVT(Z - U, 1/rho)
    const Eigen::VectorXd P = Z - U;
    svd.compute(Eigen::Map<const Mat>(P.data(), d, d));
    const Eigen::VectorXd shrunk = (svd.singularValues().array() - 1.0 / rho).max(0.0).matrix();
    const Eigen::MatrixXd Wm = svd.matrixU() * shrunk.asDiagonal() * svd.matrixV().transpose();
    for (int r = 0; r < d; ++r)
      for (int c = 0; c < d; ++c) W(r * d + c) = Wm(r, c);
    // Z <- proj_C(W + U): Hildreth on nu, warm-started, working with <Z, a_k> = <Q, a_k> + (G nu)_k.
    const Eigen::VectorXd Q = W + U;
    const Eigen::VectorXd aq = A * Q;
    Eigen::VectorXd g_nu = G * nu;
    for (int sweep = 0; sweep < 2000; ++sweep) {
      double change = 0.0;
      for (int k = 0; k < K; ++k) {
        const double next = std::max(0.0, nu(k) + (1.0 - aq(k) - g_nu(k)) / G(k, k));
        const double delta = next - nu(k);
        if (delta != 0.0) {
          g_nu += delta * G.col(k);
          nu(k) = next;
          change = std::max(change, std::fabs(delta) * std::sqrt(G(k, k)));
        }
      }
      if (change <= 1e-15 * (1.0 + Q.norm())) break;
    }
    const Eigen::VectorXd Z_prev = Z;
    Z = Q + A.transpose() * nu;
    U += W - Z;
    // U = -sum nu_k a_k, so the multipliers of the constraints are rho nu.
    if (it % 10 == 9 || it + 1 == max_iterations) {
      certify(W, rho * nu, true);
      certify(Z, rho * nu, false);
      // Certified value, and iterates that have settled (W_* itself, not only its norm).
      if (upper - lower <= gap_tol * upper && (W - Z).norm() <= 1e-10 * Z.norm()) {
        ++it;
        break;
      }
    }
    // Residual balancing (Boyd et al. 2011, 3.4.1): rescale U with rho.
    const double r_primal = (W - Z).norm(), r_dual = rho * (Z - Z_prev).norm();
    if (r_primal > 10 * r_dual) rho *= 2, U /= 2, nu /= 2;
    else if (r_dual > 10 * r_primal) rho /= 2, U *= 2, nu *= 2;
  }
  out.iterations = it;
  // Z (feasible by construction, but full rank up to the ADMM error) usually
  // wins by a hair; the thresholded W has the solution's exact rank.
  if (svt_upper <= upper * (1 + gap_tol)) upper = svt_upper, best_W = best_svt;
  for (int j = 0; j < dd; ++j) out.W[j] = best_W(j);
  lambda_out = best_lambda;
  out.nuclear_norm = upper;
  out.dual_value = lower;
  out.gap = upper > 0 ? (upper - lower) / upper : 0.0;
  const std::vector<double> sv = singular_values(out.W.data(), d);
  for (double v : sv) out.rank += v > 1e-6 * sv[0];
  return out;
}

KktResiduals att_svm_kkt(const AttSvmData& data, const AttSvmSolution& sol) {
  const int d = data.d, K = int(sol.lambda.size());
  // Recover opt_i from the constraint list (the one token of sample i not listed).
  std::vector<int> opt(static_cast<size_t>(data.n), 0);
  for (int i = 0; i < data.n; ++i) {
    std::vector<bool> listed(static_cast<size_t>(data.T), false);
    for (int k = 0; k < K; ++k)
      if (sol.sample[k] == i) listed[sol.token[k]] = true;
    for (int t = 0; t < data.T; ++t)
      if (!listed[t]) opt[i] = t;
  }
  KktResiduals res;
  std::vector<double> sum(size_t(d) * d, 0.0);
  for (int k = 0; k < K; ++k) {
    const double value = constraint_value(data, sol, opt, k, sol.W.data());
    res.primal = std::max(res.primal, 1.0 - value);
    res.dual = std::max(res.dual, -sol.lambda[k]);
    res.complementarity = std::max(res.complementarity, std::fabs(sol.lambda[k] * (value - 1.0)));
    const int i = sol.sample[k];
    const double *xo = data.token(i, opt[i]), *xt = data.token(i, sol.token[k]), *z = data.query(i);
    for (int r = 0; r < d; ++r)
      for (int c = 0; c < d; ++c) sum[r * d + c] += sol.lambda[k] * (xo[r] - xt[r]) * z[c];
  }
  for (int j = 0; j < d * d; ++j) res.stationarity = std::max(res.stationarity, std::fabs(sol.W[j] - sum[j]));
  return res;
}

double att_forward(const AttSvmData& data, int i, const double* W, double* probs) {
  const int T = data.T, d = data.d;
  double scores[64];  // T <= 64 (the lesson uses 3..8)
  double smax = -INFINITY;
  for (int t = 0; t < T && t < 64; ++t) {
    scores[t] = bilinear(data.token(i, t), W, data.query(i), d);
    smax = std::max(smax, scores[t]);
  }
  double sum = 0.0;
  for (int t = 0; t < T && t < 64; ++t) {
    scores[t] = detmath::exp(scores[t] - smax);
    sum += scores[t];
  }
  double f = 0.0;
  for (int t = 0; t < T && t < 64; ++t) {
    const double p = scores[t] / sum;
    if (probs) probs[t] = p;
    double vx = 0.0;
    for (int k = 0; k < d; ++k) vx += data.v[k] * data.token(i, t)[k];
    f += p * vx;
  }
  return f;
}

double att_loss_grad(const AttSvmData& data, const double* W, double* grad) {
  const int T = data.T, d = data.d, n = data.n;
  double probs[64], gamma[64];
  for (int j = 0; j < d * d; ++j) grad[j] = 0.0;
  double loss = 0.0;
  for (int i = 0; i < n; ++i) {
    const double f = att_forward(data, i, W, probs);
    const double margin = data.Y[i] * f;
    // log(1 + e^-m), stable both ways; dloss/df = -Y sigmoid(-m) / n
    loss += margin > 0 ? detmath::log(1.0 + detmath::exp(-margin)) : -margin + detmath::log(1.0 + detmath::exp(margin));
    const double dl_df = -data.Y[i] / (1.0 + detmath::exp(margin)) / n;
    // df/dW = sum_t p_t (gamma_t - gamma_bar) x_t z^T,  gamma_t = <v, x_t>.
    // gamma_t - gamma_bar is summed as sum_s p_s (gamma_t - gamma_s): once the
    // softmax saturates, gamma_opt - gamma_bar is ~1e-100 and the plain
    // difference would be pure rounding error that swamps the true gradient.
    for (int t = 0; t < T; ++t) {
      gamma[t] = 0.0;
      for (int k = 0; k < d; ++k) gamma[t] += data.v[k] * data.token(i, t)[k];
    }
    const double* z = data.query(i);
    for (int t = 0; t < T; ++t) {
      double centred = 0.0;
      for (int s = 0; s < T; ++s) centred += probs[s] * (gamma[t] - gamma[s]);
      const double coef = dl_df * probs[t] * centred;
      const double* x = data.token(i, t);
      for (int r = 0; r < d; ++r)
        for (int c = 0; c < d; ++c) grad[r * d + c] += coef * x[r] * z[c];
    }
  }
  return loss / n;
}

// Sample i's attention in the log domain: logp (T,) = log softmax(X_i W z_i),
// gamma (T,) = v^T x_t, and the output f = sum_t p_t gamma_t.
static double sample_log_attention(const AttSvmData& data, const double* W, int i, int T, double* logp, double* gamma) {
  const int d = data.d;
  double smax = -INFINITY;
  for (int t = 0; t < T; ++t) smax = std::max(smax, logp[t] = bilinear(data.token(i, t), W, data.query(i), d));
  double sum = 0.0;
  for (int t = 0; t < T; ++t) sum += detmath::exp(logp[t] - smax);
  const double lse = detmath::log(sum);
  double f = 0.0;
  for (int t = 0; t < T; ++t) {
    logp[t] -= smax + lse;
    gamma[t] = 0.0;
    for (int k = 0; k < d; ++k) gamma[t] += data.v[k] * data.token(i, t)[k];
    f += detmath::exp(logp[t]) * gamma[t];
  }
  return f;
}

double att_loss_grad_direction(const AttSvmData& data, const double* W, double* grad, double* log_scale) {
  const int T = std::min(data.T, 64), d = data.d, n = data.n;
  double logp[64], gamma[64];
  // Pass 1: the loss and the largest log(p_t p_s) over all samples and pairs.
  double loss = 0.0, top = -INFINITY;
  for (int i = 0; i < n; ++i) {
    const double f = sample_log_attention(data, W, i, T, logp, gamma);
    const double margin = data.Y[i] * f;
    loss += margin > 0 ? detmath::log(1.0 + detmath::exp(-margin)) : -margin + detmath::log(1.0 + detmath::exp(margin));
    for (int t = 0; t < T; ++t)
      for (int s = t + 1; s < T; ++s)
        if (gamma[t] != gamma[s]) top = std::max(top, logp[t] + logp[s]);
  }
  for (int j = 0; j < d * d; ++j) grad[j] = 0.0;
  if (log_scale) *log_scale = std::isfinite(top) ? top : 0.0;
  if (!std::isfinite(top)) return loss / n;
  // Pass 2: sum_i dl/df_i sum_{t<s} e^(log p_t + log p_s - top) (gamma_t - gamma_s) (x_t - x_s) z_i^T.
  for (int i = 0; i < n; ++i) {
    const double f = sample_log_attention(data, W, i, T, logp, gamma);
    const double dl_df = -data.Y[i] / (1.0 + detmath::exp(data.Y[i] * f)) / n;
    const double* z = data.query(i);
    for (int t = 0; t < T; ++t)
      for (int s = t + 1; s < T; ++s) {
        const double coef = dl_df * detmath::exp(logp[t] + logp[s] - top) * (gamma[t] - gamma[s]);
        if (coef == 0.0) continue;
        const double *xt = data.token(i, t), *xs = data.token(i, s);
        for (int r = 0; r < d; ++r) {
          const double dx = coef * (xt[r] - xs[r]);
          for (int c = 0; c < d; ++c) grad[r * d + c] += dx * z[c];
        }
      }
  }
  return loss / n;
}

double matrix_correlation(const double* A, const double* B, int size) {
  double ab = 0.0, aa = 0.0, bb = 0.0;
  for (int j = 0; j < size; ++j) {
    ab += A[j] * B[j];
    aa += A[j] * A[j];
    bb += B[j] * B[j];
  }
  return (aa > 0 && bb > 0) ? ab / std::sqrt(aa * bb) : 0.0;
}

void AttGdRun::reset(const AttSvmData& data, const AttGdConfig& config) {
  data_ = data;
  config_ = config;
  const int d = data.d;
  opt_ = optimal_tokens(data);
  pg::Rng rng(config.seed);
  const double std_dev = config.init_scale / std::sqrt(double(d));
  W_.assign(size_t(d) * d, 0.0);
  grad_.assign(size_t(d) * d, 0.0);
  probs_.assign(size_t(data.T), 0.0);
  if (config.factorized) {
    K_.assign(size_t(d) * d, 0.0);
    Q_.assign(size_t(d) * d, 0.0);
    dK_.assign(size_t(d) * d, 0.0);
    dQ_.assign(size_t(d) * d, 0.0);
    fill_normal(rng, K_.data(), d * d, std_dev);
    fill_normal(rng, Q_.data(), d * d, std_dev);
    refresh_w();
  } else {
    fill_normal(rng, W_.data(), d * d, std_dev);
  }
  steps_ = 0;
  loss_ = att_loss_grad_direction(data_, W_.data(), grad_.data());
}

void AttGdRun::refresh_w() {
  const int d = data_.d;
  for (int r = 0; r < d; ++r)
    for (int c = 0; c < d; ++c) {
      double acc = 0.0;
      for (int k = 0; k < d; ++k) acc += K_[r * d + k] * Q_[c * d + k];  // (K Q^T)_rc
      W_[r * d + c] = acc;
    }
}

int AttGdRun::step(int max_steps, double budget_ms) {
  const int d = data_.d;
  // The official code divides by ||grad|| + 2.2e-16, which stalls the run once the
  // softmax saturates (||grad|| ~ 1e-16 at ||W|| ~ 40); dividing by ||grad|| alone
  // keeps the step length lr, and the gradient is formed rescaled
  // (att_loss_grad_direction), so it does not underflow either.
  auto normalized_step = [&](std::vector<double>& param, const std::vector<double>& g) {
    double norm = 0.0;
    for (double v : g) norm += v * v;
    if (!(norm > 0.0) || !std::isfinite(norm)) return;
    const double scale = config_.lr / std::sqrt(norm);
    for (size_t j = 0; j < param.size(); ++j) param[j] -= scale * g[j];
  };
  return timing::run_budgeted(max_steps, budget_ms, [] { return false; }, [&] {
    // grad_ is the gradient at the current W (from reset or the previous step).
    if (config_.factorized) {
      // W = K Q^T:  dK = G Q,  dQ = G^T K
      for (int r = 0; r < d; ++r)
        for (int c = 0; c < d; ++c) {
          double gk = 0.0, gq = 0.0;
          for (int j = 0; j < d; ++j) {
            gk += grad_[r * d + j] * Q_[j * d + c];
            gq += grad_[j * d + r] * K_[j * d + c];
          }
          dK_[r * d + c] = gk;
          dQ_[r * d + c] = gq;
        }
      normalized_step(K_, dK_);
      normalized_step(Q_, dQ_);
      refresh_w();
    } else {
      normalized_step(W_, grad_);
    }
    loss_ = att_loss_grad_direction(data_, W_.data(), grad_.data());
    ++steps_;
  });
}

double AttGdRun::opt_token_prob() const {
  double sum = 0.0;
  std::vector<double> probs(static_cast<size_t>(data_.T));
  for (int i = 0; i < data_.n; ++i) {
    att_forward(data_, i, W_.data(), probs.data());
    sum += probs[opt_[i]];
  }
  return data_.n > 0 ? sum / data_.n : 0.0;
}

double AttGdRun::norm() const {
  double s = 0.0;
  for (double v : W_) s += v * v;
  return std::sqrt(s);
}

}  // namespace icl
