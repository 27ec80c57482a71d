// Every registered lesson, through the framework: it declares knobs, text,
// metrics, outputs and views that fit together; it resets, steps and reports
// finite metrics; it is deterministic for a seed and different for another;
// and the host draws it headless (no window, no GPU: the draw lists are
// built, nothing is rasterized) with every knob and view where the layout
// promises, without the drawing changing a single metric or output.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "imgui.h"
#include "tests/headless_imgui.h"
#include "tests/lesson_test_util.h"
#include "ui/panel.h"
#include "web/layout.h"
#include "web/session.h"

using namespace pg;

namespace {

// A headless ImGui context: fonts built in memory, a display size per test.
struct HeadlessImGui : test_ui::HeadlessContext {
  explicit HeadlessImGui(float w = 1366, float h = 768) : HeadlessContext(w, h) {}
  void resize(float w, float h) { ImGui::GetIO().DisplaySize = ImVec2(w, h); }

  // One frame of the host's layout over the whole display, as the app draws it.
  const LayoutRecord& draw(Session& session) {
    frame([&] { draw_lesson(session, FrameOptions()); });
    return last_layout();
  }
};

const LayoutRect* find(const std::vector<std::pair<std::string, LayoutRect>>& v, const std::string& key) {
  for (const auto& [k, r] : v)
    if (k == key) return &r;
  return nullptr;
}

bool inside(const LayoutRect& r, float w, float h) { return r.x >= 0 && r.y >= 0 && r.x + r.w <= w + 0.5f && r.y + r.h <= h + 0.5f; }

// Small, fast settings for lessons whose defaults are browser-sized.
void make_small(Session& s) {
  std::string msg;
  if (s.params().find("n") && s.info().kind == LessonKind::kernel) s.set("n", "1024", msg);
  s.refresh();
}

// Does a declared metric doc cover this key?  '*' stands for any run of
// characters ("ns_per_elem_*_scalar" covers "ns_per_elem_two_pass_scalar").
bool glob_match(const char* pattern, const char* key) {
  if (!*pattern) return !*key;
  if (*pattern == '*') return glob_match(pattern + 1, key) || (*key && glob_match(pattern, key + 1));
  return *pattern == *key && glob_match(pattern + 1, key + 1);
}
bool documented(const std::vector<MetricDoc>& docs, const std::string& key) {
  for (const MetricDoc& d : docs)
    if (glob_match(d.key.c_str(), key.c_str())) return true;
  return false;
}
bool may_be_undefined(const std::vector<MetricDoc>& docs, const std::string& key) {
  for (const MetricDoc& d : docs)
    if (glob_match(d.key.c_str(), key.c_str())) return d.may_be_undefined;
  return false;
}

}  // namespace

