// optimistic_omd.cpp - Lesson: "Optimistic Online Mirror Descent for Bridging
// Stochastic and Adversarial Online Convex Optimization" (Chen, Tu, Zhao &
// Zhang, 2023, arXiv:2302.04552).
//
// Online linear losses f_t(x) = <g_t, x> on the unit ball, with
// g_t = m_t + sigma xi_t: m_t a slowly rotating (adversarial, but
// predictable) drift, xi_t Gaussian noise (the stochastic part).  Online
// gradient descent and optimistic OMD with the hint M_t = g_(t-1) play
// against the same sequence, each with a fixed and an adaptive step; the
// views show regret against the best fixed point in hindsight and the
// deterministic fixed-eta bound.  Engine: engine/opt (OnlineGradientDescent,
// OptimisticOmd on the FlatTrainer).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <vector>

#include "engine/nn/nnmath.h"
#include "engine/opt/flat_trainer.h"
#include "engine/opt/linalg.h"
#include "engine/opt/methods.h"
#include "engine/rng.h"
#include "engine/timing.h"
#include "lessons/lesson.h"
#include "ui/panel.h"
#include "ui/plots.h"

namespace pg {
namespace {

const LessonInfo kInfo = {
    "optimistic-omd",
    "Optimistic OMD between stochastic and adversarial online learning",
    "Chen, Tu, Zhao & Zhang",
    2023,
    "2302.04552",
    "",
    "D. Trainers and optimizers",
    LessonKind::trainer,
    Stepping::on_play,
    "A hint M_t = g_(t−1) turns predictable loss sequences into small regret; noise takes the gain away.",
};

enum RunId { kOgdFixed, kOomdFixed, kOgdAdaptive, kOomdAdaptive, kRuns };
const char* const kRunKey[kRuns] = {"ogd_fixed", "oomd_fixed", "ogd_adaptive", "oomd_adaptive"};
const char* const kRunName[kRuns] = {"OGD, fixed η", "optimistic OMD, fixed η", "OGD, adaptive η",
                                     "optimistic OMD, adaptive η"};
constexpr double kRadius = 1.0;               // the feasible set: the unit ball
constexpr double kDiameter = 2.0 * kRadius;   // D
constexpr double kDelta = 1.0;                // delta in the adaptive step
constexpr int kFramesPerRun = 150;
constexpr int kMaxCurveRows = 2000;
constexpr int kTrail = 200;                   // played points the iterate view shows

// The spectrum view's rows: label and format, in the order of spectrum_values().
struct SpectrumRow {
  const char* label;
  const char* format;
};
const SpectrumRow kSpectrumRows[] = {
    {"stochastic variance σ²₁:T = T d σ²:", "%.2f"},
    {"adversarial variation Σ²₁:T = Σ ‖m_t − m_(t−1)‖²:", "%.3f"},
    {"what optimism pays, Σ ‖g_t − g_(t−1)‖²:", "%.2f"},
    {"what OGD pays, Σ ‖g_t‖²:", "%.2f"},
    {"bound, optimistic OMD, fixed η:", "%.2f"},
    {"re-derived tight bound:", "%.2f"},
    {"regret, optimistic OMD, fixed η:", "%.2f"},
    {"bound, OGD, fixed η:", "%.2f"},
    {"regret, OGD, fixed η:", "%.2f"},
    {"regret, optimistic OMD, adaptive:", "%.2f"},
    {"regret, OGD, adaptive:", "%.2f"},
    {"dynamic regret, optimistic OMD (headline step):", "%.2f"},
    {"dynamic regret, OGD (headline step):", "%.2f"},
};
constexpr int kSpectrumSize = int(sizeof kSpectrumRows / sizeof kSpectrumRows[0]);
constexpr int kSpectrumGap = 4;  // a gap in the view before this row (the bounds and regrets)

class OptimisticOmdLesson : public Lesson {
 public:
  bool views_draw_from_outputs() const override { return true; }  // tests/test_worker_mirror.cpp

  const LessonInfo& info() const override { return kInfo; }

