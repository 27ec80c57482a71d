// hyperspherical.cpp - Lesson: "Hyperspherical embedding for novel class
// classification" (Pereira, Joly, Valduriez & Porto, 2021, arXiv:2102.03243;
// the first author's package github.com/R-S-P-MODELS/pyopenset).
//
// Two networks share their trunk's initialization and their mini-batches and
// are trained on the OLD classes only (the last `novel` classes are held out):
//   normalized  e = h/|h|, unit class weights, no bias: logit_k = s cos(theta_k)
//   plain       logit_k = w_k . h + b_k
// (softmax cross-entropy for both; nn::SoftmaxCrossEntropy with scale s on
// the cosines is exactly the paper's s-scaled normalized softmax).  After
// training, each held-out class is added without training, by prototype: one
// more output row, the normalized mean embedding of `shots` of its training
// samples (engine/nn/prototypes.h).  The lesson measures accuracy on old, new
// and all test classes for both models, and against the number of shots.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

#include "engine/nn/losses_softmax.h"
#include "engine/nn/prototypes.h"
#include "lessons/embedding_views.h"
#include "lessons/trainer_lesson.h"
#include "ui/panel.h"
#include "ui/plots.h"

namespace pg {
namespace {

const LessonInfo kInfo = {
    "hyperspherical",
    "Hyperspherical embedding for novel classes",
    "Pereira, Joly, Valduriez & Porto",
    2021,
    "2102.03243",
    "https://github.com/R-S-P-MODELS/pyopenset",
    "C. Losses on top of softmax",
    LessonKind::trainer,
    Stepping::on_play,
    "Unit-norm embeddings and weights let you add a new class from a few examples: its weight is their mean direction.",
};

constexpr int kRunNormalized = 0, kRunPlain = 1;
constexpr int kMaxShots = 50;                                  // shots drawn per novel class (the knob's maximum)
constexpr int kShotCounts[] = {1, 2, 3, 5, 10, 20, 50};       // the accuracy-vs-shots curve
constexpr int kNumShotCounts = int(sizeof kShotCounts / sizeof kShotCounts[0]);
constexpr int kPlainUnit = 0, kPlainMatched = 1;  // the plain_rule choice
constexpr int kTrainingEvalRows = 500;  // image sets: test rows used by the refreshes during training

class Hyperspherical : public TrainerLesson {
 public:
  Hyperspherical()
      : embeddings_(outputs_.array("embeddings")),
        features_plain_(outputs_.array("features_plain")),
        weights_(outputs_.array("class_weights")),
        weights_plain_(outputs_.array("class_weights_plain")),
        bias_plain_(outputs_.array("class_bias_plain")),
        logits_(outputs_.array("all_test_logits")),
        logits_plain_(outputs_.array("all_test_logits_plain")),
        labels_out_(outputs_.array("all_test_labels")),
        shots_curve_(outputs_.series("accuracy_vs_shots",
                                     {"shots", "acc_all", "acc_all_plain", "acc_new", "acc_new_plain"})),
        view_info_(outputs_.array("view_info")) {}

  bool views_draw_from_outputs() const override { return true; }  // tests/test_worker_mirror.cpp

  const LessonInfo& info() const override { return kInfo; }

