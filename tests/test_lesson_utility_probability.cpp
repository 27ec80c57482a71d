// utility-probability (LESSONS.md #19, the verified part only): monotone maps
// of the logits keep the argmax and the rank agreement while they change the
// calibration; a calibrated predictor's ECE is ~0; temperature scaling finds
// a known over-confidence; the known-posterior data are what they claim; and
// the lesson's read-outs recompute from its export.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "engine/data/posterior.h"
#include "engine/nn/calibration.h"
#include "engine/rng.h"
#include "tests/lesson_test_util.h"
#include "web/session.h"

using lesson_test::metric;
using lesson_test::run_to_end;

static std::vector<float> random_logits(pg::Rng& rng, int n, int C, double scale) {
  std::vector<float> z(size_t(n) * C);
  for (float& v : z) v = float(scale * rng.normal());
  return z;
}

static int argmax_of(const float* row, int C) {
  int best = 0;
  for (int k = 1; k < C; ++k) best = row[k] > row[best] ? k : best;
  return best;
}

TEST_CASE("calibration: Kendall tau and ECE on hand cases") {
  const float a[] = {0.1f, 0.5f, 0.2f, 0.9f}, same[] = {1, 5, 2, 9}, reversed[] = {9, 5, 8, 1};
  CHECK(nn::kendall_tau(a, same, 4) == 1.0);
  CHECK(nn::kendall_tau(a, reversed, 4) == -1.0);
  // two rows per bin (2 bins): bin [0, .5): conf .4, .4, one right -> |.5 - .4|; bin [.5, 1]: conf .9, .7, both right
  const float probs[] = {0.4f, 0.3f, 0.3f,  0.3f, 0.4f, 0.3f,  0.9f, 0.05f, 0.05f,  0.1f, 0.7f, 0.2f};
  const int labels[] = {0, 2, 0, 1};
  float conf[2], acc[2], count[2];
  const double ece = nn::expected_calibration_error(probs, labels, 4, 3, 2, {conf, acc, count});
  CHECK(ece == doctest::Approx(0.5 * 0.1 + 0.5 * 0.2).epsilon(1e-6));
  CHECK(count[0] == 2.0f);
  CHECK(count[1] == 2.0f);
  CHECK(acc[0] == 0.5f);
  CHECK(conf[1] == doctest::Approx(0.8));
}

TEST_CASE("calibration: a calibrated predictor has ECE ~ 0; the same scores sharpened do not") {
  pg::Rng rng(11);
  const int n = 20000, C = 4;
  std::vector<float> z = random_logits(rng, n, C, 1.5), p(z.size()), sharp(z.size());
  nn::softmax_temperature(z.data(), n, C, 1.0, p.data());
  std::vector<int> y(n);
  for (int i = 0; i < n; ++i) {  // labels drawn from p itself: p is calibrated by construction
    const double u = rng.uniform();
    double cum = 0;
    y[i] = C - 1;
    for (int k = 0; k < C; ++k)
      if (u < (cum += p[size_t(i) * C + k])) {
        y[i] = k;
        break;
      }
  }
  CHECK(nn::expected_calibration_error(p.data(), y.data(), n, C, 15) < 0.02);
  nn::softmax_temperature(z.data(), n, C, 1.0 / 3.0, sharp.data());  // logits x 3: over-confident
  CHECK(nn::expected_calibration_error(sharp.data(), y.data(), n, C, 15) > 0.1);
  // temperature scaling recovers the factor 3 from the sharpened logits and the labels
  std::vector<float> z3(z);
  for (float& v : z3) v *= 3.0f;
  CHECK(nn::fit_temperature(z3.data(), y.data(), n, C) == doctest::Approx(3.0).epsilon(0.1));
}

