// redraw.cpp - see redraw.h.
#include "web/redraw.h"

#include <algorithm>
#include <cstring>

#include "imgui.h"

namespace pg {
namespace {
uint64_t g_texture_uploads = 0;

inline uint64_t mix(uint64_t h, uint64_t w) {
  h ^= w * 0x9E3779B97F4A7C15ull;
  h ^= h >> 29;
  h *= 0xBF58476D1CE4E5B9ull;
  return h ^ (h >> 32);
}
}  // namespace

RedrawPolicy& redraw_policy() {
  static RedrawPolicy policy;
  return policy;
}

void request_redraw(Redraw why) { redraw_policy().request(why); }

void note_texture_upload() { ++g_texture_uploads; }

uint64_t hash_words(const void* data, size_t bytes, uint64_t seed) {
  const unsigned char* p = static_cast<const unsigned char*>(data);
  uint64_t h = mix(seed, bytes);
  size_t i = 0;
  for (; i + 8 <= bytes; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    h = mix(h, w);
  }
  if (i < bytes) {
    uint64_t w = 0;
    std::memcpy(&w, p + i, bytes - i);
    h = mix(h, w);
  }
  return h;
}

uint64_t picture_hash(const ImDrawData* dd, uint32_t clear_rgba) {
  uint64_t h = mix(g_texture_uploads, clear_rgba);
  if (!dd) return h;
  const float frame[6] = {dd->DisplayPos.x, dd->DisplayPos.y, dd->DisplaySize.x, dd->DisplaySize.y,
                          dd->FramebufferScale.x, dd->FramebufferScale.y};
  h = hash_words(frame, sizeof frame, h);
  for (int n = 0; n < dd->CmdListsCount; ++n) {
    const ImDrawList* list = dd->CmdLists[n];
    h = hash_words(list->VtxBuffer.Data, size_t(list->VtxBuffer.Size) * sizeof(ImDrawVert), h);
    h = hash_words(list->IdxBuffer.Data, size_t(list->IdxBuffer.Size) * sizeof(ImDrawIdx), h);
    for (const ImDrawCmd& cmd : list->CmdBuffer) {
      // The fields that reach GL (web/gl_renderer.cpp); the callback pointers do not.
      const float clip[4] = {cmd.ClipRect.x, cmd.ClipRect.y, cmd.ClipRect.z, cmd.ClipRect.w};
      h = hash_words(clip, sizeof clip, h);
      h = mix(h, uint64_t(intptr_t(cmd.TextureId)));
      h = mix(h, (uint64_t(cmd.IdxOffset) << 32) | cmd.ElemCount);
      h = mix(h, uint64_t(cmd.VtxOffset));
    }
  }
  return h;
}

double RedrawPolicy::data_interval_ms() const {
  const double ms = kDataShare * draw_cost_ms_;
  return ms < kMaxDataMs ? ms : kMaxDataMs;
}

// cost = base + (sum of max(0, interval - base)) / frames drawn, where base
// is the 25th percentile of the window's intervals (the display's pace).
// The lateness lands a callback or two after the frame that caused it (the
// browser pipelines its GPU work), so it is summed over the window, not
// taken from the next interval.
void RedrawPolicy::measure_cost(double now_ms) {
  if (last_callback_ms_ >= 0) {
    const double iv = now_ms - last_callback_ms_;
    interval_[next_] = iv > 0 && iv < 1000 ? iv : 0;  // a hidden tab's pause is no cost
    drew_[next_] = drew_last_;
    next_ = (next_ + 1) % kCostWindow;
    if (filled_ < kCostWindow) ++filled_;
  }
  drew_last_ = false;
  last_callback_ms_ = now_ms;
  double sorted[kCostWindow];
  int n = 0, drawn = 0;
  for (int k = 0; k < filled_; ++k) {
    if (interval_[k] > 0) sorted[n++] = interval_[k];
    drawn += drew_[k];
  }
  if (n < 8 || drawn == 0) return;  // too few to tell: keep the last estimate
  std::nth_element(sorted, sorted + n / 4, sorted + n);
  const double base = sorted[n / 4];
  double late = 0;
  for (int k = 0; k < filled_; ++k)
    if (interval_[k] > base) late += interval_[k] - base;
  draw_cost_ms_ = base + late / drawn;
}

bool RedrawPolicy::should_build(double now_ms, bool busy) {
  measure_cost(now_ms);
  const bool data_due = data_pending_ && now_ms - last_data_ms_ >= data_interval_ms();
  const bool build = requested_ || data_due || busy || same_frames_ < kSettleFrames ||
                     now_ms - last_build_ms_ >= kHeartbeatMs;
  if (!build) {
    take_data_ = false;
    ++skipped_;
    return false;
  }
  take_data_ = requested_ || data_due;
  if (take_data_ && data_pending_) data_pending_ = false, last_data_ms_ = now_ms;
  requested_ = false;
  last_build_ms_ = now_ms;
  ++built_;
  return true;
}

bool RedrawPolicy::should_draw(uint64_t picture, bool force) {
  if (!force && have_picture_ && picture == last_picture_) {
    if (same_frames_ < kSettleFrames) ++same_frames_;
    return false;
  }
  have_picture_ = true;
  last_picture_ = picture;
  same_frames_ = 0;
  ++drawn_;
  drew_last_ = true;
  return true;
}

}  // namespace pg
