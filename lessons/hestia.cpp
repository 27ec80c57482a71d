// hestia.cpp - Lesson: HESTIA, Hessian-guided differentiable quantization-aware
// training to ternary weights (2026), as the official code (hestia2026/Hestia)
// computes it; papers/method-notes.md #5 corrects the lesson plan against it.
//
// Three copies of one MLP train side by side from the same initialization on
// the same mini-batches: full precision, straight-through ternary from the
// first step (hard round to {-1, 0, +1} times mean|w|, the usual ternary QAT
// baseline), and HESTIA: the soft ternary expectation at a temperature that
// starts at T0 (about 0.351) and is cosine-annealed to 0 at the last step,
// blended in by a pressure that ramps up over the first 20% of steps, with a
// per-tensor temperature scale from Hutch++ estimates of each weight tensor's
// Hessian trace (engine/nn/hessian) - a higher trace gives a lower
// temperature.  The quantizer is engine/nn/hestia; the trainer's weight hook
// and a gradient transform run it (nn::TernaryQat).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

#include "engine/nn/hessian.h"
#include "engine/nn/hestia.h"
#include "engine/nn/losses_softmax.h"
#include "lessons/trainer_lesson.h"
#include "ui/panel.h"
#include "ui/plots.h"

namespace pg {
namespace {

const LessonInfo kInfo = {
    "hestia",
    "HESTIA: Hessian-guided differentiable ternary QAT",
    "HESTIA authors",
    2026,
    "",
    "https://github.com/hestia2026/Hestia",
    "D. Trainers and optimizers",
    LessonKind::trainer,
    Stepping::on_play,
    "Ternary weights by a softmax expectation annealed to hard rounding, with per-layer temperatures from "
    "Hessian traces, against straight-through ternary training and full precision.",
};

constexpr int kTensors = 3;             // the MLP's three weight matrices
constexpr int kCalibrationRows = 64;    // training rows for the traces (the official code: 5 batches)
constexpr int kExactLimit = 512;        // exact traces (one product per weight) up to this many weights
constexpr int kCurvePoints = 121;
constexpr int kBins = 80;  // weight histogram over z = w / mean|w| in [-2, 2]
const char* const kTensorNames[kTensors] = {"fc1", "fc2", "fc3"};

class Hestia : public TrainerLesson {
 public:
  bool views_draw_from_outputs() const override { return true; }  // tests/test_worker_mirror.cpp
  const LessonInfo& info() const override { return kInfo; }

  void declare(Declaration& d) override {
    declare_training(d, kSpirals, 1500, 0.01, kBlobs, kDigits);
    d.params.real("tau0", "initial temperature T0", &tau0_, 0, 2, 0,
                  "The soft phase's starting temperature; 0 = the official default, the T that minimises "
                  "E[(q(z) - z)^2] for z ~ N(0, pi/2) (about 0.351).");
    d.params.real("anneal", "anneal fraction", &anneal_, 0.1, 1, 0.8,
                  "Share of the run, at its end, over which T is cosine-annealed to 0 (official default 0.8).");
    d.params.real("alpha", "Hessian strength alpha", &alpha_, -1, 1, 0.5,
                  "Temperature scale exp(-alpha sigmoid(z)), z the standardised log trace: alpha > 0 gives "
                  "sensitive (high-trace) tensors a lower temperature; 0 turns the Hessian off.");
    d.params.integer("probes", "Hutch++ products", &probes_, 6, 60, 30,
                     "Hessian-vector products per tensor for the Hutch++ trace estimate.");
    d.params.choice("schedule", "temperature schedule", &schedule_, {"cosine", "hessian"}, 0,
                    "cosine (the released configs): the per-tensor scale multiplies T only before the "
                    "annealing starts; hessian: it also multiplies the annealed T.");
    d.preset("UCI digits (64-32-32-10)", "dataset=digits");
    d.preset("no Hessian guidance (alpha = 0)", "alpha=0");
    d.preset("the opposite sign (alpha = -0.5)", "alpha=-0.5");
    declare_text(d.text);
    declare_results_view(d, "Decision regions of the three networks (toys) or confusion matrices (digits)");
    d.view("quantizer", "The soft ternary q(z; T) and the traces", [this](const ViewContext& v) { draw_quantizer(v); });
    declare_curves_view(d);
    declare_summary_view(d);
    d.metric("test_acc_hestia", "test accuracy of the HESTIA network (ternary weights at the end)");
    d.metric("test_acc_ste", "test accuracy of straight-through ternary training from the first step");
    d.metric("test_acc_fp", "test accuracy of the full-precision network");
    d.metric("ternary_fraction", "share of the HESTIA network's current weights exactly at -1, 0 or +1 times their "
                                 "tensor's mean |w| (after the run: those of the final, hard-ternary evaluation)");
    d.metric("tau0", "the initial temperature used");
    d.metric("gain_over_ste", "test_acc_hestia - test_acc_ste, in accuracy points (fraction x 100)");
    char key[48], meaning[200];
    for (int t = 0; t < kTensors; ++t) {
      std::snprintf(key, sizeof key, "trace_%s", kTensorNames[t]);
      std::snprintf(meaning, sizeof meaning, "Hutch++ estimate of the Hessian trace of the loss w.r.t. %s's weights "
                                             "(at initialization, %d training rows)", kTensorNames[t], kCalibrationRows);
      d.metric(key, meaning);
      std::snprintf(key, sizeof key, "trace_%s_exact", kTensorNames[t]);
      std::snprintf(meaning, sizeof meaning, "the same trace exactly (one product per weight); NaN above %d "
                                             "weights", kExactLimit);
      d.metric_if_defined(key, meaning);
      std::snprintf(key, sizeof key, "temp_scale_%s", kTensorNames[t]);
      std::snprintf(meaning, sizeof meaning, "%s's temperature scale exp(-alpha sigmoid(z))", kTensorNames[t]);
      d.metric(key, meaning);
    }
    curves_ = &outputs_.series("soft_ternary", {"z", "T0", "T0/2", "T0/8", "hard"});
    traces_ = &outputs_.array("traces");  // (3, tensors): estimate, exact (NaN if skipped), temperature scale
    weights_ = &outputs_.array("hestia_weights");  // the HESTIA run's current weight tensors (after the run: ternary)
    scales_ = &outputs_.array("hestia_scales");    // (tensors,): mean|w| of each master tensor (1 / s)
    histogram_ = &outputs_.series("weight_histogram", {"z", "hestia", "ste"});
  }

