// trainer_lesson.h - what every loss lesson shares: the data-set knob (2-D
// toys or real image packs), the run length and learning rate, the side-by-side
// nn::Trainer, waiting for a data pack in the page, divergence, the standard
// outputs (curves, decision regions or confusion matrices, predictions) and
// the standard views drawn from them.  A lesson derives from it, declares its
// own knobs, text and views, and says which runs to train (add_runs) - see
// lessons/cnn_svm.cpp.
#pragma once
#include <string>
#include <vector>

#include "engine/data/dataset.h"
#include "engine/data/registry.h"
#include "engine/data/toy.h"
#include "engine/nn/trainer.h"
#include "lessons/lesson.h"
#include "lessons/packs.h"

namespace pg {

class TrainerLesson : public Lesson {
 public:
  // Data sets a lesson may offer, in the order of the `dataset` choice: indices
  // into the data-set registry (engine/data/registry.h), whose first entries
  // these are.  Later registry entries (data::dataset_index("modular-addition"),
  // "multilabel-scenes") may be offered too: pass their index as last_dataset.
  enum DatasetId { kBlobs, kMoons, kSpirals, kRings, kDigits, kMnist, kFashionMnist, kNumDatasets };
  static const char* dataset_key(int id);  // the registry key: "blobs", ..., "fashion-mnist", ...
  static constexpr int kMaxRuns = 4;
  static constexpr int kGrid = 72;  // decision-region cells per side

  void reset(uint64_t seed) override;
  int step(int max_steps, double budget_ms) override;
  bool done() const override;
  int64_t run_length() const override { return steps_; }
  std::string problem() const override;
  void live_param_changed(const ParamSpec& spec) override;
  void poll() override;  // builds the trainer once a pack the page fetched has arrived

 protected:
  TrainerLesson();
  // Declares dataset, steps, lr and batch, and the metric docs of the
  // standard views.  `first`/`last` bound the choice; min_batch/default_batch
  // for losses that need large batches (batch statistics).
  void declare_training(Declaration& d, int default_dataset, int default_steps, double default_lr,
                        int first_dataset = kBlobs, int last_dataset = kFashionMnist, int min_batch = 8,
                        int default_batch = 32);
  // The same with the `dataset` choice listing exactly these registry
  // indices (in this order), for a lesson whose method needs some data sets
  // and not others (e.g. more than two classes); `dataset_help` replaces
  // the knob's generic help when given.
  void declare_training(Declaration& d, const std::vector<int>& datasets, int default_dataset, int default_steps,
                        double default_lr, int min_batch = 8, int default_batch = 32,
                        const char* dataset_help = nullptr);
  // The standard views, for the lesson to declare in its chosen order:
  //   "regions" decision regions of every run (2-D data) or confusion matrices (images)
  //   "curves"  training loss and test accuracy against steps
  //   "summary" one row per run: accuracy, top-k, loss, state
  void declare_results_view(Declaration& d, const char* title);
  void declare_curves_view(Declaration& d);
  void declare_summary_view(Declaration& d);