  void declare(Declaration& d) override {
    ParamList& p = d.params;
    declare_training(d, {kBlobs, kDigits, kMnist, kFashionMnist}, kBlobs, 1000, 0.005, 8, 32,
                     "blobs: 2-D toy points whose embeddings you can see on a circle or sphere.  digits (UCI 8x8), "
                     "mnist and fashion-mnist (subsets): ten classes, the last `novel` held out (mnist: digits "
                     "0-7 trained, 8 and 9 added).");
    p.real("s", "scale s", &scale_, 1, 30, 10,
           "The normalized model's logits are s cos(theta): s sets how peaked its softmax can get.  pyopenset "
           "uses s = 10.  Too small and even a perfect angle cannot give a confident prediction.");
    p.integer("shots", "shots per new class", &shots_, 1, kMaxShots, 5,
              "How many training samples of each held-out class are averaged into its prototype.  Both "
              "models get the same samples.", true);
    p.integer("novel", "held-out classes", &novel_, 1, 3, 2,
              "The LAST this-many classes are held out of training and added afterwards by prototype (MNIST, "
              "2: train on digits 0-7, add 8 and 9).  At least two classes are always kept for training.");
    p.choice("plain_rule", "plain prototype rows", &plain_rule_, {"unit", "matched"}, kPlainUnit,
             "How the plain model's new rows are sized.  unit: the same rule as the normalized model "
             "(pyopenset's AddNewClass): the mean feature's direction at unit length, bias 0, next to trained "
             "rows of any length.  matched: the same direction with the old rows' mean length and the old "
             "biases' mean, a calibration the normalized model does not need.");
    p.integer("classes", "toy classes", &classes_, 4, 10, 6,
              "Number of classes of the 2-D toy sets (the image sets have 10).");
    p.integer("dim", "embedding dimension", &dim_, 2, 64, 3,
              "Width of the embedding h.  2: a circle, 3: a sphere (both drawn); larger embeddings are only "
              "measured.  Try 32 on the image sets.");
    declare_text(d.text);
    d.view("sphere", "Embeddings on the sphere: trained classes and added prototypes",
           [this](const ViewContext& v) { draw_sphere(v); });
    d.view("accuracy", "Accuracy on old, new and all classes, both models",
           [this](const ViewContext& v) { draw_accuracy(v); });
    d.view("shots", "Accuracy against the number of shots", [this](const ViewContext& v) { draw_shots(v); });
    declare_summary_view(d);
    declare_curves_view(d);
    d.preset("MNIST: train on 0-7, add 8 and 9 (as pyopenset's tutorial)", "dataset=mnist&dim=32&steps=1500&shots=50");
    d.preset("UCI digits, one shot per new class", "dataset=digits&dim=32&shots=1");
    d.preset("A circle: 2-D embeddings, 6 blobs", "dim=2");
    d.metric("acc_old", "normalized model, prototypes added: accuracy on the test rows of the trained classes "
                        "(argmax over all classes)");
    d.metric("acc_new", "normalized model: accuracy on the held-out classes' test rows (argmax over all classes)");
    d.metric("acc_all", "normalized model: accuracy on every test row, old and new classes");
    d.metric("acc_old_plain", "plain softmax model, prototypes added the same way: accuracy on the old classes");
    d.metric("acc_new_plain", "plain softmax model: accuracy on the held-out classes");
    d.metric("acc_all_plain", "plain softmax model: accuracy on every test row");
    d.metric("acc_new_disjoint", "normalized model: accuracy on the held-out classes, choosing among the new "
                                 "classes only (the paper's disjoint setting)");
    d.metric("acc_new_disjoint_plain", "the same for the plain model");
    d.metric("acc_before", "normalized model before any class is added: test accuracy on the trained classes");
    d.metric("acc_before_plain", "the same for the plain model");
    d.metric("shots_used", "samples per new class in each prototype (the shots knob, or fewer if the class has "
                           "fewer training rows)");
    d.metric("old_classes", "classes the models were trained on");
    d.metric("new_classes", "classes added afterwards by prototype");
    d.metric("max_abs_logit", "normalized model: the largest |logit| over the test rows and all classes (at most s)");
    d.metric("max_unit_norm_error", "normalized model: the largest | |e| - 1 | over the test embeddings and "
                                    "| |w| - 1 | over the class rows with prototypes");
    d.metric("eval_rows", "test rows (old and new classes) behind the accuracies: all after the run, at most "
                          "500 on the image sets during it");
    d.metric("train_loss_normalized", "smoothed mini-batch loss of the normalized model");
    d.metric("train_loss_plain", "smoothed mini-batch loss of the plain model");
    d.metric("steps_trained", "optimizer steps taken by each run");
  }

  // --------------------------------------------------------------- the data
  void configure_toy(data::ToyConfig& cfg) const override {
    cfg.classes = classes_;
    if (cfg.kind == data::ToyKind::blobs) cfg.noise = 0.15f;  // more classes: closer centres
  }

  // Keeps every test row and the novel classes' training rows, then narrows
  // both sets the trainer sees to the old classes 0..K-1.
  void prepare_data(data::Dataset& train, data::Dataset& test) override {
    const int C = train.classes;
    N_ = std::max(0, std::min(novel_, C - 2));
    K_ = C - N_;
    all_test_ = test;
    // shots: up to kMaxShots rows per novel class, in a seeded random order (class-major)
    Rng rng = Rng(seed_).fork(0x5107);
    std::vector<int> present;
    shot_count_.assign(size_t(N_), 0);
    for (int j = 0; j < N_; ++j) {
      std::vector<int> rows;
      for (int i = 0; i < train.n; ++i)
        if (train.y[i] == K_ + j) rows.push_back(i);
      for (int i = int(rows.size()) - 1; i > 0; --i) std::swap(rows[i], rows[rng.below(uint32_t(i + 1))]);
      const int take = std::min(kMaxShots, int(rows.size()));
      shot_count_[j] = take;
      present.insert(present.end(), rows.begin(), rows.begin() + take);
    }
    shot_rows_ = data::subset(train, present.data(), int(present.size()));
    std::vector<int> old;
    for (int k = 0; k < K_; ++k) old.push_back(k);
    train = data::select_classes(train, old);
    test = data::select_classes(test, old);
  }

