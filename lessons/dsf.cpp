// dsf.cpp - Lesson: "Understanding the differences in foundation models:
// attention, state space models and RNNs" (Sieber, Amo Alonso, Didier,
// Zeilinger & Orvieto, 2024, arXiv:2405.15731): the Dynamical Systems
// Framework (DSF).
//
// Six token mixers, written as y = Phi u, on one associative-recall input:
// softmax attention, linear attention (elu + 1), linear attention with
// Performer random features, DSF's normalized attention, an S6-like selective
// SSM and a qLSTM-like gated RNN.  Each runs in its recurrent form (what the
// state size means) and in its materialized form (the Phi heatmaps), and the
// two are compared.  The recall curve measures how many queried values each
// layer retrieves as its state grows.  The layers are hand-set, not trained:
// the panel says so.
//
// Work units (step): one state size of the recall curve (every model, kSeqs
// sequences).  The chosen state size is measured in reset, so the read-outs
// exist at once; every unit draws its sequences from its own stream.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "engine/attention/attention.h"
#include "engine/attention/ssm.h"
#include "engine/rng.h"
#include "engine/timing.h"
#include "lessons/lesson.h"
#include "ui/panel.h"
#include "ui/plots.h"

namespace pg {
namespace {

const LessonInfo kInfo = {
    "dsf",
    "Attention, SSMs and RNNs in one framework (DSF)",
    "Sieber, Amo Alonso, Didier, Zeilinger & Orvieto",
    2024,
    "2405.15731",
    "https://github.com/IntelligentControlSystems/dsf-mqar",
    "A. Softmax and attention kernels",
    LessonKind::analysis,
    Stepping::continuous,
    "Softmax and linear attention, an SSM and a gated RNN as one y = Φu; associative recall against state size.",
};

constexpr int kKeyDim = 32;    // d_k: keys are random unit vectors
constexpr int kValues = 32;    // V: values are one-hot, distinct within a sequence
constexpr int kSeqs = 50;      // sequences per point of the recall curve
const int kGrid[] = {1, 2, 4, 8, 16, 32, 64};  // state expansions of the curve
constexpr int kGridSize = int(sizeof(kGrid) / sizeof(kGrid[0]));

enum Model { kSoftmax, kLinear, kRandomFeatures, kNormalized, kS6, kGatedRnn, kModels };
const char* const kModelKeys[kModels] = {"softmax", "linear", "random_features", "normalized", "s6", "gated_rnn"};
const char* const kModelLabels[kModels] = {"softmax attention", "linear attention (elu+1)", "random features",
                                           "normalized attention", "S6 (selective SSM)", "gated RNN (qLSTM)"};

enum Stream : uint64_t { kStreamShown = 1, kStreamWeights = 2, kStreamCurve = 100 };

// One recall sequence: `pairs` tokens (key, value), then `pairs` queries
// (a stored key, no value) in random order.  Token features
// x_i = [key_i (d_k), one-hot value_i (V), flag_i (1 on a pair)].
struct Sequence {
  int L = 0, pairs = 0;
  std::vector<float> keys;   // (L, d_k)
  std::vector<float> u;      // (L, V): the values, the channels every layer mixes
  std::vector<float> flag;   // (L)
  std::vector<int> target;   // (L): the value a query must return, -1 on pair tokens
};

Sequence make_sequence(Rng& rng, int pairs) {
  Sequence s;
  s.pairs = pairs, s.L = 2 * pairs;
  s.keys.assign(size_t(s.L) * kKeyDim, 0.0f);
  s.u.assign(size_t(s.L) * kValues, 0.0f);
  s.flag.assign(size_t(s.L), 0.0f);
  s.target.assign(size_t(s.L), -1);
  std::vector<int> values(kValues), order(static_cast<size_t>(pairs));
  for (int c = 0; c < kValues; ++c) values[size_t(c)] = c;
  rng.shuffle(values.data(), kValues);
  for (int j = 0; j < pairs; ++j) order[size_t(j)] = j;
  rng.shuffle(order.data(), pairs);
  std::vector<float> key(kKeyDim);
  for (int j = 0; j < pairs; ++j) {
    double sq = 0;
    for (float& x : key) {
      x = float(rng.normal());
      sq += double(x) * x;
    }
    const float inv = float(1.0 / std::sqrt(sq));
    for (int c = 0; c < kKeyDim; ++c) s.keys[size_t(j) * kKeyDim + c] = key[size_t(c)] * inv;
    s.u[size_t(j) * kValues + values[size_t(j)]] = 1.0f;
    s.flag[size_t(j)] = 1.0f;
  }
  for (int q = 0; q < pairs; ++q) {
    const int i = pairs + q, j = order[size_t(q)];
    std::copy_n(&s.keys[size_t(j) * kKeyDim], kKeyDim, &s.keys[size_t(i) * kKeyDim]);
    s.target[size_t(i)] = values[size_t(j)];
  }
  return s;
}

// The hand-set weights of one state expansion n, drawn once per (seed, n).
struct Weights {
  int n = 0;
  std::vector<float> R;           // (n, d_k): key projection, N(0, 1/n), shared by linear/normalized/S6/gated
  attn::RandomFeatures features;  // Performer's m = n random features on the raw keys
  std::vector<float> w_eta;       // (d_k + V + 1): normalized attention's log-normalizer weights W_n
};

Weights make_weights(uint64_t seed, int n) {
  Rng rng = Rng(seed).fork(kStreamWeights + 16 * uint64_t(n));
  Weights w;
  w.n = n;
  w.R.resize(size_t(n) * kKeyDim);
  for (float& r : w.R) r = float(rng.normal() / std::sqrt(double(n)));
  w.features = attn::make_random_features(kKeyDim, n, rng);
  w.w_eta.resize(kKeyDim + kValues + 1);
  for (float& x : w.w_eta) x = float(rng.normal() * 0.3);
  return w;
}

// What one model produced on one sequence.
struct ModelRun {
  std::vector<float> y_rec;  // (L, V) recurrent form
  std::vector<float> phi;    // (L, L) materialized weights (only when asked)
  std::vector<float> y_mat;  // (L, V) = Phi u
};

struct Settings {
  float sharpness = 4, selectivity = 2, decay = 0.1f;
};

class Dsf : public Lesson {
 public:
  const LessonInfo& info() const override { return kInfo; }