  nn::ModelSpec model_for(const data::Dataset& d) const override {
    return nn::mlp(d.dim, d.dim == 2 ? std::vector<int>{16, 16} : std::vector<int>{32, 32}, d.classes);
  }

  void add_runs(const nn::ModelSpec& spec, const nn::OptimizerConfig& adam) override {
    trainer_.add_run("full precision", spec, std::make_unique<nn::SoftmaxCrossEntropy>(), adam);
    trainer_.add_run("STE ternary", spec, std::make_unique<nn::SoftmaxCrossEntropy>(), adam);
    trainer_.add_run("HESTIA", spec, std::make_unique<nn::SoftmaxCrossEntropy>(), adam);
    trainer_.set_weight_hook([this](int r, nn::Model& m, bool) {
      if (r == 0) return;
      set_schedule(r);
      (r == 1 ? ste_ : soft_).quantize(m, r == 1 ? hard_ : temps_, r == 1 ? 1.0 : pressure_);
    });
    for (int r = 1; r <= 2; ++r)
      trainer_.add_grad_transform([this](int run, nn::Model& m, const nn::Batch&) {
        (run == 1 ? ste_ : soft_).restore(m, run == 1 ? hard_ : temps_, run == 1 ? 1.0 : pressure_);
      }, r);
  }

  void after_reset() override {
    const nn::Model& model = trainer_.run(0).model;
    ste_.init(model);
    soft_.init(model);
    T0_ = tau0_ > 0 ? tau0_ : nn::hestia_default_temperature();
    calibrate();
    int total = 0;
    for (int t = 0; t < soft_.tensors(); ++t) total += soft_.count(t);
    const std::vector<float> zeros(size_t(std::max(total, kBins)), 0.0f);
    weights_->set({total}, zeros.data());
    scales_->set({soft_.tensors()}, zeros.data());
    histogram_->resize(kBins);
    for (int k = 0; k < kBins; ++k) histogram_->col(0)[k] = -2.0f + (k + 0.5f) * 4.0f / kBins;
    // q(z; T) for the view.
    curves_->resize(kCurvePoints);
    for (int k = 0; k < kCurvePoints; ++k) {
      const double z = -2.0 + 4.0 * k / (kCurvePoints - 1);
      curves_->col(0)[k] = float(z);
      curves_->col(1)[k] = float(nn::soft_ternary_closed(z, T0_));
      curves_->col(2)[k] = float(nn::soft_ternary_closed(z, T0_ / 2));
      curves_->col(3)[k] = float(nn::soft_ternary_closed(z, T0_ / 8));
      curves_->col(4)[k] = z > 0.5 ? 1.0f : z < -0.5 ? -1.0f : 0.0f;
    }
  }