  // ------------------------------------------------------------- the models
  nn::ModelSpec model_for(const data::Dataset& d) const override {
    if (d.dim == 2) return cosine_embedding_model(2, dim_, d.classes);
    nn::ModelSpec spec = nn::ModelSpec::vectors(d.dim);
    spec.linear(d.dim <= 64 ? 64 : 128).relu().linear(dim_, false).l2norm().cosine_linear(d.classes);
    return spec;
  }

  void add_runs(const nn::ModelSpec& spec, const nn::OptimizerConfig& adam) override {
    // The plain model: the same trunk up to the embedding h, then a linear head with biases.
    nn::ModelSpec plain = spec;
    plain.layers.resize(plain.layers.size() - 2);  // drop l2norm and cosine_linear
    plain.linear(K_);
    char name[48];
    std::snprintf(name, sizeof name, "normalized (s = %g)", scale_);
    trainer_.add_run(name, spec, std::make_unique<nn::SoftmaxCrossEntropy>(float(scale_)), adam);
    trainer_.add_run("plain softmax", plain, std::make_unique<nn::SoftmaxCrossEntropy>(1.0f), adam);
    if (trainer_.num_runs() < 2) return;
    // Same start for the shared trunk (the layers before the heads have the same layout).
    nn::Model& a = trainer_.run(kRunNormalized).model;
    nn::Model& b = trainer_.run(kRunPlain).model;
    const int trunk = a.param_offset(a.num_layers() - 2);
    std::copy(a.params(), a.params() + trunk, b.params());
  }

  void after_reset() override {
    const nn::Model& m = trainer_.run(kRunNormalized).model;
    D_ = m.layer_output_shape(m.num_layers() - 2).size();
    n_all_ = all_test_.n;
    chunk_ = std::max(1, std::min(n_all_, m.max_batch()));
    x_.assign(size_t(chunk_) * all_test_.dim, 0.0f);
    idx_.assign(size_t(chunk_), 0);
    e_.assign(size_t(n_all_) * D_, 0.0f);
    h_.assign(size_t(n_all_) * D_, 0.0f);
    shot_e_.assign(size_t(shot_rows_.n) * D_, 0.0f);
    shot_h_.assign(size_t(shot_rows_.n) * D_, 0.0f);
    proto_.assign(size_t(std::max(1, N_)) * D_, 0.0f);
    proto_plain_.assign(size_t(std::max(1, N_)) * D_, 0.0f);
    proto_bias_.assign(size_t(std::max(1, N_)), 0.0f);
    eval_labels_.assign(size_t(n_all_), 0);
    scratch_logits_.assign(size_t(n_all_) * (K_ + N_), 0.0f);
    std::vector<float> labels(all_test_.y.begin(), all_test_.y.end());
    labels_out_.set({n_all_}, labels.data());
    // Zeros for every output below: (n_all, D), (K + N, D), (n_all, K + N).
    const std::vector<float> zeros(size_t(std::max(n_all_, K_ + N_)) * size_t(std::max(D_, K_ + N_)), 0.0f);
    embeddings_.set({n_all_, D_}, zeros.data());
    features_plain_.set({n_all_, D_}, zeros.data());
    weights_.set({K_ + N_, D_}, zeros.data());
    weights_plain_.set({K_ + N_, D_}, zeros.data());
    bias_plain_.set({K_ + N_}, zeros.data());
    logits_.set({n_all_, K_ + N_}, zeros.data());
    logits_plain_.set({n_all_, K_ + N_}, zeros.data());
    shots_curve_.values.assign(5, std::vector<float>(size_t(kNumShotCounts), 0.0f));
    xy_.assign(size_t(n_all_) * 2, 0.0f);
    wxy_.assign(size_t(K_ + N_) * 2, 0.0f);
    hxy_.assign(size_t(n_all_) * 2, 0.0f);
    pxy_.assign(size_t(K_ + N_) * 2, 0.0f);
    view_info_.set({kViewInfo}, std::vector<double>(kViewInfo, 0.0).data());
  }

  int view_refresh_steps() const override { return is_2d() ? 25 : 100; }

  void refresh_views() override {
    if (trainer_.num_runs() < 2) return;
    refreshed_at_ = trainer_.steps_done();
    // During the run, image sets use an evenly spread subset of the test rows.
    const bool final = trainer_.state() != nn::Trainer::State::running;
    const int rows = final || is_2d() ? n_all_ : std::min(n_all_, kTrainingEvalRows);
    embed(all_test_, rows, n_all_, e_.data(), h_.data());
    const data::SpreadRows spread(rows, n_all_);
    for (int i = 0; i < rows; ++i) eval_labels_[i] = all_test_.y[size_t(spread[i])];
    embed(shot_rows_, shot_rows_.n, shot_rows_.n, shot_e_.data(), shot_h_.data());
    eval_rows_ = rows;
    // The accuracy-vs-shots curve, then the knob's own number of shots (last: it fills the outputs).
    for (int c = 0; c < kNumShotCounts; ++c) {
      const Accuracies a = evaluate(kShotCounts[c], false);
      shots_curve_.values[0][c] = float(kShotCounts[c]);
      shots_curve_.values[1][c] = float(a.normalized.all);
      shots_curve_.values[2][c] = float(a.plain.all);
      shots_curve_.values[3][c] = float(a.normalized.new_classes);
      shots_curve_.values[4][c] = float(a.plain.new_classes);
    }
    acc_ = evaluate(shots_, true);
    publish_view_info();
    derive_view_data();
  }

