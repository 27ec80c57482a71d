// figures.cpp - the figure table of figures.h.
//
//   gemm_<n>               C = A B, n x n x n: GFLOP/s counting 2 n^3 flops;
//                          gemm_256_nt / _tn with B or A transposed
//   softmax_<r>x<c>        kern::softmax_rows: GB/s counting 8 bytes per
//                          element (read x, write y), as on the TF.js side
//   softmax_<alg>_<r>x<c>  each algorithm of softmax.h, row by row (two_pass is
//                          the lean kernel, two_pass_v1 its first version)
//   log_softmax_256x1024, xent_256x1024 (fused forward + backward): GB/s, 8 B/elem
//   attention[_causal]_256x64: one head, 256 queries and keys, d = 64: GFLOP/s
//                          counting the dense 4 n^2 d flops (causal does ~half)
//   attn_{softmax,linear,soft}_<n>x64: attention forward, one head, n = 256, 1024,
//                          4096 queries = keys, d = dv = 64, not causal, GFLOP/s:
//                          softmax  kern::attention_forward (fused, online softmax),
//                                   4 n^2 d flops;
//                          linear   attn::linear_attention_forward, elu+1 feature map,
//                                   row-normalized: 4 n d^2 flops;
//                          soft     attn::soft_attention_forward, m = 49 pooled
//                                   landmarks, 20 Newton iterations, ridge 0.01:
//                                   6 n m d + 4 m^2 d + 80 m^3 flops
//                          (the flops counted are the products only, alike on the TF.js side)
//   exp_1M, sigmoid_1M, tanh_1M, gelu_1M: GB/s, 8 B/elem
//   mlp_step               one training step of a 2-64-64-3 ReLU MLP, batch 32,
//                          Adam (lr 1e-3), softmax cross-entropy on 3 Gaussian
//                          blobs, through nn::Trainer::step as a lesson runs it
//                          (batch sampling, forward, loss, backward, clipping,
//                          Adam; no evaluation): steps/s.  Setup trains 300
//                          steps first, so caches and the optimizer are warm.
#include "bench/figures.h"

#include <cstdint>
#include <memory>

#include "engine/data/generated.h"
#include "engine/attention/attention.h"
#include "engine/attention/soft.h"
#include "engine/data/toy.h"
#include "engine/kernels/attention.h"
#include "engine/kernels/elementwise.h"
#include "engine/kernels/gemm.h"
#include "engine/kernels/softmax.h"
#include "engine/nn/grad_transforms.h"
#include "engine/nn/losses_precision.h"
#include "engine/nn/losses_softmax.h"
#include "engine/nn/trainer.h"