  // The lesson adds its runs to trainer_ (same init, same batches).
  virtual void add_runs(const nn::ModelSpec& spec, const nn::OptimizerConfig& optimizer) = 0;
  // The network for the current data: an MLP sized to the input.
  virtual nn::ModelSpec model_for(const data::Dataset& d) const;
  // Called after the trainer is built (lessons size their own buffers here).
  virtual void after_reset() {}
  // The 2-D toy set about to be generated (900 points, 3 classes, noise 0.25
  // for blobs and 0.05 otherwise); a lesson may change it, e.g. more classes.
  virtual void configure_toy(data::ToyConfig& /*config*/) const {}
  // Knob values for a generated registry data set (after configure_toy for
  // the toys), e.g. options.set("p", 59) for modular addition.
  virtual void configure_dataset(data::DatasetOptions& /*options*/) const {}
  // The train and test sets as made (generated or unpacked), before the
  // model is sized and the trainer takes them; a lesson may change them (a
  // per-image contrast through row_gain), or keep copies and narrow them
  // (train on some classes, hold the others out).
  virtual void prepare_data(data::Dataset& /*train*/, data::Dataset& /*test*/) {}
  // The trainer's settings and the optimizer (Adam at the lr knob) before the
  // runs are added: full batch, evaluation cadence, AdamW, betas...
  virtual void configure_trainer(nn::TrainerConfig& /*config*/, nn::OptimizerConfig& /*optimizer*/) const {}
  // Outputs the lesson computes from the models for its views and metrics
  // (embeddings, scores).  refresh_views() runs after reset, at every k-th
  // step (k = view_refresh_steps()) and after the final evaluation - at the
  // same steps however step() calls are split, so metrics read from the views
  // stay deterministic.  It must not allocate.
  virtual int view_refresh_steps() const { return 25; }
  virtual void refresh_views() {}
  // Cheap copies for the views (a loss's statistics into a series), after
  // every step() call and after reset: a pure function of the steps done.
  virtual void refresh_outputs() {}

  // The chosen data set's display name, and whether it is 2-D.
  const char* dataset_name() const;
  bool is_2d() const;
  // Ready to train (data present).  While a pack loads, views show progress.
  bool data_ready() const { return built_; }
  // In a view: progress bar or error while the data set is not ready.  Returns data_ready().
  bool draw_data_status() const;
  // Test accuracy of run r (NaN before the first evaluation).
  double test_accuracy(int r) const;
  int num_runs() const { return built_ ? trainer_.num_runs() : 0; }
  const std::string& run_name(int r) const { return run_names_[r]; }

  nn::Trainer trainer_;
  int dataset_ = kBlobs;
  int steps_ = 1000;
  double lr_ = 0.01;
  int batch_ = 32;
  uint64_t seed_ = 1;

 protected:
  // The standard views draw from the outputs (a lesson whose own views do
  // too says so: views_draw_from_outputs); this rebuilds the int copies the
  // plots take from the outputs a worker sent.  An override calls it.
  void outputs_replaced() override;

 private:
  enum { kSummaryAccuracy, kSummaryTopK, kSummaryLoss, kSummaryState, kSummaryColumns };  // run_summary's columns
  enum { kTraining, kFinished, kDiverged };  // run_summary's state
  void build(const data::Pack* pack);
  void refresh_standard_outputs();  // curves and summary: every step() call (cheap copies)
  void refresh_standard_views();    // grids, confusion, predictions: on the cadence
  void draw_results(float width, float height) const;
  void draw_curves(float width, float height) const;
  void draw_summary() const;

  bool built_ = false;
  bool final_eval_done_ = false;
  PackStatus pack_status_;
  int dataset_choice_ = 0;
  std::vector<int> dataset_ids_ = {kBlobs};  // the registry index of each entry of the `dataset` choice
  int top_k_ = 2;
  bool finished_ = false;
  bool regions_declared_ = false;  // decision grids are computed only for lessons that show them

  Series& loss_curve_;      // step, one column per run
  Series& accuracy_curve_;  // step, one column per run (test set)
  Array& test_x_;           // (n_test, 2): 2-D data only
  Array& test_labels_;      // (n_test,)
  Array& test_predictions_; // (runs, n_test): argmax class; 2-D data on the cadence, images after the run
  Array& grid_class_;       // (runs, kGrid, kGrid): 2-D data only; row 0 is the top (y_max)
  Array& grid_confidence_;  // (runs, kGrid, kGrid)
  Array& grid_extent_;      // (4,): x_min, x_max, y_min, y_max
  Array& confusion_;        // (runs, C, C): row-normalized, from the last evaluation
  Array& run_summary_;      // (runs, 4): test accuracy, top-k accuracy, smoothed loss, state (f64)
  std::string run_names_[kMaxRuns];
  std::vector<int> grid_cls_int_, test_labels_int_;  // the int views decision_regions() takes
  std::vector<float> scratch_x_;
  std::vector<int> scratch_idx_;
};

}  // namespace pg
