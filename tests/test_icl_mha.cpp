// test_icl_mha.cpp - multi-head softmax attention at the query (lesson
// icl-multihead; He et al. 2025): gradients, the re-association, the fast float
// path against the reference, and the hand-built debiased-GD heads.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "engine/icl/baselines.h"
#include "engine/icl/mha.h"
#include "engine/icl/mha_batch.h"
#include "engine/icl/normal.h"
#include "engine/icl/prompts.h"

namespace {

// The layer exactly as written in the paper, no re-association:
//   y^ = sum_h o_h^T V_h Z softmax(Z^T K_h^T Q_h z_q / sqrt(D)),  O(H n D^2).
double naive_forward(const icl::MhaShape& s, const double* params, const double* z, int n, const double* zq) {
  const int D = s.D();
  double y = 0;
  for (int h = 0; h < s.heads; ++h) {
    const double *Q = params + s.q_offset(h), *K = params + s.k_offset(h), *V = params + s.v_offset(h),
                 *o = params + s.o_offset(h);
    std::vector<double> q(D, 0.0), scores(n), values(n);
    for (int i = 0; i < D; ++i)
      for (int j = 0; j < D; ++j) q[i] += Q[i * D + j] * zq[j];
    double smax = -1e300;
    for (int l = 0; l < n; ++l) {
      std::vector<double> k(D, 0.0), v(D, 0.0);
      for (int i = 0; i < D; ++i)
        for (int j = 0; j < D; ++j) {
          k[i] += K[i * D + j] * z[l * D + j];
          v[i] += V[i * D + j] * z[l * D + j];
        }
      double s_l = 0, v_l = 0;
      for (int i = 0; i < D; ++i) {
        s_l += k[i] * q[i];
        v_l += o[i] * v[i];
      }
      scores[l] = s_l / std::sqrt(double(D));
      values[l] = v_l;
      smax = std::max(smax, scores[l]);
    }
    double sum = 0, out = 0;
    for (int l = 0; l < n; ++l) sum += std::exp(scores[l] - smax);
    for (int l = 0; l < n; ++l) out += std::exp(scores[l] - smax) / sum * values[l];
    y += out;
  }
  return y;
}

struct Prompt {
  std::vector<double> z, zq;
  double y = 0;
};

Prompt random_prompt(const icl::MhaShape& s, int n, pg::Rng& rng) {
  Prompt p;
  p.z.resize(n * s.D());
  p.zq.resize(s.D());
  icl::fill_normal(rng, p.z.data(), n * s.D());
  icl::fill_normal(rng, p.zq.data(), s.D());
  p.zq[s.d] = 0.0;
  p.y = icl::normal(rng);
  return p;
}

}  // namespace

TEST_CASE("icl-multihead: re-associated forward == the paper's formula") {
  icl::MhaShape s;
  s.d = 4;
  s.heads = 3;
  pg::Rng rng(1);
  std::vector<double> params(s.num_params());
  icl::fill_normal(rng, params.data(), s.num_params(), 0.5);
  icl::MhaCache<double> cache;
  for (int n : {1, 5, 9}) {
    const Prompt p = random_prompt(s, n, rng);
    const double fast = icl::mha_forward(s, params.data(), p.z.data(), n, p.zq.data(), cache);
    CHECK(fast == doctest::Approx(naive_forward(s, params.data(), p.z.data(), n, p.zq.data())).epsilon(1e-12));
  }
}

TEST_CASE("icl-multihead: backward matches finite differences for every parameter (double)") {
  icl::MhaShape s;
  s.d = 4;
  s.heads = 3;
  const int n = 7, P = s.num_params();
  pg::Rng rng(2);
  std::vector<double> params(P);
  icl::fill_normal(rng, params.data(), P, 0.6);
  const Prompt p = random_prompt(s, n, rng);
  // The query's y-slot is nonzero here so that the gradients of Q's last column are exercised too.
  std::vector<double> zq = p.zq;
  zq[s.d] = 0.4;
  icl::MhaCache<double> cache;
  auto loss = [&](const std::vector<double>& w) {
    const double e = icl::mha_forward(s, w.data(), p.z.data(), n, zq.data(), cache) - p.y;
    return e * e;
  };
  const double e = icl::mha_forward(s, params.data(), p.z.data(), n, zq.data(), cache) - p.y;
  std::vector<double> grads(P, 0.0);
  icl::mha_backward(s, params.data(), p.z.data(), n, zq.data(), cache, 2 * e, grads.data());
  double max_rel = 0;
  for (int i = 0; i < P; ++i) {
    const double h = 1e-6;
    std::vector<double> plus = params, minus = params;
    plus[i] += h;
    minus[i] -= h;
    const double fd = (loss(plus) - loss(minus)) / (2 * h);
    if (std::fabs(fd - grads[i]) > 1e-9)
      max_rel = std::max(max_rel, std::fabs(fd - grads[i]) / (std::fabs(fd) + std::fabs(grads[i])));
  }
  INFO("max relative error " << max_rel);
  CHECK(max_rel < 1e-6);
}

