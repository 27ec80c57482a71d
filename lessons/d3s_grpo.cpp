// d3s_grpo.cpp - Lesson: "Learning More with Less: A Dynamic Dual-Level
// Down-Sampling Framework for Efficient Policy Optimization" (D3S, 2025; an
// ICLR 2026 submission, no public code).
//
// GRPO trains a tabular toy policy on a sparse reward (enough tokens must
// match a hidden target).  D3S trains the same policy from the same start on
// the same random numbers, but each step keeps only the rollouts whose
// advantages have the largest variance (across the whole batch by default,
// within each group as a choice) and, of their tokens, the top fraction by
// |A| * entropy; both fractions follow a linear schedule.  The views plot the
// exact expected reward against the tokens spent in gradients, and which
// tokens D3S kept.  Engine: engine/opt/grpo.h (policy, advantages, selection)
// on the FlatTrainer with nn::Optimizer's SGD.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <vector>

#include "engine/opt/flat_trainer.h"
#include "engine/opt/grpo.h"
#include "engine/opt/methods.h"
#include "engine/rng.h"
#include "engine/timing.h"
#include "lessons/lesson.h"
#include "ui/panel.h"
#include "ui/plots.h"

namespace pg {
namespace {

const LessonInfo kInfo = {
    "d3s-grpo",
    "D3S: dynamic dual-level down-sampling for GRPO",
    "D3S authors (ICLR 2026 submission)",
    2025,
    "",
    "",
    "D. Trainers and optimizers",
    LessonKind::trainer,
    Stepping::on_play,
    "Keep the rollouts with the most advantage variance and the tokens with the largest |A| × entropy.",
};

enum RunId { kGrpo, kD3s, kRuns };
const char* const kRunKey[kRuns] = {"grpo", "d3s"};
constexpr double kAdvantageEps = 1e-6;
constexpr int kFramesPerRun = 150;

class D3sGrpo : public Lesson {
 public:
  bool views_draw_from_outputs() const override { return true; }  // tests/test_worker_mirror.cpp

  const LessonInfo& info() const override { return kInfo; }

  void declare(Declaration& d) override {
    ParamList& p = d.params;
    p.choice("selection", "sample selection", &selection_, {"across-groups", "within-groups"}, 0,
             "D3S picks the max-variance rollouts over the whole batch (advantages normalized within groups only); "
             "within-groups keeps the same fraction of every group (the paper's D1S ablation).");
    p.real("sample_keep", "rollouts kept, start", &sample_keep_, 0.25, 1, 0.25, "Fraction of rollouts kept at step 0.");
    p.real("sample_keep_final", "rollouts kept, end", &sample_keep_final_, 0.25, 1, 0.5,
           "Fraction kept at the last step (the schedule is linear in between).");
    p.real("token_keep", "tokens kept, start", &token_keep_, 0.05, 1, 0.2,
           "Fraction of the kept rollouts' tokens kept at step 0, by |A| × H.");
    p.real("token_keep_final", "tokens kept, end", &token_keep_final_, 0.05, 1, 0.5, "Token fraction at the last step.");
    p.toggle("schedule", "dynamic schedule", &schedule_, true,
             "On: both fractions move linearly from start to end over training (D3S).  Off: they stay at the start "
             "values (the paper's D2S ablation).");
    p.integer("groups", "groups per step", &groups_, 2, 32, 16, "Prompts per batch (here every prompt is the same task).");
    p.integer("group_size", "group size G", &group_size_, 2, 12, 8, "Rollouts per group (≤ 12: the brute-force check).");
    p.integer("length", "tokens per rollout L", &length_, 4, 12, 8, "Length of every rollout.");
    p.integer("vocab", "vocabulary V", &vocab_, 2, 8, 4, "Tokens to choose from at every position.");
    p.integer("threshold", "matches for reward 1", &threshold_, 1, 12, 5,
              "Reward 1 when at least this many tokens match the target (clamped to L), else 0: sparse.");
    p.integer("steps", "training steps", &steps_, 20, 2000, 150, "Policy-gradient steps of each run.", true);
    p.real("lr", "learning rate", &lr_, 0.1, 100, 3, "Plain SGD on the logits (both runs).", true);
    declare_text(d.text);
    d.view("reward", "Expected reward against tokens used in gradients", [this](const ViewContext& v) { draw_reward(v); });
    d.view("kept", "D3S's last batch: kept tokens (|A| × H), rollouts by row", [this](const ViewContext& v) { draw_kept(v); });
    d.view("signal", "Gradient norm per step and the schedule", [this](const ViewContext& v) { draw_signal(v); });
    d.metric("reward_*", "exact expected reward of each run's policy after the steps taken (GRPO, D3S)");
    d.metric("tokens_used_*", "tokens that entered the policy gradient, summed over the steps taken");
    d.metric("maxvar_vs_bruteforce_ok", "1 when the sorted max-variance rule matched brute force on every group of "
                                        "every step so far (G ≤ 12), else 0");
    d.metric("reward_grpo_at_d3s_tokens", "GRPO's expected reward when it had used as many tokens as D3S has now");
    d.metric("token_fraction_d3s", "tokens_used_d3s / tokens_used_grpo");
    d.metric("mean_grad_norm_*", "mean ‖∇‖ of the policy-gradient loss per step");
    d.metric("zero_advantage_frac", "fraction of the last batch's rollouts with A = 0 (groups of equal rewards)");
    d.metric("kept_rollouts_last", "rollouts D3S kept in the last step");
    d.metric("kept_tokens_last", "tokens D3S kept in the last step");
    d.metric("steps_done", "training steps done");
  }

