// pack.h - the compact binary "data pack" for real image sets (MNIST,
// Fashion-MNIST, UCI 8x8 digits), written by scripts/make_data_packs.mjs.
//
// Layout (all integers little-endian):
//   offset size  field
//        0    4  magic "PGPK"
//        4    4  version (2)
//        8    4  count         images in the pack
//       12    4  train_count   the first train_count images are the training split
//       16    4  rows          image height
//       20    4  cols          image width
//       24    4  classes       labels are in [0, classes)
//       28    4  value_max     the pixel value that means 1.0 (255 for MNIST, 16 for UCI digits)
//       32    8  checksum      FNV-1a 64 of the whole file with these 8 bytes read as 0
//                              (version 2: the header is covered too, so a corrupt
//                              count or split is caught, not only a corrupt image)
//       40   16  name          ASCII, NUL padded
//       56       payload: count * rows * cols pixels (uint8, row-major images), then count labels (uint8)
// A truncated, padded or corrupt pack is rejected with a message that says what
// is wrong and how to rebuild it; nothing is read out of bounds.  Every header
// field is validated against what a lesson needs: at least one training and one
// test image, at least two classes, images of at least 2x2 pixels.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/data/dataset.h"

namespace data {

constexpr uint32_t kPackVersion = 2;
constexpr size_t kPackHeaderSize = 56;

struct Pack {
  std::string name;
  int count = 0, train_count = 0, rows = 0, cols = 0, classes = 0, value_max = 255;
  uint64_t checksum = 0;
  std::vector<uint8_t> pixels;  // (count, rows * cols)
  std::vector<uint8_t> labels;  // (count,)
};

// FNV-1a, 64-bit (Fowler, Noll, Vo): h = 14695981039346656037; per byte h = (h ^ b) * 1099511628211.
uint64_t fnv1a64(const uint8_t* bytes, size_t n);
// The pack checksum of a whole pack file (bytes 32..39, the checksum itself, read as 0).
uint64_t pack_checksum(const uint8_t* bytes, size_t n);

bool load_pack(const uint8_t* bytes, size_t n, Pack& out, std::string& error);
bool load_pack_file(const std::string& path, Pack& out, std::string& error);

// Serializes a pack (computing its checksum); the inverse of load_pack.
std::vector<uint8_t> encode_pack(const Pack& pack);

// The pack's training and test splits as byte-stored data sets (pixel_scale = 1 / value_max).
void pack_to_datasets(const Pack& pack, Dataset& train, Dataset& test);

}  // namespace data
