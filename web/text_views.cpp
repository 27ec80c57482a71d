// text_views.cpp - see text_views.h.
#include "web/text_views.h"

#include <cmath>
#include <cstdio>

#include "imgui.h"
#include "lessons/strings.h"
#include "ui/panel.h"

namespace pg {
namespace {

bool shown(const Block& b) { return !b.when || b.when(); }

const char* kind_text(BlockKind k) {
  switch (k) {
    case BlockKind::paragraph: return "paragraph";
    case BlockKind::equation: return "equation";
    case BlockKind::bullet: return "bullet";
    case BlockKind::note: return "note";
    case BlockKind::warning: return "warning";
    case BlockKind::paper_row: return "paper";
  }
  return "paragraph";
}

}  // namespace

// ------------------------------------------------------------------- ImGui
void draw_walkthrough(const Walkthrough& text, const MetricList& metrics) {
  int box = 0;
  for (const Section& section : text.sections()) {
    ImGui::Spacing();
    if (!ImGui::CollapsingHeader(section.title.c_str(), ImGuiTreeNodeFlags_DefaultOpen)) continue;
    const std::vector<Block>& blocks = section.blocks;
    for (size_t i = 0; i < blocks.size(); ++i) {
      const Block& b = blocks[i];
      if (!shown(b) && b.kind != BlockKind::paper_row) continue;
      if (b.kind == BlockKind::paper_row) {
        // Consecutive rows make one table (a hidden row's condition only
        // blanks its live value: the paper's number is always shown).
        std::vector<std::string> live;
        std::vector<ui::PaperRowText> rows;
        size_t j = i;
        for (; j < blocks.size() && blocks[j].kind == BlockKind::paper_row; ++j) live.push_back(paper_live_text(blocks[j], metrics));
        for (size_t k = i; k < j; ++k) {
          const PaperRow& r = blocks[k].row;
          rows.push_back({r.quantity.c_str(), r.paper.c_str(), live[k - i].c_str(), r.setting.c_str()});
        }
        char id[32];
        std::snprintf(id, sizeof id, "##paper%d", box++);
        ui::paper_table(id, rows.data(), int(rows.size()));
        i = j - 1;
        continue;
      }
      const std::string t = resolve_live_text(b.text, metrics);
      switch (b.kind) {
        case BlockKind::paragraph: ImGui::TextWrapped("%s", t.c_str()); break;
        case BlockKind::equation: ui::equation(t.c_str()); break;
        case BlockKind::bullet: ui::bullet("%s", t.c_str()); break;
        case BlockKind::note: ui::note(t.c_str()); break;
        case BlockKind::warning: {
          char id[32];
          std::snprintf(id, sizeof id, "##warn%d", box++);
          ui::warning_box(id, t.c_str());
          break;
        }
        case BlockKind::paper_row: break;
      }
    }
  }
}

// -------------------------------------------------------------------- HTML
std::string walkthrough_json(Session& s) {
  const MetricList metrics = s.current_metrics();
  const LessonInfo& li = s.info();
  std::string out = "{\"id\":" + json_string(li.id) + ",\"title\":" + json_string(li.title) +
                    ",\"authors\":" + json_string(li.authors) + ",\"year\":" + std::to_string(li.year) +
                    ",\"arxiv\":" + json_string(li.arxiv) + ",\"code\":" + json_string(li.code_url) + ",\"sections\":[";
  bool first_section = true;
  for (const Section& section : s.text().sections()) {
    out += (first_section ? "" : ",") + std::string("{\"title\":") + json_string(section.title) + ",\"blocks\":[";
    first_section = false;
    bool first = true;
    for (const Block& b : section.blocks) {
      if (!shown(b) && b.kind != BlockKind::paper_row) continue;
      out += first ? "" : ",";
      first = false;
      if (b.kind == BlockKind::paper_row) {
        out += "{\"kind\":\"paper\",\"quantity\":" + json_string(b.row.quantity) + ",\"paper\":" + json_string(b.row.paper) +
               ",\"live\":" + json_string(paper_live_text(b, metrics)) + ",\"setting\":" + json_string(b.row.setting) + "}";
      } else {
        out += std::string("{\"kind\":\"") + kind_text(b.kind) + "\",\"text\":" +
               json_string(resolve_live_text(b.text, metrics)) + "}";
      }
    }
    out += "]}";
  }
  return out + "]}";
}

// ---------------------------------------------------------------- Markdown
namespace {

// Placeholders read as the metric's name in code font and its value now.
std::string markdown_live(const std::string& text, const MetricList& metrics) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    const size_t open = text.find('{', i);
    if (open == std::string::npos || open + 1 >= text.size()) {
      out += text.substr(i);
      break;
    }
    out += text.substr(i, open - i);
    if (text[open + 1] == '{') {
      out += "{";
      i = open + 2;
      continue;
    }
    const size_t close = text.find('}', open);
    if (close == std::string::npos) {
      out += text.substr(open);
      break;
    }
    const std::string inner = text.substr(open, close - open + 1);
    const std::string key = inner.substr(1, inner.find_first_of(":}") - 1);
    out += resolve_live_text(inner, metrics) + " (live: `" + key + "`)";
    i = close + 1;
  }
  return out;
}

