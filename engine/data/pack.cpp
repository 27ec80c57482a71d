// pack.cpp - see pack.h.
#include "engine/data/pack.h"

#include <algorithm>
#include <cstdio>

namespace data {

static const char kMagic[4] = {'P', 'G', 'P', 'K'};
static const char* kRebuildHint = "rebuild it with: node scripts/make_data_packs.mjs";

uint64_t fnv1a64(const uint8_t* bytes, size_t n) {
  uint64_t h = 14695981039346656037ull;
  for (size_t i = 0; i < n; ++i) {
    h ^= bytes[i];
    h *= 1099511628211ull;
  }
  return h;
}

static uint64_t fnv1a64_continue(uint64_t h, const uint8_t* bytes, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    h ^= bytes[i];
    h *= 1099511628211ull;
  }
  return h;
}

uint64_t pack_checksum(const uint8_t* bytes, size_t n) {
  if (n < kPackHeaderSize) return fnv1a64(bytes, n);
  static const uint8_t zeros[8] = {};
  uint64_t h = fnv1a64(bytes, 32);
  h = fnv1a64_continue(h, zeros, 8);
  return fnv1a64_continue(h, bytes + 40, n - 40);
}

static uint32_t read_u32(const uint8_t* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}
static uint64_t read_u64(const uint8_t* p) { return uint64_t(read_u32(p)) | uint64_t(read_u32(p + 4)) << 32; }
static void write_u32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = uint8_t(v >> (8 * i));
}
static void write_u64(uint8_t* p, uint64_t v) {
  write_u32(p, uint32_t(v));
  write_u32(p + 4, uint32_t(v >> 32));
}
static std::string hex64(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016llx", (unsigned long long)v);
  return buf;
}

bool load_pack(const uint8_t* bytes, size_t n, Pack& out, std::string& error) {
  out = Pack();
  if (!bytes || n < kPackHeaderSize) {
    error = "data pack truncated: " + std::to_string(n) + " bytes, the header alone is " +
            std::to_string(kPackHeaderSize) + "; " + kRebuildHint;
    return false;
  }
  for (int i = 0; i < 4; ++i) {
    if (bytes[i] != uint8_t(kMagic[i])) {
      error = "not a data pack (the file does not start with \"PGPK\")";
      return false;
    }
  }
  const uint32_t version = read_u32(bytes + 4);
  if (version != kPackVersion) {
    error = "data pack version " + std::to_string(version) + " is not supported (expected " +
            std::to_string(kPackVersion) + "); " + kRebuildHint;
    return false;
  }
  const uint32_t count = read_u32(bytes + 8), train_count = read_u32(bytes + 12);
  const uint32_t rows = read_u32(bytes + 16), cols = read_u32(bytes + 20);
  const uint32_t classes = read_u32(bytes + 24), value_max = read_u32(bytes + 28);
  // Bounds first, so the size arithmetic below cannot overflow.
  // What a lesson needs: both splits non-empty, a real classification task, images.
  if (count < 2 || count > 10000000u || train_count == 0 || train_count >= count || rows < 2 || rows > 1024 ||
      cols < 2 || cols > 1024 || classes < 2 || classes > 256 || value_max == 0 || value_max > 255) {
    error = "data pack header is corrupt (count " + std::to_string(count) + ", train " + std::to_string(train_count) +
            ", " + std::to_string(rows) + "x" + std::to_string(cols) + ", classes " + std::to_string(classes) +
            ", value_max " + std::to_string(value_max) + "); " + kRebuildHint;
    return false;
  }
  const uint64_t pixel_bytes = uint64_t(count) * rows * cols;
  const uint64_t expected = kPackHeaderSize + pixel_bytes + count;
  if (uint64_t(n) < expected) {
    error = "data pack truncated: " + std::to_string(n) + " of " + std::to_string(expected) + " bytes; " + kRebuildHint;
    return false;
  }
  if (uint64_t(n) > expected) {
    error = "data pack has " + std::to_string(uint64_t(n) - expected) + " unexpected trailing bytes; " + kRebuildHint;
    return false;
  }
  const uint8_t* payload = bytes + kPackHeaderSize;
  const uint64_t stored = read_u64(bytes + 32);
  const uint64_t computed = pack_checksum(bytes, n);
  if (stored != computed) {
    error = "data pack is corrupt: checksum " + hex64(computed) + " does not match the recorded " + hex64(stored) +
            "; " + kRebuildHint;
    return false;
  }
  const uint8_t* labels = payload + pixel_bytes;
  for (uint32_t i = 0; i < count; ++i) {
    if (labels[i] >= classes) {
      error = "data pack is corrupt: label " + std::to_string(labels[i]) + " of image " + std::to_string(i) +
              " is not below the class count " + std::to_string(classes);
      return false;
    }
  }
  const char* name = reinterpret_cast<const char*>(bytes + 40);
  size_t name_len = 0;
  while (name_len < 16 && name[name_len] != '\0') ++name_len;
  out.name.assign(name, name_len);
  out.count = int(count);
  out.train_count = int(train_count);
  out.rows = int(rows);
  out.cols = int(cols);
  out.classes = int(classes);
  out.value_max = int(value_max);
  out.checksum = stored;
  out.pixels.assign(payload, payload + pixel_bytes);
  out.labels.assign(labels, labels + count);
  error.clear();
  return true;
}

