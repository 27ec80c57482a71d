// cnn-svm (LESSONS.md #11) at the lesson level: both heads trained side by
// side reach >= 95% on three blobs, learn real MNIST digits, the `model` knob
// trains the paper's CNN (which beats the MLP on MNIST), augmentation does
// not depend on how a run is split, and a missing or corrupt data pack gives
// a clear problem in this lesson only.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "lessons/packs.h"
#include "web/session.h"
#include "tests/lesson_test_util.h"

using namespace pg;
using lesson_test::metric;
using lesson_test::run_to_end;


TEST_CASE("cnn-svm: softmax and L2-SVM heads both reach 95% on three blobs") {
  Session s;
  std::string msg;
  REQUIRE(s.open("cnn-svm", msg));
  REQUIRE(s.set("dataset", "blobs", msg));
  REQUIRE(s.set("steps", "400", msg));
  s.reset(7);
  run_to_end(s);
  CHECK(s.lesson().problem().empty());
  CHECK(metric(s, "test_acc_softmax") >= 0.95);
  CHECK(metric(s, "test_acc_svm") >= 0.95);
}

TEST_CASE("cnn-svm: the L1-SVM head and a large C still train") {
  Session s;
  std::string msg;
  REQUIRE(s.open("cnn-svm", msg));
  REQUIRE(s.set("dataset", "moons", msg));
  REQUIRE(s.set("svm", "l1", msg));
  REQUIRE(s.set("c", "50", msg));
  REQUIRE(s.set("steps", "400", msg));
  s.reset(3);
  run_to_end(s);
  CHECK(metric(s, "test_acc_svm") >= 0.9);
}

TEST_CASE("cnn-svm: the model knob offers cnn (default) and mlp, and the CNN trains on the 8x8 digits") {
  Session s;
  std::string msg;
  REQUIRE(s.open("cnn-svm", msg));
  const ParamSpec* model = s.params().find("model");
  REQUIRE(model != nullptr);
  CHECK(model->choices == std::vector<std::string>{"cnn", "mlp"});
  CHECK(model->def == 0);
  // 8x8 images: 'same' padding keeps the maps 8 -> 4 -> 2 (a 'valid' 5x5 would not fit).
  REQUIRE(s.set("dataset", "digits", msg));
  REQUIRE(s.set("steps", "300", msg));
  s.reset(2);
  REQUIRE_MESSAGE(s.lesson().problem().empty(), s.lesson().problem());
  run_to_end(s);
  CHECK(metric(s, "test_acc_softmax") > 0.9);
  CHECK(metric(s, "test_acc_svm") > 0.9);
}

// The paper's point that the convolutions matter: in the same short seeded
// run on MNIST (200 steps of 24), the CNN beats the MLP for both heads, and
// reaches 95% (measured: 96.3% / 96.9%).  (Today's measured full default run:
// see the lesson's note.)  On the old code the knob did not exist and set()
// fails.  The accuracy curve's point at step 200 is the whole test set, as
// the final number: an evenly spread half of the pack's test rows, which
// cycle through the classes, would be the even classes only.
TEST_CASE("cnn-svm: on MNIST the CNN beats the MLP for both heads in a short seeded run") {
  double acc[2][2];
  for (int m = 0; m < 2; ++m) {
    Session s;
    std::string msg;
    REQUIRE(s.open("cnn-svm", msg));
    REQUIRE(s.set("dataset", "mnist", msg));
    REQUIRE(s.set("model", m == 0 ? "cnn" : "mlp", msg));
    REQUIRE(s.set("steps", "200", msg));
    s.reset(1);
    REQUIRE_MESSAGE(s.lesson().problem().empty(), s.lesson().problem());
    run_to_end(s);
    acc[m][0] = metric(s, "test_acc_softmax");
    acc[m][1] = metric(s, "test_acc_svm");
    const Series* curve = s.lesson().outputs().find_series("test_accuracy");
    REQUIRE(curve != nullptr);
    REQUIRE(curve->rows() >= 1);
    const int last = curve->rows() - 1;
    CHECK(curve->col(0)[last] == 200.0f);
    CHECK(curve->col(1)[last] == float(acc[m][0]));
    CHECK(curve->col(2)[last] == float(acc[m][1]));
    MESSAGE((m == 0 ? "cnn" : "mlp") << ": softmax " << acc[m][0] << ", svm " << acc[m][1]);
  }
  CHECK(acc[0][0] >= 0.95);
  CHECK(acc[0][1] >= 0.95);
  CHECK(acc[0][0] > acc[1][0] + 0.01);
  CHECK(acc[0][1] > acc[1][1] + 0.01);
}

