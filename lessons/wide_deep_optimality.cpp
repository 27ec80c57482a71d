// wide_deep_optimality.cpp - Lesson: "Wide and deep neural networks achieve
// optimality for classification" (Radhakrishnan, Belkin & Uhler, 2022).
//
// An infinitely wide network of depth L trained to interpolation is the
// kernel classifier sign(K(x, X) K(X, X)^-1 y) with the neural tangent kernel
// K = K^(L) (engine/nn/ntk.h, built from the activation's dual phi^).  As L
// grows the classifier tends to one of three rules set by phi^: 1-nearest
// neighbour (no linear term), majority vote (ReLU), or a singular kernel
// estimate sum_i y_i (1 - <x, x_i>)^(-alpha) - the Hilbert estimate, which is
// consistent, when 2 alpha = d - 1.  The setting follows the paper's code
// (github.com/uhlerlab/inf_depth_ntks): two Dirichlet classes on the simplex,
// normalized onto the circle (d = 2, one quadrant), and the NNGP Sigma^(L) it
// runs its activations with beside the NTK K^(L); a full-circle toy is the
// other data choice.  The recursion advances one layer per step unit, and
// the classifier is evaluated at a ladder of depths.
#include <Eigen/Dense>
#include <algorithm>
#include <iterator>
#include <cmath>
#include <cstdio>
#include <vector>

#include "engine/nn/nnmath.h"
#include "engine/nn/ntk.h"
#include "engine/rng.h"
#include "engine/timing.h"
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
    "2204.14126",
    "https://github.com/uhlerlab/inf_depth_ntks",
    "E. Looking inside trained networks",
    LessonKind::analysis,
    Stepping::on_play,
    "Infinitely wide networks as they get deep: 1-NN, majority vote or a consistent singular-kernel classifier, "
    "decided by the activation's dual.",
};

constexpr int kTest = 300;  // test points (drawn like the training points): the accuracies
constexpr int kArc = 180;   // evenly spaced angles: the decision arcs
constexpr double kRidge = 1e-9;  // added to the normalized K(X, X) (diagonal 1): low-depth polynomial NTKs are rank-deficient
constexpr double kTwoPi = 6.28318530717958647692;
// The paper's code (main.py): class 1 with prior 0.4 from Dirichlet(1, 2), class 0 from Dirichlet(2, 1).
constexpr double kPrior = 0.4;
const int kLadder[] = {1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 60, 80, 100, 125, 150, 200};

// kLimit: the rule our derivation predicts as L -> infinity (the Koenigs-kernel estimate, 1-NN or majority vote).
enum Rule { kNtk, kHilbert, kBayes, kNearest, kMajority, kLimit, kRules };

class WideDeepOptimality : public Lesson {
 public:
  const LessonInfo& info() const override { return kInfo; }
  bool views_draw_from_outputs() const override { return true; }  // tests/test_worker_mirror.cpp

