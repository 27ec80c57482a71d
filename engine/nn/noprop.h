// noprop.h - NoProp-DT (Li, Teh & Pascanu, 2025, "NoProp: Training Neural
// Networks without Back-propagation or Forward-propagation"), discrete time,
// with the indexing of papers/method-notes.md #4 (no official code exists).
//
// Time runs from noise (t = 0) to label (t = T).  With class embeddings u_y
// (here one-hot, u_y = e_y, so d = classes):
//   q(z_t | y) = N(sqrt(abar_t) u_y, (1 - abar_t) I),  abar_t increasing in t,
//   SNR(t) = abar_t / (1 - abar_t).
// The loss weights below use dSNR(t) = min(SNR(t) - SNR(t-1), max_snr).  (A
// third-party implementation caps SNR(t) itself at 100; with T above about 12
// two late steps then share the capped SNR, their difference is 0 and that
// block is never trained.  Capping the difference bounds the weights the same
// way without that failure.  Not in the paper's text as far as checked.)
// Block t (t = 1..T) is its own MLP f_t(x, z_(t-1)) -> logits, with
//   u^_t = softmax(f_t(x, z_(t-1))) W_emb   (one-hot: u^_t = the probabilities),
// trained only on its own term, with z_(t-1) SAMPLED from q(z_(t-1) | y):
//   L_t = (T / 2) eta dSNR(t) (1/B) sum_i ||u^_t,i - u_yi||^2.
// The classifier p(y | z_T) = softmax(W z_T + c) is trained by cross-entropy on
// z_T sampled from q(z_T | y).  The KL term at z_0 depends on the embedding
// only (a constant for one-hot embeddings): reported, not trained.
// Inference never sees a label: z_0 ~ N(0, I), then for t = 1..T
//   z_t = a_t u^_t + b_t z_(t-1) + sqrt(c_t) eps,
//   alpha_(t-1) = abar_(t-1) / abar_t,
//   a_t = sqrt(abar_t) (1 - alpha_(t-1)) / (1 - abar_(t-1)),
//   b_t = sqrt(alpha_(t-1)) (1 - abar_t) / (1 - abar_(t-1)),
//   c_t = (1 - abar_t) (1 - alpha_(t-1)) / (1 - abar_(t-1)),
// and the class is the argmax of the classifier on z_T.  (Then
// a_t + b_t sqrt(abar_(t-1)) = sqrt(abar_t) and b_t^2 (1 - abar_(t-1)) + c_t = 1 - abar_t.)
#pragma once
#include <vector>

#include "engine/nn/model.h"
#include "engine/nn/optim.h"
#include "engine/rng.h"

namespace nn {

struct NoPropSchedule {
  int T = 0;
  std::vector<double> abar;      // (T + 1,): abar_0 ~ 0 (noise) .. abar_T ~ 1 (label)
  std::vector<double> snr;       // (T + 1,): abar / (1 - abar)
  std::vector<double> dsnr;      // (T + 1,): min(SNR(t) - SNR(t-1), max_snr), t = 1..T (entry 0 unused)
  std::vector<double> a, b, c;   // (T + 1,): the inference coefficients, index t = 1..T (entry 0 unused)
  // The flipped cosine schedule abar_t = cos^2(((1 - t/T) + s) / (1 + s) * pi/2), s = 0.008,
  // clamped to [1e-5, 1 - 1e-5].
  static NoPropSchedule cosine(int T, double max_snr = 100.0);
};

struct NoPropConfig {
  int T = 10;
  double eta = 0.1;
  int hidden = 64;       // each block: (dim + classes) -> hidden -> hidden -> classes, ReLU
  double max_snr = 100.0;
  OptimizerConfig optimizer;  // every block and the classifier (the paper: AdamW lr 1e-3, wd 1e-3)
};

class NoPropDT {
 public:
  // Builds T blocks and the classifier for inputs of size dim and `classes`
  // classes, batches up to max_batch; parameters from rng.
  bool init(int dim, int classes, const NoPropConfig& config, int max_batch, pg::Rng& rng);

  // One optimizer step of every block on its own denoising term and of the
  // classifier, on the batch x (B, dim), y (B,).  Each block draws its own
  // z_(t-1) ~ q(. | y) from rng.  Returns the summed loss (blocks + classifier).
  double train_step(const float* x, const int* y, int B, pg::Rng& rng);

  // Label-free inference on x (n, dim), in chunks of max_batch: classes into
  // pred (n,).  trajectory (optional): (n, T + 1, classes) floats, z_0 .. z_T.
  void predict(const float* x, int n, pg::Rng& rng, int* pred, float* trajectory = nullptr);

  // Block t's loss L_t (t = 1..T) on a batch with its z_(t-1) given
  // (B, classes): a pure function of block t's parameters and the inputs.
  double block_loss(int t, const float* x, const int* y, const float* z_prev, int B);

  // L_t as block_loss, and its gradient into block(t).grads() (zeroed first).
  double block_gradient(int t, const float* x, const int* y, const float* z_prev, int B);

  const NoPropSchedule& schedule() const { return schedule_; }
  int T() const { return config_.T; }
  int classes() const { return classes_; }
  int dim() const { return dim_; }
  Model& block(int t) { return blocks_[size_t(t - 1)]; }  // t = 1..T
  Model& classifier() { return classifier_; }
  // Mean of each block's last training loss (index t - 1) and the classifier's.
  const std::vector<double>& last_block_losses() const { return last_losses_; }
  double last_classifier_loss() const { return last_classifier_loss_; }
  // KL(q(z_0 | y) || N(0, I)) for one-hot embeddings:
  //   1/2 (abar_0 ||u_y||^2 + d (1 - abar_0) - d - d log(1 - abar_0)).
  double kl_z0() const;
  int num_params() const;

 private:
  // Fills z (B, classes) with samples of q(z_t | y).
  void sample_q(int t, const int* y, int B, pg::Rng& rng, float* z) const;
  // in (B, dim + classes) = [x, z]
  void concat(const float* x, const float* z, int B, float* in) const;

  NoPropConfig config_;
  NoPropSchedule schedule_;
  int dim_ = 0, classes_ = 0, max_batch_ = 0;
  std::vector<Model> blocks_;
  std::vector<Optimizer> block_opt_;
  Model classifier_;
  Optimizer classifier_opt_;
  std::vector<float> z_, in_, probs_, dlogits_;
  std::vector<double> last_losses_;
  double last_classifier_loss_ = 0;
};

}  // namespace nn
