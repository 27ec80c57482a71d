// test_attention.cpp - engine/attention/attention.h: every operator's fast
// materialized path against its _ref twin on odd shapes, the recurrent form
// against the materialized one (one table over all operators), finite output
// for scores up to 1e4, and the row properties each operator promises.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "engine/attention/attention.h"
#include "engine/attention/regression.h"
#include "engine/attention/ssm.h"
#include "engine/rng.h"

namespace {

std::vector<float> gaussian(pg::Rng& rng, size_t count, double sd) {
  std::vector<float> x(count);
  for (auto& v : x) v = float(rng.normal(0.0, sd));
  return x;
}

// Largest |a - b| relative to the largest |b| (plus a floor for all-zero rows).
double rel_max_err(const std::vector<float>& a, const std::vector<float>& b) {
  double err = 0.0, scale = 1e-30;
  for (size_t i = 0; i < a.size(); ++i) {
    const double e = std::fabs(double(a[i]) - double(b[i]));
    if (!(e <= err)) err = e;
    scale = std::fabs(double(b[i])) > scale ? std::fabs(double(b[i])) : scale;
  }
  return err / scale;
}
bool all_finite(const std::vector<float>& x) {
  for (float v : x)
    if (!std::isfinite(v)) return false;
  return true;
}

struct Case {
  std::string name;
  attn::OpSpec spec;
};

// The operator table: every Op, every feature map, causal and not.
std::vector<Case> operator_table(const attn::RandomFeatures* rf, const float* log_eta) {
  std::vector<Case> cases;
  auto add = [&](const std::string& name, attn::OpSpec s) { cases.push_back({name, s}); };
  attn::OpSpec s;
  s.op = attn::Op::softmax, s.scale = 0.35f;
  add("softmax", s);
  s = {};
  s.op = attn::Op::linear, s.map = attn::FeatureMap::identity, s.row_normalize = false;
  add("linear identity", s);
  s.map = attn::FeatureMap::elu_plus_one, s.row_normalize = true;
  add("linear elu+1", s);
  s.map = attn::FeatureMap::elu_plus_one, s.row_normalize = false;
  add("linear elu+1 unnormalized", s);
  s.map = attn::FeatureMap::random_positive, s.features = rf, s.row_normalize = true, s.scale = 0.35f;
  add("linear random features", s);
  s = {};
  s.op = attn::Op::normalized, s.log_eta = log_eta;
  add("normalized", s);
  s = {};
  s.op = attn::Op::lssa;
  add("lssa", s);
  s.lssa_scale = false, s.scale = 3.0f;
  add("lssa fixed scale", s);
  s = {};
  s.op = attn::Op::lssar, s.power = 15;
  add("lssar p=15", s);
  s.power = 3, s.lssar_fallback = attn::LssarFallback::lssa_row;
  add("lssar p=3 lssa fallback", s);
  s = {};
  s.op = attn::Op::gaussian, s.scale = 0.35f;
  add("gaussian", s);
  return cases;
}

}  // namespace

TEST_CASE("attention operators: fast weights equal the _ref twin on odd shapes") {
  const int d = 8;
  pg::Rng rng(11);
  attn::RandomFeatures rf = attn::make_random_features(d, 19, rng);
  for (int n : {1, 3, 17, 255, 257}) {
    const auto q = gaussian(rng, size_t(n) * d, 1.0), k = gaussian(rng, size_t(n) * d, 1.0);
    const auto log_eta = gaussian(rng, size_t(n), 0.5);
    const auto v = gaussian(rng, size_t(n) * 5, 1.0);
    for (bool causal : {true, false})
      for (Case c : operator_table(&rf, log_eta.data())) {
        c.spec.causal = causal;
        CAPTURE(c.name);
        CAPTURE(n);
        CAPTURE(causal);
        std::vector<float> fast(size_t(n) * n, -1.0f), ref(size_t(n) * n, -2.0f);
        attn::attention_weights(c.spec, q.data(), k.data(), n, d, fast.data());
        attn::attention_weights_ref(c.spec, q.data(), k.data(), n, d, ref.data());
        CHECK(all_finite(fast));
        // LSSAR's p-th power amplifies the rounding of its inputs p-fold.
        const double tol = c.spec.op == attn::Op::lssar ? 2e-4 : 2e-5;
        CHECK(rel_max_err(fast, ref) < tol);
        if (causal)
          for (int i = 0; i < n; ++i)
            for (int j = i + 1; j < n; ++j) REQUIRE(fast[size_t(i) * n + j] == 0.0f);
        std::vector<float> y(size_t(n) * 5), y_ref(size_t(n) * 5);
        attn::weights_apply(fast.data(), v.data(), n, 5, y.data());
        attn::weights_apply_ref(fast.data(), v.data(), n, 5, y_ref.data());
        CHECK(rel_max_err(y, y_ref) < 1e-5);
      }
  }
}

