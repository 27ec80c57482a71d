// side_by_side.mjs - times the engine's wasm builds and TensorFlow.js in one
// node process, interleaved, and prints one JSON line per figure and platform.
//
// Contenders per figure: the engine's SIMD128 module, its scalar module (both
// built by bench/run from bench/figures.cpp + engine_module.cpp) and, where
// they have the op, TensorFlow.js's wasm backend (bench/tfjs_figures.mjs) and
// ONNX Runtime Web's wasm backend (bench/ort_figures.mjs, whose calls are
// asynchronous: a sample awaits each session.run in turn).
//
// Protocol, the same for every contender:
//   1. setup (inputs made once), then warm-up calls, interleaved, until each
//      contender has run for --warmup-ms;
//   2. a call count per contender so that one sample lasts about --sample-ms;
//   3. --rounds rounds; in each, every contender times one sample, in an
//      order that rotates from round to round.
// A contender's figure is the median of its per-round rates (min and max
// alongside).  A ratio (engine / TF.js, engine / ORT, SIMD / scalar) is the median of the
// per-round ratios: the two samples of a round are a few milliseconds apart,
// so a slow spell of a shared machine falls on both sides alike.
//
// Usage: node --no-experimental-fetch --no-liftoff bench/side_by_side.mjs <dir>
//          [--rounds=N] [--sample-ms=X] [--warmup-ms=X] [--filter=substring]
// <dir> holds engine_simd.js and engine_scalar.js (bench/run's output dir).
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { makeOrtFigures } from './ort_figures.mjs';
import { makeTfjsFigures } from './tfjs_figures.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const dir = path.resolve(args.find((a) => !a.startsWith('--')) ?? path.join(root, 'build/bench'));
const opt = { rounds: 7, sampleMs: 20, warmupMs: 100, filter: '' };
for (const a of args.filter((x) => x.startsWith('--'))) {
  const [k, v] = a.slice(2).split('=');
  if (k === 'rounds') opt.rounds = Math.max(1, parseInt(v, 10) || 1);
  else if (k === 'sample-ms') opt.sampleMs = Math.max(1, Number(v) || 1);
  else if (k === 'warmup-ms') opt.warmupMs = Math.max(0, Number(v) || 0);
  else if (k === 'filter') opt.filter = v ?? '';
  else console.error(`side_by_side: ignoring unknown option ${a}`);
}

async function loadEngine(file, platform) {
  const factory = createRequire(import.meta.url)(path.join(dir, file));
  const m = await factory();
  const str = (p) => m.UTF8ToString(p);
  const figures = {};
  for (let i = 0; i < m._pg_bench_count(); ++i) {
    figures[str(m._pg_bench_name(i))] = {
      unit: str(m._pg_bench_unit(i)), work: m._pg_bench_work(i),
      setup: () => m._pg_bench_setup(i),
      call: () => m._pg_bench_run(i, 1),
      calls: (k) => m._pg_bench_run(i, k),  // k calls without a JS round trip each
      check: () => {
        if (m._pg_bench_mlp_diverged()) throw new Error(`${platform}: the mlp_step trainer stopped`);
      },
    };
  }
  return { platform, simd: str(m._pg_bench_simd()), figures };
}

const engines = [await loadEngine('engine_simd.js', 'wasm-simd'), await loadEngine('engine_scalar.js', 'wasm-scalar')];
const tfjs = { platform: 'tfjs-wasm', figures: await makeTfjsFigures(root) };
const ort = { platform: 'ort-wasm', figures: await makeOrtFigures(root) };
if (engines[0].simd !== 'wasm-simd128' || engines[1].simd !== 'scalar')
  throw new Error(`unexpected builds: ${engines[0].simd}, ${engines[1].simd}`);

const median = (v) => {
  const s = [...v].sort((a, b) => a - b), n = s.length;
  return n % 2 ? s[n >> 1] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
};
// ORT's calls return promises (awaited one by one); the others return nothing.
async function runCalls(f, k) {
  if (f.calls) return f.calls(k);
  for (let i = 0; i < k; ++i) {
    const p = f.call();
    if (p) await p;
  }
}

for (const name of Object.keys(engines[0].figures)) {
  if (opt.filter && !name.includes(opt.filter)) continue;
  const contenders = [...engines, tfjs, ort]
    .filter((c) => c.figures[name])
    .map((c) => ({ platform: c.platform, f: c.figures[name], spent: 0, calls: 0, rates: [] }));
  // The MLP step's samples are longer: one TF.js step takes a few ms (and a grok step ~15 ms).
  const sampleMs = name === 'mlp_step' || name === 'grok_step' ? Math.max(opt.sampleMs, 60) : opt.sampleMs;
  for (const c of contenders) await c.f.setup();
  // 1. warm-up, interleaved
  while (contenders.some((c) => c.spent < opt.warmupMs || c.calls < 3)) {
    for (const c of contenders) {
      if (c.spent >= opt.warmupMs && c.calls >= 3) continue;
      const t0 = performance.now();
      await runCalls(c.f, 1);
      c.spent += performance.now() - t0;
      c.calls += 1;
    }
  }
  // 2. calls per sample
  for (const c of contenders) c.perSample = Math.max(1, Math.round(sampleMs / Math.max(c.spent / c.calls, 1e-6)));
  // 3. rounds
  for (let r = 0; r < opt.rounds; ++r) {
    for (let k = 0; k < contenders.length; ++k) {
      const c = contenders[(k + r) % contenders.length];
      const t0 = performance.now();
      await runCalls(c.f, c.perSample);
      const ms = Math.max(performance.now() - t0, 1e-6);
      c.rates.push((c.f.work * c.perSample) / (ms * 1e-3));
    }
  }
  for (const c of contenders) c.f.check?.();
  const simd = contenders[0];
  const paired = {};
  for (const c of contenders.slice(1)) {
    const key = { 'wasm-scalar': 'simd_vs_scalar', 'tfjs-wasm': 'vs_tfjs', 'ort-wasm': 'vs_ort' }[c.platform];
    paired[key] = median(simd.rates.map((v, r) => v / c.rates[r]));
  }
  const fix = (v) => Number(v.toPrecision(6));
  for (const c of contenders) {
    const line = { name, platform: c.platform, unit: c.f.unit, median: fix(median(c.rates)),
      min: fix(Math.min(...c.rates)), max: fix(Math.max(...c.rates)), rounds: opt.rounds, clock: 'wall' };
    if (c === simd) line.paired = Object.fromEntries(Object.entries(paired).map(([k, v]) => [k, fix(v)]));
    console.log(JSON.stringify(line));
  }
}
