// The page builds and draws a frame only when it would show something new
// (web/redraw.h).  Proven here:
//  - the policy: a request, a busy app or the heartbeat builds a frame; a
//    settled picture stops building; a new picture is drawn, the same is not;
//  - every lesson's page settles: drawn again with nothing changed, it gives
//    the same picture (a clock or counter on the page would keep an idle page
//    redrawing forever), and a lesson that trains gives a new picture after
//    a step (the views follow the run).
#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "tests/headless_imgui.h"
#include "web/layout.h"
#include "web/redraw.h"
#include "web/session.h"

using namespace pg;

TEST_CASE("redraw policy: build on a request, when busy and on the heartbeat; draw only a new picture") {
  RedrawPolicy p;
  double t = 1000;
  CHECK(p.should_build(t, false));  // the first frame
  CHECK(p.should_draw(1, false));
  t += 16;
  for (int k = 0; k < RedrawPolicy::kSettleFrames; ++k) {  // a new picture is confirmed by two more frames
    t += 16;
    CHECK(p.should_build(t, false));
    CHECK_FALSE(p.should_draw(1, false));
  }
  t += 16;
  CHECK_FALSE(p.should_build(t, false));  // settled: nothing is built
  CHECK(p.skipped() == 1);
  CHECK(p.should_build(t + 1, true));  // busy (training on the page, a button held)
  CHECK_FALSE(p.should_draw(1, false));
  t += 32;
  CHECK_FALSE(p.should_build(t, false));
  p.request();  // input, a script call, a snapshot
  CHECK(p.should_build(t + 1, false));
  CHECK(p.should_draw(2, false));  // it changed the picture
  CHECK(p.should_build(t + 2, false));
  CHECK_FALSE(p.should_draw(2, false));  // (a popup's hidden first frame looks like this)
  CHECK(p.should_build(t + 2.5, false));
  CHECK_FALSE(p.should_draw(2, false));
  CHECK_FALSE(p.should_build(t + 3, false));
  // The heartbeat: one build per kHeartbeatMs, for anything the signals miss.
  CHECK_FALSE(p.should_build(t + 2.5 + RedrawPolicy::kHeartbeatMs - 1, false));
  CHECK(p.should_build(t + 2.5 + RedrawPolicy::kHeartbeatMs, false));
  CHECK_FALSE(p.should_draw(2, false));
  CHECK(p.should_draw(2, true));  // a plot save reads the pixels back: drawn anyway
  CHECK(p.built() == 8);
  CHECK(p.drawn() == 3);
}

TEST_CASE("redraw policy: data frames are spaced by what drawing costs; input shows data at once") {
  RedrawPolicy p;
  double t = 0;
  // A display at 60 Hz whose drawn frames make the next-but-one callback
  // 50 ms late (the browser pipelines GPU work), as software GL does.
  // A new picture every fourth callback.
  int since_draw = -1;
  for (int k = 0; k < RedrawPolicy::kCostWindow; ++k) {
    t += since_draw == 1 ? 66.7 : 16.7;
    since_draw = since_draw >= 0 ? since_draw + 1 : -1;
    if (k % 4 == 0) p.request();
    if (p.should_build(t, false) && p.should_draw(uint64_t(k / 4), false)) since_draw = 0;
  }
  CHECK(p.draw_cost_ms() == doctest::Approx(16.7 + 50).epsilon(0.01));
  CHECK(p.data_interval_ms() == doctest::Approx(std::min(RedrawPolicy::kDataShare * p.draw_cost_ms(), RedrawPolicy::kMaxDataMs)));
  // Settle, then data arrives every 66 ms for two seconds: data frames come
  // no closer than data_interval_ms(); the frames between take no data.
  for (int k = 0; k < 3; ++k) p.should_build(t += 16.7, false), p.should_draw(999, false);
  double last_data = -1e9, next_snapshot = t;
  int data_frames = 0;
  uint64_t picture = 1000;
  for (double end = t + 2000; t < end;) {
    t += 16.7;
    if (t >= next_snapshot) p.request(Redraw::data), next_snapshot += 66;
    if (!p.should_build(t, false)) continue;
    if (p.take_data()) {
      CHECK(t - last_data >= p.data_interval_ms() - 1e-9);
      last_data = t, ++data_frames, ++picture;
    }
    p.should_draw(picture, false);
  }
  CHECK(data_frames >= int(2000 / RedrawPolicy::kMaxDataMs) - 1);
  CHECK(data_frames <= int(2000 / p.data_interval_ms()) + 2);
  // Input takes the pending data at once.
  p.request(Redraw::data);
  p.request(Redraw::now);
  REQUIRE(p.should_build(t += 16.7, false));
  CHECK(p.take_data());
  // With a GPU (no callback late) the cost is one display interval.
  RedrawPolicy fast;
  for (int k = 0; k < RedrawPolicy::kCostWindow; ++k)
    if (fast.should_build(16.7 * (k + 1), false)) fast.should_draw(uint64_t(k / 4), false);
  CHECK(fast.draw_cost_ms() == doctest::Approx(16.7));
  CHECK(fast.data_interval_ms() == doctest::Approx(4 * 16.7));
}

TEST_CASE("picture hash: equal draw data hash equal, any change to vertices, textures or size differs") {
  test_ui::HeadlessContext ui(800, 600);
  auto text = [](const char* s) { return [s] { ImGui::TextUnformatted(s); }; };
  const uint64_t a = ui.frame(text("softmax")), b = ui.frame(text("softmax"));
  CHECK(a == b);
  CHECK(ui.frame(text("softmaX")) != a);
  CHECK(ui.frame(text("softmax")) == a);
  note_texture_upload();  // a heatmap's texture changed: the picture did
  CHECK(ui.frame(text("softmax")) != a);
  const uint64_t c = ui.frame(text("softmax"));
  ImGui::GetIO().DisplaySize = ImVec2(801, 600);
  CHECK(ui.frame(text("softmax")) != c);
  // The words hash sees every byte, the tail too.
  const char x[13] = "abcdefghijkl", y[13] = "abcdefghijkm";
  CHECK(hash_words(x, 12, 0) != hash_words(y, 12, 0));
  CHECK(hash_words(x, 11, 0) == hash_words(y, 11, 0));
  CHECK(hash_words(x, 11, 0) != hash_words(x, 11, 1));
}

TEST_CASE("every lesson's page settles, and a lesson that trains shows each step") {
  for (const LessonInfo& li : lesson_infos()) {
    const std::string id = li.id;
    CAPTURE(id);
    test_ui::HeadlessContext ui(1366, 768);
    Session s;
    REQUIRE(s.apply_state(std::string(li.id) + "?seed=2").empty());
    s.refresh();
    auto page = [&] { return ui.frame([&] { draw_lesson(s, FrameOptions()); }); };
    // A kernel or analysis lesson measures on open: let it finish first.
    for (int k = 0; k < 400 && s.wants_steps() && li.stepping != Stepping::on_play; ++k) s.advance(1, 1e9);
    uint64_t last = page();
    int frames = 1;
    // (ImGui lays some things out from the last frame: a scrollbar that
    // appears narrows the content, which moves what wraps; a few frames.)
    for (uint64_t h = page(); h != last && frames < 12; h = page()) last = h, ++frames;
    CHECK_MESSAGE(frames <= 8, "the page still changes after 8 frames with nothing happening");
    CHECK(page() == last);
    CHECK(page() == last);
    if (li.stepping == Stepping::on_play && !s.done()) {
      s.advance(1, 1e9);
      s.refresh();
      page();
      CHECK_MESSAGE(page() != last, "a step left the page's picture unchanged");
    }
  }
}