  void declare(Declaration& d) override {
    ParamList& p = d.params;
    p.integer("n", "state expansion n", &n_, 1, 64, 16,
              "The state size of the recurrent layers: linear attention keeps an n x V matrix (n = the feature "
              "dimension), S6 n states per channel, the gated RNN n x V channels.  Softmax attention keeps every "
              "key and value (its state grows with the sequence).",
              true);
    p.choice("model", "highlighted model", &model_, std::vector<std::string>(kModelKeys, kModelKeys + kModels), kS6,
             "The model whose curve is drawn strongest and whose Φ is framed.  Every model is always computed.")
        .restarts = false;  // only what the views emphasize
    p.real("selectivity", "selectivity scale", &selectivity_, 0.0, 4.0, 2.0,
           "How much S6's step Δ depends on the token: Δ_i = softplus(−2 + s (2 flag_i − 1)), flag = 1 on a "
           "key-value token.  s = 0: the same Δ everywhere (a time-invariant SSM); large s: large steps on pairs "
           "(write and forget hard), tiny steps on queries.");
    p.real("decay", "S6 decay |A|", &decay_, 0.0, 2.0, 0.1,
           "A = −|A| on every state of S6: Λ_i = exp(Δ_i A).  0: no forgetting, and S6 becomes unnormalized linear "
           "attention.");
    p.integer("pairs", "key-value pairs", &pairs_, 2, 32, 8,
              "Pairs in a sequence (then as many queries).  Values are distinct one-hot vectors among V = 32.");
    p.real("sharpness", "softmax sharpness β", &sharpness_, 1.0, 16.0, 4.0,
           "The logit scale of softmax attention, exp(β q·k), and of the kernel the random features estimate.",
           true);
    declare_text(d.text);
    d.view("phi", "Φ of every model on the same input (row i: what output i takes from each token j)",
           [this](const ViewContext& v) { draw_phi(v); });
    d.view("recall", "Recall accuracy against state expansion n", [this](const ViewContext& v) { draw_recall(v); });
    declare_metrics(d);
  }

  void reset(uint64_t seed) override {
    seed_ = seed;
    settings_ = {float(sharpness_), float(selectivity_), float(decay_)};
    // The shown input and every model's Phi on it, at the chosen n.
    Rng rng = Rng(seed).fork(kStreamShown);
    shown_ = make_sequence(rng, pairs_);
    const Weights w = make_weights(seed, n_);
    for (int m = 0; m < kModels; ++m) {
      run_model(Model(m), shown_, w, true, runs_[m]);
      max_err_[m] = 0;
      for (size_t i = 0; i < runs_[m].y_rec.size(); ++i)
        max_err_[m] = std::max(max_err_[m], double(std::fabs(runs_[m].y_rec[i] - runs_[m].y_mat[i])));
    }
    export_shown(w);
    // Recall at the chosen n now; the curve in step().
    measure_recall(n_, at_n_);
    curve_.assign(size_t(kGridSize), {});
    have_.assign(size_t(kGridSize), false);
    next_unit_ = 0;
    refresh_curve();
  }

