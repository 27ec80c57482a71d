// pack_bridge.cpp - the page's side of the data packs: when a lesson asks for
// a pack, web/shell.js fetches data/<name>.pack from the page's own origin
// and hands the bytes back here.  Only the page (emscripten, with a window)
// installs the fetcher; node builds and native builds read files
// (lessons/packs.cpp).
#include "lessons/packs.h"
#include "web/redraw.h"

#if defined(__EMSCRIPTEN__)
#include <emscripten/emscripten.h>

#include <cstdlib>

namespace {
void fetch_in_page(const std::string& name) {
  EM_ASM({ Module.pgFetchPack(UTF8ToString($0)); }, name.c_str());
}
}  // namespace

namespace pg {
// Module.pgFetchPack: web/shell.js in the page, web/train_worker.js in the training worker.
void install_pack_fetcher() { set_pack_fetcher(fetch_in_page); }
void install_pack_bridge() {
  const bool in_page = EM_ASM_INT({ return typeof window !== 'undefined' && typeof document !== 'undefined' ? 1 : 0; });
  if (in_page) install_pack_fetcher();
}
}  // namespace pg

// Called by web/shell.js while a pack downloads and when it has arrived.
extern "C" {
EMSCRIPTEN_KEEPALIVE void pg_pack_progress(const char* name, double received_bytes, double total_bytes) {
  pg::pack_progress(name ? name : "", received_bytes, total_bytes);
  pg::request_redraw(pg::Redraw::data);  // the progress bar moves (web/redraw.h)
}

// bytes is a buffer the page allocated with malloc; it is freed here.
EMSCRIPTEN_KEEPALIVE void pg_pack_arrived(const char* name, uint8_t* bytes, int size, const char* error) {
  pg::pack_arrived(name ? name : "", bytes, size > 0 ? size_t(size) : 0, error ? error : "");
  std::free(bytes);
  pg::request_redraw();
}
}
#else
namespace pg {
void install_pack_bridge() {}  // native: packs are files
}  // namespace pg
#endif
