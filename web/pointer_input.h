// pointer_input.h - the page's pointer events (mouse, pen, touch), turned into
// what Dear ImGui 1.86 can read: one mouse position, one button state and a
// wheel amount per frame.
//
// Why the host does this: ImGui 1.86 has no input queue (1.87 added one).  It
// reads the button once per frame, so a press and a release that arrive
// between two frames - every tap on a touch screen, every fast click - are
// lost or land at a stale position (Emscripten's GLFW does not move the cursor
// on touchstart).  Here every event is queued and each frame takes events up
// to and including at most one button transition, so ImGui sees press, then
// release, at the place they happened.
//
// Touch gestures, decided by the first movement past `slop` pixels:
//   - a tap (no movement)             -> press and release where the finger was;
//   - a mostly vertical swipe          -> wheel scrolling of the panel under the
//                                        finger, no press (a slider it started on
//                                        is not dragged);
//   - a mostly horizontal move         -> press where the finger went down, then
//                                        drag (a slider follows the finger);
//   - held still for `long_press_ms`   -> press, then drag in any direction.
// Mouse and pen events pass straight through the queue (both buttons).
//
// Positions are in the canvas's backing-store pixels (ImGui's coordinates).
// The class is ImGui-free so that the tests drive it natively.
#pragma once
#include <deque>

namespace pg {

enum class PointerType { down, move, up, cancel };

struct PointerEvent {
  PointerType type = PointerType::move;
  float x = 0, y = 0;
  bool touch = false;   // a finger (gestures apply); false: mouse or pen
  double t_ms = 0;      // event time, for the long press
  int button = 0;       // mouse down/up: 0 the primary button, 1 the secondary (context menus)
};

// One frame's input for ImGui.
struct PointerFrame {
  float x = 0, y = 0;
  bool has_position = false;  // false until the first event
  bool button_down = false;
  bool secondary_down = false;  // the right mouse button
  float wheel_y = 0;          // ImGui wheel units, positive scrolls up
};

struct GestureSettings {
  float slop_px = 10;           // movement that decides the gesture (backing pixels)
  double long_press_ms = 400;   // held still this long: press and drag
  float px_per_wheel = 75;      // ImGui scrolls 5 font heights per wheel unit
};

class PointerInput {
 public:
  void push(const PointerEvent& e);
  // Consumes queued events up to and including one button transition, and
  // reports where the pointer is and whether the button is down.  `now_ms`
  // turns a finger held still into a press.
  PointerFrame next_frame(double now_ms, const GestureSettings& g);
  bool idle() const { return queue_.empty() && ready_.empty() && touch_ == Touch::none; }

 private:
  enum class Touch { none, pending, scrolling, dragging };
  // A button transition waits in `queue_` as a synthetic event with touch =
  // false, so gestures and mouse input share the one-transition rule.
  void begin_drag(float x, float y, double t_ms);
  std::deque<PointerEvent> queue_;   // raw events not yet looked at
  std::deque<PointerEvent> ready_;   // gesture-resolved: down / move / up for ImGui
  Touch touch_ = Touch::none;
  float start_x_ = 0, start_y_ = 0, last_y_ = 0;
  double start_t_ = 0;
  PointerFrame state_;
};

}  // namespace pg
