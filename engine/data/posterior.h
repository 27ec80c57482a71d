// posterior.h - a 2-D classification toy whose P(y | x) is known exactly.
//
// x is uniform on the square [-1.5, 1.5]^2.  Class k (of C) owns two centres,
// c_k and -c_k, with c_k = (cos(pi k / C), sin(pi k / C)) (so the C classes
// alternate around the unit circle, each on two opposite sides), and
//   P(y = k | x) = softmax_k(-sharpness * d_k(x)),   d_k(x) = min(|x - c_k|, |x + c_k|)
// Labels are drawn from that posterior (pg::Rng), so even the Bayes classifier
// errs.  A linear softmax model cannot represent it (every class sits on two
// opposite sides); a small MLP can.  Lessons compare a model's predicted
// probabilities with the true ones (calibration, rank agreement).
#pragma once
#include <cstdint>

#include "engine/data/dataset.h"

namespace data {

// probs (n, C) = P(y | x) for points x (n, 2).  exp via detmath (bit-identical everywhere).
void known_posterior(const float* x, int n, int classes, double sharpness, float* probs);

// n points with labels drawn from known_posterior (classes in [2, 16]).
Dataset make_known_posterior(int n, int classes, double sharpness, uint64_t seed);

}  // namespace data
