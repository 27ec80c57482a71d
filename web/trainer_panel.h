// trainer_panel.h - panel sections shared by every lesson built on
// nn::Trainer (the loss lessons train two heads side by side): curves, a
// summary table, decision regions for 2-D data and a confusion matrix for
// images.  Lessons call these instead of drawing their own.
#pragma once
#include <vector>

#include "engine/nn/trainer.h"
#include "imgui.h"

namespace ui {

// Training loss (log scale) and test accuracy of every run, against steps.
void trainer_curves(const nn::Trainer& trainer, float height = 0);

// One row per run: test accuracy, top-k accuracy, last loss, state.
void trainer_summary(const nn::Trainer& trainer);

// The test-set confusion matrix of one run (rows: true class, columns: predicted).
void confusion_matrix(const char* id, const nn::EvalResult& eval, ImVec2 size);

// Decision regions of every run over the 2-D data, side by side.  The model
// is evaluated on a grid at most every `refresh_steps` steps (not every frame).
class DecisionRegions {
 public:
  void draw(nn::Trainer& trainer, float height = 0, int refresh_steps = 20);
  void invalidate() { computed_at_ = -1; }

 private:
  static constexpr int kGrid = 72;
  std::vector<std::vector<int>> cls_;
  std::vector<std::vector<float>> confidence_;
  nn::Grid grid_;
  int computed_at_ = -1;
  int computed_runs_ = 0;
};

// The standard results block of a side-by-side loss lesson: the summary
// table, the curves, then decision regions (2-D data) or one confusion matrix
// per run (images).
void trainer_overview(nn::Trainer& trainer, DecisionRegions& regions, float matrix_side_em = 17.0f);

}  // namespace ui