  void reset(uint64_t seed) override {
    seed_ = seed;
    Rng rng(seed);
    const int L = length_, V = vocab_;
    target_.assign(size_t(L), 0);
    for (int& t : target_) t = int(rng.below(uint32_t(V)));
    const int n = groups_ * group_size_;
    for (int r = 0; r < kRuns; ++r) {
      policy_[r].configure(L, V, threshold_, target_);
      Batch& b = batch_[r];
      b.tokens.assign(size_t(n) * L, 0);
      b.states.assign(size_t(n) * L, 0);
      b.rewards.assign(size_t(n), 0.0);
      b.adv.assign(size_t(n), 0.0);
      b.kept_sample.assign(size_t(n), 0);
      b.kept_token.assign(size_t(n) * L, 0);
      b.scores.assign(size_t(n) * L, 0.0);
      b.sample_idx.assign(size_t(n), 0);
      b.token_idx.assign(size_t(n) * L, 0);
      b.order.assign(size_t(n) * L, 0);
      b.cand.assign(size_t(n) * L, 0);
      tokens_used_[r] = 0;
      grad_norm_sum_[r] = 0;
      opt::Objective f;
      f.dim = policy_[r].num_params();
      f.value_grad = [this, r](int t, const double* theta, double* g) { return policy_loss(r, t, theta, g); };
      nn::OptimizerConfig c;
      c.kind = nn::OptimizerKind::sgd, c.lr = float(lr_), c.momentum = 0.0f;
      const std::vector<double> theta0(static_cast<size_t>(f.dim), 0.0);  // the uniform policy
      runs_[r].reset(std::move(f), std::make_unique<opt::NnOptimizer>(c), theta0.data(), steps_, 16);
      policy_[r].update_tables(theta0.data());
    }
    cand_scores_.assign(size_t(n) * L, 0.0);
    convert_.assign(size_t(n) * L, 0.0);
    heat_.assign(size_t(n) * L, 0.0f);
    group_scratch_.assign(size_t(group_size_), 0);
    group_kept_.assign(size_t(group_size_), 0);
    maxvar_ok_ = true;
    steps_done_ = 0;
    grpo_tokens_curve_.assign(size_t(steps_) + 1, 0.0);
    grpo_reward_curve_.assign(size_t(steps_) + 1, 0.0);
    curve_.clear();
    for (auto& c : curve_.values) c.reserve(size_t(steps_) + 1);
    reward_[kGrpo] = reward_[kD3s] = policy_[kGrpo].expected_reward();
    grpo_reward_curve_[0] = reward_[kGrpo];
    curve_.push({0, 0, float(reward_[kGrpo]), 0, float(reward_[kD3s]), 0, 0, float(sample_ratio(0)),
                 float(token_ratio(0))});
    per_call_ = std::max(1, steps_ / kFramesPerRun);
    std::copy(target_.begin(), target_.end(), convert_.begin());
    target_out_.set({L}, convert_.data());
    export_batches();
  }

