// test_nn_hessian.cpp - engine/nn/hessian: Hessian-vector products against
// exact Hessians, the trace estimators, Lanczos and stochastic Lanczos
// quadrature against a dense eigen-solve, and LLA's criteria.
#include <doctest/doctest.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <vector>

#include "engine/nn/hessian.h"
#include "engine/nn/losses_softmax.h"
#include "engine/nn/model.h"
#include "engine/rng.h"

namespace {

using Mat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

double rel_err(const std::vector<double>& a, const std::vector<double>& b) {
  double num = 0, den = 0;
  for (size_t i = 0; i < a.size(); ++i) num += (a[i] - b[i]) * (a[i] - b[i]), den += b[i] * b[i];
  return std::sqrt(num / std::max(den, 1e-300));
}

// A random symmetric (n, n) matrix Q diag(eigs) Q^T, Q orthogonal from a QR of a Gaussian matrix.
Mat with_spectrum(const std::vector<double>& eigs, pg::Rng& rng) {
  const int n = int(eigs.size());
  Eigen::MatrixXd G(n, n);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) G(i, j) = rng.normal();
  Eigen::HouseholderQR<Eigen::MatrixXd> qr(G);
  Eigen::MatrixXd Q = qr.householderQ();
  Eigen::VectorXd d(n);
  for (int i = 0; i < n; ++i) d[i] = eigs[i];
  Mat A = Q * d.asDiagonal() * Q.transpose();
  return 0.5 * (A + A.transpose());
}

nn::LinearOperator op_of(const Mat& A) {
  return [&A](const double* v, double* y) {
    const int n = int(A.rows());
    Eigen::Map<Eigen::VectorXd>(y, n) = A * Eigen::Map<const Eigen::VectorXd>(v, n);
  };
}

// An independent double-precision reference for nn::mlp(I, {H}, C, tanh) with
// mean softmax cross-entropy: forward and backward written out by hand, with
// the engine's parameter layout (W1 (H, I), b1 (H,), W2 (C, H), b2 (C,)).
struct TinyTanhNet {
  int I, H, C;
  std::vector<double> x;  // (n, I)
  std::vector<int> y;
  int n;
  double loss_and_grad(const double* p, double* g) const {
    const double *W1 = p, *b1 = p + H * I, *W2 = b1 + H, *b2 = W2 + C * H;
    if (g) std::fill(g, g + H * I + H + C * H + C, 0.0);
    double *gW1 = g, *gb1 = g ? g + H * I : nullptr, *gW2 = g ? gb1 + H : nullptr, *gb2 = g ? gW2 + C * H : nullptr;
    double total = 0;
    std::vector<double> h(H), z(C), dz(C), dh(H);
    for (int s = 0; s < n; ++s) {
      const double* xs = &x[size_t(s) * I];
      for (int j = 0; j < H; ++j) {
        double a = b1[j];
        for (int i = 0; i < I; ++i) a += W1[j * I + i] * xs[i];
        h[j] = std::tanh(a);
      }
      double mx = -1e300;
      for (int c = 0; c < C; ++c) {
        double a = b2[c];
        for (int j = 0; j < H; ++j) a += W2[c * H + j] * h[j];
        z[c] = a, mx = std::max(mx, a);
      }
      double se = 0;
      for (int c = 0; c < C; ++c) se += std::exp(z[c] - mx);
      total += std::log(se) + mx - z[y[s]];
      if (!g) continue;
      for (int c = 0; c < C; ++c) dz[c] = (std::exp(z[c] - mx) / se - (c == y[s])) / n;
      std::fill(dh.begin(), dh.end(), 0.0);
      for (int c = 0; c < C; ++c) {
        gb2[c] += dz[c];
        for (int j = 0; j < H; ++j) gW2[c * H + j] += dz[c] * h[j], dh[j] += dz[c] * W2[c * H + j];
      }
      for (int j = 0; j < H; ++j) {
        const double da = dh[j] * (1 - h[j] * h[j]);
        gb1[j] += da;
        for (int i = 0; i < I; ++i) gW1[j * I + i] += da * xs[i];
      }
    }
    return total / n;
  }
};

}  // namespace

