// Every registered lesson: opens, resets, takes a few steps, reports finite
// metrics, is deterministic for a seed, and draws one panel frame through
// ImGui without a window (no platform backend: the draw lists are built and
// checked, nothing is rasterized).
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "imgui.h"
#include "lessons/session.h"
#include "tests/lesson_test_util.h"
#include "web/ui.h"

using namespace pg;

namespace {

// A headless ImGui context: fonts built in memory, a fixed display size.
struct HeadlessImGui {
  HeadlessImGui() {
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;
    io.DisplaySize = ImVec2(1280, 800);
    io.DeltaTime = 1.0f / 60.0f;
    unsigned char* pixels;
    int w, h;
    io.Fonts->GetTexDataAsRGBA32(&pixels, &w, &h);
  }
  ~HeadlessImGui() { ImGui::DestroyContext(); }

  // Draws the lesson's panel once; returns the number of vertices produced.
  int draw(Session& session) {
    ImGui::NewFrame();
    ImGui::SetNextWindowPos(ImVec2(0, 0));
    ImGui::SetNextWindowSize(ImGui::GetIO().DisplaySize);
    ImGui::Begin("##test");
    PanelContext ctx{session, ImGui::GetFontSize()};
    session.lesson().draw(ctx);
    ImGui::End();
    ImGui::Render();
    return ImGui::GetDrawData()->TotalVtxCount;
  }
};

// Small, fast settings for lessons whose defaults are browser-sized.
void make_small(Session& s) {
  std::string msg;
  if (s.params().find("n") && s.info().kind == LessonKind::kernel) s.set("n", "1024", msg);
  s.refresh();
}

}  // namespace

TEST_CASE("the registry lists unique, well-formed lessons") {
  const auto& infos = lesson_infos();
  REQUIRE(!infos.empty());
  for (size_t i = 0; i < infos.size(); ++i) {
    CAPTURE(infos[i].id);
    CHECK(find_lesson(infos[i].id) == int(i));
    for (const char* c = infos[i].id; *c; ++c) CHECK(((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-'));
    CHECK(std::string(infos[i].title).size() > 3);
    CHECK(std::string(infos[i].summary).size() > 10);
    CHECK(std::string(infos[i].section).size() > 3);
  }
  CHECK(find_lesson("nope") == -1);
}

TEST_CASE("every lesson resets, steps, reports finite metrics and draws a panel") {
  HeadlessImGui imgui;
  for (const LessonInfo& li : lesson_infos()) {
    CAPTURE(li.id);
    Session s;
    std::string msg;
    REQUIRE(s.open(li.id, msg));
    make_small(s);
    s.reset(3);
    // Deterministic metrics before any step must be finite or absent.
    int steps = 0;
    for (int i = 0; i < 3; ++i) steps += s.advance(1, 1e9);
    CHECK(steps >= 1);
    MetricList metrics;
    s.lesson().metrics(metrics);
    CHECK(!metrics.items().empty());
    for (const Metric& m : metrics.items()) {
      CAPTURE(m.key);
      if (!m.timing) CHECK(std::isfinite(m.value));
    }
    // Timings exist once the lesson has measured (kernel lessons finish a
    // measuring run on their own; trainers keep going).
    if (li.kind == LessonKind::kernel) {
      for (int i = 0; i < 1000 && !s.lesson().done(); ++i) s.advance(1, 1e9);
      CHECK(s.lesson().done());
      metrics.clear();
      s.lesson().metrics(metrics);
      for (const Metric& m : metrics.items()) {
        CAPTURE(m.key);
        CHECK(std::isfinite(m.value));
      }
    }
    CHECK(s.lesson().problem().empty());
    CHECK(imgui.draw(s) > 100);
    // Knob declarations are sane: defaults inside ranges, help on every knob.
    for (const ParamSpec& p : s.params().specs()) {
      CAPTURE(p.key);
      CHECK(p.min <= p.def);
      CHECK(p.def <= p.max);
      CHECK(p.help.size() > 10);
    }
  }
}

TEST_CASE("same seed, same numbers; another seed, other numbers") {
  for (const LessonInfo& li : lesson_infos()) {
    CAPTURE(li.id);
    auto run = [&](uint64_t seed) {
      Session s;
      std::string msg;
      s.open(li.id, msg);
      make_small(s);
      s.reset(seed);
      s.advance(2, 1e9);
      return lesson_test::deterministic_metrics(s);
    };
    CHECK(run(5) == run(5));
  }
}
