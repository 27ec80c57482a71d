// elasticface.cpp - Lesson: "ElasticFace: Elastic Margin Loss for Deep Face
// Recognition" (Boutros, Damer, Kirchbuchner & Kuijper, CVPR workshops 2022,
// arXiv:2109.09416; code github.com/fdbtrs/ElasticFace).
//
// Two networks with the same initialization and the same mini-batches map
// 2-D toy points to a unit embedding on a circle (dim 2) or a sphere (dim 3),
// and compare it with unit class weight vectors (l2norm + cosine_linear).
// One is trained with a fixed margin (ArcFace, or CosFace), the other with
// ElasticFace: a margin drawn afresh from N(m, sigma^2) for every sample at
// every step (and, with "+", handed out by difficulty).  The views show the
// test embeddings and the class directions of both runs, and how tight the
// classes are (intra-class spread) and how far apart (smallest angle between
// class weights).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

#include "engine/nn/losses_face.h"
#include "lessons/embedding_views.h"
#include "lessons/trainer_lesson.h"
#include "ui/panel.h"
#include "ui/plots.h"

namespace pg {
namespace {

const LessonInfo kInfo = {
    "elasticface",
    "ElasticFace: elastic margin loss",
    "Boutros, Damer, Kirchbuchner & Kuijper",
    2022,
    "2109.09416",
    "https://github.com/fdbtrs/ElasticFace",
    "C. Losses on top of softmax",
    LessonKind::trainer,
    Stepping::on_play,
    "ArcFace's fixed angular margin vs ElasticFace's random one, on embeddings you can see on a circle or sphere.",
};

constexpr int kRefreshSteps = 25;  // embeddings and angles are recomputed every this many steps
constexpr int kRunFixed = 0, kRunElastic = 1;

class ElasticFace : public TrainerLesson {
 public:
  ElasticFace() : views_(outputs_) {}

  const LessonInfo& info() const override { return kInfo; }

  void declare(Declaration& d) override {
    ParamList& p = d.params;
    declare_training(d, kBlobs, 1500, 0.005, kBlobs, kMoons);
    p.integer("classes", "classes", &classes_, 5, 10, 8,
              "Number of classes of the 2-D toy set (two moons always has 2).  More classes crowd the circle.");
    p.integer("dim", "embedding dimension", &dim_, 2, 3, 2,
              "2: embeddings and class weights live on a circle.  3: on a sphere (shown from one fixed viewpoint; "
              "the angles below are measured in 3-D).  Face models use 512.");
    p.choice("kind", "margin kind", &kind_, {"arc", "cos"}, 0,
             "arc: ArcFace, target logit s cos(theta + m).  cos: CosFace, target logit s (cos theta - m).  "
             "The elastic run uses the same kind.");
    p.real("s", "scale s", &scale_, 8, 64, 32,
           "Logits are s times cosines.  The paper uses s = 64 (with 512-D embeddings).");
    p.real("m", "margin m", &margin_, 0, 0.6, 0.5,
           "The fixed margin of ArcFace/CosFace and the mean margin of ElasticFace.  The official configs use "
           "0.5 (arc, radians) and 0.35 (cos).");
    p.real("sigma", "margin spread sigma", &sigma_, 0, 0.1, 0.05,
           "ElasticFace draws each sample's margin from N(m, sigma^2) at every step.  The official configs use "
           "0.05.  sigma = 0 gives exactly the fixed-margin loss.");
    p.toggle("plus", "ElasticFace+", &plus_, false,
             "Sort the drawn margins so the hardest samples of the batch (lowest target cosine) get the largest "
             "ones.");
    declare_text(d.text);
    d.view("embeddings", "Test embeddings and class weight directions, both runs",
           [this](const ViewContext& v) { draw_embeddings(v); });
    declare_summary_view(d);
    declare_curves_view(d);
    d.metric("test_acc_elastic", "test accuracy of the ElasticFace run (fraction; whole test set after the run)");
    d.metric("test_acc_arcface", "test accuracy of the fixed-margin run (ArcFace, or CosFace with kind = cos)");
    d.metric("intra_class_spread_deg", "ElasticFace run: mean angle (degrees) of a test embedding to its class's "
                                       "mean direction");
    d.metric("intra_class_spread_deg_arcface", "the same for the fixed-margin run");
    d.metric("min_inter_class_angle_deg", "ElasticFace run: smallest angle (degrees) between two class weight vectors");
    d.metric("min_inter_class_angle_deg_arcface", "the same for the fixed-margin run");
    d.metric("train_loss_elastic", "smoothed mini-batch loss of the ElasticFace run");
    d.metric("train_loss_arcface", "smoothed mini-batch loss of the fixed-margin run");
    d.metric("steps_trained", "optimizer steps taken by each run");
  }