  // One unit = one policy-gradient step of both runs.
  int step(int max_steps, double budget_ms) override {
    const int limit = std::min(max_steps, per_call_);
    const int units = timing::run_budgeted(limit, budget_ms, [this] { return done(); }, [&] {
      for (int r = 0; r < kRuns; ++r) {
        runs_[r].step(1, 1e30);
        grad_norm_sum_[r] += runs_[r].method().state();
        policy_[r].update_tables(runs_[r].x().data());
        reward_[r] = policy_[r].expected_reward();
      }
      ++steps_done_;
      grpo_tokens_curve_[size_t(steps_done_)] = double(tokens_used_[kGrpo]);
      grpo_reward_curve_[size_t(steps_done_)] = reward_[kGrpo];
      curve_.push({float(steps_done_), float(tokens_used_[kGrpo]), float(reward_[kGrpo]), float(tokens_used_[kD3s]),
                   float(reward_[kD3s]), float(runs_[kGrpo].method().state()), float(runs_[kD3s].method().state()),
                   float(sample_ratio(steps_done_)), float(token_ratio(steps_done_))});
    });
    export_batches();
    return units;
  }

  bool done() const override {
    return steps_done_ >= steps_ || runs_[kGrpo].diverged() || runs_[kD3s].diverged();
  }

  std::string problem() const override {
    for (const opt::FlatTrainer& t : runs_)
      if (t.diverged()) return t.problem() + ".  Lower the learning rate and reset.";
    return "";
  }

  void metrics(MetricList& out) const override {
    char key[64];
    for (int r = 0; r < kRuns; ++r) {
      std::snprintf(key, sizeof key, "reward_%s", kRunKey[r]);
      out.add(key, reward_[r]);
    }
    for (int r = 0; r < kRuns; ++r) {
      std::snprintf(key, sizeof key, "tokens_used_%s", kRunKey[r]);
      out.add(key, double(tokens_used_[r]));
    }
    out.add("maxvar_vs_bruteforce_ok", maxvar_ok_ ? 1.0 : 0.0);
    out.add("reward_grpo_at_d3s_tokens", grpo_reward_at(double(tokens_used_[kD3s])));
    out.add("token_fraction_d3s",
            tokens_used_[kGrpo] > 0 ? double(tokens_used_[kD3s]) / double(tokens_used_[kGrpo]) : 0.0);
    for (int r = 0; r < kRuns; ++r) {
      std::snprintf(key, sizeof key, "mean_grad_norm_%s", kRunKey[r]);
      out.add(key, steps_done_ > 0 ? grad_norm_sum_[r] / steps_done_ : 0.0);
    }
    const Batch& b = batch_[kD3s];
    int zero = 0, kept_s = 0, kept_t = 0;
    for (double a : b.adv) zero += a == 0.0;
    for (int k : b.kept_sample) kept_s += k;
    for (int k : b.kept_token) kept_t += k;
    out.add("zero_advantage_frac", b.adv.empty() || steps_done_ == 0 ? 0.0 : double(zero) / double(b.adv.size()));
    out.add("kept_rollouts_last", steps_done_ > 0 ? kept_s : 0);
    out.add("kept_tokens_last", steps_done_ > 0 ? kept_t : 0);
    out.add("steps_done", steps_done_);
  }

 private:
  // One step's rollouts and what was kept, per run (sized in reset).
  struct Batch {
    std::vector<int> tokens, states;      // (n, L)
    std::vector<double> rewards, adv;     // (n,)
    std::vector<int> kept_sample;         // (n,) 0/1
    std::vector<int> kept_token;          // (n, L) 0/1
    std::vector<double> scores;           // (n, L) |A_i| H_it (0 for dropped rollouts)
    std::vector<int> sample_idx, token_idx, order, cand;  // scratch
  };

