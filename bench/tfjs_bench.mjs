// tfjs_bench.mjs - the TensorFlow.js side of bench/: the same figures as
// bench_kernels.cpp where TF.js has the op, on the same inputs, measured the
// same way (see bench_common.h), printed with the same JSON line protocol and
// platform "tfjs-wasm".
//
// Backend: @tensorflow/tfjs-backend-wasm (XNNPACK inside), SIMD on, one
// thread, wasm binaries loaded from node_modules (setWasmPaths), nothing
// fetched.  Each timed call is `op(...)` followed by `dispose()` of the
// result: the wasm backend computes synchronously inside the op call, so no
// read-back (dataSync) is timed, which is the favourable choice for TF.js.
//
// Usage: node bench/tfjs_bench.mjs [--clock=cpu|wall] [--samples=N] [--filter=str]
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const require = createRequire(path.join(root, 'package.json'));
const tf = require('@tensorflow/tfjs-core');
const wasm = require('@tensorflow/tfjs-backend-wasm');

// ---- options (same as bench_common.h) ------------------------------------------
const opt = { cpuClock: true, samples: 9, warmupMs: 100, sampleMs: 25, filter: '' };
for (const a of process.argv.slice(2)) {
  if (a === '--clock=wall') opt.cpuClock = false;
  else if (a === '--clock=cpu') opt.cpuClock = true;
  else if (a.startsWith('--samples=')) opt.samples = Math.max(1, parseInt(a.slice(10), 10));
  else if (a.startsWith('--sample-ms=')) opt.sampleMs = parseFloat(a.slice(12));
  else if (a.startsWith('--filter=')) opt.filter = a.slice(9);
  else console.error(`ignoring unknown option ${a}`);
}
const wants = (name) => !opt.filter || name.includes(opt.filter);
const nowMs = opt.cpuClock
  ? () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; }
  : () => performance.now();

function measure(workPerCall, f) {
  const t0 = nowMs();
  let calls = 0, elapsed = 0;
  do { f(); ++calls; elapsed = nowMs() - t0; } while (elapsed < opt.warmupMs || calls < 3);
  const iters = Math.max(1, Math.ceil(opt.sampleMs / Math.max(elapsed / calls, 1e-6)));
  const rates = [];
  for (let s = 0; s < opt.samples; ++s) {
    const start = nowMs();
    for (let i = 0; i < iters; ++i) f();
    rates.push(workPerCall * iters / (Math.max(nowMs() - start, 1e-6) * 1e-3));
  }
  rates.sort((a, b) => a - b);
  const n = rates.length;
  const median = n % 2 ? rates[n >> 1] : 0.5 * (rates[n / 2 - 1] + rates[n / 2]);
  return { median, min: rates[0], max: rates[n - 1] };
}
function emit(name, unit, s) {
  const r = (v) => Number(v.toPrecision(6));
  console.log(JSON.stringify({ name, platform: 'tfjs-wasm', unit, median: r(s.median), min: r(s.min),
    max: r(s.max), samples: opt.samples, clock: opt.cpuClock ? 'cpu' : 'wall' }));
}
// The inputs of bench_common.h: lo + (hi - lo) * h(i) / 2^24, h(i) = (i * 2654435761 mod 2^32) >> 8.
function fill(n, lo, hi) {
  const v = new Float32Array(n);
  for (let i = 0; i < n; ++i) v[i] = lo + (hi - lo) * (((Math.imul(i, 2654435761) >>> 0) >>> 8) / 16777216);
  return v;
}
function timed(name, unit, work, f) {
  if (!wants(name)) return;
  try {
    emit(name, unit, measure(work, () => { const y = f(); y.dispose(); }));
  } catch (e) {
    console.error(`tfjs: ${name} skipped: ${e.message}`);
  }
}

// ---- backend ------------------------------------------------------------------------
wasm.setWasmPaths(path.join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist') + path.sep);
if (typeof wasm.setThreadsCount === 'function') wasm.setThreadsCount(1);
tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
tf.env().set('WASM_HAS_SIMD_SUPPORT', true);
await tf.setBackend('wasm');
await tf.ready();
if (tf.getBackend() !== 'wasm') throw new Error('the TF.js wasm backend did not load');

// ---- figures ------------------------------------------------------------------------
for (const n of [64, 128, 256, 512]) {
  const a = tf.tensor2d(fill(n * n, -1, 1), [n, n]), b = tf.tensor2d(fill(n * n, -1, 1), [n, n]);
  timed(`gemm_${n}`, 'GFLOP/s', 2 * n * n * n * 1e-9, () => tf.matMul(a, b));
  if (n === 256) {
    timed('gemm_256_nt', 'GFLOP/s', 2 * n * n * n * 1e-9, () => tf.matMul(a, b, false, true));
    timed('gemm_256_tn', 'GFLOP/s', 2 * n * n * n * 1e-9, () => tf.matMul(a, b, true, false));
  }
  a.dispose();
  b.dispose();
}
for (const [rows, cols] of [[256, 1024], [16, 65536], [1, 4194304]]) {
  const x = tf.tensor2d(fill(rows * cols, -8, 8), [rows, cols]);
  timed(`softmax_${rows}x${cols}`, 'GB/s', 8 * rows * cols * 1e-9, () => tf.softmax(x));
  if (rows === 256) timed('log_softmax_256x1024', 'GB/s', 8 * rows * cols * 1e-9, () => tf.logSoftmax(x));
  x.dispose();
}
{
  const n = 1 << 20;
  const x = tf.tensor1d(fill(n, -8, 8));
  timed('exp_1M', 'GB/s', 8 * n * 1e-9, () => tf.exp(x));
  timed('sigmoid_1M', 'GB/s', 8 * n * 1e-9, () => tf.sigmoid(x));
  timed('tanh_1M', 'GB/s', 8 * n * 1e-9, () => tf.tanh(x));
  x.dispose();
}
