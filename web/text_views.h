// text_views.h - the three readings of a lesson's declared walkthrough
// (lessons/walkthrough.h): the ImGui panel, the page's plain-HTML reading
// view (sent to web/shell.js as JSON and built there with textContent only),
// and the Markdown that `playground-cli doc <id>` prints.
#pragma once
#include <string>

#include "lessons/lesson.h"
#include "web/session.h"

namespace pg {

// The walkthrough in the current ImGui window, live numbers substituted.
void draw_walkthrough(const Walkthrough& text, const MetricList& metrics);

// {"id","title","authors","year","arxiv","code","sections":[{"title","blocks":
// [{"kind":"paragraph","text":...} | {"kind":"paper","quantity","paper","live","setting"}]}]}
std::string walkthrough_json(Session& session);

// The whole lesson as Markdown: id, paper, the walkthrough, the knobs with
// their help and ranges, the metrics with their meaning, the views, the
// outputs `--export` writes, and the paper's numbers.
std::string lesson_markdown(Session& session);

}  // namespace pg