namespace bench {

void fill(std::vector<float>& v, double lo, double hi) {
  for (size_t i = 0; i < v.size(); ++i) {
    const uint32_t h = uint32_t(uint32_t(i) * 2654435761u) >> 8;
    v[i] = float(lo + (hi - lo) * (double(h) / 16777216.0));
  }
}

namespace {

// Buffers shared by a figure's setup and call.
struct Buffers {
  std::vector<float> a, b, c, d;
  std::vector<int> labels;
};

void add_gemm(std::vector<Figure>& out, int n, bool ta, bool tb, const std::string& name) {
  auto buf = std::make_shared<Buffers>();
  out.push_back({name, "GFLOP/s", 2.0 * n * n * n * 1e-9,
                 [=] {
                   buf->a.resize(size_t(n) * n);
                   buf->b.resize(size_t(n) * n);
                   buf->c.resize(size_t(n) * n);
                   fill(buf->a, -1.0, 1.0);
                   fill(buf->b, -1.0, 1.0);
                 },
                 [=] {
                   kern::gemm(ta, tb, n, n, n, 1.0f, buf->a.data(), n, buf->b.data(), n, 0.0f, buf->c.data(), n);
                 }});
}

using RowFn = void (*)(const float*, float*, size_t);

void add_softmax(std::vector<Figure>& out, int rows, int cols) {
  const std::string shape = std::to_string(rows) + "x" + std::to_string(cols);
  const size_t total = size_t(rows) * cols;
  auto buf = std::make_shared<Buffers>();
  auto setup = [=] {
    if (buf->a.size() == total) return;
    buf->a.resize(total);
    buf->b.resize(total);
    fill(buf->a, -8.0, 8.0);
  };
  const double gb = 8.0 * double(total) * 1e-9;
  out.push_back({"softmax_" + shape, "GB/s", gb, setup,
                 [=] { kern::softmax_rows(buf->a.data(), buf->b.data(), rows, cols); }});
  struct Alg { const char* name; RowFn fn; };
  const Alg algs[] = {{"reload", kern::softmax_three_pass_reload},
                      {"recompute", kern::softmax_three_pass_recompute},
                      {"two_pass", kern::softmax_two_pass},        // lean (XNNPACK-style)
                      {"two_pass_v1", kern::softmax_two_pass_v1},  // first version: per-vector rescale
                      {"online", kern::softmax_online}};
  for (const Alg& alg : algs) {
    const RowFn fn = alg.fn;
    out.push_back({std::string("softmax_") + alg.name + "_" + shape, "GB/s", gb, setup, [=] {
                     for (int r = 0; r < rows; ++r) fn(buf->a.data() + size_t(r) * cols, buf->b.data() + size_t(r) * cols, cols);
                   }});
  }
}

void add_rows(std::vector<Figure>& out) {
  const int rows = 256, cols = 1024;
  auto buf = std::make_shared<Buffers>();
  auto setup = [=] {
    if (!buf->a.empty()) return;
    buf->a.resize(size_t(rows) * cols);
    buf->b.resize(buf->a.size());
    fill(buf->a, -8.0, 8.0);
    buf->labels.resize(rows);
    for (int r = 0; r < rows; ++r) buf->labels[r] = (r * 37) % cols;
  };
  const double gb = 8.0 * rows * cols * 1e-9;
  out.push_back({"log_softmax_256x1024", "GB/s", gb, setup,
                 [=] { kern::log_softmax_rows(buf->a.data(), buf->b.data(), rows, cols); }});
  out.push_back({"xent_256x1024", "GB/s", gb, setup, [=] {
                   volatile float sink = kern::softmax_xent_rows(buf->a.data(), buf->labels.data(), rows, cols, buf->b.data());
                   (void)sink;
                 }});
}

void add_attention(std::vector<Figure>& out) {
  const int n = 256, d = 64;
  auto buf = std::make_shared<Buffers>();
  auto setup = [=] {
    if (!buf->a.empty()) return;
    for (auto* v : {&buf->a, &buf->b, &buf->c, &buf->d}) {
      v->resize(size_t(n) * d);
      fill(*v, -1.0, 1.0);
    }
  };
  for (bool causal : {false, true}) {
    out.push_back({causal ? "attention_causal_256x64" : "attention_256x64", "GFLOP/s", 4.0 * n * n * d * 1e-9, setup,
                   [=] {
                     kern::attention_forward(buf->a.data(), buf->b.data(), buf->c.data(), buf->d.data(), n, n, d,
                                             0.125f, causal);
                   }});
  }
}

// Softmax, linear and SOFT attention forward at growing n (the attention lessons' kernels).
void add_attention_forward(std::vector<Figure>& out) {
  const int d = 64, m = 49;
  for (int n : {256, 1024, 4096}) {
    const std::string shape = std::to_string(n) + "x64";
    auto buf = std::make_shared<Buffers>();
    auto setup = [=] {
      if (!buf->a.empty()) return;
      for (auto* v : {&buf->a, &buf->b, &buf->c, &buf->d}) {
        v->resize(size_t(n) * d);
        fill(*v, -1.0, 1.0);
      }
    };
    out.push_back({"attn_softmax_" + shape, "GFLOP/s", 4.0 * n * n * d * 1e-9, setup, [=] {
                     kern::attention_forward(buf->a.data(), buf->b.data(), buf->c.data(), buf->d.data(), n, n, d,
                                             0.125f, false);
                   }});
    out.push_back({"attn_linear_" + shape, "GFLOP/s", 4.0 * n * d * d * 1e-9, setup, [=] {
                     attn::OpSpec spec;
                     spec.op = attn::Op::linear, spec.causal = false, spec.map = attn::FeatureMap::elu_plus_one;
                     attn::linear_attention_forward(spec, buf->a.data(), buf->b.data(), buf->c.data(), n, d, d,
                                                    buf->d.data());
                   }});
    const double soft_flops = 6.0 * n * m * d + 4.0 * m * m * d + 80.0 * m * m * m;
    out.push_back({"attn_soft_" + shape, "GFLOP/s", soft_flops * 1e-9, setup, [=] {
                     attn::SoftSpec spec;
                     spec.m = m, spec.scale = 0.125f;  // 1 / sqrt(d)
                     attn::soft_attention_forward(spec, buf->a.data(), buf->c.data(), n, d, d, buf->d.data());
                   }});
  }
}

void add_elementwise(std::vector<Figure>& out) {
  const size_t n = size_t(1) << 20;
  auto buf = std::make_shared<Buffers>();
  auto setup = [=] {
    if (!buf->a.empty()) return;
    buf->a.resize(n);
    buf->b.resize(n);
    fill(buf->a, -8.0, 8.0);
  };
  struct Op { const char* name; RowFn fn; };
  const Op ops[] = {{"exp_1M", kern::exp_forward},
                    {"sigmoid_1M", kern::sigmoid_forward},
                    {"tanh_1M", kern::tanh_forward},
                    {"gelu_1M", kern::gelu_forward}};
  for (const Op& op : ops) {
    const RowFn fn = op.fn;
    out.push_back({op.name, "GB/s", 8.0 * n * 1e-9, setup, [=] { fn(buf->a.data(), buf->b.data(), n); }});
  }
}

// The MLP trainer of "mlp_step" (made by its setup).
std::unique_ptr<nn::Trainer> g_mlp;

void add_mlp_step(std::vector<Figure>& out) {
  out.push_back({"mlp_step", "steps/s", 1.0,
                 [] {
                   if (g_mlp) return;
                   nn::TrainerConfig config;
                   config.seed = 1;
                   config.batch_size = 32;
                   config.eval_every = 0;
                   g_mlp = std::make_unique<nn::Trainer>();
                   g_mlp->reset(data::make_blobs(1024, 3, 0.3f, 1), data::Dataset(), config);
                   nn::OptimizerConfig adam;
                   adam.kind = nn::OptimizerKind::adam;
                   adam.lr = 1e-3f;
                   g_mlp->add_run("mlp", nn::mlp(2, {64, 64}, 3), std::make_unique<nn::SoftmaxCrossEntropy>(), adam);
                   g_mlp->step(300, 1e12);
                 },
                 [] { g_mlp->step(1, 1e12); }});
}

// stablemax-grokking's default model: (a + b) mod 47, half of the pairs (1104)
// as one full batch, a bias-free 94-96-96-47 ReLU MLP, float32-emulated
// softmax cross-entropy, perp-AdamW (lessons/stablemax_grokking.cpp).  Time
// to grok = the lesson's steps_to_99_test / this figure's steps per second.
std::unique_ptr<nn::Trainer> g_grok;

void add_grok_step(std::vector<Figure>& out) {
  out.push_back({"grok_step", "steps/s", 1.0,
                 [] {
                   if (g_grok) return;
                   data::Dataset train, test;
                   data::make_modular_addition(47, 0.5f, 1, train, test);
                   nn::TrainerConfig config;
                   config.seed = 1;
                   config.batch_size = train.n;
                   config.eval_every = 0;
                   config.detect_stuck = false;
                   g_grok = std::make_unique<nn::Trainer>();
                   g_grok->reset(std::move(train), std::move(test), config);
                   nn::OptimizerConfig adamw;
                   adamw.kind = nn::OptimizerKind::adamw;
                   adamw.lr = 1e-2f;
                   adamw.beta2 = 0.99f;
                   adamw.eps = 1e-25f;
                   nn::ModelSpec spec = nn::ModelSpec::vectors(94);
                   spec.linear(96, false).relu().linear(96, false).relu().linear(47, false);
                   g_grok->add_run("grok", spec,
                                   std::make_unique<nn::PrecisionSoftmaxCrossEntropy>(nn::SumPrecision::float32,
                                                                                      nn::SumOrder::largest_first),
                                   adamw);
                   g_grok->add_grad_transform(nn::perp_grad_transform());
                 },
                 [] { g_grok->step(1, 1e12); }});
}

}  // namespace

// A diverged trainer stops stepping and would look fast; the harnesses check.
bool mlp_diverged() { return g_mlp && g_mlp->state() != nn::Trainer::State::running; }

std::vector<Figure>& figures() {
  static std::vector<Figure> table = [] {
    std::vector<Figure> out;
    for (int n : {64, 128, 256, 512}) add_gemm(out, n, false, false, "gemm_" + std::to_string(n));
    add_gemm(out, 256, false, true, "gemm_256_nt");
    add_gemm(out, 256, true, false, "gemm_256_tn");
    add_softmax(out, 256, 1024);
    add_softmax(out, 16, 65536);
    add_softmax(out, 1, 4194304);
    add_rows(out);
    add_attention(out);
    add_attention_forward(out);
    add_elementwise(out);
    add_mlp_step(out);
    add_grok_step(out);
    return out;
  }();
  return table;
}

}  // namespace bench
