// ntk.cpp - see ntk.h.
#include "engine/nn/ntk.h"

#include <algorithm>
#include <cmath>

#include "engine/rng.h"

namespace nn {
namespace {
constexpr double kPi = 3.14159265358979323846;

// atan(z) for z >= 0: three half-angle reductions atan z = 2 atan(z / (1 + sqrt(1 + z^2)))
// bring z below tan(pi / 16) ~ 0.2 (after mapping z > 1 to pi/2 - atan(1/z)), then the odd series.
double atan_pos(double z) {
  if (z > 1.0) return 0.5 * kPi - atan_pos(1.0 / z);
  double scale = 1.0;
  for (int i = 0; i < 3; ++i) {
    z = z / (1.0 + std::sqrt(1.0 + z * z));
    scale *= 2.0;
  }
  const double z2 = z * z;
  double s = 0.0;
  for (int k = 25; k >= 0; --k) s = s * z2 + ((k & 1) ? -1.0 : 1.0) / (2 * k + 1);
  return scale * z * s;
}
}  // namespace

double acos_det(double x) {
  if (x >= 1.0) return 0.0;
  if (x <= -1.0) return kPi;
  const double s = std::sqrt((1.0 - x) * (1.0 + x));
  if (x > 0) return atan_pos(s / x);
  if (x < 0) return kPi - atan_pos(s / -x);
  return 0.5 * kPi;
}

// ------------------------------------------------------------- SignedLog
SignedLog SignedLog::of(double x) {
  SignedLog r;
  if (x == 0.0 || x != x) return r;
  r.sign = x > 0 ? 1.0 : -1.0;
  r.log = detmath::log(std::fabs(x));
  return r;
}

double SignedLog::value() const { return sign == 0.0 ? 0.0 : sign * detmath::exp(log); }

SignedLog signed_log_add(const SignedLog& a, const SignedLog& b) {
  if (a.sign == 0.0) return b;
  if (b.sign == 0.0) return a;
  const SignedLog& hi = a.log >= b.log ? a : b;
  const SignedLog& lo = a.log >= b.log ? b : a;
  const double ratio = detmath::exp(lo.log - hi.log);  // in (0, 1]
  const double m = hi.sign == lo.sign ? 1.0 + ratio : 1.0 - ratio;
  SignedLog r;
  if (m == 0.0) return r;
  r.sign = hi.sign;
  r.log = hi.log + detmath::log(m);
  return r;
}

SignedLog signed_log_mul(const SignedLog& a, const SignedLog& b) {
  SignedLog r;
  if (a.sign == 0.0 || b.sign == 0.0) return r;
  r.sign = a.sign * b.sign;
  r.log = a.log + b.log;
  return r;
}

// -------------------------------------------------------- DualActivation
DualActivation DualActivation::polynomial(std::vector<double> coef) {
  DualActivation d;
  d.kind_ = Kind::polynomial;
  double sum = 0.0;
  for (double& c : coef) c = std::max(0.0, c), sum += c;
  if (!(sum > 0.0)) coef = {0.0, 1.0}, sum = 1.0;  // the identity's dual, xi
  for (double& c : coef) c /= sum;
  d.coef_ = std::move(coef);
  d.lowest_ = 0;
  while (d.coef_[d.lowest_] == 0.0) ++d.lowest_;
  return d;
}

DualActivation DualActivation::relu() {
  DualActivation d;
  d.kind_ = Kind::relu;
  return d;
}

double DualActivation::value(double xi) const {
  if (kind_ == Kind::relu) {
    xi = std::min(1.0, std::max(-1.0, xi));
    return (std::sqrt(std::max(0.0, 1.0 - xi * xi)) + (kPi - acos_det(xi)) * xi) / kPi;
  }
  double s = 0.0;
  for (size_t i = coef_.size(); i-- > 0;) s = s * xi + coef_[i];
  return s;
}

double DualActivation::derivative(double xi) const {
  if (kind_ == Kind::relu) return (kPi - acos_det(std::min(1.0, std::max(-1.0, xi)))) / kPi;
  double s = 0.0;
  for (size_t i = coef_.size(); i-- > 1;) s = s * xi + double(i) * coef_[i];
  return s;
}

void DualActivation::evaluate(const SignedLog& sigma, SignedLog& value_out, SignedLog& deriv_out) const {
  if (kind_ == Kind::relu) {  // Sigma stays in [-1, 1] and away from underflow: plain arithmetic, one acos
    const double x = std::min(1.0, std::max(-1.0, sigma.value()));
    const double slope = (kPi - acos_det(x)) / kPi;
    value_out = SignedLog::of(std::sqrt(std::max(0.0, 1.0 - x * x)) / kPi + slope * x);
    deriv_out = SignedLog::of(slope);
    return;
  }
  // sum_i a_i S^i = S^m (a_m + sum_{i>m} a_i S^(i-m)), with |S| <= 1 so every S^(i-m) <= 1.
  const int m = lowest_, n = int(coef_.size());
  if (sigma.sign == 0.0) {
    value_out = SignedLog::of(m == 0 ? coef_[0] : 0.0);
    deriv_out = SignedLog::of(n > 1 ? coef_[1] : 0.0);
    return;
  }
  const double s = sigma.sign * detmath::exp(sigma.log);  // S itself, possibly underflowed to 0
  double bracket = 0.0, dbracket = 0.0;
  for (int i = n - 1; i >= m; --i) bracket = bracket * s + coef_[i];
  // derivative: sum_{i>=1} i a_i S^(i-1) = S^(m'-1) (...) with m' = max(m, 1)
  const int md = std::max(m, 1);
  for (int i = n - 1; i >= md; --i) dbracket = dbracket * s + double(i) * coef_[i];
  auto power = [&](int p, double factor) {
    SignedLog r;
    if (factor == 0.0) return r;
    r.sign = ((p & 1) && sigma.sign < 0 ? -1.0 : 1.0) * (factor > 0 ? 1.0 : -1.0);
    r.log = p * sigma.log + detmath::log(std::fabs(factor));
    return r;
  };
  value_out = power(m, bracket);
  deriv_out = power(md - 1, dbracket);
}

double DualActivation::activation(double u) const {
  if (kind_ == Kind::relu) return u > 0 ? std::sqrt(2.0) * u : 0.0;
  // h_0 = 1, h_1 = u, h_(k+1) = (u h_k - sqrt(k) h_(k-1)) / sqrt(k + 1)
  double prev = 1.0, cur = u, out = coef_[0] > 0 ? std::sqrt(coef_[0]) : 0.0;
  if (coef_.size() > 1) out += std::sqrt(coef_[1]) * u;
  for (size_t k = 1; k + 1 < coef_.size(); ++k) {
    const double next = (u * cur - std::sqrt(double(k)) * prev) / std::sqrt(double(k + 1));
    prev = cur, cur = next;
    out += std::sqrt(coef_[k + 1]) * cur;
  }
  return out;
}

double ntk_singular_exponent(const DualActivation& phi) {
  if (phi.kind() != DualActivation::Kind::polynomial) return NAN;
  const std::vector<double>& c = phi.coefficients();
  const double a1 = c.size() > 1 ? c[1] : 0.0, r = phi.slope_at_one();
  if (c[0] != 0.0 || !(a1 > 0.0) || !(a1 < 1.0) || !(r > 1.0)) return NAN;
  return detmath::log(1.0 / a1) / detmath::log(r);
}

SignedLog ntk_limit_kernel(const DualActivation& phi, double xi) {
  SignedLog r;
  if (std::fabs(xi) >= 1.0) {
    r.sign = xi > 0 ? 1.0 : (phi.value(-1.0) < 0 ? -1.0 : 1.0);
    r.log = HUGE_VAL;
    return r;
  }
  const double a1 = phi.slope_at_zero();
  // Iterate until |Sigma| < 1e-7, where phi^(S) = a_1 S (1 + O(S)): the rest of the
  // product changes s by a relative O(1e-7) at most (O(S^(k-1)) for a x + (1 - a) x^k).
  double sigma = xi;
  int l = 0;
  while (std::fabs(sigma) > 1e-7 && l < 10000) sigma = phi.value(sigma), ++l;
  if (sigma == 0.0) return r;
  r.sign = sigma > 0 ? 1.0 : -1.0;
  r.log = detmath::log(std::fabs(sigma)) - l * detmath::log(a1);
  return r;
}

// ----------------------------------------------------------- the recursion
NtkEntry ntk_start(double xi) {
  NtkEntry e;
  e.sigma = e.k = SignedLog::of(xi);
  return e;
}

void ntk_layer(const DualActivation& phi, NtkEntry& e) {
  SignedLog value, deriv;
  phi.evaluate(e.sigma, value, deriv);
  e.k = signed_log_add(value, signed_log_mul(e.k, deriv));
  e.sigma = value;
  ++e.depth;
}

}  // namespace nn
