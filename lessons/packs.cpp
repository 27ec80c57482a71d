// packs.cpp - see packs.h.
#include "lessons/packs.h"

#include <cmath>
#include <cstdlib>
#include <map>
#include <memory>

#include "lessons/strings.h"

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

PackFetcher g_fetcher = nullptr;

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
  if (g_fetcher) {
    e.status.state = PackState::loading;
    g_fetcher(name);
    return e.status;
  }
  std::string error;
  const std::string path = pack_directory() + "/" + name + ".pack";
  const bool ok = data::load_pack_file(path, *e.pack, error);
  finish(e, ok, ok ? "" : error + " (looked in " + path + "; scripts/build makes the packs)");
  return e.status;
}

void set_pack_fetcher(PackFetcher fetcher) { g_fetcher = fetcher; }

void pack_progress(const std::string& name, double received_bytes, double total_bytes) {
  auto it = entries().find(name);
  if (it == entries().end() || it->second.status.state != PackState::loading) return;
  // The numbers come from the page: keep them finite, non-negative, received <= total.
  auto clean = [](double v) { return std::isfinite(v) && v > 0 ? v : 0.0; };
  PackStatus& st = it->second.status;
  st.total_bytes = clean(total_bytes);
  st.received_bytes = clean(received_bytes);
  if (st.total_bytes > 0 && st.received_bytes > st.total_bytes) st.received_bytes = st.total_bytes;
  st.progress = st.total_bytes > 0 ? float(st.received_bytes / st.total_bytes) : 0.0f;
}

void pack_arrived(const std::string& name, const uint8_t* bytes, size_t size, const std::string& error) {
  auto it = entries().find(name);
  if (it == entries().end() || it->second.status.state != PackState::loading) return;
  Entry& e = it->second;
  std::string message = error;
  bool ok = false;
  if (message.empty() && bytes && size > 0) ok = data::load_pack(bytes, size, *e.pack, message);
  if (message.empty() && !ok) message = "the data pack is empty";
  finish(e, ok, ok ? "" : "data/" + it->first + ".pack: " + message);
}

}  // namespace pg
