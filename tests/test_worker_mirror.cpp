// Training in a Web Worker (web/worker_link.h), proven natively:
//  - snapshots round-trip bit for bit, and malformed bytes are refused;
//  - for every lesson that says its views draw from its outputs alone, a
//    fresh instance given a trained instance's snapshot draws the same page,
//    vertex for vertex (the whole panel: views, live text, run read-out);
//  - the page's link and the worker's host, connected in one process, reach
//    the same metrics and outputs as the page stepping on its own, through
//    play, pause, single steps, an at=N target, a live knob and a reset.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

#include "imgui.h"
#include "tests/headless_imgui.h"
#include "tests/lesson_test_util.h"
#include "web/layout.h"
#include "web/session.h"
#include "web/snapshot.h"
#include "web/worker_host.h"
#include "web/worker_link.h"

using namespace pg;

namespace {

// One ImGui context per session, so neither's window state leaks into the other's frame.
struct Context : test_ui::HeadlessContext {
  Context() : HeadlessContext(1366, 2400) {}

  // The hash of every vertex, index and command of the host's page for s,
  // after a few frames (tables and auto-sized windows settle over frames).
  uint64_t draw_view(Session& s, size_t v) { return draw(s, int(v)); }
  uint64_t draw(Session& s, int only_view = -1) {
    uint64_t h = 0;
    for (int k = 0; k < 3; ++k) {
      h = frame([&] {
        if (only_view >= 0) {
          ViewContext vc;
          vc.width = 1000;
          s.views()[size_t(only_view)].draw(vc);
        } else {
          draw_lesson(s, FrameOptions());
        }
      });
    }
    return h;
  }
};

void open(Session& s, const std::string& state) {
  REQUIRE(s.apply_state(state).empty());
  s.refresh();
}

// A small run of every lesson that trains (browser-sized defaults are fine
// for a few units).
std::vector<std::string> trainer_states() {
  std::vector<std::string> out;
  for (const LessonInfo& li : lesson_infos())
    if (li.stepping == Stepping::on_play) out.push_back(std::string(li.id) + "?seed=3");
  return out;
}

// The ids of the views that draw differently for the two sessions (each
// drawn alone, in fresh contexts): what to fix when the whole page differs.
std::string differing_views(Session& a, Session& b) {
  std::string out;
  for (size_t v = 0; v < a.views().size(); ++v) {
    Context x, y;
    if (x.draw_view(a, v) != y.draw_view(b, v)) out += a.views()[v].id + " ";
  }
  return out.empty() ? "(none alone: the host's text or controls)" : out;
}

Snapshot snapshot_of(const Session& s, uint64_t generation) {
  std::string bytes;
  encode_snapshot(generation, s.steps_done(), true, s.lesson(), bytes);
  Snapshot snap;
  std::string error;
  REQUIRE_MESSAGE(decode_snapshot(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), snap, error), error);
  return snap;
}

}  // namespace

TEST_CASE("snapshots round-trip bit for bit; truncated or altered bytes are refused") {
  Session s;
  open(s, "cnn-svm?seed=2");
  s.advance(30, 1e9);
  std::string a, b;
  encode_snapshot(7, s.steps_done(), true, s.lesson(), a);
  Snapshot snap;
  std::string error;
  REQUIRE(decode_snapshot(reinterpret_cast<const uint8_t*>(a.data()), a.size(), snap, error));
  CHECK(snap.generation == 7);
  CHECK(snap.steps == 30);
  // Re-encoded from a lesson holding the decoded outputs: the same bytes.
  Session t;
  open(t, "cnn-svm?seed=2");
  t.hand_to_worker();
  Snapshot again = snap;
  again.generation = t.generation();
  REQUIRE(t.apply_snapshot(again));
  encode_snapshot(7, t.steps_done(), true, t.lesson(), b);
  // The metrics in b are the page instance's own (not stepped); compare the outputs part.
  const size_t outputs_at = a.find("score_histogram");
  REQUIRE(outputs_at != std::string::npos);
  CHECK(b.substr(b.find("score_histogram")) == a.substr(outputs_at));
  CHECK(t.steps_done() == 30);
  CHECK(lesson_test::outputs_hash(t.lesson()) == lesson_test::outputs_hash(s.lesson()));
  // Every truncation fails cleanly; so do a wrong magic and trailing bytes.
  int refused = 0;
  for (size_t n = 0; n < a.size(); n += 1 + n / 64) refused += !decode_snapshot(reinterpret_cast<const uint8_t*>(a.data()), n, snap, error);
  int tried = 0;
  for (size_t n = 0; n < a.size(); n += 1 + n / 64) ++tried;
  CHECK(refused == tried);
  std::string bad = a;
  bad[0] = 'X';
  CHECK_FALSE(decode_snapshot(reinterpret_cast<const uint8_t*>(bad.data()), bad.size(), snap, error));
  bad = a + "x";
  CHECK_FALSE(decode_snapshot(reinterpret_cast<const uint8_t*>(bad.data()), bad.size(), snap, error));
  // A snapshot of another generation, or for a page not handed to a worker, changes nothing.
  Session u;
  open(u, "cnn-svm?seed=2");
  Snapshot other = snap;
  REQUIRE(decode_snapshot(reinterpret_cast<const uint8_t*>(a.data()), a.size(), other, error));
  other.generation = u.generation();
  CHECK_FALSE(u.apply_snapshot(other));  // not in a worker
  u.hand_to_worker();
  other.generation = u.generation() + 1;
  CHECK_FALSE(u.apply_snapshot(other));
  CHECK(u.steps_done() == 0);
}