TEST_CASE("the registry lists unique, well-formed lessons") {
  const auto& infos = lesson_infos();
  REQUIRE(infos.size() >= 2);
  std::set<std::string> ids;
  std::set<int> orders;
  for (const LessonEntry& e : lesson_registry()) orders.insert(e.order);
  CHECK(orders.size() == lesson_registry().size());  // catalogue numbers are unique
  for (size_t i = 0; i < infos.size(); ++i) {
    CAPTURE(infos[i].id);
    CHECK(ids.insert(infos[i].id).second);
    CHECK(find_lesson(infos[i].id) == int(i));
    for (const char* c = infos[i].id; *c; ++c) CHECK(((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-'));
    CHECK(std::string(infos[i].title).size() > 3);
    CHECK(std::string(infos[i].summary).size() > 10);
    CHECK(std::string(infos[i].section).size() > 3);
  }
  for (size_t i = 1; i < lesson_registry().size(); ++i) CHECK(lesson_registry()[i - 1].order < lesson_registry()[i].order);
  CHECK(find_lesson("nope") == -1);
  // Sections come in catalogue order, one title per letter ("D. ..." spelled
  // two ways made two gallery headings).
  std::map<char, std::string> title_of_letter;
  for (size_t i = 0; i < infos.size(); ++i) {
    CAPTURE(infos[i].id);
    const std::string section = infos[i].section;
    REQUIRE(section.size() > 3);
    CHECK(section[0] >= 'A');
    CHECK(section[0] <= 'Z');
    CHECK(section.compare(1, 2, ". ") == 0);
    auto it = title_of_letter.emplace(section[0], section).first;
    CHECK(it->second == section);
    if (i > 0) CHECK(infos[i - 1].section[0] <= section[0]);
  }
}

TEST_CASE("every lesson declares its text, knobs, metrics, outputs and views so that they fit together") {
  const char* const kOrder[] = {"The problem", "The method", "Try this", "What the paper reports"};
  for (const LessonInfo& li : lesson_infos()) {
    CAPTURE(li.id);
    Session s;
    std::string msg;
    REQUIRE(s.open(li.id, msg));
    make_small(s);
    s.reset(3);
    // The walkthrough: the four sections, in order, each with content.
    const auto& sections = s.text().sections();
    REQUIRE(sections.size() == 4);
    for (size_t i = 0; i < 4; ++i) {
      CHECK(sections[i].title == kOrder[i]);
      CHECK(!sections[i].blocks.empty());
    }
    int paper_rows = 0;
    MetricList metrics = s.current_metrics();
    for (const Section& sec : sections)
      for (const Block& b : sec.blocks) {
        for (const std::string& key : live_keys(b.text)) {
          CAPTURE(key);
          CHECK(metrics.find(key) != nullptr);  // a live number names a real metric
        }
        if (b.kind == BlockKind::paper_row) {
          ++paper_rows;
          CHECK(!b.row.paper.empty());
          if (!b.row.metric.empty()) CHECK_MESSAGE(metrics.find(b.row.metric) != nullptr, b.row.metric);
        }
      }
    CHECK(paper_rows >= 1);
    // Metrics: every emitted key is documented, every plain documented key emitted.
    for (const Metric& m : metrics.items()) CHECK_MESSAGE(documented(s.metric_docs(), m.key), m.key);
    for (const MetricDoc& d : s.metric_docs()) {  // a family covers at least one key
      bool used = false;
      for (const Metric& m : metrics.items()) used |= glob_match(d.key.c_str(), m.key.c_str());
      CHECK_MESSAGE(used, d.key);
    }
    for (const MetricDoc& d : s.metric_docs()) {
      CHECK(d.meaning.size() > 10);
      if (d.key.find('*') == std::string::npos) CHECK_MESSAGE(metrics.find(d.key) != nullptr, d.key);
    }
    // Knobs: defaults inside ranges, help on every knob.
    for (const ParamSpec& p : s.params().specs()) {
      CAPTURE(p.key);
      CHECK(p.min <= p.def);
      CHECK(p.def <= p.max);
      CHECK(p.help.size() > 10);
      CHECK(!Session::is_page_option(p.key));
    }
    // Presets: every entry is a real knob with a valid, unclamped value.
    for (size_t i = 0; i < s.presets().size(); ++i) {
      CAPTURE(s.presets()[i].knobs);
      Session t;
      REQUIRE(t.open(li.id, msg));
      CHECK(t.apply_preset(int(i), msg));
      CHECK(msg.empty());
    }
    // Views and outputs.
    REQUIRE(!s.views().empty());
    std::set<std::string> view_ids;
    for (const ViewSpec& v : s.views()) CHECK(view_ids.insert(v.id).second);
    CHECK((!s.lesson().outputs().all_series().empty() || !s.lesson().outputs().all_arrays().empty()));
    for (const Series& se : s.lesson().outputs().all_series()) {
      CAPTURE(se.key);
      CHECK(se.values.size() == se.columns.size());
      for (const auto& col : se.values) CHECK(col.size() == se.values[0].size());
    }
    for (const Array& a : s.lesson().outputs().all_arrays()) {
      CAPTURE(a.key);
      CHECK(int64_t(a.f64 ? a.d.size() : a.f.size()) == a.size());
    }
  }
}

TEST_CASE("every lesson resets, steps and reports finite metrics") {
  for (const LessonInfo& li : lesson_infos()) {
    CAPTURE(li.id);
    Session s;
    std::string msg;
    REQUIRE(s.open(li.id, msg));
    make_small(s);
    s.reset(3);
    int steps = 0;
    for (int i = 0; i < 3; ++i) steps += s.advance(1, 1e9);
    CHECK(steps >= 1);
    MetricList metrics = s.current_metrics();
    CHECK(!metrics.items().empty());
    for (const Metric& m : metrics.items()) {
      CAPTURE(m.key);
      // Mid-run, a metric declared may-be-undefined (a step count to a target
      // not reached yet, a check done when the run ends) may still be NaN.
      if (!m.timing && !may_be_undefined(s.metric_docs(), m.key)) CHECK(std::isfinite(m.value));
    }
    // Continuous lessons finish a measuring run on their own; then their
    // timings exist too.
    if (li.stepping == Stepping::continuous) {
      for (int i = 0; i < 100000 && !s.lesson().done(); ++i) s.advance(1, 1e9);
      CHECK(s.lesson().done());
      const MetricList finished = s.current_metrics();
      for (const Metric& m : finished.items()) {
        CAPTURE(m.key);
        if (!may_be_undefined(s.metric_docs(), m.key)) CHECK(std::isfinite(m.value));
      }
    }
    CHECK(s.lesson().problem().empty());
  }
}

TEST_CASE("the host draws every knob and view; drawing changes no metric and no output") {
  HeadlessImGui imgui(1366, 6000);  // tall: every view is in sight
  for (const LessonInfo& li : lesson_infos()) {
    CAPTURE(li.id);
    Session s;
    std::string msg;
    REQUIRE(s.open(li.id, msg));
    make_small(s);
    s.reset(4);
    s.advance(2, 1e9);
    const std::string before = lesson_test::deterministic_metrics(s);
    const uint64_t outputs_before = lesson_test::outputs_hash(s.lesson());
    LayoutRecord layout;
    for (int frame = 0; frame < 3; ++frame) layout = imgui.draw(s);  // sizes settle over a frame
    CHECK(lesson_test::deterministic_metrics(s) == before);
    CHECK(lesson_test::outputs_hash(s.lesson()) == outputs_before);
    CHECK(!layout.narrow);
    for (const ParamSpec& p : s.params().specs()) CHECK_MESSAGE(find(layout.knobs, p.key) != nullptr, p.key);
    REQUIRE(layout.views.size() == s.views().size());
    for (size_t i = 0; i < s.views().size(); ++i) {
      CHECK(layout.views[i].first == s.views()[i].id);
      CHECK(layout.views[i].second.h > 20);
    }
    CHECK(layout.has_text);
  }
}

TEST_CASE("laptop, phone and demo layouts: knobs beside the main view, the view first on a phone, no prose in demo") {
  HeadlessImGui imgui;
  for (const LessonInfo& li : lesson_infos()) {
    CAPTURE(li.id);
    Session s;
    std::string msg;
    REQUIRE(s.open(li.id, msg));
    make_small(s);
    s.reset(4);
    // 1366x768: every knob and the main view at once, inside the screen.
    imgui.resize(1366, 768);
    LayoutRecord l;
    for (int f = 0; f < 3; ++f) l = imgui.draw(s);
    REQUIRE(!l.views.empty());
    CHECK(l.views[0].first == s.views()[0].id);
    CHECK(inside(l.views[0].second, 1366, 768));
    CHECK(l.views[0].second.h > 150);
    for (const ParamSpec& p : s.params().specs()) {
      const LayoutRect* r = find(l.knobs, p.key);
      REQUIRE_MESSAGE(r != nullptr, p.key);
      CHECK_MESSAGE(inside(*r, 1366, 768), p.key);
    }
    CHECK(l.has_text);
    // 390x844 (a phone): one column, the main view above the first knob.
    imgui.resize(390, 844);
    for (int f = 0; f < 3; ++f) l = imgui.draw(s);
    CHECK(l.narrow);
    REQUIRE(!l.views.empty());
    REQUIRE(!l.knobs.empty());
    CHECK(l.views[0].first == s.views()[0].id);
    CHECK(l.views[0].second.y + l.views[0].second.h <= l.knobs[0].second.y);
    // view=demo: the knobs and views, no text.
    REQUIRE(s.set("view", "demo", msg));
    imgui.resize(1366, 768);
    for (int f = 0; f < 3; ++f) l = imgui.draw(s);
    CHECK(!l.has_text);
    CHECK(!l.views.empty());
    CHECK(l.knobs.size() == s.params().specs().size());
  }
}

TEST_CASE("same seed, same numbers; another seed, other numbers") {
  for (const LessonInfo& li : lesson_infos()) {
    CAPTURE(li.id);
    auto run = [&](uint64_t seed) {
      Session s;
      std::string msg;
      s.open(li.id, msg);
      make_small(s);
      s.reset(seed);
      s.advance(2, 1e9);
      return lesson_test::deterministic_metrics(s) + std::to_string(lesson_test::outputs_hash(s.lesson()));
    };
    const std::string a = run(5);
    CHECK(a == run(5));
    CHECK(a != run(6));
  }
}

TEST_CASE("page options go through the same path as knobs, with messages for bad values") {
  Session s;
  std::string msg;
  CHECK(s.set("view", "demo", msg));
  CHECK(s.view_mode == ViewMode::demo);
  bool ok = false;
  CHECK(s.get("view", ok) == "demo");
  CHECK(ok);
  CHECK(s.state_string().find("view=demo") != std::string::npos);
  CHECK(!s.set("view", "<script>", msg));
  CHECK(msg.find("not one of") != std::string::npos);
  CHECK(s.view_mode == ViewMode::demo);  // a bad value keeps the current one
  CHECK(s.apply_state(std::string(s.info().id) + "?view=full").empty());
  CHECK(s.view_mode == ViewMode::full);
  CHECK(!s.apply_state(std::string(s.info().id) + "?view=zzz").empty());
  CHECK(s.view_mode == ViewMode::full);
  CHECK(s.set("theme", "light", msg));
  CHECK(s.light_theme);
  CHECK(!s.set("embed", "maybe", msg));
}

// ------------------------------------------------------------------ glyphs
namespace {
// Code points of UTF-8 text (malformed bytes give U+FFFD).
std::vector<uint32_t> code_points(const std::string& s) {
  std::vector<uint32_t> out;
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    const int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > s.size()) {
      out.push_back(0xFFFD);
      ++i;
      continue;
    }
    uint32_t cp = len == 1 ? c : c & (0x7F >> len);
    for (int k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    out.push_back(cp);
    i += size_t(len);
  }
  return out;
}
bool in_font(uint32_t cp) {
  for (const ImWchar* r = ui::glyph_ranges(); r[0]; r += 2)
    if (cp >= r[0] && cp <= r[1]) return true;
  return cp == '\n';
}
}  // namespace

TEST_CASE("every character a lesson declares is in the UI font (no '?' boxes on the panel)") {
  for (const LessonInfo& li : lesson_infos()) {
    CAPTURE(li.id);
    Session s;
    std::string msg;
    REQUIRE(s.open(li.id, msg));
    std::vector<std::string> texts = {li.title, li.authors, li.summary};
    for (const ParamSpec& p : s.params().specs()) {
      texts.push_back(p.label);
      texts.push_back(p.help);
      for (const std::string& c : p.choices) texts.push_back(c);
    }
    for (const ViewSpec& v : s.views()) texts.push_back(v.title);
    for (const MetricDoc& m : s.metric_docs()) texts.push_back(m.meaning);
    for (const Preset& p : s.presets()) texts.push_back(p.label);
    for (const Section& sec : s.text().sections())
      for (const Block& b : sec.blocks)
        for (const std::string* t : {&b.text, &b.row.quantity, &b.row.paper, &b.row.setting}) texts.push_back(*t);
    for (const std::string& t : texts)
      for (uint32_t cp : code_points(t)) {
        char hex[16];
        std::snprintf(hex, sizeof hex, "U+%04X", unsigned(cp));
        CAPTURE(t);
        CHECK_MESSAGE(in_font(cp), hex, " is not in ui::glyph_ranges()");
      }
  }
}

TEST_CASE("scripts/make_font subsets the font to exactly ui::glyph_ranges()") {
  std::FILE* f = std::fopen("scripts/make_font", "rb");
  if (!f) f = std::fopen("../../scripts/make_font", "rb");  // run from build/native
  REQUIRE(f != nullptr);
  std::string text;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) text.append(buf, n);
  std::fclose(f);
  const size_t at = text.find("--unicodes=\"");
  REQUIRE(at != std::string::npos);
  const std::string list = text.substr(at + 12, text.find('"', at + 12) - at - 12);
  std::string expected;
  char item[32];
  for (const ImWchar* r = ui::glyph_ranges(); r[0]; r += 2) {
    std::snprintf(item, sizeof item, "%sU+%04X-%04X", expected.empty() ? "" : ",", unsigned(r[0]), unsigned(r[1]));
    expected += item;
  }
  CHECK(list == expected);
}