std::string cell(const std::string& s) {
  std::string out;
  for (char c : s) out += c == '|' ? std::string("\\|") : c == '\n' ? std::string(" ") : std::string(1, c);
  return out;
}

}  // namespace

std::string lesson_markdown(Session& s) {
  const MetricList metrics = s.current_metrics();
  const LessonInfo& li = s.info();
  std::string md = "# " + std::string(li.title) + "\n\n";
  md += "- id: `" + std::string(li.id) + "`\n";
  md += "- paper: " + std::string(li.authors) + ", " + std::to_string(li.year);
  if (*li.arxiv) md += ", arXiv:" + std::string(li.arxiv) + " (https://arxiv.org/abs/" + li.arxiv + ")";
  md += "\n";
  if (*li.code_url) md += "- official code: " + std::string(li.code_url) + "\n";
  md += "- section: " + std::string(li.section) + "\n";
  md += "- kind: " + std::string(kind_name(li.kind)) + ", steps " +
        (li.stepping == Stepping::on_play ? "when the learner presses Play" : "on its own until its measurement is complete") +
        "\n- " + std::string(li.summary) + "\n";
  md += "\nLive values below are those of a fresh run (seed " + std::to_string(s.seed()) + ", " +
        std::to_string(s.steps_done()) + " steps) at the current knobs.\n";
  for (const Section& section : s.text().sections()) {
    md += "\n## " + section.title + "\n\n";
    bool in_table = false, in_list = false;
    for (const Block& b : section.blocks) {
      if (!shown(b) && b.kind != BlockKind::paper_row) continue;  // as in the panel: not in this setting
      if (b.kind != BlockKind::paper_row && in_table) md += "\n", in_table = false;
      if (b.kind != BlockKind::bullet && in_list) md += "\n", in_list = false;
      const std::string t = markdown_live(b.text, metrics);
      switch (b.kind) {
        case BlockKind::paragraph: md += t + "\n\n"; break;
        case BlockKind::equation: md += "    " + t + "\n\n"; break;
        case BlockKind::bullet: md += "- " + t + "\n", in_list = true; break;
        case BlockKind::note: md += "*" + t + "*\n\n"; break;
        case BlockKind::warning: md += "> **Note.** " + t + "\n\n"; break;
        case BlockKind::paper_row: {
          if (!in_table) md += "| quantity | paper reports | live, here | setting |\n|---|---|---|---|\n", in_table = true;
          const std::string live = paper_live_text(b, metrics);
          md += "| " + cell(b.row.quantity) + " | " + cell(b.row.paper) + " | " +
                (live.empty() ? std::string("not measured here") : cell(live)) +
                (b.row.metric.empty() ? "" : " (`" + b.row.metric + "`)") + " | " + cell(b.row.setting) + " |\n";
          break;
        }
      }
    }
    if (in_table || in_list) md += "\n";
  }
  md += "\n## Knobs\n\n| key | label | range | default | restarts | help |\n|---|---|---|---|---|---|\n";
  for (const ParamSpec& p : s.params().specs()) {
    std::string def = p.type == ParamType::choice ? p.choices[size_t(p.def)] : format_number(p.def);
    md += "| `" + p.key + "` | " + cell(p.label) + " | " + cell(s.params().range_text(p)) + " | " + def + " | " +
          (p.restarts ? "yes" : "no (live)") + " | " + cell(p.help) + " |\n";
  }
  md += "\n## Metrics\n\n| key | now | meaning |\n|---|---|---|\n";
  for (const MetricDoc& d : s.metric_docs()) {
    const Metric* m = metrics.find(d.key);
    md += "| `" + d.key + "` | " + (m ? format_number(m->value) + (m->timing ? " (timing)" : "") : std::string("")) + " | " +
          cell(d.meaning) + " |\n";
  }
  md += "\n## Views\n\n";
  for (size_t i = 0; i < s.views().size(); ++i)
    md += "- `" + s.views()[i].id + "`" + (i == 0 ? " (main)" : "") + ": " + s.views()[i].title + "\n";
  md += "\n## Outputs (`playground-cli run " + std::string(li.id) + " --export DIR`)\n\n";
  for (const Series& se : s.lesson().outputs().all_series()) {
    md += "- `" + se.key + ".csv`: ";
    for (size_t c = 0; c < se.columns.size(); ++c) md += (c ? ", " : "") + se.columns[c];
    md += "\n";
  }
  for (const Array& a : s.lesson().outputs().all_arrays()) {
    md += "- `" + a.key + ".npy`: " + (a.f64 ? "float64" : "float32") + " (";
    for (size_t k = 0; k < a.shape.size(); ++k) md += (k ? ", " : "") + std::to_string(a.shape[k]);
    md += a.shape.size() == 1 ? ",)\n" : ")\n";
  }
  return md;
}

}  // namespace pg
