// eval.h - measuring a trained model: accuracy, top-k accuracy, confusion
// matrix, test NLL, and decision regions of a 2-D classifier on a grid; for
// label-set data P@k and mAP, for vector targets MSE; ROC curve, AUROC and
// TNR at 95% TPR of any detector score.
//
// An Evaluator owns its scratch buffers (sized once by reserve), so evaluating
// every few training steps does not allocate.  It only reads the model (its
// forward pass) and the loss's probabilities(); it never draws random numbers,
// so evaluating does not change the training run.
#pragma once
#include <vector>

#include "engine/data/dataset.h"
#include "engine/nn/loss.h"
#include "engine/nn/model.h"

namespace nn {

// The metrics follow the data's target kind:
//   label      accuracy (argmax == label), top-k accuracy, NLL, confusion
//   label_set  accuracy = P@1 (argmax is a positive), precision_at_k (P@k =
//              |top k and positives| / k), top_k_accuracy (some positive in the
//              top k), mean_ap (per-sample average precision, averaged), NLL of
//              the positives' total probability; confusion stays empty
//   vector     mse (mean over every entry), accuracy = argmax(output) ==
//              argmax(target), NLL = soft-target cross-entropy; confusion empty
struct EvalResult {
  TargetKind kind = TargetKind::label;
  int samples = 0, classes = 0, top_k = 1;
  float accuracy = 0.0f;       // fraction with argmax == label
  float top_k_accuracy = 0.0f; // fraction whose label is among the k highest scores
  float mean_nll = 0.0f;       // mean -log p(label) under the head's probabilities
  float precision_at_k = 0.0f; // label_set only
  float mean_ap = 0.0f;        // label_set only
  float mse = 0.0f;            // vector only
  std::vector<int> confusion;  // (classes, classes): row = true class, column = predicted
  int confusion_at(int truth, int predicted) const { return confusion[truth * classes + predicted]; }
};

// Decision-region grid: nx * ny cell centres spanning [x_min, x_max] x [y_min, y_max].
// Cell (row, col) is at index row * nx + col; row 0 is the TOP row (y near
// y_max), as in an image, so the result uploads straight into a texture.
struct Grid {
  float x_min = -1.5f, x_max = 1.5f, y_min = -1.5f, y_max = 1.5f;
  int nx = 64, ny = 64;
  float cell_x(int col) const { return x_min + (col + 0.5f) * (x_max - x_min) / nx; }
  float cell_y(int row) const { return y_max - (row + 0.5f) * (y_max - y_min) / ny; }
};

class Evaluator {
 public:
  // Capacity for models up to max_batch rows, dim inputs and `classes` outputs.
  void reserve(int max_batch, int dim, int classes);
  // Room for label-set or vector targets of this width (so evaluating label
  // sets or vectors does not allocate either); 0 = plain labels only.
  void reserve_targets(int width);

  // Evaluates on `max_samples` rows of data spread evenly over it (all rows
  // when max_samples <= 0 or >= data.n).  Needs model outputs >= data.classes.
  void evaluate(Model& model, const Loss& loss, const data::Dataset& data, int max_samples, int top_k,
                EvalResult& out);

  // For every grid cell: predicted class (argmax) in cls and the head's
  // probability of that class in confidence; both (ny * nx,).  2-D models only.
  void decision_grid(Model& model, const Loss& loss, const Grid& grid, int* cls, float* confidence);

 private:
  void grow(const Model& model);
  void evaluate_targets(Model& model, const Loss& loss, const data::Dataset& data, int n, EvalResult& out);
  std::vector<float> x_, probs_, targets_;
  std::vector<int> idx_, sets_;
  int max_batch_ = 0, dim_ = 0, classes_ = 0, target_width_ = 0;
};

// Average precision of one ranked row: scores (C,), positives (P,) padded with
// -1 (duplicates counted once).  AP = (1/|P|) sum over positives l of
// (positives scored >= s_l) / (classes scored >= s_l); ties count against
// (a tie with a negative ranks the positive below it).  0 for an empty set.
double average_precision(const float* scores, int C, const int* positives, int P);

// Per-class (macro) mean average precision over n rows: scores (n, C), label
// sets (n, P) padded with -1; classes with no positive are skipped.  Allocates.
double macro_average_precision(const float* scores, int n, int C, const int* sets, int P);

// ROC of a detector whose score is higher for positives (e.g. in-distribution):
// positive (n,) is 1 for a positive and 0 for a negative.  Thresholds run over
// the distinct scores from high to low; point k counts the samples with score
// >= threshold k.  The curve starts at (0, 0) and ends at (1, 1).
struct RocCurve {
  std::vector<double> fpr, tpr, threshold;  // threshold[0] = +inf (the (0, 0) point)
  double auroc = 0.0;           // trapezoid area = P(s+ > s-) + P(s+ == s-)/2
  double tnr_at_95_tpr = 0.0;   // 1 - FPR at the first point with TPR >= 0.95
};
RocCurve roc_curve(const float* scores, const int* positive, int n);
// 1 - FPR at the first point (highest threshold) where TPR >= tpr (Lee et
// al. 2018's "TNR at 95% TPR" with tpr = 0.95).
double tnr_at_tpr(const RocCurve& roc, double tpr);

}  // namespace nn
