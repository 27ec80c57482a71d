// normgrad (LESSONS.md #30) at the lesson level, on one short seeded run whose
// trained CNN is reused for every check (the analysis knobs do not retrain):
// the identity-1x1-convolution frame against finite differences, Grad-CAM via
// the frame against its direct formula, NormGrad = ||g|| ||x|| through the
// frame knobs, the pointing game and deletion against their baselines, and
// what the input layer reduces the methods to.
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "tests/lesson_test_util.h"
#include "web/session.h"

using namespace pg;
using lesson_test::metric;
using lesson_test::run_to_end;
using lesson_test::output_array;

namespace {
// Map `method` (0 gradient, 1 gradient x input, 2 Grad-CAM, 3 NormGrad, 4 frame) of image i.
const float* map_of(const Array& maps, int method, int i) {
  const size_t per_image = size_t(maps.shape[2] * maps.shape[3]);
  return maps.f.data() + (size_t(method) * size_t(maps.shape[1]) + size_t(i)) * per_image;
}
}  // namespace

TEST_CASE("normgrad: one trained CNN, the frame's identities and the saliency checks") {
  Session s;
  std::string msg;
  REQUIRE(s.open("normgrad", msg));
  REQUIRE(s.set("steps", "300", msg));
  s.reset(1);
  REQUIRE_MESSAGE(s.lesson().problem().empty(), s.lesson().problem());
  run_to_end(s);
  REQUIRE(s.lesson().done());
  CHECK(metric(s, "test_acc") > 0.6);  // digits pasted at random on a 16x16 canvas, 10 classes

  {  // frame checks at conv1
    // sum_u g_u x_u^T against central differences of an inserted identity 1x1 convolution.
    const double scale = metric(s, "identity_frame_max_grad");
    CHECK(scale > 0.1);
    CHECK(metric(s, "identity_frame_max_abs") < 0.02 * std::fmax(1.0, scale));
    CHECK(metric(s, "identity_frame_rows_checked") >= 0.5);
    const Array& frame = output_array(s, "identity_frame");
    REQUIRE(frame.shape.size() == 3);
    CHECK(frame.shape[1] == 8);  // conv1's channels
    // Grad-CAM from a shared virtual bias's differences = the direct formula.
    CHECK(metric(s, "gradcam_frame_max_abs") < 1e-2);
  }

  {  // pointing game and deletion beat their baselines at conv1
    const double center = metric(s, "pointing_acc_center"), random = metric(s, "pointing_acc_random");
    CHECK(center < 0.8);  // the placement really moves the digits
    CHECK(random < center);
    CHECK(metric(s, "pointing_acc_normgrad") > center + 0.2);
    CHECK(metric(s, "pointing_acc_gradxinput") > center + 0.2);
    CHECK(metric(s, "deletion_drop_normgrad") > metric(s, "deletion_drop_random") + 0.2);
    for (const char* m : {"gradient", "gradxinput", "gradcam", "normgrad", "frame"}) {
      const double corr = metric(s, ("sanity_corr_" + std::string(m)).c_str());
      CHECK(corr >= -1.0);
      CHECK(corr <= 1.0);
    }
  }

  {  // the frame knobs: conv1x1 + norm is NormGrad, bias + norm the gradient map
    REQUIRE(s.set("phase1", "conv1x1", msg));
    REQUIRE(s.set("phase2", "norm", msg));
    const Array& maps = output_array(s, "saliency");
    REQUIRE(maps.shape.size() == 4);
    const int n = int(maps.shape[1]), pixels = int(maps.shape[2] * maps.shape[3]);
    for (int i = 0; i < n; i += 17)
      for (int p = 0; p < pixels; ++p) CHECK(map_of(maps, 4, i)[p] == map_of(maps, 3, i)[p]);
    CHECK(metric(s, "sanity_corr_frame") == metric(s, "sanity_corr_normgrad"));
    REQUIRE(s.set("phase1", "bias", msg));
    for (int i = 0; i < n; i += 17)
      for (int p = 0; p < pixels; ++p) CHECK(map_of(maps, 4, i)[p] == map_of(maps, 0, i)[p]);
  }

  {  // at the input: NormGrad = |gradient x input|, Grad-CAM = the image times one number
    REQUIRE(s.set("layer", "input", msg));
    const Array& maps = output_array(s, "saliency");
    const Array& images = output_array(s, "eval_images");
    const int n = int(maps.shape[1]), pixels = int(maps.shape[2] * maps.shape[3]);
    int nonzero_cams = 0;
    for (int i = 0; i < n; i += 9) {
      const float* img = images.f.data() + size_t(i) * pixels;
      double k = 0;  // Grad-CAM / image at the brightest pixel
      for (int p = 0; p < pixels; ++p) {
        CHECK(map_of(maps, 3, i)[p] == doctest::Approx(std::fabs(map_of(maps, 1, i)[p])).epsilon(1e-5).scale(1e-6));
        if (img[p] == 1.0f) k = map_of(maps, 2, i)[p];
      }
      nonzero_cams += k > 0;
      for (int p = 0; p < pixels; ++p) CHECK(map_of(maps, 2, i)[p] == doctest::Approx(k * img[p]).epsilon(1e-4).scale(1e-6));
    }
    CHECK(nonzero_cams > 0);
    CHECK(metric(s, "identity_frame_max_abs") < 0.02 * std::fmax(1.0, metric(s, "identity_frame_max_grad")));
  }

  {  // the explained class follows the target knob
    const std::vector<float> predicted = output_array(s, "eval_targets").f;
    REQUIRE(s.set("target", "runner-up", msg));
    const std::vector<float>& runner_up = output_array(s, "eval_targets").f;
    REQUIRE(runner_up.size() == predicted.size());
    for (size_t i = 0; i < predicted.size(); ++i) CHECK(runner_up[i] != predicted[i]);
  }
}

TEST_CASE("normgrad: on centred digits the centre pixel wins the pointing game (why the game needs a baseline)") {
  Session s;
  std::string msg;
  REQUIRE(s.open("normgrad", msg));
  REQUIRE(s.set("placement", "centred", msg));
  REQUIRE(s.set("steps", "100", msg));
  s.reset(2);
  run_to_end(s);
  CHECK(metric(s, "pointing_acc_center") > 0.9);
  CHECK(output_array(s, "eval_images").shape[1] == 8);
}
