// dexml (LESSONS.md #17, method-notes.md #6): the soft top-k operator sums to
// K and its Jacobian matches finite differences (double); the soft top-k loss
// and the summed multi-positive softmax pass the finite-difference check; one
// positive makes decoupled == softmax; s_pos = 10, s_neg = -10, |P| = 3 gives
// the summed softmax 3 ln 3 (the mean form ln 3) and decoupled ~ 0; and at the
// lesson level: labels = 1 trains softmax and decoupled identically, the
// exported score matrix and positive sets recompute P@1 / P@3, and the views
// do not depend on the frame split.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "engine/nn/losses_softmax.h"
#include "engine/nn/losses_topk.h"
#include "tests/lesson_test_util.h"
#include "tests/test_nn_util.h"
#include "web/session.h"

using lesson_test::metric;
using lesson_test::run_to_end;

namespace {
std::vector<double> random_scores(pg::Rng& rng, int n, double lo, double hi) {
  std::vector<double> v(n);
  for (double& x : v) x = rng.uniform(lo, hi);
  return v;
}

void check_float_loss(nn::Loss& loss, std::vector<float> logits, const std::vector<int>& labels, int B, int C) {
  loss.reserve(B, C);
  std::vector<float> analytic(size_t(B) * C);
  loss.forward(logits.data(), labels.data(), B, C);
  loss.backward(logits.data(), labels.data(), B, C, analytic.data());
  auto f = [&] { return double(loss.forward(logits.data(), labels.data(), B, C)); };
  nntest::check_gradient(loss.name(), f, logits.data(), analytic.data(), B * C, 1e-2f, 5e-3, 1e-4);
}
}  // namespace

TEST_CASE("dexml: soft top-k sums to K, lies in (0, 1), and tends to the hard top-k as alpha grows") {
  pg::Rng rng(71);
  for (int C : {1, 3, 17, 255, 257}) {
    const std::vector<double> s = random_scores(rng, C, -5, 5);
    std::vector<double> p(C);
    for (double k : {0.5, 1.0, 3.0, 7.5}) {
      if (k >= C) continue;
      for (double alpha : {0.5, 2.0, 20.0}) {
        nn::soft_topk_forward(s.data(), C, k, alpha, nn::kSoftTopKIterations, p.data());
        double sum = 0.0;
        for (double x : p) {
          CHECK(x >= 0.0);
          CHECK(x <= 1.0);
          sum += x;
        }
        INFO("C = " << C << ", k = " << k << ", alpha = " << alpha);
        CHECK(sum == doctest::Approx(k).epsilon(1e-9));
      }
    }
  }
  // Well separated scores, large alpha: the K best get p ~ 1, the rest ~ 0.
  const int C = 10, K = 3;
  std::vector<double> s(C), p(C);
  for (int j = 0; j < C; ++j) s[j] = double((j * 7) % C);  // a permutation of 0..9
  nn::soft_topk_forward(s.data(), C, K, 20.0, nn::kSoftTopKIterations, p.data());
  for (int j = 0; j < C; ++j) CHECK(p[j] == doctest::Approx(s[j] >= C - K ? 1.0 : 0.0).epsilon(1e-4).scale(1.0));
}

TEST_CASE("dexml: the soft top-k Jacobian diag(v) - v v^T / sum v matches finite differences (double)") {
  pg::Rng rng(72);
  for (int C : {3, 17}) {
    for (double alpha : {0.7, 2.0, 6.0}) {
      const double k = C == 3 ? 1.0 : 5.0;
      std::vector<double> s = random_scores(rng, C, -2, 2), p(C), up(C), down(C), ds(C), dp(C);
      nn::soft_topk_forward(s.data(), C, k, alpha, nn::kSoftTopKIterations, p.data());
      // Column i of J, one unit upstream vector at a time: J^T e_m = row m.
      for (int m = 0; m < C; ++m) {
        std::fill(dp.begin(), dp.end(), 0.0);
        dp[m] = 1.0;
        nn::soft_topk_backward(p.data(), C, alpha, dp.data(), ds.data());  // ds_i = dp_m / ds_i
        double row_sum = 0.0;
        for (int i = 0; i < C; ++i) {
          const double eps = 1e-5, saved = s[i];
          s[i] = saved + eps;
          nn::soft_topk_forward(s.data(), C, k, alpha, nn::kSoftTopKIterations, up.data());
          s[i] = saved - eps;
          nn::soft_topk_forward(s.data(), C, k, alpha, nn::kSoftTopKIterations, down.data());
          s[i] = saved;
          const double numeric = (up[m] - down[m]) / (2 * eps);
          CHECK_MESSAGE(nntest::close_enough(ds[i], numeric, 1e-5, 1e-9), ds[i] << " vs " << numeric);
          row_sum += ds[i];
        }
        CHECK(std::fabs(row_sum) < 1e-12);  // a uniform shift of the scores moves t, not p
      }
    }
  }
}

TEST_CASE("dexml: finite-difference gradients of the soft top-k loss and the summed multi-positive softmax") {
  pg::Rng rng(73);
  const int B = 3, C = 7, P = 3;
  const std::vector<int> labels = {0, 4, -1, 2, -1, -1, 6, 1, 3};  // (B, P), -1 = padding
  nn::SoftTopKLoss topk(P, 3.0f, 3.0, 2.0);
  check_float_loss(topk, nntest::random_vector(rng, B * C, -1, 1), labels, B, C);
  nn::SoftTopKLoss steep(P, 1.0f, 2.0, 8.0);
  check_float_loss(steep, nntest::random_vector(rng, B * C, -1, 1), labels, B, C);
  nn::MultiPositiveSoftmax summed(P, 2.0f, true);
  check_float_loss(summed, nntest::random_vector(rng, B * C, -1, 1), labels, B, C);
}

