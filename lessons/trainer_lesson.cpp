// trainer_lesson.cpp - see trainer_lesson.h.
#include "lessons/trainer_lesson.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "engine/data/registry.h"
#include "engine/data/toy.h"
#include "ui/panel.h"
#include "ui/plots.h"

namespace pg {

// Keys and names come from the data-set registry (engine/data/registry.h);
// the DatasetId values are registry indices.
static const char* key_of(int id) { return data::datasets()[id].key; }
static const char* name_of(int id) { return data::datasets()[id].name; }

const char* TrainerLesson::dataset_key(int id) { return key_of(id); }
const char* TrainerLesson::dataset_name() const { return name_of(dataset_); }
bool TrainerLesson::is_2d() const { return data::datasets()[dataset_].two_d; }

TrainerLesson::TrainerLesson()
    : loss_curve_(outputs_.series("train_loss", {"step"})),
      accuracy_curve_(outputs_.series("test_accuracy", {"step"})),
      test_x_(outputs_.array("test_x")),
      test_labels_(outputs_.array("test_labels")),
      test_predictions_(outputs_.array("test_predictions")),
      grid_class_(outputs_.array("grid_class")),
      grid_confidence_(outputs_.array("grid_confidence")),
      grid_extent_(outputs_.array("grid_extent")),
      confusion_(outputs_.array("confusion")),
      run_summary_(outputs_.array("run_summary")) {}

void TrainerLesson::declare_training(Declaration& d, int default_dataset, int default_steps, double default_lr,
                                     int first_dataset, int last_dataset, int min_batch, int default_batch) {
  // The choice lists only the lesson's range; dataset_ stays a global id.
  std::vector<int> ids;
  for (int i = first_dataset; i <= last_dataset; ++i) ids.push_back(i);
  declare_training(d, ids, default_dataset, default_steps, default_lr, min_batch, default_batch);
}

void TrainerLesson::declare_training(Declaration& d, const std::vector<int>& datasets, int default_dataset,
                                     int default_steps, double default_lr, int min_batch, int default_batch,
                                     const char* dataset_help) {
  ParamList& p = d.params;
  dataset_ids_ = datasets;
  std::vector<std::string> keys;
  int default_index = 0;
  for (size_t i = 0; i < datasets.size(); ++i) {
    keys.push_back(key_of(datasets[i]));
    if (datasets[i] == default_dataset) default_index = int(i);
  }
  p.choice("dataset", "data set", &dataset_choice_, keys, default_index,
           dataset_help ? dataset_help
                        : "2-D toys (blobs, moons, spirals, rings) show decision regions; the image sets (UCI 8x8 "
                          "digits, MNIST and Fashion-MNIST subsets) train a small network on real images.");
  p.integer("steps", "training steps", &steps_, 50, 20000, default_steps,
            "Length of the run: optimizer steps on mini-batches.  Both models take the same steps.", true);
  ParamSpec& lr = p.real("lr", "learning rate", &lr_, 1e-4, 1.0, default_lr,
                         "Adam's step size, for both models.  Changes apply live; very large values make "
                         "training diverge (the lesson stops and says so).",
                         true);
  lr.restarts = false;
  p.integer("batch", "batch size", &batch_, min_batch, 256, default_batch, "Examples per mini-batch.", true);
}

// ------------------------------------------------------------------- running
void TrainerLesson::reset(uint64_t seed) {
  seed_ = seed;
  dataset_ = dataset_ids_[dataset_choice_];
  built_ = false;
  final_eval_done_ = false;
  finished_ = false;
  pack_status_ = PackStatus();
  for (Series* s : {&loss_curve_, &accuracy_curve_}) {
    s->columns = {"step"};
    s->values.assign(1, {});
  }
  for (Array* a : {&test_x_, &test_labels_, &test_predictions_, &grid_class_, &grid_confidence_, &grid_extent_, &confusion_})
    a->set({0}, static_cast<const float*>(nullptr));
  run_summary_.set({0, kSummaryColumns}, static_cast<const double*>(nullptr));
  for (std::string& name : run_names_) name.clear();
  if (data::datasets()[dataset_].source == data::DatasetSource::generated) {
    build(nullptr);
    return;
  }
  pack_status_ = request_pack(key_of(dataset_));
  if (pack_status_.state == PackState::ready) build(pack_status_.pack);
}

void TrainerLesson::build(const data::Pack* pack) {
  data::Dataset train, test;
  const data::DatasetInfo& info = data::datasets()[dataset_];
  if (pack) {
    data::pack_to_datasets(*pack, train, test);
  } else {
    data::DatasetOptions options;
    if (dataset_ <= kRings) {
      // The toys' knobs start at the registry defaults (900 points, 3
      // classes, noise 0.25 for blobs, 0.05 otherwise); configure_toy may change them.
      data::ToyConfig cfg;
      cfg.kind = data::ToyKind(dataset_);
      cfg.n = int(info.knob(options, "n"));
      cfg.classes = int(info.knob(options, "classes"));
      cfg.noise = float(info.knob(options, "noise"));
      configure_toy(cfg);
      options.set("n", cfg.n);
      options.set("classes", cfg.classes);
      options.set("noise", cfg.noise);
    }
    configure_dataset(options);
    info.make(options, seed_, train, test);
  }
  prepare_data(train, test);
  nn::TrainerConfig config;
  config.seed = seed_;
  config.batch_size = batch_;
  config.max_steps = steps_;
  config.eval_every = pack ? 100 : 25;
  config.eval_samples = pack ? 1000 : 0;
  config.top_k = pack ? 3 : 2;
  nn::OptimizerConfig adam;
  adam.kind = nn::OptimizerKind::adam;
  adam.lr = float(lr_);
  configure_trainer(config, adam);
  top_k_ = config.top_k;
  const nn::ModelSpec spec = model_for(train);
  trainer_.reset(std::move(train), std::move(test), config);
  add_runs(spec, adam);
  if (trainer_.num_runs() == 0 || !trainer_.error().empty()) {
    // A data set the runs cannot train on (e.g. a pack with no training
    // images): a problem of this lesson, never an index into no runs.
    pack_status_.state = PackState::failed;
    pack_status_.message = trainer_.error().empty() ? "no model could be built for this data set" : trainer_.error();
    return;
  }
  trainer_.evaluate_all(config.eval_samples);  // chance-level accuracy at step 0
  built_ = true;

  // Output shapes for this data set and these runs.
  const data::Dataset& t = trainer_.test_data();
  const int runs = std::min(trainer_.num_runs(), kMaxRuns), C = t.classes;
  for (int r = 0; r < runs; ++r) run_names_[r] = trainer_.run(r).name;
  run_summary_.set({runs, kSummaryColumns}, std::vector<double>(size_t(runs) * kSummaryColumns, NAN).data());
  for (Series* s : {&loss_curve_, &accuracy_curve_}) {
    s->columns = {"step"};
    for (int r = 0; r < runs; ++r) s->columns.push_back(trainer_.run(r).name);
    s->values.assign(size_t(runs) + 1, {});
    s->values[0].reserve(size_t(config.curve_capacity));
  }
  test_labels_int_ = t.y;
  std::vector<float> labels(t.y.begin(), t.y.end());
  test_labels_.set({t.n}, labels.data());
  test_predictions_.set({runs, t.n}, std::vector<float>(size_t(runs) * t.n, -1.0f).data());
  confusion_.set({runs, C, C}, std::vector<float>(size_t(runs) * C * C, 0.0f).data());
  if (t.dim == 2) {
    test_x_.set({t.n, 2}, t.x.data());
  }
  if (t.dim == 2 && regions_declared_) {
    // The grid covers the data with a margin.
    float x0 = 1e30f, x1 = -1e30f, y0 = 1e30f, y1 = -1e30f;
    for (int i = 0; i < t.n; ++i) {
      x0 = std::fmin(x0, t.x[2 * i]), x1 = std::fmax(x1, t.x[2 * i]);
      y0 = std::fmin(y0, t.x[2 * i + 1]), y1 = std::fmax(y1, t.x[2 * i + 1]);
    }
    const float pad = 0.12f * std::fmax(x1 - x0, y1 - y0);
    const float extent[4] = {x0 - pad, x1 + pad, y0 - pad, y1 + pad};
    grid_extent_.set({4}, extent);
    const std::vector<float> zeros(size_t(runs) * kGrid * kGrid, 0.0f);
    grid_class_.set({runs, kGrid, kGrid}, zeros.data());
    grid_confidence_.set({runs, kGrid, kGrid}, zeros.data());
    grid_cls_int_.assign(size_t(runs) * kGrid * kGrid, 0);
  }
  const int chunk = std::max(1, std::min(t.n, trainer_.batch_size()));
  scratch_x_.assign(size_t(chunk) * t.dim, 0.0f);
  scratch_idx_.assign(size_t(chunk), 0);

  after_reset();
  refresh_standard_outputs();
  refresh_outputs();
  refresh_standard_views();
  refresh_views();
}

nn::ModelSpec TrainerLesson::model_for(const data::Dataset& d) const {
  if (d.dim == 2) return nn::mlp(2, {64, 64}, d.classes);
  if (d.dim <= 64) return nn::mlp(d.dim, {64}, d.classes);
  return nn::mlp(d.dim, {128}, d.classes);
}

void TrainerLesson::poll() {
  if (built_ || pack_status_.state != PackState::loading) return;
  pack_status_ = request_pack(key_of(dataset_));
  if (pack_status_.state == PackState::ready) build(pack_status_.pack);
}

int TrainerLesson::step(int max_steps, double budget_ms) {
  if (!built_) {
    poll();
    return 0;
  }
  // Train in slices that end on multiples of `every`, so the views are
  // refreshed at the same steps whatever the frame budget was.
  const int every = std::max(1, view_refresh_steps());
  using clock = std::chrono::steady_clock;
  const clock::time_point start = clock::now();
  auto elapsed_ms = [&] { return std::chrono::duration<double, std::milli>(clock::now() - start).count(); };
  int done = 0;
  while (done < max_steps && trainer_.state() == nn::Trainer::State::running) {
    const int to_mark = every - trainer_.steps_done() % every;
    const int n = trainer_.step(max_steps - done < to_mark ? max_steps - done : to_mark, budget_ms - elapsed_ms());
    done += n;
    if (n > 0 && trainer_.steps_done() % every == 0) {
      refresh_standard_views();
      refresh_views();
    }
    if (n == 0 || elapsed_ms() >= budget_ms) break;
  }
  // The final numbers are on the whole test set (periodic ones on a sample).
  if (trainer_.state() == nn::Trainer::State::finished && !final_eval_done_) {
    trainer_.evaluate_all(0);
    final_eval_done_ = true;
    finished_ = true;
    refresh_standard_views();
    refresh_views();
  }
  refresh_standard_outputs();
  refresh_outputs();
  return done;
}

// Curves and the summary: copies of the trainer's bounded curves, a pure
// function of the steps done (so the same after any split into frames).
void TrainerLesson::refresh_standard_outputs() {
  const int runs = std::min(trainer_.num_runs(), kMaxRuns);
  auto copy = [&](Series& s, nn::Curve nn::Run::*curve) {
    if (runs == 0) return;
    const nn::Curve& c0 = trainer_.run(0).*curve;
    s.values[0].assign(c0.steps(), c0.steps() + c0.size());
    for (int r = 0; r < runs; ++r) {
      const nn::Curve& c = trainer_.run(r).*curve;
      s.values[size_t(r) + 1].assign(c.values(), c.values() + c.size());
      s.values[size_t(r) + 1].resize(size_t(c0.size()), NAN);  // a diverged run's curve stops early
    }
  };
  copy(loss_curve_, &nn::Run::train_loss);
  copy(accuracy_curve_, &nn::Run::test_accuracy);
  // After the run the final evaluation is on the whole test set (the
  // periodic ones may be on part of it): the curve ends on that number, the
  // one the metrics, the summary and the paper rows show.
  if (final_eval_done_ && runs > 0) {
    Series& s = accuracy_curve_;
    const float step = float(trainer_.steps_done());
    if (s.rows() == 0 || s.values[0].back() != step)
      for (auto& column : s.values) column.push_back(step);
    for (int r = 0; r < runs; ++r) {
      const nn::EvalResult& e = trainer_.run(r).last_eval;
      s.values[size_t(r) + 1].back() = e.samples > 0 ? e.accuracy : NAN;
    }
  }
  for (int r = 0; r < runs && int(run_summary_.d.size()) >= (r + 1) * kSummaryColumns; ++r) {
    const nn::Run& run = trainer_.run(r);
    double* row = run_summary_.d.data() + size_t(r) * kSummaryColumns;
    row[kSummaryAccuracy] = run.last_eval.samples > 0 ? run.last_eval.accuracy : NAN;
    row[kSummaryTopK] = run.last_eval.samples > 0 ? run.last_eval.top_k_accuracy : NAN;
    row[kSummaryLoss] = run.smoothed_loss;
    row[kSummaryState] = run.diverged ? kDiverged : finished_ ? kFinished : kTraining;
  }
}

void TrainerLesson::outputs_replaced() {
  if (!grid_cls_int_.empty() && grid_class_.f.size() == grid_cls_int_.size())
    for (size_t i = 0; i < grid_cls_int_.size(); ++i) grid_cls_int_[i] = int(grid_class_.f[i]);
}

// Decision grids (2-D), confusion matrices, predictions: model forward
// passes, on the cadence only.
void TrainerLesson::refresh_standard_views() {
  const data::Dataset& t = trainer_.test_data();
  const int runs = std::min(trainer_.num_runs(), kMaxRuns), C = t.classes;
  for (int r = 0; r < runs; ++r) {
    const nn::EvalResult& e = trainer_.run(r).last_eval;
    float* cells = confusion_.f.data() + size_t(r) * C * C;
    if (e.samples == 0 || e.classes != C) continue;
    for (int a = 0; a < C; ++a) {  // row-normalized: each true class's predictions sum to 1
      int total = 0;
      for (int b = 0; b < C; ++b) total += e.confusion_at(a, b);
      for (int b = 0; b < C; ++b) cells[a * C + b] = total ? float(e.confusion_at(a, b)) / total : 0.0f;
    }
  }
  if (t.dim == 2 && regions_declared_) {
    nn::Grid grid;
    grid.x_min = grid_extent_.f[0], grid.x_max = grid_extent_.f[1];
    grid.y_min = grid_extent_.f[2], grid.y_max = grid_extent_.f[3];
    grid.nx = grid.ny = kGrid;
    for (int r = 0; r < runs; ++r) {
      int* cls = grid_cls_int_.data() + size_t(r) * kGrid * kGrid;
      trainer_.decision_grid(r, grid, cls, grid_confidence_.f.data() + size_t(r) * kGrid * kGrid);
      float* out = grid_class_.f.data() + size_t(r) * kGrid * kGrid;
      for (int i = 0; i < kGrid * kGrid; ++i) out[i] = float(cls[i]);
    }
  }
  // Predictions on the whole test set: cheap for the 2-D toys, a full
  // forward pass over thousands of images otherwise (then only after the run).
  if (t.dim != 2 && !(trainer_.state() == nn::Trainer::State::finished)) return;
  const int chunk = int(scratch_idx_.size());
  for (int start = 0; start < t.n; start += chunk) {
    const int m = std::min(chunk, t.n - start);
    for (int i = 0; i < m; ++i) scratch_idx_[i] = start + i;
    t.gather(scratch_idx_.data(), m, scratch_x_.data(), nullptr);
    for (int r = 0; r < runs; ++r) {
      const float* o = trainer_.run(r).model.forward(scratch_x_.data(), m);
      const int K = trainer_.run(r).model.output_size();
      for (int i = 0; i < m; ++i) {
        int best = 0;
        for (int k = 1; k < C && k < K; ++k)
          if (o[i * K + k] > o[i * K + best]) best = k;
        test_predictions_.f[size_t(r) * t.n + start + i] = float(best);
      }
    }
  }
}

bool TrainerLesson::done() const {
  if (!built_) return pack_status_.state == PackState::failed;
  return trainer_.state() != nn::Trainer::State::running;
}

std::string TrainerLesson::problem() const {
  if (pack_status_.state == PackState::failed) return "Data set unavailable: " + pack_status_.message;
  if (built_ && trainer_.diverged()) return trainer_.message();
  if (built_ && !trainer_.error().empty()) return trainer_.error();
  return "";
}

void TrainerLesson::live_param_changed(const ParamSpec& spec) {
  if (spec.key == "lr" && built_)
    for (int r = 0; r < trainer_.num_runs(); ++r) trainer_.run(r).optimizer.set_lr(float(lr_));
}

double TrainerLesson::test_accuracy(int r) const {
  if (!built_ || r >= trainer_.num_runs()) return NAN;
  const nn::EvalResult& e = trainer_.run(r).last_eval;
  return e.samples > 0 ? double(e.accuracy) : NAN;
}

// --------------------------------------------------------------------- views
bool TrainerLesson::draw_data_status() const {
  if (built_) return true;
  if (pack_status_.state == PackState::failed) {
    const std::string text = std::string("The ") + name_of(dataset_) + " data pack could not be used: " + pack_status_.message;
    ui::error_box("##pack", text.c_str());
  } else {
    ui::download_box(name_of(dataset_), pack_status_.received_bytes, pack_status_.total_bytes);
  }
  return false;
}

void TrainerLesson::declare_results_view(Declaration& d, const char* title) {
  regions_declared_ = true;
  d.view("regions", title, [this](const ViewContext& v) {
    if (draw_data_status()) draw_results(v.width, v.height);
  });
}

void TrainerLesson::declare_curves_view(Declaration& d) {
  d.view("curves", "Training loss (mini-batch, log scale) and test accuracy", [this](const ViewContext& v) {
    if (draw_data_status()) draw_curves(v.width, v.height);
  });
}

void TrainerLesson::declare_summary_view(Declaration& d) {
  d.view("summary", "Every run, now", [this](const ViewContext&) {
    if (draw_data_status()) draw_summary();
  });
}

// Decision regions side by side (2-D data), or one confusion matrix per run.
void TrainerLesson::draw_results(float width, float height) const {
  const int runs = num_runs();
  if (runs == 0) return;
  const float font = ImGui::GetFontSize(), gap = ImGui::GetStyle().ItemSpacing.x;
  const float w = (width - gap * float(runs - 1)) / float(runs);
  const float caption = font * 1.6f;
  const float side = std::max(font * 8, std::min(w, (height > 0 ? height : w + caption) - caption));
  const bool regions = grid_class_.size() > 0;
  for (int r = 0; r < runs; ++r) {
    if (r) ImGui::SameLine();
    ImGui::BeginGroup();
    ImGui::PushID(r);
    char label[96];
    std::snprintf(label, sizeof label, regions ? "%s" : "%s (test set)", run_name(r).c_str());
    ui::legend_swatch(plot::palette(r), label);
    if (regions) {
      const float* e = grid_extent_.f.data();
      plot::decision_regions("##regions", ImVec2(w, side), grid_cls_int_.data() + size_t(r) * kGrid * kGrid,
                             grid_confidence_.f.data() + size_t(r) * kGrid * kGrid, kGrid, e[0], e[1], e[2], e[3],
                             test_x_.f.data(), test_labels_int_.data(), int(test_x_.shape[0]));
    } else {
      const int C = int(confusion_.shape[1]);
      plot::HeatmapStyle style;
      style.vmin = 0, style.vmax = 1;
      const float s = std::min(w, side);
      plot::heatmap("##confusion", ImVec2(s, s), confusion_.f.data() + size_t(r) * C * C, C, C, style);
    }
    ImGui::PopID();
    ImGui::EndGroup();
  }
}

void TrainerLesson::draw_curves(float width, float height) const {
  const float h = height > 0 ? height : ImGui::GetFontSize() * 13.0f;
  const float w = ui::column_width(2, 14, width);  // stacked on a phone
  const int runs = num_runs();
  {
    plot::LinePlot loss("##train_loss", ImVec2(w, h));
    loss.axes("step", "training loss", true);
    for (int r = 0; r < runs; ++r)
      loss.line(run_name(r).c_str(), loss_curve_.col(0), loss_curve_.col(r + 1), loss_curve_.rows(), plot::palette(r));
    loss.draw();
  }
  ui::next_column(w);
  {
    plot::LinePlot acc("##test_acc", ImVec2(w, h));
    acc.axes("step", "test accuracy");
    acc.y_range(0.0, 1.02);
    for (int r = 0; r < runs; ++r)
      acc.line(run_name(r).c_str(), accuracy_curve_.col(0), accuracy_curve_.col(r + 1), accuracy_curve_.rows(),
               plot::palette(r));
    acc.draw();
  }
}

void TrainerLesson::draw_summary() const {
  const ImGuiTableFlags flags = ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingStretchProp;
  if (!ImGui::BeginTable("##runs", 5, flags)) return;
  char topk[32];
  std::snprintf(topk, sizeof topk, "top-%d accuracy", top_k_);
  ImGui::TableSetupColumn("model");
  ImGui::TableSetupColumn("test accuracy");
  ImGui::TableSetupColumn(topk);
  ImGui::TableSetupColumn("loss (smoothed)");
  ImGui::TableSetupColumn("state", ImGuiTableColumnFlags_WidthFixed, ImGui::CalcTextSize("diverged").x * 1.3f);
  ImGui::TableHeadersRow();
  ImGui::PushTextWrapPos(-1.0f);  // cells never wrap (a panel-wide wrap position would break them per letter)
  const int rows = std::min(num_runs(), int(run_summary_.d.size()) / kSummaryColumns);
  for (int r = 0; r < rows; ++r) {
    const double* s = run_summary_.d.data() + size_t(r) * kSummaryColumns;
    ImGui::TableNextRow();
    ImGui::TableSetColumnIndex(0);
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(plot::palette(r)), "%s", run_names_[r].c_str());
    for (int c : {kSummaryAccuracy, kSummaryTopK}) {
      ImGui::TableSetColumnIndex(1 + c);
      if (std::isfinite(s[c])) ImGui::Text("%.2f%%", 100.0 * s[c]);
      else ImGui::TextDisabled("-");
    }
    ImGui::TableSetColumnIndex(3);
    ImGui::Text("%.4g", s[kSummaryLoss]);
    ImGui::TableSetColumnIndex(4);
    if (s[kSummaryState] == kDiverged) ImGui::TextColored(ImVec4(1, 0.4f, 0.4f, 1), "diverged");
    else ImGui::TextDisabled("%s", s[kSummaryState] == kFinished ? "finished" : "training");
  }
  ImGui::PopTextWrapPos();
  ImGui::EndTable();
}

}  // namespace pg