TEST_CASE("a fresh lesson given a trained one's snapshot draws the same page, vertex for vertex") {
  Context page_ctx, worker_ctx;
  int mirrored = 0;
  for (std::string state : trainer_states()) {
    Session worker, page;
    open(worker, state);
    // A short run where the lesson has a run length (the sanitizer suite runs this too).
    if (const ParamSpec* steps = worker.params().find("steps")) {
      std::string m;
      worker.set_number("steps", std::max(steps->min, std::min(steps->def, 240.0)), m);
      state = worker.state_string();
      open(worker, state);
    }
    CAPTURE(state);
    open(page, state);
    // Far enough that every cadence (curves, evaluations, view refreshes) has
    // come round; split like frames.
    const int64_t length = worker.lesson().run_length();
    const int64_t units = length > 0 ? std::min<int64_t>(length / 2, 400) : 60;
    while (worker.steps_done() < units && !worker.done()) worker.advance(int(std::min<int64_t>(37, units - worker.steps_done())), 1e9);
    page.hand_to_worker();
    const bool applied = page.apply_snapshot(snapshot_of(worker, page.generation()));
    const bool says = page.lesson().views_draw_from_outputs();
    CHECK(applied == says);
    if (!says) continue;  // it trains on the page's thread
    ++mirrored;
    CHECK(page.steps_done() == worker.steps_done());
    uint64_t a = worker_ctx.draw(worker), b = page_ctx.draw(page);
    CHECK_MESSAGE(a == b, "mid-run: the page differs; views that differ: " << (a == b ? "" : differing_views(worker, page)));
    // And at the end of the run (final evaluations, finished states).
    lesson_test::run_to_end(worker);
    REQUIRE(page.apply_snapshot(snapshot_of(worker, page.generation())));
    CHECK(page.done());
    a = worker_ctx.draw(worker), b = page_ctx.draw(page);
    CHECK_MESSAGE(a == b, "at the end: the page differs; views that differ: " << (a == b ? "" : differing_views(worker, page)));
  }
  MESSAGE(mirrored << " lessons train in the worker");
  // Every lesson that trains on Play does: the page's training speed
  // depends on it (a new lesson's views draw from its outputs too; README,
  // "Adding a lesson").
  CHECK(mirrored == int(trainer_states().size()));
}

namespace {

// The page and the worker in one process: messages queue between them as
// they would between threads, and are delivered between "frames".
struct Pair {
  Session page, worker;
  WorkerHost host{worker};
  std::deque<WorkerMessage> queue;
  WorkerLink link{[this](const WorkerMessage& m) { queue.push_back(m); }};

  Pair() { link.set_ready(true); }
  void deliver() {
    for (; !queue.empty(); queue.pop_front()) {
      const WorkerMessage& m = queue.front();
      switch (m.type) {
        case WorkerMessage::run: host.run(m.generation, m.state, m.replay); break;
        case WorkerMessage::control: host.control(m.generation, m.playing, m.target); break;
        case WorkerMessage::steps: host.steps(m.generation, m.n); break;
        case WorkerMessage::set: host.set(m.generation, m.pairs); break;
        case WorkerMessage::act: host.act(m.generation, m.action); break;
      }
    }
  }
  // One page frame: the link drives, the worker works a slice (a few units)
  // and its snapshot arrives.  Returns whether the worker had the lesson.
  bool frame(int worker_units = 5) {
    const bool in_worker = link.drive(page);
    if (!in_worker && page.wants_steps()) page.advance(3, 1e9);
    deliver();
    bool working = true;
    for (int i = 0; i < worker_units && working; ++i) working = host.advance(1e9, 1000.0 / 60, 3) >= 0;
    if (host.has_snapshot()) {
      std::string bytes;
      host.snapshot(bytes, working);
      Snapshot snap;
      std::string error;
      REQUIRE(decode_snapshot(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), snap, error));
      page.apply_snapshot(snap);
    }
    return in_worker;
  }
};

std::string fingerprint(Session& s) {
  std::string out;
  char buf[40];
  const MetricList metrics = s.current_metrics();  // alive for the loop
  for (const Metric& m : metrics.items()) {
    if (m.timing) continue;
    std::snprintf(buf, sizeof buf, "%.17g", m.value);
    out += m.key + "=" + buf + ";";
  }
  return out + "steps=" + std::to_string(s.steps_done()) + ";outputs=" + std::to_string(lesson_test::outputs_hash(s.lesson()));
}

