#!/usr/bin/env node
// tfjs_mlp_step.mjs - the same training step as bench/bench_mlp_step.cpp, in
// TensorFlow.js with its WebAssembly backend (XNNPACK, SIMD), for comparison.
//
// Model 2-64-64-3 (ReLU), batch 32, tf.train.adam(1e-3), softmax cross-entropy,
// 3 Gaussian blobs.  The mini-batches are made into tensors once up front (so
// data upload is not timed; the engine's own batch sampling is).  One thread:
// the page has no SharedArrayBuffer, so the multi-threaded wasm binary is off.
// Method: 300 warm-up steps, then the number of steps that takes ~100 ms is
// timed `reps` times (default 15).  Prints one JSON line with platform "tfjs-wasm".
//
//   node bench/tfjs_mlp_step.mjs [reps]
import { createRequire, register } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'package.json'));
const tf = require('@tensorflow/tfjs-core');
const wasm = require('@tensorflow/tfjs-backend-wasm');

// tfjs-core's bundles ship without gradient functions: the umbrella
// @tensorflow/tfjs package registers them from tfjs-core's ESM sources
// (dist/register_all_gradients.js), whose imports omit the ".js" extension.
// A resolve hook adds it; the registry is global, so the bundle sees them.
async function registerGradients() {
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

const reps = Math.max(3, Number(process.argv[2]) || 15);
const B = 32, D = 2, H = 64, C = 3, N = 1024;

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

async function main() {
  await registerGradients();
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  wasm.setWasmPaths(path.join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist') + path.sep);
  await tf.setBackend('wasm');
  await tf.ready();
  if (tf.getBackend() !== 'wasm') throw new Error(`backend is ${tf.getBackend()}, not wasm`);

  const batches = [];
  for (let start = 0; start + B <= N; start += B) {
    batches.push({
      x: tf.tensor2d(xs.subarray(start * D, (start + B) * D), [B, D]),
      y: tf.cast(tf.oneHot(tf.tensor1d(ys.subarray(start, start + B), 'int32'), C), 'float32'),
    });
  }
  const he = (fanIn, shape) => tf.variable(tf.randomNormal(shape, 0, Math.sqrt(2 / fanIn), 'float32', 1));
  const xavier = (fanIn, fanOut, shape) => tf.variable(tf.randomNormal(shape, 0, Math.sqrt(2 / (fanIn + fanOut)), 'float32', 2));
  const W1 = he(D, [D, H]), b1 = tf.variable(tf.zeros([H]));
  const W2 = he(H, [H, H]), b2 = tf.variable(tf.zeros([H]));
  const W3 = xavier(H, C, [H, C]), b3 = tf.variable(tf.zeros([C]));
  const vars = [W1, b1, W2, b2, W3, b3];
  const optimizer = tf.train.adam(1e-3);

  let next = 0;
  const step = () => {
    const { x, y } = batches[next];
    next = (next + 1) % batches.length;
    optimizer.minimize(() => {
      const h1 = tf.relu(tf.add(tf.matMul(x, W1), b1));
      const h2 = tf.relu(tf.add(tf.matMul(h1, W2), b2));
      const logits = tf.add(tf.matMul(h2, W3), b3);
      return tf.losses.softmaxCrossEntropy(y, logits);
    }, false, vars);
  };
  const secondsFor = (steps) => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < steps; i++) step();
    W3.dataSync();  // make sure the work is done (the wasm backend is synchronous anyway)
    return Number(process.hrtime.bigint() - start) / 1e9;
  };

  secondsFor(300);  // warm-up
  const perStep = secondsFor(100) / 100;
  const steps = Math.max(50, Math.round(0.1 / perStep));
  const rates = [];
  for (let r = 0; r < reps; r++) rates.push(steps / secondsFor(steps));
  rates.sort((a, b) => a - b);
  const leaked = tf.memory().numTensors;
  if (leaked > 1000) throw new Error(`tensor leak: ${leaked} tensors alive`);
  const fix = (v) => Math.round(v * 10) / 10;
  console.log(JSON.stringify({ name: 'mlp_step', platform: 'tfjs-wasm', unit: 'steps/s',
                               median: fix(rates[Math.floor(rates.length / 2)]), min: fix(rates[0]), max: fix(rates[rates.length - 1]) }));
}

main().catch((err) => {
  console.error(`tfjs_mlp_step: ${err.stack || err}`);
  process.exit(1);
});
