// hyperspherical (LESSONS.md #15): the prototype head (engine/nn/prototypes.h)
// keeps every embedding and class row at unit norm, keeps logits within
// [-s, s] and leaves the old classes' logits as the trained model computes
// them; the normalized model trains end to end (finite differences); and the
// lesson adds held-out classes that it then recognises, better than the plain
// softmax model given the same samples.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "engine/nn/losses_softmax.h"
#include "engine/nn/model.h"
#include "engine/nn/prototypes.h"
#include "tests/lesson_test_util.h"
#include "tests/test_nn_util.h"
#include "web/session.h"

using lesson_test::metric;
using lesson_test::run_to_end;
using nntest::check_gradient;
using nntest::random_vector;

static double norm_of(const float* v, int D) {
  double s = 0;
  for (int k = 0; k < D; ++k) s += double(v[k]) * v[k];
  return std::sqrt(s);
}

TEST_CASE("hyperspherical: a prototype is the unit mean direction of its samples") {
  pg::Rng rng(3);
  const int n = 7, D = 5;
  std::vector<float> x = random_vector(rng, n * D), p(D), q(D);
  nn::prototype_direction(x.data(), n, D, false, p.data());
  CHECK(norm_of(p.data(), D) == doctest::Approx(1.0).epsilon(1e-6));
  // normalize(sum x_i): parallel to the plain sum
  std::vector<double> sum(D, 0.0);
  for (int i = 0; i < n; ++i)
    for (int k = 0; k < D; ++k) sum[k] += x[i * D + k];
  const double len = std::sqrt([&] { double s = 0; for (double v : sum) s += v * v; return s; }());
  for (int k = 0; k < D; ++k) CHECK(p[k] == doctest::Approx(sum[k] / len).epsilon(1e-6));
  // with normalize_rows, rescaling a sample changes nothing (mean of z = s h/|h|)
  std::vector<float> y = x;
  for (int k = 0; k < D; ++k) y[2 * D + k] *= 40.0f;
  nn::prototype_direction(x.data(), n, D, true, p.data());
  nn::prototype_direction(y.data(), n, D, true, q.data());
  for (int k = 0; k < D; ++k) CHECK(p[k] == doctest::Approx(q[k]).epsilon(1e-6));
  // no samples: a zero row, never a NaN
  nn::prototype_direction(x.data(), 0, D, true, p.data());
  for (int k = 0; k < D; ++k) CHECK(p[k] == 0.0f);
}

TEST_CASE("hyperspherical: adding prototypes leaves the trained model's old logits unchanged, all within [-s, s]") {
  const int B = 9, in = 4, D = 3, K = 4, N = 2;
  const float s = 10.0f;
  nn::ModelSpec spec = nn::ModelSpec::vectors(in);
  spec.linear(8).tanh().linear(D, false).l2norm().cosine_linear(K);  // tanh: no dead row, so no zero embedding
  nn::Model model;
  pg::Rng rng(5);
  REQUIRE(model.init(spec, B, rng));
  std::vector<float> x = random_vector(rng, B * in, -2, 2), shots = random_vector(rng, 6 * D);
  const float* cos = model.forward(x.data(), B);                      // (B, K)
  const float* e = model.layer_output(model.num_layers() - 2);        // (B, D) unit
  const float* W = model.params() + model.param_offset(model.num_layers() - 1);
  for (int b = 0; b < B; ++b) CHECK(norm_of(e + b * D, D) == doctest::Approx(1.0).epsilon(1e-6));
  std::vector<float> P(N * D), out(B * (K + N));
  nn::prototype_direction(shots.data(), 3, D, true, P.data());
  nn::prototype_direction(shots.data() + 3 * D, 3, D, true, P.data() + D);
  for (int j = 0; j < N; ++j) CHECK(norm_of(P.data() + j * D, D) == doctest::Approx(1.0).epsilon(1e-6));
  nn::extended_cosine_logits(e, W, K, P.data(), N, B, D, s, out.data());
  for (int b = 0; b < B; ++b) {
    for (int k = 0; k < K; ++k) CHECK(out[b * (K + N) + k] == doctest::Approx(s * cos[b * K + k]).epsilon(1e-5));
    for (int k = 0; k < K + N; ++k) CHECK(std::fabs(out[b * (K + N) + k]) <= s * (1 + 1e-6));
  }
  // and the same old columns whatever prototypes are appended
  std::vector<float> out0(B * K);
  nn::extended_cosine_logits(e, W, K, nullptr, 0, B, D, s, out0.data());
  for (int b = 0; b < B; ++b)
    for (int k = 0; k < K; ++k) CHECK(out[b * (K + N) + k] == out0[b * K + k]);
  // the plain head: old columns are h W^T + b, new rows get the old rows' mean norm and bias
  const float Wp[] = {3, 0, 0, 0, 1, 0}, bp[] = {0.5f, -1.5f}, dir[] = {0, 0, 1};
  float Pp[3], pb[1], h[] = {1, 2, 3}, lin[3];
  nn::prototype_linear_rows(Wp, bp, 2, dir, 1, 3, Pp, pb);
  CHECK(Pp[2] == doctest::Approx(2.0));
  CHECK(pb[0] == doctest::Approx(-0.5));
  nn::extended_linear_logits(h, Wp, bp, 2, Pp, pb, 1, 1, 3, lin);
  CHECK(lin[0] == doctest::Approx(3.5));
  CHECK(lin[1] == doctest::Approx(0.5));
  CHECK(lin[2] == doctest::Approx(5.5));
}