  void metrics(MetricList& out) const override {
    const bool ready = data_ready() && num_runs() >= 2;
    auto value = [ready](double v) { return ready ? v : NAN; };
    out.add("acc_old", value(acc_.normalized.old_classes));
    out.add("acc_new", value(acc_.normalized.new_classes));
    out.add("acc_all", value(acc_.normalized.all));
    out.add("acc_old_plain", value(acc_.plain.old_classes));
    out.add("acc_new_plain", value(acc_.plain.new_classes));
    out.add("acc_all_plain", value(acc_.plain.all));
    out.add("acc_new_disjoint", value(acc_.normalized.new_disjoint));
    out.add("acc_new_disjoint_plain", value(acc_.plain.new_disjoint));
    out.add("acc_before", test_accuracy(kRunNormalized));
    out.add("acc_before_plain", test_accuracy(kRunPlain));
    out.add("shots_used", value(shots_used()));
    out.add("old_classes", value(K_));
    out.add("new_classes", value(N_));
    out.add("max_abs_logit", value(max_abs_logit_));
    out.add("max_unit_norm_error", value(max_norm_error_));
    out.add("eval_rows", value(eval_rows_));
    out.add("train_loss_normalized", ready ? trainer_.run(kRunNormalized).smoothed_loss : NAN);
    out.add("train_loss_plain", ready ? trainer_.run(kRunPlain).smoothed_loss : NAN);
    out.add("steps_trained", ready ? trainer_.steps_done() : 0);
  }

 private:
  struct Accuracies {
    nn::SplitAccuracy normalized, plain;
  };

  int shots_used() const {
    int least = shots_;
    for (int c : shot_count_) least = std::min(least, c);
    return N_ > 0 ? least : 0;
  }

  // `rows` of the `n` rows of d, spread over them (data::SpreadRows),
  // through both models: unit embeddings e (rows, D) of the normalized model,
  // features h (rows, D) of the plain one.
  void embed(const data::Dataset& d, int rows, int n, float* e, float* h) {
    nn::Model& a = trainer_.run(kRunNormalized).model;
    nn::Model& b = trainer_.run(kRunPlain).model;
    const data::SpreadRows spread(rows, n);
    for (int start = 0; start < rows; start += chunk_) {
      const int B = std::min(chunk_, rows - start);
      for (int i = 0; i < B; ++i) idx_[i] = spread[start + i];
      d.gather(idx_.data(), B, x_.data(), nullptr);
      a.forward(x_.data(), B);
      const float* unit = a.layer_output(a.num_layers() - 2);  // the l2norm layer
      std::copy(unit, unit + size_t(B) * D_, e + size_t(start) * D_);
      b.forward(x_.data(), B);
      const float* feat = b.layer_output(b.num_layers() - 2);  // the embedding layer before the head
      std::copy(feat, feat + size_t(B) * D_, h + size_t(start) * D_);
    }
  }

  // Prototypes from the first `shots` samples of each new class, both
  // models' extended heads over the evaluated test rows, and their
  // accuracies.  With `publish`, also the outputs and the norm checks.
  Accuracies evaluate(int shots, bool publish) {
    const nn::Model& a = trainer_.run(kRunNormalized).model;
    const nn::Model& b = trainer_.run(kRunPlain).model;
    const float* W = a.params() + a.param_offset(a.num_layers() - 1);   // (K, D), cosine_linear normalizes it
    const float* Wp = b.params() + b.param_offset(b.num_layers() - 1);  // (K, D) then the biases (K,)
    const float* bp = Wp + size_t(K_) * D_;
    for (int j = 0; j < N_; ++j) {
      const int k = std::min(shots, shot_count_[j]);
      const int first = offset_of(j);
      nn::prototype_direction(shot_e_.data() + size_t(first) * D_, k, D_, true, &proto_[size_t(j) * D_]);
      // pyopenset's AddNewClass applied to the plain model: mean feature, normalized ...
      nn::prototype_direction(shot_h_.data() + size_t(first) * D_, k, D_, false, &proto_plain_[size_t(j) * D_]);
    }
    // ... then given the old rows' mean norm and mean bias (prototypes.h), or left at unit length.
    if (plain_rule_ == kPlainMatched)
      nn::prototype_linear_rows(Wp, bp, K_, proto_plain_.data(), N_, D_, proto_plain_.data(), proto_bias_.data());
    else  // pyopenset's row as written: unit length, bias 0
      std::fill(proto_bias_.begin(), proto_bias_.end(), 0.0f);
    const int C = K_ + N_, rows = eval_rows_;
    Accuracies acc;
    float* logits = publish ? logits_.f.data() : scratch_logits_.data();
    nn::extended_cosine_logits(e_.data(), W, K_, proto_.data(), N_, rows, D_, float(scale_), logits);
    acc.normalized = nn::split_accuracy(logits, eval_labels_.data(), rows, K_, N_);
    if (publish) {
      max_abs_logit_ = 0;
      for (int i = 0; i < rows * C; ++i) max_abs_logit_ = std::max(max_abs_logit_, double(std::fabs(logits[i])));
    }
    float* logits_plain = publish ? logits_plain_.f.data() : scratch_logits_.data();
    nn::extended_linear_logits(h_.data(), Wp, bp, K_, proto_plain_.data(), proto_bias_.data(), N_, rows, D_,
                               logits_plain);
    acc.plain = nn::split_accuracy(logits_plain, eval_labels_.data(), rows, K_, N_);
    if (publish) publish_geometry(W, Wp, bp);
    return acc;
  }

