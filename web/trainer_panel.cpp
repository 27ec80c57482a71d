// trainer_panel.cpp - see trainer_panel.h.
#include "web/trainer_panel.h"

#include <cmath>
#include <cstdio>

#include "web/plots.h"

namespace ui {

void trainer_curves(const nn::Trainer& trainer, float height) {
  const float h = height > 0 ? height : ImGui::GetFontSize() * 13.0f;
  const float w = (ImGui::GetContentRegionAvail().x - ImGui::GetStyle().ItemSpacing.x) * 0.5f;
  {
    plot::LinePlot loss("##train_loss", ImVec2(w, h));
    loss.axes("step", "training loss (mini-batch)", true);
    for (int r = 0; r < trainer.num_runs(); ++r) {
      const nn::Run& run = trainer.run(r);
      loss.line(run.name.c_str(), run.train_loss.steps(), run.train_loss.values(), run.train_loss.size(), plot::palette(r));
    }
    loss.draw();
  }
  ImGui::SameLine();
  {
    plot::LinePlot acc("##test_acc", ImVec2(w, h));
    acc.axes("step", "test accuracy");
    acc.y_range(0.0, 1.02);
    for (int r = 0; r < trainer.num_runs(); ++r) {
      const nn::Run& run = trainer.run(r);
      acc.line(run.name.c_str(), run.test_accuracy.steps(), run.test_accuracy.values(), run.test_accuracy.size(), plot::palette(r));
    }
    acc.draw();
  }
}

void trainer_summary(const nn::Trainer& trainer) {
  const ImGuiTableFlags flags = ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingStretchProp;
  if (!ImGui::BeginTable("##runs", 5, flags)) return;
  char topk[32];
  std::snprintf(topk, sizeof topk, "top-%d accuracy", trainer.config().top_k);
  ImGui::TableSetupColumn("model");
  ImGui::TableSetupColumn("test accuracy");
  ImGui::TableSetupColumn(topk);
  ImGui::TableSetupColumn("loss (smoothed)");
  ImGui::TableSetupColumn("state", ImGuiTableColumnFlags_WidthFixed, ImGui::CalcTextSize("diverged").x * 1.3f);
  ImGui::TableHeadersRow();
  ImGui::PushTextWrapPos(-1.0f);  // cells never wrap (a panel-wide wrap position would break them per letter)
  for (int r = 0; r < trainer.num_runs(); ++r) {
    const nn::Run& run = trainer.run(r);
    ImGui::TableNextRow();
    ImGui::TableSetColumnIndex(0);
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(plot::palette(r)), "%s", run.name.c_str());
    ImGui::TableSetColumnIndex(1);
    if (run.last_eval.samples > 0) ImGui::Text("%.2f%%", 100.0 * run.last_eval.accuracy);
    else ImGui::TextDisabled("-");
    ImGui::TableSetColumnIndex(2);
    if (run.last_eval.samples > 0) ImGui::Text("%.2f%%", 100.0 * run.last_eval.top_k_accuracy);
    else ImGui::TextDisabled("-");
    ImGui::TableSetColumnIndex(3);
    ImGui::Text("%.4g", double(run.smoothed_loss));
    ImGui::TableSetColumnIndex(4);
    if (run.diverged) ImGui::TextColored(ImVec4(1, 0.4f, 0.4f, 1), "diverged");
    else ImGui::TextDisabled("%s", trainer.state() == nn::Trainer::State::finished ? "finished" : "training");
  }
  ImGui::PopTextWrapPos();
  ImGui::EndTable();
}

void confusion_matrix(const char* id, const nn::EvalResult& eval, ImVec2 size) {
  if (eval.samples == 0 || eval.classes == 0) {
    ImGui::TextDisabled("(no evaluation yet)");
    return;
  }
  // Row-normalized: each true class's predictions sum to 1.
  static float cells[64 * 64];
  const int k = eval.classes > 64 ? 64 : eval.classes;
  for (int t = 0; t < k; ++t) {
    int total = 0;
    for (int p = 0; p < k; ++p) total += eval.confusion_at(t, p);
    for (int p = 0; p < k; ++p) cells[t * k + p] = total ? float(eval.confusion_at(t, p)) / total : 0.0f;
  }
  plot::HeatmapStyle style;
  style.vmin = 0, style.vmax = 1;
  plot::heatmap(id, size, cells, k, k, style);
}

