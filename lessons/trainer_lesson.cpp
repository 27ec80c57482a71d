// trainer_lesson.cpp - see trainer_lesson.h.
#include "lessons/trainer_lesson.h"

#include <chrono>
#include <cmath>

#include "engine/data/toy.h"
#include "web/ui.h"

namespace pg {

namespace {
const char* const kKeys[] = {"blobs", "moons", "spirals", "rings", "digits", "mnist", "fashion-mnist"};
const char* const kNames[] = {"3 Gaussian blobs", "two moons", "3 spirals", "3 rings",
                              "UCI 8x8 digits", "MNIST (10,000 digits)", "Fashion-MNIST (10,000 items)"};
}  // namespace

const char* TrainerLesson::dataset_key(int id) { return kKeys[id]; }
const char* TrainerLesson::dataset_name() const { return kNames[dataset_]; }

void TrainerLesson::declare_training(ParamList& p, int default_dataset, int default_steps, double default_lr,
                                     int first_dataset, int last_dataset, int min_batch, int default_batch) {
  // The choice lists only the lesson's range; dataset_ stays a global id.
  std::vector<std::string> keys;
  for (int i = first_dataset; i <= last_dataset; ++i) keys.push_back(kKeys[i]);
  first_dataset_ = first_dataset;
  p.choice("dataset", "data set", &dataset_choice_, keys, default_dataset - first_dataset,
           "2-D toys (blobs, moons, spirals, rings) show decision regions; the image sets (UCI 8x8 digits, "
           "MNIST and Fashion-MNIST subsets) train a small network on real images.");
  p.integer("steps", "training steps", &steps_, 50, 20000, default_steps,
            "Length of the run: optimizer steps on mini-batches.  Both models take the same steps.", true);
  ParamSpec& lr = p.real("lr", "learning rate", &lr_, 1e-4, 1.0, default_lr,
                         "Adam's step size, for both models.  Changes apply live; very large values make "
                         "training diverge (the lesson stops and says so).",
                         true);
  lr.restarts = false;
  p.integer("batch", "batch size", &batch_, min_batch, 256, default_batch, "Examples per mini-batch.", true);
}

void TrainerLesson::reset(uint64_t seed) {
  seed_ = seed;
  dataset_ = first_dataset_ + dataset_choice_;
  built_ = false;
  final_eval_done_ = false;
  pack_status_ = PackStatus();
  if (dataset_ <= kRings) {
    build(nullptr);
    return;
  }
  pack_status_ = request_pack(kKeys[dataset_]);
  if (pack_status_.state == PackState::ready) build(pack_status_.pack);
}

void TrainerLesson::build(const data::Pack* pack) {
  data::Dataset train, test;
  if (pack) {
    data::pack_to_datasets(*pack, train, test);
  } else {
    data::ToyConfig cfg;
    cfg.kind = data::ToyKind(dataset_);
    cfg.n = 900;
    cfg.classes = 3;
    cfg.noise = dataset_ == kBlobs ? 0.25f : 0.05f;
    configure_toy(cfg);
    data::Dataset all = data::make_toy(cfg, seed_);
    data::train_test_split(all, 1.0f / 3.0f, seed_ + 1, train, test);
  }
  nn::TrainerConfig config;
  config.seed = seed_;
  config.batch_size = batch_;
  config.max_steps = steps_;
  config.eval_every = pack ? 100 : 25;
  config.eval_samples = pack ? 1000 : 0;
  config.top_k = pack ? 3 : 2;
  const nn::ModelSpec spec = model_for(train);
  trainer_.reset(std::move(train), std::move(test), config);
  nn::OptimizerConfig adam;
  adam.kind = nn::OptimizerKind::adam;
  adam.lr = float(lr_);
  add_runs(spec, adam);
  trainer_.evaluate_all(config.eval_samples);  // chance-level accuracy at step 0
  built_ = true;
  after_reset();
  if (view_refresh_steps() > 0) refresh_views();
}

nn::ModelSpec TrainerLesson::model_for(const data::Dataset& d) const {
  if (d.dim == 2) return nn::mlp(2, {64, 64}, d.classes);
  if (d.dim <= 64) return nn::mlp(d.dim, {64}, d.classes);
  return nn::mlp(d.dim, {128}, d.classes);
}

int TrainerLesson::step(int max_steps, double budget_ms) {
  if (!built_) {
    if (pack_status_.state == PackState::loading) {
      pack_status_ = request_pack(kKeys[dataset_]);
      if (pack_status_.state == PackState::ready) build(pack_status_.pack);
    }
    return 0;
  }
  const int every = view_refresh_steps();
  int done = 0;
  if (every <= 0) {
    done = trainer_.step(max_steps, budget_ms);
  } else {
    // Train in slices that end on multiples of `every`, so the views are
    // refreshed at the same steps whatever the frame budget was.
    using clock = std::chrono::steady_clock;
    const clock::time_point start = clock::now();
    auto elapsed_ms = [&] { return std::chrono::duration<double, std::milli>(clock::now() - start).count(); };
    while (done < max_steps && trainer_.state() == nn::Trainer::State::running) {
      const int to_mark = every - trainer_.steps_done() % every;
      const int n = trainer_.step(max_steps - done < to_mark ? max_steps - done : to_mark, budget_ms - elapsed_ms());
      done += n;
      if (n > 0 && trainer_.steps_done() % every == 0) refresh_views();
      if (n == 0 || elapsed_ms() >= budget_ms) break;
    }
  }
  // The final numbers are on the whole test set (periodic ones on a sample).
  if (trainer_.state() == nn::Trainer::State::finished && !final_eval_done_) {
    trainer_.evaluate_all(0);
    final_eval_done_ = true;
    if (every > 0) refresh_views();
  }
  return done;
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

bool TrainerLesson::draw_data_status() {
  if (built_) return true;
  ui::pack_status(kNames[dataset_], pack_status_);
  return false;
}

double TrainerLesson::test_accuracy(int r) const {
  if (!built_ || r >= trainer_.num_runs()) return NAN;
  const nn::EvalResult& e = trainer_.run(r).last_eval;
  return e.samples > 0 ? double(e.accuracy) : NAN;
}

}  // namespace pg
