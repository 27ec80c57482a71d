// test_attention_soft.cpp - engine/attention/soft.h (SOFT, LESSONS.md #2
// "must prove", with method-notes 10's correction that "exact when m = n"
// holds with the ridge off) and engine/attention/taylor.h (LESSONS.md #3).
#include <doctest/doctest.h>

#include <Eigen/Dense>
#include <cmath>
#include <vector>

#include "engine/attention/attention.h"
#include "engine/attention/soft.h"
#include "engine/attention/taylor.h"
#include "engine/rng.h"

namespace {

std::vector<float> normal_f(pg::Rng& rng, size_t count, double sd) {
  std::vector<float> x(count);
  for (auto& v : x) v = float(rng.normal(0.0, sd));
  return x;
}
std::vector<double> normal_d(pg::Rng& rng, size_t count, double sd) {
  std::vector<double> x(count);
  for (auto& v : x) v = rng.normal(0.0, sd);
  return x;
}
double rel_err(const std::vector<float>& a, const std::vector<float>& b) {
  double num = 0.0, den = 0.0;
  for (size_t i = 0; i < a.size(); ++i) {
    num += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
    den += double(b[i]) * b[i];
  }
  return std::sqrt(num / (den > 0 ? den : 1e-300));
}
double max_abs(const std::vector<double>& a, const std::vector<double>& b) {
  double e = 0.0;
  for (size_t i = 0; i < a.size(); ++i) e = std::fabs(a[i] - b[i]) > e ? std::fabs(a[i] - b[i]) : e;
  return e;
}
// Gaussian kernel matrix in double, for the Newton tests: tokens (m, d).
std::vector<double> kernel_d(const std::vector<double>& x, int m, int d, double scale) {
  std::vector<double> A(size_t(m) * m);
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < m; ++j) {
      double s = 0.0;
      for (int c = 0; c < d; ++c) s += (x[size_t(i) * d + c] - x[size_t(j) * d + c]) * (x[size_t(i) * d + c] - x[size_t(j) * d + c]);
      A[size_t(i) * m + j] = std::exp(-0.5 * scale * s);
    }
  return A;
}
Eigen::MatrixXd to_eigen(const std::vector<double>& A, int m) {
  Eigen::MatrixXd E(m, m);
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < m; ++j) E(i, j) = A[size_t(i) * m + j];
  return E;
}

}  // namespace

TEST_CASE("soft attention: fast kernels equal their _ref twins on odd shapes") {
  pg::Rng rng(1);
  const int d = 7, dv = 5;
  for (int n : {1, 3, 17, 255, 257}) {
    CAPTURE(n);
    const auto q = normal_f(rng, size_t(n) * d, 1.0), v = normal_f(rng, size_t(n) * dv, 1.0);
    const auto b = normal_f(rng, size_t(19) * d, 1.0);
    std::vector<float> K(size_t(n) * 19), K_ref(size_t(n) * 19);
    attn::gaussian_kernel(q.data(), n, b.data(), 19, d, 0.3f, K.data());
    attn::gaussian_kernel_ref(q.data(), n, b.data(), 19, d, 0.3f, K_ref.data());
    CHECK(rel_err(K, K_ref) < 1e-5);
    std::vector<float> y(size_t(n) * dv), y_ref(size_t(n) * dv);
    attn::gaussian_attention_forward(q.data(), n, q.data(), n, d, v.data(), dv, 0.3f, y.data());
    attn::gaussian_attention_forward_ref(q.data(), n, q.data(), n, d, v.data(), dv, 0.3f, y_ref.data());
    CHECK(rel_err(y, y_ref) < 1e-5);
    // ... and equal to the materialized gaussian operator (non-causal) times V.
    attn::OpSpec g;
    g.op = attn::Op::gaussian, g.causal = false, g.scale = 0.3f;
    std::vector<float> Phi(size_t(n) * n), y_mat(size_t(n) * dv);
    attn::attention_weights(g, q.data(), q.data(), n, d, Phi.data());
    attn::weights_apply(Phi.data(), v.data(), n, dv, y_mat.data());
    CHECK(rel_err(y, y_mat) < 1e-5);
    for (bool symmetric : {false, true}) {
      attn::SoftSpec spec;
      spec.m = n < 16 ? n : 16, spec.scale = 0.3f, spec.symmetric = symmetric;
      std::vector<float> s(size_t(n) * dv), s_ref(size_t(n) * dv);
      attn::soft_attention_forward(spec, q.data(), v.data(), n, d, dv, s.data());
      attn::soft_attention_forward_ref(spec, q.data(), v.data(), n, d, dv, s_ref.data());
      CAPTURE(symmetric);
      CHECK(rel_err(s, s_ref) < 1e-3);  // through a 20-step iterated inverse: rounding grows
    }
  }
  for (int m : {1, 3, 17, 40}) {
    CAPTURE(m);
    const auto x = normal_f(rng, size_t(m) * d, 1.0);
    std::vector<float> A(size_t(m) * m), V(size_t(m) * m), V_ref(size_t(m) * m);
    attn::gaussian_kernel_ref(x.data(), m, x.data(), m, d, 0.5f, A.data());
    attn::NewtonSpec ns;
    attn::newton_schulz_inverse(A.data(), m, ns, V.data(), nullptr);
    attn::newton_schulz_inverse_ref(A.data(), m, ns, V_ref.data(), nullptr);
    CHECK(rel_err(V, V_ref) < 1e-4);
  }
}

