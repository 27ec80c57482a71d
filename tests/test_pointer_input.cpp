// The host's pointer queue (web/pointer_input.h): ImGui 1.86 reads the button
// once per frame, so a tap or fast click must reach it as press, then release,
// in two frames at the place it happened; touch gestures become taps, drags
// or wheel scrolling.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "web/pointer_input.h"

using namespace pg;

namespace {
PointerEvent ev(PointerType t, float x, float y, bool touch, double ms) { return {t, x, y, touch, ms}; }

// Runs frames until the queue is idle and returns each frame's (x, y, down).
std::vector<PointerFrame> drain(PointerInput& in, double now, const GestureSettings& g = {}) {
  std::vector<PointerFrame> frames;
  for (int i = 0; i < 50; ++i) {
    frames.push_back(in.next_frame(now, g));
    if (in.idle()) break;
  }
  return frames;
}
}  // namespace

TEST_CASE("pointer input: a fast click (down and up before one frame) is a press frame, then a release frame") {
  PointerInput in;
  in.push(ev(PointerType::move, 5, 5, false, 0));
  in.push(ev(PointerType::down, 40, 50, false, 1));
  in.push(ev(PointerType::up, 40, 50, false, 2));
  const PointerFrame f1 = in.next_frame(3, {});
  CHECK(f1.button_down);
  CHECK(f1.x == 40);
  CHECK(f1.y == 50);
  const PointerFrame f2 = in.next_frame(20, {});
  CHECK_FALSE(f2.button_down);
  CHECK(f2.x == 40);
  CHECK(in.idle());
}

TEST_CASE("pointer input: two clicks in one frame take four frames, one transition each") {
  PointerInput in;
  for (int k = 0; k < 2; ++k) {
    in.push(ev(PointerType::down, 10.f + k, 10, false, k));
    in.push(ev(PointerType::up, 10.f + k, 10, false, k));
  }
  const std::vector<PointerFrame> f = drain(in, 5);
  REQUIRE(f.size() == 4);
  CHECK(f[0].button_down);
  CHECK_FALSE(f[1].button_down);
  CHECK(f[2].button_down);
  CHECK(f[2].x == 11);
  CHECK_FALSE(f[3].button_down);
}

TEST_CASE("pointer input: a tap presses and releases where the finger went down, despite jitter") {
  PointerInput in;
  GestureSettings g;
  in.push(ev(PointerType::down, 100, 200, true, 0));
  in.push(ev(PointerType::move, 104, 197, true, 30));  // within the slop
  in.push(ev(PointerType::up, 105, 196, true, 60));
  const std::vector<PointerFrame> f = drain(in, 70, g);
  REQUIRE(f.size() == 2);
  CHECK(f[0].button_down);
  CHECK(f[0].x == 100);
  CHECK(f[0].y == 200);
  CHECK_FALSE(f[1].button_down);
  for (const PointerFrame& x : f) CHECK(x.wheel_y == 0);
}

TEST_CASE("pointer input: a vertical swipe scrolls (wheel follows the finger) and never presses") {
  PointerInput in;
  GestureSettings g;
  g.px_per_wheel = 50;
  in.push(ev(PointerType::down, 100, 300, true, 0));
  const PointerFrame f0 = in.next_frame(1, g);
  CHECK_FALSE(f0.button_down);
  CHECK(f0.x == 100);  // hovering where the finger is
  in.push(ev(PointerType::move, 102, 280, true, 16));  // up by 20 px: past the slop, vertical
  in.push(ev(PointerType::move, 103, 200, true, 32));  // up by 80 more
  const PointerFrame f1 = in.next_frame(33, g);
  CHECK_FALSE(f1.button_down);
  CHECK(f1.wheel_y == doctest::Approx(-100.0 / 50));  // finger up: content scrolls down
  in.push(ev(PointerType::up, 103, 200, true, 48));
  for (const PointerFrame& f : drain(in, 50, g)) CHECK_FALSE(f.button_down);
  // Held for a long time, but moving from the start: still a scroll, no press.
  in.push(ev(PointerType::down, 10, 10, true, 100));
  in.push(ev(PointerType::move, 10, 60, true, 150));
  in.push(ev(PointerType::move, 10, 90, true, 900));
  const PointerFrame f2 = in.next_frame(1000, g);
  CHECK_FALSE(f2.button_down);
  CHECK(f2.wheel_y == doctest::Approx(80.0 / 50));
}

