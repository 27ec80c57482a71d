// ntk.h - the neural tangent kernel of an infinitely wide, depth-L fully
// connected network on unit-norm inputs, computed from the activation's dual,
// in the log domain so that depths of hundreds of layers stay finite.
//
// Dual of an activation phi (Daniely, Frostig & Singer, 2016), normalized so
// that phi^(1) = E[phi(u)^2] = 1:
//   phi^(xi) = E[phi(u) phi(v)],  (u, v) ~ N(0, [[1, xi], [xi, 1]])
// With h_i = He_i / sqrt(i!) the orthonormal (probabilists') Hermite
// polynomials, E[h_i(u) h_j(v)] = delta_ij xi^i, so the activation
//   phi(u) = sum_i sqrt(c_i) h_i(u),  c_i >= 0, sum_i c_i = 1
// has the dual phi^(xi) = sum_i c_i xi^i: any power series with nonnegative
// coefficients summing to 1 is the dual of an explicit activation.
//
// NTK of depth L for inputs with <x, x'> = xi (Jacot et al., 2018; Arora et
// al., 2019, without the bias terms):
//   Sigma^(0) = xi,  K^(0) = xi
//   Sigma^(l) = phi^(Sigma^(l-1)),  K^(l) = Sigma^(l) + K^(l-1) phi^'(Sigma^(l-1))
// Sigma^(l) of a dual without a linear term is xi^(m^l) and underflows; every
// quantity here is held as a sign and a log magnitude.
//
//   nn::DualActivation phi = nn::DualActivation::polynomial({0, 0.5, 0, 0, 0, 0, 0, 0.5});  // (xi + xi^7) / 2
//   nn::NtkEntry e = nn::ntk_start(0.3);
//   for (int l = 0; l < 20; ++l) nn::ntk_layer(phi, e);   // e.k: log|K^(20)(0.3)| and its sign
#pragma once
#include <vector>

namespace nn {

// x = sign * e^log; sign 0 means x = 0 (log is then -inf).
struct SignedLog {
  double sign = 0, log = -1e308;
  static SignedLog of(double x);
  double value() const;  // may underflow to 0 or overflow to inf
};
// a + b, a * b in the representation.
SignedLog signed_log_add(const SignedLog& a, const SignedLog& b);
SignedLog signed_log_mul(const SignedLog& a, const SignedLog& b);

class DualActivation {
 public:
  enum class Kind { polynomial, relu };
  // phi^(xi) = sum_i coef[i] xi^i; coef >= 0, normalized here to sum to 1.
  static DualActivation polynomial(std::vector<double> coef);
  // ReLU scaled by sqrt(2) (so phi^(1) = 1): the degree-1 arc-cosine kernel
  // phi^(xi) = (sqrt(1 - xi^2) + (pi - acos xi) xi) / pi,  phi^'(xi) = (pi - acos xi) / pi.
  static DualActivation relu();

  Kind kind() const { return kind_; }
  const std::vector<double>& coefficients() const { return coef_; }
  double value(double xi) const;
  double derivative(double xi) const;
  // phi^ and phi^' at Sigma given in the log representation.
  void evaluate(const SignedLog& sigma, SignedLog& value, SignedLog& derivative) const;
  // phi^'(1) and phi^'(0) (= the linear coefficient a_1).
  double slope_at_one() const { return derivative(1.0); }
  double slope_at_zero() const { return derivative(0.0); }
  // The activation itself: sum_i sqrt(c_i) h_i(u) (polynomial) or sqrt(2) max(u, 0).
  double activation(double u) const;

 private:
  Kind kind_ = Kind::polynomial;
  std::vector<double> coef_;
  int lowest_ = 1;  // lowest power with a nonzero coefficient
};

// The singularity of the infinite-depth NTK at xi -> 1 for a polynomial dual
// with a_0 = 0, 0 < a_1 < 1 < phi^'(1) (derivation on the lesson's panel):
//   K^(L)(xi) / (L a_1^L) -> s(xi) ~ (1 - xi)^(-alpha),  alpha = ln(1 / a_1) / ln phi^'(1)
// Returns NaN when the dual is not of that type.
double ntk_singular_exponent(const DualActivation& phi);

// The deep limit's kernel for such a dual: s(xi) = lim_l Sigma^(l)(xi) / a_1^l
// (the Koenigs function of phi^ at its fixed point 0, s(phi^(xi)) = a_1 s(xi)),
// to which K^(L)(xi) / (L a_1^L) tends for |xi| < 1.  Returned as sign and
// log |s|; |xi| >= 1 gives log = +inf (the singularity).  Valid only when
// ntk_singular_exponent(phi) is finite.
SignedLog ntk_limit_kernel(const DualActivation& phi, double xi);

struct NtkEntry {
  SignedLog sigma, k;  // Sigma^(l) and K^(l) after the layers applied so far
  int depth = 0;
};
NtkEntry ntk_start(double xi);
// One more layer: (Sigma^(l-1), K^(l-1)) -> (Sigma^(l), K^(l)).
void ntk_layer(const DualActivation& phi, NtkEntry& e);

// acos from + - * / and sqrt only (bit-identical everywhere), |error| < 1e-15.
double acos_det(double x);

}  // namespace nn