TEST_CASE("soft attention: the Newton-Schulz residual squares each step") {
  // R_k = I - P V_k satisfies R_(k+1) = R_k^2 exactly (in exact arithmetic);
  // checked entry by entry in double on a ridged 12-landmark kernel.
  pg::Rng rng(2);
  const int m = 12, d = 6;
  const auto x = normal_d(rng, size_t(m) * d, 1.0);
  const auto A = kernel_d(x, m, d, 0.5);
  Eigen::MatrixXd P = to_eigen(A, m) + double(0.01f) * Eigen::MatrixXd::Identity(m, m);  // the ridge is a float knob
  attn::NewtonSpec ns;
  std::vector<double> Vk(size_t(m) * m), Vk1(size_t(m) * m);
  for (int k = 0; k < 6; ++k) {
    ns.iters = k;
    attn::newton_schulz_inverse_ref(A.data(), m, ns, Vk.data(), nullptr);
    ns.iters = k + 1;
    attn::newton_schulz_inverse_ref(A.data(), m, ns, Vk1.data(), nullptr);
    const Eigen::MatrixXd Rk = Eigen::MatrixXd::Identity(m, m) - P * to_eigen(Vk, m);
    const Eigen::MatrixXd Rk1 = Eigen::MatrixXd::Identity(m, m) - P * to_eigen(Vk1, m);
    CAPTURE(k);
    // Rounding of the products: a few ulp of |P| |V| per entry.
    const double rounding = 1e-14 * m * P.norm() * to_eigen(Vk1, m).norm();
    CHECK((Rk1 - Rk * Rk).norm() < rounding);
    CHECK(rounding < 1e-3 * Rk1.norm());  // the check is far finer than the quantity
  }
  // The trace's Frobenius norms: once below 1, each is at most the square of
  // the one before (||R^2||_F <= ||R||_F^2), down to rounding.
  attn::NewtonTrace tr;
  ns.iters = 30;
  std::vector<double> V(size_t(m) * m);
  attn::newton_schulz_inverse_ref(A.data(), m, ns, V.data(), &tr);
  CHECK(tr.iters == 30);
  for (int k = 0; k < 30; ++k)
    if (tr.residual[k] < 1.0) CHECK(tr.residual[k + 1] <= tr.residual[k] * tr.residual[k] * (1 + 1e-9) + 1e-13);
  CHECK(tr.residual[30] < 1e-12);
  // With the ridge, ||I - A V|| plateaus at the ridge's bias: it does not go to 0.
  CHECK(tr.residual_plain[30] > 1e-4);
}

TEST_CASE("soft attention: ||A V - I|| < 1e-6 on well-spread landmarks, and Eigen's pseudo-inverse agrees") {
  pg::Rng rng(3);
  const int m = 16, d = 8;
  const auto x = normal_d(rng, size_t(m) * d, 1.0);
  const auto A = kernel_d(x, m, d, 1.0 / std::sqrt(double(d)));
  attn::NewtonSpec ns;
  ns.ridge = 0.0f, ns.iters = 40;
  attn::NewtonTrace tr;
  std::vector<double> V(size_t(m) * m);
  attn::newton_schulz_inverse_ref(A.data(), m, ns, V.data(), &tr);
  CHECK(tr.residual_plain[40] < 1e-6);
  const Eigen::MatrixXd pinv = to_eigen(A, m).completeOrthogonalDecomposition().pseudoInverse();
  CHECK((to_eigen(V, m) - pinv).norm() < 1e-6 * pinv.norm());
  // The float fast path gets there too, to float precision.
  std::vector<float> Af(A.begin(), A.end()), Vf(size_t(m) * m);
  attn::newton_schulz_inverse(Af.data(), m, ns, Vf.data(), &tr);
  CHECK(tr.residual_plain[40] < 1e-3);
}

