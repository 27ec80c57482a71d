// softplus_attention.cpp - Lesson: "Softplus Attention with Re-weighting Boosts
// Length Extrapolation in Large Language Models" (Gao & Spratling, 2025,
// arXiv:2501.13428; official code https://github.com/iminfine/freeatten, not
// reachable: the method follows a third-party reimplementation, method-notes 1).
//
// Softmax = exp then l1 normalization.  LSSA keeps the l1 norm, replaces exp by
// softplus on cosine similarities, and scales them by log(d) log(N_i) so the
// row's entropy stays put as the length N grows; LSSAR then keeps only weights
// above uniform, sharpened by a power p.  A needle among N random keys shows
// what happens to its weight as N grows (engine/attention/attention.h).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "engine/attention/attention.h"
#include "engine/rng.h"
#include "lessons/lesson.h"
#include "ui/panel.h"
#include "ui/plots.h"

namespace pg {
namespace {

const LessonInfo kInfo = {
    "softplus-attention",
    "Softplus Attention with Re-weighting Boosts Length Extrapolation in Large Language Models",
    "Gao & Spratling",
    2025,
    "2501.13428",
    "https://github.com/iminfine/freeatten",
    "A. Softmax and attention kernels",
    LessonKind::kernel,
    Stepping::continuous,
    "Softplus + l1 norm + a length-dependent scale, then re-weighting: a needle keeps its weight as N grows.",
};

constexpr int kD = 64;          // head dimension (log d was tuned at d = 64)
constexpr int kMaxN = 8192;     // the knob's maximum and the sweep's end
constexpr int kHeat = 64;       // heatmaps: the first tokens
constexpr int kUniform = 16;    // the fallback demo: a row of identical keys
constexpr int kSweep[] = {32, 64, 128, 256, 512, 1024, 2048, 4096, 8192};
constexpr int kSweepN = 9;
constexpr int kVariants = 3;
constexpr const char* kVariantNames[kVariants] = {"softmax", "LSSA (softplus)", "LSSAR (re-weighted)"};
// Validation loss at 1K / 2K / 4K / 8K tokens (trained at 1K), from AI-written paper notes (method-notes 1).
constexpr const char* kPaperRows[4] = {"softmax", "LSSA", "LSSAR, p = 3", "LSSAR, p = 15"};
constexpr double kPaperLoss[4][4] = {{3.19, 4.17, 5.45, 6.28}, {3.19, 4.13, 5.30, 5.94}, {3.18, 4.24, 5.41, 6.30},
                                     {3.19, 3.19, 3.23, 3.32}};

double entropy(const float* p, int n) {
  double h = 0.0;
  for (int j = 0; j < n; ++j)
    if (p[j] > 0.0f) h -= double(p[j]) * detmath::log(double(p[j]));
  return h;
}

class SoftplusAttention : public Lesson {
 public:
  const LessonInfo& info() const override { return kInfo; }

  void declare(Declaration& d) override {
    ParamList& p = d.params;
    p.integer("n", "sequence length N", &n_, 32, kMaxN, 1024, "Keys the last token attends to (the needle is one "
                                                              "of the first 16).", true);
    p.integer("p", "power p", &p_, 1, 15, 15, "LSSAR's sharpening power: 15 is the reimplementation's default, 3 was "
                                              "reported best at 1K tokens.");
    p.toggle("scale", "length scale log d · log N", &scale_on_, true,
             "LSSA multiplies the cosine scores by log(d) log(N_i).  Off: softplus of the plain cosine.");
    p.toggle("reweight", "show re-weighting (LSSAR)", &reweight_, true,
             "Show LSSAR in the plots and maps (its metrics are computed either way).");
    p.choice("fallback", "LSSAR's empty rows", &fallback_, {"zero_row", "lssa_row"}, 0,
             "zero_row: as the reimplementation; lssa_row: a teaching choice.  A row where no weight beats uniform (an exactly uniform row) has nothing left after the ReLU: the "
             "reimplementation returns zeros, or keep the LSSA row.");
    declare_text(d.text);
    d.view("needle", "Weight on the needle and row entropy against N", [this](const ViewContext& v) { draw_needle(v); });
    d.view("paper", "The paper's length-extrapolation table beside the toy", [this](const ViewContext& v) { draw_paper(v); });
    d.view("maps", "Attention maps on the first 64 tokens, and the last row at N", [this](const ViewContext& v) { draw_maps(v); });
    d.metric("needle_mass_*", "weight the last token puts on the needle at the current N (softmax, lssa, lssar); "
                              "..._8192: at N = 8192");
    d.metric("entropy_*", "entropy (nats) of the last row at the current N; ln N is uniform");
    d.metric("softmax_mass_theory", "e^D / (e^D + (N − 1) e^(σ²/2)): softmax's needle weight for Gaussian keys, D the "
                                    "needle's logit, σ² = |q|²/d");
    d.metric("uniform_entropy", "ln N, the entropy of a uniform row");
    d.metric("lssa_scale_factor", "log(d) log(N) at the current N (1 when the scale is off)");
    d.metric("uniform_row_lssar_sum", "row sum of LSSAR on a row of 16 identical keys: 0 with the zero-row fallback, "
                                      "1 with the LSSA-row one");
    d.metric("sweep_lengths_done", "sequence lengths of the sweep computed so far (9 in all)");
  }

