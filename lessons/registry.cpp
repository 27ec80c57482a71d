// registry.cpp - the lessons, in catalogue order.  Each lesson file registers
// itself (PG_REGISTER_LESSON at its end), so adding a lesson is one file; the
// gallery, the URL routing, the CLI, the JS API and the "every lesson" tests
// all iterate over this table.  The `lessons` library is a CMake OBJECT
// library so that no lesson's object file is dropped by the linker.
#include <algorithm>

#include "lessons/lesson.h"

namespace pg {

namespace {
std::vector<LessonEntry>& table() {
  static std::vector<LessonEntry> entries;
  return entries;
}
bool g_sorted = false;
}  // namespace

bool register_lesson(std::unique_ptr<Lesson> (*create)(), int order) {
  table().push_back({create, order});
  g_sorted = false;
  return true;
}

const std::vector<LessonEntry>& lesson_registry() {
  if (!g_sorted) {
    // Static initialization order across files is unspecified: sort by the
    // declared order (ties are a registration bug the registry test catches).
    std::stable_sort(table().begin(), table().end(),
                     [](const LessonEntry& a, const LessonEntry& b) { return a.order < b.order; });
    g_sorted = true;
  }
  return table();
}

const std::vector<LessonInfo>& lesson_infos() {
  static const std::vector<LessonInfo> infos = [] {
    std::vector<LessonInfo> out;
    for (const LessonEntry& e : lesson_registry()) out.push_back(e.create()->info());
    return out;
  }();
  return infos;
}

int find_lesson(const std::string& id) {
  const auto& infos = lesson_infos();
  for (size_t i = 0; i < infos.size(); ++i)
    if (id == infos[i].id) return int(i);
  return -1;
}

bool Lesson::replace_outputs(const Outputs& from) {
  if (!outputs_.copy_values_from(from)) return false;
  outputs_replaced();
  return true;
}

}  // namespace pg