bool load_pack_file(const std::string& path, Pack& out, std::string& error) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) {
    error = "data pack " + path + " not found; build it with: node scripts/make_data_packs.mjs";
    return false;
  }
  std::vector<uint8_t> bytes;
  uint8_t chunk[65536];
  size_t got;
  while ((got = std::fread(chunk, 1, sizeof chunk, f)) > 0) bytes.insert(bytes.end(), chunk, chunk + got);
  std::fclose(f);
  if (!load_pack(bytes.data(), bytes.size(), out, error)) {
    error = path + ": " + error;
    return false;
  }
  return true;
}

std::vector<uint8_t> encode_pack(const Pack& p) {
  const size_t payload = p.pixels.size() + p.labels.size();
  std::vector<uint8_t> bytes(kPackHeaderSize + payload, 0);
  for (int i = 0; i < 4; ++i) bytes[i] = uint8_t(kMagic[i]);
  write_u32(&bytes[4], kPackVersion);
  write_u32(&bytes[8], uint32_t(p.count));
  write_u32(&bytes[12], uint32_t(p.train_count));
  write_u32(&bytes[16], uint32_t(p.rows));
  write_u32(&bytes[20], uint32_t(p.cols));
  write_u32(&bytes[24], uint32_t(p.classes));
  write_u32(&bytes[28], uint32_t(p.value_max));
  for (size_t i = 0; i < p.name.size() && i < 16; ++i) bytes[40 + i] = uint8_t(p.name[i]);
  std::copy(p.pixels.begin(), p.pixels.end(), bytes.begin() + kPackHeaderSize);
  std::copy(p.labels.begin(), p.labels.end(), bytes.begin() + kPackHeaderSize + p.pixels.size());
  write_u64(&bytes[32], pack_checksum(bytes.data(), bytes.size()));  // computed with the field still 0
  return bytes;
}

void pack_to_datasets(const Pack& p, Dataset& train, Dataset& test) {
  const int dim = p.rows * p.cols;
  for (int split = 0; split < 2; ++split) {
    Dataset& d = split == 0 ? train : test;
    const int begin = split == 0 ? 0 : p.train_count, end = split == 0 ? p.train_count : p.count;
    d = Dataset();
    d.name = p.name;
    d.n = end - begin;
    d.dim = dim;
    d.classes = p.classes;
    d.channels = 1;
    d.height = p.rows;
    d.width = p.cols;
    d.pixel_scale = 1.0f / float(p.value_max);
    d.pixels.assign(p.pixels.begin() + size_t(begin) * dim, p.pixels.begin() + size_t(end) * dim);
    d.y.assign(p.labels.begin() + begin, p.labels.begin() + end);
  }
}

}  // namespace data
