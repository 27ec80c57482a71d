// loss.h - the interface every classification loss implements, plus shared helpers.
//
// A loss reads one row of scores per sample, logits (B, C), and integer labels,
// and returns the MEAN over the batch.  backward() writes (overwrites)
// dlogits (B, C) = d(mean loss) / d logits for the same arguments.  Losses that
// draw random numbers (ElasticFace) draw them in forward() and reuse them in
// the backward() that follows, so call the two in pairs.
//
//   nn::SoftmaxCrossEntropy ce;
//   float loss = ce.forward(logits, labels, B, C);
//   ce.backward(logits, labels, B, C, dlogits);
//
// Targets come in three kinds (data::TargetKind): a class label per row (the
// int API above; every loss takes it), a label set (B, P) of positives padded
// with -1 (PositiveSetLoss), or a float vector (B, T) (regression and soft
// targets: losses_vector.h).  A loss says which it reads in target_kind(); the
// trainer feeds it that kind through forward_targets/backward_targets, whose
// default passes the labels to the int API.
//
// Implementations: losses_softmax.h (cross-entropy with scale, StableMax,
// multi-positive and decoupled softmax), losses_margin.h (multi-class hinge and
// squared hinge, Z-loss), losses_face.h (ArcFace / CosFace / ElasticFace / "+").
#pragma once
#include <cstdint>

#include "engine/data/dataset.h"

namespace nn {

using data::TargetKind;

// A batch's targets as the loss reads them (only the loss's kind is set).
struct Targets {
  const int* labels = nullptr;    // label: (B,);  label_set: (B, width), -1 padded
  const float* values = nullptr;  // vector: (B, width)
  int width = 1;
};

class Loss {
 public:
  virtual ~Loss() = default;
  virtual const char* name() const = 0;

  // Sizes internal buffers for batches up to max_batch rows of `classes`
  // scores.  The only place a loss may allocate; the trainer calls it once.
  virtual void reserve(int max_batch, int classes) { (void)max_batch; (void)classes; }

  // logits (B, C), labels (B,) in [0, C) -> mean loss over the batch.
  virtual float forward(const float* logits, const int* labels, int B, int C) = 0;

  // dlogits (B, C) = d(mean loss) / d logits, for the batch of the last forward.
  virtual void backward(const float* logits, const int* labels, int B, int C, float* dlogits) = 0;

  // Class probabilities (B, C) the head implies, used for confidence maps and
  // calibration; the prediction is always argmax of the logits.  Default:
  // softmax(logits).
  virtual void probabilities(const float* logits, int B, int C, float* probs) const;

  // Losses with their own random stream (ElasticFace) restart it here.
  virtual void reseed(uint64_t seed) { (void)seed; }

  // The target kind this loss reads (label unless overridden).
  virtual TargetKind target_kind() const { return TargetKind::label; }
  // The general entry points the trainer calls: t holds targets of
  // target_kind().  The defaults pass t.labels to forward/backward above.
  virtual float forward_targets(const float* logits, const Targets& t, int B, int C) {
    return forward(logits, t.labels, B, C);
  }
  virtual void backward_targets(const float* logits, const Targets& t, int B, int C, float* dlogits) {
    backward(logits, t.labels, B, C, dlogits);
  }
};

// probs[b, :] = softmax(scale * logits[b, :]), stable (max subtracted first).
// logits, probs are (B, C).
void softmax_rows(float* probs, const float* logits, int B, int C, float scale = 1.0f);

// index of the largest score in row (C,) (first one on ties)
int argmax_row(const float* row, int C);

}  // namespace nn
