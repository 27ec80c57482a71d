// eval.cpp - see eval.h.
#include "engine/nn/eval.h"

#include "engine/rng.h"

namespace nn {

void Evaluator::reserve(int max_batch, int dim, int classes) {
  max_batch_ = max_batch > 0 ? max_batch : 1;
  dim_ = dim;
  classes_ = classes;
  x_.assign(size_t(max_batch_) * dim, 0.0f);
  probs_.assign(size_t(max_batch_) * classes, 0.0f);
  idx_.assign(max_batch_, 0);
}

// Allocates only when the buffers are too small for this model (never for the
// models the trainer reserved them for).
void Evaluator::grow(const Model& model) {
  const int need_batch = model.max_batch(), need_dim = model.input_size(), need_classes = model.output_size();
  if (need_batch <= max_batch_ && need_dim <= dim_ && need_classes <= classes_) return;
  reserve(need_batch > max_batch_ ? need_batch : max_batch_, need_dim > dim_ ? need_dim : dim_,
          need_classes > classes_ ? need_classes : classes_);
}

void Evaluator::evaluate(Model& model, const Loss& loss, const data::Dataset& data, int max_samples, int top_k,
                         EvalResult& out) {
  const int C = model.output_size(), labels = data.classes;
  grow(model);
  out.samples = 0;
  out.classes = labels;
  out.top_k = top_k < 1 ? 1 : top_k;
  out.accuracy = out.top_k_accuracy = out.mean_nll = 0.0f;
  if (data.dim != model.input_size() || labels > C) return;  // data and model do not fit together
  const int n = (max_samples <= 0 || max_samples >= data.n) ? data.n : max_samples;
  out.samples = n;
  if (int(out.confusion.size()) != labels * labels) out.confusion.assign(size_t(labels) * labels, 0);
  for (int& cell : out.confusion) cell = 0;
  const int chunk = model.max_batch() < max_batch_ ? model.max_batch() : max_batch_;
  int correct = 0, in_top_k = 0;
  double nll = 0.0;
  for (int start = 0; start < n; start += chunk) {
    const int B = n - start < chunk ? n - start : chunk;
    // Row k of the evenly spread subset is floor(k * data.n / n).
    for (int b = 0; b < B; ++b) idx_[b] = int((long long)(start + b) * data.n / n);
    data.gather(idx_.data(), B, x_.data(), nullptr);
    const float* logits = model.forward(x_.data(), B);
    loss.probabilities(logits, B, C, probs_.data());
    for (int b = 0; b < B; ++b) {
      const float* row = logits + b * C;
      const int y = data.y[idx_[b]];
      const int predicted = argmax_row(row, C);
      if (predicted == y) ++correct;
      int higher = 0;  // classes scored strictly above the label
      for (int j = 0; j < C; ++j) higher += row[j] > row[y] ? 1 : 0;
      if (higher < out.top_k) ++in_top_k;
      if (predicted < labels) ++out.confusion[y * labels + predicted];
      const double p = probs_[b * C + y];
      nll -= detmath::log(p > 1e-30 ? p : 1e-30);
    }
  }
  out.accuracy = n > 0 ? float(correct) / n : 0.0f;
  out.top_k_accuracy = n > 0 ? float(in_top_k) / n : 0.0f;
  out.mean_nll = n > 0 ? float(nll / n) : 0.0f;
}

void Evaluator::decision_grid(Model& model, const Loss& loss, const Grid& grid, int* cls, float* confidence) {
  const int C = model.output_size();
  grow(model);
  if (model.input_size() != 2) return;
  const int cells = grid.nx * grid.ny;
  const int chunk = model.max_batch() < max_batch_ ? model.max_batch() : max_batch_;
  for (int start = 0; start < cells; start += chunk) {
    const int B = cells - start < chunk ? cells - start : chunk;
    for (int b = 0; b < B; ++b) {
      const int cell = start + b;
      x_[2 * b] = grid.cell_x(cell % grid.nx);
      x_[2 * b + 1] = grid.cell_y(cell / grid.nx);
    }
    const float* logits = model.forward(x_.data(), B);
    loss.probabilities(logits, B, C, probs_.data());
    for (int b = 0; b < B; ++b) {
      const int predicted = argmax_row(logits + b * C, C);
      cls[start + b] = predicted;
      confidence[start + b] = probs_[b * C + predicted];
    }
  }
}

}  // namespace nn
