// hestia.cpp - see hestia.h.
#include "engine/nn/hestia.h"

#include <algorithm>
#include <cmath>

#include "engine/nn/model.h"
#include "engine/nn/nnmath.h"
#include "engine/rng.h"

namespace nn {

static constexpr double kTempEps = 1e-6, kScaleFloor = 1e-5;

double soft_ternary_softmax(double z, double T) {
  const double l[3] = {-(z + 1) * (z + 1) / T, -z * z / T, -(z - 1) * (z - 1) / T};
  double m = l[0];
  for (double v : l) m = v > m ? v : m;
  const double e[3] = {detmath::exp(l[0] - m), detmath::exp(l[1] - m), detmath::exp(l[2] - m)};
  return (e[2] - e[0]) / (e[0] + e[1] + e[2]);
}

double soft_ternary_closed(double z, double T) {
  // sinh(a) / (cosh(a) + 1/2 e^(1/T)), a = 2z/T; divide through by e^|a| / 2:
  // sign(a) (1 - e^-2|a|) / (1 + e^-2|a| + e^(1/T - |a|)).
  const double a = 2 * z / T, abs_a = std::fabs(a);
  const double e2 = detmath::exp(-2 * abs_a), r = detmath::exp(1 / T - abs_a);
  const double v = (1 - e2) / (1 + e2 + r);
  return a < 0 ? -v : v;
}

// The soft expectation and its derivative in z, at temperature T (> 0).
static void soft_and_slope(double z, double T, double& q, double& dq) {
  const double l[3] = {-(z + 1) * (z + 1) / T, -z * z / T, -(z - 1) * (z - 1) / T};
  double m = l[0];
  for (double v : l) m = v > m ? v : m;
  double p[3], sum = 0;
  for (int c = 0; c < 3; ++c) sum += (p[c] = detmath::exp(l[c] - m));
  for (double& v : p) v /= sum;
  q = p[2] - p[0];
  // dl_c/dz = -2 (z - c) / T; dq/dz = sum_c c p_c (dl_c/dz - sum_k p_k dl_k/dz) = Var_p(c) * 2 / T
  const double second = p[2] + p[0];  // E[c^2]
  dq = 2.0 / T * (second - q * q);
}

template <class Real>
void hestia_quantize_forward(Real* out, const Real* w, int n, double T, double pressure) {
  double mean_abs = 0;
  for (int i = 0; i < n; ++i) mean_abs += std::fabs(double(w[i]));
  mean_abs = n > 0 ? mean_abs / n : 0;
  const double inv_scale = mean_abs > kScaleFloor ? mean_abs : kScaleFloor;  // 1 / s
  for (int i = 0; i < n; ++i) {
    const double z = double(w[i]) / inv_scale;
    double qbar;
    if (T > 0) {
      double dq;
      soft_and_slope(z, T + kTempEps, qbar, dq);
    } else {
      qbar = z > 0.5 ? 1.0 : z < -0.5 ? -1.0 : 0.0;  // torch.round (halves to even: 0.5 -> 0), clamp to [-1, 1]
    }
    out[i] = Real(double(w[i]) + pressure * (qbar * inv_scale - double(w[i])));
  }
}

template <class Real>
void hestia_quantize_backward(Real* dw, const Real* dout, const Real* w, int n, double T, double pressure) {
  // q_i = qbar(z_i) m, z_i = w_i / m, m = mean|w| (above the floor).
  // dq_i/dw_j = qbar'(z_i) (delta_ij - z_i dm/dw_j) + qbar_i dm/dw_j, dm/dw_j = sign(w_j)/n.
  // Hard phase (STE): qbar' = 1 on the direct path only: dq_i/dw_j = delta_ij + qbar_i dm/dw_j
  // (the code's q = w + q - w.detach() keeps q's gradient through the scale).
  double mean_abs = 0;
  for (int i = 0; i < n; ++i) mean_abs += std::fabs(double(w[i]));
  mean_abs = n > 0 ? mean_abs / n : 0;
  const bool floored = !(mean_abs > kScaleFloor);
  const double m = floored ? kScaleFloor : mean_abs;
  double through_scale = 0;  // sum_i dout_i (dq_i/dm)
  for (int i = 0; i < n; ++i) {
    const double z = double(w[i]) / m, g = double(dout[i]);
    double qbar, slope;
    if (T > 0) {
      soft_and_slope(z, T + kTempEps, qbar, slope);
      through_scale += g * (qbar - slope * z);
    } else {
      qbar = z > 0.5 ? 1.0 : z < -0.5 ? -1.0 : 0.0;
      slope = 1.0;
      through_scale += g * qbar;
    }
    dw[i] = Real(double(dw[i]) + g * ((1 - pressure) + pressure * slope));
  }
  if (floored || n == 0) return;
  for (int j = 0; j < n; ++j) {
    const double sign = w[j] > 0 ? 1.0 : w[j] < 0 ? -1.0 : 0.0;
    dw[j] = Real(double(dw[j]) + pressure * through_scale * sign / n);
  }
}

template void hestia_quantize_forward<float>(float*, const float*, int, double, double);
template void hestia_quantize_forward<double>(double*, const double*, int, double, double);
template void hestia_quantize_backward<float>(float*, const float*, const float*, int, double, double);
template void hestia_quantize_backward<double>(double*, const double*, const double*, int, double, double);

// E[(q(z; T) - z)^2], z ~ N(0, pi/2), by the trapezoid rule on +-8 std (the integrand is smooth).
static double expected_error(double T) {
  const double sigma = std::sqrt(3.14159265358979323846 / 2);
  const int steps = 800;  // the integrand is smooth: the trapezoid rule is already exact to ~1e-12 here
  const double lo = -8 * sigma, h = 16 * sigma / steps;
  double sum = 0;
  for (int k = 0; k <= steps; ++k) {
    const double z = lo + k * h, d = soft_ternary_closed(z, T + kTempEps) - z;
    const double weight = (k == 0 || k == steps) ? 0.5 : 1.0;
    sum += weight * d * d * detmath::exp(-z * z / (2 * sigma * sigma));
  }
  return sum * h / (sigma * std::sqrt(2 * 3.14159265358979323846));
}

static double search_default_temperature() {
  double a = 0.1, b = 2.0;
  const double g = (std::sqrt(5.0) - 1) / 2;
  double c = b - g * (b - a), d = a + g * (b - a), fc = expected_error(c), fd = expected_error(d);
  for (int it = 0; it < 45; ++it) {  // the bracket shrinks to ~1e-9
    if (fc < fd) b = d, d = c, fd = fc, c = b - g * (b - a), fc = expected_error(c);
    else a = c, c = d, fc = fd, d = a + g * (b - a), fd = expected_error(d);
  }
  return 0.5 * (a + b);
}

double hestia_default_temperature() {
  static const double T0 = search_default_temperature();  // a constant: searched once
  return T0;
}

double hestia_pressure(int step, int total, double compress_ratio) {
  if (total <= 0 || compress_ratio <= 0) return 1.0;
  const double p = double(step) / (compress_ratio * total);
  return p < 1 ? p : 1.0;
}

double hestia_temperature(int step, int total, double T0, double temp_scale, double anneal, bool hessian_mode) {
  const double r = total > 0 ? double(step) / total : 1.0;
  if (anneal <= 0 || r <= 1 - anneal) return T0 * temp_scale;
  double t = (r - (1 - anneal)) / anneal;
  if (t > 1) t = 1;
  const double coeff = 0.5 * (1 + nnmath::cos(3.14159265358979323846 * t));
  const double T = T0 * coeff * (hessian_mode ? temp_scale : 1.0);
  return T > 1e-12 ? T : 0.0;  // the last step is hard
}

void hestia_temperature_scales(const double* traces, int count, double alpha, double kappa, double* scales) {
  if (count <= 0) return;
  double mean = 0, var = 0;
  for (int i = 0; i < count; ++i) mean += detmath::log(traces[i] > 1e-8 ? traces[i] : 1e-8);
  mean /= count;
  for (int i = 0; i < count; ++i) {
    const double d = detmath::log(traces[i] > 1e-8 ? traces[i] : 1e-8) - mean;
    var += d * d;
  }
  const double sd = std::sqrt(var / count);
  for (int i = 0; i < count; ++i) {
    const double z = (detmath::log(traces[i] > 1e-8 ? traces[i] : 1e-8) - mean) / (sd + 1e-8);
    const double s = 1 / (1 + detmath::exp(-kappa * z));
    scales[i] = detmath::exp(-alpha * s);
  }
}

void TernaryQat::init(const Model& m) {
  offset_.clear(), count_.clear();
  size_t total = 0;
  int largest = 0;
  for (int i = 0; i < m.num_layers(); ++i) {
    const LayerKind k = m.layer_spec(i).kind;
    if ((k != LayerKind::linear && k != LayerKind::conv2d) || m.weight_count(i) <= 0) continue;
    offset_.push_back(m.param_offset(i));
    count_.push_back(m.weight_count(i));
    total += size_t(m.weight_count(i));
    largest = m.weight_count(i) > largest ? m.weight_count(i) : largest;
  }
  master_.assign(total, 0.0f);
  scratch_.assign(size_t(largest), 0.0f);
  quantized_ = false;
}

void TernaryQat::quantize(Model& m, const double* temps, double pressure) {
  size_t at = 0;
  for (int t = 0; t < tensors(); ++t) {
    float* w = m.params() + offset_[size_t(t)];
    float* master = master_.data() + at;
    if (!quantized_) std::copy(w, w + count_[size_t(t)], master);
    hestia_quantize_forward(w, master, count_[size_t(t)], temps[t], pressure);
    at += size_t(count_[size_t(t)]);
  }
  quantized_ = true;
}

void TernaryQat::restore(Model& m, const double* temps, double pressure) {
  if (!quantized_) return;
  size_t at = 0;
  for (int t = 0; t < tensors(); ++t) {
    const int n = count_[size_t(t)];
    float* w = m.params() + offset_[size_t(t)];
    float* g = m.grads() + offset_[size_t(t)];
    const float* master = master_.data() + at;
    std::fill(scratch_.begin(), scratch_.begin() + n, 0.0f);
    hestia_quantize_backward(scratch_.data(), g, master, n, temps[t], pressure);
    std::copy(scratch_.begin(), scratch_.begin() + n, g);
    std::copy(master, master + n, w);
    at += size_t(n);
  }
  quantized_ = false;
}

double TernaryQat::ternary_fraction(const Model& m) const {
  long long hits = 0, total = 0;
  size_t at = 0;
  for (int t = 0; t < tensors(); ++t) {
    const float* w = m.params() + offset_[size_t(t)];
    const float* master = master_.data() + at;
    const int n = count_[size_t(t)];
    double mean_abs = 0;  // the tensor's scale 1/s, from the master weights
    for (int i = 0; i < n; ++i) mean_abs += std::fabs(double(master[i]));
    mean_abs = n > 0 ? mean_abs / n : 0;
    if (!(mean_abs > kScaleFloor)) mean_abs = kScaleFloor;
    for (int i = 0; i < n; ++i) {
      const double level = double(w[i]) / mean_abs, nearest = level > 0.5 ? 1.0 : level < -0.5 ? -1.0 : 0.0;
      hits += std::fabs(level - nearest) <= 1e-5;
      ++total;
    }
    at += size_t(n);
  }
  return total > 0 ? double(hits) / double(total) : 0.0;
}

}  // namespace nn