TEST_CASE("attention operators: the recurrent form equals the materialized form") {
  const int d = 6, dv = 3;
  pg::Rng rng(5);
  attn::RandomFeatures rf = attn::make_random_features(d, 16, rng);
  for (int n : {1, 3, 17, 64}) {
    const auto q = gaussian(rng, size_t(n) * d, 1.0), k = gaussian(rng, size_t(n) * d, 1.0);
    const auto v = gaussian(rng, size_t(n) * dv, 1.0);
    const auto log_eta = gaussian(rng, size_t(n), 0.5);
    for (const Case& c : operator_table(&rf, log_eta.data())) {
      CAPTURE(c.name);
      CAPTURE(n);
      std::vector<float> Phi(size_t(n) * n), y_mat(size_t(n) * dv), y_rec(size_t(n) * dv);
      attn::attention_weights(c.spec, q.data(), k.data(), n, d, Phi.data());
      attn::weights_apply(Phi.data(), v.data(), n, dv, y_mat.data());
      attn::attention_recurrent(c.spec, q.data(), k.data(), v.data(), n, d, dv, y_rec.data());
      CHECK(all_finite(y_rec));
      const double tol = c.spec.op == attn::Op::lssar ? 2e-4 : 2e-5;
      CHECK(rel_max_err(y_rec, y_mat) < tol);
    }
  }
}

TEST_CASE("attention operators: finite output for scores up to 1e4") {
  // |q| = |k| = 100, so |q.k| reaches 1e4 on aligned pairs.
  const int n = 33, d = 4, dv = 2;
  pg::Rng rng(9);
  attn::RandomFeatures rf = attn::make_random_features(d, 8, rng);
  std::vector<float> q(size_t(n) * d), k(size_t(n) * d);
  for (int i = 0; i < n; ++i) {
    float* rows[2] = {&q[size_t(i) * d], &k[size_t(i) * d]};
    for (float* r : rows) {
      float sq = 0.0f;
      for (int c = 0; c < d; ++c) {
        r[c] = float(rng.normal());
        sq += r[c] * r[c];
      }
      for (int c = 0; c < d; ++c) r[c] *= 100.0f / std::sqrt(sq);
    }
  }
  k[0] = q[0], k[1] = q[1], k[2] = q[2], k[3] = q[3];  // one exact 1e4 score
  const auto v = gaussian(rng, size_t(n) * dv, 1.0);
  const auto log_eta = gaussian(rng, size_t(n), 0.5);
  for (Case c : operator_table(&rf, log_eta.data())) {
    c.spec.scale = 1.0f;
    CAPTURE(c.name);
    std::vector<float> Phi(size_t(n) * n), y(size_t(n) * dv), y_rec(size_t(n) * dv);
    attn::attention_weights(c.spec, q.data(), k.data(), n, d, Phi.data());
    CHECK(all_finite(Phi));
    attn::attention_weights_ref(c.spec, q.data(), k.data(), n, d, Phi.data());
    CHECK(all_finite(Phi));
    attn::weights_apply(Phi.data(), v.data(), n, dv, y.data());
    CHECK(all_finite(y));
    attn::attention_recurrent(c.spec, q.data(), k.data(), v.data(), n, d, dv, y_rec.data());
    CHECK(all_finite(y_rec));
  }
}