  // Row of shot_rows_ where new class j's samples start.
  int offset_of(int j) const {
    int off = 0;
    for (int c = 0; c < j; ++c) off += shot_count_[c];
    return off;
  }

  // The exported embeddings and class rows, the unit-norm check and the 2-D drawing positions.
  void publish_geometry(const float* W, const float* Wp, const float* bp) {
    const int C = K_ + N_, rows = eval_rows_;
    std::copy(e_.begin(), e_.end(), embeddings_.f.begin());
    std::copy(h_.begin(), h_.end(), features_plain_.f.begin());
    float* w = weights_.f.data();
    for (int k = 0; k < K_; ++k) {
      double sq = 0;
      for (int t = 0; t < D_; ++t) sq += double(W[size_t(k) * D_ + t]) * W[size_t(k) * D_ + t];
      const double inv = sq > 0 ? 1.0 / std::sqrt(sq) : 0.0;
      for (int t = 0; t < D_; ++t) w[size_t(k) * D_ + t] = float(W[size_t(k) * D_ + t] * inv);
    }
    std::copy(proto_.begin(), proto_.begin() + size_t(N_) * D_, w + size_t(K_) * D_);
    std::copy(Wp, Wp + size_t(K_) * D_, weights_plain_.f.begin());
    std::copy(proto_plain_.begin(), proto_plain_.begin() + size_t(N_) * D_, weights_plain_.f.begin() + size_t(K_) * D_);
    std::copy(bp, bp + K_, bias_plain_.f.begin());
    std::copy(proto_bias_.begin(), proto_bias_.begin() + N_, bias_plain_.f.begin() + K_);
    max_norm_error_ = 0;
    auto norm_error = [this](const float* v) {
      double sq = 0;
      for (int t = 0; t < D_; ++t) sq += double(v[t]) * v[t];
      return std::fabs(std::sqrt(sq) - 1.0);
    };
    for (int i = 0; i < rows; ++i) max_norm_error_ = std::max(max_norm_error_, norm_error(&e_[size_t(i) * D_]));
    for (int k = 0; k < C; ++k) max_norm_error_ = std::max(max_norm_error_, norm_error(w + size_t(k) * D_));
  }

  // The numbers the views print that no other output holds: the step, the
  // evaluated rows and the accuracies at the shots knob (f64: as computed).
  void publish_view_info() {
    const double info[kViewInfo] = {double(refreshed_at_),         double(eval_rows_),
                                    acc_.normalized.old_classes,   acc_.normalized.new_classes,
                                    acc_.normalized.all,           acc_.normalized.new_disjoint,
                                    acc_.plain.old_classes,        acc_.plain.new_classes,
                                    acc_.plain.all,                acc_.plain.new_disjoint};
    view_info_.set({kViewInfo}, info);
  }

