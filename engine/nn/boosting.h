// boosting.h - gradient boosting of small sigmoid networks (GBNN; Emami &
// Martinez-Munoz), as in the official code GAA-UAM/GBNN (gbnn/GBNN.py), and
// the merge of the T boosted networks into one network of T*J hidden units.
//
// Everything here is double precision and tiny (J <= 8 units per step, a few
// hundred points): the lesson needs the merged network to equal the staged
// sum to rounding error, and the numbers to be the same on every platform
// (detmath::exp only).
//
//   nn::boost::Booster b;
//   b.init(config, x, y, n, dim, rng_seed);     // F_0 = the loss's constant minimizer
//   for (int t = 0; t < T; ++t) b.step();       // fit J units to the residuals, Newton step
//   b.predict(x, m, t, scores);                 // F after the first t steps
//   nn::boost::SigmoidNet merged = b.merge(T);  // one net, T*J units
#pragma once
#include <cstdint>
#include <vector>

#include "engine/rng.h"

namespace nn {
namespace boost {

// out(x) = W2 sigmoid(W1 x + b1) + b2: `hidden` sigmoid units, `out` linear outputs.
// Parameters flattened as [w1 (hidden, in) | b1 (hidden) | w2 (out, hidden) | b2 (out)].
struct SigmoidNet {
  int in = 0, hidden = 0, out = 0;
  std::vector<double> p;

  int num_params() const { return hidden * in + hidden + out * hidden + out; }
  double* w1() { return p.data(); }
  double* b1() { return p.data() + hidden * in; }
  double* w2() { return b1() + hidden; }
  double* b2() { return w2() + out * hidden; }
  const double* w1() const { return p.data(); }
  const double* b1() const { return p.data() + hidden * in; }
  const double* w2() const { return b1() + hidden; }
  const double* b2() const { return w2() + out * hidden; }
};

// sigmoid(x) in double from detmath::exp, never overflowing.
double sigmoid(double x);

// Shapes, and sklearn's initialization for logistic units (Glorot uniform with
// bound sqrt(2 / (fan_in + fan_out)) for weights AND biases).
void sigmoid_net_init(SigmoidNet& net, int in, int hidden, int out, pg::Rng& rng);

// x (n, in) -> hid (n, hidden) = sigmoid(W1 x + b1), y (n, out) = W2 hid + b2.
void sigmoid_net_forward(const SigmoidNet& net, const double* x, int n, double* hid, double* y);

// grad (num_params) = d/dparams of sum_i dy_i . y_i, given dy (n, out) and the
// forward's hid (n, hidden).  dhid (hidden) is scratch.  grad is overwritten.
void sigmoid_net_backward(const SigmoidNet& net, const double* x, const double* hid, const double* dy, int n,
                          double* grad, double* dhid);

// Scratch of fit_least_squares (full-batch Adam, lr, 0.9, 0.999, 1e-8), one
// row at a time.  Sized once by reserve(), so fitting never allocates.
struct AdamFitter {
  std::vector<double> m, v, grad, row_grad, hid, dhid, y, dy;
  void reserve(int max_params, int max_hidden, int max_out);
};

// Least squares as sklearn's MLPRegressor: minimizes
//   (1 / 2n) sum_i ||net(x_i) - r_i||^2 + (alpha / 2n) (||W1||^2 + ||W2||^2)
// over rows idx[0..n) of x (N, in) and r (N, out), for `iters` Adam steps.
// Returns the final objective.  (The official code uses L-BFGS, max_iter 200.)
double fit_least_squares(SigmoidNet& net, const double* x, const double* r, const int* idx, int n, int iters,
                         double lr, double alpha, AdamFitter& fit);

enum class Task { binary, multiclass, regression };

struct BoostConfig {
  Task task = Task::binary;
  int classes = 2;           // multiclass: outputs K = classes; binary and regression: K = 1
  int units_per_step = 2;    // J
  int steps = 50;            // T
  double eta = 0.5;          // shrinkage
  double subsample = 0.5;    // fraction of the rows each step fits, drawn without replacement
  int fit_iters = 200;       // Adam steps of each weak fit
  double fit_lr = 0.15;
  double alpha = 1e-4;       // sklearn's default L2
};

int outputs_of(const BoostConfig& c);

// Mean training loss of scores F (n, K) for the task (GBNN.py's losses):
//   binary      log(1 + e^(-2 y F)), y in {-1, 1}
//   multiclass  -F_y + logsumexp(F)
//   regression  (y - F)^2
// y holds +-1 (binary), the class (multiclass, as double) or the target.
double boost_loss(Task task, int K, const double* F, const double* y, int n);
// The loss's derivative: negative gradient r (n, K) of the loss at F (GBNN.py `derive`).
void boost_residuals(Task task, int K, const double* F, const double* y, int n, double* r);
// The Newton step rho (before eta) for new predictions h (n, K) (GBNN.py `newton_step`).
double boost_newton_step(Task task, int K, const double* y, const double* r, const double* h, int n);

class Booster {
 public:
  // x (n, dim) and targets y (n,) are copied.  Binary y: 0/1 labels (mapped to -1/+1 here).
  void init(const BoostConfig& config, const double* x, const double* y, int n, int dim, uint64_t seed);
  // One boosting step; false when all T are done.
  bool step();
  int steps_done() const { return done_; }
  const BoostConfig& config() const { return config_; }
  int outputs() const { return K_; }
  // Mean loss on the training set after the steps so far (as GBNN.py's `losses`).
  double train_loss() const { return boost_loss(config_.task, K_, F_.data(), y_.data(), n_); }
  const std::vector<double>& f0() const { return f0_; }
  const std::vector<double>& rho() const { return rho_; }  // eta * Newton step, one per step
  const std::vector<SigmoidNet>& learners() const { return learners_; }  // the first steps_done() are fitted

