// augment.cpp - see augment.h.
#include "engine/data/augment.h"

namespace data {

void translate_image(float* out, const float* in, int C, int H, int W, int dy, int dx) {
  // Output columns [lo, hi) read input column x - dx; the rest are zero.
  const int lo = dx > 0 ? (dx < W ? dx : W) : 0;
  const int hi = dx < 0 ? (W + dx > 0 ? W + dx : 0) : W;
  for (int c = 0; c < C; ++c) {
    const float* plane = in + c * H * W;
    for (int y = 0; y < H; ++y) {
      float* dst = out + (c * H + y) * W;
      const int sy = y - dy;
      if (sy < 0 || sy >= H) {
        for (int x = 0; x < W; ++x) dst[x] = 0.0f;
        continue;
      }
      const float* src = plane + sy * W - dx;
      for (int x = 0; x < lo; ++x) dst[x] = 0.0f;
      for (int x = lo; x < hi; ++x) dst[x] = src[x];
      for (int x = hi > lo ? hi : lo; x < W; ++x) dst[x] = 0.0f;
    }
  }
}

void flip_image(float* x, int C, int H, int W) {
  for (int row = 0; row < C * H; ++row) {
    float* r = x + row * W;
    for (int i = 0, j = W - 1; i < j; ++i, --j) {
      const float t = r[i];
      r[i] = r[j];
      r[j] = t;
    }
  }
}

void augment_images(float* x, int B, int C, int H, int W, const Augmentation& a, pg::Rng& rng, float* scratch) {
  const int size = C * H * W, s = a.max_shift > 0 ? a.max_shift : 0;
  for (int b = 0; b < B; ++b) {
    float* img = x + b * size;
    if (a.flip && (rng.next_u64() >> 63)) flip_image(img, C, H, W);
    if (s == 0) continue;
    const int dy = int(rng.below(uint32_t(2 * s + 1))) - s;
    const int dx = int(rng.below(uint32_t(2 * s + 1))) - s;
    if (dy == 0 && dx == 0) continue;
    translate_image(scratch, img, C, H, W, dy, dx);
    for (int k = 0; k < size; ++k) img[k] = scratch[k];
  }
}

}  // namespace data