TEST_CASE("attention operators: row sums and signs") {
  const int n = 40, d = 5;
  pg::Rng rng(3);
  attn::RandomFeatures rf = attn::make_random_features(d, 12, rng);
  const auto q = gaussian(rng, size_t(n) * d, 1.0), k = gaussian(rng, size_t(n) * d, 1.0);
  const auto log_eta = gaussian(rng, size_t(n), 0.5);
  for (const Case& c : operator_table(&rf, log_eta.data())) {
    CAPTURE(c.name);
    std::vector<float> Phi(size_t(n) * n);
    attn::attention_weights(c.spec, q.data(), k.data(), n, d, Phi.data());
    const bool stochastic = c.spec.op == attn::Op::softmax || c.spec.op == attn::Op::lssa ||
                            c.spec.op == attn::Op::lssar ||
                            (c.spec.op == attn::Op::linear && c.spec.row_normalize);
    const bool nonneg = stochastic || c.spec.op == attn::Op::gaussian ||
                        (c.spec.op == attn::Op::linear && c.spec.map != attn::FeatureMap::identity);
    for (int i = 0; i < n; ++i) {
      double sum = 0.0;
      for (int j = 0; j < n; ++j) {
        sum += Phi[size_t(i) * n + j];
        if (nonneg) REQUIRE(Phi[size_t(i) * n + j] >= 0.0f);
      }
      // LSSAR may zero a row that nothing lifts above uniform (the zero_row fallback).
      if (stochastic && !(c.spec.op == attn::Op::lssar && sum == 0.0)) CHECK(std::fabs(sum - 1.0) < 1e-5);
    }
  }
  // DSF's normalized attention divides by a per-row scalar: its rows do not sum to 1
  // (method-notes 10: the draft's "rows sum to 1" holds only for linear attention).
  attn::OpSpec s;
  s.op = attn::Op::normalized, s.log_eta = log_eta.data();
  std::vector<float> Phi(size_t(n) * n);
  attn::attention_weights(s, q.data(), k.data(), n, d, Phi.data());
  double worst = 0.0;
  for (int i = 0; i < n; ++i) {
    double sum = 0.0;
    for (int j = 0; j <= i; ++j) sum += Phi[size_t(i) * n + j];
    worst = std::fabs(sum - 1.0) > worst ? std::fabs(sum - 1.0) : worst;
    // and each entry is exactly q.k / eta
    const double expect = [&] {
      double dot = 0.0;
      for (int c = 0; c < d; ++c) dot += double(q[size_t(i) * d + c]) * k[c];
      return dot / std::exp(double(log_eta[i]));
    }();
    CHECK(Phi[size_t(i) * n] == doctest::Approx(expect).epsilon(1e-4));
  }
  CHECK(worst > 0.1);
}

TEST_CASE("attention operators: random features estimate the softmax kernel") {
  // E[phi(q).phi(k)] = exp(s q.k): with many features the linear weights
  // approach softmax's (unbiased estimator; error ~ 1/sqrt(m)).
  const int n = 24, d = 4;
  pg::Rng rng(21);
  attn::RandomFeatures rf = attn::make_random_features(d, 4096, rng);
  const auto q = gaussian(rng, size_t(n) * d, 0.6), k = gaussian(rng, size_t(n) * d, 0.6);
  attn::OpSpec soft, lin;
  soft.op = attn::Op::softmax, soft.scale = 0.5f;
  lin.op = attn::Op::linear, lin.map = attn::FeatureMap::random_positive, lin.features = &rf, lin.scale = 0.5f;
  std::vector<float> a(size_t(n) * n), b(size_t(n) * n);
  attn::attention_weights(soft, q.data(), k.data(), n, d, a.data());
  attn::attention_weights(lin, q.data(), k.data(), n, d, b.data());
  double err = 0.0;
  for (size_t i = 0; i < a.size(); ++i) err = std::fabs(a[i] - b[i]) > err ? std::fabs(a[i] - b[i]) : err;
  CHECK(err < 0.05);
}

