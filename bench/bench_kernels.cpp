// bench_kernels.cpp - throughput of the engine's kernels, one JSON line per
// figure (protocol in bench_common.h).  bench/run builds it three times:
// native (g++ -O3, SSE2), wasm SIMD128 and wasm scalar (-DPG_SIMD_SCALAR).
//
// Figures:
//   gemm_<n>            C = A B, n x n x n, GFLOP/s (2 n^3 flops); also the
//                       transposed forms at 256 (gemm_256_nt, gemm_256_tn)
//   softmax_<r>x<c>     softmax_rows, GB/s counting 8 bytes per element
//                       (read x, write y), as on the TensorFlow.js side
//   softmax_<alg>_<r>x<c>  each algorithm of softmax.h on the same shapes
//   log_softmax_256x1024, xent_256x1024 (fused forward + backward): GB/s, 8 B/elem
//   attention[_causal]_<n>x<d>: one head, n queries and keys, GFLOP/s counting
//                       the dense 4 n^2 d flops (causal does about half of them)
//   exp_1M, sigmoid_1M, tanh_1M, gelu_1M: GB/s, 8 B/elem
#include <string>
#include <vector>

#include "bench/bench_common.h"
#include "engine/kernels/attention.h"
#include "engine/kernels/elementwise.h"
#include "engine/kernels/gemm.h"
#include "engine/kernels/softmax.h"

namespace {

using bench::Options;

void bench_gemm(const Options& o) {
  for (int n : {64, 128, 256, 512}) {
    const std::string name = "gemm_" + std::to_string(n);
    if (!o.wants(name)) continue;
    std::vector<float> A(size_t(n) * n), B(size_t(n) * n), C(size_t(n) * n);
    bench::fill(A, -1.0, 1.0);
    bench::fill(B, -1.0, 1.0);
    const auto s = bench::measure(o, 2.0 * n * n * n * 1e-9, [&] {
      kern::gemm(false, false, n, n, n, 1.0f, A.data(), n, B.data(), n, 0.0f, C.data(), n);
    });
    bench::emit(o, name, "GFLOP/s", s);
  }
  const int n = 256;
  std::vector<float> A(size_t(n) * n), B(size_t(n) * n), C(size_t(n) * n);
  bench::fill(A, -1.0, 1.0);
  bench::fill(B, -1.0, 1.0);
  for (int form = 0; form < 2; ++form) {
    const bool ta = form == 1, tb = form == 0;
    const std::string name = std::string("gemm_256_") + (ta ? "tn" : "nt");
    if (!o.wants(name)) continue;
    const auto s = bench::measure(o, 2.0 * n * n * n * 1e-9, [&] {
      kern::gemm(ta, tb, n, n, n, 1.0f, A.data(), n, B.data(), n, 0.0f, C.data(), n);
    });
    bench::emit(o, name, "GFLOP/s", s);
  }
}

using RowFn = void (*)(const float*, float*, size_t);

void bench_softmax(const Options& o) {
  struct Shape { int rows, cols; };
  const Shape shapes[] = {{256, 1024}, {16, 65536}, {1, 4194304}};
  struct Alg { const char* name; RowFn fn; };
  const Alg algs[] = {{"reload", kern::softmax_three_pass_reload},
                      {"recompute", kern::softmax_three_pass_recompute},
                      {"two_pass", kern::softmax_two_pass},
                      {"online", kern::softmax_online}};
  for (const Shape& sh : shapes) {
    const std::string shape = std::to_string(sh.rows) + "x" + std::to_string(sh.cols);
    const size_t total = size_t(sh.rows) * sh.cols;
    std::vector<float> x(total), y(total);
    bench::fill(x, -8.0, 8.0);
    const double gb = 8.0 * double(total) * 1e-9;
    if (o.wants("softmax_" + shape)) {
      const auto s = bench::measure(o, gb, [&] { kern::softmax_rows(x.data(), y.data(), sh.rows, sh.cols); });
      bench::emit(o, "softmax_" + shape, "GB/s", s);
    }
    for (const Alg& a : algs) {
      const std::string name = std::string("softmax_") + a.name + "_" + shape;
      if (!o.wants(name)) continue;
      const auto s = bench::measure(o, gb, [&] {
        for (int r = 0; r < sh.rows; ++r) a.fn(x.data() + size_t(r) * sh.cols, y.data() + size_t(r) * sh.cols, sh.cols);
      });
      bench::emit(o, name, "GB/s", s);
    }
  }
  // Row helpers on the lesson-sized shape.
  const int rows = 256, cols = 1024;
  std::vector<float> x(size_t(rows) * cols), y(x.size());
  std::vector<int> labels(rows);
  bench::fill(x, -8.0, 8.0);
  for (int r = 0; r < rows; ++r) labels[r] = (r * 37) % cols;
  const double gb = 8.0 * double(x.size()) * 1e-9;
  if (o.wants("log_softmax_256x1024")) {
    const auto s = bench::measure(o, gb, [&] { kern::log_softmax_rows(x.data(), y.data(), rows, cols); });
    bench::emit(o, "log_softmax_256x1024", "GB/s", s);
  }
  if (o.wants("xent_256x1024")) {
    volatile float sink = 0.0f;
    const auto s = bench::measure(o, gb, [&] {
      sink = kern::softmax_xent_rows(x.data(), labels.data(), rows, cols, y.data());
    });
    (void)sink;
    bench::emit(o, "xent_256x1024", "GB/s", s);
  }
}

void bench_attention(const Options& o) {
  const int n = 256, d = 64;
  std::vector<float> Q(size_t(n) * d), K(Q.size()), V(Q.size()), O(Q.size());
  bench::fill(Q, -1.0, 1.0);
  bench::fill(K, -1.0, 1.0);
  bench::fill(V, -1.0, 1.0);
  for (int causal = 0; causal < 2; ++causal) {
    const std::string name = std::string(causal ? "attention_causal_" : "attention_") +
                             std::to_string(n) + "x" + std::to_string(d);
    if (!o.wants(name)) continue;
    const auto s = bench::measure(o, 4.0 * n * n * d * 1e-9, [&] {
      kern::attention_forward(Q.data(), K.data(), V.data(), O.data(), n, n, d, 0.125f, causal);
    });
    bench::emit(o, name, "GFLOP/s", s);
  }
}

void bench_elementwise(const Options& o) {
  const size_t n = 1 << 20;
  std::vector<float> x(n), y(n);
  bench::fill(x, -8.0, 8.0);
  struct Op { const char* name; RowFn fn; };
  const Op ops[] = {{"exp_1M", kern::exp_forward},
                    {"sigmoid_1M", kern::sigmoid_forward},
                    {"tanh_1M", kern::tanh_forward},
                    {"gelu_1M", kern::gelu_forward}};
  for (const Op& op : ops) {
    if (!o.wants(op.name)) continue;
    const auto s = bench::measure(o, 8.0 * n * 1e-9, [&] { op.fn(x.data(), y.data(), n); });
    bench::emit(o, op.name, "GB/s", s);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = Options::parse(argc, argv);
  bench_gemm(o);
  bench_softmax(o);
  bench_attention(o);
  bench_elementwise(o);
  return 0;
}