  int step(int max_steps, double budget_ms) override {
    const int units = timing::run_budgeted(max_steps, budget_ms, [this] { return done(); }, [&] {
      measure_recall(kGrid[next_unit_], curve_[size_t(next_unit_)]);
      have_[size_t(next_unit_)] = true;
      ++next_unit_;
      refresh_curve();
    });
    return units;
  }

  bool done() const override { return next_unit_ >= kGridSize; }

  void metrics(MetricList& out) const override {
    for (int m = 0; m < kModels; ++m) {
      out.add(("max_abs_err_recurrent_" + std::string(kModelKeys[m])).c_str(), max_err_[m]);
    }
    for (int m = 0; m < kModels; ++m) out.add(("recall_" + std::string(kModelKeys[m])).c_str(), at_n_.acc[m]);
    out.add("chance", 1.0 / pairs_);
    out.add("state_floats_recurrent", double(n_) * kValues);
    out.add("state_floats_softmax", double(2 * pairs_) * (kKeyDim + kValues));
    out.add("normalized_row_sum_max_dev", row_sum_dev_[kNormalized]);
    out.add("linear_row_sum_max_dev", row_sum_dev_[kLinear]);
    out.add("curve_points", double(next_unit_));
  }

 private:
  struct Recall {
    double acc[kModels] = {0, 0, 0, 0, 0, 0};
  };

  // ------------------------------------------------------------ the models
  // One model on one sequence: its recurrent output and, when `materialize`,
  // its Phi and Phi u.
  void run_model(Model m, const Sequence& s, const Weights& w, bool materialize, ModelRun& out) const {
    const int L = s.L, n = w.n;
    out.y_rec.assign(size_t(L) * kValues, 0.0f);
    if (materialize) out.phi.assign(size_t(L) * L, 0.0f), out.y_mat.assign(size_t(L) * kValues, 0.0f);
    if (m == kS6 || m == kGatedRnn) {
      run_recurrent_layer(m, s, w, materialize, out);
      return;
    }
    attn::OpSpec spec;
    spec.causal = true;
    std::vector<float> proj, log_eta;
    const float* qk = s.keys.data();
    int d = kKeyDim;
    if (m == kSoftmax) {
      spec.op = attn::Op::softmax, spec.scale = settings_.sharpness;
    } else if (m == kRandomFeatures) {
      spec.op = attn::Op::linear, spec.map = attn::FeatureMap::random_positive, spec.features = &w.features;
      spec.scale = settings_.sharpness;
    } else {
      project(s, w, proj);
      qk = proj.data(), d = n;
      if (m == kLinear) {
        spec.op = attn::Op::linear, spec.map = attn::FeatureMap::elu_plus_one;
      } else {  // normalized: q.k / exp(W_n x_i)
        spec.op = attn::Op::normalized;
        log_eta.resize(size_t(L));
        for (int i = 0; i < L; ++i) log_eta[size_t(i)] = log_eta_of(s, w, i);
        spec.log_eta = log_eta.data();
      }
    }
    attn::attention_recurrent(spec, qk, qk, s.u.data(), L, d, kValues, out.y_rec.data());
    if (materialize) {
      attn::attention_weights(spec, qk, qk, L, d, out.phi.data());
      attn::weights_apply(out.phi.data(), s.u.data(), L, kValues, out.y_mat.data());
    }
  }