TEST_CASE("attention operators: softplus is stable and accurate") {
  for (double x : {-1e4, -100.0, -20.0, -3.0, -0.5, 0.0, 0.5, 3.0, 20.0, 100.0, 1e4}) {
    const double expect = x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
    const float got = attn::softplus(float(x));
    CAPTURE(x);
    REQUIRE(std::isfinite(got));
    CHECK(std::fabs(got - expect) <= 4e-7 * std::fabs(expect) + 1e-38);
  }
  CHECK(attn::lssa_row_scale(64, 1) == 0.0f);
  CHECK(attn::lssa_row_scale(64, 100) == doctest::Approx(std::log(64.0) * std::log(100.0)));
}

TEST_CASE("attention operators: one row alone equals that row of the matrix") {
  const int n = 37, d = 6;
  pg::Rng rng(17);
  attn::RandomFeatures rf = attn::make_random_features(d, 10, rng);
  const auto q = gaussian(rng, size_t(n) * d, 1.0), k = gaussian(rng, size_t(n) * d, 1.0);
  const auto log_eta = gaussian(rng, size_t(n), 0.5);
  for (bool causal : {true, false})
    for (Case c : operator_table(&rf, log_eta.data())) {
      c.spec.causal = causal;
      CAPTURE(c.name);
      std::vector<float> Phi(size_t(n) * n), row(n);
      attn::attention_weights(c.spec, q.data(), k.data(), n, d, Phi.data());
      for (int i : {0, 1, 2, 3, 20, n - 1}) {
        attn::OpSpec s = c.spec;
        if (s.log_eta) s.log_eta = log_eta.data() + i;
        attn::attention_row(s, q.data() + size_t(i) * d, k.data(), n, i, d, row.data());
        for (int j = 0; j < n; ++j) CHECK(row[j] == doctest::Approx(Phi[size_t(i) * n + j]).epsilon(1e-5).scale(1e-6));
      }
    }
}