TEST_CASE("hessian: finite-difference HVP of a double gradient matches the analytic Hessian") {
  // f(t) = sum_i log(1 + e^(a_i . t)) + (1/4) sum_j t_j^4
  // H = A^T diag(p (1 - p)) A + diag(3 t^2),  p = sigmoid(A t)
  pg::Rng rng(3);
  const int n = 7, m = 11;
  Mat A(m, n);
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j) A(i, j) = rng.normal();
  std::vector<double> theta(n);
  for (double& t : theta) t = rng.normal() * 0.5;
  auto grad = [&](const double* t, double* g) {
    Eigen::Map<const Eigen::VectorXd> T(t, n);
    Eigen::VectorXd p = (A * T).unaryExpr([](double u) { return 1 / (1 + std::exp(-u)); });
    Eigen::Map<Eigen::VectorXd>(g, n) = A.transpose() * p + T.array().cube().matrix();
  };
  Eigen::Map<const Eigen::VectorXd> T(theta.data(), n);
  Eigen::VectorXd p = (A * T).unaryExpr([](double u) { return 1 / (1 + std::exp(-u)); });
  Eigen::MatrixXd H = A.transpose() * (p.array() * (1 - p.array())).matrix().asDiagonal() * A;
  H.diagonal() += (3 * T.array().square()).matrix();

  nn::GradientHvp hvp;
  hvp.init(n, grad, nn::GradientHvp::kDoubleStep);
  hvp.set_point(theta.data());
  for (int trial = 0; trial < 5; ++trial) {
    std::vector<double> v(n), hv(n), exact(n);
    for (double& x : v) x = rng.normal() * (trial + 1);  // any length: the step is along v / ||v||
    hvp.apply(v.data(), hv.data());
    Eigen::Map<Eigen::VectorXd>(exact.data(), n) = H * Eigen::Map<const Eigen::VectorXd>(v.data(), n);
    CHECK(rel_err(hv, exact) < 1e-8);
  }
  std::vector<double> zero(n, 0.0), out(n, 1.0);
  hvp.apply(zero.data(), out.data());
  CHECK(*std::max_element(out.begin(), out.end()) == 0.0);
  CHECK(hvp.gradient_calls() == 10);
}