  // p_i = R key_i, (L, n).
  static void project(const Sequence& s, const Weights& w, std::vector<float>& p) {
    p.assign(size_t(s.L) * w.n, 0.0f);
    for (int i = 0; i < s.L; ++i)
      for (int a = 0; a < w.n; ++a) {
        float acc = 0;
        for (int c = 0; c < kKeyDim; ++c) acc += w.R[size_t(a) * kKeyDim + c] * s.keys[size_t(i) * kKeyDim + c];
        p[size_t(i) * w.n + a] = acc;
      }
  }
  // W_n x_i over the token's features [key, value, flag].
  static float log_eta_of(const Sequence& s, const Weights& w, int i) {
    float acc = w.w_eta[kKeyDim + kValues] * s.flag[size_t(i)];
    for (int c = 0; c < kKeyDim; ++c) acc += w.w_eta[size_t(c)] * s.keys[size_t(i) * kKeyDim + c];
    for (int c = 0; c < kValues; ++c) acc += w.w_eta[size_t(kKeyDim + c)] * s.u[size_t(i) * kValues + c];
    return acc;
  }
  // S6's step: Δ_i = softplus(−2 + s (2 flag_i − 1)).
  double s6_delta(const Sequence& s, int i) const {
    return attn::softplus(-2.0f + settings_.selectivity * (2.0f * s.flag[size_t(i)] - 1.0f));
  }

  // S6 and the gated RNN (engine/attention/ssm.h), in double.
  //   S6: B_i = C_i = p_i = R key_i, A = −decay on every state, Δ_i as above,
  //       shared by every value channel (s6_shared_*), so one Phi serves all V channels.
  //   gated RNN: n x V channels (a, c); channel (a, c) carries value c; its
  //       input and output gates are sigmoid(2 sqrt(n) p_i[a]) (the key's a-th
  //       feature), its forget gate the qLSTM's sigmoid(−f)^1 with f = −4.
  //       Summing the channels over a (the output layer) gives one effective
  //       Phi = sum_a Phi^(a) for every value channel.
  void run_recurrent_layer(Model m, const Sequence& s, const Weights& w, bool materialize, ModelRun& out) const {
    const int L = s.L, n = w.n;
    std::vector<float> p;
    project(s, w, p);
    std::vector<double> u(s.u.begin(), s.u.end()), y(size_t(L) * kValues);
    if (m == kS6) {
      std::vector<double> B(p.begin(), p.end()), A(size_t(n), -double(settings_.decay)), delta(L);
      for (int i = 0; i < L; ++i) delta[size_t(i)] = s6_delta(s, i);
      attn::s6_shared_forward(u.data(), delta.data(), A.data(), B.data(), B.data(), y.data(), L, kValues, n);
      if (materialize) {  // one Phi serves every channel
        std::vector<double> phi(size_t(L) * L);
        attn::s6_shared_phi(delta.data(), A.data(), B.data(), B.data(), phi.data(), L, n);
        finish_phi(phi, s, out);
      }
    } else {
      const int H = n * kValues;
      const double gain = 2.0 * std::sqrt(double(n)), forget = attn::qlstm_forget_gate(-4.0, 1.0);
      std::vector<double> x(size_t(L) * H), a(size_t(L) * H, forget), g(size_t(L) * H), o(size_t(L) * H), yh(size_t(L) * H);
      for (int i = 0; i < L; ++i)
        for (int f = 0; f < n; ++f) {
          const double gate = attn::sigmoid(gain * p[size_t(i) * n + f]);
          for (int c = 0; c < kValues; ++c) {
            const size_t h = size_t(i) * H + size_t(f) * kValues + c;
            x[h] = u[size_t(i) * kValues + c], g[h] = gate, o[h] = gate;
          }
        }
      attn::gated_rnn_forward(x.data(), a.data(), g.data(), o.data(), yh.data(), L, H);
      for (int i = 0; i < L; ++i)
        for (int c = 0; c < kValues; ++c) {
          double acc = 0;
          for (int f = 0; f < n; ++f) acc += yh[size_t(i) * H + size_t(f) * kValues + c];
          y[size_t(i) * kValues + c] = acc;
        }
      if (materialize) {  // Phi of the n channels of value 0, summed
        std::vector<double> a1(size_t(L) * n, forget), g1(size_t(L) * n), phi_h(size_t(n) * L * L), phi(size_t(L) * L, 0.0);
        for (int i = 0; i < L; ++i)
          for (int f = 0; f < n; ++f) g1[size_t(i) * n + f] = g[size_t(i) * H + size_t(f) * kValues];
        attn::gated_rnn_phi(a1.data(), g1.data(), g1.data(), phi_h.data(), L, n);
        for (int f = 0; f < n; ++f)
          for (size_t e = 0; e < phi.size(); ++e) phi[e] += phi_h[size_t(f) * L * L + e];
        finish_phi(phi, s, out);
      }
    }
    for (size_t e = 0; e < y.size(); ++e) out.y_rec[e] = float(y[e]);
  }