  double progress(int t) const { return schedule_ && steps_ > 1 ? double(t) / double(steps_ - 1) : 0.0; }
  double sample_ratio(int t) const {
    return std::min(1.0, opt::linear_schedule(sample_keep_, sample_keep_final_, progress(std::min(t, steps_ - 1))));
  }
  double token_ratio(int t) const {
    return std::min(1.0, opt::linear_schedule(token_keep_, token_keep_final_, progress(std::min(t, steps_ - 1))));
  }

  // The policy-gradient loss of run r at step t and its gradient w.r.t. the
  // logits theta (L*V*V,): sample, normalize within groups, select, then
  // opt::policy_gradient_loss over the kept tokens.
  double policy_loss(int r, int t, const double* theta, double* grad) {
    opt::TabularPolicy& pol = policy_[r];
    Batch& b = batch_[r];
    const int L = length_, G = group_size_, n = groups_ * G;
    pol.update_tables(theta);
    Rng rng = Rng(seed_).fork(uint64_t(t) + 1);  // the same random numbers for both runs
    for (int i = 0; i < n; ++i)
      b.rewards[size_t(i)] = pol.sample(rng, &b.tokens[size_t(i) * L], &b.states[size_t(i) * L]);
    for (int g = 0; g < groups_; ++g)
      opt::group_advantages(&b.rewards[size_t(g) * G], G, kAdvantageEps, &b.adv[size_t(g) * G]);
    check_max_variance(b, t);
    select(r, t, b);
    int kept = 0;
    for (int k : b.kept_token) kept += k;
    tokens_used_[r] += kept;
    return opt::policy_gradient_loss(pol, b.tokens.data(), b.states.data(), b.adv.data(), b.kept_token.data(), n, grad);
  }

  // Rollouts, then tokens.  GRPO keeps everything.
  void select(int r, int t, Batch& b) {
    const int L = length_, G = group_size_, n = groups_ * G;
    std::fill(b.kept_sample.begin(), b.kept_sample.end(), 0);
    std::fill(b.kept_token.begin(), b.kept_token.end(), 0);
    if (r == kGrpo) {
      std::fill(b.kept_sample.begin(), b.kept_sample.end(), 1);
      std::fill(b.kept_token.begin(), b.kept_token.end(), 1);
      for (int i = 0; i < n; ++i)
        for (int l = 0; l < L; ++l) b.scores[size_t(i) * L + l] = std::fabs(b.adv[size_t(i)]) * entropy_at(r, b, i, l);
      return;
    }
    const double rs = sample_ratio(t), rt = token_ratio(t);
    if (selection_ == 0) {  // across groups: one arg-max over the batch
      const int k = opt::keep_count(rs, n);
      opt::max_variance_subset(b.adv.data(), n, k, b.order.data(), b.sample_idx.data());
      for (int j = 0; j < k; ++j) b.kept_sample[size_t(b.sample_idx[size_t(j)])] = 1;
    } else {  // within each group
      const int k = opt::keep_count(rs, G);
      for (int g = 0; g < groups_; ++g) {
        opt::max_variance_subset(&b.adv[size_t(g) * G], G, k, group_scratch_.data(), group_kept_.data());
        for (int j = 0; j < k; ++j) b.kept_sample[size_t(g) * G + group_kept_[size_t(j)]] = 1;
      }
    }
    // Tokens of the kept rollouts, scored |A_i| * H_il; keep the top fraction.
    int m = 0;
    for (int i = 0; i < n; ++i)
      for (int l = 0; l < L; ++l) {
        const size_t at = size_t(i) * L + l;
        b.scores[at] = b.kept_sample[size_t(i)] ? std::fabs(b.adv[size_t(i)]) * entropy_at(r, b, i, l) : 0.0;
        if (b.kept_sample[size_t(i)]) b.cand[size_t(m++)] = int(at);
      }
    const int keep = opt::keep_count(rt, m);
    // top_k over the candidates' scores: gather them into token_idx's space first.
    std::vector<double>& cs = cand_scores_;
    for (int j = 0; j < m; ++j) cs[size_t(j)] = b.scores[size_t(b.cand[size_t(j)])];
    opt::top_k(cs.data(), m, keep, b.order.data(), b.token_idx.data());
    for (int j = 0; j < keep; ++j) b.kept_token[size_t(b.cand[size_t(b.token_idx[size_t(j)])])] = 1;
  }