TEST_CASE("hessian: the HVP of a float network's training loss matches its exact Hessian") {
  // The exact Hessian comes from an independent double implementation of the
  // same net (hand-written forward/backward), differentiated once more by
  // central differences in double (error ~1e-10); the engine's product runs
  // the float network through ModelObjective.
  const int I = 3, Hd = 4, C = 3, N = 40;
  pg::Rng rng(11);
  TinyTanhNet net{I, Hd, C, {}, {}, N};
  for (int i = 0; i < N * I; ++i) net.x.push_back(float(rng.normal()));
  for (int i = 0; i < N; ++i) net.y.push_back(int(rng.below(C)));
  const nn::ModelSpec spec = nn::mlp(I, {Hd}, C, nn::LayerKind::tanh);
  nn::Model init;
  REQUIRE(init.init(spec, N, rng));
  const int P = init.num_params();
  REQUIRE(P == Hd * I + Hd + C * Hd + C);
  REQUIRE(init.param_offset(2) == Hd * I + Hd);
  for (int i = 0; i < P; ++i) init.params()[i] = float(rng.normal() * 0.8);  // biases too
  std::vector<float> xf(net.x.begin(), net.x.end());
  nn::SoftmaxCrossEntropy ce;
  nn::ModelObjective obj;
  REQUIRE(obj.init(spec, init.params(), ce, xf.data(), net.y.data(), N, 16, 0.0));  // 3 chunks
  const std::vector<double> theta = obj.initial_point();

  // Value and gradient agree with the double reference.
  std::vector<double> g_ref(P), g(P);
  const double f_ref = net.loss_and_grad(theta.data(), g_ref.data());
  CHECK(std::fabs(obj.value(theta.data()) - f_ref) < 1e-5);
  obj.gradient(theta.data(), g.data());
  CHECK(rel_err(g, g_ref) < 1e-4);

  // Exact Hessian of the reference.
  std::vector<double> Hx(size_t(P) * P), t = theta, gp(P), gm(P);
  const double h = 1e-5;
  for (int j = 0; j < P; ++j) {
    t[j] = theta[j] + h;
    net.loss_and_grad(t.data(), gp.data());
    t[j] = theta[j] - h;
    net.loss_and_grad(t.data(), gm.data());
    t[j] = theta[j];
    for (int i = 0; i < P; ++i) Hx[size_t(j) * P + i] = (gp[i] - gm[i]) / (2 * h);
  }
  nn::GradientHvp hvp;
  hvp.init(P, obj.gradient_fn(), nn::GradientHvp::kFloatModelStep);
  hvp.set_point(theta.data());
  std::vector<double> Hm(size_t(P) * P);
  nn::dense_hessian(hvp.op(), P, Hm.data());
  CHECK(rel_err(Hm, Hx) < 2e-3);
  // Along random directions, too.
  for (int trial = 0; trial < 3; ++trial) {
    std::vector<double> v(P), hv(P), exact(P, 0.0);
    for (double& x : v) x = rng.normal();
    hvp.apply(v.data(), hv.data());
    for (int i = 0; i < P; ++i)
      for (int j = 0; j < P; ++j) exact[i] += Hx[size_t(i) * P + j] * v[j];
    CHECK(rel_err(hv, exact) < 2e-3);
  }
  // The double-precision MLP objective: the same function, products to ~1e-9.
  nn::MlpObjective dbl;
  REQUIRE(dbl.init(spec, init.params(), xf.data(), net.y.data(), N, 0.0));
  REQUIRE(dbl.num_params() == P);
  CHECK(dbl.value(theta.data()) == doctest::Approx(f_ref).epsilon(1e-13));
  std::vector<double> g_dbl(P);
  dbl.gradient(theta.data(), g_dbl.data());
  CHECK(rel_err(g_dbl, g_ref) < 1e-12);
  nn::GradientHvp hvp_dbl;
  hvp_dbl.init(P, dbl.gradient_fn(), nn::GradientHvp::kDoubleStep);
  hvp_dbl.set_point(theta.data());
  std::vector<double> H_dbl(size_t(P) * P);
  nn::dense_hessian(hvp_dbl.op(), P, H_dbl.data());
  CHECK(rel_err(H_dbl, Hx) < 1e-7);
  CHECK(dbl.accuracy(theta.data()) == doctest::Approx(obj.accuracy(theta.data())));
  nn::MlpObjective bad;
  CHECK(!bad.init(nn::ModelSpec::vectors(3).linear(4).gelu().linear(2), init.params(), xf.data(), net.y.data(), N, 0));
  CHECK(!bad.error().empty());
  // Weight decay adds wd I.
  nn::ModelObjective obj_wd;
  REQUIRE(obj_wd.init(spec, init.params(), ce, xf.data(), net.y.data(), N, 64, 0.25));
  nn::GradientHvp hvp_wd;
  hvp_wd.init(P, obj_wd.gradient_fn(), nn::GradientHvp::kFloatModelStep);
  hvp_wd.set_point(theta.data());
  std::vector<double> e(P, 0.0), col(P), col0(P);
  e[5] = 1;
  hvp_wd.apply(e.data(), col.data());
  hvp.apply(e.data(), col0.data());
  CHECK(std::fabs(col[5] - col0[5] - 0.25) < 1e-3);
}

TEST_CASE("hessian: Hutchinson's mean is within 3 standard errors of the exact trace; Hutch++ is exact at low rank") {
  pg::Rng rng(5);
  const int n = 40;
  std::vector<double> eigs(n);
  for (int i = 0; i < n; ++i) eigs[i] = rng.normal() * 2 + 0.5;
  const Mat A = with_spectrum(eigs, rng);
  const double exact = A.trace();
  const nn::TraceEstimate t = nn::hutchinson_trace(op_of(A), n, 2000, rng);
  CHECK(t.matvecs == 2000);
  CHECK(t.std_error > 0);
  CHECK(std::fabs(t.trace - exact) < 3 * t.std_error);
  // The standard error agrees with the theory: var = 2 (||A||_F^2 - sum A_ii^2).
  const double var = 2 * (A.squaredNorm() - A.diagonal().squaredNorm());
  CHECK(t.std_error == doctest::Approx(std::sqrt(var / 2000)).epsilon(0.15));

  // Rank 6 <= m / 3 = 10: the sketch captures the whole range, the trace is exact.
  std::vector<double> low(n, 0.0);
  for (int i = 0; i < 6; ++i) low[i] = 3.0 + i;
  const Mat B = with_spectrum(low, rng);
  const nn::TraceEstimate pp = nn::hutchpp_trace(op_of(B), n, 30, rng);
  CHECK(pp.matvecs == 30);
  CHECK(std::fabs(pp.trace - B.trace()) < 1e-9 * B.trace());
  // A fast-decaying spectrum: Hutch++ beats Hutchinson at the same matvecs (mean error over seeds).
  std::vector<double> decay(n);
  for (int i = 0; i < n; ++i) decay[i] = 100.0 / ((i + 1) * (i + 1));
  const Mat D = with_spectrum(decay, rng);
  double err_h = 0, err_pp = 0;
  for (int s = 0; s < 20; ++s) {
    err_h += std::fabs(nn::hutchinson_trace(op_of(D), n, 30, rng).trace - D.trace());
    err_pp += std::fabs(nn::hutchpp_trace(op_of(D), n, 30, rng).trace - D.trace());
  }
  CHECK(err_pp < 0.25 * err_h);
}

