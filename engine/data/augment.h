// augment.h - data augmentation of a mini-batch of images: random
// translations by whole pixels and left-right mirror images.
//
// A small training set (the packs hold 8,000 images) is seen many times in a
// run; moving each image by a pixel or two each time it is drawn makes every
// draw a slightly different image with the same label, the classic way to
// close much of the gap to a large training set on MNIST (Simard et al. 2003,
// "Best practices for convolutional neural networks").  Every draw comes
// from a pg::Rng passed in, so the same generator state gives the same bits
// natively and in wasm; nn::Trainer forks it from the seed and the step.
//
//   data::Augmentation a;  a.max_shift = 2;  a.flip = true;
//   pg::Rng rng = pg::Rng(seed).fork(stream).fork(step);
//   data::augment_images(x, B, 1, 28, 28, a, rng, scratch);  // x (B, 1, 28, 28) in place
#pragma once

#include "engine/rng.h"

namespace data {

struct Augmentation {
  int max_shift = 0;  // pixels: each image moves by (dy, dx), each uniform in [-max_shift, max_shift]
  bool flip = false;  // each image is mirrored left-right with probability 1/2 (before the move)
  bool active() const { return max_shift > 0 || flip; }
};

// out (C, H, W) = in moved dy rows down and dx columns right, zeros where no
// input pixel lands: out[c, y, x] = in[c, y - dy, x - dx] when that lies
// inside the image, else 0.  out and in must not overlap.
void translate_image(float* out, const float* in, int C, int H, int W, int dy, int dx);

// x (C, H, W) in place: x[c, y, x] <- x[c, y, W - 1 - x].
void flip_image(float* x, int C, int H, int W);

// Every image of x (B, C, H, W) in place: mirrored (when a.flip, with
// probability 1/2), then moved by a random (dy, dx).  Per image the draws are,
// in order: the flip (one next_u64, only when a.flip), dy, dx (rng.below, only
// when a.max_shift > 0).  scratch holds C * H * W floats.
void augment_images(float* x, int B, int C, int H, int W, const Augmentation& a, pg::Rng& rng, float* scratch);

}  // namespace data
