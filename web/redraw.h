// redraw.h - build and draw a frame only when it would show something new.
//
// Why: every frame the page draws costs the browser's compositor and GPU
// process, whatever the app does.  In headless Chromium, where GL is software
// (SwiftShader), a page that only clears its canvas at 60 fps keeps that
// process at 1.6 cores, and the playground's own frames cost several times
// more: a learner's idle page kept both cores of a 2-core machine busy, and
// the training worker (web/worker_link.h) got what was left.  On a laptop with
// a GPU the cost is smaller but it is battery all the same.
//
// Two checks, each on the requestAnimationFrame callback (web/app.cpp):
//   1. Build?  Skipped when nothing that could change the picture happened
//      since the last built frame: no input, no call from the page's script,
//      no worker snapshot (each of these calls request_redraw()), the app is
//      not busy (stepping a lesson itself, a button held, a text field with
//      its blinking caret, a plot being saved), and the last two built
//      frames drew the same picture as the one before them.  (ImGui lays
//      some things out from the previous frame, such as a scrollbar that
//      appears; and a popup or tooltip is hidden in its first frame while it
//      is measured, a frame that looks like the last.)  A heartbeat still
//      builds one frame every kHeartbeatMs, for anything these signals miss.
//   2. Draw?  A built frame whose picture (its draw lists, the display size
//      and every texture upload, hashed) equals the last drawn one's makes no
//      GL call: the canvas keeps showing it.
// Skipped callbacks cost microseconds, so input is still taken on the next
// display refresh; a mouse press is built into a frame at once, in its event
// handler (web/app.cpp, pg_pointer_event).
//
// New data (a worker snapshot, a pack's progress) is not input: its frames
// are spaced so that drawing them takes at most a quarter of the time.  The
// cost of a drawn frame is one display interval plus the time by which the
// callbacks after it came late, over the last kCostWindow callbacks.  With a
// GPU no callback comes late: the cost is one display interval, and data
// frames come at the worker's snapshot rate, about 15 a second.  In headless
// Chromium, where the GPU process rasterizes in software and competes with
// the training worker for the cores, a drawn frame costs 40-110 ms: 4-6 a
// second.
#pragma once
#include <cstddef>
#include <cstdint>

struct ImDrawData;

namespace pg {

// Something may have changed: build the next frame (`now`: input, a call
// from the page's script; `data`: new numbers to show, see above).  Safe to
// call from any entry point (in the tests and the CLI nothing draws).
enum class Redraw { now, data };
void request_redraw(Redraw why = Redraw::now);
// Textures changed outside the draw lists (a heatmap upload): part of the picture.
void note_texture_upload();

// A 64-bit hash of `bytes` bytes, eight at a time (a multiply-xorshift mix;
// not for files or security: for "is this frame the same picture").
uint64_t hash_words(const void* data, size_t bytes, uint64_t seed);
// The picture a frame would draw: draw lists (vertices, indices, commands),
// display size and scale, the clear colour and the texture uploads so far.
uint64_t picture_hash(const ImDrawData* draw_data, uint32_t clear_rgba);

class RedrawPolicy {
 public:
  static constexpr int kSettleFrames = 2;       // identical built frames before building stops
  static constexpr double kHeartbeatMs = 250;   // at least four built frames a second
  static constexpr double kDataShare = 4;       // data frames: at most 1 / kDataShare of the time drawing
  static constexpr double kMaxDataMs = 250;     // ... but at least four a second
  static constexpr int kCostWindow = 60;        // callbacks over which a drawn frame's cost is measured

  // At the start of each callback: whether to build a frame.  `busy`: the
  // app needs frames whatever the input (see above).
  bool should_build(double now_ms, bool busy);
  // After building: whether to draw it (its picture differs from the last
  // drawn one, or `force`: a plot save reads the pixels back).
  bool should_draw(uint64_t picture, bool force);

  void request(Redraw why = Redraw::now) { (why == Redraw::now ? requested_ : data_pending_) = true; }
  // After should_build() said yes: whether this frame may show new data
  // (it is a data frame, or input's; a frame that only confirms the last
  // picture, or the heartbeat's, shows what the last one showed).
  bool take_data() const { return take_data_; }
  // A drawn frame's cost, and the shortest interval between frames built
  // for new data (kDataShare times the cost, at most kMaxDataMs).
  double draw_cost_ms() const { return draw_cost_ms_; }
  double data_interval_ms() const;
  long built() const { return built_; }
  long drawn() const { return drawn_; }
  long skipped() const { return skipped_; }

 private:
  bool requested_ = true;   // the first frame
  bool data_pending_ = false, take_data_ = false;
  double last_data_ms_ = -1e300;
  void measure_cost(double now_ms);
  double last_callback_ms_ = -1;
  // The last kCostWindow callbacks: the interval that ended each, and
  // whether it drew (the previous callback's frame).
  double interval_[kCostWindow] = {};
  bool drew_[kCostWindow] = {};
  int filled_ = 0, next_ = 0;
  bool drew_last_ = false;
  double draw_cost_ms_ = 0;
  bool have_picture_ = false;
  uint64_t last_picture_ = 0;
  int same_frames_ = 0;     // consecutive built frames that drew nothing new
  double last_build_ms_ = -1e300;
  long built_ = 0, drawn_ = 0, skipped_ = 0;
};

// The page's policy (web/app.cpp), which request_redraw() pokes.
RedrawPolicy& redraw_policy();

}  // namespace pg