  void declare(Declaration& d) override {
    ParamList& p = d.params;
    p.real("sigma", "noise σ", &sigma_, 0, 2, 0.1,
           "Stochastic part: g_t = m_t + σ ξ_t, ξ_t ~ N(0, I).  σ = 0 is a purely deterministic (adversarial) sequence.");
    p.real("amplitude", "drift amplitude", &amplitude_, 0, 2, 0.5,
           "Adversarial part: m_t rotates with this radius around a fixed offset.  0: an i.i.d. (stochastic) sequence.");
    p.integer("period", "drift period", &period_, 2, 2000, 200,
              "Rounds per rotation of m_t.  Long: m_t changes slowly and g_(t−1) predicts g_t well; 2: it flips "
              "every round.",
              true);
    p.integer("rounds", "rounds T", &rounds_, 100, 20000, 2000, "Length of the game.", true);
    p.real("eta", "fixed step η", &eta_, 1e-3, 1, 0.05, "The step of the two fixed-η learners.", true);
    p.integer("d", "dimension d", &dim_, 2, 8, 2, "Dimension of x and g_t (the drift rotates in the first two).");
    p.choice("headline", "headline step", &headline_, {"fixed", "adaptive"}, 1,
             "Which pair regret_ogd and regret_oomd report (all four runs are always played).");
    declare_text(d.text);
    d.view("regret", "Regret against the best fixed point, and the fixed-η bound",
           [this](const ViewContext& v) { draw_regret(v); });
    d.view("iterates", "The last played points (first two coordinates)", [this](const ViewContext& v) { draw_iterates(v); });
    d.view("spectrum", "Where this sequence sits between stochastic and adversarial",
           [this](const ViewContext& v) { draw_spectrum(v); });
    d.metric("regret_ogd", "regret of OGD after the rounds played, with the headline step (fixed or adaptive)");
    d.metric("regret_oomd", "regret of optimistic OMD (M_t = g_(t−1)) after the rounds played, headline step");
    d.metric("dynamic_regret_*", "Σ f_t(x_t) − Σ min_u f_t(u): against the best point of every round (headline step)");
    d.metric("regret_*_fixed", "regret of each learner with the fixed step η");
    d.metric("regret_*_adaptive", "regret of each learner with η_t = D / sqrt(1 + Σ_(s<t) ‖g_s − M_s‖²)");
    d.metric("bound_fixed_eta", "D²/(2η) + (η/2) Σ ‖g_t − M_t‖², the deterministic bound for optimistic OMD with "
                                "fixed η over the rounds played");
    d.metric("bound_tight_fixed_eta", "the re-derived bound ‖u − x̂₁‖²/(2η) + (η/2) Σ ‖g_t − M_t‖² − (1/2η) Σ ‖x_t − "
                                      "x̂_t‖² at the best u");
    d.metric("bound_holds", "1 when optimistic OMD's fixed-η regret is at most bound_fixed_eta (and the tight one), else 0");
    d.metric("bound_ogd_fixed_eta", "D²/(2η) + (η/2) Σ ‖g_t‖², the same bound for OGD (M = 0)");
    d.metric("deviation_sum", "Σ ‖g_t − g_(t−1)‖²: what optimism pays");
    d.metric("gradient_sq_sum", "Σ ‖g_t‖²: what OGD pays");
    d.metric("stochastic_var_sum", "σ²_(1:T) = Σ E‖ξ_t σ‖² = T d σ², the stochastic variance of the sequence");
    d.metric("adversarial_var_sum", "Σ²_(1:T) = Σ ‖m_t − m_(t−1)‖², the adversarial variation of the means");
    d.metric("rounds_played", "rounds played so far");
  }

