// trainer_lesson.h - what every loss lesson shares: the data-set knob (2-D
// toys or real image packs), the run length and learning rate, the side-by-side
// nn::Trainer, waiting for a data pack in the page, divergence, and the
// standard metrics.  A lesson derives from it, declares its own knobs, and says
// which runs to train (add_runs) - see lessons/cnn_svm.cpp.
#pragma once
#include <string>

#include "engine/data/dataset.h"
#include "engine/data/toy.h"
#include "engine/nn/trainer.h"
#include "lessons/lesson.h"
#include "lessons/packs.h"

namespace pg {

class TrainerLesson : public Lesson {
 public:
  // Data sets a lesson may offer, in the order of the `dataset` choice.
  enum DatasetId { kBlobs, kMoons, kSpirals, kRings, kDigits, kMnist, kFashionMnist, kNumDatasets };
  static const char* dataset_key(int id);  // "blobs", ..., "fashion-mnist"

  void reset(uint64_t seed) override;
  int step(int max_steps, double budget_ms) override;
  bool done() const override;
  std::string problem() const override;
  void live_param_changed(const ParamSpec& spec) override;

 protected:
  // Declares dataset, steps, lr and batch.  `first`/`last` bound the choice;
  // min_batch/default_batch for losses that need large batches (batch statistics).
  void declare_training(ParamList& p, int default_dataset, int default_steps, double default_lr,
                        int first_dataset = kBlobs, int last_dataset = kFashionMnist, int min_batch = 8,
                        int default_batch = 32);
  // The lesson adds its runs to trainer_ (same init, same batches).
  virtual void add_runs(const nn::ModelSpec& spec, const nn::OptimizerConfig& optimizer) = 0;
  // The network for the current data: an MLP sized to the input.
  virtual nn::ModelSpec model_for(const data::Dataset& d) const;
  // Called after the trainer is built (lessons size their own buffers here).
  virtual void after_reset() {}
  // The 2-D toy set about to be generated (900 points, 3 classes, noise 0.25
  // for blobs and 0.05 otherwise); a lesson may change it, e.g. more classes.
  virtual void configure_toy(data::ToyConfig& /*config*/) const {}
  // Views the lesson computes from the models for its panel and metrics
  // (embeddings, scores).  With view_refresh_steps() = k > 0, refresh_views()
  // runs after reset, at every k-th step and after the final evaluation - at
  // the same steps however step() calls are split, so metrics read from the
  // views stay deterministic.  It must not allocate.  0: never called.
  virtual int view_refresh_steps() const { return 0; }
  virtual void refresh_views() {}

  // The chosen data set's display name, and whether it is 2-D.
  const char* dataset_name() const;
  bool is_2d() const { return dataset_ <= kRings; }
  // Ready to train (data present).  While a pack loads, the panel shows progress.
  bool data_ready() const { return built_; }
  // Panel: progress bar or error while the data set is not ready.  Returns data_ready().
  bool draw_data_status();
  // Test accuracy of run r (NaN before the first evaluation).
  double test_accuracy(int r) const;

  nn::Trainer trainer_;
  int dataset_ = kBlobs;
  int steps_ = 1000;
  double lr_ = 0.01;
  int batch_ = 32;
  uint64_t seed_ = 1;

 private:
  void build(const data::Pack* pack);
  bool built_ = false;
  bool final_eval_done_ = false;
  PackStatus pack_status_;
  int dataset_choice_ = 0, first_dataset_ = kBlobs;
};

}  // namespace pg