void DecisionRegions::draw(nn::Trainer& trainer, float height, int refresh_steps) {
  const data::Dataset& test = trainer.test_data();
  const int runs = trainer.num_runs();
  if (test.dim != 2 || runs == 0) return;
  if (computed_at_ < 0 || computed_runs_ != runs || trainer.steps_done() - computed_at_ >= refresh_steps ||
      (trainer.state() != nn::Trainer::State::running && computed_at_ != trainer.steps_done())) {
    // The grid covers the data with a margin (computed once per reset).
    if (computed_at_ < 0 || computed_runs_ != runs) {
      float x0 = 1e30f, x1 = -1e30f, y0 = 1e30f, y1 = -1e30f;
      for (int i = 0; i < test.n; ++i) {
        x0 = std::fmin(x0, test.x[2 * i]), x1 = std::fmax(x1, test.x[2 * i]);
        y0 = std::fmin(y0, test.x[2 * i + 1]), y1 = std::fmax(y1, test.x[2 * i + 1]);
      }
      const float pad = 0.12f * std::fmax(x1 - x0, y1 - y0);
      grid_.x_min = x0 - pad, grid_.x_max = x1 + pad, grid_.y_min = y0 - pad, grid_.y_max = y1 + pad;
      grid_.nx = grid_.ny = kGrid;
      cls_.assign(runs, std::vector<int>(kGrid * kGrid));
      confidence_.assign(runs, std::vector<float>(kGrid * kGrid));
    }
    for (int r = 0; r < runs; ++r) trainer.decision_grid(r, grid_, cls_[r].data(), confidence_[r].data());
    computed_at_ = trainer.steps_done();
    computed_runs_ = runs;
  }
  const float spacing = ImGui::GetStyle().ItemSpacing.x;
  const float w = (ImGui::GetContentRegionAvail().x - spacing * (runs - 1)) / runs;
  const float h = height > 0 ? height : std::fmin(w, ImGui::GetFontSize() * 22.0f);
  for (int r = 0; r < runs; ++r) {
    if (r > 0) ImGui::SameLine();
    ImGui::BeginGroup();
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(plot::palette(r)), "%s", trainer.run(r).name.c_str());
    ImGui::PushID(r);
    plot::decision_regions("##regions", ImVec2(w, h), cls_[r].data(), confidence_[r].data(), kGrid, grid_.x_min,
                           grid_.x_max, grid_.y_min, grid_.y_max, test.x.data(), test.y.data(), test.n);
    ImGui::PopID();
    ImGui::EndGroup();
  }
}

void trainer_overview(nn::Trainer& trainer, DecisionRegions& regions, float matrix_side_em) {
  trainer_summary(trainer);
  trainer_curves(trainer);
  if (trainer.test_data().dim == 2) {
    regions.draw(trainer);
    return;
  }
  const float w = (ImGui::GetContentRegionAvail().x - ImGui::GetStyle().ItemSpacing.x * (trainer.num_runs() - 1)) /
                  float(trainer.num_runs() > 0 ? trainer.num_runs() : 1);
  const float side = std::fmin(w, ImGui::GetFontSize() * matrix_side_em);
  for (int r = 0; r < trainer.num_runs(); ++r) {
    if (r) ImGui::SameLine();
    ImGui::BeginGroup();
    ImGui::Text("%s: confusion matrix (test)", trainer.run(r).name.c_str());
    ImGui::PushID(r);
    confusion_matrix("##confusion", trainer.run(r).last_eval, ImVec2(side, side));
    ImGui::PopID();
    ImGui::EndGroup();
  }
}

}  // namespace ui
