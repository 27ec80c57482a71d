// packs.h - the real data sets (MNIST, Fashion-MNIST, UCI digits) for lessons
// that train on images.  Packs are built by scripts/make_data_packs.mjs into
// build/data/ (format: engine/data/pack.h) and never committed.
//
// Natively (and in the node builds of the CLI and the tests) a pack is read
// from disk on first use.  In the page it is fetched from the page's own
// origin (data/<name>.pack) only when a lesson asks for it, with progress; the
// lesson shows "loading" until it arrives and an error in its own panel if
// the pack is missing or corrupt.  Other lessons are unaffected.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/data/pack.h"

namespace pg {

enum class PackState { loading, ready, failed };

struct PackStatus {
  PackState state = PackState::loading;
  float progress = 0;          // 0..1 while loading (page only; 0 while the size is unknown)
  double received_bytes = 0;   // while loading (page only)
  double total_bytes = 0;      // the download's size, 0 while unknown
  std::string message;         // what went wrong, when failed
  const data::Pack* pack = nullptr;  // when ready
};

// Returns the pack when it is ready; otherwise starts loading it (once) and
// says how far it got.  Names: "mnist", "fashion-mnist", "digits".
PackStatus request_pack(const std::string& name);

// The page fetches packs over the network; the host installs a fetcher that
// starts a download (web/pack_bridge.cpp) and reports back through
// pack_progress and pack_arrived.  Without one (native, node) packs are files.
using PackFetcher = void (*)(const std::string& name);
void set_pack_fetcher(PackFetcher fetcher);
// received of total bytes so far (total 0: the server did not say).
void pack_progress(const std::string& name, double received_bytes, double total_bytes);
// bytes (size bytes) are parsed and copied; the caller keeps ownership.
void pack_arrived(const std::string& name, const uint8_t* bytes, size_t size, const std::string& error);

// Forgets loaded packs (tests use it to exercise missing and corrupt packs).
void clear_pack_cache();

// Where native builds look for packs: $PG_DATA_DIR, else the build tree's
// build/data (compiled in), else ./build/data.
std::string pack_directory();

}  // namespace pg