TEST_CASE("hessian: Lanczos finds the extreme eigenvalues and vectors of a dense eigen-solve") {
  pg::Rng rng(8);
  const int n = 80;
  std::vector<double> eigs(n);
  for (int i = 0; i < n; ++i) eigs[i] = rng.uniform(-1, 1);
  eigs[0] = 9.0, eigs[1] = 6.0, eigs[2] = -4.0;  // separated extremes
  const Mat A = with_spectrum(eigs, rng);
  std::vector<double> dense_vals(n), dense_vecs(size_t(n) * n);
  nn::symmetric_eigen(A.data(), n, dense_vals.data(), dense_vecs.data());
  // The engine's dense solver: A V = V diag(values), values ascending.
  for (int k = 0; k < n; ++k) {
    Eigen::VectorXd v(n);
    for (int i = 0; i < n; ++i) v[i] = dense_vecs[size_t(i) * n + k];
    CHECK((A * v - dense_vals[k] * v).norm() < 1e-10);
    if (k > 0) CHECK(dense_vals[k] >= dense_vals[k - 1]);
  }
  std::vector<double> sorted = eigs;
  std::sort(sorted.begin(), sorted.end());
  CHECK(std::fabs(dense_vals[n - 1] - 9.0) < 1e-10);

  const nn::LanczosResult l = nn::lanczos(op_of(A), n, 30, rng);
  REQUIRE(l.steps == 30);
  CHECK(std::fabs(l.ritz_values.back() - 9.0) < 1e-8);
  CHECK(std::fabs(l.ritz_values[28] - 6.0) < 1e-6);
  CHECK(std::fabs(l.ritz_values.front() + 4.0) < 1e-6);
  // Top Ritz vector: unit length, residual ~0, and parallel to the dense eigenvector.
  const int top = l.steps - 1;
  Eigen::Map<const Eigen::VectorXd> u(&l.ritz_vectors[size_t(top) * n], n);
  CHECK(std::fabs(u.norm() - 1) < 1e-10);
  CHECK((A * u - l.ritz_values[top] * u).norm() < 1e-6);
  double c = 0;
  for (int i = 0; i < n; ++i) c += u[i] * dense_vecs[size_t(i) * n + n - 1];
  CHECK(std::fabs(std::fabs(c) - 1) < 1e-8);
  // Full reorthogonalization: the basis is orthonormal.
  Eigen::Map<const Mat> V(l.basis.data(), l.steps, n);
  CHECK((V * V.transpose() - Eigen::MatrixXd::Identity(l.steps, l.steps)).norm() < 1e-10);
  // n steps give the whole spectrum.
  const nn::LanczosResult full = nn::lanczos(op_of(A), n, n, rng, nullptr, false);
  REQUIRE(full.steps == n);
  for (int i = 0; i < n; ++i) CHECK(std::fabs(full.ritz_values[i] - sorted[i]) < 1e-8);
  // A start in an invariant subspace (an eigenvector) stops after one step, exactly.
  std::vector<double> v0(n);
  for (int i = 0; i < n; ++i) v0[i] = dense_vecs[size_t(i) * n + n - 1];
  const nn::LanczosResult one = nn::lanczos(op_of(A), n, 10, rng, v0.data());
  CHECK(one.steps == 1);
  CHECK(std::fabs(one.ritz_values[0] - 9.0) < 1e-10);
}