  // The HESTIA run's current weights (the master copy between steps; after
  // the run, the ternary weights of the final evaluation) and scales, and the
  // histograms of z = w / mean|w| of both ternary runs' current weights.
  void refresh_views() override {
    if (!data_ready()) return;
    const nn::Model& m = trainer_.run(2).model;
    float* w = weights_->f.data();
    for (int t = 0, at = 0; t < soft_.tensors(); at += soft_.count(t), ++t) {
      std::copy(m.params() + soft_.offset(t), m.params() + soft_.offset(t) + soft_.count(t), w + at);
      double mean_abs = 0;
      for (int i = 0; i < soft_.count(t); ++i) mean_abs += std::fabs(double(soft_.master()[at + i]));
      scales_->f[size_t(t)] = float(mean_abs / std::max(1, soft_.count(t)));
    }
    for (int r = 1; r <= 2; ++r) {
      const nn::Model& model = trainer_.run(r).model;
      const nn::TernaryQat& q = r == 1 ? ste_ : soft_;
      float* counts = histogram_->col(r == 2 ? 1 : 2);
      std::fill(counts, counts + kBins, 0.0f);
      for (int t = 0, at = 0; t < q.tensors(); at += q.count(t), ++t) {
        double mean_abs = 0;
        for (int i = 0; i < q.count(t); ++i) mean_abs += std::fabs(double(q.master()[at + i]));
        mean_abs = std::max(1e-5, mean_abs / std::max(1, q.count(t)));
        for (int i = 0; i < q.count(t); ++i) {
          const int bin = plot::histogram_bin(float(model.params()[q.offset(t) + i] / mean_abs), -2.0f, 2.0f, kBins);
          if (bin >= 0) counts[bin] += 1.0f;
        }
      }
    }
  }

  void metrics(MetricList& out) const override {
    const bool ready = data_ready();
    out.add("test_acc_hestia", test_accuracy(2));
    out.add("test_acc_ste", test_accuracy(1));
    out.add("test_acc_fp", test_accuracy(0));
    out.add("ternary_fraction", ready ? soft_.ternary_fraction(trainer_.run(2).model) : NAN);
    out.add("tau0", ready ? T0_ : NAN);
    out.add("gain_over_ste", 100.0 * (test_accuracy(2) - test_accuracy(1)));
    char key[48];
    for (int t = 0; t < kTensors; ++t) {
      std::snprintf(key, sizeof key, "trace_%s", kTensorNames[t]);
      out.add(key, ready ? trace_[t] : NAN);
      std::snprintf(key, sizeof key, "trace_%s_exact", kTensorNames[t]);
      out.add(key, ready ? trace_exact_[t] : NAN);
      std::snprintf(key, sizeof key, "temp_scale_%s", kTensorNames[t]);
      out.add(key, ready ? scale_[t] : NAN);
    }
  }

 private:
  void declare_text(Walkthrough& t);
  void draw_quantizer(const ViewContext& v) const;

  // The schedule at the current step (the same for a step's forward and its gradient).
  void set_schedule(int r) {
    if (r != 2) return;
    const int step = trainer_.steps_done();
    pressure_ = nn::hestia_pressure(step, steps_, 0.2);
    for (int t = 0; t < kTensors; ++t) temps_[t] = nn::hestia_temperature(step, steps_, T0_, scale_[t], anneal_, schedule_ == 1);
  }