TEST_CASE("pointer input: a horizontal move presses at the start, then drags with the finger") {
  PointerInput in;
  in.push(ev(PointerType::down, 100, 300, true, 0));
  in.push(ev(PointerType::move, 130, 303, true, 16));
  in.push(ev(PointerType::move, 160, 290, true, 32));  // later moves may go any way
  const PointerFrame f1 = in.next_frame(33, {});
  CHECK(f1.button_down);
  CHECK(f1.x == 100);  // pressed where the finger went down (the slider handle)
  const PointerFrame f2 = in.next_frame(50, {});
  CHECK(f2.button_down);
  CHECK(f2.x == 160);
  CHECK(f2.y == 290);
  CHECK(f2.wheel_y == 0);
  in.push(ev(PointerType::up, 170, 290, true, 60));
  const PointerFrame f3 = in.next_frame(70, {});
  CHECK_FALSE(f3.button_down);
  CHECK(f3.x == 170);
}

TEST_CASE("pointer input: a finger held still becomes a press; cancel releases it") {
  PointerInput in;
  GestureSettings g;
  in.push(ev(PointerType::down, 50, 60, true, 0));
  CHECK_FALSE(in.next_frame(100, g).button_down);
  CHECK(in.next_frame(g.long_press_ms + 1, g).button_down);
  in.push(ev(PointerType::move, 50, 120, true, 500));  // now even vertical moves drag
  const PointerFrame f = in.next_frame(510, g);
  CHECK(f.button_down);
  CHECK(f.y == 120);
  CHECK(f.wheel_y == 0);
  in.push(ev(PointerType::cancel, 50, 120, true, 520));
  CHECK_FALSE(in.next_frame(530, g).button_down);
  CHECK(in.idle());
}

TEST_CASE("pointer input: stray ups, repeated downs and non-finite positions are ignored") {
  PointerInput in;
  in.push(ev(PointerType::up, 1, 1, false, 0));
  in.push(ev(PointerType::move, NAN, 1, false, 0));
  in.push(ev(PointerType::move, 1, INFINITY, true, 0));
  const PointerFrame f = in.next_frame(1, {});
  CHECK_FALSE(f.button_down);
  CHECK(f.x == 1);
  in.push(ev(PointerType::down, 2, 2, false, 2));
  in.push(ev(PointerType::down, 3, 3, false, 3));
  CHECK(in.next_frame(4, {}).button_down);
  CHECK(in.next_frame(5, {}).button_down);
  CHECK(in.idle());
  // A flood of moves stays bounded.
  for (int i = 0; i < 100000; ++i) in.push(ev(PointerType::move, float(i), 0, false, 6));
  in.push(ev(PointerType::up, 7, 7, false, 7));
  const PointerFrame g = in.next_frame(8, {});
  CHECK_FALSE(g.button_down);
}

TEST_CASE("pointer input: the secondary button is its own transition, one per frame like the primary") {
  PointerInput in;
  PointerEvent down = ev(PointerType::down, 30, 40, false, 0), up = ev(PointerType::up, 30, 40, false, 1);
  down.button = up.button = 1;
  in.push(down);
  in.push(up);
  const PointerFrame f1 = in.next_frame(2, {});
  CHECK(f1.secondary_down);
  CHECK_FALSE(f1.button_down);
  CHECK(f1.x == 30);
  CHECK_FALSE(in.next_frame(3, {}).secondary_down);
  CHECK(in.idle());
}