  void reset(uint64_t seed) override {
    Rng rng(seed);
    keys_.resize(size_t(kMaxN) * kD);
    for (float& x : keys_) x = float(rng.normal());
    needle_ = int(rng.below(16));
    // The query: the needle's key plus a little noise.
    query_.resize(kD);
    for (int c = 0; c < kD; ++c) query_[c] = keys_[size_t(needle_) * kD + c] + float(0.3 * rng.normal());
    double qq = 0.0, needle_logit = 0.0;
    for (int c = 0; c < kD; ++c) {
      qq += double(query_[c]) * query_[c];
      needle_logit += double(query_[c]) * keys_[size_t(needle_) * kD + c];
    }
    needle_logit_ = needle_logit / std::sqrt(double(kD));
    sigma2_ = qq / kD;
    make_specs();
    // The last row at the current N, for each variant.
    for (int v = 0; v < kVariants; ++v) {
      rows_[v].resize(size_t(n_));
      row_at(v, n_, rows_[v].data());
      mass_[v] = rows_[v][needle_];
      entropy_[v] = entropy(rows_[v].data(), n_);
      row_out_[v]->set({n_}, rows_[v].data());
    }
    heatmaps(rng);
    uniform_row_demo();
    sweep_.clear();
    done_lengths_ = 0;
    std::vector<float> longest(static_cast<size_t>(kMaxN));
    for (int v = 0; v < kVariants; ++v) {
      row_at(v, kMaxN, longest.data());
      mass_8192_[v] = longest[needle_];
    }
    keys_out_.set({n_, kD}, keys_.data());
    query_out_.set({kD}, query_.data());
    const double params[4] = {double(needle_), double(p_), scale_on_ ? 1.0 : 0.0, double(fallback_)};
    params_out_.set({4}, params);
  }

  // One unit: the next length of the sweep (N = 32 .. 8192), the needle's
  // weight and the row entropy under each variant.
  int step(int max_steps, double /*budget_ms*/) override {
    int done = 0;
    std::vector<float> row;
    while (done < max_steps && !this->done()) {
      const int N = kSweep[done_lengths_];
      row.resize(size_t(N));
      float mass[kVariants], ent[kVariants];
      for (int v = 0; v < kVariants; ++v) {
        row_at(v, N, row.data());
        mass[v] = row[needle_];
        ent[v] = float(entropy(row.data(), N));
      }
      sweep_.push({float(N), mass[0], mass[1], mass[2], ent[0], ent[1], ent[2], float(theory(N)),
                   float(std::log(double(N)))});
      ++done_lengths_, ++done;
    }
    return done;
  }
  bool done() const override { return done_lengths_ >= kSweepN; }

  void metrics(MetricList& out) const override {
    out.add("needle_mass_softmax", mass_[0]);
    out.add("needle_mass_lssa", mass_[1]);
    out.add("needle_mass_lssar", mass_[2]);
    out.add("entropy_softmax", entropy_[0]);
    out.add("entropy_lssa", entropy_[1]);
    out.add("entropy_lssar", entropy_[2]);
    out.add("softmax_mass_theory", theory(n_));
    out.add("uniform_entropy", detmath::log(double(n_)));
    out.add("lssa_scale_factor", scale_on_ ? attn::lssa_row_scale(kD, n_) : 1.0);
    out.add("uniform_row_lssar_sum", uniform_sum_);
    out.add("sweep_lengths_done", done_lengths_);
    out.add("needle_mass_softmax_8192", mass_8192_[0]);
    out.add("needle_mass_lssa_8192", mass_8192_[1]);
    out.add("needle_mass_lssar_8192", mass_8192_[2]);
  }