  void reset(uint64_t seed) override {
    const int n = dim_, T = rounds_;
    generate(seed);
    played_.assign(size_t(kRuns), std::vector<double>(size_t(T) * n, 0.0));
    loss_sum_.assign(size_t(kRuns), 0.0);
    G_.assign(size_t(n), 0.0);
    for (int r = 0; r < kRuns; ++r) {
      opt::Objective f;
      f.dim = n;
      f.value_grad = [this, r](int t, const double* x, double* g) { return play(r, t, x, g); };
      f.project = [n](double* x) { opt::project_ball(x, n, kRadius); };
      opt::OnlineStepConfig c;
      c.adaptive = r >= kOgdAdaptive;
      c.eta = eta_, c.diameter = kDiameter, c.delta = kDelta;
      std::unique_ptr<opt::Method> m;
      if (r == kOgdFixed || r == kOgdAdaptive) m = std::make_unique<opt::OnlineGradientDescent>(c);
      else m = std::make_unique<opt::OptimisticOmd>(c, opt::OptimisticOmd::Hint::last_gradient);
      const std::vector<double> x0(static_cast<size_t>(n), 0.0);  // x^_1 = 0
      runs_[r].reset(std::move(f), std::move(m), x0.data(), T, 16);
    }
    dev_sum_ = grad_sq_sum_ = best_each_round_ = 0;
    played_rounds_ = 0;
    record_every_ = std::max(1, T / kMaxCurveRows);
    curve_.clear();
    for (auto& c : curve_.values) c.reserve(size_t(T / record_every_) + 2);
    curve_.push({0, 0, 0, 0, 0, float(kDiameter * kDiameter / (2 * eta_))});
    per_call_ = std::max(1, T / kFramesPerRun);
    trail_xy_.assign(size_t(2) * kTrail * 2, 0.0f);
    trail_cls_.assign(size_t(2) * kTrail, 0);
    gradients_out_.set({T, n}, g_.data());
    means_out_.set({T, n}, m_.data());
    export_iterates();
  }

  // One unit = one round, played by all four learners against the same g_t.
  int step(int max_steps, double budget_ms) override {
    const int limit = std::min(max_steps, per_call_);
    const int units = timing::run_budgeted(limit, budget_ms, [this] { return done(); }, [&] {
      const int t = played_rounds_, n = dim_;
      for (int r = 0; r < kRuns; ++r) runs_[r].step(1, 1e30);
      const double* g = &g_[size_t(t) * n];
      for (int k = 0; k < n; ++k) {
        G_[size_t(k)] += g[k];
        const double prev = t > 0 ? g_[size_t(t - 1) * n + k] : 0.0;
        dev_sum_ += (g[k] - prev) * (g[k] - prev);
        grad_sq_sum_ += g[k] * g[k];
      }
      best_each_round_ -= kRadius * std::sqrt(opt::dot(g, g, n));  // min_(||u|| <= R) <g_t, u>
      ++played_rounds_;
      if (played_rounds_ % record_every_ == 0 || played_rounds_ == rounds_) {
        curve_.push({float(played_rounds_), float(regret(kOgdFixed)), float(regret(kOomdFixed)),
                     float(regret(kOgdAdaptive)), float(regret(kOomdAdaptive)), float(bound_fixed())});
      }
    });
    export_iterates();
    return units;
  }

  bool done() const override { return played_rounds_ >= rounds_; }

  std::string problem() const override {
    for (const opt::FlatTrainer& t : runs_)
      if (t.diverged()) return t.problem();
    return "";
  }

  void metrics(MetricList& out) const override {
    const int a = headline_ == 1 ? kOgdAdaptive : kOgdFixed;
    out.add("regret_ogd", regret(a));
    out.add("regret_oomd", regret(a + 1));
    out.add("dynamic_regret_ogd", dynamic_regret(a));
    out.add("dynamic_regret_oomd", dynamic_regret(a + 1));
    char key[64];
    for (int r = 0; r < kRuns; ++r) {
      std::snprintf(key, sizeof key, "regret_%s", kRunKey[r]);
      out.add(key, regret(r));
    }
    const double bound = bound_fixed(), tight = bound_tight();
    out.add("bound_fixed_eta", bound);
    out.add("bound_tight_fixed_eta", tight);
    const double rf = regret(kOomdFixed), slack = 1e-9 * (1 + std::fabs(bound));
    out.add("bound_holds", rf <= bound + slack && rf <= tight + slack ? 1.0 : 0.0);
    out.add("bound_ogd_fixed_eta", kDiameter * kDiameter / (2 * eta_) + eta_ / 2 * grad_sq_sum_);
    out.add("deviation_sum", dev_sum_);
    out.add("gradient_sq_sum", grad_sq_sum_);
    out.add("stochastic_var_sum", double(played_rounds_) * dim_ * sigma_ * sigma_);
    out.add("adversarial_var_sum", adv_prefix_.empty() ? 0.0 : adv_prefix_[size_t(played_rounds_)]);
    out.add("rounds_played", played_rounds_);
  }