  // Everything the views draw that is not an output, from the outputs (the
  // step path and a worker's copy, outputs_replaced, both come here): the
  // evaluated rows' labels and the drawing positions - the unit sphere for
  // the normalized model; the plain features as they are, with its rows
  // scaled to the features' largest radius.
  void derive_view_data() {
    if (view_info_.d.size() != size_t(kViewInfo)) return;
    const double* info = view_info_.d.data();
    refreshed_at_ = int(info[0]), eval_rows_ = int(info[1]);
    acc_.normalized.old_classes = info[2], acc_.normalized.new_classes = info[3];
    acc_.normalized.all = info[4], acc_.normalized.new_disjoint = info[5];
    acc_.plain.old_classes = info[6], acc_.plain.new_classes = info[7];
    acc_.plain.all = info[8], acc_.plain.new_disjoint = info[9];
    const int C = K_ + N_, rows = eval_rows_;
    if (rows > n_all_ || embeddings_.f.size() < size_t(rows) * D_ || features_plain_.f.size() < size_t(rows) * D_ ||
        weights_.f.size() < size_t(C) * D_ || weights_plain_.f.size() < size_t(C) * D_)
      return;
    const data::SpreadRows spread(rows, n_all_);
    for (int i = 0; i < rows; ++i) eval_labels_[i] = all_test_.y[size_t(spread[i])];
    const float* e = embeddings_.f.data();      // (n, D)
    const float* h = features_plain_.f.data();  // (n, D)
    double radius = 1e-12, row_norm = 1e-12;
    for (int i = 0; i < rows; ++i) {
      project_embedding(&e[size_t(i) * D_], D_, &xy_[size_t(i) * 2]);
      project_embedding(&h[size_t(i) * D_], D_, &hxy_[size_t(i) * 2]);
      double sq = 0;
      for (int t = 0; t < std::min(D_, 3); ++t) sq += double(h[size_t(i) * D_ + t]) * h[size_t(i) * D_ + t];
      radius = std::max(radius, std::sqrt(sq));
    }
    const float* w = weights_.f.data();
    const float* wp = weights_plain_.f.data();
    for (int k = 0; k < C; ++k) {
      project_embedding(w + size_t(k) * D_, D_, &wxy_[size_t(k) * 2]);
      project_embedding(wp + size_t(k) * D_, D_, &pxy_[size_t(k) * 2]);
      row_norm = std::max(row_norm, double(std::hypot(pxy_[size_t(k) * 2], pxy_[size_t(k) * 2 + 1])));
    }
    for (float& v : pxy_) v = float(v * radius / row_norm);
    plain_radius_ = radius;
  }

  void outputs_replaced() override {
    TrainerLesson::outputs_replaced();
    if (data_ready()) derive_view_data();
  }

  void declare_text(Walkthrough& t);

  // ------------------------------------------------------------------ views
  void draw_sphere(const ViewContext& v) const {
    if (!draw_data_status()) return;
    if (D_ > 3) {
      ImGui::TextWrapped("The embeddings are %d-dimensional and are not drawn (set dim to 2 or 3 to see them on a "
                         "circle or a sphere).  Their accuracies are in the next two views.",
                         D_);
      return;
    }
    ImGui::Text("Test embeddings (dots, by class) and class rows (arrows), step %d", refreshed_at_);
    ImGui::SameLine();
    ui::help_marker("Left: the normalized model's unit embeddings e = h/|h| and its unit class weights; the "
                    "arrows of the held-out classes are their prototypes, the mean direction of a few of their "
                    "training samples.  Right: the plain model's features h as they are, with its class rows "
                    "(scaled to fit).  Classes numbered from the old ones up: the last colors are the new classes.");
    const float w = ui::column_width(2, 10, v.width);  // stacked on a phone
    const float line = ImGui::GetTextLineHeightWithSpacing();
    const float h = v.height > 0 ? std::max(6.0f * line, std::min(w, v.height - 3.0f * line)) : std::min(w, 22.0f * line);
    const int C = K_ + N_;
    for (int r = 0; r < 2; ++r) {
      if (r) ui::next_column(w);
      ImGui::BeginGroup();
      // The caption wraps within its plot's width (a phone is narrower than two captions).
      ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + w);
      ImGui::PushStyleColor(ImGuiCol_Text, plot::palette(r));
      ImGui::TextWrapped("%s", r == 0 ? "normalized: the unit sphere" : "plain softmax: raw features");
      ImGui::PopStyleColor();
      ImGui::PopTextWrapPos();
      ImGui::PushID(r);
      plot::ScatterStyle style2;
      style2.radius = 2.5f;
      style2.arrows = r == 0 ? wxy_.data() : pxy_.data();
      style2.num_arrows = C;
      if (r == 0) {
        style2.x_min = style2.y_min = -1.25, style2.x_max = style2.y_max = 1.25;
        style2.unit_circle = true;
      } else {
        style2.x_min = style2.y_min = -1.15 * plain_radius_, style2.x_max = style2.y_max = 1.15 * plain_radius_;
      }
      plot::scatter("##emb", ImVec2(w, h), r == 0 ? xy_.data() : hxy_.data(), eval_labels_.data(), eval_rows_, style2);
      ImGui::PopID();
      ImGui::EndGroup();
    }
    ImGui::TextDisabled("old classes 0-%d, new (added by prototype) %d-%d", K_ - 1, K_, C - 1);
  }