TEST_CASE("hyperspherical: split accuracy over old, new, all and disjoint") {
  // K = 2 old, N = 2 new; rows: old right, old wrong (picks a new class), new right, new wrong but right among new
  const float logits[] = {5, 1, 0, 0,   0, 1, 2, 0,   0, 0, 3, 1,   4, 0, 1, 2};
  const int labels[] = {0, 1, 2, 3};
  const nn::SplitAccuracy a = nn::split_accuracy(logits, labels, 4, 2, 2);
  CHECK(a.old_classes == 0.5);
  CHECK(a.new_classes == 0.5);
  CHECK(a.all == 0.5);
  CHECK(a.new_disjoint == 1.0);
}

TEST_CASE("grad: the hyperspherical model end to end (l2norm, unit weights, softmax of s cos)") {
  const int B = 3, in = 3, D = 3, K = 4;
  nn::ModelSpec spec = nn::ModelSpec::vectors(in);
  spec.linear(5).tanh().linear(D, false).l2norm().cosine_linear(K);
  nn::Model model;
  pg::Rng rng(8);
  REQUIRE(model.init(spec, B, rng));
  nn::SoftmaxCrossEntropy ce(10.0f);
  std::vector<float> x = random_vector(rng, B * in, -1, 1), dlogits(B * K);
  const std::vector<int> labels = {0, 3, 1};
  auto f = [&] { return double(ce.forward(model.forward(x.data(), B), labels.data(), B, K)); };
  const float* out = model.forward(x.data(), B);
  ce.backward(out, labels.data(), B, K, dlogits.data());
  model.zero_grad();
  model.backward(dlogits.data());
  std::vector<float> grads(model.grads(), model.grads() + model.num_params());
  check_gradient("hyperspherical model", f, model.params(), grads.data(), model.num_params(), 1e-3f, 1e-2, 1e-3);
}

// ------------------------------------------------------------------ the lesson

static pg::Session& open_hyperspherical(pg::Session& s, std::initializer_list<std::pair<const char*, const char*>> knobs,
                                        uint64_t seed) {
  std::string msg;
  REQUIRE_MESSAGE(s.open("hyperspherical", msg), msg);
  for (const auto& kv : knobs) REQUIRE_MESSAGE(s.set(kv.first, kv.second, msg), msg);
  s.reset(seed);
  run_to_end(s);
  REQUIRE(s.lesson().problem().empty());
  return s;
}