 private:
  void declare_text(Walkthrough& t) {
    t.section("The problem")
        .paragraph("Online learning: each round t a learner picks x_t in a convex set, then a convex loss f_t is "
                   "revealed and the learner pays f_t(x_t).  Regret compares the total with the best fixed point in "
                   "hindsight, R_T = Σ f_t(x_t) − min_u Σ f_t(u).  Two worlds have two textbook answers: i.i.d. "
                   "(stochastic) losses, where regret is about noise, and adversarial ones, where it is about how "
                   "much the losses move.  Sachs et al. proposed a model between them (SEA): f_t is drawn from a "
                   "distribution chosen by an adversary.  Chen et al. show that one algorithm, optimistic online "
                   "mirror descent, gets regret in terms of both quantities at once, σ²_(1:T) (stochastic variance) "
                   "plus Σ²_(1:T) (adversarial variation).")
        .paragraph("Here the losses are linear on the unit ball, f_t(x) = ⟨g_t, x⟩ with g_t = m_t + σ ξ_t: m_t circles "
                   "with the drift amplitude and period around a fixed offset of length 1 in a random direction (the adversary's choice), ξ_t ~ N(0, I) "
                   "(the noise).  Now σ²_(1:T) = {stochastic_var_sum:%.1f}, Σ²_(1:T) = {adversarial_var_sum:%.2f}.");
    t.section("The method")
        .paragraph("Optimistic OMD (Euclidean) keeps a second sequence x̂ and plays a step ahead along a hint M_t, a "
                   "guess of the coming gradient:")
        .equation("x_t = Proj(x̂_t − η_t M_t),    g_t = ∇f_t(x_t),    x̂_(t+1) = Proj(x̂_t − η_t g_t),    M_t = g_(t−1)")
        .paragraph("With M_t = 0 it is online gradient descent exactly (the tests check it bit for bit).  For a fixed "
                   "η and any u in the set (D the diameter):")
        .equation("Σ ⟨g_t, x_t − u⟩ ≤ D²/(2η) + (η/2) Σ ‖g_t − M_t‖²")
        .paragraph("Linear losses make the left side the regret itself.  OGD's bound has Σ ‖g_t‖² instead: "
                   "optimism wins when g_(t−1) predicts g_t, that is when the sequence is smooth in time, and it "
                   "loses up to a factor of about two when every g_t is fresh noise.  This run: bound "
                   "{bound_fixed_eta:%.2f} against regret {regret_oomd_fixed:%.2f} (holds: {bound_holds:%.0f}).")
        .paragraph("The adaptive learners use η_t = D / sqrt(1 + Σ_(s<t) ‖g_s − M_s‖²) (M = 0 for OGD), which needs "
                   "no tuning and adapts to whichever regime the sequence is in.")
        .note("The fixed-η bound was re-derived (papers/method-notes.md): it holds with the extra term "
              "−(1/2η) Σ ‖x_t − x̂_t‖² and ‖u − x̂₁‖² in place of D²; both forms are checked live "
              "(bound_tight_fixed_eta = {bound_tight_fixed_eta:%.2f}).")
        .warning("Unverified: the adaptive step's constants (δ = 1 and D in the numerator) are this lesson's choice; "
                 "the paper's exact adaptive schedule could not be checked against code (it is a theory paper with "
                 "no official implementation).")
        .note("Teaching simplifications: linear losses (smooth with L = 0, so the paper's smoothness terms vanish), "
              "the Euclidean ball as the set, and a drift that rotates in the first two coordinates.");
    t.section("Try this")
        .bullet("Press Play with the defaults (little noise, a slow drift, adaptive steps as the headline): "
                "optimistic OMD ends at regret {regret_oomd:%.1f} against OGD's {regret_ogd:%.1f}.  The sum it "
                "pays, Σ ‖g_t − g_(t−1)‖² = {deviation_sum:%.1f}, is far below OGD's Σ ‖g_t‖² = "
                "{gradient_sq_sum:%.1f}, so its adaptive step stays large and it follows the drift closely.")
        .bullet("Regret is negative here: the drift moves the best point around, and a learner that follows it beats "
                "every fixed point.  The dynamic regret (against the best point of each round, always ≥ 0) reads "
                "{dynamic_regret_oomd:%.1f} for optimistic OMD and {dynamic_regret_ogd:%.1f} for OGD.")
        .bullet("Raise σ to 1.5: the hint is mostly noise, Σ ‖g_t − M_t‖² exceeds Σ ‖g_t‖², and optimism no longer "
                "helps (the stochastic end of the spectrum).")
        .bullet("Period 2, amplitude 2, σ = 0: the drift flips every round, g_(t−1) points the wrong way, and the "
                "hint hurts (an adversary that punishes it).")
        .bullet("Headline step fixed: with a small fixed η the look-ahead η M_t is short and the two learners differ "
                "little, although the bound for optimism ({bound_fixed_eta:%.1f}) is still well below OGD's "
                "({bound_ogd_fixed_eta:%.1f}).  A large η shrinks D²/(2η) and grows the other term; the bound holds "
                "on every sequence.");
    t.section("What the paper reports")
        .paragraph("The paper is theoretical: its results are regret bounds, not measurements.  For convex and smooth "
                   "functions optimistic OMD attains O(sqrt(σ²_(1:T)) + sqrt(Σ²_(1:T))) expected regret (with the "
                   "right step), recovering the stochastic and the adversarial rates at the two ends.")
        .paper("fixed-η optimistic bound", "holds for every sequence (theorem)", "bound_holds", "%.0f (1 = holds)",
               "Live: this run's sequence, u = the best fixed point in hindsight.")
        .paper("regret, optimistic OMD", "O(√σ²₁:T + √Σ²₁:T)", "regret_oomd", "%.2f",
               "Live: the headline step; compare regret_ogd and the spectrum view.")
        .paper("regret, OGD", "O(√Σ‖g_t‖²) (the classical bound)", "regret_ogd", "%.2f",
               "Not this paper's result: the textbook OGD rate, for contrast.  Live: the same sequence and step rule.");
  }

