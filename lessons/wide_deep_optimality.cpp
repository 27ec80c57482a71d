// wide_deep_optimality.cpp - Lesson: "Wide and deep neural networks achieve
// optimality for classification" (Radhakrishnan, Belkin & Uhler, 2022).
//
// An infinitely wide network of depth L trained to interpolation is the
// kernel classifier sign(K(x, X) K(X, X)^-1 y) with the neural tangent kernel
// K = K^(L) (engine/nn/ntk.h, built from the activation's dual phi^).  As L
// grows the classifier tends to one of three rules set by phi^: 1-nearest
// neighbour (no linear term), majority vote (ReLU), or a singular kernel
// estimate sum_i y_i (1 - <x, x_i>)^(-alpha) - the Hilbert estimate, which is
// consistent, when 2 alpha = d - 1.  Points on the circle (d = 2) with labels
// from a smooth P(y = 1 | angle); the NTK recursion advances one layer per
// step unit, and the classifier is evaluated at a ladder of depths.
#include <Eigen/Dense>
#include <algorithm>
#include <chrono>
#include <iterator>
#include <cmath>
#include <cstdio>
#include <vector>

#include "engine/nn/nnmath.h"
#include "engine/nn/ntk.h"
#include "engine/rng.h"
#include "lessons/lesson.h"
#include "ui/panel.h"
#include "ui/plots.h"

namespace pg {
namespace {

const LessonInfo kInfo = {
    "wide-deep-optimality",
    "Wide and deep neural networks achieve optimality for classification",
    "Radhakrishnan, Belkin & Uhler",
    2022,
    "",
    "",
    "E. Looking inside trained networks",
    LessonKind::analysis,
    Stepping::on_play,
    "Infinitely wide networks as they get deep: 1-NN, majority vote or a consistent singular-kernel classifier, "
    "decided by the activation's dual.",
};

constexpr int kTest = 300;  // test points (random angles, noisy labels): the accuracies
constexpr int kArc = 180;   // evenly spaced angles: the decision arcs
constexpr double kRidge = 1e-9;  // added to the normalized K(X, X) (diagonal 1): low-depth polynomial NTKs are rank-deficient
constexpr double kTwoPi = 6.28318530717958647692;
const int kLadder[] = {1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 60, 80, 100, 125, 150, 200};

// kLimit: the rule our derivation predicts as L -> infinity (the Koenigs-kernel estimate, 1-NN or majority vote).
enum Rule { kNtk, kHilbert, kBayes, kNearest, kMajority, kLimit, kRules };

class WideDeepOptimality : public Lesson {
 public:
  const LessonInfo& info() const override { return kInfo; }

