// eval.h - measuring a trained model: accuracy, top-k accuracy, confusion
// matrix, test NLL, and decision regions of a 2-D classifier on a grid.
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

struct EvalResult {
  int samples = 0, classes = 0, top_k = 1;
  float accuracy = 0.0f;       // fraction with argmax == label
  float top_k_accuracy = 0.0f; // fraction whose label is among the k highest scores
  float mean_nll = 0.0f;       // mean -log p(label) under the head's probabilities
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

  // Evaluates on `max_samples` rows of data spread evenly over it (all rows
  // when max_samples <= 0 or >= data.n).  Needs model outputs >= data.classes.
  void evaluate(Model& model, const Loss& loss, const data::Dataset& data, int max_samples, int top_k,
                EvalResult& out);

  // For every grid cell: predicted class (argmax) in cls and the head's
  // probability of that class in confidence; both (ny * nx,).  2-D models only.
  void decision_grid(Model& model, const Loss& loss, const Grid& grid, int* cls, float* confidence);

 private:
  void grow(const Model& model);
  std::vector<float> x_, probs_;
  std::vector<int> idx_;
  int max_batch_ = 0, dim_ = 0, classes_ = 0;
};

}  // namespace nn