  // g_t = m_t + sigma xi_t, m_t = offset + amplitude (cos, sin)(2 pi t / P) in
  // the first two coordinates; the whole sequence, drawn once per reset.
  void generate(uint64_t seed) {
    const int n = dim_, T = rounds_;
    Rng rng(seed);
    // The offset: a random direction of length 1 (the part of the losses a fixed point can answer).
    std::vector<double> offset(static_cast<size_t>(n));
    double norm = 0.0;
    while (norm < 1e-3) {
      for (double& o : offset) o = rng.normal();
      norm = std::sqrt(opt::dot(offset.data(), offset.data(), n));
    }
    for (double& o : offset) o /= norm;
    g_.assign(size_t(T) * n, 0.0);
    m_.assign(size_t(T) * n, 0.0);
    adv_prefix_.assign(size_t(T) + 1, 0.0);
    for (int t = 0; t < T; ++t) {
      double s, c;
      nnmath::sincos(2.0 * nnmath::kPi * double(t % period_) / double(period_), s, c);
      double adv = 0.0;
      for (int k = 0; k < n; ++k) {
        double m = offset[size_t(k)];
        if (k == 0) m += amplitude_ * c;
        if (k == 1) m += amplitude_ * s;
        m_[size_t(t) * n + k] = m;
        g_[size_t(t) * n + k] = m + sigma_ * rng.normal();
        if (t > 0) adv += (m - m_[size_t(t - 1) * n + k]) * (m - m_[size_t(t - 1) * n + k]);
      }
      adv_prefix_[size_t(t) + 1] = adv_prefix_[size_t(t)] + adv;
    }
  }