  void declare(Declaration& d) override {
    ParamList& p = d.params;
    p.integer("depth", "depth L", &depth_, 1, 200, 20,
              "Hidden layers of the infinitely wide network.  The recursion runs one layer per step; the "
              "classifier is evaluated at a ladder of depths up to L.",
              true);
    p.choice("dual", "activation dual φ̌", &dual_, {"hilbert", "relu", "nolinear", "custom"}, 0,
             "hilbert: φ̌(ξ) = (ξ + ξ⁷)/2, α = ½ (the Hilbert estimate in 2-D); relu: the scaled ReLU's "
             "arc-cosine dual; nolinear: φ̌(ξ) = (ξ² + ξ³)/2 (no linear term); custom: a ξ + (1 − a) ξ^k.");
    p.real("a1", "custom: linear coefficient a", &a1_, 0.05, 0.95, 0.5, "The coefficient of ξ in the custom dual.");
    p.integer("power", "custom: power k", &power_, 2, 15, 7, "The other power in the custom dual.");
    p.integer("n_train", "training points", &n_train_, 20, 200, 100, "Points on the circle with noisy labels.");
    p.real("signal", "label signal", &signal_, 0.0, 0.5, 0.4,
           "P(y = 1 | angle θ) = ½ + signal · cos(frequency · θ): 0 is pure noise, 0.5 is noiseless.");
    p.integer("frequency", "label frequency", &frequency_, 1, 6, 3, "Arcs of each class around the circle: 2 × frequency.");
    declare_text(d.text);
    d.preset("ReLU: majority vote at depth 200", "dual=relu&depth=200");
    d.preset("No linear term: 1-nearest neighbour", "dual=nolinear&depth=30");
    d.preset("α = 1 (a = 1/4, k = 5): a more singular kernel", "dual=custom&a1=0.25&power=5&depth=40");
    d.view("arcs", "Decision arcs on the circle", [this](const ViewContext& v) { draw_arcs(v); });
    d.view("depth", "Accuracy against depth", [this](const ViewContext& v) { draw_depth(v); });
    d.metric("acc_ntk", "test accuracy of the depth-L NTK classifier sign(K(x, X) K(X, X)⁻¹ y)");
    d.metric("acc_bayes", "test accuracy of the Bayes classifier sign(P(y = 1 | θ) − ½) on the same test points");
    d.metric("acc_bayes_exact", "the Bayes accuracy ½ + (2/π) signal (the expectation the test sample estimates)");
    d.metric("acc_1nn", "test accuracy of 1-nearest neighbour");
    d.metric("acc_majority", "test accuracy of predicting the training set's majority label");
    d.metric("acc_hilbert", "test accuracy of the Hilbert estimate sign(Σ y_i ‖x − x_i‖^−(d−1)), d = 2");
    d.metric("agree_hilbert", "fraction of test points where the NTK classifier agrees with the Hilbert estimate");
    d.metric("agree_1nn", "fraction of test points where it agrees with 1-NN");
    d.metric("agree_majority", "fraction of test points where it agrees with the majority vote");
    d.metric("agree_limit", "fraction of test points where it agrees with the deep limit our derivation predicts: "
                            "sign(Σ y_i s(<x, x_i>)) with s the Koenigs function (singular duals), 1-NN (no linear "
                            "term) or the majority vote (ReLU, the paper's claim)");
    d.metric("acc_limit", "test accuracy of that predicted limit rule");
    d.metric("alpha", "the dual's singular exponent ln(1/a₁) / ln φ̌'(1) (0 when it has none: ReLU, no linear term)");
    d.metric("alpha_measured", "−d log K^(L) / d log(1 − ξ) between 1 − ξ = 10⁻² and 10⁻³ at the current depth");
    d.metric("phi_at_one", "φ̌(1) of the chosen dual (1 by the normalization)");
    d.metric("depth_done", "layers of the recursion computed so far");
  }

  void reset(uint64_t seed) override {
    phi_ = make_dual();
    Rng rng(seed);
    sample(rng, n_train_, train_theta_, train_y_);
    sample(rng, kTest, test_theta_, test_y_);
    arc_theta_.resize(kArc);
    for (int i = 0; i < kArc; ++i) arc_theta_[i] = kTwoPi * (i + 0.5) / kArc;
    // Inner products <x, x'> = cos(theta - theta'): train-train (upper triangle), test and arc rows.
    const int n = n_train_;
    entries_.clear();
    for (int i = 0; i < n; ++i)
      for (int j = i; j < n; ++j) entries_.push_back(nn::ntk_start(cos_diff(train_theta_[i], train_theta_[j])));
    // <x, x_j> of the test rows, then the arc rows, (kTest + kArc, n): shared by the entries and the baselines.
    xi_rows_.clear();
    for (const std::vector<double>* rows : {&test_theta_, &arc_theta_})
      for (double t : *rows)
        for (int j = 0; j < n; ++j) xi_rows_.push_back(cos_diff(t, train_theta_[j]));
    for (double xi : xi_rows_) entries_.push_back(nn::ntk_start(xi));
    one_ = nn::ntk_start(1.0);
    probe_[0] = nn::ntk_start(1.0 - 1e-2), probe_[1] = nn::ntk_start(1.0 - 1e-3);
    baselines();
    curve_.clear();
    next_rung_ = 0;
    evaluate();  // depth 0: the linear kernel <x, x'>
  }

