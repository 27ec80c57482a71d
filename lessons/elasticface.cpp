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

  bool views_draw_from_outputs() const override { return true; }  // tests/test_worker_mirror.cpp

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
    // The official configs (config/config.py) set m and sigma per loss; a
    // knob's default cannot depend on another knob, so each configuration
    // has its own knob and the lesson uses the one that matches kind and "+".
    p.real("m_arc", "margin m (arc)", &m_arc_, 0, 0.6, 0.5,
           "kind = arc: the fixed margin of ArcFace and the mean margin of ElasticFace-Arc(+), in radians "
           "added to the angle.  Official: 0.5.");
    p.real("m_cos", "margin m (cos)", &m_cos_, 0, 0.6, 0.35,
           "kind = cos: the fixed margin of CosFace and the mean margin of ElasticFace-Cos(+), subtracted "
           "from the cosine.  Official: 0.35 (0.5 merges classes on this toy).");
    p.real("sigma", "margin spread sigma", &sigma_, 0, 0.1, 0.05,
           "ElasticFace (without +) draws each sample's margin from N(m, sigma^2) at every step.  Official: "
           "0.05 for both kinds.  sigma = 0 gives exactly the fixed-margin loss.");
    p.toggle("plus", "ElasticFace+", &plus_, false,
             "Sort the drawn margins by the difficulty of the samples (see plus_mapping).  The sigma knobs "
             "below replace sigma.");
    p.real("sigma_plus_arc", "sigma (arc, +)", &sigma_plus_arc_, 0, 0.1, 0.0175,
           "The spread of ElasticFace-Arc+.  Official: 0.0175.");
    p.real("sigma_plus_cos", "sigma (cos, +)", &sigma_plus_cos_, 0, 0.1, 0.02,
           "The spread of ElasticFace-Cos+.  Official: 0.02.");
    p.choice("plus_mapping", "+ margin mapping", &plus_mapping_, {"paper", "code"}, 0,
             "paper: the paper's text (sec. 3.3), the hardest sample of the batch (lowest target cosine) gets "
             "the largest margin.  code: the official code's margin[idicate_cosie], which applies the sort "
             "permutation where its inverse is needed, a nearly random assignment.");
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
    d.metric("margin_mean_used", "the mean margin m both runs use (m_arc or m_cos, by kind)");
    d.metric("margin_sigma_used", "the ElasticFace run's sigma (sigma, or sigma_plus_arc / sigma_plus_cos with +)");
    d.metric("margin_cosine_spearman", "ElasticFace run, last batch: Spearman rank correlation between each "
                                       "sample's target cosine and its margin (-1: hardest gets the largest)");
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

  bool arc() const { return kind_ == 0; }
  double margin_used() const { return arc() ? m_arc_ : m_cos_; }
  double sigma_used() const { return plus_ ? (arc() ? sigma_plus_arc_ : sigma_plus_cos_) : sigma_; }

  void add_runs(const nn::ModelSpec& spec, const nn::OptimizerConfig& adam) override {
    nn::MarginConfig fixed;
    fixed.kind = arc() ? nn::MarginKind::arc : nn::MarginKind::cos;
    fixed.scale = float(scale_);
    fixed.margin = float(margin_used());
    fixed.monotonic = true;  // both runs: the same treatment of theta > pi - m (see losses_face.h)
    nn::MarginConfig elastic = fixed;
    elastic.elastic = true;
    elastic.sigma = float(sigma_used());
    elastic.plus = plus_;
    elastic.plus_mapping = plus_mapping_ == 0 ? nn::PlusMapping::paper_text : nn::PlusMapping::official_code;
    const char* name = arc() ? (plus_ ? (plus_mapping_ ? "ElasticFace-Arc+ (code)" : "ElasticFace-Arc+") : "ElasticFace-Arc")
                             : (plus_ ? (plus_mapping_ ? "ElasticFace-Cos+ (code)" : "ElasticFace-Cos+") : "ElasticFace-Cos");
    trainer_.add_run(arc() ? "ArcFace" : "CosFace", spec, std::make_unique<nn::MarginSoftmax>(fixed), adam);
    trainer_.add_run(name, spec, std::make_unique<nn::MarginSoftmax>(elastic), adam);
  }

  void after_reset() override { views_.reset(trainer_); }

  int view_refresh_steps() const override { return kRefreshSteps; }

  // Test embeddings, class weight directions and the two angle metrics, per run.
  void refresh_views() override { views_.refresh(trainer_); }
  void outputs_replaced() override {
    TrainerLesson::outputs_replaced();
    views_.outputs_replaced();
  }

  void metrics(MetricList& out) const override {
    const bool ready = data_ready();
    out.add("test_acc_elastic", test_accuracy(kRunElastic));
    out.add("test_acc_arcface", test_accuracy(kRunFixed));
    out.add("intra_class_spread_deg", ready ? views_.spread_deg(kRunElastic) : NAN);
    out.add("intra_class_spread_deg_arcface", ready ? views_.spread_deg(kRunFixed) : NAN);
    out.add("min_inter_class_angle_deg", ready ? views_.min_angle_deg(kRunElastic) : NAN);
    out.add("min_inter_class_angle_deg_arcface", ready ? views_.min_angle_deg(kRunFixed) : NAN);
    out.add("margin_mean_used", margin_used());
    out.add("margin_sigma_used", sigma_used());
    out.add("margin_cosine_spearman",
            ready ? static_cast<const nn::MarginSoftmax&>(*trainer_.run(kRunElastic).loss).margin_cosine_spearman()
                  : NAN);
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
  double scale_ = 32, m_arc_ = 0.5, m_cos_ = 0.35, sigma_ = 0.05, sigma_plus_arc_ = 0.0175, sigma_plus_cos_ = 0.02;
  bool plus_ = false;
  int plus_mapping_ = 0;
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
                 "furthest from their class (lowest cos θ_y) receive the largest margins (the paper's sec. 3.3), "
                 "so the rank correlation between the target cosine and the margin is −1.  Both runs here "
                 "treat angles beyond π − m as insightface's ArcFace does (a falling cos θ − m sin m), which "
                 "keeps the toy runs from collapsing; the official ElasticFace code has no such branch.")
      .warning("ElasticFace+ in the official code is not the paper's text.  utils/losses.py sorts the "
               "samples by descending target cosine (idicate_cosie) and the margins ascending, then hands "
               "sample i the margin margin[idicate_cosie[i]]: it applies the sort permutation where its "
               "inverse is needed, so a sample's margin has almost nothing to do with its difficulty "
               "(Spearman correlation near 0 instead of −1).  plus_mapping = paper (the default) follows the "
               "text; plus_mapping = code reproduces the code.  Live, the ElasticFace run's last batch: "
               "Spearman(cos θ_y, m_i) = {margin_cosine_spearman:%+.2f}.")
      .warning("Margins and spreads follow the official configs (config/config.py), one knob per "
               "configuration since a knob's default cannot follow another knob: kind = arc uses m_arc "
               "(0.5), kind = cos uses m_cos (0.35); ElasticFace uses sigma (0.05), ElasticFace+ uses "
               "sigma_plus_arc (0.0175) or sigma_plus_cos (0.02).  In use now: m = {margin_mean_used:%.3g}, "
               "sigma = {margin_sigma_used:%.4g}.  CosFace with m = 0.5 merges classes on this toy (seed 1, "
               "defaults otherwise: 87% accuracy, the closest class weights 0.7° apart).");
  t.section("Try this")
      .bullet("Watch the arrows spread around the circle: the margin pushes every class weight away from "
              "its neighbours, and each class's dots gather around its arrow.")
      .bullet("Set sigma to 0: the two runs become identical, step for step (the same loss, init and batches).")
      .bullet("Raise sigma to 0.1, or switch on ElasticFace+, and compare the spread and the closest-class "
              "angle of the two runs.")
      .bullet("Switch on ElasticFace+ and compare plus_mapping = paper with code: the read-out above "
              "says how strongly the margins follow the samples' difficulty.")
      .bullet("Try 10 classes on a circle with m_arc = 0.6 rad: evenly spaced, neighbours are only 36° (0.63 rad) "
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
      .paragraph("Settings in the official code (config/config.py): s = 64; m = 0.5 with std 0.05 for "
                 "ElasticFace-Arc and std 0.0175 for ElasticFace-Arc+; m = 0.35 with std 0.05 for ElasticFace-Cos "
                 "and std 0.02 for ElasticFace-Cos+; 512-D embeddings from a ResNet-100 trained on MS1MV2 "
                 "(85,742 identities).  Here s = 32 by default (see the s knob).")
      .note("Teaching simplification: 2-D toy points and 5-10 classes instead of face images and 85,742 "
            "identities; 2-D or 3-D embeddings instead of 512-D, so that you can see them.");
}

}  // namespace

PG_REGISTER_LESSON(ElasticFace, 13);

}  // namespace pg