// ---- the same check for the DSF recurrent layers (ssm.h) and the
// test-time-regression layers (regression.h), double precision: one table,
// each case drawing its own input and returning both forms' outputs.
namespace {

std::vector<double> gaussian_d(pg::Rng& rng, size_t count, double sd = 1.0) {
  std::vector<double> x(count);
  for (auto& v : x) v = rng.normal(0.0, sd);
  return x;
}
std::vector<double> unit_rows(pg::Rng& rng, int rows, int d) {
  std::vector<double> x = gaussian_d(rng, size_t(rows) * d);
  for (int i = 0; i < rows; ++i) {
    double s = 0;
    for (int c = 0; c < d; ++c) s += x[size_t(i) * d + c] * x[size_t(i) * d + c];
    for (int c = 0; c < d; ++c) x[size_t(i) * d + c] /= std::sqrt(s);
  }
  return x;
}
// Y (n, ch) = Phi_c u_c for every channel c, Phi (ch, n, n), u (n, ch).
std::vector<double> apply_per_channel(const std::vector<double>& phi, const std::vector<double>& u, int n, int ch) {
  std::vector<double> y(size_t(n) * ch, 0.0);
  for (int c = 0; c < ch; ++c)
    for (int i = 0; i < n; ++i)
      for (int j = 0; j <= i; ++j) y[size_t(i) * ch + c] += phi[(size_t(c) * n + i) * n + j] * u[size_t(j) * ch + c];
  return y;
}

struct FormsCase {
  std::string name;
  // Draws an input of length n and writes the recurrent and the materialized outputs.
  std::function<void(pg::Rng&, int n, bool causal, std::vector<double>& rec, std::vector<double>& mat)> run;
  double tol;
};

std::vector<FormsCase> recurrent_layer_table() {
  const int dk = 5, dv = 3, state = 4;
  std::vector<FormsCase> t;
  t.push_back({"s6", [=](pg::Rng& rng, int n, bool, std::vector<double>& rec, std::vector<double>& mat) {
                 const auto u = gaussian_d(rng, size_t(n) * dv), B = gaussian_d(rng, size_t(n) * state),
                            C = gaussian_d(rng, size_t(n) * state);
                 std::vector<double> A(size_t(dv) * state), delta(size_t(n) * dv), phi(size_t(dv) * n * n);
                 for (auto& a : A) a = -rng.uniform(0.0, 2.0);
                 for (auto& d : delta) d = attn::softplus(float(rng.normal()));
                 rec.resize(size_t(n) * dv);
                 attn::s6_forward(u.data(), delta.data(), A.data(), B.data(), C.data(), rec.data(), n, dv, state);
                 attn::s6_phi(delta.data(), A.data(), B.data(), C.data(), phi.data(), n, dv, state);
                 mat = apply_per_channel(phi, u, n, dv);
               }, 1e-12});
  t.push_back({"s6 shared step", [=](pg::Rng& rng, int n, bool, std::vector<double>& rec, std::vector<double>& mat) {
                 const auto u = gaussian_d(rng, size_t(n) * dv), B = gaussian_d(rng, size_t(n) * state),
                            C = gaussian_d(rng, size_t(n) * state);
                 std::vector<double> A(state), delta(n), phi(size_t(n) * n);
                 for (auto& a : A) a = -rng.uniform(0.0, 2.0);
                 for (auto& d : delta) d = attn::softplus(float(rng.normal()));
                 rec.resize(size_t(n) * dv);
                 attn::s6_shared_forward(u.data(), delta.data(), A.data(), B.data(), C.data(), rec.data(), n, dv, state);
                 attn::s6_shared_phi(delta.data(), A.data(), B.data(), C.data(), phi.data(), n, state);
                 std::vector<double> phis;  // the one Phi for every channel
                 for (int c = 0; c < dv; ++c) phis.insert(phis.end(), phi.begin(), phi.end());
                 mat = apply_per_channel(phis, u, n, dv);
               }, 1e-12});
  t.push_back({"gated rnn", [=](pg::Rng& rng, int n, bool, std::vector<double>& rec, std::vector<double>& mat) {
                 const int H = dv * state;
                 const auto x = gaussian_d(rng, size_t(n) * H);
                 std::vector<double> a(size_t(n) * H), g(a.size()), o(a.size()), phi(size_t(H) * n * n);
                 for (size_t i = 0; i < a.size(); ++i)
                   a[i] = attn::qlstm_forget_gate(rng.normal(), 1.0), g[i] = attn::sigmoid(rng.normal()),
                   o[i] = attn::sigmoid(rng.normal());
                 rec.resize(size_t(n) * H);
                 attn::gated_rnn_forward(x.data(), a.data(), g.data(), o.data(), rec.data(), n, H);
                 attn::gated_rnn_phi(a.data(), g.data(), o.data(), phi.data(), n, H);
                 mat = apply_per_channel(phi, x, n, H);
               }, 1e-12});
  // The regression layers: queries and keys of unit norm, n of each.
  auto regression = [=](const char* name, double tol, auto both) {
    return FormsCase{name, [=](pg::Rng& rng, int n, bool causal, std::vector<double>& rec, std::vector<double>& mat) {
                       const auto q = unit_rows(rng, n, dk), k = unit_rows(rng, n, dk), v = gaussian_d(rng, size_t(n) * dv);
                       std::vector<double> gamma(static_cast<size_t>(n));
                       for (auto& g : gamma) g = rng.uniform(0.5, 1.0);
                       rec.assign(size_t(n) * dv, 0.0), mat.assign(size_t(n) * dv, 0.0);
                       both(q.data(), k.data(), v.data(), gamma.data(), n, causal, rec.data(), mat.data());
                     }, tol};
  };
  t.push_back(regression("ttr linear", 1e-12, [=](const double* q, const double* k, const double* v, const double*,
                                                  int n, bool c, double* rec, double* mat) {
    attn::ttr_linear_forward(q, k, v, rec, n, n, dk, dv, c);
    attn::ttr_linear_forward_ref(q, k, v, mat, n, n, dk, dv, c);
  }));
  t.push_back(regression("ttr gated", 1e-12, [=](const double* q, const double* k, const double* v, const double* g,
                                                 int n, bool c, double* rec, double* mat) {
    attn::ttr_gated_forward(q, k, v, g, rec, n, n, dk, dv, c);
    attn::ttr_gated_forward_ref(q, k, v, g, mat, n, n, dk, dv, c);
  }));
  t.push_back(regression("ttr rls vs batch least squares", 1e-9,
                         [=](const double* q, const double* k, const double* v, const double*, int n, bool c,
                             double* rec, double* mat) {
                           attn::ttr_rls_forward(q, k, v, rec, n, n, dk, dv, 0.1, c);
                           attn::ttr_least_squares_forward_ref(q, k, v, mat, n, n, dk, dv, 0.1, c);
                         }));
  t.push_back(regression("ttr deltanet", 1e-10, [=](const double* q, const double* k, const double* v, const double*,
                                                    int n, bool c, double* rec, double* mat) {
    attn::ttr_delta_forward(q, k, v, 0.7, rec, n, n, dk, dv, c);
    attn::ttr_delta_forward_ref(q, k, v, 0.7, mat, n, n, dk, dv, c);
  }));
  t.push_back(regression("ttr local-linear", 1e-9, [=](const double* q, const double* k, const double* v,
                                                       const double*, int n, bool c, double* rec, double* mat) {
    attn::ttr_local_linear_forward(q, k, v, rec, n, n, dk, dv, 4.0, 0.05, c);
    attn::ttr_local_linear_forward_ref(q, k, v, mat, n, n, dk, dv, 4.0, 0.05, c);
  }));
  return t;
}

}  // namespace

