// bench_mlp_step.cpp - training steps per second of the lessons' typical trainer.
//
// Model 2-64-64-3 (ReLU), batch 32, Adam (lr 1e-3), softmax cross-entropy, on
// 3 Gaussian blobs, through nn::Trainer::step exactly as a lesson runs it
// (batch sampling + forward + loss + backward + Adam; no evaluation).  Same
// sizes as bench/tfjs_mlp_step.mjs.  Method: 300 warm-up steps, then the
// number of steps that takes about 100 ms is timed `reps` times (default 15).
// Prints one JSON line:
//   {"name":"mlp_step","platform":"native","unit":"steps/s","median":..,"min":..,"max":..}
// The platform string comes from -DBENCH_PLATFORM='"wasm-simd"' (a string literal).
//
//   g++ -std=c++17 -O2 -ffp-contract=off -I. bench/bench_mlp_step.cpp engine/nn/*.cpp
//       engine/data/*.cpp engine/kernels/*.cpp -o build/bench_mlp_step
//   build/bench_mlp_step [reps]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "engine/data/toy.h"
#include "engine/nn/losses_softmax.h"
#include "engine/nn/trainer.h"

#ifndef BENCH_PLATFORM
#define BENCH_PLATFORM "native"
#endif

static double seconds_for(nn::Trainer& trainer, int steps) {
  const auto start = std::chrono::steady_clock::now();
  trainer.step(steps, 1e12);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

int main(int argc, char** argv) {
  const int reps = argc > 1 ? std::max(3, std::atoi(argv[1])) : 15;
  nn::TrainerConfig config;
  config.seed = 1;
  config.batch_size = 32;
  config.eval_every = 0;
  nn::Trainer trainer;
  trainer.reset(data::make_blobs(1024, 3, 0.3f, 1), data::Dataset(), config);
  nn::OptimizerConfig adam;
  adam.kind = nn::OptimizerKind::adam;
  adam.lr = 1e-3f;
  if (trainer.add_run("mlp", nn::mlp(2, {64, 64}, 3), std::make_unique<nn::SoftmaxCrossEntropy>(), adam) != 0) {
    std::fprintf(stderr, "bench_mlp_step: %s\n", trainer.error().c_str());
    return 1;
  }
  seconds_for(trainer, 300);  // warm-up: caches, branch predictors, wasm tier-up
  const double per_step = seconds_for(trainer, 200) / 200.0;
  const int steps = std::max(100, int(0.1 / std::max(per_step, 1e-9)));
  std::vector<double> rates;
  for (int r = 0; r < reps; ++r) rates.push_back(steps / seconds_for(trainer, steps));
  std::sort(rates.begin(), rates.end());
  if (trainer.diverged()) {
    std::fprintf(stderr, "bench_mlp_step: training diverged: %s\n", trainer.message().c_str());
    return 1;
  }
  std::printf("{\"name\":\"mlp_step\",\"platform\":\"%s\",\"unit\":\"steps/s\",\"median\":%.1f,\"min\":%.1f,\"max\":%.1f}\n",
              BENCH_PLATFORM, rates[rates.size() / 2], rates.front(), rates.back());
  return 0;
}