  int step(int max_steps, double budget_ms) override {
    using clock = std::chrono::steady_clock;
    const clock::time_point start = clock::now();
    int done = 0;
    while (done < max_steps && !this->done()) {
      for (nn::NtkEntry& e : entries_) nn::ntk_layer(phi_, e);
      nn::ntk_layer(phi_, one_);
      nn::ntk_layer(phi_, probe_[0]);
      nn::ntk_layer(phi_, probe_[1]);
      ++done;
      const int l = one_.depth;
      while (next_rung_ < int(std::size(kLadder)) && kLadder[next_rung_] < l) ++next_rung_;
      if (l == depth_ || (next_rung_ < int(std::size(kLadder)) && kLadder[next_rung_] == l)) evaluate();
      if (std::chrono::duration<double, std::milli>(clock::now() - start).count() >= budget_ms) break;
    }
    return done;
  }

  bool done() const override { return one_.depth >= depth_; }

  void metrics(MetricList& out) const override {
    out.add("acc_ntk", acc_[kNtk]);
    out.add("acc_bayes", acc_[kBayes]);
    out.add("acc_bayes_exact", 0.5 + 2.0 / 3.14159265358979323846 * signal_);
    out.add("acc_1nn", acc_[kNearest]);
    out.add("acc_majority", acc_[kMajority]);
    out.add("acc_hilbert", acc_[kHilbert]);
    out.add("agree_hilbert", agree_[kHilbert]);
    out.add("agree_1nn", agree_[kNearest]);
    out.add("agree_majority", agree_[kMajority]);
    out.add("agree_limit", agree_[kLimit]);
    out.add("acc_limit", acc_[kLimit]);
    const double alpha = nn::ntk_singular_exponent(phi_);
    out.add("alpha", std::isfinite(alpha) ? alpha : 0.0);
    out.add("alpha_measured", alpha_measured_);
    out.add("phi_at_one", phi_.value(1.0));
    out.add("depth_done", one_.depth);
  }

 private:
  void declare_text(Walkthrough& t);

  nn::DualActivation make_dual() const {
    switch (dual_) {
      case 1: return nn::DualActivation::relu();
      case 2: return nn::DualActivation::polynomial({0.0, 0.0, 0.5, 0.5});
      case 3: {
        std::vector<double> c(size_t(power_) + 1, 0.0);
        c[1] = a1_, c[size_t(power_)] = 1.0 - a1_;
        return nn::DualActivation::polynomial(c);
      }
      default: return nn::DualActivation::polynomial({0.0, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5});
    }
  }

  double eta(double theta) const { return 0.5 + signal_ * nnmath::cos(frequency_ * theta); }
  static double cos_diff(double a, double b) { return nnmath::cos(a - b); }

  void sample(Rng& rng, int n, std::vector<double>& theta, std::vector<int>& y) const {
    theta.resize(size_t(n)), y.resize(size_t(n));
    for (int i = 0; i < n; ++i) {
      theta[i] = kTwoPi * rng.uniform();
      y[i] = rng.uniform() < eta(theta[i]) ? 1 : 0;
    }
  }

  // Bayes, 1-NN, majority and Hilbert predictions for the test points and the arc.
  void baselines() {
    const int n = n_train_;
    int ones = 0;
    for (int y : train_y_) ones += y;
    const int majority = 2 * ones >= n ? 1 : 0;
    for (int set = 0; set < 2; ++set) {
      const std::vector<double>& th = set == 0 ? test_theta_ : arc_theta_;
      std::vector<int>* pred = set == 0 ? test_pred_ : arc_pred_;
      for (int r = kHilbert; r < kRules; ++r) pred[r].assign(th.size(), 0);
      for (size_t i = 0; i < th.size(); ++i) {
        const double* xis = &xi_rows_[(set == 0 ? i : kTest + i) * size_t(n)];
        double best = -2, hilbert = 0;
        int nearest = 0, exact = -1;
        for (int j = 0; j < n; ++j) {
          const double xi = xis[j];
          if (xi > best) best = xi, nearest = j;
          const double dist = std::sqrt(std::max(0.0, 2.0 - 2.0 * xi));  // ||x - x_j||
          if (dist == 0.0) exact = train_y_[j];
          else hilbert += (train_y_[j] ? 1.0 : -1.0) / dist;  // ||x - x_j||^-(d - 1), d = 2
        }
        pred[kHilbert][i] = exact >= 0 ? exact : (hilbert > 0 ? 1 : 0);
        pred[kBayes][i] = eta(th[i]) > 0.5 ? 1 : 0;
        pred[kNearest][i] = train_y_[nearest];
        pred[kMajority][i] = majority;
        pred[kLimit][i] = limit_rule(xis, pred[kNearest][i], majority);
      }
    }
    for (int r = kHilbert; r < kRules; ++r) acc_[r] = accuracy(test_pred_[r]);
  }