  // The loss of round t for learner r at its played point x: records x.
  double play(int r, int t, const double* x, double* grad) {
    const int n = dim_;
    const double* g = &g_[size_t(t) * n];
    double v = 0.0;
    for (int k = 0; k < n; ++k) {
      grad[k] = g[k];
      v += g[k] * x[k];
      played_[size_t(r)][size_t(t) * n + k] = x[k];
    }
    loss_sum_[size_t(r)] += v;
    return v;
  }

  // R_t = sum_s <g_s, x_s> - min_(||u|| <= R) sum_s <g_s, u> = sum_s <g_s, x_s> + R ||G_t||.
  double regret(int r) const {
    return loss_sum_.empty() ? 0.0 : loss_sum_[size_t(r)] + kRadius * std::sqrt(opt::dot(G_.data(), G_.data(), dim_));
  }
  // Against the best point of each round: sum_s <g_s, x_s> - sum_s min_u <g_s, u> >= 0.
  double dynamic_regret(int r) const { return loss_sum_.empty() ? 0.0 : loss_sum_[size_t(r)] - best_each_round_; }
  double bound_fixed() const { return kDiameter * kDiameter / (2 * eta_) + eta_ / 2 * dev_sum_; }
  // ||u* - x^_1||^2 / (2 eta) + (eta/2) dev - (1/(2 eta)) sum ||x_t - x^_t||^2, u* = -R G/||G||, x^_1 = 0.
  double bound_tight() const {
    const auto& omd = static_cast<const opt::OptimisticOmd&>(runs_[kOomdFixed].method());
    const double u_sq = std::sqrt(opt::dot(G_.data(), G_.data(), dim_)) > 0 ? kRadius * kRadius : 0.0;
    return u_sq / (2 * eta_) + eta_ / 2 * dev_sum_ - omd.sum_play_gap_sq() / (2 * eta_);
  }

  // The spectrum view's numbers (the metrics of the same names), in the order of kSpectrumRows.
  void spectrum_values(double* v) const {
    const int a = headline_ == 1 ? kOgdAdaptive : kOgdFixed;
    const double out[kSpectrumSize] = {double(played_rounds_) * dim_ * sigma_ * sigma_,
                                       adv_prefix_.empty() ? 0.0 : adv_prefix_[size_t(played_rounds_)],
                                       dev_sum_,
                                       grad_sq_sum_,
                                       bound_fixed(),
                                       bound_tight(),
                                       regret(kOomdFixed),
                                       kDiameter * kDiameter / (2 * eta_) + eta_ / 2 * grad_sq_sum_,
                                       regret(kOgdFixed),
                                       regret(kOomdAdaptive),
                                       regret(kOgdAdaptive),
                                       dynamic_regret(a + 1),
                                       dynamic_regret(a)};
    std::copy(out, out + kSpectrumSize, v);
  }

  // The played points so far and the spectrum view's numbers into the
  // arrays; the iterate view's points from them.
  void export_iterates() {
    const int n = dim_, t = played_rounds_;
    for (int r = 0; r < kRuns; ++r) iterate_out_[r]->set({t, n}, played_[size_t(r)].data());
    double v[kSpectrumSize];
    spectrum_values(v);
    spectrum_out_.set({kSpectrumSize}, v);
    derive_view_data();
  }

  // A worker's outputs arrived (web/worker_link.h).
  void outputs_replaced() override { derive_view_data(); }

  // The last kTrail points of the two fixed-eta learners, from the outputs.
  void derive_view_data() {
    const int n = dim_, t = int(iterate_out_[kOgdFixed]->shape.empty() ? 0 : iterate_out_[kOgdFixed]->shape[0]);
    const int shown = std::min(t, kTrail);
    trail_count_ = 2 * shown;
    for (int which = 0; which < 2; ++which) {
      const std::vector<double>& p = iterate_out_[which == 0 ? kOgdFixed : kOomdFixed]->d;
      for (int i = 0; i < shown; ++i) {
        const int s = t - shown + i, j = which * shown + i;
        trail_xy_[size_t(j) * 2] = float(p[size_t(s) * n]);
        trail_xy_[size_t(j) * 2 + 1] = float(p[size_t(s) * n + 1]);
        trail_cls_[size_t(j)] = which;
      }
    }
  }

