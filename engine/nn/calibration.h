// calibration.h - how well a classifier's probabilities mean what they say,
// and how well its scores rank the classes, measured separately.
//
// Top-label expected calibration error (Guo et al. 2017, eq. 3): split the
// rows by their confidence c_i = max_k p_ik into `bins` equal-width bins
// B_1..B_M of [0, 1] (c = 1 goes to the last bin), then
//   ECE = sum_m |B_m|/n * | acc(B_m) - conf(B_m) |
// with acc the fraction of rows whose argmax is the label and conf the mean c.
// Rank agreement: Kendall's tau-a between two score vectors of one row,
//   tau = (concordant - discordant) / (C (C - 1) / 2)
// (a tie in either vector counts as neither).  Any strictly increasing map
// of the scores (a temperature, an exponent) leaves tau and the argmax as
// they are, while it changes the probabilities and their ECE.
#pragma once

namespace nn {

// Per-bin read-outs of a reliability diagram, each (bins,): mean confidence,
// accuracy and row count (0 for an empty bin; its conf and acc are 0 too).
struct ReliabilityBins {
  float* confidence = nullptr;
  float* accuracy = nullptr;
  float* count = nullptr;
};

// probs (n, C), labels (n,) -> top-label ECE over `bins` bins; fills out when
// its pointers are set.  n = 0 gives 0.
double expected_calibration_error(const float* probs, const int* labels, int n, int C, int bins,
                                  const ReliabilityBins& out = ReliabilityBins());

// The same calibration gap measured against a known posterior instead of
// sampled labels: sum_m |B_m|/n * | mean_i truth_i[argmax p_i] - conf(B_m) |,
// truth (n, C) the true P(y | x) (no label noise in the estimate).
double calibration_error_vs_truth(const float* probs, const float* truth, int n, int C, int bins);

// Kendall's tau-a of a (C,) against b (C,).  C < 2 gives 1.
double kendall_tau(const float* a, const float* b, int C);

// Mean over n rows of kendall_tau(scores row, truth row), both (n, C).
double mean_kendall_tau(const float* scores, const float* truth, int n, int C);

// probs (n, C) = softmax(logits / T) row by row (detmath exp, sums in double).
void softmax_temperature(const float* logits, int n, int C, double T, float* probs);

// Mean negative log-likelihood of labels under softmax(logits / T) (detmath).
double temperature_nll(const float* logits, const int* labels, int n, int C, double T);

// The temperature T in [0.05, 20] minimizing temperature_nll, by golden-section
// search on log T (the NLL is convex in 1/T), 40 iterations (the interval shrinks by 0.618 each): temperature
// scaling (Guo et al. 2017), a monotone transform fitted on held-out rows.
double fit_temperature(const float* logits, const int* labels, int n, int C);

}  // namespace nn
