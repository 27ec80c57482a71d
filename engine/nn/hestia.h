// hestia.h - the ternary quantizer of HESTIA (Hessian-guided differentiable
// quantization-aware training, 2026), as the official code computes it
// (hestia2026/Hestia: src/hestia/thermo_quantizer.py, opt_temp_initializer.py,
// thermo_scheduler.py, hessian/calibrator.py; papers/method-notes.md #5).
//
// Per tensor w (n,): scale s = 1 / max(mean|w|, 1e-5) (not detached), z = w s.
//   soft (T > 0): p_c = softmax_c(-(z - c)^2 / (T + 1e-6)), c in {-1, 0, 1},
//                 q = (sum_c p_c c) / s  - fully differentiable, no STE
//   hard (T = 0): q = clamp(round(z), -1, 1) / s with a straight-through
//                 estimator for w (the scale's own gradient still flows)
//   out = w + pressure (q - w)
// The softmax expectation has the closed form
//   E[c] = sinh(2z/T) / (cosh(2z/T) + 1/2 e^(1/T)).
#pragma once
#include <cstddef>
#include <vector>

namespace nn {

class Model;

// sum_c c softmax_c(-(z - c)^2 / T) by the softmax itself (max-subtracted).
double soft_ternary_softmax(double z, double T);
// The same by the closed form (large |z|/T handled without overflow).
double soft_ternary_closed(double z, double T);

// out (n,) = the quantized blend of w (n,) at temperature T (0: hard) and pressure.
template <class Real>
void hestia_quantize_forward(Real* out, const Real* w, int n, double T, double pressure);
// dw (n,) += d loss / d w given dout (n,) = d loss / d out, for the same w, T, pressure.
template <class Real>
void hestia_quantize_backward(Real* dw, const Real* dout, const Real* w, int n, double T, double pressure);

// The official default initial temperature: argmin over T in [0.1, 2] of
// E[(q(z; T) - z)^2] for z ~ N(0, pi/2) (a Gaussian over its mean |w| has that
// variance), by quadrature and golden-section search; about 0.351.
double hestia_default_temperature();

// The schedule (thermo_scheduler.py), r = step / total:
//   pressure = min(1, r / compress_ratio)
//   T = T0 temp_scale                                    while r <= 1 - anneal
//     = T0 c(r) (cosine; c(r) = 1/2 (1 + cos(pi (r - (1 - anneal)) / anneal)))
//     = T0 c(r) temp_scale                              ('hessian' mode)
// so with the released defaults (compress 0.2, anneal 0.8, cosine) the
// per-tensor scale acts only in the first 20% and T = 0 at the last step.
double hestia_pressure(int step, int total, double compress_ratio);
double hestia_temperature(int step, int total, double T0, double temp_scale, double anneal, bool hessian_mode);

// Per-tensor temperature scales from Hessian traces (calibrator.py): with
// l_i = log max(trace_i, 1e-8), z_i = (l_i - mean l) / (std l + 1e-8)
// (population std), scale_i = exp(-alpha sigmoid(kappa z_i)).  A higher trace
// gives a LOWER temperature (the tensor hardens sooner).
void hestia_temperature_scales(const double* traces, int count, double alpha, double kappa, double* scales);

// Quantization-aware training through the trainer's hooks: keeps the
// full-precision master copy of a model's weight tensors (linear and conv
// weights; biases stay full precision) and shows the forward the quantized
// blend.
//
//   qat.init(model);
//   trainer.set_weight_hook([&](int r, nn::Model& m, bool) { qat.quantize(m, temps, pressure); });
//   trainer.add_grad_transform([&](int r, nn::Model& m, const nn::Batch&) { qat.restore(m, temps, pressure); }, r);
//
// quantize() takes the master copy from the parameters unless they already
// hold a quantized view (an evaluation forward between two steps), so the
// optimizer always updates the master weights.  Allocation-free after init.
class TernaryQat {
 public:
  void init(const Model& m);
  int tensors() const { return int(offset_.size()); }
  int offset(int t) const { return offset_[size_t(t)]; }
  int count(int t) const { return count_[size_t(t)]; }
  // params <- the blend of the master weights at temperature temps[t] per tensor.
  void quantize(Model& m, const double* temps, double pressure);
  // grads <- (d out / d w)^T grads for every tensor, params <- the master weights.
  void restore(Model& m, const double* temps, double pressure);
  const float* master() const { return master_.data(); }  // (total weights), tensor after tensor
  // Share of the weights in m's parameters within 1e-5 (relative to the scale)
  // of -1, 0 or +1 times their tensor's scale mean|master|: 1 after a hard
  // quantize(), well below it for soft or full-precision weights.
  double ternary_fraction(const Model& m) const;

 private:
  std::vector<int> offset_, count_;
  std::vector<float> master_, scratch_;
  bool quantized_ = false;
};

}  // namespace nn