TEST_CASE("calibration: monotone maps of the logits keep the argmax and Kendall tau, not the ECE") {
  pg::Rng rng(12);
  const int n = 500, C = 5;
  std::vector<float> z = random_logits(rng, n, C, 2.0), truth = random_logits(rng, n, C, 1.0);
  std::vector<float> p(z.size()), hot(z.size()), cubed(z.size()), cold(z.size());
  nn::softmax_temperature(z.data(), n, C, 1.0, p.data());
  nn::softmax_temperature(z.data(), n, C, 0.25, hot.data());
  nn::softmax_temperature(z.data(), n, C, 4.0, cold.data());
  for (size_t i = 0; i < z.size(); ++i) cubed[i] = z[i] * z[i] * z[i] + 2.0f * z[i];  // strictly increasing
  const double tau = nn::mean_kendall_tau(z.data(), truth.data(), n, C);
  for (const std::vector<float>* m : {&p, &hot, &cold, &cubed}) {
    CHECK(nn::mean_kendall_tau(m->data(), truth.data(), n, C) == tau);
    for (int i = 0; i < n; ++i) CHECK(argmax_of(m->data() + i * C, C) == argmax_of(z.data() + i * C, C));
  }
  std::vector<int> y(n);
  for (int i = 0; i < n; ++i) y[i] = argmax_of(truth.data() + i * C, C);
  CHECK(nn::expected_calibration_error(hot.data(), y.data(), n, C, 10) !=
        nn::expected_calibration_error(cold.data(), y.data(), n, C, 10));
}

TEST_CASE("known-posterior data: rows of P(y|x) sum to 1, labels follow them, same seed same data") {
  const data::Dataset a = data::make_known_posterior(4000, 3, 4.0, 7), b = data::make_known_posterior(4000, 3, 4.0, 7);
  CHECK(a.x == b.x);
  CHECK(a.y == b.y);
  CHECK(a.classes == 3);
  std::vector<float> p(size_t(a.n) * 3);
  data::known_posterior(a.x.data(), a.n, 3, 4.0, p.data());
  double mean_p0 = 0, freq0 = 0;
  for (int i = 0; i < a.n; ++i) {
    CHECK(p[i * 3] + p[i * 3 + 1] + p[i * 3 + 2] == doctest::Approx(1.0).epsilon(1e-5));
    mean_p0 += p[i * 3] / a.n;
    freq0 += (a.y[i] == 0) / double(a.n);
  }
  CHECK(std::fabs(mean_p0 - freq0) < 0.03);
  // a point on a centre of class 0 (c_0 = (1, 0), and -c_0) favours class 0
  const float on_centre[] = {1.0f, 0.0f, -1.0f, 0.0f};
  float q[6];
  data::known_posterior(on_centre, 2, 3, 4.0, q);
  CHECK(argmax_of(q, 3) == 0);
  CHECK(argmax_of(q + 3, 3) == 0);
}

TEST_CASE("utility-probability: ranks and calibration of the trained model, recomputed from the export") {
  pg::Session s;
  std::string msg;
  REQUIRE(s.open("utility-probability", msg));
  REQUIRE(s.set("steps", "600", msg));
  s.reset(1);
  run_to_end(s);
  REQUIRE(s.lesson().problem().empty());
  CHECK(metric(s, "kendall_tau_temp") == metric(s, "kendall_tau"));  // temperature scaling keeps every rank
  CHECK(metric(s, "kendall_tau") > 0.6);
  CHECK(metric(s, "ece_oracle") < 0.03);
  CHECK(metric(s, "test_acc") <= metric(s, "acc_bayes") + 0.03);
  const pg::Array* probs = s.lesson().outputs().find_array("eval_probs");
  const pg::Array* truth = s.lesson().outputs().find_array("eval_true_posterior");
  const pg::Array* labels = s.lesson().outputs().find_array("eval_labels");
  const pg::Array* logits = s.lesson().outputs().find_array("eval_logits");
  REQUIRE(probs);
  REQUIRE(truth);
  REQUIRE(labels);
  REQUIRE(logits);
  const int n = int(labels->shape[0]), C = int(probs->shape[1]);
  std::vector<int> y(labels->f.begin(), labels->f.end());
  CHECK(nn::expected_calibration_error(probs->f.data(), y.data(), n, C, 15) == doctest::Approx(metric(s, "ece")));
  CHECK(nn::expected_calibration_error(truth->f.data(), y.data(), n, C, 15) ==
        doctest::Approx(metric(s, "ece_oracle")));
  CHECK(nn::mean_kendall_tau(logits->f.data(), truth->f.data(), n, C) == doctest::Approx(metric(s, "kendall_tau")));

  // a linear softmax cannot put a class on two opposite sides: its ranks collapse
  REQUIRE(s.set("capacity", "linear", msg));
  s.reset(1);
  run_to_end(s);
  CHECK(metric(s, "kendall_tau") < 0.3);
  CHECK(metric(s, "argmax_agreement") < 0.5);
}
