// cli_main.cpp - playground-cli: every lesson, headless (main() is in web/cli.cpp;
// the fuzz harness calls cli_main directly).
//
//   playground-cli list [--json]
//   playground-cli run <id> [--steps N] [--seed S] [--set key=value ...] [--json] [--export DIR]
//   playground-cli doc <id>      the lesson as Markdown (walkthrough, knobs, metrics, outputs)
//
// Runs the same Session the page and the tests use, so a number printed here
// is the number the browser shows for the same seed and knobs (timings aside).
// Bad input: exit code 2 and one line on stderr naming the problem.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "web/cli_main.h"

#include "lessons/strings.h"
#include "web/export.h"
#include "web/session.h"
#include "web/text_views.h"

namespace {

int usage_error(const std::string& message) {
  std::fprintf(stderr, "playground-cli: %s\n", message.c_str());
  return 2;
}

void print_usage() {
  std::printf(
      "usage:\n"
      "  playground-cli list [--json]\n"
      "  playground-cli run <id> [--steps N] [--seed S] [--set key=value ...] [--json] [--export DIR]\n"
      "  playground-cli doc <id>\n"
      "Without --steps, run continues until the lesson's run is complete.  --json prints exact\n"
      "numbers (%%.17g); --export writes run.json, <series>.csv and <array>.npy into DIR.\n");
}

int list(bool json) {
  if (json) {
    std::printf("%s\n", pg::lessons_json().c_str());
    return 0;
  }
  for (const pg::LessonInfo& li : pg::lesson_infos())
    std::printf("%-24s %-8s %s (%s, %d)\n", li.id, pg::kind_name(li.kind), li.title, li.authors, li.year);
  return 0;
}

int run(const std::vector<std::string>& args) {
  if (args.empty() || args[0].rfind("--", 0) == 0) return usage_error("run: missing lesson id (see 'playground-cli list')");
  pg::Session session;
  std::string message;
  if (!session.open(args[0], message)) return usage_error(message);
  bool json = false;
  std::string export_dir;
  long long steps = -1;
  uint64_t seed = 1;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](const char* flag) -> const std::string* {
      if (i + 1 >= args.size()) return nullptr;
      (void)flag;
      return &args[++i];
    };
    if (a == "--json") {
      json = true;
    } else if (a == "--export") {
      const std::string* v = value("--export");
      if (!v || v->empty()) return usage_error("--export: missing directory");
      export_dir = *v;
    } else if (a == "--steps") {
      const std::string* v = value("--steps");
      double d;
      if (!v || !pg::parse_number(*v, d) || d < 0 || d > 1e9 || d != (long long)d)
        return usage_error("--steps: expected a whole number from 0 to 1000000000");
      steps = (long long)d;
    } else if (a == "--seed") {
      const std::string* v = value("--seed");
      if (!v) return usage_error("--seed: missing value");
      if (!pg::Session::parse_seed(*v, seed, message)) return usage_error(message);
    } else if (a == "--set") {
      const std::string* v = value("--set");
      if (!v) return usage_error("--set: expected key=value");
      const size_t eq = v->find('=');
      if (eq == std::string::npos || eq == 0) return usage_error("--set: expected key=value, got '" + pg::printable(*v) + "'");
      const std::string key = v->substr(0, eq);
      if (!session.params().find(key))
        return usage_error("--set: unknown parameter '" + pg::printable(key) + "' for " + args[0]);
      if (!session.params().set_text(key, v->substr(eq + 1), message)) return usage_error("--set " + message);
      if (!message.empty()) std::fprintf(stderr, "playground-cli: note: %s\n", message.c_str());
    } else {
      return usage_error("run: unknown argument '" + pg::printable(a) + "'");
    }
  }
  session.reset(seed);
  // Without --steps: until the lesson says its run is complete (capped).
  const long long target = steps >= 0 ? steps : 100000000LL;
  while (session.steps_done() < target && !session.lesson().done()) {
    const long long left = target - session.steps_done();
    if (session.advance(int(left > 1000000 ? 1000000 : left), 1e12) == 0) break;
  }
  if (!export_dir.empty()) {
    std::string error;
    if (!pg::export_run(session, export_dir, error)) {
      std::fprintf(stderr, "playground-cli: %s\n", error.c_str());
      return 1;
    }
  }
  if (json) {
    std::printf("%s\n", session.run_json(/*exact=*/true).c_str());
  } else {
    pg::MetricList metrics;
    session.lesson().metrics(metrics);
    std::printf("%s  seed %llu  steps %lld\n", session.info().id, (unsigned long long)session.seed(),
                (long long)session.steps_done());
    for (const pg::Metric& m : metrics.items()) std::printf("  %-36s %.6g%s\n", m.key.c_str(), m.value, m.timing ? "  (timing)" : "");
    const std::string problem = session.lesson().problem();
    if (!problem.empty()) std::printf("  problem: %s\n", problem.c_str());
  }
  return 0;  // a diverged run is a result (reported as "problem"), not a usage error
}

}  // namespace

namespace pg {
int cli_main(const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    print_usage();
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "list") {
    if (args.size() > 2 || (args.size() == 2 && args[1] != "--json")) return usage_error("list: only --json is accepted");
    return list(args.size() == 2);
  }
  if (args[0] == "run") return run(std::vector<std::string>(args.begin() + 1, args.end()));
  if (args[0] == "doc") {
    if (args.size() != 2) return usage_error("doc: expected one lesson id (see 'playground-cli list')");
    pg::Session session;
    std::string message;
    if (!session.open(args[1], message)) return usage_error(message);
    std::fputs(pg::lesson_markdown(session).c_str(), stdout);
    return 0;
  }
  return usage_error("unknown command '" + pg::printable(args[0]) + "' (use list, run or doc)");
}
}  // namespace pg