  // The predicted deep limit at angle theta: the Koenigs-kernel estimate for a
  // singular dual (log domain, scaled by the largest weight), else 1-NN or the majority.
  int limit_rule(const double* xis, int nearest, int majority) const {
    if (phi_.kind() == nn::DualActivation::Kind::relu) return majority;
    if (!std::isfinite(nn::ntk_singular_exponent(phi_))) return nearest;
    const int n = n_train_;
    limit_w_.resize(size_t(n));
    double mx = -1e308;
    for (int j = 0; j < n; ++j) {
      limit_w_[j] = nn::ntk_limit_kernel(phi_, xis[j]);
      if (limit_w_[j].sign != 0.0) mx = std::max(mx, limit_w_[j].log);
    }
    if (mx == HUGE_VAL) return nearest;  // on a training point
    double sum = 0.0;
    for (int j = 0; j < n; ++j) sum += (train_y_[j] ? 1.0 : -1.0) * limit_w_[j].sign * detmath::exp(limit_w_[j].log - mx);
    return sum > 0 ? 1 : 0;
  }

  double accuracy(const std::vector<int>& pred) const {
    int ok = 0;
    for (int i = 0; i < kTest; ++i) ok += pred[i] == test_y_[i];
    return double(ok) / kTest;
  }

  // The NTK classifier at the depth reached.  Every entry is divided by
  // K(1) (the diagonal): K(X, X) becomes 1 on the diagonal, and each test row
  // is further scaled by its own largest entry (a positive factor: the sign
  // is unchanged), so nothing underflows that decides the prediction.
  void evaluate() {
    const int n = n_train_;
    const double lg1 = one_.k.log;
    Eigen::MatrixXd A(n, n);
    size_t e = 0;
    for (int i = 0; i < n; ++i)
      for (int j = i; j < n; ++j, ++e) {
        const double v = entries_[e].k.sign * detmath::exp(entries_[e].k.log - lg1);
        A(i, j) = A(j, i) = v;
      }
    kernel_train_.assign(size_t(n) * n, 0.0);
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j) kernel_train_[size_t(i) * n + j] = A(i, j);
    A.diagonal().array() += kRidge;
    Eigen::VectorXd y(n);
    for (int i = 0; i < n; ++i) y[i] = train_y_[i] ? 1.0 : -1.0;
    const Eigen::VectorXd c = A.ldlt().solve(y);
    for (int set = 0; set < 2; ++set) {
      const int rows = set == 0 ? kTest : kArc;
      std::vector<int>& pred = (set == 0 ? test_pred_ : arc_pred_)[kNtk];
      std::vector<double>& score = set == 0 ? test_score_ : arc_score_;
      pred.assign(size_t(rows), 0), score.assign(size_t(rows), 0.0);
      for (int r = 0; r < rows; ++r, e += n) {
        double mx = -1e308;
        for (int j = 0; j < n; ++j)
          if (entries_[e + j].k.sign != 0.0) mx = std::max(mx, entries_[e + j].k.log);
        double s = 0.0;
        for (int j = 0; j < n; ++j) s += entries_[e + j].k.sign * detmath::exp(entries_[e + j].k.log - mx) * c[j];
        score[r] = s, pred[r] = s > 0 ? 1 : 0;
      }
    }
    acc_[kNtk] = accuracy(test_pred_[kNtk]);
    for (int r = kHilbert; r < kRules; ++r) {
      int same = 0;
      for (int i = 0; i < kTest; ++i) same += test_pred_[kNtk][i] == test_pred_[r][i];
      agree_[r] = double(same) / kTest;
    }
    const double l0 = probe_[0].k.log, l1 = probe_[1].k.log;
    alpha_measured_ = -(l1 - l0) / (detmath::log(1e-3) - detmath::log(1e-2));
    if (one_.depth > 0)  // the curve's x axis is logarithmic
      curve_.push({float(one_.depth), float(acc_[kNtk]), float(agree_[kHilbert]), float(agree_[kNearest]),
                 float(agree_[kMajority]), float(agree_[kLimit])});
    export_outputs();
  }