TEST_CASE("hessian: SLQ is exact quadrature of v^T A^p v and its density integrates to 1") {
  pg::Rng rng(9);
  const int n = 50, k = 8;
  std::vector<double> eigs(n);
  for (int i = 0; i < n; ++i) eigs[i] = rng.normal();
  const Mat A = with_spectrum(eigs, rng);
  // Gauss quadrature with k nodes is exact for polynomials up to degree 2k - 1.
  std::vector<double> v0(n);
  for (double& x : v0) x = rng.normal();
  Eigen::Map<Eigen::VectorXd> v(v0.data(), n);
  v.normalize();
  const nn::LanczosResult l = nn::lanczos(op_of(A), n, k, rng, v0.data(), false);
  double wsum = 0;
  for (double w : l.weights) wsum += w;
  CHECK(std::fabs(wsum - 1) < 1e-12);
  Eigen::VectorXd Apv = v;
  for (int p = 1; p <= 2 * k - 1; ++p) {
    Apv = A * Apv;
    double quad = 0;
    for (int j = 0; j < l.steps; ++j) quad += l.weights[j] * std::pow(l.ritz_values[j], p);
    CHECK(quad == doctest::Approx(v.dot(Apv)).epsilon(1e-8));
  }
  // Averaged over runs, sum_j w_j theta_j estimates tr(A) / n.
  const nn::SpectrumEstimate s = nn::slq_spectrum(op_of(A), n, k, 200, rng);
  REQUIRE(s.nodes.size() == 200);
  double mean = 0;
  for (size_t r = 0; r < s.nodes.size(); ++r)
    for (size_t j = 0; j < s.nodes[r].size(); ++j) mean += s.weights[r][j] * s.nodes[r][j] / 200;
  CHECK(std::fabs(mean - A.trace() / n) < 0.05);
  // The smoothed density integrates to 1.
  const int bins = 400;
  std::vector<double> x(bins), dens(bins);
  for (int i = 0; i < bins; ++i) x[i] = -6 + 12.0 * i / (bins - 1);
  nn::spectral_density(s, x.data(), bins, 0.1, dens.data());
  double area = 0;
  for (int i = 0; i < bins; ++i) area += dens[i] * 12.0 / (bins - 1);
  CHECK(area == doctest::Approx(1.0).epsilon(1e-3));
}

TEST_CASE("hessian: LLA criteria - Kh = 0 for a positive-definite Hessian, re = lambda_min / lambda_max") {
  pg::Rng rng(4);
  const int n = 30;
  std::vector<double> pd(n);
  for (int i = 0; i < n; ++i) pd[i] = 0.1 + i;
  const Mat A = with_spectrum(pd, rng);
  const nn::SpectrumEstimate s = nn::slq_spectrum(op_of(A), n, 12, 3, rng);
  const nn::HessianCriteria c = nn::hessian_criteria(s);
  CHECK(c.kh == 0.0);
  CHECK(c.re > 0.0);
  CHECK(c.re == doctest::Approx(0.1 / 29.1).epsilon(0.2));  // the extremes converge first
  const nn::HessianCriteria exact_pd = nn::hessian_criteria(pd.data(), n);
  CHECK(exact_pd.kh == 0.0);
  CHECK(exact_pd.re == doctest::Approx(0.1 / 29.1));
  // An indefinite spectrum with equal weights: Kh = sum sqrt|l| (neg) / sum sqrt(l) (pos).
  const double mixed[4] = {-1.0, -0.25, 4.0, 9.0};
  const nn::HessianCriteria m = nn::hessian_criteria(mixed, 4);
  CHECK(m.kh == doctest::Approx((1.0 + 0.5) / (2.0 + 3.0)));
  CHECK(m.re == doctest::Approx(1.0 / 9.0));
  // A general power p goes through exp/log.
  const nn::HessianCriteria m1 = nn::hessian_criteria(mixed, 4, 1.0);
  CHECK(m1.kh == doctest::Approx(1.25 / 13.0).epsilon(1e-12));
}

