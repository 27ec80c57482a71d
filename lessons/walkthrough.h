// walkthrough.h - a lesson's text, declared once as data: sections of
// paragraphs, equation lines, bullets, notes, warnings and paper-vs-live rows.
// The same declaration is drawn by the ImGui panel, rendered as plain HTML on
// the page ("Read as text", screen readers, find-in-page) and printed as
// Markdown by `playground-cli doc`.
//
// Live numbers inside text are placeholders naming a metric, with an optional
// printf format:  "the naive formula gave {nonfinite_outputs_naive} non-finite
// outputs"  or  "{two_pass_speedup_vs_reload_pct:%+.0f}%".  The panel and the
// HTML view substitute the current value; a missing or NaN metric reads "–".
// A literal brace is written "{{".
//
//   void declare(Declaration& d) override {
//     d.text.section("The problem")
//         .paragraph("softmax(x)_i = e^(x_i) / Σ_j e^(x_j) ...")
//         .equation("μ = max_i x_i");
//     d.text.section("What the paper reports")
//         .paper("two-pass vs three-pass, AVX512", "up to 28% faster",
//                "two_pass_speedup_vs_reload_pct", "%+.0f%% vs reload",
//                "Paper: Skylake-X.  Live: this machine.");
//   }
#pragma once
#include <functional>
#include <string>
#include <vector>

namespace pg {

class MetricList;

enum class BlockKind { paragraph, equation, bullet, note, warning, paper_row };

// One row of "What the paper reports": the paper's number beside the live one.
struct PaperRow {
  std::string quantity;  // "MNIST test accuracy, CNN-softmax"
  std::string paper;     // as printed in the paper: "99.23%"
  std::string metric;    // the live metric's key ("" when nothing is measured live)
  std::string format;    // printf format of the live value: "%.2f%%"
  std::string setting;   // what differs between the paper and here
  double scale = 1;      // live value = metric * scale (fractions shown as percent)
};

struct Block {
  BlockKind kind = BlockKind::paragraph;
  std::string text;  // paragraph, equation, bullet, note, warning (may hold {metric} placeholders)
  PaperRow row;      // paper_row
  // Shown only when this returns true (e.g. a warning about the current
  // setting, or a paper row that applies to one data set).  Empty: always.
  std::function<bool()> when;
};

struct Section {
  std::string title;  // "The problem", "The method", "Try this", "What the paper reports"
  std::vector<Block> blocks;
};

class Walkthrough {
 public:
  // Starts a section (or continues one of the same title).
  Walkthrough& section(const char* title);
  Walkthrough& paragraph(std::string text);
  Walkthrough& equation(std::string text);
  Walkthrough& bullet(std::string text);
  Walkthrough& note(std::string text);     // muted: a remark, a caveat
  Walkthrough& warning(std::string text);  // boxed: a deviation from the paper, an unverified item
  Walkthrough& paper(std::string quantity, std::string paper_value, std::string metric, std::string format,
                     std::string setting, double scale = 1);
  // Attaches a condition to the block declared last.
  Walkthrough& when(std::function<bool()> condition);

  const std::vector<Section>& sections() const { return sections_; }
  bool empty() const { return sections_.empty(); }

 private:
  Block& add(BlockKind kind, std::string text);
  std::vector<Section> sections_;
  int current_ = 0;
};

// Text with its {metric[:format]} placeholders replaced by current values.
std::string resolve_live_text(const std::string& text, const MetricList& metrics);
// The metric keys a text refers to, in order (tests check they exist).
std::vector<std::string> live_keys(const std::string& text);
// A paper row's live value as text ("99.02%"), or "" when not measured
// (no metric, NaN, or the row's condition is false).
std::string paper_live_text(const Block& block, const MetricList& metrics);

}  // namespace pg