  double entropy_at(int r, const Batch& b, int i, int l) const {
    const int s = b.states[size_t(i) * length_ + l];
    return policy_[r].entropy(s / vocab_, s % vocab_);
  }

  // The sorted rule against brute force on every group, at this step's ratio.
  void check_max_variance(const Batch& b, int t) {
    const int G = group_size_;
    const int k = opt::keep_count(sample_ratio(t), G);
    for (int g = 0; g < groups_; ++g) {
      const double* a = &b.adv[size_t(g) * G];
      const double rule = opt::max_variance_subset(a, G, k, group_scratch_.data(), group_kept_.data());
      const double brute = opt::max_variance_brute_force(a, G, k);
      if (!(std::fabs(rule - brute) <= 1e-12 * (1.0 + brute))) maxvar_ok_ = false;
    }
  }

  // GRPO's exact reward at the first step its token count reached `tokens`.
  double grpo_reward_at(double tokens) const {
    for (int s = 0; s <= steps_done_; ++s)
      if (grpo_tokens_curve_[size_t(s)] >= tokens) return grpo_reward_curve_[size_t(s)];
    return reward_[kGrpo];
  }

  // The last batches into the arrays (int masks and tokens as f64 through
  // buffers sized in reset: no allocation here).
  void export_batches() {
    const int n = groups_ * group_size_, L = length_;
    const Batch& d = batch_[kD3s];
    auto as_f64 = [this](const std::vector<int>& v) {
      std::copy(v.begin(), v.end(), convert_.begin());
      return convert_.data();
    };
    tokens_out_.set({n, L}, as_f64(d.tokens));
    kept_samples_out_.set({groups_, group_size_}, as_f64(d.kept_sample));
    kept_tokens_out_.set({n, L}, as_f64(d.kept_token));
    rewards_out_.set({groups_, group_size_}, d.rewards.data());
    adv_out_.set({groups_, group_size_}, d.adv.data());
    scores_out_.set({n, L}, d.scores.data());
    adv_grpo_out_.set({groups_, group_size_}, batch_[kGrpo].adv.data());
    rewards_grpo_out_.set({groups_, group_size_}, batch_[kGrpo].rewards.data());
    derive_view_data();
  }

  // A worker's outputs arrived (web/worker_link.h).
  void outputs_replaced() override { derive_view_data(); }

  // The kept-token map, from D3S's exported masks and scores.
  void derive_view_data() {
    const std::vector<double>&kept = kept_tokens_out_.d, &scores = scores_out_.d;
    if (kept.size() != heat_.size() || scores.size() != heat_.size()) return;
    for (size_t i = 0; i < heat_.size(); ++i) heat_[i] = kept[i] != 0 ? float(scores[i]) : 0.0f;
  }