  // scores (m, K) = F_0 + sum_{s < t} rho_s h_s(x), x (m, dim): the staged sum.
  // hid, y scratch: (m, J) and (m, K).
  void predict(const double* x, int m, int t, double* scores, double* hid, double* y) const;
  // One net with t*J hidden units whose output equals the staged sum after t
  // steps times `multiplier` (GBNN.py `to_NN`: 2 for binary, so that
  // sigmoid(output) is the probability sigmoid(2F); 1 otherwise).
  SigmoidNet merge(int t) const;
  void merge_into(int t, SigmoidNet& net) const;  // the same, reusing net's storage
  double multiplier() const { return config_.task == Task::binary ? 2.0 : 1.0; }

 private:
  BoostConfig config_;
  int n_ = 0, dim_ = 0, K_ = 1, done_ = 0;
  std::vector<double> x_, y_, F_, r_, h_, hid_;
  std::vector<double> f0_, rho_;
  std::vector<SigmoidNet> learners_;
  std::vector<int> perm_;
  AdamFitter fit_;
  pg::Rng rng_;
};

// The baseline: one net of the same size (T*J sigmoid units), all units trained
// jointly by full-batch Adam on the same loss, its output read as F.
class JointNet {
 public:
  void init(const BoostConfig& config, const double* x, const double* y, int n, int dim, int hidden, double lr,
            uint64_t seed);
  void train(int iters);  // iters Adam steps on the whole training set
  int iters_done() const { return t_; }
  double train_loss() const { return loss_; }  // at the current weights
  const SigmoidNet& net() const { return net_; }

 private:
  BoostConfig config_;
  int n_ = 0, K_ = 1, t_ = 0;
  double lr_ = 0.01, loss_ = 0;
  SigmoidNet net_;
  std::vector<double> x_, y_, F_, r_, dy_, hid_, grad_, m_, v_, dhid_;
};

}  // namespace boost
}  // namespace nn