  nn::ModelSpec model_for(const data::Dataset& d) const override {
    return cosine_embedding_model(d.dim, dim_, d.classes);
  }

  void configure_toy(data::ToyConfig& cfg) const override {
    cfg.classes = classes_;
    if (cfg.kind == data::ToyKind::blobs) cfg.noise = 0.12f;  // centres are closer with more classes
  }

  void add_runs(const nn::ModelSpec& spec, const nn::OptimizerConfig& adam) override {
    nn::MarginConfig fixed;
    fixed.kind = kind_ == 0 ? nn::MarginKind::arc : nn::MarginKind::cos;
    fixed.scale = float(scale_);
    fixed.margin = float(margin_);
    fixed.monotonic = true;  // both runs: the same treatment of theta > pi - m (see losses_face.h)
    nn::MarginConfig elastic = fixed;
    elastic.elastic = true;
    elastic.sigma = float(sigma_);
    elastic.plus = plus_;
    const bool arc = kind_ == 0;
    trainer_.add_run(arc ? "ArcFace" : "CosFace", spec, std::make_unique<nn::MarginSoftmax>(fixed), adam);
    trainer_.add_run(arc ? (plus_ ? "ElasticFace-Arc+" : "ElasticFace-Arc") : (plus_ ? "ElasticFace-Cos+" : "ElasticFace-Cos"),
                     spec, std::make_unique<nn::MarginSoftmax>(elastic), adam);
  }

  void after_reset() override { views_.reset(trainer_); }

  int view_refresh_steps() const override { return kRefreshSteps; }

  // Test embeddings, class weight directions and the two angle metrics, per run.
  void refresh_views() override { views_.refresh(trainer_); }

  void metrics(MetricList& out) const override {
    const bool ready = data_ready();
    out.add("test_acc_elastic", test_accuracy(kRunElastic));
    out.add("test_acc_arcface", test_accuracy(kRunFixed));
    out.add("intra_class_spread_deg", ready ? views_.spread_deg(kRunElastic) : NAN);
    out.add("intra_class_spread_deg_arcface", ready ? views_.spread_deg(kRunFixed) : NAN);
    out.add("min_inter_class_angle_deg", ready ? views_.min_angle_deg(kRunElastic) : NAN);
    out.add("min_inter_class_angle_deg_arcface", ready ? views_.min_angle_deg(kRunFixed) : NAN);
    out.add("train_loss_elastic", ready ? trainer_.run(kRunElastic).smoothed_loss : NAN);
    out.add("train_loss_arcface", ready ? trainer_.run(kRunFixed).smoothed_loss : NAN);
    out.add("steps_trained", ready ? trainer_.steps_done() : 0);
  }

 private:
  void declare_text(Walkthrough& t);

  // The two circles (or spheres), then how far apart evenly spaced classes would be.
  void draw_embeddings(const ViewContext& v) const {
    if (!draw_data_status()) return;
    const float line = ImGui::GetTextLineHeightWithSpacing();
    views_.draw(v.width, v.height > 0 ? v.height - line : 0.0f, kRefreshSteps);
    ImGui::TextDisabled("Evenly spaced on a circle, %d classes would be %.1f° apart.", views_.classes(),
                        360.0 / (views_.classes() > 0 ? views_.classes() : 1));
  }