// Augmentation (the shift and flip knobs) draws from a stream forked from the
// seed and the step, so a run split into frames of 7 steps gives the same
// bits as one call; and the knobs do change the run.
TEST_CASE("cnn-svm: augmented MNIST runs are the same however they are split, and differ from plain runs") {
  auto run = [](const char* shift, const char* flip, int per_call) {
    Session s;
    std::string msg;
    REQUIRE(s.open("cnn-svm", msg));
    REQUIRE(s.set("dataset", "mnist", msg));
    REQUIRE(s.set("steps", "50", msg));
    REQUIRE(s.set("shift", shift, msg));
    REQUIRE(s.set("flip", flip, msg));
    s.reset(5);
    REQUIRE_MESSAGE(s.lesson().problem().empty(), s.lesson().problem());
    run_to_end(s, per_call);
    CHECK(metric(s, "steps_trained") == 50);
    return lesson_test::deterministic_metrics(s) + std::to_string(lesson_test::outputs_hash(s.lesson()));
  };
  const std::string whole = run("2", "true", 1000);
  CHECK(run("2", "true", 7) == whole);
  CHECK(run("0", "false", 1000) != whole);
}

TEST_CASE("cnn-svm: the SVM run's weight penalty and the paper's C are reported") {
  Session s;
  std::string msg;
  REQUIRE(s.open("cnn-svm", msg));
  REQUIRE(s.set("dataset", "blobs", msg));
  REQUIRE(s.set("steps", "50", msg));
  REQUIRE(s.set("batch", "32", msg));
  REQUIRE(s.set("c", "3", msg));
  s.reset(4);
  run_to_end(s);
  // The toys' head is linear(64 -> 3), batch 32: C' = C F / (2 B) = 3 * 64 / 64.
  CHECK(metric(s, "svm_c_paper") == doctest::Approx(3.0));
  CHECK(metric(s, "svm_weight_penalty") > 0.0);
}

TEST_CASE("cnn-svm: a missing or truncated pack is a problem of this lesson only") {
  const char* dir = "build/test-packs";
  std::string cmd = std::string("mkdir -p ") + dir;
  REQUIRE(std::system(cmd.c_str()) == 0);
  {
    // A truncated copy of the real digits pack.
    std::ifstream in(pack_directory() + "/digits.pack", std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    REQUIRE(bytes.size() > 1000);
    std::ofstream out(std::string(dir) + "/digits.pack", std::ios::binary);
    out.write(bytes.data(), 1000);
  }
  std::remove((std::string(dir) + "/mnist.pack").c_str());
  const std::string saved = pack_directory();
  setenv("PG_DATA_DIR", dir, 1);
  clear_pack_cache();
  for (const char* which : {"digits", "mnist"}) {
    CAPTURE(which);
    Session s;
    std::string msg;
    REQUIRE(s.open("cnn-svm", msg));
    REQUIRE(s.set("dataset", which, msg));
    s.reset(1);
    const std::string problem = s.lesson().problem();
    CHECK(problem.find("Data set unavailable") != std::string::npos);
    CHECK(s.lesson().done());
    CHECK(s.advance(10, 1e9) == 0);
    // Other lessons and data sets are unaffected.
    REQUIRE(s.set("dataset", "blobs", msg));
    s.refresh();
    CHECK(s.lesson().problem().empty());
  }
  setenv("PG_DATA_DIR", saved.c_str(), 1);
  clear_pack_cache();
}