TEST_CASE("hyperspherical: unit norms, logits in [-s, s], the old logits kept, and the accuracies recompute from the export") {
  pg::Session s;
  open_hyperspherical(s, {}, 1);
  const double scale = 10.0;  // the s knob's default
  CHECK(metric(s, "max_unit_norm_error") < 1e-5);
  CHECK(metric(s, "max_abs_logit") <= scale * (1 + 1e-6));
  CHECK(metric(s, "max_abs_logit") > 0.9 * scale);  // trained: the cosines reach near +-1
  const pg::Array* logits = s.lesson().outputs().find_array("all_test_logits");
  const pg::Array* labels = s.lesson().outputs().find_array("all_test_labels");
  const pg::Array* weights = s.lesson().outputs().find_array("class_weights");
  const pg::Array* emb = s.lesson().outputs().find_array("embeddings");
  REQUIRE(logits);
  REQUIRE(labels);
  REQUIRE(weights);
  REQUIRE(emb);
  const int n = int(labels->shape[0]), C = int(logits->shape[1]), D = int(emb->shape[1]);
  const int K = int(metric(s, "old_classes")), N = int(metric(s, "new_classes"));
  REQUIRE(C == K + N);
  REQUIRE(K == 4);
  REQUIRE(N == 2);
  for (int k = 0; k < C; ++k) CHECK(norm_of(weights->f.data() + k * D, D) == doctest::Approx(1.0).epsilon(1e-5));
  // The exported logits are s cos(e, w_k): recompute them from the exported embeddings and rows.
  for (int i = 0; i < n; i += 7)
    for (int k = 0; k < C; ++k) {
      double c = 0;
      for (int t = 0; t < D; ++t) c += double(emb->f[i * D + t]) * weights->f[k * D + t];
      CHECK(logits->f[i * C + k] == doctest::Approx(scale * c).epsilon(1e-5));
    }
  // joint accuracies recomputed by hand; old rows judged on the old columns alone give the trained model's accuracy
  int ok_old = 0, ok_new = 0, n_old = 0, ok_before = 0;
  for (int i = 0; i < n; ++i) {
    const float* row = logits->f.data() + i * C;
    const int y = int(labels->f[i]);
    int best = 0, best_old = 0;
    for (int k = 1; k < C; ++k) best = row[k] > row[best] ? k : best;
    for (int k = 1; k < K; ++k) best_old = row[k] > row[best_old] ? k : best_old;
    if (y < K) {
      ++n_old;
      ok_old += best == y;
      ok_before += best_old == y;
    } else {
      ok_new += best == y;
    }
  }
  CHECK(metric(s, "acc_old") == doctest::Approx(double(ok_old) / n_old));
  CHECK(metric(s, "acc_new") == doctest::Approx(double(ok_new) / (n - n_old)));
  CHECK(metric(s, "acc_all") == doctest::Approx(double(ok_old + ok_new) / n));
  CHECK(std::fabs(metric(s, "acc_before") - double(ok_before) / n_old) <= 1.0 / n_old);
  // adding classes can only take old rows away, never win them
  CHECK(metric(s, "acc_old") <= metric(s, "acc_before") + 1e-6);
  CHECK(metric(s, "acc_old_plain") <= metric(s, "acc_before_plain") + 1e-6);
}

TEST_CASE("hyperspherical: on blobs the normalized model takes new classes better than the plain one (4 seeds)") {
  double all = 0, all_plain = 0, fresh = 0, fresh_plain = 0;
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    pg::Session s;
    open_hyperspherical(s, {}, seed);
    all += metric(s, "acc_all") / 4, all_plain += metric(s, "acc_all_plain") / 4;
    fresh += metric(s, "acc_new") / 4, fresh_plain += metric(s, "acc_new_plain") / 4;
  }
  CHECK(fresh > 0.9);            // the held-out blobs are recognised from 5 samples each
  CHECK(fresh > fresh_plain + 0.1);
  CHECK(all > all_plain + 0.05);
}

TEST_CASE("hyperspherical: UCI digits, 8 and 9 added - more shots help, and the curve agrees with the knob") {
  pg::Session s;
  open_hyperspherical(s, {{"dataset", "digits"}, {"dim", "32"}, {"steps", "600"}}, 1);
  const pg::Series* curve = s.lesson().outputs().find_series("accuracy_vs_shots");
  REQUIRE(curve);
  REQUIRE(curve->values.size() == 5);
  const std::vector<float>& shots = curve->values[0];
  const int last = int(shots.size()) - 1;
  CHECK(shots[0] == 1.0f);
  CHECK(shots[last] == 50.0f);
  CHECK(curve->values[3][last] > curve->values[3][0]);  // new classes, normalized: 50 shots beat 1
  for (size_t c = 0; c < shots.size(); ++c)
    if (shots[c] == 5.0f) {  // the knob's default: the curve's point is the metric
      CHECK(curve->values[1][c] == doctest::Approx(metric(s, "acc_all")).epsilon(1e-6));
      CHECK(curve->values[2][c] == doctest::Approx(metric(s, "acc_all_plain")).epsilon(1e-6));
    }
  CHECK(metric(s, "old_classes") == 8);
  CHECK(metric(s, "acc_before") > 0.9);
  CHECK(metric(s, "acc_new") > 0.3);  // well above the 0.1 of a guess among ten
  CHECK(metric(s, "max_unit_norm_error") < 1e-5);
}