  int classes_ = 8, dim_ = 2, kind_ = 0;
  double scale_ = 32, margin_ = 0.5, sigma_ = 0.05;
  bool plus_ = false;
  EmbeddingViews views_;  // outputs embeddings, class_weights, test_cosines
};

void ElasticFace::declare_text(Walkthrough& t) {
  t.section("The problem")
      .paragraph("A face recognition network is trained as a classifier over thousands of identities, but used "
                 "differently: two photos are the same person if their embeddings point in nearly the same "
                 "direction.  So training should pack each identity's embeddings tightly and keep identities far "
                 "apart on the sphere.  ArcFace and CosFace do this with a fixed margin: the true class must win "
                 "by m.  Boutros et al. argue that one fixed m suits no real data set, where some identities vary "
                 "much more than others, and make the margin random.");
  t.section("The method")
      .paragraph("Normalize the embedding e and every class weight w_j; the logits are scaled cosines, "
                 "with θ_j the angle between e and w_j:")
      .equation("cos θ_j = (w_j · e) / (|w_j| |e|)        logit_j = s cos θ_j   (j ≠ y)")
      .paragraph("The true class y gets a margin (ArcFace adds it to the angle, CosFace subtracts it from the "
                 "cosine), then softmax cross-entropy:")
      .equation("ArcFace:  s cos(θ_y + m)        CosFace:  s (cos θ_y − m)")
      .paragraph("ElasticFace replaces the constant m by a fresh draw per sample and per step (the paper's "
                 "ElasticFace-Arc and ElasticFace-Cos losses):")
      .equation("m_i ~ N(m, σ²):   s cos(θ_y + m_i)   or   s (cos θ_y − m_i)")
      .paragraph("ElasticFace+ draws the same margins, but sorts them: the samples of the batch that are "
                 "furthest from their class (lowest cos θ_y) receive the largest margins.  Both runs here "
                 "treat angles beyond π − m as insightface's ArcFace does (a falling cos θ − m sin m), which "
                 "keeps the toy runs from collapsing; the official ElasticFace code has no such branch.");
  t.section("Try this")
      .bullet("Watch the arrows spread around the circle: the margin pushes every class weight away from "
              "its neighbours, and each class's dots gather around its arrow.")
      .bullet("Set sigma to 0: the two runs become identical, step for step (the same loss, init and batches).")
      .bullet("Raise sigma to 0.1, or switch on ElasticFace+, and compare the spread and the closest-class "
              "angle of the two runs.")
      .bullet("Try 10 classes on a circle with m = 0.6 rad: evenly spaced, neighbours are only 36° (0.63 rad) "
              "apart, barely more than the margin.  Then give the classes room with dim = 3.");
  t.section("What the paper reports")
      .paragraph("The paper's claims, as stated in its abstract (its benchmark tables are not quoted here: we "
                 "could not check the numbers):")
      .bullet("ElasticFace beats ArcFace and CosFace when it uses the same geometric transformation "
              "(ElasticFace-Arc vs ArcFace, ElasticFace-Cos vs CosFace), on a large set of mainstream face "
              "verification benchmarks.")
      .bullet("It advanced the state of the art on seven of nine mainstream benchmarks.")
      .paper("ElasticFace vs the fixed-margin loss of the same kind", "better on mainstream face verification "
             "benchmarks (abstract; numbers not quoted)", "test_acc_elastic", "%.1f%% (ElasticFace)",
             "Live: test accuracy on the 2-D toy, not face verification.", 100)
      .paper("The fixed-margin loss (ArcFace or CosFace)", "(not quoted here)", "test_acc_arcface",
             "%.1f%% (fixed margin)", "Live: the same network, init and batches.", 100)
      .paragraph("Settings in the official code (config/config.py and config_ElasticCosFace.py): s = 64, "
                 "m = 0.5 with std 0.05 for ElasticFace-Arc, m = 0.35 with std 0.05 for ElasticFace-Cos; "
                 "512-D embeddings from a ResNet-100 trained on MS1MV2 (85,742 identities).")
      .note("Teaching simplification: 2-D toy points and 5-10 classes instead of face images and 85,742 "
            "identities; 2-D or 3-D embeddings instead of 512-D, so that you can see them.");
}

}  // namespace

PG_REGISTER_LESSON(ElasticFace, 13);

}  // namespace pg