  void declare_text(Walkthrough& t) {
    t.section("The problem")
        .paragraph("GRPO trains a language model's policy without a critic: for each prompt it samples a group of G "
                   "answers, scores them, and uses each answer's reward relative to its group as the advantage of all "
                   "its tokens.  With a sparse reward most groups are all wrong (or all right): their advantages are "
                   "exactly 0, yet their tokens still fill the batch and the gradient's average.  The signal is "
                   "diluted.  D3S down-samples twice: rollouts, then tokens.")
        .paragraph("The toy: a policy writes L tokens from V, each from a table softmax(θ[position][previous token]); "
                   "reward 1 when at least the threshold of them match a hidden target, else 0.  In the last batch "
                   "a fraction {zero_advantage_frac:%.2f} of the rollouts had A = 0.")
        .equation("A_i = (r_i − mean_group r) / (std_group r + ε)        (GRPO, within each group)");
    t.section("The method")
        .paragraph("Sample level: keep the k rollouts whose advantages have the largest variance.  Sorted, the best set "
                   "is always the j largest plus the k − j smallest advantages for some j (moving a kept value outward "
                   "never lowers the variance), so k + 1 candidates are tried.  D3S does this across all groups of the "
                   "batch at once; the advantages stay normalized within their own groups.  The paper proves Var(A) "
                   "is tied to an upper bound on the policy-gradient norm, so the kept batch carries the strongest "
                   "gradient.")
        .equation("S* = argmax_(|S| = k) Var({{A_i : i ∈ S}),     then keep the top K% tokens of S* by |A_i| × H_i,t")
        .paragraph("Token level: H_i,t is the policy's entropy at that token; tokens where it is both uncertain and "
                   "consequential are kept.  Both fractions follow a linear schedule in training progress p, "
                   "[N, K](p) = (1 − p)[N_init, K_init] + p[N_final, K_final]: aggressive early, relaxed later.  The "
                   "update is one on-policy step (the ratio is 1, so PPO's clipping never acts), averaged over the kept "
                   "tokens.")
        .warning("From a secondary source: no public code exists, and the method was read from a paper note and the "
                 "reviews (papers/method-notes.md).  The schedule's start and end values are not known; the defaults "
                 "here (rollouts 25% → 50%, tokens 20% → 50%) are this lesson's choice.  The paper picks the numbers of "
                 "positive and negative advantages to keep; this lesson searches all j instead (the exact arg-max, "
                 "checked against brute force: {maxvar_vs_bruteforce_ok:%.0f}).")
        .note("Teaching simplifications: a tabular policy instead of an LLM, one task for every prompt, population "
              "standard deviation, ε = 1e-6, no KL or entropy terms, plain SGD, and the mean over kept tokens as the "
              "normalization (DAPO-style); both runs share the same random numbers for sampling.");
    t.section("Try this")
        .bullet("Press Play: the view plots exact expected reward against tokens spent.  D3S reaches "
                "{reward_d3s:%.3f} with {tokens_used_d3s:%.0f} tokens; GRPO had {reward_grpo_at_d3s_tokens:%.3f} after "
                "as many tokens and ends at {reward_grpo:%.3f} with {tokens_used_grpo:%.0f}.")
        .bullet("Switch the selection to within-groups: every group keeps the same fraction, also the groups whose "
                "advantages are all 0.  Compare the reward curve and the kept-token map (the paper's ablation: D1S "
                "31.3 vs D1S-Cross 34.1).")
        .bullet("Turn the schedule off (the D2S ablation): the fractions stay aggressive to the end.")
        .bullet("Raise the threshold to 6: the reward gets sparser and GRPO's batches are almost all zero advantage.")
        .bullet("Set every keep fraction to 1: D3S becomes GRPO exactly (same numbers).");
    t.section("What the paper reports")
        .paragraph("On Qwen2.5-Math-7B, average Pass@1 over seven math benchmarks (from the paper note): GRPO 29.8, "
                   "GRPO + PODS 34.1, GRPO + D3S 34.3, GSPO + D3S 35.8, with a 2.04× speed-up over GRPO and fewer "
                   "than 20% of the tokens in the gradient.  The toy measures the same two quantities: reward, and "
                   "tokens spent.")
        .paper("Pass@1, GRPO → GRPO + D3S", "29.8 → 34.3", "reward_d3s", "%.3f (D3S)",
               "Live: exact expected reward of the toy policy after the steps; compare reward_grpo.")
        .paper("tokens in the gradient", "< 20% of GRPO's", "token_fraction_d3s", "%.2f of GRPO's",
               "Live: tokens that entered the gradient, D3S over GRPO, same number of steps.", 1)
        .paper("ablation: within vs across groups", "D1S 31.3, D1S-Cross 34.1", "", "",
               "Try the selection knob; the toy compares the two on reward.");
  }

  // ------------------------------------------------------------------ views
  void draw_reward(const ViewContext& v) const {
    const float h = v.height > 0 ? v.height - ImGui::GetTextLineHeightWithSpacing() : v.font_size * 16;
    plot::LinePlot p("##reward", ImVec2(v.width, std::max(h, v.font_size * 8)));
    p.axes("tokens used in gradients", "expected reward");
    p.y_range(0, 1.02);
    p.line("GRPO", curve_.col(1), curve_.col(2), curve_.rows(), plot::palette(0));
    p.line("D3S", curve_.col(3), curve_.col(4), curve_.rows(), plot::palette(1));
    p.draw();
    ImGui::TextDisabled("exact E[reward] of each policy (dynamic programming), after every step");
  }