  void export_outputs() {
    const int n = n_train_;
    train_theta_out_.set({n}, train_theta_.data());
    test_theta_out_.set({kTest}, test_theta_.data());
    std::vector<float> f(train_y_.begin(), train_y_.end());
    train_y_out_.set({n}, f.data());
    f.assign(test_y_.begin(), test_y_.end());
    test_y_out_.set({kTest}, f.data());
    kernel_out_.set({n, n}, kernel_train_.data());
    std::vector<double> logk(size_t(kTest) * n), sgn(size_t(kTest) * n);
    const size_t first = size_t(n) * (n + 1) / 2;
    for (size_t i = 0; i < logk.size(); ++i) {
      logk[i] = entries_[first + i].k.log - one_.k.log;
      sgn[i] = entries_[first + i].k.sign;
    }
    kernel_test_log_out_.set({kTest, n}, logk.data());
    kernel_test_sign_out_.set({kTest, n}, sgn.data());
    std::vector<float> preds(size_t(kRules) * kTest);
    for (int r = 0; r < kRules; ++r)
      for (int i = 0; i < kTest; ++i) preds[size_t(r) * kTest + i] = float(test_pred_[r][i]);
    test_pred_out_.set({kRules, kTest}, preds.data());
    // The arcs picture: training points outside, then one ring per rule.
    arc_xy_.clear(), arc_cls_.clear();
    const double radius[kRules] = {1.0, 0.76, 0.64, 0.52, 0.40, 0.88};  // the limit ring next to the NTK's
    for (int r = 0; r < kRules; ++r)
      for (int i = 0; i < kArc; ++i) {
        arc_xy_.push_back(float(radius[r] * nnmath::cos(arc_theta_[i])));
        arc_xy_.push_back(float(radius[r] * nnmath::sin(arc_theta_[i])));
        arc_cls_.push_back(arc_pred_[r][i]);
      }
    for (int j = 0; j < n; ++j) {
      arc_xy_.push_back(float(1.15 * nnmath::cos(train_theta_[j])));
      arc_xy_.push_back(float(1.15 * nnmath::sin(train_theta_[j])));
      arc_cls_.push_back(train_y_[j]);
    }
  }

  void draw_arcs(const ViewContext& v) const;
  void draw_depth(const ViewContext& v) const;

  int depth_ = 20, dual_ = 0, power_ = 7, n_train_ = 100, frequency_ = 3;
  double a1_ = 0.5, signal_ = 0.4;
  nn::DualActivation phi_;
  std::vector<double> train_theta_, test_theta_, arc_theta_;
  std::vector<int> train_y_, test_y_;
  std::vector<double> xi_rows_;        // (kTest + kArc, n) inner products with the training points
  std::vector<nn::NtkEntry> entries_;  // train-train upper triangle, then test rows, then arc rows
  nn::NtkEntry one_, probe_[2];        // xi = 1 (the diagonal) and the two points of alpha_measured
  std::vector<int> test_pred_[kRules], arc_pred_[kRules];
  std::vector<double> test_score_, arc_score_, kernel_train_;
  double acc_[kRules] = {}, agree_[kRules] = {}, alpha_measured_ = 0;
  int next_rung_ = 0;
  std::vector<float> arc_xy_;
  mutable std::vector<nn::SignedLog> limit_w_;  // scratch of limit_rule
  std::vector<int> arc_cls_;