TEST_CASE("attention operators: the recurrent form equals the materialized form (DSF and regression layers)") {
  pg::Rng rng(14);
  for (int n : {1, 3, 17, 64, 255, 257})
    for (bool causal : {true, false})
      for (const FormsCase& c : recurrent_layer_table()) {
        CAPTURE(c.name);
        CAPTURE(n);
        CAPTURE(causal);
        std::vector<double> rec, mat;
        c.run(rng, n, causal, rec, mat);
        REQUIRE(rec.size() == mat.size());
        double err = 0.0, scale = 1.0;
        for (size_t i = 0; i < rec.size(); ++i) {
          REQUIRE(std::isfinite(rec[i]));
          err = std::max(err, std::fabs(rec[i] - mat[i]));
          scale = std::max(scale, std::fabs(mat[i]));
        }
        CHECK(err / scale < c.tol);
      }
}

TEST_CASE("attention operators: linear attention without the n x n matrix equals the materialized form") {
  const int d = 8, dv = 5;
  pg::Rng rng(23);
  attn::RandomFeatures rf = attn::make_random_features(d, 19, rng);
  for (int n : {1, 3, 17, 64, 65, 255, 257}) {
    const auto q = gaussian(rng, size_t(n) * d, 1.0), k = gaussian(rng, size_t(n) * d, 1.0);
    const auto v = gaussian(rng, size_t(n) * dv, 1.0);
    for (bool causal : {true, false})
      for (Case c : operator_table(&rf, nullptr)) {
        if (c.spec.op != attn::Op::linear) continue;
        c.spec.causal = causal;
        CAPTURE(c.name);
        CAPTURE(n);
        CAPTURE(causal);
        std::vector<float> Phi(size_t(n) * n), y_mat(size_t(n) * dv), y(size_t(n) * dv);
        attn::attention_weights_ref(c.spec, q.data(), k.data(), n, d, Phi.data());
        attn::weights_apply_ref(Phi.data(), v.data(), n, dv, y_mat.data());
        attn::linear_attention_forward(c.spec, q.data(), k.data(), v.data(), n, d, dv, y.data());
        CHECK(rel_max_err(y, y_mat) < 5e-5);
      }
  }
}
