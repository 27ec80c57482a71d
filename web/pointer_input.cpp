// pointer_input.cpp - see pointer_input.h.
#include "web/pointer_input.h"

#include <cmath>

namespace pg {

void PointerInput::push(const PointerEvent& e) {
  // A runaway producer (an unfocused tab piling up moves) must not grow the
  // queue without bound: moves are dropped first, transitions are kept.
  if (queue_.size() > 4096 && e.type == PointerType::move) return;
  if (!std::isfinite(e.x) || !std::isfinite(e.y)) return;
  queue_.push_back(e);
}

void PointerInput::begin_drag(float x, float y, double t_ms) {
  touch_ = Touch::dragging;
  ready_.push_back({PointerType::move, x, y, false, t_ms});
  ready_.push_back({PointerType::down, x, y, false, t_ms});
}

PointerFrame PointerInput::next_frame(double now_ms, const GestureSettings& g) {
  state_.wheel_y = 0;
  const float per_wheel = g.px_per_wheel > 1 ? g.px_per_wheel : 1;

  // 1. Resolve raw events into mouse-like events (touch gestures decided here).
  while (!queue_.empty()) {
    const PointerEvent e = queue_.front();
    queue_.pop_front();
    if (!e.touch) {
      PointerEvent m = e;
      if (m.type == PointerType::cancel) m.type = PointerType::up;
      ready_.push_back(m);
      continue;
    }
    if (touch_ == Touch::pending && e.t_ms - start_t_ >= g.long_press_ms) begin_drag(start_x_, start_y_, e.t_ms);
    switch (e.type) {
      case PointerType::down:
        if (touch_ == Touch::dragging) ready_.push_back({PointerType::up, e.x, e.y, false, e.t_ms});
        touch_ = Touch::pending;
        start_x_ = e.x, start_y_ = e.y, last_y_ = e.y, start_t_ = e.t_ms;
        ready_.push_back({PointerType::move, e.x, e.y, false, e.t_ms});  // hover where the finger is
        break;
      case PointerType::move:
        if (touch_ == Touch::pending) {
          const float dx = e.x - start_x_, dy = e.y - start_y_;
          if (std::fabs(dx) <= g.slop_px && std::fabs(dy) <= g.slop_px) break;  // jitter of a tap
          if (std::fabs(dy) >= std::fabs(dx)) {
            touch_ = Touch::scrolling;  // the finger moves the content: down reveals what is above
            state_.wheel_y += dy / per_wheel;
            last_y_ = e.y;
          } else {
            begin_drag(start_x_, start_y_, e.t_ms);
            ready_.push_back({PointerType::move, e.x, e.y, false, e.t_ms});
          }
        } else if (touch_ == Touch::scrolling) {
          state_.wheel_y += (e.y - last_y_) / per_wheel;
          last_y_ = e.y;
        } else if (touch_ == Touch::dragging) {
          ready_.push_back({PointerType::move, e.x, e.y, false, e.t_ms});
        }
        break;
      case PointerType::up:
        if (touch_ == Touch::pending) {  // a tap: press and release where it began
          ready_.push_back({PointerType::down, start_x_, start_y_, false, e.t_ms});
          ready_.push_back({PointerType::up, start_x_, start_y_, false, e.t_ms});
        } else if (touch_ == Touch::dragging) {
          ready_.push_back({PointerType::move, e.x, e.y, false, e.t_ms});
          ready_.push_back({PointerType::up, e.x, e.y, false, e.t_ms});
        }
        touch_ = Touch::none;
        break;
      case PointerType::cancel:
        if (touch_ == Touch::dragging) ready_.push_back({PointerType::up, e.x, e.y, false, e.t_ms});
        touch_ = Touch::none;
        break;
    }
  }
  if (touch_ == Touch::pending && now_ms - start_t_ >= g.long_press_ms) begin_drag(start_x_, start_y_, now_ms);

  // 2. Apply moves, and at most one button transition: what follows it waits
  //    for the next frame, so ImGui sees the press and the release separately.
  while (!ready_.empty()) {
    const PointerEvent e = ready_.front();
    ready_.pop_front();
    state_.x = e.x, state_.y = e.y, state_.has_position = true;
    const bool transition = e.type == PointerType::down || e.type == PointerType::up;
    bool& held = e.button == 1 ? state_.secondary_down : state_.button_down;
    // A transition that changes nothing (a second down, a stray up) only moves.
    if (transition && (e.type == PointerType::down) != held) {
      held = e.type == PointerType::down;
      break;
    }
  }
  return state_;
}

}  // namespace pg
