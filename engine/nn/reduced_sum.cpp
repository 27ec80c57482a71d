// reduced_sum.cpp - see reduced_sum.h.
#include "engine/nn/reduced_sum.h"

#include <cmath>
#include <vector>

#include "engine/rng.h"

namespace nn {

const char* sum_precision_name(SumPrecision p) {
  switch (p) {
    case SumPrecision::float16: return "float16";
    case SumPrecision::float32: return "float32";
    default: return "float64";
  }
}

const char* sum_order_name(SumOrder o) { return o == SumOrder::largest_first ? "largest first" : "small terms first"; }

// binary16: 11 significant bits for |x| >= 2^-14, a fixed step of 2^-24 below
// (subnormals), infinity from 65520 up (the midpoint between 65504 and 2^16).
// frexp/ldexp/nearbyint are exact operations (no libm approximation).
static double round_half(double x) {
  if (x == 0.0 || !std::isfinite(x)) return x;
  int e = 0;
  std::frexp(x, &e);  // |x| = m 2^e, m in [0.5, 1)
  const int step_exp = e - 11 < -24 ? -24 : e - 11;
  const double r = std::ldexp(std::nearbyint(std::ldexp(x, -step_exp)), step_exp);
  if (std::fabs(r) > 65504.0) return x > 0 ? INFINITY : -INFINITY;
  return r;
}

double round_to(SumPrecision p, double x) {
  switch (p) {
    case SumPrecision::float16: return round_half(x);
    case SumPrecision::float32: return double(float(x));
    default: return x;
  }
}

double softmax_normalizer(const float* z, int C, SumPrecision p, SumOrder o, double* terms, int* argmax) {
  int best = 0;
  for (int j = 1; j < C; ++j) best = z[j] > z[best] ? j : best;
  if (argmax) *argmax = best;
  const double zmax = z[best];
  double small = 0.0;  // smallest_first: the non-max terms summed alone
  double sum = o == SumOrder::largest_first ? round_to(p, 1.0) : 0.0;
  for (int j = 0; j < C; ++j) {
    // z_j - z_max is exact in double for float logits; the max term is e^0 = 1.
    const double t = j == best ? 1.0 : round_to(p, detmath::exp(double(z[j]) - zmax));
    if (terms) terms[j] = t;
    if (j == best) continue;
    if (o == SumOrder::largest_first) sum = round_to(p, sum + t);
    else small = round_to(p, small + t);
  }
  if (o == SumOrder::smallest_first) sum = round_to(p, small + 1.0);
  return sum;
}

bool in_softmax_collapse(const float* z, int C, int label, SumPrecision p, SumOrder o) {
  int best = 0;
  const double S = softmax_normalizer(z, C, p, o, nullptr, &best);
  return best == label && S == 1.0;
}

double collapse_threshold(int C, SumPrecision p, SumOrder o) {
  std::vector<float> z(C > 0 ? C : 1, 0.0f);
  auto collapsed = [&](double d) {
    z[0] = float(d);
    return in_softmax_collapse(z.data(), C, 0, p, o);
  };
  double lo = 0.0, hi = 200.0;
  if (!collapsed(hi)) return INFINITY;
  while (hi - lo > 1e-6) {
    const double mid = 0.5 * (lo + hi);
    (collapsed(mid) ? hi : lo) = mid;
  }
  return hi;
}

}  // namespace nn