  // Phi (double) into the run: float copy and y_mat = Phi u (in double).
  static void finish_phi(const std::vector<double>& phi, const Sequence& s, ModelRun& out) {
    const int L = s.L;
    for (size_t e = 0; e < phi.size(); ++e) out.phi[e] = float(phi[e]);
    for (int i = 0; i < L; ++i)
      for (int c = 0; c < kValues; ++c) {
        double acc = 0;
        for (int j = 0; j <= i; ++j) acc += phi[size_t(i) * L + j] * s.u[size_t(j) * kValues + c];
        out.y_mat[size_t(i) * kValues + c] = float(acc);
      }
  }

  // Queries whose target value has the strictly largest output.
  static int recalled(const Sequence& s, const std::vector<float>& y) {
    int right = 0;
    for (int i = s.pairs; i < s.L; ++i) {
      const float* yi = &y[size_t(i) * kValues];
      const int t = s.target[size_t(i)];
      bool best = std::isfinite(yi[t]);
      for (int c = 0; c < kValues && best; ++c) best = c == t || yi[c] < yi[t];
      right += best;
    }
    return right;
  }

  // kSeqs sequences at state expansion n, every model in its recurrent form.
  void measure_recall(int n, Recall& r) const {
    Rng rng = Rng(seed_).fork(kStreamCurve + uint64_t(n));
    const Weights w = make_weights(seed_, n);
    int right[kModels] = {0, 0, 0, 0, 0, 0};
    ModelRun run;
    for (int b = 0; b < kSeqs; ++b) {
      const Sequence s = make_sequence(rng, pairs_);
      for (int m = 0; m < kModels; ++m) {
        run_model(Model(m), s, w, false, run);
        right[m] += recalled(s, run.y_rec);
      }
    }
    for (int m = 0; m < kModels; ++m) r.acc[m] = double(right[m]) / (double(kSeqs) * pairs_);
  }

  // ------------------------------------------------------------- outputs
  void refresh_curve() {
    curve_out_.clear();
    for (int g = 0; g < kGridSize; ++g) {
      if (!have_[size_t(g)]) continue;
      const Recall& r = curve_[size_t(g)];
      curve_out_.push({float(kGrid[g]), float(r.acc[0]), float(r.acc[1]), float(r.acc[2]), float(r.acc[3]),
                       float(r.acc[4]), float(r.acc[5])});
    }
  }

  void export_shown(const Weights& w) {
    const int L = shown_.L;
    keys_out_.set({L, kKeyDim}, shown_.keys.data());
    u_out_.set({L, kValues}, shown_.u.data());
    flag_out_.set({L}, shown_.flag.data());
    std::vector<float> target(shown_.target.begin(), shown_.target.end());
    target_out_.set({L}, target.data());
    proj_out_.set({w.n, kKeyDim}, w.R.data());
    rf_out_.set({w.n, kKeyDim}, w.features.W.data());
    std::vector<float> log_eta(static_cast<size_t>(L)), delta(static_cast<size_t>(L));
    for (int i = 0; i < L; ++i) log_eta[size_t(i)] = log_eta_of(shown_, w, i), delta[size_t(i)] = float(s6_delta(shown_, i));
    log_eta_out_.set({L}, log_eta.data());
    delta_out_.set({L}, delta.data());
    for (int m = 0; m < kModels; ++m) {
      phi_out_[m]->set({L, L}, runs_[m].phi.data());
      y_out_[m]->set({L, kValues}, runs_[m].y_rec.data());
      row_sum_dev_[m] = 0;
      for (int i = 0; i < L; ++i) {
        double sum = 0;
        for (int j = 0; j <= i; ++j) sum += runs_[m].phi[size_t(i) * L + j];
        row_sum_dev_[m] = std::max(row_sum_dev_[m], std::fabs(sum - 1.0));
      }
    }
  }

  // ------------------------------------------------------------------ text
  void declare_metrics(Declaration& d) {
    d.metric("max_abs_err_recurrent_*", "largest |y_recurrent − Φu| over the shown sequence's outputs, for one model "
                                        "(float attention, double S6 and gated RNN): the two forms are one layer");
    d.metric("recall_*", "fraction of queries (over 50 sequences, at the chosen n) whose stored value gets the "
                         "strictly largest output, for one model");
    d.metric("chance", "1 / pairs: the recall of guessing among the stored values");
    d.metric("state_floats_recurrent", "n × V: the floats of state of linear attention, S6 and the gated RNN (+ n "
                                       "for linear attention's normalizer)");
    d.metric("state_floats_softmax", "softmax attention's key-value cache at the end of the sequence, L (d_k + V)");
    d.metric("normalized_row_sum_max_dev", "largest |Σ_j Φ_ij − 1| of normalized attention on the shown input: its "
                                           "rows do not sum to 1");
    d.metric("linear_row_sum_max_dev", "largest |Σ_j Φ_ij − 1| of linear attention (elu+1) on the shown input: 0 up "
                                       "to rounding, it divides by the row sum");
    d.metric("curve_points", "state sizes of the recall curve finished so far (7 when done)");
  }

