// mahalanobis-ood (LESSONS.md #20): the tied-covariance class Gaussians
// (engine/nn/mahalanobis.h) against a brute-force reference; M(mu_c) = 0;
// Sigma = I gives the squared Euclidean distance; the distance gradient by
// finite differences; and at the lesson level, the Mahalanobis score beats the
// maximum softmax probability on the toy, with the same numbers for the same
// seed however the steps are split.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "engine/nn/mahalanobis.h"
#include "engine/rng.h"
#include "tests/lesson_test_util.h"
#include "web/session.h"

using namespace pg;
using lesson_test::metric;
using lesson_test::run_to_end;

namespace {
// n rows of dim features around class-dependent centres, correlated.
void random_features(int n, int dim, int classes, uint64_t seed, std::vector<float>& f, std::vector<int>& y) {
  Rng rng(seed);
  f.assign(size_t(n) * dim, 0.0f);
  y.assign(size_t(n), 0);
  for (int i = 0; i < n; ++i) {
    y[size_t(i)] = i % classes;
    double shared = rng.normal();
    for (int k = 0; k < dim; ++k)
      f[size_t(i) * dim + k] = float(2.0 * ((y[size_t(i)] + k) % 3) + 0.7 * shared + (0.3 + 0.1 * k) * rng.normal());
  }
}
}  // namespace

TEST_CASE("mahalanobis-ood: tied covariance and means match a brute-force computation; precision is its inverse") {
  for (int dim : {1, 3, 17}) {
    CAPTURE(dim);
    const int n = 211, C = 4;
    std::vector<float> f;
    std::vector<int> y;
    random_features(n, dim, C, 5 + dim, f, y);
    nn::ClassGaussians g;
    REQUIRE(nn::fit_class_gaussians(f.data(), y.data(), n, dim, C, 0.0, g));
    // Reference: two passes, plain sums.
    std::vector<double> mu(size_t(C) * dim, 0.0), cov(size_t(dim) * dim, 0.0);
    std::vector<int> cnt(size_t(C), 0);
    for (int i = 0; i < n; ++i) {
      ++cnt[size_t(y[size_t(i)])];
      for (int k = 0; k < dim; ++k) mu[size_t(y[size_t(i)]) * dim + k] += f[size_t(i) * dim + k];
    }
    for (int c = 0; c < C; ++c)
      for (int k = 0; k < dim; ++k) mu[size_t(c) * dim + k] /= cnt[size_t(c)];
    for (int i = 0; i < n; ++i)
      for (int a = 0; a < dim; ++a)
        for (int b = 0; b < dim; ++b)
          cov[size_t(a) * dim + b] += (f[size_t(i) * dim + a] - mu[size_t(y[size_t(i)]) * dim + a]) *
                                      (f[size_t(i) * dim + b] - mu[size_t(y[size_t(i)]) * dim + b]) / n;
    double trace = 0;
    for (int k = 0; k < dim; ++k) trace += cov[size_t(k) * dim + k];
    for (int k = 0; k < dim; ++k) cov[size_t(k) * dim + k] += 1e-6 * trace / dim;  // the documented ridge
    for (size_t k = 0; k < mu.size(); ++k) CHECK(g.means[k] == doctest::Approx(mu[k]).epsilon(1e-9));
    for (size_t k = 0; k < cov.size(); ++k) CHECK(g.covariance[k] == doctest::Approx(cov[k]).epsilon(1e-9).scale(1e-9));
    for (int a = 0; a < dim; ++a)
      for (int b = 0; b < dim; ++b) {
        double s = 0;
        for (int k = 0; k < dim; ++k) s += g.covariance[size_t(a) * dim + k] * g.precision[size_t(k) * dim + b];
        CHECK(s == doctest::Approx(a == b ? 1.0 : 0.0).scale(1.0).epsilon(1e-8));
      }
  }
}

TEST_CASE("mahalanobis-ood: M(mu_c) = 0 at every class mean, and Sigma = I gives the squared Euclidean distance") {
  const int n = 120, dim = 5, C = 3;
  std::vector<float> f;
  std::vector<int> y;
  random_features(n, dim, C, 11, f, y);
  nn::ClassGaussians g;
  REQUIRE(nn::fit_class_gaussians(f.data(), y.data(), n, dim, C, 0.0, g));
  std::vector<double> dist(C), scratch(dim);
  for (int c = 0; c < C; ++c) {
    std::vector<float> mu(dim);
    for (int k = 0; k < dim; ++k) mu[size_t(k)] = float(g.means[size_t(c) * dim + k]);
    const int closest = nn::mahalanobis_distances(g, mu.data(), dist.data(), scratch.data());
    CHECK(closest == c);
    CHECK(std::fabs(dist[size_t(c)]) < 1e-9);  // float rounding of the mean only
  }
  // The distance is the quadratic form (f - mu)^T Sigma^-1 (f - mu).
  for (int i = 0; i < 10; ++i) {
    const float* x = &f[size_t(i) * dim];
    nn::mahalanobis_distances(g, x, dist.data(), scratch.data());
    for (int c = 0; c < C; ++c) {
      double q = 0;
      for (int a = 0; a < dim; ++a)
        for (int b = 0; b < dim; ++b)
          q += (x[a] - g.means[size_t(c) * dim + a]) * g.precision[size_t(a) * dim + b] * (x[b] - g.means[size_t(c) * dim + b]);
      CHECK(dist[size_t(c)] == doctest::Approx(q).epsilon(1e-9));
    }
  }
  // Identity covariance.
  nn::ClassGaussians e = g;
  std::fill(e.covariance.begin(), e.covariance.end(), 0.0);
  for (int k = 0; k < dim; ++k) e.covariance[size_t(k) * dim + k] = 1.0;
  REQUIRE(nn::set_covariance(e));
  for (int i = 0; i < 10; ++i) {
    const float* x = &f[size_t(i) * dim];
    nn::mahalanobis_distances(e, x, dist.data(), scratch.data());
    for (int c = 0; c < C; ++c) {
      double d2 = 0;
      for (int k = 0; k < dim; ++k) d2 += (x[k] - e.means[size_t(c) * dim + k]) * (x[k] - e.means[size_t(c) * dim + k]);
      CHECK(dist[size_t(c)] == doctest::Approx(d2).epsilon(1e-12));
    }
  }
  // Full shrinkage: Sigma becomes (tr Sigma / D)(1 + 1e-6) I, a scaled Euclidean distance.
  nn::ClassGaussians s;
  REQUIRE(nn::fit_class_gaussians(f.data(), y.data(), n, dim, C, 1.0, s));
  for (int a = 0; a < dim; ++a)
    for (int b = 0; b < dim; ++b)
      if (a != b) CHECK(s.covariance[size_t(a) * dim + b] == 0.0);
}

