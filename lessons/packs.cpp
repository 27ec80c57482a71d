// packs.cpp - see packs.h.
#include "lessons/packs.h"

#include <cstdlib>
#include <map>
#include <memory>

#include "lessons/text.h"

#if defined(__EMSCRIPTEN__)
#include <emscripten/emscripten.h>
#define PG_EXPORT_PACK EMSCRIPTEN_KEEPALIVE
#else
#define PG_EXPORT_PACK
#endif

#ifndef PG_DEFAULT_DATA_DIR
#define PG_DEFAULT_DATA_DIR "build/data"
#endif

namespace pg {
namespace {

struct Entry {
  PackStatus status;
  std::unique_ptr<data::Pack> pack;
};

std::map<std::string, Entry>& entries() {
  static std::map<std::string, Entry> m;
  return m;
}

bool known_name(const std::string& name) {
  return name == "mnist" || name == "fashion-mnist" || name == "digits";
}

// True in the browser page (packs come over the network), false under node
// and natively (packs are files).
bool in_page() {
#if defined(__EMSCRIPTEN__)
  return EM_ASM_INT({ return typeof window !== 'undefined' && typeof document !== 'undefined' ? 1 : 0; }) != 0;
#else
  return false;
#endif
}

void finish(Entry& e, bool ok, const std::string& error) {
  if (ok) {
    e.status.state = PackState::ready;
    e.status.progress = 1;
    e.status.pack = e.pack.get();
  } else {
    e.status.state = PackState::failed;
    e.status.message = error;
    e.pack.reset();
  }
}

}  // namespace

void clear_pack_cache() { entries().clear(); }

std::string pack_directory() {
  const char* env = std::getenv("PG_DATA_DIR");
  if (env && *env) return env;
  return PG_DEFAULT_DATA_DIR;
}

PackStatus request_pack(const std::string& name) {
  auto& m = entries();
  auto it = m.find(name);
  if (it != m.end()) return it->second.status;
  Entry& e = m[name];
  if (!known_name(name)) {
    finish(e, false, "unknown data pack '" + printable(name) + "'");
    return e.status;
  }
  e.pack = std::make_unique<data::Pack>();
  if (in_page()) {
#if defined(__EMSCRIPTEN__)
    e.status.state = PackState::loading;
    EM_ASM({ Module.pgFetchPack(UTF8ToString($0)); }, name.c_str());
#endif
    return e.status;
  }
  std::string error;
  const std::string path = pack_directory() + "/" + name + ".pack";
  const bool ok = data::load_pack_file(path, *e.pack, error);
  finish(e, ok, ok ? "" : error + " (looked in " + path + "; scripts/build makes the packs)");
  return e.status;
}

}  // namespace pg

// Called by web/shell.js while a pack downloads and when it has arrived.
extern "C" {
PG_EXPORT_PACK void pg_pack_progress(const char* name, double fraction) {
  auto it = pg::entries().find(name ? name : "");
  if (it != pg::entries().end() && it->second.status.state == pg::PackState::loading)
    it->second.status.progress = float(fraction);
}

// bytes is a buffer the page allocated with malloc; it is freed here.
PG_EXPORT_PACK void pg_pack_arrived(const char* name, uint8_t* bytes, int size, const char* error) {
  auto it = pg::entries().find(name ? name : "");
  if (it == pg::entries().end()) {
    std::free(bytes);
    return;
  }
  pg::Entry& e = it->second;
  std::string message = error ? error : "";
  bool ok = false;
  if (message.empty() && bytes && size > 0) ok = data::load_pack(bytes, size_t(size), *e.pack, message);
  if (message.empty() && !ok) message = "the data pack is empty";
  pg::finish(e, ok, ok ? "" : "data/" + it->first + ".pack: " + message);
  std::free(bytes);
}
}