  void declare(Declaration& d) override {
    ParamList& p = d.params;
    p.integer("depth", "depth L", &depth_, 1, 200, 20,
              "Hidden layers of the infinitely wide network.  The recursion runs one layer per step; the "
              "classifier is evaluated at a ladder of depths up to L.",
              true);
    p.choice("dual", "activation dual φ̌", &dual_, {"hilbert", "relu", "nolinear", "custom"}, 0,
             "hilbert: φ̌(ξ) = (ξ + ξ⁷)/2 (the paper's code: 2d_opt), α = ½ (the Hilbert estimate in 2-D); "
             "relu: the scaled ReLU's arc-cosine dual; nolinear: φ̌(ξ) = (ξ² + ξ³)/2 (no linear term); "
             "custom: a ξ + (1 − a) ξ^k.");
    p.real("a1", "custom: linear coefficient a", &a1_, 0.05, 0.95, 0.5, "The coefficient of ξ in the custom dual.");
    p.integer("power", "custom: power k", &power_, 2, 15, 7, "The other power in the custom dual.");
    p.integer("n_train", "training points", &n_train_, 20, 200, 100, "Points on the circle with their labels.");
    p.choice("data", "data", &data_, {"dirichlet", "circle"}, 0,
             "dirichlet (the paper's code): class 1 (prior 0.4) from Dirichlet(1, 2), class 0 from Dirichlet(2, 1), "
             "each point s/‖s‖ - a quarter of the circle, every <x, x'> ≥ 0; circle: uniform angles on the whole "
             "circle with P(y = 1 | θ) = ½ + signal · cos(frequency · θ).");
    p.choice("kernel", "kernel", &kernel_, {"nngp", "ntk"}, 0,
             "nngp: Σᴸ, the kernel the paper's code runs its activations with; ntk: Kᴸ, the neural tangent kernel "
             "(the paper's code uses it for ReLU).");
    p.real("signal", "circle: label signal", &signal_, 0.0, 0.5, 0.4,
           "circle data: P(y = 1 | angle θ) = ½ + signal · cos(frequency · θ): 0 is pure noise, 0.5 is noiseless.");
    p.integer("frequency", "circle: label frequency", &frequency_, 1, 6, 3,
              "circle data: arcs of each class around the circle, 2 × frequency.");
    declare_text(d.text);
    d.preset("ReLU with the NTK: toward majority vote, depth 200", "dual=relu&kernel=ntk&depth=200");
    d.preset("No linear term: 1-nearest neighbour", "dual=nolinear&depth=30");
    d.preset("α = 1 (a = 1/4, k = 5): a more singular kernel", "dual=custom&a1=0.25&power=5&depth=40");
    d.preset("The NTK instead of the NNGP: the early layers still count at depth 200", "kernel=ntk&depth=200");
    d.preset("The whole circle: antipodal points vote against their label", "data=circle");
    d.view("arcs", "Decision arcs on the circle", [this](const ViewContext& v) { draw_arcs(v); });
    d.view("depth", "Accuracy against depth", [this](const ViewContext& v) { draw_depth(v); });
    d.metric("acc_ntk", "test accuracy of the depth-L kernel classifier sign(k(x, X) k(X, X)⁻¹ y), k the chosen "
                        "kernel (NNGP Σᴸ or NTK Kᴸ)");
    d.metric("acc_bayes", "test accuracy of the Bayes classifier sign(P(y = 1 | x) − ½) on the same test points");
    d.metric("acc_bayes_exact", "the Bayes accuracy the test sample estimates: p (1 − (1 − p)²) + (1 − p)(1 − p²) "
                                "= 0.76 for the Dirichlet classes (p = 0.4), ½ + (2/π) signal on the circle");
    d.metric("acc_1nn", "test accuracy of 1-nearest neighbour");
    d.metric("acc_majority", "test accuracy of predicting the training set's majority label");
    d.metric("acc_hilbert", "test accuracy of the Hilbert estimate sign(Σ y_i ‖x − x_i‖^−(d−1)), d = 2");
    d.metric("agree_hilbert", "fraction of test points where the kernel classifier agrees with the Hilbert estimate");
    d.metric("agree_hilbert_nngp", "that agreement for the NNGP classifier at this depth, whichever kernel is chosen");
    d.metric("agree_hilbert_ntk", "that agreement for the NTK classifier at this depth, whichever kernel is chosen");
    d.metric("agree_1nn", "fraction of test points where it agrees with 1-NN");
    d.metric("agree_majority", "fraction of test points where it agrees with the majority vote");
    d.metric("agree_limit", "fraction of test points where it agrees with the deep limit our derivation predicts: "
                            "sign(Σ y_i s(<x, x_i>)) with s the Koenigs function (singular duals), 1-NN (no linear "
                            "term) or the majority vote (ReLU, the paper's claim)");
    d.metric("acc_limit", "test accuracy of that predicted limit rule");
    d.metric("alpha", "the dual's singular exponent ln(1/a₁) / ln φ̌'(1) (0 when it has none: ReLU, no linear term)");
    d.metric("alpha_measured", "−d log k / d log(1 − ξ) between 1 − ξ = 10⁻² and 10⁻³ for the chosen kernel k at the "
                               "current depth");
    d.metric("phi_at_one", "φ̌(1) of the chosen dual (1 by the normalization)");
    d.metric("depth_done", "layers of the recursion computed so far");
  }