TEST_CASE("mahalanobis-ood: the distance gradient 2 Sigma^-1 (f - mu_c) matches finite differences") {
  const int n = 90, dim = 4, C = 3;
  std::vector<float> f;
  std::vector<int> y;
  random_features(n, dim, C, 23, f, y);
  nn::ClassGaussians g;
  REQUIRE(nn::fit_class_gaussians(f.data(), y.data(), n, dim, C, 0.1, g));
  std::vector<double> dist(C), scratch(dim);
  std::vector<float> grad(dim);
  for (int i = 0; i < 5; ++i) {
    std::vector<float> x(f.begin() + i * dim, f.begin() + (i + 1) * dim);
    for (int c = 0; c < C; ++c) {
      nn::mahalanobis_gradient(g, x.data(), c, grad.data(), scratch.data());
      for (int k = 0; k < dim; ++k) {
        const float h = 1e-2f, keep = x[size_t(k)];
        x[size_t(k)] = keep + h;
        nn::mahalanobis_distances(g, x.data(), dist.data(), scratch.data());
        const double up = dist[size_t(c)];
        x[size_t(k)] = keep - h;
        nn::mahalanobis_distances(g, x.data(), dist.data(), scratch.data());
        const double down = dist[size_t(c)];
        x[size_t(k)] = keep;
        const double fd = (up - down) / (double(keep + h) - double(keep - h));  // quadratic: exact up to rounding
        CHECK(grad[size_t(k)] == doctest::Approx(fd).epsilon(1e-4).scale(1.0));
      }
    }
  }
}

TEST_CASE("mahalanobis-ood: on blobs the Mahalanobis score beats max softmax (AUROC and TNR at 95% TPR)") {
  Session s;
  std::string msg;
  REQUIRE(s.open("mahalanobis-ood", msg));
  REQUIRE(s.set("steps", "300", msg));
  s.reset(3);
  run_to_end(s);
  CHECK(s.lesson().problem().empty());
  CHECK(metric(s, "test_acc") > 0.9);
  CHECK(metric(s, "auroc_mahalanobis") > 0.95);
  CHECK(metric(s, "auroc_mahalanobis") > metric(s, "auroc_softmax") + 0.2);
  CHECK(metric(s, "tnr95_mahalanobis") > metric(s, "tnr95_softmax"));
  // The detector's knobs are live: they change the scores without retraining.
  const uint64_t before = lesson_test::outputs_hash(s.lesson());
  const double acc = metric(s, "test_acc");
  REQUIRE(s.set("shrinkage", "1", msg));
  CHECK(lesson_test::outputs_hash(s.lesson()) != before);
  CHECK(metric(s, "test_acc") == acc);
  CHECK(s.lesson().done());
}

TEST_CASE("mahalanobis-ood: same seed, same numbers, however the steps are split; preprocessing runs") {
  auto run = [](int per_call) {
    Session s;
    std::string msg;
    REQUIRE(s.open("mahalanobis-ood", msg));
    REQUIRE(s.set("steps", "200", msg));
    REQUIRE(s.set("eps", "0.05", msg));
    REQUIRE(s.set("dataset", "moons", msg));
    s.reset(9);
    run_to_end(s, per_call);
    CHECK(s.lesson().problem().empty());
    return lesson_test::deterministic_metrics(s) + std::to_string(lesson_test::outputs_hash(s.lesson()));
  };
  const std::string a = run(1000), b = run(7);
  CHECK(a == b);
}

TEST_CASE("mahalanobis-ood: UCI digits against pixel-shuffled digits - the layer ensemble beats max softmax") {
  Session s;
  std::string msg;
  REQUIRE(s.open("mahalanobis-ood", msg));
  REQUIRE(s.set("dataset", "digits", msg));
  REQUIRE(s.set("steps", "300", msg));
  s.reset(1);
  run_to_end(s);
  REQUIRE(s.lesson().problem().empty());
  CHECK(metric(s, "test_acc") > 0.85);
  CHECK(metric(s, "auroc_mahalanobis") > metric(s, "auroc_softmax"));
  CHECK(metric(s, "tnr95_mahalanobis") > metric(s, "tnr95_softmax"));
  CHECK(metric(s, "ood_count") > 100);
}
