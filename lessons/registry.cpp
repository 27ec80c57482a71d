// registry.cpp - the lessons, in catalogue order (LESSONS.md).  One line per
// lesson; the gallery, the URL routing, the CLI, the JS API and the
// "every lesson" tests all iterate over this table.  To add a lesson, write
// lessons/<id>.cpp with a make_<id>() factory and add one line here.
#include "lessons/lesson.h"

namespace pg {

std::unique_ptr<Lesson> make_two_pass_softmax();
std::unique_ptr<Lesson> make_icl_gd();
std::unique_ptr<Lesson> make_icl_multihead();
std::unique_ptr<Lesson> make_icl_softmax_regression();
std::unique_ptr<Lesson> make_transformers_as_svm();
std::unique_ptr<Lesson> make_cnn_svm();
std::unique_ptr<Lesson> make_z_loss();
std::unique_ptr<Lesson> make_elasticface();
std::unique_ptr<Lesson> make_cfcd_madacos();

const std::vector<LessonEntry>& lesson_registry() {
  static const std::vector<LessonEntry> table = {
      {make_two_pass_softmax},
      {make_icl_gd},
      {make_icl_multihead},
      {make_icl_softmax_regression},
      {make_transformers_as_svm},
      {make_cnn_svm},
      {make_z_loss},
      {make_elasticface},
      {make_cfcd_madacos},
  };
  return table;
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

}  // namespace pg