  Series& curve_ = outputs_.series("accuracy_vs_depth", {"depth", "acc_ntk", "agree_hilbert", "agree_1nn",
                                                         "agree_majority", "agree_limit"});
  Array& train_theta_out_ = outputs_.array("train_angle");        // (n,) radians; x = (cos, sin)
  Array& train_y_out_ = outputs_.array("train_y");                // (n,) 0/1
  Array& test_theta_out_ = outputs_.array("test_angle");          // (300,)
  Array& test_y_out_ = outputs_.array("test_y");                  // (300,)
  Array& kernel_out_ = outputs_.array("kernel_train");            // (n, n) f64 K^(L)(X, X) / K^(L)(1)
  Array& kernel_test_log_out_ = outputs_.array("kernel_test_log");    // (300, n) f64 log |K(x, x_j) / K(1)|
  Array& kernel_test_sign_out_ = outputs_.array("kernel_test_sign");  // (300, n) f64 its sign
  Array& test_pred_out_ = outputs_.array("test_predictions");     // (6, 300): ntk, hilbert, bayes, 1nn, majority, limit
};

void WideDeepOptimality::declare_text(Walkthrough& t) {
  t.section("The problem")
      .paragraph("Is a neural network trained to zero training error an optimal classifier - one whose error "
                 "tends to the Bayes error as data grow, for any distribution?  Radhakrishnan, Belkin and Uhler "
                 "answer it for networks that are infinitely wide (so training is kernel regression with the "
                 "neural tangent kernel) and then infinitely deep.  Depth does not wash everything out: the "
                 "limit is one of three classical rules, and which one is decided by the activation function.");
  t.section("The method")
      .paragraph("For unit inputs with <x, x'> = ξ, the dual of the activation, φ̌(ξ) = E[φ(u) φ(v)] for "
                 "correlated standard normals (u, v), normalized so φ̌(1) = 1 (here {phi_at_one:%.6f}), "
                 "gives the depth-L kernel:")
      .equation("Σ⁰ = K⁰ = ξ      Σˡ = φ̌(Σˡ⁻¹)      Kˡ = Σˡ + Kˡ⁻¹ · φ̌'(Σˡ⁻¹)")
      .equation("f(x) = sign( K(x, X) K(X, X)⁻¹ y )")
      .paragraph("Which duals exist?  With h_i the orthonormal Hermite polynomials, E[h_i(u) h_j(v)] = δ_ij ξ^i, "
                 "so φ(u) = Σ_i √c_i h_i(u) has the dual Σ_i c_i ξ^i: every power series with nonnegative "
                 "coefficients summing to 1 is the dual of an explicit activation.  (ξ + ξ⁷)/2 is the dual of "
                 "φ(u) = (h₁(u) + h₇(u))/√2, a polynomial.")
      .paragraph("Our derivation of the deep limit (the paper's own is not reproduced here).  Take a₀ = 0, "
                 "a₁ = φ̌'(0) in (0, 1) and r = φ̌'(1) > 1.  For ξ < 1 the iterates Σˡ fall to the fixed point 0, "
                 "where Σˡ ≈ a₁ˡ s(ξ) and each factor φ̌'(Σˡ) ≈ a₁; every late term of the sum "
                 "K^L = Σ_l Σˡ Π_(k≥l) φ̌'(Σᵏ) is then ≈ a₁^L s(ξ), so K^L(ξ) ≈ L a₁^L s(ξ).  At ξ = 1, "
                 "K^L(1) = Σ_l r^l grows like r^L, so K(X, X) becomes diagonal and the classifier tends to "
                 "sign(Σ_i y_i s(<x, x_i>)).  Near 1, 1 − Σ grows by r per layer, so it takes m ≈ log_r(1/(1 − ξ)) "
                 "layers to leave, and s(ξ) = a₁⁻ᵐ s(φ̌ᵐ(ξ)):")
      .equation("s(ξ) ~ (1 − ξ)^(−α),   α = ln(1/a₁) / ln φ̌'(1),   and ‖x − x'‖² = 2 (1 − ξ)")
      .paragraph("So the limit weights training points by ‖x − x_i‖^(−2α).  On the sphere S^(d−1) the Hilbert "
                 "kernel estimate (weights ‖x − x_i‖^(−(d−1)), Devroye et al. 1998) is consistent; it is matched "
                 "when 2α = d − 1.  On the circle (d = 2) α = ½: a₁ = ½ and φ̌'(1) = 4, which (ξ + ξ⁷)/2 has.  "
                 "The chosen dual has α = {alpha:%.3f}; the kernel computed here decays with exponent "
                 "{alpha_measured:%.3f} near ξ = 1.  Without a linear term (a₁ = 0) Σˡ = ξ^(m^l) falls "
                 "super-exponentially, the nearest training point wins: 1-NN.  The ReLU dual has φ̌'(1) = 1 and "
                 "every Σˡ tends to 1: the kernel flattens to a constant, which the paper reads as the majority vote "
                 "(see the note below).")
      .paragraph("ξ^(7^L) underflows for L beyond a few layers, so every Σˡ and Kˡ is kept as a sign and a log "
                 "magnitude; the classifier divides by K(1) and each test row by its own largest entry (positive "
                 "factors, so no sign changes).")
      .warning("Where this toy departs from the claims as we had them: the draft expected the optimal dual to agree "
               "with the Hilbert estimate on >= 99% of test points at L = 20.  Here it agrees on "
               "{agree_hilbert:%.3f}.  Two reasons, both visible live: (ξ + ξ⁷)/2 is odd, so s(−ξ) = −s(ξ) and "
               "nearly antipodal points vote against their label, which the Hilbert kernel never does; and at "
               "finite L the terms l < m add a(L) (1 − ξ)^(−α−1), larger than L a^L s(ξ) when 1 − ξ < 1/L, so "
               "near ξ = 1 the depth-L kernel decays with exponent {alpha_measured:%.2f}, not α.  The NTK agrees "
               "with the predicted limit sign(Σ y_i s(<x, x_i>)) on {agree_limit:%.3f} of the points.  For ReLU "
               "the paper's majority vote does not appear by L = 200: K/K(1) tends to a constant, but the "
               "interpolant only sees the part that is not constant.")
      .warning("Unverified against the paper: no code was found, and the duals, α and the limit above are our "
               "derivation (the tests check its properties: φ̌(1) = 1, the Hermite activation's dual, α = ½ for "
               "(ξ + ξ⁷)/2, the exponents α of the limit kernel and α + 1 at finite depth, and the deep classifier "
               "matching the predicted limit).  "
               "Teaching setting: uniform angles with P(y = 1 | θ) = ½ + signal · cos(frequency θ), rather than "
               "the paper's distributions; no bias terms in the network; a 10⁻⁹ ridge on the normalized K(X, X), "
               "which at small depth is rank-deficient for polynomial duals.");
  t.section("Try this")
      .bullet("Press Play: the outer ring (NTK) moves from smooth arcs at small L toward the ring just inside it, "
                "the limit the derivation predicts.")
      .bullet("Take nolinear (no linear term) at depth 30: the NTK ring copies the 1-NN ring.")
      .bullet("Switch the dual to relu and the depth to 200.  The paper's taxonomy says majority vote; here the "
              "interpolating classifier follows 1-NN instead (agreement {agree_1nn:%.3f} with 1-NN, "
              "{agree_majority:%.3f} with the majority) - see the note in The method.")
      .bullet("Custom a = ¼, k = 5 gives α = ln 4 / ln 4 = 1: a more singular kernel, closer to 1-NN.")
      .bullet("Set training points to 20 and depth to 200: the NTK now agrees with the predicted limit on "
              "almost every test point; with 100 points the nearest neighbours sit closer than 1/L and depth "
              "200 is not yet the limit.")
      .paragraph("Now (depth {depth_done:%.0f}): NTK {acc_ntk:%.3f}, Hilbert {acc_hilbert:%.3f}, 1-NN "
                 "{acc_1nn:%.3f}, majority {acc_majority:%.3f}, Bayes {acc_bayes:%.3f}; agreement with Hilbert "
                 "{agree_hilbert:%.3f}.");
  t.section("What the paper reports")
      .paragraph("The paper proves the taxonomy (1-NN, majority vote, singular kernel classifiers) and gives "
                 "explicit activations whose infinitely wide and deep networks are consistent; its figures show "
                 "the predicted rules.  The rows compare its claims with this toy.")
      .paper("optimal dual, deep: the Hilbert estimate", "same predictions as L → ∞", "agree_hilbert",
             "%.3f agreement", "Live: (ξ + ξ⁷)/2 at the chosen depth; circle, n as set.")
      .when([this] { return dual_ == 0; })
      .paper("ReLU, deep: majority vote", "same predictions as L → ∞", "agree_majority", "%.3f agreement",
             "Live: the ReLU dual at the chosen depth.")
      .when([this] { return dual_ == 1; })
      .paper("no linear term, deep: 1-NN", "same predictions as L → ∞", "agree_1nn", "%.3f agreement",
             "Live: (ξ² + ξ³)/2 at the chosen depth.")
      .when([this] { return dual_ == 2; })
      .paper("consistency: error → Bayes error", "as n → ∞", "acc_bayes", "Bayes %.3f on this test set",
             "Live: compare acc_hilbert and acc_ntk at this n; raise n to close the gap.");
}

void WideDeepOptimality::draw_arcs(const ViewContext& v) const {
  const float side = v.height > 0 ? std::max(v.font_size * 8, std::min(v.width, v.height - v.font_size * 3))
                                  : std::min(v.width, v.font_size * 22);
  plot::ScatterStyle style;
  style.radius = 2.5f;
  style.x_min = -1.25, style.x_max = 1.25, style.y_min = -1.25, style.y_max = 1.25;
  plot::scatter("##arcs", ImVec2(side, side), arc_xy_.data(), arc_cls_.data(), int(arc_cls_.size()), style);
  ImGui::TextDisabled("rings, outside in: training points, NTK (depth %d), predicted limit, Hilbert, Bayes, 1-NN, majority", one_.depth);
}

void WideDeepOptimality::draw_depth(const ViewContext& v) const {
  const float w = ui::column_width(2), h = v.height > 0 ? v.height : v.font_size * 12;
  const Series& s = curve_;
  {
    plot::LinePlot p("##acc", ImVec2(w, h));
    p.axes("depth L", "test accuracy", false, true);
    p.x_range(1, std::max(2, depth_));
    p.line("NTK", s.col(0), s.col(1), s.rows(), plot::palette(0));
    p.hline(acc_[kBayes], "Bayes", plot::palette(2));
    p.hline(acc_[kHilbert], "Hilbert", plot::palette(1));
    p.hline(acc_[kNearest], "1-NN", plot::palette(3));
    p.hline(acc_[kMajority], "majority", plot::palette(4));
    p.hline(acc_[kLimit], "predicted limit", plot::palette(5));
    p.draw();
  }
  ImGui::SameLine();
  {
    plot::LinePlot p("##agree", ImVec2(w, h));
    p.axes("depth L", "agreement with the NTK classifier", false, true);
    p.x_range(1, std::max(2, depth_));
    p.y_range(0, 1.02);
    p.line("Hilbert", s.col(0), s.col(2), s.rows(), plot::palette(1));
    p.line("1-NN", s.col(0), s.col(3), s.rows(), plot::palette(3));
    p.line("majority", s.col(0), s.col(4), s.rows(), plot::palette(4));
    p.line("predicted limit", s.col(0), s.col(5), s.rows(), plot::palette(0), true);
    p.draw();
  }
}

}  // namespace

PG_REGISTER_LESSON(WideDeepOptimality, 31);

}  // namespace pg