  void draw_accuracy(const ViewContext& v) const {
    if (!draw_data_status()) return;
    const char* labels[] = {"old classes", "new classes", "all classes", "new only (disjoint)"};
    const float normalized[] = {float(100 * acc_.normalized.old_classes), float(100 * acc_.normalized.new_classes),
                                float(100 * acc_.normalized.all), float(100 * acc_.normalized.new_disjoint)};
    const float plain[] = {float(100 * acc_.plain.old_classes), float(100 * acc_.plain.new_classes),
                           float(100 * acc_.plain.all), float(100 * acc_.plain.new_disjoint)};
    const float line = ImGui::GetTextLineHeightWithSpacing();
    plot::bar_chart("##acc", ImVec2(v.width, v.height > 0 ? std::max(6 * line, v.height - line) : 9 * line), labels,
                    normalized, 4, "%", plain, "normalized", "plain softmax");
    ImGui::TextDisabled("%d shots per new class, %d test rows, step %d", shots_used(), eval_rows_, refreshed_at_);
  }

  void draw_shots(const ViewContext& v) const {
    if (!draw_data_status()) return;
    static const char* const names[] = {"all classes, normalized", "all classes, plain", "new classes, normalized",
                                        "new classes, plain"};
    const float line = ImGui::GetTextLineHeightWithSpacing();
    plot::LinePlot plot("##shots", ImVec2(v.width, v.height > 0 ? std::max(6 * line, v.height) : 14 * line));
    plot.axes("shots per new class", "test accuracy", false, true);
    plot.y_range(0, 1);
    const float* xs = shots_curve_.values[0].data();
    for (int c = 0; c < 4; ++c)
      plot.line(names[c], xs, shots_curve_.values[size_t(c) + 1].data(), kNumShotCounts, plot::palette(c % 2), c >= 2);
    plot.vline(shots_used(), "shots knob");
    plot.draw();
  }