 private:
  void declare_text(Walkthrough& t) {
    t.section("The problem")
        .paragraph("A model trained on 1K tokens usually falls apart at 4K or 8K.  One culprit is the softmax itself: "
                   "the denominator sums over every visible token, so with more tokens each weight shrinks, the row "
                   "spreads out (its entropy grows like ln N) and a relevant token drowns.  A needle with logit D among "
                   "N random keys gets e^D / (e^D + N·e^(σ²/2)) of the weight: here {softmax_mass_theory:%.3f} at the "
                   "current N, measured {needle_mass_softmax:%.3f}.");
    t.section("The method")
        .paragraph("Softmax is a non-linearity (exp) followed by an l1 normalization.  The paper keeps the l1 norm, which "
                   "it finds essential, and changes the rest (LSSA):")
        .equation("q̂ = q/|q|,  k̂ = k/|k|,   A_ij = softplus(log d · log N_i · q̂_i·k̂_j),   A_ij ← A_ij / Σ_j A_ij")
        .paragraph("N_i is the number of tokens row i sees (1-based; row 1 is uniform).  The factor log N_i grows with "
                   "the length so that the row's entropy stays roughly constant (their 'invariance entropy' argument); "
                   "softplus keeps scores positive and finite for any input.  Re-weighting (LSSAR) then keeps only the "
                   "weights above uniform and sharpens them:")
        .equation("B_ij = ReLU(N_i A_ij − O_i)^p,   O_i = 1 (0 for the first three rows),   A_ij ← B_ij / Σ_j B_ij")
        .paragraph("N_i A_ij − 1 > 0 exactly when A_ij beats the uniform 1/N_i.  The lesson computes B as "
                   "(x / max_j x)^p, which leaves the normalized row unchanged: (N − 1)^15 overflows float32 once N "
                   "passes ~370.  Here d = 64, keys N(0, I), the query is the needle's key plus noise 0.3, and the "
                   "last token's row is shown (causal: it sees all N).")
        .warning("Official code (iminfine/freeatten) not reachable: the method follows a third-party reimplementation "
                 "(lssa.py / lssar.py) and paper notes, which agree with each other.  The numbers in the table come "
                 "from AI-written paper notes and are unverified against the PDF.")
        .warning("A row where nothing beats uniform (an exactly uniform row, e.g. identical keys) is all zeros after "
                 "the ReLU.  The reimplementation then divides 0 by 1e-8 and returns a ZERO row; this lesson does the "
                 "same by default (row sum on 16 identical keys: {uniform_row_lssar_sum:%.0f}).  The other choice, "
                 "keeping the LSSA row, is a teaching choice, not the paper's.")
        .note("The abstract (v1/v2) calls re-weighting fine-tuning-free; later versions train LSSAR models with it.  "
              "Nothing is trained here, so it does not matter for the demo.");
    t.section("Try this")
        .bullet("Watch the sweep: softmax's needle weight falls from near 1 toward 0 as N grows to 8192, as the "
                "theory curve says; LSSAR's stays near 1 (at 8192: {needle_mass_lssar_8192:%.3f} vs "
                "{needle_mass_softmax_8192:%.3f}).")
        .bullet("LSSA alone is not sharper than softmax here: softplus grows only linearly, so the needle competes "
                "with N keys of weight ~log 2 each ({needle_mass_lssa:%.3f} on the needle).  Its entropy still grows "
                "like ln N on these random keys; the paper's entropy-invariance argument concerns the scale of trained "
                "scores, which a random toy cannot show.  The re-weighting does the concentrating.")
        .bullet("Turn the length scale off: LSSA becomes nearly uniform (entropy ≈ ln N), and re-weighting has "
                "little signal left to amplify.")
        .bullet("Lower p to 1: re-weighting only drops the below-uniform weights; p = 15 makes the row almost one-hot.")
        .paragraph("Now, N = the knob: needle weight softmax {needle_mass_softmax:%.3f}, LSSA {needle_mass_lssa:%.3f}, "
                   "LSSAR {needle_mass_lssar:%.3f}; entropy {entropy_softmax:%.2f} / {entropy_lssa:%.2f} / "
                   "{entropy_lssar:%.2f} nats (uniform {uniform_entropy:%.2f}).");
    t.section("What the paper reports")
        .paper("validation loss at 8K tokens (8× the 1K training length), LSSAR p = 15", "3.32 vs softmax 6.28 "
               "(paper notes, unverified)", "needle_mass_lssar", "toy: needle weight %.3f at this N",
               "Paper: GPT-2 small + RoPE, FineWeb-10B, trained at 1K.  Toy: one random row, no training; a "
               "different quantity, shown beside it, not compared.")
        .paper("passkey retrieval at 1K / 1.5K / 4K", "softmax 64% / 0% / 0%, LSSAR 86% / 45% / 20% (paper notes)",
               "needle_mass_softmax", "toy softmax needle weight %.3f",
               "Paper: trained models.  Toy: the weight a fixed query puts on its matching key.")
        .paper("headline", "nearly constant validation loss at 16× the training length", "", "",
               "Not reproducible without training a language model.");
  }

