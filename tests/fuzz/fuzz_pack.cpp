// fuzz_pack.cpp - the data-pack loader on any bytes (a corrupt or hostile
// pack file or download).  With PG_FUZZ_FIX_CHECKSUM (fuzz_pack_checksummed)
// the harness first rewrites the checksum, so mutations of the header and
// the payload get past it to the field validation and the split.
// `-pg_make_seed=DIR` writes a seed corpus made by the project's own encoder.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "engine/data/pack.h"

namespace {
void write_seed(const std::string& dir, const char* name, const std::vector<uint8_t>& bytes) {
  std::FILE* f = std::fopen((dir + "/" + name).c_str(), "wb");
  if (!f) return;
  std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
}
data::Pack small_pack(int count, int rows, int classes) {
  data::Pack p;
  p.name = "seed";
  p.count = count, p.train_count = count * 4 / 5, p.rows = rows, p.cols = rows, p.classes = classes, p.value_max = 255;
  for (int i = 0; i < count * rows * rows; ++i) p.pixels.push_back(uint8_t(i * 131));
  for (int i = 0; i < count; ++i) p.labels.push_back(uint8_t(i % classes));
  return p;
}
}  // namespace

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  for (int i = 1; i < *argc; ++i) {
    const char* flag = "-pg_make_seed=";
    if (std::strncmp((*argv)[i], flag, std::strlen(flag)) == 0) {
      const std::string dir = (*argv)[i] + std::strlen(flag);
      write_seed(dir, "tiny.pack", data::encode_pack(small_pack(5, 2, 3)));
      write_seed(dir, "digits-like.pack", data::encode_pack(small_pack(40, 8, 10)));
      std::exit(0);
    }
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  std::vector<uint8_t> buf(bytes, bytes + size);
#if defined(PG_FUZZ_FIX_CHECKSUM)
  if (buf.size() >= data::kPackHeaderSize) {
    const uint64_t sum = data::pack_checksum(buf.data(), buf.size());
    for (int i = 0; i < 8; ++i) buf[32 + i] = uint8_t(sum >> (8 * i));
  }
#endif
  data::Pack pack;
  std::string error;
  if (!data::load_pack(buf.data(), buf.size(), pack, error)) {
    if (error.empty() || pack.count != 0) std::abort();  // a rejection says why and leaves nothing half-loaded
    return 0;
  }
  data::Dataset train, test;
  data::pack_to_datasets(pack, train, test);
  // What a lesson relies on: both splits non-empty, labels in range.
  if (train.n <= 0 || test.n <= 0 || train.n + test.n != pack.count) std::abort();
  for (int y : test.y)
    if (y < 0 || y >= pack.classes) std::abort();
  return 0;
}
