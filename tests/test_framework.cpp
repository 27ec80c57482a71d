// The framework's own pieces, without a lesson: live text, the NPY writer,
// the kernel timer and the layout JSON.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <string>

#include "engine/timing.h"
#include "lessons/lesson.h"
#include "lessons/walkthrough.h"
#include "web/export.h"

using namespace pg;

TEST_CASE("live text: placeholders take the metric's current value, with its format") {
  MetricList m;
  m.add("acc", 0.98765);
  m.add("count", 12);
  m.add("missing_value", NAN);
  CHECK(resolve_live_text("accuracy {acc:%.2f}, {count:%.0f} samples", m) == "accuracy 0.99, 12 samples");
  CHECK(resolve_live_text("{acc}", m) == "0.9877");  // default %.4g
  CHECK(resolve_live_text("{nope} and {missing_value:%.1f}", m) == "– and –");
  CHECK(resolve_live_text("a set {{x} stays", m) == "a set {x} stays");
  CHECK(resolve_live_text("unclosed {acc", m) == "unclosed {acc");
  // A malformed or dangerous format falls back to %.4g instead of reaching printf.
  CHECK(resolve_live_text("{acc:%s}", m) == "0.9877");
  CHECK(resolve_live_text("{acc:%n}", m) == "0.9877");
  CHECK(resolve_live_text("{acc:%.2f%.2f}", m) == "0.9877");
  CHECK(resolve_live_text("{acc:%+.1f%%}", m) == "+1.0%");
  CHECK(live_keys("{a} {{b} {c:%.1f}") == std::vector<std::string>{"a", "c"});
}

TEST_CASE("walkthrough: sections in declaration order, blocks in their section, conditions on the last block") {
  Walkthrough t;
  bool show = false;
  t.section("The problem").paragraph("p1");
  t.section("The method").equation("e1");
  t.section("The problem").bullet("b1");  // continues the first section
  t.section("What the paper reports").paper("q", "1%", "acc", "%.1f%%", "s", 100).when([&] { return show; });
  REQUIRE(t.sections().size() == 3);
  CHECK(t.sections()[0].blocks.size() == 2);
  CHECK(t.sections()[0].blocks[1].kind == BlockKind::bullet);
  MetricList m;
  m.add("acc", 0.5);
  const Block& row = t.sections()[2].blocks[0];
  CHECK(paper_live_text(row, m) == "");  // the condition is false: not measured in this setting
  show = true;
  CHECK(paper_live_text(row, m) == "50.0%");
}

TEST_CASE("NPY files: a 64-byte aligned header naming dtype and shape, then the raw little-endian values") {
  Array a;
  const float v[6] = {1, 2, 3, 4, 5, 6.5f};
  a.set({2, 3}, v);
  const std::string npy = npy_bytes(a);
  CHECK(npy.compare(0, 6, "\x93NUMPY") == 0);
  CHECK(npy[6] == 1);
  const size_t header_len = size_t((unsigned char)npy[8]) | size_t((unsigned char)npy[9]) << 8;
  CHECK((10 + header_len) % 64 == 0);
  const std::string header = npy.substr(10, header_len);
  CHECK(header.find("'descr': '<f4'") != std::string::npos);
  CHECK(header.find("'shape': (2, 3)") != std::string::npos);
  CHECK(header.back() == '\n');
  REQUIRE(npy.size() == 10 + header_len + sizeof v);
  float back[6];
  std::memcpy(back, npy.data() + 10 + header_len, sizeof back);
  CHECK(back[5] == 6.5f);
  Array b;
  const double d[3] = {0.1, 0.2, 0.3};
  b.set({3}, d);
  const std::string npy2 = npy_bytes(b);
  CHECK(npy2.find("'descr': '<f8'") != std::string::npos);
  CHECK(npy2.find("'shape': (3,)") != std::string::npos);  // a 1-tuple keeps its comma
}

TEST_CASE("kernel timer: rounds of every (variant, path) pair, medians, bandwidth") {
  CHECK(std::isnan(timing::median(nullptr, 0)));
  const double odd[5] = {5, 1, 4, 2, 3}, even[4] = {4, 1, 3, 2};
  CHECK(timing::median(odd, 5) == 3);
  CHECK(timing::median(even, 4) == 2.5);
  timing::KernelTimer t;
  t.configure(3, 2, 4, 0.01);
  int calls[3][2] = {};
  int units = 0;
  while (t.run_unit([&](int v, int p) { ++calls[v][p]; }, 1000.0)) ++units;
  CHECK(units == 3 * 2 * 4);
  CHECK(t.done());
  CHECK(t.rounds_done() == 4);
  for (int v = 0; v < 3; ++v)
    for (int p = 0; p < 2; ++p) {
      CHECK(calls[v][p] >= 4);  // at least once per round
      CHECK(t.ns_per_element(v, p) > 0);
      CHECK(t.gb_per_s(v, p, 12.0) == doctest::Approx(12.0 / t.ns_per_element(v, p)));
    }
  t.clear();
  CHECK(!t.done());
  CHECK(std::isnan(t.ns_per_element(0, 0)));
}