  // Per-tensor Hessian traces of the training loss at the initial weights
  // (double MLP objective on the first rows), Hutch++ and, for small tensors,
  // exact; then the temperature scales.
  void calibrate() {
    const data::Dataset& train = trainer_.train_data();
    const nn::Model& model = trainer_.run(0).model;
    const int rows = std::min(train.n, kCalibrationRows);
    std::vector<int> idx(static_cast<size_t>(rows)), y(static_cast<size_t>(rows));
    for (int i = 0; i < rows; ++i) idx[size_t(i)] = int((long long)i * train.n / rows);
    std::vector<float> x(size_t(rows) * train.dim);
    train.gather(idx.data(), rows, x.data(), y.data());
    nn::MlpObjective objective;
    for (int t = 0; t < kTensors; ++t) trace_[t] = trace_exact_[t] = NAN, scale_[t] = 1.0;
    if (!objective.init(model_for(train), model.params(), x.data(), y.data(), rows, 0.0) || soft_.tensors() != kTensors)
      return;
    nn::GradientHvp hvp;
    hvp.init(objective.num_params(), objective.gradient_fn(), nn::GradientHvp::kDoubleStep);
    hvp.set_point(objective.initial_point().data());
    const int P = objective.num_params();
    std::vector<double> full(static_cast<size_t>(P)), out(static_cast<size_t>(P));
    pg::Rng rng(seed_ * 977 + 3);
    for (int t = 0; t < kTensors; ++t) {
      const int offset = soft_.offset(t), n = soft_.count(t);
      // The tensor's diagonal block of H: v (n,) -> (H [0 .. v .. 0]) restricted to the block.
      nn::LinearOperator block = [&](const double* v, double* hv) {
        std::fill(full.begin(), full.end(), 0.0);
        std::copy(v, v + n, full.begin() + offset);
        hvp.apply(full.data(), out.data());
        std::copy(out.begin() + offset, out.begin() + offset + n, hv);
      };
      trace_[t] = nn::hutchpp_trace(block, n, probes_, rng).trace;
      if (n <= kExactLimit) {
        std::vector<double> e(static_cast<size_t>(n), 0.0), he(static_cast<size_t>(n));
        double sum = 0;
        for (int i = 0; i < n; ++i) {
          e[size_t(i)] = 1.0;
          block(e.data(), he.data());
          sum += he[size_t(i)];
          e[size_t(i)] = 0.0;
        }
        trace_exact_[t] = sum;
      }
    }
    nn::hestia_temperature_scales(trace_, kTensors, alpha_, 1.0, scale_);
    const double rows3[3][kTensors] = {{trace_[0], trace_[1], trace_[2]},
                                       {trace_exact_[0], trace_exact_[1], trace_exact_[2]},
                                       {scale_[0], scale_[1], scale_[2]}};
    traces_->set({3, kTensors}, &rows3[0][0]);
  }