TEST_CASE("icl-multihead: the fast float batch path == the reference (loss, predictions, gradients)") {
  // Shapes that exercise every remainder: n not a multiple of 4, odd H (a block of
  // two rows left over), D a multiple of 4 or not.
  struct Case {
    int d, heads, n;
  };
  for (Case cs : {Case{10, 4, 40}, Case{3, 1, 5}, Case{7, 3, 13}, Case{5, 8, 80}}) {
    icl::MhaShape s;
    s.d = cs.d;
    s.heads = cs.heads;
    const int P = s.num_params(), B = 6;
    pg::Rng rng(100 + cs.d);
    std::vector<double> pd(P);
    icl::fill_normal(rng, pd.data(), P, 0.4);
    std::vector<float> pf(pd.begin(), pd.end());
    for (int i = 0; i < P; ++i) pd[i] = pf[i];  // the same (float) weights on both sides
    icl::PromptConfig c;
    icl::PromptBatch batch;
    batch.resize(B, cs.n, cs.d);
    icl::sample_prompts(c, rng, batch);
    icl::PackedPrompts packed;
    packed.resize(B, cs.n, cs.d);
    icl::pack_prompts(batch, packed);
    icl::MhaBatch fast;
    fast.init(s, cs.n);
    std::vector<float> gf(P), yhat(B);
    const double loss_fast = fast.forward_backward(pf.data(), packed, gf.data(), yhat.data());

    std::vector<double> gd(P, 0.0), z(cs.n * s.D()), zq(s.D());
    icl::MhaCache<double> cache;
    double loss_ref = 0, gmax = 0;
    for (int b = 0; b < B; ++b) {
      icl::make_tokens(batch.x_of(b), batch.y_of(b), cs.n, cs.d, batch.xq_of(b), z.data(), zq.data());
      for (double& v : z) v = float(v);
      for (double& v : zq) v = float(v);
      const double y = icl::mha_forward(s, pd.data(), z.data(), cs.n, zq.data(), cache);
      const double e = y - double(float(batch.yq[b]));
      loss_ref += e * e / B;
      CHECK(yhat[b] == doctest::Approx(y).epsilon(1e-5));
      icl::mha_backward(s, pd.data(), z.data(), cs.n, zq.data(), cache, 2 * e / B, gd.data());
    }
    for (int i = 0; i < P; ++i) gmax = std::max(gmax, std::fabs(gd[i]));
    CHECK(loss_fast == doctest::Approx(loss_ref).epsilon(1e-5));
    double max_err = 0;
    for (int i = 0; i < P; ++i) max_err = std::max(max_err, std::fabs(gd[i] - gf[i]));
    INFO("d " << cs.d << " H " << cs.heads << " n " << cs.n << ": max |grad error| " << max_err << " of " << gmax);
    CHECK(max_err < 1e-5 * gmax + 1e-7);
  }
}

TEST_CASE("icl-multihead: two heads +-omega with mu = eta/(2 omega) == debiased GD to O(eta omega^2)") {
  icl::MhaShape s;
  s.d = 10;
  s.heads = 2;
  icl::PromptConfig c;
  icl::PromptBatch batch;
  batch.resize(20, 40, 10);
  pg::Rng rng(5);
  icl::sample_prompts(c, rng, batch);
  const double eta = icl::debiased_gd_step_opt(10, 40, 0.1, 0.1);
  std::vector<double> params(s.num_params()), z(40 * 11), zq(11);
  icl::MhaCache<double> cache;
  auto max_error = [&](double omega) {
    icl::mha_set_debiased_gd(s, params.data(), omega, eta);
    double worst = 0;
    for (int b = 0; b < batch.B; ++b) {
      icl::make_tokens(batch.x_of(b), batch.y_of(b), 40, 10, batch.xq_of(b), z.data(), zq.data());
      const double model = icl::mha_forward(s, params.data(), z.data(), 40, zq.data(), cache);
      const double deb = icl::predict_debiased_gd(batch.x_of(b), batch.y_of(b), 40, 10, eta, batch.xq_of(b));
      worst = std::max(worst, std::fabs(model - deb));
    }
    return worst;
  };
  const double err1 = max_error(1e-3), err2 = max_error(2e-3);
  INFO("omega 1e-3: " << err1 << ", omega 2e-3: " << err2);
  CHECK(err1 < 1e-5);
  // The even orders cancel between the pair: the error is third order in omega
  // times mu = eta / (2 omega), i.e. O(eta omega^2): doubling omega quadruples it.
  CHECK(err2 / err1 > 3.5);
  CHECK(err2 / err1 < 4.5);
  // The pattern reader recovers the construction.
  icl::mha_set_debiased_gd(s, params.data(), 0.02, eta);
  const icl::HeadPattern h0 = icl::mha_head_pattern(s, params.data(), 0);
  const icl::HeadPattern h1 = icl::mha_head_pattern(s, params.data(), 1);
  CHECK(h0.omega == doctest::Approx(0.02));
  CHECK(h1.omega == doctest::Approx(-0.02));
  CHECK(h0.mu == doctest::Approx(eta / 0.04));
  CHECK(h0.omega * h0.mu + h1.omega * h1.mu == doctest::Approx(eta));
  CHECK(h0.kq_identity_frac == doctest::Approx(1.0));
  CHECK(h1.ov_last_frac == doctest::Approx(1.0));
}
