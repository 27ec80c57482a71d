// d3s-grpo (LESSONS.md #27) at the lesson level: the exported last batch
// obeys the rules (zero advantage for equal-reward groups, exactly
// ceil(pN) rollouts and tokens kept, kept scores >= dropped ones), the
// max-variance check held on every group, D3S reaches a higher reward than
// GRPO did with the same tokens, keep fractions of 1 make D3S GRPO exactly,
// and frame splits do not change the numbers.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "engine/opt/grpo.h"
#include "tests/lesson_test_util.h"
#include "web/session.h"

using namespace pg;
using lesson_test::metric;
using lesson_test::run_to_end;
using lesson_test::output_array;

TEST_CASE("d3s-grpo: the last batch obeys the selection rules; D3S beats GRPO per token") {
  for (const char* selection : {"across-groups", "within-groups"}) {
    CAPTURE(selection);
    Session s;
    std::string msg;
    REQUIRE(s.open("d3s-grpo", msg));
    REQUIRE(s.set("selection", selection, msg));
    REQUIRE(s.set("steps", "60", msg));
    s.reset(2);
    run_to_end(s);
    CHECK(s.lesson().problem().empty());
    CHECK(metric(s, "maxvar_vs_bruteforce_ok") == 1);
    const Array& rewards = output_array(s, "rewards");
    const Array& adv = output_array(s, "advantages");
    const Array& ks = output_array(s, "kept_samples");
    const Array& kt = output_array(s, "kept_tokens");
    const Array& sc = output_array(s, "token_scores");
    const int B = int(adv.shape[0]), G = int(adv.shape[1]), L = int(kt.shape[1]), n = B * G;
    REQUIRE(n == 128);
    for (int g = 0; g < B; ++g) {  // equal rewards -> zero advantage
      bool equal = true;
      for (int i = 1; i < G; ++i) equal &= rewards.d[size_t(g) * G + i] == rewards.d[size_t(g) * G];
      if (equal)
        for (int i = 0; i < G; ++i) CHECK(adv.d[size_t(g) * G + i] == 0.0);
    }
    // The last step (t = 59 of 60) has progress 1: the end fractions.
    int kept_samples = 0;
    for (double v : ks.d) kept_samples += v != 0;
    if (std::string(selection) == "across-groups") {
      CHECK(kept_samples == opt::keep_count(0.5, n));
      std::vector<int> order(static_cast<size_t>(n)), kept(static_cast<size_t>(n));
      const double best = opt::max_variance_subset(adv.d.data(), n, kept_samples, order.data(), kept.data());
      std::vector<int> idx;
      for (int i = 0; i < n; ++i)
        if (ks.d[size_t(i)] != 0) idx.push_back(i);
      CHECK(opt::population_variance(adv.d.data(), idx.data(), kept_samples) == doctest::Approx(best));
    } else {
      CHECK(kept_samples == B * opt::keep_count(0.5, G));
    }
    int candidates = 0, kept_tokens = 0;
    double min_kept = INFINITY, max_dropped = -INFINITY;
    for (int i = 0; i < n; ++i) {
      if (ks.d[size_t(i)] == 0) {
        for (int l = 0; l < L; ++l) CHECK(kt.d[size_t(i) * L + l] == 0);  // tokens only from kept rollouts
        continue;
      }
      for (int l = 0; l < L; ++l) {
        ++candidates;
        const double score = sc.d[size_t(i) * L + l];
        CHECK(std::isfinite(score));
        CHECK(score >= 0);
        if (adv.d[size_t(i)] == 0) CHECK(score == 0);  // |A| x H
        if (kt.d[size_t(i) * L + l] != 0) ++kept_tokens, min_kept = std::min(min_kept, score);
        else max_dropped = std::max(max_dropped, score);
      }
    }
    CHECK(kept_tokens == opt::keep_count(0.5, candidates));
    if (kept_tokens < candidates) CHECK(min_kept >= max_dropped);
    CHECK(metric(s, "kept_tokens_last") == kept_tokens);
    CHECK(metric(s, "tokens_used_d3s") < 0.3 * metric(s, "tokens_used_grpo"));
    CHECK(metric(s, "reward_d3s") > metric(s, "reward_grpo_at_d3s_tokens"));
    CHECK(metric(s, "mean_grad_norm_d3s") > metric(s, "mean_grad_norm_grpo"));
  }
}

TEST_CASE("d3s-grpo: with every keep fraction at 1, D3S is GRPO exactly") {
  Session s;
  std::string msg;
  REQUIRE(s.open("d3s-grpo", msg));
  for (const char* k : {"sample_keep", "sample_keep_final", "token_keep", "token_keep_final"}) REQUIRE(s.set(k, "1", msg));
  REQUIRE(s.set("steps", "40", msg));
  s.reset(9);
  run_to_end(s);
  CHECK(metric(s, "reward_d3s") == metric(s, "reward_grpo"));
  CHECK(metric(s, "tokens_used_d3s") == metric(s, "tokens_used_grpo"));
}

TEST_CASE("d3s-grpo: same numbers however the steps are split into frames") {
  const auto a = lesson_test::metrics_after_run("d3s-grpo", {{"steps", "30"}, {"group_size", "12"}}, 3, 1);
  const auto b = lesson_test::metrics_after_run("d3s-grpo", {{"steps", "30"}, {"group_size", "12"}}, 3, 7);
  CHECK(a == b);
}