  // knobs
  double scale_ = 10;
  int shots_ = 5, novel_ = 2, classes_ = 6, dim_ = 3, plain_rule_ = kPlainUnit;
  // data, sized in prepare_data / after_reset
  data::Dataset all_test_, shot_rows_;
  std::vector<int> shot_count_;  // (N,) samples available per new class (<= kMaxShots)
  int K_ = 0, N_ = 0, D_ = 0, n_all_ = 0, chunk_ = 1, eval_rows_ = 0, refreshed_at_ = 0;
  std::vector<float> x_, e_, h_, shot_e_, shot_h_, proto_, proto_plain_, proto_bias_, scratch_logits_;
  std::vector<int> idx_, eval_labels_;
  std::vector<float> xy_, wxy_, hxy_, pxy_;  // drawing positions (n, 2), (C, 2)
  double plain_radius_ = 1;
  Accuracies acc_;
  double max_abs_logit_ = 0, max_norm_error_ = 0;
  // outputs
  Array& embeddings_;      // (n, D) unit test embeddings of the normalized model, every class
  Array& features_plain_;  // (n, D) the plain model's features h
  Array& weights_;         // (K + N, D) unit class rows: trained, then the prototypes
  Array& weights_plain_;   // (K + N, D) the plain head's rows, then its prototype rows
  Array& bias_plain_;      // (K + N,)
  Array& logits_;          // (n, K + N) s cos theta at the shots knob
  Array& logits_plain_;    // (n, K + N)
  Array& labels_out_;      // (n,) labels 0..K+N-1, the new classes last
  Series& shots_curve_;    // shots, acc_all, acc_all_plain, acc_new, acc_new_plain
  static constexpr int kViewInfo = 10;
  Array& view_info_;       // (kViewInfo,) f64: step, eval rows, then old/new/all/new-disjoint accuracy, normalized and plain
};

void Hyperspherical::declare_text(Walkthrough& t) {
  t.section("The problem")
      .paragraph("A classifier trained on some classes cannot name a class it has never seen.  Retraining for "
                 "every new class is expensive, and a new class may come with only a handful of examples.  "
                 "Metric-learning methods (siamese and triplet networks) learn an embedding where a new class "
                 "can be recognised by distance, but they train on pairs or triplets, which grows "
                 "combinatorially with the data.  Pereira et al. keep the ordinary softmax classifier and "
                 "constrain it so that its embedding can take new classes later.");
  t.section("The method")
      .paragraph("Normalize the embedding h of the network's last hidden layer to length s, and the class "
                 "weights to length 1, with no bias; train with softmax cross-entropy as usual.  The logits are "
                 "then scaled cosines:")
      .equation("z = s h / |h|        |w_k| = 1        logit_k = w_k · z = s cos θ_k  ∈ [−s, s]")
      .paragraph("Training pulls each class's embeddings towards its weight direction.  A new class c gets one "
                 "more output unit, with the prototype of a few of its samples as weight, and nothing is "
                 "retrained:")
      .equation("w_c = mean_i z_i / |mean_i z_i|      (the old rows stay as they are)")
      .paragraph("Because the old rows are untouched, the old classes' logits do not change; the new class wins "
                 "where an embedding points closer to its prototype than to any old weight.  'Joint' prediction "
                 "takes the argmax over old and new classes, 'disjoint' over the new classes only.  Here the "
                 "last {new_classes:%.0f} classes are held out, {old_classes:%.0f} are trained.")
      .paragraph("The comparison: a plain softmax model (the same trunk and start, logits w_k · h + b_k) whose "
                 "new classes are added the same way, from the mean feature of the same samples.")
      .warning("The plain baseline is ours, not the paper's.  By default (plain_rule = unit) its new rows "
               "follow pyopenset's AddNewClass as written: the normalized mean feature, bias 0, beside trained "
               "rows of any length (AddNewClass would also reset the old biases to 0; we keep them, so the old "
               "logits stay unchanged).  plain_rule = matched gives the new rows the old rows' mean length and "
               "the old biases' mean instead, a calibration chosen here to give the plain model a fair chance.")
      .note("The normalized model here divides h by |h| and puts s in the loss (softmax of s cos θ), which is "
            "the same function as pyopenset's z = s h/|h| layer followed by a unit-norm dense layer.");
  t.section("Try this")
      .bullet("Press Play and watch the left sphere: the trained classes gather around their arrows; the held-out "
              "classes land wherever the network happens to send them, and their prototypes point there.")
      .bullet("Compare the bars.  Adding classes can only take rows away from the old ones: the normalized "
              "model's old-class accuracy goes from {acc_before:%.2f} to {acc_old:%.2f}, and it gets "
              "{acc_new:%.2f} of the new classes' rows; the plain model {acc_before_plain:%.2f} to "
              "{acc_old_plain:%.2f}, and {acc_new_plain:%.2f} of the new.")
      .bullet("Move shots from 1 to 50: one sample is a noisy prototype; a few already give most of the gain "
              "(the shots view is recomputed for every count).")
      .bullet("Set s to 1: the cosines still separate the classes, but a softmax over logits in [−1, 1] cannot "
              "be confident, so the loss stays high (train_loss_normalized {train_loss_normalized:%.2f}).  "
              "Then try 30.")
      .bullet("Switch plain_rule to matched: the plain model's new rows get the old rows' length and bias.  On "
              "the image sets it then catches up with, or passes, the normalized model on the new classes: the "
              "normalized head's advantage is that its prototypes need no such calibration.")
      .bullet("Pick mnist with dim = 32 (a preset): train on digits 0-7, add 8 and 9 from 50 samples each.  "
              "Then change the seed: on the 2-D toy especially, where a new class lands depends on the run.");
  t.section("What the paper reports")
      .paragraph("The paper's claim (abstract): the constrained softmax model classifies unseen classes better "
                 "than metric-learning methods, in both joint and disjoint settings, without pairwise training.  "
                 "There is no metric-learning baseline here, so that comparison is not reproduced; the lesson "
                 "compares with a plain softmax model instead.  Live, joint setting: new classes "
                 "{acc_new:%.2f} (normalized) vs {acc_new_plain:%.2f} (plain); all classes {acc_all:%.2f} vs "
                 "{acc_all_plain:%.2f}; disjoint: {acc_new_disjoint:%.2f} vs {acc_new_disjoint_plain:%.2f}.")
      .paper("MNIST, trained on digits 0-7: accuracy on 0-7", "94.66%", "acc_before", "%.1f%%",
             "Reference: pyopenset's tutorial notebook (not the paper): a linear 784-60 embedding, s = 10, one "
             "epoch of Adam on the ~48,000 training images of 0-7.  Live: a 784-128-dim ReLU MLP on the MNIST "
             "subset's digits 0-7.", 100)
      .when([this] { return dataset_ == kMnist; })
      .paper("MNIST, 8 and 9 added by prototype: accuracy on all ten", "85.43%", "acc_all", "%.1f%%",
             "Reference: the same notebook; each prototype is the mean of EVERY training image of its digit "
             "(~5,900).  Live: the shots knob's samples (at most 50).", 100)
      .when([this] { return dataset_ == kMnist; })
      .paper("Unseen classes vs metric learning", "up to 81% more accurate", "acc_new", "%.1f%% (new classes)",
             "Paper: against siamese/triplet baselines.  Live: no such baseline; the normalized model's accuracy "
             "on the held-out classes.", 100)
      .note("Teaching simplifications: MLPs instead of the paper's CNNs; a 2-D toy with 2-D or 3-D embeddings "
            "so they can be drawn; MNIST and Fashion-MNIST subsets.  The shots are a seeded random draw of the "
            "new classes' training rows; the shots curve uses the first k of the same draw.");
}

}  // namespace

PG_REGISTER_LESSON(Hyperspherical, 15);

}  // namespace pg