  void make_specs() {
    specs_[0] = {};
    specs_[0].op = attn::Op::softmax, specs_[0].scale = float(1.0 / std::sqrt(double(kD)));
    specs_[1] = {};
    specs_[1].op = attn::Op::lssa, specs_[1].lssa_scale = scale_on_, specs_[1].scale = 1.0f;
    specs_[2] = specs_[1];
    specs_[2].op = attn::Op::lssar, specs_[2].power = p_;
    specs_[2].lssar_fallback = fallback_ == 1 ? attn::LssarFallback::lssa_row : attn::LssarFallback::zero_row;
  }
  // The last token's row at length N: query `query_` at position N - 1 over keys 0..N-1.
  void row_at(int v, int N, float* out) const {
    attn::attention_row(specs_[v], query_.data(), keys_.data(), N, N - 1, kD, out);
  }
  double theory(int N) const {
    const double eD = detmath::exp(needle_logit_);
    return eD / (eD + (N - 1) * detmath::exp(0.5 * sigma2_));
  }

  // Maps on the first tokens: random queries, the needle query last.
  void heatmaps(Rng& rng) {
    const int h = std::min(kHeat, n_);
    std::vector<float> q(size_t(h) * kD);
    for (float& x : q) x = float(rng.normal());
    for (int c = 0; c < kD; ++c) q[size_t(h - 1) * kD + c] = query_[c];
    heat_n_ = h;
    for (int v = 0; v < kVariants; ++v) {
      heat_[v].resize(size_t(h) * h);
      attn::attention_weights(specs_[v], q.data(), keys_.data(), h, kD, heat_[v].data());
      heat_out_[v]->set({h, h}, heat_[v].data());
    }
    heat_q_out_.set({h, kD}, q.data());
  }

  void uniform_row_demo() {
    std::vector<float> same(size_t(kUniform) * kD), row(kUniform);
    for (int j = 0; j < kUniform; ++j)
      for (int c = 0; c < kD; ++c) same[size_t(j) * kD + c] = keys_[c];
    attn::attention_row(specs_[2], query_.data(), same.data(), kUniform, kUniform - 1, kD, row.data());
    double s = 0.0;
    for (float x : row) s += x;
    uniform_sum_ = s;
  }

  // ------------------------------------------------------------------ views
  void draw_needle(const ViewContext& v) const {
    const float w = ui::column_width(2), h = v.height > 0 ? v.height - v.font_size * 1.5f : v.font_size * 13;
    const Series& s = sweep_;
    const int shown = reweight_ ? 3 : 2;
    {
      plot::LinePlot p("##mass", ImVec2(w, h));
      p.axes("sequence length N", "weight on the needle", false, true);
      p.x_range(32, kMaxN);
      p.y_range(0, 1.05);
      for (int k = 0; k < shown; ++k) p.line(kVariantNames[k], s.col(0), s.col(1 + k), s.rows(), plot::palette(k + 1));
      p.line("softmax theory e^D/(e^D+N e^(σ²/2))", s.col(0), s.col(7), s.rows(), plot::palette(1), true);
      p.vline(n_, "N", plot::faint_ink());
      p.draw();
    }
    ui::next_column(w);
    {
      plot::LinePlot p("##ent", ImVec2(w, h));
      p.axes("sequence length N", "row entropy (nats)", false, true);
      p.x_range(32, kMaxN);
      for (int k = 0; k < shown; ++k) p.line(kVariantNames[k], s.col(0), s.col(4 + k), s.rows(), plot::palette(k + 1));
      p.line("uniform: ln N", s.col(0), s.col(8), s.rows(), plot::ink(0.5f), true);
      p.draw();
    }
    if (!done()) ImGui::TextDisabled("Sweeping the length: %d of %d.", done_lengths_, kSweepN);
  }

