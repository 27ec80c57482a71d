// tfjs_figures.mjs - the TensorFlow.js side of the benchmark: the figures of
// bench/figures.cpp that TF.js has an op for, on the same inputs, as
// { name: { unit, work, setup(), call() } } for bench/side_by_side.mjs.
//
// Backend: @tensorflow/tfjs-backend-wasm (XNNPACK inside), SIMD on, one
// thread (a page without cross-origin isolation has no SharedArrayBuffer, so
// the threaded binary is off), wasm binaries loaded from node_modules,
// nothing fetched.  A call is `op(...)` then `dispose()` of the result: the
// wasm backend computes inside the op call, so no read-back (dataSync) is
// timed, which is the favourable choice for TF.js.
import { createRequire, register } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

// The inputs of bench::fill: lo + (hi - lo) * h(i) / 2^24, h(i) = (i * 2654435761 mod 2^32) >> 8.
export function fill(n, lo, hi) {
  const v = new Float32Array(n);
  for (let i = 0; i < n; ++i) v[i] = lo + (hi - lo) * (((Math.imul(i, 2654435761) >>> 0) >>> 8) / 16777216);
  return v;
}

// tfjs-core's bundles ship without gradient functions: the umbrella
// @tensorflow/tfjs package registers them from tfjs-core's ESM sources
// (dist/register_all_gradients.js), whose imports omit the ".js" extension.
// A resolve hook adds it; the registry is global, so the bundle sees them.
async function registerGradients(root) {
  const hook = `export async function resolve(specifier, context, next) {
    try { return await next(specifier, context); } catch (err) {
      const relative = specifier.startsWith('./') || specifier.startsWith('../');
      if (relative && !specifier.endsWith('.js')) return next(specifier + '.js', context);
      throw err;
    }
  }`;
  register('data:text/javascript,' + encodeURIComponent(hook));
  await import(pathToFileURL(path.join(root, 'node_modules/@tensorflow/tfjs-core/dist/register_all_gradients.js')).href);
}

