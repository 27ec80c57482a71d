// worker_glue.cpp - the JavaScript ends of training in a Web Worker
// (web/worker_link.h, web/worker_host.h).  Both ends are in the one wasm
// module: the page calls the pg_link_* functions, web/train_worker.js (the
// same module, loaded in a worker) calls the pg_worker_* ones.
#if defined(__EMSCRIPTEN__)
#include <emscripten/emscripten.h>

#include <cstdio>
#include <string>
#include <utility>

#include "lessons/packs.h"
#include "lessons/strings.h"
#include "web/api.h"
#include "web/redraw.h"
#include "web/snapshot.h"
#include "web/worker_glue.h"
#include "web/worker_host.h"

namespace pg {
void install_pack_fetcher();  // web/pack_bridge.cpp
namespace {

std::string message_json(const WorkerMessage& m) {
  static const char* const kTypes[] = {"run", "control", "steps", "set", "act"};
  std::string j = std::string("{\"type\":\"") + kTypes[m.type] + "\",\"gen\":" + std::to_string(m.generation);
  switch (m.type) {
    case WorkerMessage::run:
      j += ",\"state\":" + json_string(m.state) + ",\"replay\":" + std::to_string(m.replay);
      break;
    case WorkerMessage::control:
      j += std::string(",\"playing\":") + (m.playing ? "true" : "false") + ",\"target\":" + std::to_string(m.target);
      break;
    case WorkerMessage::steps:
      j += ",\"n\":" + std::to_string(m.n);
      break;
    case WorkerMessage::set:
      j += ",\"pairs\":[";
      for (size_t i = 0; i < m.pairs.size(); ++i)
        j += (i ? "," : "") + std::string("[") + json_string(m.pairs[i].first) + "," + json_string(m.pairs[i].second) + "]";
      j += "]";
      break;
    case WorkerMessage::act:
      j += ",\"action\":" + json_string(m.action);
      break;
  }
  return j + "}";
}

void post_to_worker(const WorkerMessage& m) {
  const std::string json = message_json(m);
  EM_ASM({ if (Module.pgWorkerPost) Module.pgWorkerPost(UTF8ToString($0)); }, json.c_str());
}

WorkerHost* g_host = nullptr;  // in the worker only
std::string g_snapshot;        // the last snapshot's bytes (worker)
Snapshot g_pending;            // the newest snapshot the page has not shown yet (page)
bool g_has_pending = false;

}  // namespace

void apply_pending_snapshot() {
  if (!g_has_pending) return;
  g_has_pending = false;
  app_session().apply_snapshot(g_pending);
}

WorkerLink& page_worker_link() {
  static WorkerLink link(post_to_worker);
  return link;
}

}  // namespace pg

extern "C" {
// ---- the page
// The worker loaded (1) or failed (0).  A failure while it held a run: the
// page takes the run back from its start (the worker's state is lost).
EMSCRIPTEN_KEEPALIVE void pg_link_ready(int ok, const char* why) {
  pg::request_redraw();  // web/redraw.h
  pg::page_worker_link().set_ready(ok != 0);
  pg::Session& s = pg::app_session();
  if (!ok && s.in_worker()) {
    const bool playing = s.playing;
    s.reset();
    s.playing = playing;
    s.add_message(std::string("The background trainer stopped (") + pg::printable(why ? why : "") +
                  "); training restarts here on the page.");
  }
}

// bytes: a snapshot the page copied into a malloc'd buffer; freed by the caller.
EMSCRIPTEN_KEEPALIVE int pg_link_snapshot(const uint8_t* bytes, int size) {
  static pg::Snapshot incoming;  // kept: its buffers are reused snapshot after snapshot
  std::string error;
  if (size <= 0 || !pg::decode_snapshot(bytes, size_t(size), incoming, error)) return 0;
  if (incoming.working) {
    using pg::g_pending, pg::g_has_pending;
    // Shown by the next frame built for data (web/redraw.h): until then the
    // page's picture, and the frames that confirm it, stay as they are.  A
    // newer snapshot replaces one not yet shown.
    std::swap(g_pending, incoming);
    g_has_pending = true;
    pg::request_redraw(pg::Redraw::data);
    return 1;
  }
  // The worker's last (paused, at its target, finished): at once.
  pg::g_has_pending = false;
  pg::request_redraw(pg::Redraw::now);
  return pg::app_session().apply_snapshot(incoming) ? 1 : 0;
}

// ---- the worker (web/train_worker.js)
EMSCRIPTEN_KEEPALIVE void pg_worker_init() {
  if (!pg::g_host) pg::g_host = new pg::WorkerHost(pg::app_session());
  pg::install_pack_fetcher();  // the worker fetches packs itself (same origin, cached)
}

EMSCRIPTEN_KEEPALIVE const char* pg_worker_run(double generation, const char* state, double replay) {
  static std::string problems;
  pg_worker_init();
  problems = pg::g_host->run(uint64_t(generation), state ? state : "", int64_t(replay));
  return problems.c_str();
}

EMSCRIPTEN_KEEPALIVE void pg_worker_control(double generation, int playing, double target) {
  if (pg::g_host) pg::g_host->control(uint64_t(generation), playing != 0, int64_t(target));
}

EMSCRIPTEN_KEEPALIVE void pg_worker_steps(double generation, double n) {
  if (pg::g_host) pg::g_host->steps(uint64_t(generation), int64_t(n));
}

EMSCRIPTEN_KEEPALIVE void pg_worker_set(double generation, const char* key, const char* value) {
  if (pg::g_host && key && value) pg::g_host->set(uint64_t(generation), {{key, value}});
}

EMSCRIPTEN_KEEPALIVE void pg_worker_act(double generation, const char* action) {
  if (pg::g_host && action) pg::g_host->act(uint64_t(generation), action);
}

EMSCRIPTEN_KEEPALIVE int pg_worker_advance(double budget_ms, double dt_ms) {
  return pg::g_host ? pg::g_host->advance(budget_ms, dt_ms) : -1;
}

// The run now as snapshot bytes: returns their address, *size their length
// (0 when there is nothing to show yet).  Valid until the next call.
// working: 0 for the last snapshot before the worker waits.
EMSCRIPTEN_KEEPALIVE const uint8_t* pg_worker_snapshot(int* size, int working) {
  *size = 0;
  if (!pg::g_host || !pg::g_host->has_snapshot()) return nullptr;
  pg::g_host->snapshot(pg::g_snapshot, working != 0);
  *size = int(pg::g_snapshot.size());
  return reinterpret_cast<const uint8_t*>(pg::g_snapshot.data());
}
}
#endif
