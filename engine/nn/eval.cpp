// eval.cpp - see eval.h.
#include "engine/nn/eval.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "engine/rng.h"

namespace nn {

void Evaluator::reserve(int max_batch, int dim, int classes) {
  max_batch_ = max_batch > 0 ? max_batch : 1;
  dim_ = dim;
  classes_ = classes;
  x_.assign(size_t(max_batch_) * dim, 0.0f);
  probs_.assign(size_t(max_batch_) * classes, 0.0f);
  idx_.assign(max_batch_, 0);
  if (target_width_ > 0) {
    sets_.assign(size_t(max_batch_) * target_width_, -1);
    targets_.assign(size_t(max_batch_) * target_width_, 0.0f);
  }
}

void Evaluator::reserve_targets(int width) {
  target_width_ = width > 0 ? width : 0;
  sets_.assign(size_t(max_batch_) * target_width_, -1);
  targets_.assign(size_t(max_batch_) * target_width_, 0.0f);
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
  out.kind = data.target_kind;
  out.samples = 0;
  out.classes = labels;
  out.top_k = top_k < 1 ? 1 : top_k;
  out.accuracy = out.top_k_accuracy = out.mean_nll = 0.0f;
  out.precision_at_k = out.mean_ap = out.mse = 0.0f;
  if (data.dim != model.input_size() || labels > C) return;  // data and model do not fit together
  const int W = data.target_width;
  if (data.target_kind == TargetKind::vector && W != C) return;
  const int n = (max_samples <= 0 || max_samples >= data.n) ? data.n : max_samples;
  out.samples = n;
  if (data.target_kind != TargetKind::label) {
    out.confusion.clear();
    evaluate_targets(model, loss, data, n, out);
    return;
  }
  if (int(out.confusion.size()) != labels * labels) out.confusion.assign(size_t(labels) * labels, 0);
  for (int& cell : out.confusion) cell = 0;
  const int chunk = model.max_batch() < max_batch_ ? model.max_batch() : max_batch_;
  const data::SpreadRows spread(n, data.n);  // the subset evaluated (every row when n = data.n)
  int correct = 0, in_top_k = 0;
  double nll = 0.0;
  for (int start = 0; start < n; start += chunk) {
    const int B = n - start < chunk ? n - start : chunk;
    for (int b = 0; b < B; ++b) idx_[b] = spread[start + b];
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

// Label sets and vector targets (see EvalResult).
void Evaluator::evaluate_targets(Model& model, const Loss& loss, const data::Dataset& data, int n, EvalResult& out) {
  const int C = model.output_size(), W = data.target_width, k = out.top_k;
  const bool sets = data.target_kind == TargetKind::label_set;
  if (sets && int(sets_.size()) < max_batch_ * W) sets_.assign(size_t(max_batch_) * W, -1);
  if (!sets && int(targets_.size()) < max_batch_ * W) targets_.assign(size_t(max_batch_) * W, 0.0f);
  const int chunk = model.max_batch() < max_batch_ ? model.max_batch() : max_batch_;
  const data::SpreadRows spread(n, data.n);  // the subset evaluated (every row when n = data.n)
  double hits1 = 0.0, hits_k = 0.0, any_k = 0.0, ap = 0.0, nll = 0.0, sq = 0.0;
  for (int start = 0; start < n; start += chunk) {
    const int B = n - start < chunk ? n - start : chunk;
    for (int b = 0; b < B; ++b) idx_[b] = spread[start + b];
    data.gather(idx_.data(), B, x_.data(), nullptr);
    data.gather_targets(idx_.data(), B, sets_.data(), targets_.data());
    const float* logits = model.forward(x_.data(), B);
    loss.probabilities(logits, B, C, probs_.data());
    for (int b = 0; b < B; ++b) {
      const float* row = logits + b * C;
      const int predicted = argmax_row(row, C);
      if (sets) {
        const int* pos = sets_.data() + size_t(b) * W;
        int in_k = 0;
        double mass = 0.0;
        for (int a = 0; a < W; ++a) {
          const int l = pos[a];
          if (l < 0 || l >= C) continue;
          bool dup = false;
          for (int e = 0; e < a; ++e) dup = dup || pos[e] == l;
          if (dup) continue;
          if (l == predicted) hits1 += 1.0;
          int higher = 0;
          for (int j = 0; j < C; ++j) higher += row[j] > row[l] ? 1 : 0;
          in_k += higher < k ? 1 : 0;
          mass += probs_[b * C + l];
        }
        hits_k += double(in_k) / k;
        any_k += in_k > 0 ? 1.0 : 0.0;
        ap += average_precision(row, C, pos, W);
        nll -= detmath::log(mass > 1e-30 ? mass : 1e-30);
      } else {
        const float* t = targets_.data() + size_t(b) * W;
        if (argmax_row(t, C) == predicted) hits1 += 1.0;
        for (int j = 0; j < C; ++j) {
          const double e = double(row[j]) - t[j];
          sq += e * e;
          const double p = probs_[b * C + j];
          nll -= double(t[j]) * detmath::log(p > 1e-30 ? p : 1e-30);
        }
      }
    }
  }
  if (n == 0) return;
  out.accuracy = float(hits1 / n);
  out.mean_nll = float(nll / n);
  if (sets) {
    out.precision_at_k = float(hits_k / n);
    out.top_k_accuracy = float(any_k / n);
    out.mean_ap = float(ap / n);
  } else {
    out.mse = float(sq / (double(n) * C));
  }
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

double average_precision(const float* scores, int C, const int* positives, int P) {
  int count = 0;
  double sum = 0.0;
  for (int a = 0; a < P; ++a) {
    const int l = positives[a];
    if (l < 0 || l >= C) continue;
    bool dup = false;
    for (int e = 0; e < a; ++e) dup = dup || positives[e] == l;
    if (dup) continue;
    ++count;
    int at_or_above = 0, positives_at_or_above = 0;
    for (int j = 0; j < C; ++j) at_or_above += scores[j] >= scores[l] ? 1 : 0;
    for (int e = 0; e < P; ++e) {
      const int m = positives[e];
      if (m < 0 || m >= C) continue;
      bool dup_m = false;
      for (int f = 0; f < e; ++f) dup_m = dup_m || positives[f] == m;
      if (!dup_m && scores[m] >= scores[l]) ++positives_at_or_above;
    }
    sum += double(positives_at_or_above) / at_or_above;
  }
  return count ? sum / count : 0.0;
}

double macro_average_precision(const float* scores, int n, int C, const int* sets, int P) {
  std::vector<float> column(n);
  std::vector<int> is_pos(n);
  double total = 0.0;
  int classes_used = 0;
  for (int c = 0; c < C; ++c) {
    int positives = 0;
    for (int i = 0; i < n; ++i) {
      column[i] = scores[size_t(i) * C + c];
      is_pos[i] = 0;
      for (int a = 0; a < P; ++a) is_pos[i] |= sets[size_t(i) * P + a] == c ? 1 : 0;
      positives += is_pos[i];
    }
    if (positives == 0) continue;
    // Ranking the rows by this class's score is AP with rows as "classes".
    std::vector<int> pos_rows;
    for (int i = 0; i < n; ++i)
      if (is_pos[i]) pos_rows.push_back(i);
    total += average_precision(column.data(), n, pos_rows.data(), int(pos_rows.size()));
    ++classes_used;
  }
  return classes_used ? total / classes_used : 0.0;
}

RocCurve roc_curve(const float* scores, const int* positive, int n) {
  RocCurve roc;
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  // Descending score; ties by index so the order is the same everywhere.
  std::sort(order.begin(), order.end(), [&](int a, int b) {
    return scores[a] > scores[b] || (scores[a] == scores[b] && a < b);
  });
  double P = 0, N = 0;
  for (int i = 0; i < n; ++i) (positive[i] ? P : N) += 1;
  roc.fpr.push_back(0.0);
  roc.tpr.push_back(0.0);
  roc.threshold.push_back(INFINITY);
  double tp = 0, fp = 0;
  for (int k = 0; k < n;) {
    const float t = scores[order[k]];
    for (; k < n && scores[order[k]] == t; ++k) (positive[order[k]] ? tp : fp) += 1;
    roc.fpr.push_back(N > 0 ? fp / N : 0.0);
    roc.tpr.push_back(P > 0 ? tp / P : 0.0);
    roc.threshold.push_back(t);
  }
  for (size_t i = 1; i < roc.fpr.size(); ++i)
    roc.auroc += (roc.fpr[i] - roc.fpr[i - 1]) * 0.5 * (roc.tpr[i] + roc.tpr[i - 1]);
  roc.tnr_at_95_tpr = tnr_at_tpr(roc, 0.95);
  return roc;
}

double tnr_at_tpr(const RocCurve& roc, double tpr) {
  for (size_t i = 0; i < roc.tpr.size(); ++i)
    if (roc.tpr[i] >= tpr) return 1.0 - roc.fpr[i];
  return 0.0;
}

}  // namespace nn