TEST_CASE("soft attention: the 0.9 safety factor converges on the degenerate A = 1 1^T") {
  // A = J (all ones, rank 1, row sums m): alpha = 1.8 / m^2, A V_0 has eigenvalue 1.8 on
  // the ones vector, so R = -0.8 there and shrinks; the limit is the pseudo-inverse J / m^2.
  const int m = 8;
  std::vector<double> J(size_t(m) * m, 1.0), V(size_t(m) * m);
  attn::NewtonSpec ns;
  ns.ridge = 0.0f, ns.iters = 40;
  attn::newton_schulz_inverse_ref(J.data(), m, ns, V.data(), nullptr);
  const Eigen::MatrixXd pinv = to_eigen(J, m).completeOrthogonalDecomposition().pseudoInverse();
  CHECK((to_eigen(V, m) - pinv).norm() < 1e-9);
  for (double e : V) CHECK(e == doctest::Approx(1.0 / (m * m)).epsilon(1e-9));
}

TEST_CASE("soft attention: exact when m = n and the landmarks are the tokens, with the ridge off") {
  pg::Rng rng(4);
  const int n = 12, d = 8, dv = 3;
  const auto q = normal_f(rng, size_t(n) * d, 1.0), v = normal_f(rng, size_t(n) * dv, 1.0);
  const float scale = 1.0f / std::sqrt(float(d));
  std::vector<float> exact(size_t(n) * dv), L(size_t(n) * d);
  attn::gaussian_attention_forward_ref(q.data(), n, q.data(), n, d, v.data(), dv, scale, exact.data());
  attn::landmarks_pool(q.data(), n, d, n, L.data());
  CHECK(L == q);  // m = n: each landmark is one token
  attn::SoftSpec spec;
  spec.m = n, spec.scale = scale, spec.newton.ridge = 0.0f, spec.newton.iters = 40;
  std::vector<float> y(size_t(n) * dv);
  attn::soft_attention_forward(spec, q.data(), v.data(), n, d, dv, y.data());
  const double err_off = rel_err(y, exact);
  CHECK(err_off < 1e-3);
  // SOFT's implied weights P A^+ P^T times V give the same output.
  std::vector<float> Phi(size_t(n) * n), y_phi(size_t(n) * dv);
  attn::soft_attention_weights(spec, q.data(), n, d, n, Phi.data());
  attn::weights_apply_ref(Phi.data(), v.data(), n, dv, y_phi.data());
  CHECK(rel_err(y_phi, y) < 1e-4);
  spec.newton.ridge = 0.01f;  // the official code's ridge biases the inverse
  attn::soft_attention_forward(spec, q.data(), v.data(), n, d, dv, y.data());
  CHECK(rel_err(y, exact) > 10 * err_off);
}

TEST_CASE("soft attention: the symmetric variant halves alpha until ||I - A V_0||_1 <= 1.01") {
  pg::Rng rng(5);
  const int m = 16, d = 4;
  const auto x = normal_d(rng, size_t(m) * d, 0.3);  // close tokens: A near 1 1^T
  const auto A = kernel_d(x, m, d, 0.5);
  attn::NewtonSpec ns;
  ns.halve_alpha = true, ns.iters = 0;
  attn::NewtonTrace tr;
  std::vector<double> V(size_t(m) * m);
  attn::newton_schulz_inverse_ref(A.data(), m, ns, V.data(), &tr);
  const Eigen::MatrixXd R = Eigen::MatrixXd::Identity(m, m) - to_eigen(A, m) * to_eigen(V, m);
  const double l1 = R.cwiseAbs().colwise().sum().maxCoeff();
  // Near 1 1^T, alpha = 2 / rowsum^2 puts A V_0's top eigenvalue near 2 (R near -1):
  // the start has to be halved at least once, and then satisfies the check.
  CHECK(tr.halvings >= 1);
  CHECK(tr.halvings < 10);
  CHECK(l1 <= 1.01);
  double rowsum = 0.0;
  for (int i = 0; i < m; ++i) {
    double s = 0.0;
    for (int j = 0; j < m; ++j) s += A[size_t(i) * m + j];
    rowsum = s > rowsum ? s : rowsum;
  }
  CHECK(tr.alpha == doctest::Approx(2.0 / (rowsum * rowsum) / std::pow(2.0, tr.halvings)));
}