  void draw_kept(const ViewContext& v) const {
    const int n = groups_ * group_size_;
    plot::HeatmapStyle style;
    style.map = plot::Colormap::viridis;
    style.title = "|A| × H of kept tokens (0: dropped)";
    const float h = v.height > 0 ? v.height : std::min(v.font_size * 24, std::max(v.font_size * 8, float(n) * 2.0f));
    if (!heat_.empty()) plot::heatmap("##kept", ImVec2(v.width, h), heat_.data(), n, length_, style);
    ImGui::TextDisabled("rows: rollouts (groups of %d); columns: token positions", group_size_);
  }

  void draw_signal(const ViewContext& v) const {
    const float w = ui::column_width(2), h = v.height > 0 ? v.height : v.font_size * 12;
    {
      plot::LinePlot p("##gnorm", ImVec2(w, h));
      p.axes("step", "‖∇ loss‖");
      p.line("GRPO", curve_.col(0), curve_.col(5), curve_.rows(), plot::palette(0));
      p.line("D3S", curve_.col(0), curve_.col(6), curve_.rows(), plot::palette(1));
      p.draw();
    }
    ui::next_column(w);
    {
      plot::LinePlot p("##schedule", ImVec2(w, h));
      p.axes("step", "fraction kept");
      p.y_range(0, 1.05);
      p.line("rollouts", curve_.col(0), curve_.col(7), curve_.rows(), plot::palette(2));
      p.line("tokens", curve_.col(0), curve_.col(8), curve_.rows(), plot::palette(3));
      p.draw();
    }
  }

  int selection_ = 0, groups_ = 16, group_size_ = 8, length_ = 8, vocab_ = 4, threshold_ = 5, steps_ = 150;
  double sample_keep_ = 0.25, sample_keep_final_ = 0.5, token_keep_ = 0.2, token_keep_final_ = 0.5, lr_ = 3;
  bool schedule_ = true;
  uint64_t seed_ = 1;
  std::vector<int> target_;
  opt::TabularPolicy policy_[kRuns];
  opt::FlatTrainer runs_[kRuns];
  Batch batch_[kRuns];
  std::vector<int> group_scratch_, group_kept_;
  std::vector<double> cand_scores_, convert_;
  int64_t tokens_used_[kRuns] = {0, 0};
  double reward_[kRuns] = {0, 0}, grad_norm_sum_[kRuns] = {0, 0};
  std::vector<double> grpo_tokens_curve_, grpo_reward_curve_;  // (steps + 1,) by step
  bool maxvar_ok_ = true;
  int steps_done_ = 0, per_call_ = 1;
  std::vector<float> heat_;

  Series& curve_ = outputs_.series("curves", {"step", "tokens_grpo", "reward_grpo", "tokens_d3s", "reward_d3s",
                                              "grad_norm_grpo", "grad_norm_d3s", "sample_keep", "token_keep"});
  Array& target_out_ = outputs_.array("target");              // (L,) the hidden target tokens
  Array& tokens_out_ = outputs_.array("tokens");              // (n, L) D3S's last batch of rollouts
  Array& rewards_out_ = outputs_.array("rewards");            // (groups, G) their rewards
  Array& adv_out_ = outputs_.array("advantages");             // (groups, G) f64 group-normalized advantages
  Array& kept_samples_out_ = outputs_.array("kept_samples");  // (groups, G) 1 = kept by the sample level
  Array& kept_tokens_out_ = outputs_.array("kept_tokens");    // (n, L) 1 = kept by the token level
  Array& scores_out_ = outputs_.array("token_scores");        // (n, L) f64 |A| * H (0 for dropped rollouts)
  Array& adv_grpo_out_ = outputs_.array("advantages_grpo");   // (groups, G) f64 GRPO's last batch
  Array& rewards_grpo_out_ = outputs_.array("rewards_grpo");  // (groups, G)
};

}  // namespace

PG_REGISTER_LESSON(D3sGrpo, 27);

}  // namespace pg