// The same lesson stepped on its own to `units`.
std::string reference(const std::string& state, int64_t units, const char* live_key = nullptr, const char* live_value = nullptr,
                      int64_t live_at = -1) {
  Session s;
  open(s, state);
  while (s.steps_done() < units && !s.done()) {
    if (live_key && s.steps_done() == live_at) {
      std::string m;
      s.set(live_key, live_value, m);
    }
    const int64_t to = live_key && s.steps_done() < live_at ? live_at : units;
    s.advance(int(to - s.steps_done()), 1e9);
  }
  return fingerprint(s);
}

}  // namespace

TEST_CASE("the page's link and the worker's host reach the page's own numbers") {
  const std::string state = "cnn-svm?seed=4";
  Pair p;
  open(p.page, state);
  // A fresh lesson stays on the page: nothing to run yet.
  CHECK_FALSE(p.frame());
  CHECK_FALSE(p.page.in_worker());
  // Two single steps on the page, then Play: the worker replays them first.
  p.page.step_once();
  p.page.step_once();
  CHECK(p.page.steps_done() == 2);
  p.page.playing = true;
  CHECK(p.frame());
  CHECK(p.page.in_worker());
  for (int i = 0; i < 6; ++i) p.frame();
  CHECK(p.page.worker_busy());
  // Pause: the worker stops, and its last snapshot is the page's state.
  p.page.playing = false;
  p.frame();
  const int64_t paused_at = p.page.steps_done();
  CHECK(paused_at > 2);
  CHECK_FALSE(p.page.worker_busy());  // the last snapshot said the worker stopped
  for (int i = 0; i < 3; ++i) p.frame();
  CHECK(p.page.steps_done() == paused_at);
  CHECK(fingerprint(p.page) == reference(state, paused_at));
  // Single steps while the worker has the run go to the worker.
  p.page.step_once();
  p.page.step_once();
  CHECK(p.page.pending_steps == 2);
  p.frame();
  CHECK(p.page.pending_steps == 0);
  CHECK(p.page.steps_done() == paused_at + 2);
  // An at=N target: the worker stops exactly there.
  std::string m;
  REQUIRE(p.page.set("at", std::to_string(paused_at + 40), m));
  for (int i = 0; i < 40 && p.page.steps_to_target() > 0; ++i) p.frame();
  CHECK(p.page.steps_done() == paused_at + 40);
  p.frame();
  CHECK(p.page.steps_done() == paused_at + 40);
  CHECK(fingerprint(p.page) == reference(state, paused_at + 40));
  // A reset: a new generation, back on the page; the old run's snapshots are ignored.
  const uint64_t old_generation = p.page.generation();
  std::string old_bytes;
  p.host.snapshot(old_bytes);
  p.page.reset();
  CHECK(p.page.generation() != old_generation);
  CHECK_FALSE(p.page.in_worker());
  Snapshot stale;
  std::string error;
  REQUIRE(decode_snapshot(reinterpret_cast<const uint8_t*>(old_bytes.data()), old_bytes.size(), stale, error));
  CHECK_FALSE(p.page.apply_snapshot(stale));
  CHECK(p.page.steps_done() == 0);
  // Play to the end in the worker: the whole run's numbers are the page's own.
  p.page.playing = true;
  for (int i = 0; i < 100000 && !p.page.done(); ++i) p.frame(100);
  REQUIRE(p.page.done());
  CHECK(fingerprint(p.page) == reference(state, p.page.steps_done()));
}

TEST_CASE("a live knob reaches the worker; a restarting knob starts a new run there") {
  const std::string state = "cnn-svm?seed=5";
  Pair p;
  open(p.page, state);
  std::string m;
  REQUIRE(p.page.set("at", "30", m));
  for (int i = 0; i < 50 && p.page.steps_to_target() > 0; ++i) p.frame();
  REQUIRE(p.page.steps_done() == 30);
  REQUIRE(p.page.params().find("lr"));
  REQUIRE_FALSE(p.page.params().find("lr")->restarts);
  REQUIRE(p.page.set("lr", "0.002", m));
  REQUIRE(p.page.set("at", "60", m));
  for (int i = 0; i < 50 && p.page.steps_to_target() > 0; ++i) p.frame();
  REQUIRE(p.page.steps_done() == 60);
  CHECK(fingerprint(p.page) == reference(state, 60, "lr", "0.002", 30));
  // A restarting knob: a new generation; the next Play is a fresh run in the worker.
  const ParamSpec* restarting = nullptr;
  for (const ParamSpec& spec : p.page.params().specs())
    if (spec.restarts && spec.type == ParamType::integer) restarting = &spec;
  REQUIRE(restarting != nullptr);
  const uint64_t g = p.page.generation();
  REQUIRE(p.page.set_number(restarting->key, p.page.params().value(*restarting) + 1, m));
  p.page.refresh();
  CHECK(p.page.generation() != g);
  CHECK(p.page.steps_done() == 0);
  const std::string new_state = p.page.state_string();
  REQUIRE(p.page.set("at", "20", m));
  for (int i = 0; i < 50 && p.page.steps_to_target() > 0; ++i) p.frame();
  CHECK(p.page.steps_done() == 20);
  CHECK(fingerprint(p.page) == reference(new_state, 20));
}