TEST_CASE("hessian: on a quadratic the Hessian-axis landscape is 1/2 (l1 a^2 + l2 b^2)") {
  // f(t) = 1/2 (t - c)^T A (t - c) around its minimum c; the top-2 Ritz vectors
  // come from Lanczos on gradient-difference products, as in the lesson.
  pg::Rng rng(21);
  const int n = 25;
  std::vector<double> eigs(n);
  for (int i = 0; i < n; ++i) eigs[i] = rng.uniform(-0.5, 1.0);
  eigs[0] = 5.0, eigs[1] = 3.0;
  const Mat A = with_spectrum(eigs, rng);
  std::vector<double> c(n);
  for (double& x : c) x = rng.normal();
  auto f = [&](const double* t) {
    Eigen::VectorXd d = Eigen::Map<const Eigen::VectorXd>(t, n) - Eigen::Map<const Eigen::VectorXd>(c.data(), n);
    return 0.5 * d.dot(A * d);
  };
  auto g = [&](const double* t, double* out) {
    Eigen::VectorXd d = Eigen::Map<const Eigen::VectorXd>(t, n) - Eigen::Map<const Eigen::VectorXd>(c.data(), n);
    Eigen::Map<Eigen::VectorXd>(out, n) = A * d;
  };
  nn::GradientHvp hvp;
  hvp.init(n, g, nn::GradientHvp::kDoubleStep);
  hvp.set_point(c.data());
  nn::LanczosIteration it;
  it.init(n, n, rng);
  int products = 0;
  while (it.step(hvp.op())) ++products;
  CHECK(products + 1 == it.steps());
  const nn::LanczosResult l = it.finish();
  const int k = l.steps;
  const double l1 = l.ritz_values[k - 1], l2 = l.ritz_values[k - 2];
  CHECK(l1 == doctest::Approx(5.0).epsilon(1e-8));
  CHECK(l2 == doctest::Approx(3.0).epsilon(1e-8));
  const double* d1 = &l.ritz_vectors[size_t(k - 1) * n];
  const double* d2 = &l.ritz_vectors[size_t(k - 2) * n];
  const int res = 9;
  std::vector<double> a(res), row(res), scratch(n);
  for (int i = 0; i < res; ++i) a[i] = -2.0 + 4.0 * i / (res - 1);
  double worst = 0;
  for (int r = 0; r < res; ++r) {
    nn::landscape_row(f, c.data(), d1, d2, n, a.data(), res, a[r], row.data(), scratch.data());
    for (int i = 0; i < res; ++i) worst = std::max(worst, std::fabs(row[i] - 0.5 * (l1 * a[i] * a[i] + l2 * a[r] * a[r])));
  }
  CHECK(worst < 1e-7);
}

TEST_CASE("hessian: filter-normalized directions have the filter norms of the weights") {
  pg::Rng rng(2);
  nn::Model m;
  REQUIRE(m.init(nn::mlp(3, {5, 4}, 2, nn::LayerKind::tanh), 4, rng));
  const int P = m.num_params();
  std::vector<double> theta(m.params(), m.params() + P), d(P);
  for (double& t : theta) t += 0.3;  // nonzero biases too
  nn::random_direction(m, theta.data(), nn::DirectionNorm::filter, rng, d.data());
  int filters = 0;
  for (int l = 0; l < m.num_layers(); ++l) {
    if (m.layer_spec(l).kind != nn::LayerKind::linear) continue;
    const int units = m.layer_spec(l).units, in = m.layer_input_shape(l).size(), off = m.param_offset(l);
    for (int o = 0; o < units; ++o) {
      double nd = 0, nt = 0;
      for (int i = 0; i < in; ++i) nd += d[off + o * in + i] * d[off + o * in + i], nt += theta[off + o * in + i] * theta[off + o * in + i];
      CHECK(std::sqrt(nd) == doctest::Approx(std::sqrt(nt)).epsilon(1e-12));
      ++filters;
      CHECK(d[off + units * in + o] == 0.0);  // biases are not moved
    }
  }
  CHECK(filters == 5 + 4 + 2);
  CHECK(nn::filter_norm_error(m, theta.data(), d.data()) < 1e-12);
  std::vector<double> raw(d);
  raw[0] *= 1.5;  // one filter off by a known factor
  CHECK(nn::filter_norm_error(m, theta.data(), raw.data()) > 0.01);
  nn::random_direction(m, theta.data(), nn::DirectionNorm::layer, rng, d.data());
  const int in0 = 3, off0 = m.param_offset(0);
  double nd = 0, nt = 0;
  for (int i = off0; i < off0 + 5 * in0; ++i) nd += d[i] * d[i], nt += theta[i] * theta[i];
  CHECK(std::sqrt(nd) == doctest::Approx(std::sqrt(nt)).epsilon(1e-12));
}
