// Dataset::row_gain (engine/data/dataset.h): a per-row gain multiplies a row's
// features when read, for float rows and byte pixels alike, follows its rows
// through subset(), and leaves rows bit-identical when empty.
#include <doctest/doctest.h>

#include <vector>

#include "engine/data/dataset.h"

TEST_CASE("dataset: row_gain scales each row when read and follows its rows through subset") {
  data::Dataset d;
  d.n = 3, d.dim = 2, d.classes = 2;
  d.pixels = {10, 20, 30, 40, 50, 60};
  d.pixel_scale = 0.5f;
  d.y = {0, 1, 0};
  std::vector<float> out(2);
  d.row(1, out.data());
  CHECK(out[0] == 15.0f);  // no gain: value * pixel_scale
  d.row_gain = {1.0f, 2.0f, 0.25f};
  d.row(1, out.data());
  CHECK(out[0] == 30.0f);
  CHECK(out[1] == 40.0f);
  const int idx[2] = {2, 1};
  const data::Dataset s = data::subset(d, idx, 2);
  REQUIRE(s.row_gain.size() == 2);
  s.row(0, out.data());
  CHECK(out[0] == 0.25f * 0.5f * 50.0f);
  data::Dataset f;
  f.n = 1, f.dim = 2, f.classes = 1, f.x = {1.5f, -2.0f}, f.y = {0}, f.row_gain = {3.0f};
  f.row(0, out.data());
  CHECK(out[0] == 4.5f);
  CHECK(out[1] == -6.0f);
}
