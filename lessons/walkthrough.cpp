// walkthrough.cpp - see walkthrough.h.
#include "lessons/walkthrough.h"

#include <cmath>
#include <cstdio>

#include "lessons/lesson.h"

namespace pg {

Walkthrough& Walkthrough::section(const char* title) {
  for (size_t i = 0; i < sections_.size(); ++i)
    if (sections_[i].title == title) {  // continue an earlier section of that name
      current_ = int(i);
      return *this;
    }
  sections_.push_back({title, {}});
  current_ = int(sections_.size()) - 1;
  return *this;
}

Block& Walkthrough::add(BlockKind kind, std::string text) {
  if (sections_.empty()) section("");
  Block b;
  b.kind = kind;
  b.text = std::move(text);
  std::vector<Block>& blocks = sections_[size_t(current_)].blocks;
  blocks.push_back(std::move(b));
  return blocks.back();
}

Walkthrough& Walkthrough::paragraph(std::string text) { return add(BlockKind::paragraph, std::move(text)), *this; }
Walkthrough& Walkthrough::equation(std::string text) { return add(BlockKind::equation, std::move(text)), *this; }
Walkthrough& Walkthrough::bullet(std::string text) { return add(BlockKind::bullet, std::move(text)), *this; }
Walkthrough& Walkthrough::note(std::string text) { return add(BlockKind::note, std::move(text)), *this; }
Walkthrough& Walkthrough::warning(std::string text) { return add(BlockKind::warning, std::move(text)), *this; }

Walkthrough& Walkthrough::paper(std::string quantity, std::string paper_value, std::string metric, std::string format,
                                std::string setting, double scale) {
  Block& b = add(BlockKind::paper_row, "");
  b.row = {std::move(quantity), std::move(paper_value), std::move(metric), std::move(format), std::move(setting), scale};
  return *this;
}

Walkthrough& Walkthrough::when(std::function<bool()> condition) {
  if (!sections_.empty() && !sections_[size_t(current_)].blocks.empty())
    sections_[size_t(current_)].blocks.back().when = std::move(condition);
  return *this;
}

namespace {

// A printf format for one double: one conversion (e, f, g, a; any flags,
// width, precision), anything else literal.  Formats are the lesson's own,
// but a malformed one must not reach snprintf.
bool safe_format(const std::string& fmt) {
  int conversions = 0;
  for (size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] != '%') continue;
    if (i + 1 < fmt.size() && fmt[i + 1] == '%') {
      ++i;
      continue;
    }
    size_t j = i + 1;
    while (j < fmt.size() && std::string("+- #0123456789.").find(fmt[j]) != std::string::npos) ++j;
    if (j >= fmt.size() || std::string("eEfFgGaA").find(fmt[j]) == std::string::npos) return false;
    ++conversions;
    i = j;
  }
  return conversions == 1;
}

std::string format_value(double v, const std::string& fmt) {
  if (!std::isfinite(v)) return "–";
  char buf[96];
  std::snprintf(buf, sizeof buf, safe_format(fmt) ? fmt.c_str() : "%.4g", v);
  return buf;
}

// Calls f(key, format) for each placeholder and out(text) for literal runs.
template <typename Literal, typename Placeholder>
void scan(const std::string& text, Literal literal, Placeholder placeholder) {
  size_t i = 0;
  while (i < text.size()) {
    const size_t open = text.find('{', i);
    if (open == std::string::npos) {
      literal(text.substr(i));
      return;
    }
    literal(text.substr(i, open - i));
    if (open + 1 < text.size() && text[open + 1] == '{') {
      literal("{");
      i = open + 2;
      continue;
    }
    const size_t close = text.find('}', open);
    if (close == std::string::npos) {
      literal(text.substr(open));
      return;
    }
    const std::string inner = text.substr(open + 1, close - open - 1);
    const size_t colon = inner.find(':');
    placeholder(inner.substr(0, colon), colon == std::string::npos ? std::string("%.4g") : inner.substr(colon + 1));
    i = close + 1;
  }
}

}  // namespace

std::string resolve_live_text(const std::string& text, const MetricList& metrics) {
  std::string out;
  scan(
      text, [&](const std::string& s) { out += s; },
      [&](const std::string& key, const std::string& fmt) {
        const Metric* m = metrics.find(key);
        out += format_value(m ? m->value : NAN, fmt);
      });
  return out;
}

std::vector<std::string> live_keys(const std::string& text) {
  std::vector<std::string> keys;
  scan(
      text, [](const std::string&) {}, [&](const std::string& key, const std::string&) { keys.push_back(key); });
  return keys;
}

std::string paper_live_text(const Block& block, const MetricList& metrics) {
  if (block.row.metric.empty()) return "";
  if (block.when && !block.when()) return "";
  const Metric* m = metrics.find(block.row.metric);
  if (!m || !std::isfinite(m->value)) return "";
  return format_value(m->value * block.row.scale, block.row.format);
}

}  // namespace pg