TEST_CASE("dexml: one positive makes decoupled == summed softmax; s_pos = 10, s_neg = -10, |P| = 3") {
  pg::Rng rng(74);
  const int B = 4, C = 6;
  const std::vector<float> logits = nntest::random_vector(rng, B * C, -2, 2);
  const std::vector<int> one = {1, 0, 5, 3};
  nn::MultiPositiveSoftmax summed1(1, 1.0f, true);
  nn::DecoupledSoftmax decoupled1(1);
  CHECK(summed1.forward(logits.data(), one.data(), B, C) ==
        doctest::Approx(decoupled1.forward(logits.data(), one.data(), B, C)).epsilon(1e-6));

  const int P = 3, D = 10;
  std::vector<float> s(D, -10.0f);
  const int pos[P] = {2, 5, 7};
  for (int l : pos) s[l] = 10.0f;
  nn::MultiPositiveSoftmax summed(P, 1.0f, true), mean(P, 1.0f, false);
  nn::DecoupledSoftmax decoupled(P);
  nn::SoftTopKLoss topk(P, 1.0f, 3.0, 2.0);
  // official losses.py sums over the positives: each has probability 1/3
  CHECK(summed.forward(s.data(), pos, 1, D) == doctest::Approx(3.0 * std::log(3.0)).epsilon(1e-6));
  CHECK(mean.forward(s.data(), pos, 1, D) == doctest::Approx(std::log(3.0)).epsilon(1e-6));
  CHECK(decoupled.forward(s.data(), pos, 1, D) < 1e-7);
  CHECK(topk.forward(s.data(), pos, 1, D) < 1e-6);  // K = |P|: the positives are the soft top 3
}

TEST_CASE("dexml lesson: labels = 1 makes softmax and decoupled train identically") {
  pg::Session s;
  std::string msg;
  REQUIRE_MESSAGE(s.open("dexml", msg), msg);
  REQUIRE(s.set("labels", "1", msg));
  REQUIRE(s.set("steps", "120", msg));
  s.reset(3);
  run_to_end(s);
  CHECK(metric(s, "mean_positives") == 1.0);
  CHECK(metric(s, "softmax_floor") == 0.0);
  CHECK(metric(s, "p_at_1_softmax") == metric(s, "p_at_1_decoupled"));
  CHECK(metric(s, "p_at_3_softmax") == metric(s, "p_at_3_decoupled"));
  CHECK(metric(s, "train_loss_softmax") == doctest::Approx(metric(s, "train_loss_decoupled")).epsilon(1e-5));
}

TEST_CASE("dexml lesson: the exported scores and positive sets recompute P@1 and P@3; losses above their floors") {
  pg::Session s;
  std::string msg;
  REQUIRE_MESSAGE(s.open("dexml", msg), msg);
  REQUIRE(s.set("steps", "300", msg));
  s.reset(5);
  run_to_end(s);
  const pg::Array* scores = s.lesson().outputs().find_array("scores");
  const pg::Array* sets = s.lesson().outputs().find_array("positive_sets");
  REQUIRE(scores != nullptr);
  REQUIRE(sets != nullptr);
  REQUIRE(scores->shape.size() == 3);
  const int R = int(scores->shape[0]), n = int(scores->shape[1]), C = int(scores->shape[2]), W = int(sets->shape[1]);
  REQUIRE(R == 3);
  REQUIRE(int(sets->shape[0]) == n);
  const char* keys[3] = {"softmax", "decoupled", "topk"};
  for (int r = 0; r < R; ++r) {
    double p1 = 0.0, p3 = 0.0;
    std::vector<int> order(C);
    for (int i = 0; i < n; ++i) {
      const float* row = scores->f.data() + (size_t(r) * n + i) * C;
      for (int j = 0; j < C; ++j) order[j] = j;
      std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return row[a] > row[b]; });
      auto positive = [&](int label) {
        for (int k = 0; k < W; ++k)
          if (int(sets->f[size_t(i) * W + k]) == label) return true;
        return false;
      };
      p1 += positive(order[0]);
      for (int k = 0; k < 3; ++k) p3 += positive(order[k]) / 3.0;
    }
    const std::string key = keys[r];
    CHECK(p1 / n == doctest::Approx(metric(s, ("p_at_1_" + key).c_str())).epsilon(1e-6));
    CHECK(p3 / n == doctest::Approx(metric(s, ("p_at_3_" + key).c_str())).epsilon(1e-6));
    CHECK(metric(s, ("p_at_1_" + key).c_str()) > 0.3);  // well above chance (~0.1) after 300 steps
  }
  // The summed softmax cannot go below its |P| ln |P| floor; the decoupled loss is far below it.
  CHECK(metric(s, "train_loss_softmax") > metric(s, "softmax_floor"));
  CHECK(metric(s, "train_loss_decoupled") < metric(s, "softmax_floor"));
}

TEST_CASE("dexml lesson: same numbers however the steps are split into frames") {
  const std::string a = lesson_test::metrics_after_run("dexml", {{"steps", "80"}}, 9, 1);
  const std::string b = lesson_test::metrics_after_run("dexml", {{"steps", "80"}}, 9, 37);
  CHECK(a == b);
}