export async function makeTfjsFigures(root) {
  const require = createRequire(path.join(root, 'package.json'));
  const tf = require('@tensorflow/tfjs-core');
  const wasm = require('@tensorflow/tfjs-backend-wasm');
  await registerGradients(root);
  wasm.setWasmPaths(path.join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist') + path.sep);
  if (typeof wasm.setThreadsCount === 'function') wasm.setThreadsCount(1);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  tf.env().set('WASM_HAS_SIMD_SUPPORT', true);
  await tf.setBackend('wasm');
  await tf.ready();
  if (tf.getBackend() !== 'wasm') throw new Error('the TF.js wasm backend did not load');

  const figures = {};
  // op(inputs) -> tensor; inputs are made by setup, once.
  const add = (name, unit, work, makeInputs, op) => {
    let inputs = null;
    figures[name] = {
      unit, work,
      setup() { if (!inputs) inputs = makeInputs(); },
      call() { op(inputs).dispose(); },
    };
  };
  for (const n of [64, 128, 256, 512]) {
    const mats = () => [tf.tensor2d(fill(n * n, -1, 1), [n, n]), tf.tensor2d(fill(n * n, -1, 1), [n, n])];
    add(`gemm_${n}`, 'GFLOP/s', 2 * n ** 3 * 1e-9, mats, ([a, b]) => tf.matMul(a, b));
    if (n === 256) {
      add('gemm_256_nt', 'GFLOP/s', 2 * n ** 3 * 1e-9, mats, ([a, b]) => tf.matMul(a, b, false, true));
      add('gemm_256_tn', 'GFLOP/s', 2 * n ** 3 * 1e-9, mats, ([a, b]) => tf.matMul(a, b, true, false));
    }
  }
  for (const [rows, cols] of [[256, 1024], [16, 65536], [1, 4194304]]) {
    const x = () => tf.tensor2d(fill(rows * cols, -8, 8), [rows, cols]);
    add(`softmax_${rows}x${cols}`, 'GB/s', 8 * rows * cols * 1e-9, x, (t) => tf.softmax(t));
    if (rows === 256) add('log_softmax_256x1024', 'GB/s', 8 * rows * cols * 1e-9, x, (t) => tf.logSoftmax(t));
  }
  addAttention(tf, add);
  const n = 1 << 20;
  const v = () => tf.tensor1d(fill(n, -8, 8));
  add('exp_1M', 'GB/s', 8 * n * 1e-9, v, (t) => tf.exp(t));
  add('sigmoid_1M', 'GB/s', 8 * n * 1e-9, v, (t) => tf.sigmoid(t));
  add('tanh_1M', 'GB/s', 8 * n * 1e-9, v, (t) => tf.tanh(t));
  figures.mlp_step = mlpStep(tf);
  return figures;
}

// figures.cpp's attn_{softmax,linear,soft}_<n>x64, written as TF.js ops (each in a
// tidy, so the intermediates are freed): softmax attention as matMul + softmax +
// matMul (the n x n scores materialized); linear attention with elu + 1 as
// matMuls; SOFT with the same pooled landmarks (as a pooling matrix product),
// Gaussian kernels from |a|^2 + |b|^2 - 2 a b^T, and 20 Newton-Schulz steps.
// The work counted is the engine's (the same products).
function addAttention(tf, add) {
  const d = 64, m = 49;
  for (const n of [256, 1024, 4096]) {
    const shape = `${n}x64`;
    const qkv = () => [0, 1, 2].map(() => tf.tensor2d(fill(n * d, -1, 1), [n, d]));
    add(`attn_softmax_${shape}`, 'GFLOP/s', 4 * n * n * d * 1e-9, qkv, ([q, k, v]) =>
      tf.tidy(() => tf.matMul(tf.softmax(tf.mul(tf.matMul(q, k, false, true), 0.125)), v)));
    add(`attn_linear_${shape}`, 'GFLOP/s', 4 * n * d * d * 1e-9, qkv, ([q, k, v]) =>
      tf.tidy(() => {
        const fq = tf.add(tf.elu(q), 1), fk = tf.add(tf.elu(k), 1);
        const S = tf.matMul(fk, v, true, false);
        const z = tf.reshape(tf.sum(fk, 0), [d, 1]);
        return tf.div(tf.matMul(fq, S), tf.matMul(fq, z));
      }));
    // Pooling matrix (m, n): landmark l averages tokens [floor(l n / m), floor((l + 1) n / m)).
    const pool = new Float32Array(m * n);
    for (let l = 0; l < m; ++l) {
      const b = Math.floor((l * n) / m), e = Math.floor(((l + 1) * n) / m);
      for (let i = b; i < e; ++i) pool[l * n + i] = 1 / (e - b);
    }
    const kernel = (a, b) => {
      const an = tf.sum(tf.square(a), 1, true), bn = tf.reshape(tf.sum(tf.square(b), 1), [1, -1]);
      const dist = tf.relu(tf.sub(tf.add(an, bn), tf.mul(tf.matMul(a, b, false, true), 2)));
      return tf.exp(tf.mul(dist, -0.0625));  // exp(-s |a - b|^2 / 2), s = 1/sqrt(d)
    };
    const soft = 6 * n * m * d + 4 * m * m * d + 80 * m ** 3;
    add(`attn_soft_${shape}`, 'GFLOP/s', soft * 1e-9, () => [...qkv(), tf.tensor2d(pool, [m, n]), tf.eye(m)],
      ([q, , v, P0, I]) =>
        tf.tidy(() => {
          const L = tf.matMul(P0, q);
          const P = kernel(q, L), A = kernel(L, L);
          const rowsum = tf.max(tf.sum(A, 1));
          const Pr = tf.add(A, tf.mul(I, 0.01));
          let V = tf.mul(tf.div(1.8, tf.square(rowsum)), Pr);
          for (let it = 0; it < 20; ++it) V = tf.sub(tf.mul(V, 2), tf.matMul(tf.matMul(V, Pr), V));
          return tf.matMul(P, tf.matMul(V, tf.matMul(P, v, true, false)));
        }));
  }
}

// The training step of figures.cpp's mlp_step: 2-64-64-3 ReLU MLP, batch 32,
// tf.train.adam(1e-3), softmax cross-entropy, 3 Gaussian blobs.  The
// mini-batches are made into tensors once in setup (so data upload is not
// timed; the engine's own batch sampling is).  Setup trains 300 steps, as the
// engine's does.
function mlpStep(tf) {
  const B = 32, D = 2, H = 64, C = 3, N = 1024;
  let state = null;
  const step = () => {
    const { batches, vars: [W1, b1, W2, b2, W3, b3], optimizer } = state;
    const { x, y } = batches[state.next];
    state.next = (state.next + 1) % batches.length;
    optimizer.minimize(() => {
      const h1 = tf.relu(tf.add(tf.matMul(x, W1), b1));
      const h2 = tf.relu(tf.add(tf.matMul(h1, W2), b2));
      const logits = tf.add(tf.matMul(h2, W3), b3);
      return tf.losses.softmaxCrossEntropy(y, logits);
    }, false, state.vars);
  };
  return {
    unit: 'steps/s', work: 1,
    setup() {
      if (state) return;
      // Deterministic blobs (a small LCG; the numbers only need to be reasonable).
      let seed = 12345;
      const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296);
      const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
      const xs = new Float32Array(N * D), ys = new Int32Array(N);
      for (let i = 0; i < N; i++) {
        const k = i % C, angle = (2 * Math.PI * k) / C;
        xs[2 * i] = Math.cos(angle) + 0.3 * gauss();
        xs[2 * i + 1] = Math.sin(angle) + 0.3 * gauss();
        ys[i] = k;
      }
      const batches = [];
      for (let start = 0; start + B <= N; start += B) {
        batches.push({
          x: tf.tensor2d(xs.subarray(start * D, (start + B) * D), [B, D]),
          y: tf.cast(tf.oneHot(tf.tensor1d(ys.subarray(start, start + B), 'int32'), C), 'float32'),
        });
      }
      const he = (fanIn, shape) => tf.variable(tf.randomNormal(shape, 0, Math.sqrt(2 / fanIn), 'float32', 1));
      const xavier = (fanIn, fanOut, shape) =>
        tf.variable(tf.randomNormal(shape, 0, Math.sqrt(2 / (fanIn + fanOut)), 'float32', 2));
      const vars = [he(D, [D, H]), tf.variable(tf.zeros([H])), he(H, [H, H]), tf.variable(tf.zeros([H])),
        xavier(H, C, [H, C]), tf.variable(tf.zeros([C]))];
      state = { batches, vars, optimizer: tf.train.adam(1e-3), next: 0 };
      for (let i = 0; i < 300; i++) step();
    },
    call: step,
    check() {  // a leak would slow every later step down
      const alive = tf.memory().numTensors;
      if (alive > 1000) throw new Error(`TF.js MLP step leaks tensors: ${alive} alive`);
    },
  };
}