  double tau0_ = 0, anneal_ = 0.8, alpha_ = 0.5;
  int probes_ = 30, schedule_ = 0;
  double T0_ = 0.351;
  double trace_[kTensors] = {}, trace_exact_[kTensors] = {}, scale_[kTensors] = {1, 1, 1};
  double temps_[kTensors] = {}, hard_[kTensors] = {0, 0, 0};
  double pressure_ = 0;
  nn::TernaryQat ste_, soft_;
  Series *curves_ = nullptr, *histogram_ = nullptr;
  Array *traces_ = nullptr, *weights_ = nullptr, *scales_ = nullptr;
};

void Hestia::declare_text(Walkthrough& t) {
  t.section("The problem")
      .paragraph("Ternary weights, each -s, 0 or +s for one scale s per tensor, make a network tiny and its "
                 "multiplications almost free.  Training them is hard: rounding has no gradient, so the usual "
                 "quantization-aware training rounds in the forward pass and passes the gradient straight "
                 "through (STE), from the first step.  HESTIA instead relaxes the rounding into a smooth "
                 "function that hardens slowly, and lets each tensor's curvature decide how fast.");
  t.section("The method")
      .paragraph("Per weight tensor w, s = 1 / mean|w| and z = w s.  The soft ternary value is the expectation of "
                 "c in {{-1, 0, +1} under a softmax of -(z - c)²/T, which has a closed form:")
      .equation("q(z; T) = Σ_c c · softmax_c(−(z − c)²/T) = sinh(2z/T) / (cosh(2z/T) + ½ e^(1/T))")
      .paragraph("The forward pass uses w + p (q/s − w): the pressure p ramps from 0 to 1 over the first 20% of "
                 "the steps.  T starts at T0 = {tau0:%.3f} (the official default minimises E[(q(z) − z)²] for "
                 "z ~ N(0, π/2)) and is cosine-annealed to 0 over the last 80%; at T = 0 the weights are hard "
                 "ternary with a straight-through gradient.  The scale s is not detached: its gradient flows.")
      .paragraph("The Hessian guidance: before training, Hutch++ estimates each tensor's Hessian trace tr_i "
                 "(here fc1 {trace_fc1:%.3g}, fc2 {trace_fc2:%.3g}, fc3 {trace_fc3:%.3g}); with z_i the "
                 "standardised log trace, tensor i's temperature is multiplied by exp(−α sigmoid(z_i)) "
                 "(here {temp_scale_fc1:%.3f}, {temp_scale_fc2:%.3f}, {temp_scale_fc3:%.3f}): a higher trace "
                 "means a lower temperature, so the most sensitive tensor hardens first.")
      .note("Checked against the official code (method-notes #5): no straight-through estimator in the soft "
            "phase; the code's sign (higher trace, lower temperature); with the released 'cosine' schedule "
            "the scale acts only before the annealing starts (schedule = hessian keeps it).  The official "
            "Hutch++ uses 10 sketch and 20 query vectors (40 products); here the engine's Hutch++ splits the "
            "probes knob in three.")
      .warning("Toy scale: a 2-16-16-C MLP on 2-D toys (64-32-32-10 on digits) trained from scratch, not a "
               "pretrained Llama fine-tuned to ternary; the traces are taken at the initial weights on 64 "
               "training rows (the official code calibrates the pretrained model on 5 batches); every weight "
               "matrix is one group (the example config uses groups of 128); biases stay full precision.");
  t.section("Try this")
      .bullet("Compare the three decision regions on spirals: STE from the start against HESTIA's gradual hardening; on moons all three are perfect.")
      .bullet("Watch the quantizer view: q(z; T) goes from a smooth ramp to the hard staircase as T falls, and "
              "HESTIA's weight histogram collapses onto -1, 0 and +1 only at the end (STE's is there from the start).")
      .bullet("Set alpha = 0 (no Hessian) or alpha = -0.5 (the opposite sign) and compare test accuracy.")
      .bullet("Raise the probes: the Hutch++ traces approach the exact ones.");
  t.section("What the paper reports")
      .paper("Llama-3.2-1B, 12-task zero-shot average: HESTIA vs ternary QAT", "+5.39 points (abstract)",
             "gain_over_ste", "%+.1f points (test accuracy, HESTIA - STE)",
             "Paper: zero-shot accuracy after ternary QAT of pretrained Llama-3.2 1B (3B: +4.34).  Live: test "
             "accuracy of the toy MLP trained from scratch, one seed.")
      .note("The official benchmark (response/benchmark.md, code repo): 1B average 0.357 for HESTIA against "
            "0.349 for CAGE, 0.333 for SoftQuant and 0.377 in BF16.  Live: full precision {test_acc_fp:%.3f}, "
            "STE ternary {test_acc_ste:%.3f}, HESTIA {test_acc_hestia:%.3f}; ternary share at the end "
            "{ternary_fraction:%.3f}.");
}

void Hestia::draw_quantizer(const ViewContext& v) const {
  if (!draw_data_status()) return;
  const float w = ui::column_width(2), h = v.height > 0 ? v.height : v.font_size * 12;
  {
    plot::LinePlot p("##q", ImVec2(w, h));
    p.axes("z = w / mean|w|", "q(z; T)");
    const char* labels[4] = {"T0", "T0 / 2", "T0 / 8", "T = 0 (hard)"};
    for (int c = 1; c <= 4; ++c) p.line(labels[c - 1], curves_->col(0), curves_->col(c), curves_->rows(), plot::palette(c - 1), c == 4);
    p.draw();
  }
  ui::next_column(w);
  ImGui::BeginGroup();
  if (traces_->shape.size() == 2 && ImGui::BeginTable("##traces", 4, ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg)) {
    ImGui::TableSetupColumn("tensor");
    ImGui::TableSetupColumn("Hutch++ trace");
    ImGui::TableSetupColumn("exact trace");
    ImGui::TableSetupColumn("temperature scale");
    ImGui::TableHeadersRow();
    for (int t = 0; t < kTensors; ++t) {
      ImGui::TableNextRow();
      ImGui::TableSetColumnIndex(0);
      ImGui::TextUnformatted(kTensorNames[t]);
      for (int c = 0; c < 3; ++c) {
        ImGui::TableSetColumnIndex(c + 1);
        const double value = traces_->d[size_t(c) * kTensors + t];
        if (std::isfinite(value)) ImGui::Text("%.4g", value);
        else ImGui::TextDisabled("-");
      }
    }
    ImGui::EndTable();
  }
  {
    const float* counts[2] = {histogram_->col(1), histogram_->col(2)};
    const char* labels[2] = {"HESTIA", "STE ternary"};
    const ImU32 colors[2] = {plot::palette(2), plot::palette(1)};
    const double levels[3] = {-1.0, 0.0, 1.0};
    plot::histogram_plot("##w", ImVec2(w, h * 0.7f), "current weights w / mean|w|", -2.0f, 2.0f, counts, labels, colors, 2,
                         kBins, levels, 3);
  }
  ImGui::EndGroup();
}

}  // namespace

PG_REGISTER_LESSON(Hestia, 24);

}  // namespace pg