  void declare_text(Walkthrough& t);

  // ------------------------------------------------------------------ views
  void draw_phi(const ViewContext& v) const;
  void draw_recall(const ViewContext& v) const;

  int n_ = 16, model_ = kS6, pairs_ = 8;
  double selectivity_ = 2, decay_ = 0.1, sharpness_ = 4;
  Settings settings_;
  uint64_t seed_ = 1;
  Sequence shown_;
  ModelRun runs_[kModels];
  double max_err_[kModels] = {0, 0, 0, 0, 0, 0}, row_sum_dev_[kModels] = {0, 0, 0, 0, 0, 0};
  Recall at_n_;
  std::vector<Recall> curve_;
  std::vector<bool> have_;
  int next_unit_ = 0;

  // Outputs: the shown input, the weights that act on it, every model's Phi and output.
  Array& keys_out_ = outputs_.array("keys");                // (L, d_k): q = k = these for softmax
  Array& u_out_ = outputs_.array("u");                      // (L, V): the values every layer mixes
  Array& flag_out_ = outputs_.array("flag");                // (L): 1 on a key-value token
  Array& target_out_ = outputs_.array("target");            // (L): the value a query must return, −1 on pairs
  Array& proj_out_ = outputs_.array("projection");          // (n, d_k): R, p_i = R key_i
  Array& rf_out_ = outputs_.array("random_features");       // (n, d_k): Performer's w_r
  Array& log_eta_out_ = outputs_.array("normalized_log_eta");  // (L): W_n x_i
  Array& delta_out_ = outputs_.array("s6_delta");           // (L): Δ_i
  Array* phi_out_[kModels] = {&outputs_.array("phi_softmax"), &outputs_.array("phi_linear"),
                              &outputs_.array("phi_random_features"), &outputs_.array("phi_normalized"),
                              &outputs_.array("phi_s6"), &outputs_.array("phi_gated_rnn")};
  Array* y_out_[kModels] = {&outputs_.array("y_softmax"), &outputs_.array("y_linear"),
                            &outputs_.array("y_random_features"), &outputs_.array("y_normalized"),
                            &outputs_.array("y_s6"), &outputs_.array("y_gated_rnn")};
  Series& curve_out_ = outputs_.series("recall_vs_state", {"n", "softmax", "linear", "random_features", "normalized",
                                                           "s6", "gated_rnn"});
};


void Dsf::declare_text(Walkthrough& t) {
  t.section("The problem")
      .paragraph("Softmax attention costs O(L²) over a sequence of length L.  Linear attention, state space models "
                 "such as Mamba's S6 and gated RNNs run in O(L) with a fixed-size state, and they are usually "
                 "developed and compared as unrelated families.  Which of their differences matter, and why does "
                 "softmax attention still recall stored facts best?")
      .paragraph("The Dynamical Systems Framework (DSF) writes every one of them as the same linear time-varying "
                 "system, so they can be compared term by term, above all by the size of their state.");
  t.section("The method")
      .equation("h_i = Λ_i h_(i−1) + B_i u_i,   y_i = C_i h_i + D_i u_i")
      .paragraph("Unrolled over the sequence this is one matrix: y = Φ u, with the lower-triangular")
      .equation("Φ_ij = C_i Λ_i Λ_(i−1) ⋯ Λ_(j+1) B_j   (j ≤ i)")
      .paragraph("Row i of Φ says how much output i takes from each earlier input.  The six layers here, all "
                 "mixing the same value channels u:")
      .bullet("softmax attention: Φ_ij = exp(β q_i·k_j) / Σ_l exp(β q_i·k_l).  Not a finite system: its "
              "recurrent form keeps every key and value seen (the key-value cache grows with i).")
      .bullet("linear attention: Φ_ij = φ(q_i)·φ(k_j) / Σ_l φ(q_i)·φ(k_l) with φ = elu + 1 (the official code); "
              "recurrent: S_i = S_(i−1) + φ(k_i) u_iᵀ, z_i = z_(i−1) + φ(k_i), so Λ_i = I, B_i = φ(k_i), "
              "C_i = φ(q_i)ᵀ / φ(q_i)·z_i: a state of n × V numbers.")
      .bullet("random features (Performer): φ(x) = exp(√β w_r·x − β|x|²/2) / √m with w_r ~ N(0, I), m = n; "
              "E φ(q)·φ(k) = exp(β q·k), so this linear attention estimates softmax's kernel with a finite state.")
      .bullet("normalized attention (DSF): Φ_ij = q_i·k_j / exp(W_n x_i), a positive scalar per token instead of "
              "softmax's row sum, and no feature map.")
      .bullet("S6 (Mamba): Λ_i = exp(Δ_i A), B_i ← Δ_i B_i, y_i = C_i·h_i, with an input-dependent step Δ_i, so "
              "Φ_ij = C_iᵀ exp(A Σ_(k=j+1..i) Δ_k) Δ_j B_j.  With A = 0 it is Δ_j C_i·B_j: linear attention with "
              "q = C, k = ΔB and no normalization.")
      .bullet("gated RNN (DSF's qLSTM): h_i = a_i ⊙ h_(i−1) + g_i ⊙ x_i, y_i = o_i ⊙ h_i, forget gate "
              "a_i = sigmoid(−f_i)^α, input and output gates sigmoids of the input: a diagonal Λ_i, one number of "
              "state per channel.")
      .paragraph("Every layer runs twice: token by token (the recurrent form, which is what the state size "
                 "measures) and as Φ (the heatmaps).  The largest difference between the two, over the shown "
                 "input: softmax {max_abs_err_recurrent_softmax:%.1e}, linear {max_abs_err_recurrent_linear:%.1e}, "
                 "random features {max_abs_err_recurrent_random_features:%.1e}, normalized "
                 "{max_abs_err_recurrent_normalized:%.1e}, S6 {max_abs_err_recurrent_s6:%.1e}, gated RNN "
                 "{max_abs_err_recurrent_gated_rnn:%.1e}.")
      .paragraph("The task is associative recall, as in the paper's MQAR experiments: a sequence of key-value "
                 "pairs, then queries that repeat stored keys; a query is answered right when the output channel "
                 "of its stored value is the largest.  Keys are random unit vectors in 32 dimensions, values "
                 "distinct one-hot vectors among V = 32.")
      .warning("Not trained.  The paper trains two-layer models on MQAR (the zoology code).  Here every layer is "
               "hand-set: softmax and random features read the keys directly; linear attention, normalized "
               "attention, S6 and the gated RNN read p_i = R key_i with a random projection R (n × 32) as their "
               "queries and keys (and S6's B_i = C_i = p_i); the value channels are the one-hot values.  Each pair "
               "is one token carrying both key and value (MQAR puts them in two tokens, which a single layer "
               "could not join).  The numbers say what these constructions can store, not what training finds.")
      .warning("Simplifications, named: S6 shares one step Δ_i = softplus(−2 + s(2 flag_i − 1)) and one A = −|A| "
               "across channels and states (Mamba learns them per channel, with A = −(1, 2, …, n) at "
               "initialization).  The gated RNN has n × V channels whose input and output gates are "
               "sigmoid(2√n p_i[a]) and whose forget gate is constant, sigmoid(4): hand-set so that it stores "
               "associations.  Normalized attention's W_n is random (as at initialization); a positive factor per "
               "row does not change which value wins, so it does not change recall here.")
      .note("Corrected against the official code (dsf-mqar, zoology/mixers/attention.py): normalized attention "
            "divides q·k by exp(W_n x_i), a learned scalar per token and head, so its rows do not sum to 1 "
            "(here, largest |row sum − 1| = {normalized_row_sum_max_dev:%.2f}); only linear attention with elu+1 "
            "divides by the row sum ({linear_row_sum_max_dev:%.1e}).");
  t.section("Try this")
      .bullet("Compare the heatmaps.  Softmax puts two bright cells in each query row (the lower half): on the "
              "stored pair with the same key, and on the diagonal, the query itself, which carries no value.  "
              "elu+1 linear attention spreads almost evenly, because all its features are positive.  Recall at the chosen n: softmax {recall_softmax:%.2f}, linear "
              "{recall_linear:%.2f}, random features {recall_random_features:%.2f}, normalized "
              "{recall_normalized:%.2f}, S6 {recall_s6:%.2f}, gated RNN {recall_gated_rnn:%.2f} (chance "
              "{chance:%.2f}).")
      .bullet("Raise n: the random-feature curve climbs toward softmax's line, the paper's point that a linear "
              "layer needs a larger state to approach softmax attention.  Softmax's cache here holds "
              "{state_floats_softmax:%.0f} floats; the recurrent layers hold {state_floats_recurrent:%.0f}.")
      .bullet("Set S6 decay |A| to 0: S6 becomes unnormalized linear attention on p, and its recall matches "
              "normalized attention's.  Raise it to 1: the left columns of S6's Φ fade, early pairs are "
              "forgotten.")
      .bullet("Set |A| to 1, then move the selectivity from 0 to 4 (S6 now {recall_s6:%.2f}).  In S6 the step "
              "that writes token i also forgets the past, by exp(Δ_i A): a larger Δ on the pairs writes each one "
              "harder and wipes the earlier ones faster, so recall falls.  What S6 does on the queries cannot help "
              "or hurt here: they carry no value, and their forgetting scales every stored pair alike.  Selectivity "
              "pays off when some tokens should be skipped (MQAR's filler tokens), which this toy does not have.")
      .bullet("More pairs (16, 32) at a fixed n: the fixed-state layers degrade, softmax does not.");
  t.section("What the paper reports")
      .paper("recurrent form = materialized form", "the same system (DSF eqs. 1-2)", "max_abs_err_recurrent_s6",
             "S6: max diff %.1e (live)", "Live: S6 in double; the attention forms in float.")
      .paper("linear attention vs softmax on MQAR as the state grows",
             "approaches softmax attention as state expansion n grows (Fig. 1)", "recall_random_features",
             "random features %.2f at this n",
             "Paper: trained two-layer models, MQAR up to L = 512 and 64 pairs, n = 32..256, model width "
             "64..512.  Live: hand-set random features, one layer, 32-d keys, untrained.")
      .paper("softmax attention, recall", "the reference the others approach (Fig. 1, 5)", "recall_softmax",
             "softmax %.2f", "Live: the same toy, β as set.")
      .note("The paper's exact accuracies are in the grid of its Fig. 5 (an image); they were not read for this "
            "lesson, and the summary of Fig. 1 above comes from a third-party overview of the paper.");
}

// The six Phi heatmaps, three per row; the highlighted model's title is marked.
void Dsf::draw_phi(const ViewContext& v) const {
  const int L = shown_.L;
  const float w = ui::column_width(3, 9);
  const float h = std::max(v.font_size * 7.0f, std::min(w * 0.85f, v.font_size * 14.0f));
  for (int m = 0; m < kModels; ++m) {
    if (m) ui::next_column(w);  // three to a row on a laptop, two on a phone
    const bool nonneg = m == kSoftmax || m == kLinear || m == kRandomFeatures;
    plot::HeatmapStyle hs;
    hs.map = nonneg ? plot::Colormap::viridis : plot::Colormap::diverging;
    char title[64];
    std::snprintf(title, sizeof title, "%s%s", m == model_ ? "▶ " : "", kModelLabels[m]);
    hs.title = title;
    ImGui::PushID(m);
    plot::heatmap("##phi", ImVec2(w, h), runs_[m].phi.data(), L, L, hs);
    ImGui::PopID();
  }
  ImGui::TextDisabled("%d pair tokens (top rows / left columns), then %d queries.  n = %d.", shown_.pairs,
                      shown_.pairs, n_);
}

void Dsf::draw_recall(const ViewContext& v) const {
  const Series& c = curve_out_;
  const int rows = c.rows();
  plot::LinePlot p("##recall", ImVec2(v.width, v.height > 0 ? v.height : v.font_size * 16));
  p.axes("state expansion n", "recall accuracy", false, true);
  p.x_range(1, 64);
  p.y_range(0, 1.05);
  for (int m = 0; m < kModels; ++m)
    p.line(kModelLabels[m], c.col(0), c.col(1 + m), rows, plot::palette(m, m == model_ ? 1.0f : 0.45f));
  p.hline(1.0 / pairs_, "chance");
  p.vline(n_, "n");
  p.draw();
  if (!done()) ImGui::TextDisabled("measuring: %d of %d state sizes (%d sequences each)...", next_unit_, kGridSize, kSeqs);
  else ImGui::TextDisabled("%d sequences per point; softmax's line does not depend on n.", kSeqs);
}

}  // namespace

PG_REGISTER_LESSON(Dsf, 5);

}  // namespace pg