  // ------------------------------------------------------------------ views
  void draw_regret(const ViewContext& v) const {
    const float h = v.height > 0 ? v.height - ImGui::GetTextLineHeightWithSpacing() : v.font_size * 16;
    plot::LinePlot p("##regret", ImVec2(v.width, std::max(h, v.font_size * 8)));
    p.axes("round t", "regret R_t");
    p.x_range(0, rounds_);
    for (int r = 0; r < kRuns; ++r)
      p.line(kRunName[r], curve_.col(0), curve_.col(1 + r), curve_.rows(), plot::palette(r), r >= kOgdAdaptive);
    p.line("bound, optimistic fixed η", curve_.col(0), curve_.col(5), curve_.rows(), plot::ink(0.5f), true);
    p.draw();
    ImGui::TextDisabled("dashed colored: adaptive η_t; dashed grey: D²/(2η) + (η/2) Σ ‖g_t − g_(t−1)‖²");
  }

  void draw_iterates(const ViewContext& v) const {
    const float side = std::min(v.width, v.height > 0 ? v.height - 2 * ImGui::GetTextLineHeightWithSpacing()
                                                       : v.font_size * 16);
    plot::ScatterStyle style;
    style.radius = 2.5f;
    style.x_min = -1.1, style.x_max = 1.1, style.y_min = -1.1, style.y_max = 1.1;
    style.unit_circle = true;
    plot::scatter("##iterates", ImVec2(side, side), trail_xy_.data(), trail_cls_.data(), trail_count_, style);
    ui::legend_swatch(plot::palette(0), "OGD, fixed η");
    ImGui::SameLine();
    ui::legend_swatch(plot::palette(1), "optimistic OMD, fixed η");
  }

  void draw_spectrum(const ViewContext&) const {
    const std::vector<double>& v = spectrum_out_.d;
    for (int i = 0; i < kSpectrumSize; ++i) {
      if (i == kSpectrumGap) ImGui::Spacing();
      ui::metric(kSpectrumRows[i].label, kSpectrumRows[i].format, size_t(i) < v.size() ? v[size_t(i)] : NAN);
    }
  }

  double sigma_ = 0.1, amplitude_ = 0.5, eta_ = 0.05;
  int period_ = 200, rounds_ = 2000, dim_ = 2, headline_ = 1;
  std::vector<double> g_, m_, adv_prefix_, G_, loss_sum_;
  std::vector<std::vector<double>> played_;  // (runs, T, d) points played
  opt::FlatTrainer runs_[kRuns];
  double dev_sum_ = 0, grad_sq_sum_ = 0, best_each_round_ = 0;
  int played_rounds_ = 0, record_every_ = 1, per_call_ = 1, trail_count_ = 0;
  std::vector<float> trail_xy_;
  std::vector<int> trail_cls_;

  Series& curve_ = outputs_.series("regret", {"round", "ogd_fixed", "oomd_fixed", "ogd_adaptive", "oomd_adaptive",
                                              "bound_fixed_eta"});
  Array& gradients_out_ = outputs_.array("gradients");  // (T, d) f64: g_t, the loss sequence f_t(x) = <g_t, x>
  Array& means_out_ = outputs_.array("means");          // (T, d) f64: m_t, the adversary's means
  Array& x_ogd_fixed_ = outputs_.array("x_ogd_fixed");  // (t, d) f64: the points played so far
  Array& x_oomd_fixed_ = outputs_.array("x_oomd_fixed");
  Array& x_ogd_adaptive_ = outputs_.array("x_ogd_adaptive");
  Array& x_oomd_adaptive_ = outputs_.array("x_oomd_adaptive");
  Array* const iterate_out_[kRuns] = {&x_ogd_fixed_, &x_oomd_fixed_, &x_ogd_adaptive_, &x_oomd_adaptive_};
  Array& spectrum_out_ = outputs_.array("spectrum_numbers");  // (13,) f64: the spectrum view's rows, in order
};

}  // namespace

PG_REGISTER_LESSON(OptimisticOmdLesson, 26);

}  // namespace pg