  void reset(uint64_t seed) override {
    phi_ = make_dual();
    Rng rng(seed);
    sample(rng, n_train_, train_theta_, train_y_);
    sample(rng, kTest, test_theta_, test_y_);
    arc_theta_.resize(kArc);
    const double span = data_ == 0 ? 0.25 * kTwoPi : kTwoPi;  // the data's support: one quadrant or the circle
    for (int i = 0; i < kArc; ++i) arc_theta_[i] = span * (i + 0.5) / kArc;
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
    return timing::run_budgeted(max_steps, budget_ms, [this] { return done(); }, [&] {
      for (nn::NtkEntry& e : entries_) nn::ntk_layer(phi_, e);
      nn::ntk_layer(phi_, one_);
      nn::ntk_layer(phi_, probe_[0]);
      nn::ntk_layer(phi_, probe_[1]);
      const int l = one_.depth;
      while (next_rung_ < int(std::size(kLadder)) && kLadder[next_rung_] < l) ++next_rung_;
      if (l == depth_ || (next_rung_ < int(std::size(kLadder)) && kLadder[next_rung_] == l)) evaluate();
    });
  }

  bool done() const override { return one_.depth >= depth_; }

  void metrics(MetricList& out) const override {
    out.add("acc_ntk", acc_[kNtk]);
    out.add("acc_bayes", acc_[kBayes]);
    // Dirichlet: the Bayes boundary s_2 / s_1 = (1 - p) / p is s_1 = p; P(s_1 < p) under Beta(1, 2) and
    // P(s_1 > p) under Beta(2, 1).  Circle: max(eta, 1 - eta) = 1/2 + signal |cos(f theta)|, of mean
    // 1/2 + (2/pi) signal.
    const double p = kPrior;
    out.add("acc_bayes_exact", data_ == 0 ? p * (1 - (1 - p) * (1 - p)) + (1 - p) * (1 - p * p)
                                          : 0.5 + 2.0 / 3.14159265358979323846 * signal_);
    out.add("acc_1nn", acc_[kNearest]);
    out.add("acc_majority", acc_[kMajority]);
    out.add("acc_hilbert", acc_[kHilbert]);
    out.add("agree_hilbert", agree_[kHilbert]);
    out.add("agree_hilbert_nngp", agree_hilbert_kernel_[0]);
    out.add("agree_hilbert_ntk", agree_hilbert_kernel_[1]);
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

  // P(y = 1 | angle theta).  Dirichlet: the class densities on the simplex are 2 s_2 (class 1) and
  // 2 s_1 (class 0); the map s -> s/||s|| = (cos, sin) theta is shared, so its Jacobian cancels and
  // s_2 / s_1 = tan theta.
  double eta(double theta) const {
    if (data_ == 0) {
      const double a = kPrior * nnmath::sin(theta), b = (1 - kPrior) * nnmath::cos(theta);
      return a / (a + b);
    }
    return 0.5 + signal_ * nnmath::cos(frequency_ * theta);
  }
  static double cos_diff(double a, double b) { return nnmath::cos(a - b); }

  void sample(Rng& rng, int n, std::vector<double>& theta, std::vector<int>& y) const {
    theta.resize(size_t(n)), y.resize(size_t(n));
    for (int i = 0; i < n; ++i) {
      if (data_ == 0) {
        // s = (s_1, 1 - s_1) with s_1 ~ Beta(1, 2) (class 1) or Beta(2, 1) (class 0), by inverting
        // their CDFs 1 - (1 - t)^2 and t^2; then x = s / ||s||, an angle in [0, pi/2].
        y[i] = rng.uniform() < kPrior ? 1 : 0;
        const double u = rng.uniform();
        const double s1 = y[i] ? 1.0 - std::sqrt(1.0 - u) : std::sqrt(u), s2 = 1.0 - s1;
        theta[i] = nn::acos_det(s1 / std::sqrt(s1 * s1 + s2 * s2));
      } else {
        theta[i] = kTwoPi * rng.uniform();
        y[i] = rng.uniform() < eta(theta[i]) ? 1 : 0;
      }
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

  // The chosen kernel of an entry: the NNGP Sigma^(L) or the NTK K^(L).
  static const nn::SignedLog& kernel_of(const nn::NtkEntry& e, bool nngp) { return nngp ? e.sigma : e.k; }

  // sign(k(x, X) k(X, X)^-1 y) for one kernel at the depth reached: the test
  // points, and the arc when arc_pred is given.  Every entry is divided by
  // k(1) (the diagonal): k(X, X) becomes 1 on the diagonal, and each test row
  // is further scaled by its own largest entry (a positive factor: the sign
  // is unchanged), so nothing underflows that decides the prediction.
  void classify(bool nngp, std::vector<int>& test_pred, std::vector<int>* arc_pred, std::vector<double>* kernel_out) {
    const int n = n_train_;
    const double lg1 = kernel_of(one_, nngp).log;
    Eigen::MatrixXd A(n, n);  // k(X, X) / k(1), (n, n)
    size_t e = 0;
    for (int i = 0; i < n; ++i)
      for (int j = i; j < n; ++j, ++e) {
        const nn::SignedLog& v = kernel_of(entries_[e], nngp);
        A(i, j) = A(j, i) = v.sign * detmath::exp(v.log - lg1);
      }
    if (kernel_out) {
      kernel_out->assign(size_t(n) * n, 0.0);
      for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j) (*kernel_out)[size_t(i) * n + j] = A(i, j);
    }
    A.diagonal().array() += kRidge;
    Eigen::VectorXd y(n);
    for (int i = 0; i < n; ++i) y[i] = train_y_[i] ? 1.0 : -1.0;
    const Eigen::VectorXd c = A.ldlt().solve(y);
    for (int set = 0; set < (arc_pred ? 2 : 1); ++set) {
      const int rows = set == 0 ? kTest : kArc;
      std::vector<int>& pred = set == 0 ? test_pred : *arc_pred;
      pred.assign(size_t(rows), 0);
      for (int r = 0; r < rows; ++r, e += n) {
        double mx = -1e308;
        for (int j = 0; j < n; ++j) {
          const nn::SignedLog& v = kernel_of(entries_[e + j], nngp);
          if (v.sign != 0.0) mx = std::max(mx, v.log);
        }
        double s = 0.0;
        for (int j = 0; j < n; ++j) {
          const nn::SignedLog& v = kernel_of(entries_[e + j], nngp);
          s += v.sign * detmath::exp(v.log - mx) * c[j];
        }
        pred[r] = s > 0 ? 1 : 0;
      }
    }
  }

  static double agreement(const std::vector<int>& a, const std::vector<int>& b) {
    int same = 0;
    for (int i = 0; i < kTest; ++i) same += a[i] == b[i];
    return double(same) / kTest;
  }

  // Both kernels' classifiers at the depth reached (the chosen one drives the
  // views and metrics; the other only its agreement with the Hilbert estimate).
  void evaluate() {
    const bool nngp = kernel_ == 0;
    classify(nngp, test_pred_[kNtk], &arc_pred_[kNtk], &kernel_train_);
    classify(!nngp, other_pred_, nullptr, nullptr);
    acc_[kNtk] = accuracy(test_pred_[kNtk]);
    for (int r = kHilbert; r < kRules; ++r) agree_[r] = agreement(test_pred_[kNtk], test_pred_[r]);
    agree_hilbert_kernel_[nngp ? 0 : 1] = agree_[kHilbert];
    agree_hilbert_kernel_[nngp ? 1 : 0] = agreement(other_pred_, test_pred_[kHilbert]);
    const double l0 = kernel_of(probe_[0], nngp).log, l1 = kernel_of(probe_[1], nngp).log;
    alpha_measured_ = -(l1 - l0) / (detmath::log(1e-3) - detmath::log(1e-2));
    if (one_.depth > 0)  // the curve's x axis is logarithmic
      curve_.push({float(one_.depth), float(acc_[kNtk]), float(agree_[kHilbert]), float(agree_[kNearest]),
                   float(agree_[kMajority]), float(agree_[kLimit]), float(agree_hilbert_kernel_[nngp ? 1 : 0])});
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
      const nn::SignedLog& v = kernel_of(entries_[first + i], kernel_ == 0);
      logk[i] = v.log - kernel_of(one_, kernel_ == 0).log;
      sgn[i] = v.sign;
    }
    kernel_test_log_out_.set({kTest, n}, logk.data());
    kernel_test_sign_out_.set({kTest, n}, sgn.data());
    std::vector<float> preds(size_t(kRules) * kTest);
    for (int r = 0; r < kRules; ++r)
      for (int i = 0; i < kTest; ++i) preds[size_t(r) * kTest + i] = float(test_pred_[r][i]);
    test_pred_out_.set({kRules, kTest}, preds.data());
    preds.assign(arc_pred_[kNtk].begin(), arc_pred_[kNtk].end());
    arc_pred_out_.set({kArc}, preds.data());
    derive_view_data();
  }

  // A worker's outputs arrived (Lesson::replace_outputs): the same derivation.
  void outputs_replaced() override { derive_view_data(); }

  // The arcs picture, from the kernel classifier's arc (an output) and what
  // reset() built (the training points, the baselines' arcs): training points
  // outside, then one ring per rule.
  void derive_view_data() {
    const int n = n_train_;
    if (arc_pred_out_.f.size() != size_t(kArc)) return;  // not this lesson's shapes
    arc_pred_[kNtk].resize(size_t(kArc));
    for (int i = 0; i < kArc; ++i) arc_pred_[kNtk][i] = int(arc_pred_out_.f[size_t(i)]);
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

  int depth_ = 20, dual_ = 0, power_ = 7, n_train_ = 100, frequency_ = 3, data_ = 0, kernel_ = 0;
  double a1_ = 0.5, signal_ = 0.4;
  nn::DualActivation phi_;
  std::vector<double> train_theta_, test_theta_, arc_theta_;
  std::vector<int> train_y_, test_y_;
  std::vector<double> xi_rows_;        // (kTest + kArc, n) inner products with the training points
  std::vector<nn::NtkEntry> entries_;  // train-train upper triangle, then test rows, then arc rows
  nn::NtkEntry one_, probe_[2];        // xi = 1 (the diagonal) and the two points of alpha_measured
  std::vector<int> test_pred_[kRules], arc_pred_[kRules];
  std::vector<int> other_pred_;  // the test predictions of the kernel not chosen
  std::vector<double> kernel_train_;
  double acc_[kRules] = {}, agree_[kRules] = {}, alpha_measured_ = 0;
  double agree_hilbert_kernel_[2] = {};  // agree_hilbert of the NNGP and of the NTK classifier
  int next_rung_ = 0;
  std::vector<float> arc_xy_;
  mutable std::vector<nn::SignedLog> limit_w_;  // scratch of limit_rule
  std::vector<int> arc_cls_;

  Series& curve_ = outputs_.series("accuracy_vs_depth", {"depth", "acc_ntk", "agree_hilbert", "agree_1nn",
                                                         "agree_majority", "agree_limit", "agree_hilbert_other"});
  Array& train_theta_out_ = outputs_.array("train_angle");        // (n,) radians; x = (cos, sin); Dirichlet: [0, pi/2]
  Array& train_y_out_ = outputs_.array("train_y");                // (n,) 0/1
  Array& test_theta_out_ = outputs_.array("test_angle");          // (300,)
  Array& test_y_out_ = outputs_.array("test_y");                  // (300,)
  Array& kernel_out_ = outputs_.array("kernel_train");            // (n, n) f64 k(X, X) / k(1), the chosen kernel
  Array& kernel_test_log_out_ = outputs_.array("kernel_test_log");    // (300, n) f64 log |k(x, x_j) / k(1)|
  Array& kernel_test_sign_out_ = outputs_.array("kernel_test_sign");  // (300, n) f64 its sign
  Array& test_pred_out_ = outputs_.array("test_predictions");     // (6, 300): ntk, hilbert, bayes, 1nn, majority, limit
  Array& arc_pred_out_ = outputs_.array("arc_predictions");       // (180,) the kernel classifier at the arc's angles
};

void WideDeepOptimality::declare_text(Walkthrough& t) {
  t.section("The problem")
      .paragraph("Is a neural network trained to zero training error an optimal classifier - one whose error "
                 "tends to the Bayes error as data grow, for any distribution?  Radhakrishnan, Belkin and Uhler "
                 "answer it for networks that are infinitely wide (so training is kernel regression with a "
                 "kernel of the network) and then infinitely deep.  Depth does not wash everything out: the "
                 "limit is one of three classical rules, and which one is decided by the activation function.");
  t.section("The method")
      .paragraph("For unit inputs with <x, x'> = ξ, the dual of the activation, φ̌(ξ) = E[φ(u) φ(v)] for "
                 "correlated standard normals (u, v), normalized so φ̌(1) = 1 (here {phi_at_one:%.6f}), "
                 "gives the two kernels of a depth-L network without bias terms - the NNGP Σᴸ (the network's "
                 "random features) and the NTK Kᴸ (gradient descent on all its weights):")
      .equation("Σ⁰ = K⁰ = ξ      Σˡ = φ̌(Σˡ⁻¹)      Kˡ = Σˡ + Kˡ⁻¹ · φ̌'(Σˡ⁻¹)")
      .equation("f(x) = sign( k(x, X) k(X, X)⁻¹ y ),   k = Σᴸ or Kᴸ")
      .paragraph("The paper's code (uhlerlab/inf_depth_ntks, main.py) classifies with the NNGP for its "
                 "activations (depth 100 for the 2-D one) and with the NTK for ReLU (depth 50,000 on 100 "
                 "training points); the kernel knob offers both, NNGP by default.  Its data: class 1 (prior 0.4) "
                 "from Dirichlet(1, 2) and class 0 from Dirichlet(2, 1) on the simplex, each point divided by its "
                 "norm - in 2-D a quarter of the circle, where every <x, x'> is ≥ 0.")
      .paragraph("Which duals exist?  With h_i the orthonormal Hermite polynomials, E[h_i(u) h_j(v)] = δ_ij ξ^i, "
                 "so φ(u) = Σ_i √c_i h_i(u) has the dual Σ_i c_i ξ^i: every power series with nonnegative "
                 "coefficients summing to 1 is the dual of an explicit activation.  (ξ + ξ⁷)/2 is the dual of "
                 "φ(u) = (h₁(u) + h₇(u))/√2, a polynomial; the paper's code calls it 2d_opt, and gives "
                 "(ξ + ξ³)/2, ξ/4 + ξ²/2 + ξ³/4 and ξ/16 + 7ξ²/8 + ξ³/16 for 3, 5 and 9 dimensions.")
      .paragraph("Our derivation of the deep limit (the paper's own is not reproduced here).  Take a₀ = 0, "
                 "a₁ = φ̌'(0) in (0, 1) and r = φ̌'(1) > 1.  For ξ < 1 the iterates Σˡ fall to the fixed point 0, "
                 "where Σˡ ≈ a₁ˡ s(ξ) and each factor φ̌'(Σˡ) ≈ a₁.  Near 1, 1 − Σ grows by r per layer, so it "
                 "takes m ≈ log_r(1/(1 − ξ)) layers to leave, and s(ξ) = a₁⁻ᵐ s(φ̌ᵐ(ξ)):")
      .equation("s(ξ) ~ (1 − ξ)^(−α),   α = ln(1/a₁) / ln φ̌'(1),   and ‖x − x'‖² = 2 (1 − ξ)")
      .paragraph("NNGP: Σᴸ(1) = 1 while Σᴸ(ξ) ≈ a₁ᴸ s(ξ) once L > m, so k(X, X) becomes the identity and the "
                 "classifier tends to sign(Σ_i y_i s(<x, x_i>)); at L = 20, L > m for every 1 − ξ above 4⁻²⁰ ≈ "
                 "10⁻¹², so depth 20 is already the limit here.  NTK: every late term of "
                 "K^L = Σ_l Σˡ Π_(k≥l) φ̌'(Σᵏ) is ≈ a₁^L s(ξ), so K^L(ξ) ≈ L a₁^L s(ξ), while K^L(1) = Σ_l r^l: the "
                 "same limit, but the early terms l < m add ≈ a₁^L (1 − ξ)^(−α−1), larger than L a₁^L s(ξ) when "
                 "1 − ξ < 1/L.")
      .paragraph("So the limit weights training points by ‖x − x_i‖^(−2α).  On the sphere S^(d−1) the Hilbert "
                 "kernel estimate (weights ‖x − x_i‖^(−(d−1)), Devroye et al. 1998; the paper's code's "
                 "devroye_classifier, (2 − 2ξ)^(−(d−1)/2)) is consistent; it is matched when 2α = d − 1.  On the "
                 "circle (d = 2) α = ½: a₁ = ½ and φ̌'(1) = 4, which (ξ + ξ⁷)/2 has (the code's 3-, 5- and 9-D duals "
                 "give α = 1, 2, 4 the same way).  The chosen dual has α = {alpha:%.3f}; the chosen kernel decays "
                 "with exponent {alpha_measured:%.3f} near ξ = 1.  Without a linear term (a₁ = 0) Σˡ = ξ^(m^l) falls "
                 "super-exponentially, the nearest training point wins: 1-NN.  The ReLU dual has φ̌'(1) = 1 and "
                 "every Σˡ tends to 1: the kernel flattens to a constant, which the paper reads as the majority vote "
                 "(see the note below).")
      .paragraph("ξ^(7^L) underflows for L beyond a few layers, so every Σˡ and Kˡ is kept as a sign and a log "
                 "magnitude; the classifier divides by k(1) and each test row by its own largest entry (positive "
                 "factors, so no sign changes).")
      .warning("The draft expected the optimal dual to agree with the Hilbert estimate on ≥ 99% of test points "
               "at L = 20.  In the paper's setting (Dirichlet data, the NNGP) it does: 0.996 on average over seeds "
               "1 to 40, 0.973 at the lowest seed (300 test points each; far training points, where s(ξ) and "
               "‖x − x_i‖⁻¹ differ, decide the rest).  Live, at depth {depth_done:%.0f}: the NNGP agrees on "
               "{agree_hilbert_nngp:%.3f}, the NTK on {agree_hilbert_ntk:%.3f}.  The NTK lags because nearest "
               "neighbours sit at 1 − ξ far below 1/L, where its early layers weight them by ‖x − x_i‖^(−2α−2), "
               "not ‖x − x_i‖^(−2α); it reaches the same limit only for L ≫ 1/(1 − ξ) of the nearest pairs, beyond "
               "depth 200.  For ReLU the paper's majority vote does not appear by L = 200 (its code goes to "
               "50,000): K/K(1) tends to a constant, but the interpolant only sees the part that is not constant.")
      .warning("On the whole circle the dual (ξ + ξ⁷)/2 is odd, so s(−ξ) = −s(ξ): nearly antipodal training points "
               "vote against their own label, which the Hilbert kernel never does, and agreement falls to "
               "{agree_hilbert:%.3f}.  The paper's data never meet this: every <x, x'> there is ≥ 0.")
      .when([this] { return data_ == 1; })
      .warning("Checked against the paper's abstract and its official code (the data, the two kernels, the duals "
               "and the Hilbert classifier above are the code's); the deep-limit derivation is ours (the tests "
               "check it: φ̌(1) = 1, the Hermite activation's dual, α = ½ for (ξ + ξ⁷)/2, the exponents α of the "
               "limit kernel and α + 1 of the NTK at finite depth, the deep classifier matching the limit).  "
               "Simplifications: 100 training and 300 test points (the code: 10,000 each); each label drawn with "
               "probability 0.4 (the code: exactly 40% of its pool, then shuffled); depth ≤ 200; a 10⁻⁹ ridge on "
               "the normalized k(X, X) (the code solves without one), which at small depth is rank-deficient for "
               "polynomial duals; the circle data are a teaching toy, not the paper's.");
  t.section("Try this")
      .bullet("Press Play: by depth 20 the outer ring (NNGP) matches the Hilbert ring inside it; the agreement "
              "plot's dashed line is the NTK at the same depths.")
      .bullet("Switch the kernel to ntk and the depth to 200: agreement with the Hilbert estimate stays near 0.9 "
              "(at this depth {agree_hilbert_ntk:%.3f}) - the early layers still count, and the NTK sits closer "
              "to 1-NN (see the note in The method).")
      .bullet("Switch the data to circle: the odd dual lets antipodal points vote, and agreement drops.")
      .bullet("Take nolinear (no linear term) at depth 30: the kernel ring copies the 1-NN ring.")
      .bullet("Switch the dual to relu, the kernel to ntk and the depth to 200.  The paper's taxonomy says "
              "majority vote; here the interpolating classifier follows 1-NN instead (agreement {agree_1nn:%.3f} "
              "with 1-NN, {agree_majority:%.3f} with the majority) - see the note in The method.")
      .bullet("Custom a = ¼, k = 5 gives α = ln 4 / ln 4 = 1: a more singular kernel, closer to 1-NN.")
      .bullet("With the NTK at depth 200, compare 100 and 20 training points: agreement with the predicted limit "
              "rises from about 0.9 to about 0.97, because fewer nearest neighbours sit closer than 1 − ξ = 1/L.")
      .paragraph("Now (depth {depth_done:%.0f}): kernel classifier {acc_ntk:%.3f}, Hilbert {acc_hilbert:%.3f}, 1-NN "
                 "{acc_1nn:%.3f}, majority {acc_majority:%.3f}, Bayes {acc_bayes:%.3f} (exactly {acc_bayes_exact:%.3f} "
                 "in expectation); agreement with Hilbert {agree_hilbert:%.3f}.");
  t.section("What the paper reports")
      .paragraph("The paper proves the taxonomy (1-NN, majority vote, singular kernel classifiers) and gives "
                 "explicit activations whose infinitely wide and deep networks are consistent; its code compares "
                 "their test accuracy with Bayes, 1-NN, the Hilbert estimate and the majority vote on Dirichlet "
                 "data.  The rows compare its claims with this toy.")
      .paper("optimal dual, deep: a singular kernel classifier", "consistent, like the Hilbert estimate",
             "agree_hilbert", "%.3f agreement with Hilbert",
             "Live: (ξ + ξ⁷)/2, the chosen kernel and depth, n as set.  Its code: the NNGP at depth 100, 10,000 "
             "points.")
      .when([this] { return dual_ == 0; })
      .paper("ReLU, deep: majority vote", "majority vote as L → ∞", "agree_majority", "%.3f agreement",
             "Live: the ReLU dual at the chosen depth.  Its code: the NTK at depth 50,000 on 100 points.")
      .when([this] { return dual_ == 1; })
      .paper("no linear term, deep: 1-NN", "1-NN as L → ∞", "agree_1nn", "%.3f agreement",
             "Live: (ξ² + ξ³)/2 at the chosen depth.")
      .when([this] { return dual_ == 2; })
      .paper("consistency: error → Bayes error", "as n → ∞", "acc_ntk", "%.3f test accuracy",
             "Live: this n; compare acc_bayes (this test set) and acc_bayes_exact (its expectation); raise n to "
             "close the gap.");
}

void WideDeepOptimality::draw_arcs(const ViewContext& v) const {
  const float side = v.height > 0 ? std::max(v.font_size * 8, std::min(v.width, v.height - v.font_size * 3))
                                  : std::min(v.width, v.font_size * 22);
  plot::ScatterStyle style;
  style.radius = 2.5f;
  const double lo = data_ == 0 ? -0.1 : -1.25;  // Dirichlet data fill one quadrant
  style.x_min = lo, style.x_max = 1.25, style.y_min = lo, style.y_max = 1.25;
  plot::scatter("##arcs", ImVec2(side, side), arc_xy_.data(), arc_cls_.data(), int(arc_cls_.size()), style);
  // The kernel ring is from the last evaluation: the curve's last depth (0 before the first rung).
  const int ring_depth = curve_.rows() > 0 ? int(curve_.col(0)[curve_.rows() - 1]) : 0;
  ImGui::TextDisabled("rings, outside in: training points, %s (depth %d), predicted limit, Hilbert, Bayes, 1-NN, "
                      "majority", kernel_ == 0 ? "NNGP" : "NTK", ring_depth);
}

void WideDeepOptimality::draw_depth(const ViewContext& v) const {
  const float w = ui::column_width(2), h = v.height > 0 ? v.height : v.font_size * 12;
  const Series& s = curve_;
  {
    plot::LinePlot p("##acc", ImVec2(w, h));
    p.axes("depth L", "test accuracy", false, true);
    p.x_range(1, std::max(2, depth_));
    p.line(kernel_ == 0 ? "NNGP" : "NTK", s.col(0), s.col(1), s.rows(), plot::palette(0));
    p.hline(acc_[kBayes], "Bayes", plot::palette(2));
    p.hline(acc_[kHilbert], "Hilbert", plot::palette(1));
    p.hline(acc_[kNearest], "1-NN", plot::palette(3));
    p.hline(acc_[kMajority], "majority", plot::palette(4));
    p.hline(acc_[kLimit], "predicted limit", plot::palette(5));
    p.draw();
  }
  ui::next_column(w);
  {
    plot::LinePlot p("##agree", ImVec2(w, h));
    p.axes("depth L", "agreement with the kernel classifier", false, true);
    p.x_range(1, std::max(2, depth_));
    p.y_range(0, 1.02);
    p.line("Hilbert", s.col(0), s.col(2), s.rows(), plot::palette(1));
    p.line("1-NN", s.col(0), s.col(3), s.rows(), plot::palette(3));
    p.line("majority", s.col(0), s.col(4), s.rows(), plot::palette(4));
    p.line("predicted limit", s.col(0), s.col(5), s.rows(), plot::palette(0), true);
    p.line(kernel_ == 0 ? "Hilbert, NTK instead" : "Hilbert, NNGP instead", s.col(0), s.col(6), s.rows(),
           plot::palette(1), true);
    p.draw();
  }
}

}  // namespace

PG_REGISTER_LESSON(WideDeepOptimality, 31);

}  // namespace pg