// ---------------------------------------------------------------- Taylor (softmax-as-rnn)
TEST_CASE("softmax as rnn: the sum of order-p RNNs equals the masked parallel form") {
  pg::Rng rng(6);
  const int n = 20, d = 3, dv = 2;
  const auto q = normal_d(rng, size_t(n) * d, 0.8), k = normal_d(rng, size_t(n) * d, 0.8);
  const auto v = normal_d(rng, size_t(n) * dv, 1.0);
  for (int order = 0; order <= 4; ++order)
    for (auto den : {attn::TaylorDenominator::taylor_sum, attn::TaylorDenominator::l2_norm,
                     attn::TaylorDenominator::token_count}) {
      CAPTURE(order);
      CAPTURE(int(den));
      std::vector<double> W(size_t(n) * n), y_par(size_t(n) * dv), y_rec(size_t(n) * dv), g_par(n), g_rec(n);
      attn::taylor_weights(q.data(), k.data(), n, d, 0.7, order, W.data());
      attn::taylor_apply(W.data(), v.data(), n, dv, den, y_par.data(), g_par.data());
      attn::taylor_recurrent(q.data(), k.data(), v.data(), n, d, dv, 0.7, order, den, y_rec.data(), g_rec.data());
      CHECK(max_abs(y_par, y_rec) < 1e-10);
      CHECK(max_abs(g_par, g_rec) < 1e-10);
    }
  CHECK(attn::taylor_state_size(3, 2, 4) == (1 + 3 + 9 + 27 + 81) * 3);
}

TEST_CASE("softmax as rnn: order 25 matches softmax attention to 1e-10 when |q.k| <= 4") {
  pg::Rng rng(7);
  const int n = 32, d = 4, dv = 3;
  auto q = normal_d(rng, size_t(n) * d, 1.0), k = normal_d(rng, size_t(n) * d, 1.0);
  for (int i = 0; i < n; ++i)  // unit rows scaled to 2: |q.k| <= 4
    for (auto* x : {&q, &k}) {
      double s = 0.0;
      for (int c = 0; c < d; ++c) s += (*x)[size_t(i) * d + c] * (*x)[size_t(i) * d + c];
      for (int c = 0; c < d; ++c) (*x)[size_t(i) * d + c] *= 2.0 / std::sqrt(s);
    }
  const auto v = normal_d(rng, size_t(n) * dv, 1.0);
  std::vector<double> W(size_t(n) * n), We(size_t(n) * n), y(size_t(n) * dv), ye(size_t(n) * dv);
  attn::taylor_weights(q.data(), k.data(), n, d, 1.0, 25, W.data());
  attn::taylor_weights(q.data(), k.data(), n, d, 1.0, -1, We.data());
  attn::taylor_apply(W.data(), v.data(), n, dv, attn::TaylorDenominator::taylor_sum, y.data(), nullptr);
  attn::taylor_apply(We.data(), v.data(), n, dv, attn::TaylorDenominator::taylor_sum, ye.data(), nullptr);
  CHECK(max_abs(y, ye) < 1e-10);
  // and the exact-exp layer is softmax attention itself (float kernel, float tolerance)
  std::vector<float> qf(q.begin(), q.end()), kf(k.begin(), k.end()), vf(v.begin(), v.end()), Phi(size_t(n) * n),
      ys(size_t(n) * dv);
  attn::OpSpec s;
  s.op = attn::Op::softmax;
  attn::attention_weights_ref(s, qf.data(), kf.data(), n, d, Phi.data());
  attn::weights_apply_ref(Phi.data(), vf.data(), n, dv, ys.data());
  for (size_t i = 0; i < ye.size(); ++i) CHECK(ye[i] == doctest::Approx(ys[i]).epsilon(1e-4).scale(1.0));
  // A low order is visibly worse.
  attn::taylor_weights(q.data(), k.data(), n, d, 1.0, 2, W.data());
  attn::taylor_apply(W.data(), v.data(), n, dv, attn::TaylorDenominator::taylor_sum, y.data(), nullptr);
  CHECK(max_abs(y, ye) > 1e-3);
}

TEST_CASE("softmax as rnn: odd orders can make G_t <= 0, even orders never do") {
  pg::Rng rng(8);
  const int n = 24, d = 4, dv = 2;
  auto q = normal_d(rng, size_t(n) * d, 1.5);
  std::vector<double> k(q.size());
  for (size_t i = 0; i < q.size(); ++i) k[i] = -q[i];  // q_t.k_t = -|q_t|^2: very negative scores
  const auto v = normal_d(rng, size_t(n) * dv, 1.0);
  for (int order = 1; order <= 6; ++order) {
    std::vector<double> W(size_t(n) * n), y(size_t(n) * dv), G(n);
    attn::taylor_weights(q.data(), k.data(), n, d, 1.0, order, W.data());
    attn::taylor_apply(W.data(), v.data(), n, dv, attn::TaylorDenominator::taylor_sum, y.data(), G.data());
    double gmin = G[0];
    for (double g : G) gmin = g < gmin ? g : gmin;
    CAPTURE(order);
    if (order % 2 == 1) CHECK(gmin <= 0.0);
    else CHECK(gmin > 0.0);
    for (double e : y) CHECK(std::isfinite(e));
  }
}