  // The paper's numbers (unverified paper notes) beside the toy's needle weights at the same lengths.
  void draw_paper(const ViewContext&) const {
    const int cols[4] = {1024, 2048, 4096, 8192};
    if (!ImGui::BeginTable("##paper", 5, ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingStretchProp))
      return;
    ImGui::TableSetupColumn("");
    for (int c : cols) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "%dK", c / 1024);
      ImGui::TableSetupColumn(buf);
    }
    ImGui::TableHeadersRow();
    for (int r = 0; r < 4; ++r) {
      ImGui::TableNextRow();
      ImGui::TableSetColumnIndex(0);
      ImGui::Text("paper: %s, val. loss", kPaperRows[r]);
      for (int c = 0; c < 4; ++c) {
        ImGui::TableSetColumnIndex(c + 1);
        ImGui::Text("%.2f", kPaperLoss[r][c]);
      }
    }
    for (int k = 0; k < (reweight_ ? 3 : 2); ++k) {
      ImGui::TableNextRow();
      ImGui::TableSetColumnIndex(0);
      ImGui::Text("toy: %s, needle weight", kVariantNames[k]);
      for (int c = 0; c < 4; ++c) {
        ImGui::TableSetColumnIndex(c + 1);
        const int row = sweep_row(cols[c]);
        if (row >= 0) ImGui::Text("%.3f", sweep_.col(1 + k)[row]);
        else ImGui::TextDisabled("–");
      }
    }
    ImGui::EndTable();
    ImGui::TextDisabled("Paper rows: validation loss (lower is better) of GPT-2 small trained at 1K tokens, from "
                        "AI-written paper notes, unverified.  Toy rows: needle weight (higher is better) of one random "
                        "row at LSSAR p = %d.  Different quantities: read the trends, not the numbers.", p_);
  }
  int sweep_row(int N) const {
    for (int i = 0; i < sweep_.rows(); ++i)
      if (int(sweep_.col(0)[i]) == N) return i;
    return -1;
  }

  void draw_maps(const ViewContext& v) const {
    const int shown = reweight_ ? 3 : 2;
    const float w = ui::column_width(shown, 9);
    const float side = std::min(w, v.height > 0 ? v.height * 0.55f : v.font_size * 12);
    plot::HeatmapStyle hs;
    hs.vmin = 0, hs.vmax = 0.5f;
    for (int k = 0; k < shown; ++k) {
      if (k) ui::next_column(w);
      hs.title = kVariantNames[k];
      char id[16];
      std::snprintf(id, sizeof id, "##map%d", k);
      plot::heatmap(id, ImVec2(w, side), heat_[k].data(), heat_n_, heat_n_, hs);
    }
    plot::LinePlot p("##row", ImVec2(v.width, v.font_size * 9));
    p.axes("key position j", "weight of the last row at N", true);
    for (int k = 0; k < shown; ++k) p.line(kVariantNames[k], nullptr, rows_[k].data(), n_, plot::palette(k + 1));
    p.vline(needle_, "needle", plot::faint_ink());
    p.draw();
    ImGui::TextDisabled("Maps: 64 random queries (the needle query last) over the first 64 keys, colour capped at "
                        "0.5.  LSSAR's first three rows keep every weight (O = 0).");
  }

  int n_ = 1024, p_ = 15, fallback_ = 0;
  bool scale_on_ = true, reweight_ = true;
  std::vector<float> keys_, query_, rows_[kVariants], heat_[kVariants];
  attn::OpSpec specs_[kVariants];
  int needle_ = 0, heat_n_ = 0, done_lengths_ = 0;
  double needle_logit_ = 0, sigma2_ = 1, uniform_sum_ = 0;
  double mass_[kVariants] = {}, entropy_[kVariants] = {}, mass_8192_[kVariants] = {};

  Series& sweep_ = outputs_.series("sweep", {"n", "mass_softmax", "mass_lssa", "mass_lssar", "entropy_softmax",
                                             "entropy_lssa", "entropy_lssar", "mass_softmax_theory", "ln_n"});
  Array& keys_out_ = outputs_.array("k");       // (N, d) the keys the last row sees (needle among the first 16)
  Array& query_out_ = outputs_.array("q");      // (d,) the last token's query
  Array& heat_q_out_ = outputs_.array("q_map"); // (h, d) the maps' queries (keys: the first h of k)
  Array* row_out_[kVariants] = {&outputs_.array("row_softmax"), &outputs_.array("row_lssa"),
                                &outputs_.array("row_lssar")};  // (N,) the last row at the current N
  Array* heat_out_[kVariants] = {&outputs_.array("map_softmax"), &outputs_.array("map_lssa"),
                                 &outputs_.array("map_lssar")};  // (h, h) causal maps, h = min(N, 64)
  Array& params_out_ = outputs_.array("params");  // (4,) f64: needle position, p, scale on, fallback index
};

}  // namespace

PG_REGISTER_LESSON(SoftplusAttention, 4);

}  // namespace pg
