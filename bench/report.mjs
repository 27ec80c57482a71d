// report.mjs - collects the JSON lines of the benchmark programs in a
// directory (*.jsonl: wasm.jsonl from side_by_side.mjs, native.jsonl from
// bench_native), prints one table, and writes <dir>/results.json with all
// figures, the ratios of issue 5 and whether each target is met.
//
// Ratios (> 1 means the engine, or SIMD, or wasm is faster):
//   gemm256_vs_tfjs         engine wasm-simd gemm_256 / TF.js gemm_256
//   gemm256_simd_vs_scalar  engine wasm-simd gemm_256 / engine wasm-scalar gemm_256
//   softmax_vs_tfjs         per shape, engine wasm-simd softmax_<shape> / TF.js
//   softmax_vs_tfjs_min     the smallest of those
//   mlp_step_vs_tfjs        engine wasm-simd mlp_step / TF.js mlp_step
//   attention_vs_tfjs       per kind (softmax, linear, soft) and n, engine attn_<kind>_<n>x64 / TF.js
//   attn_softmax_1024_vs_tfjs  that ratio for softmax attention at n = 1024 (issue 14's target)
//   wasm_vs_native          per figure, engine wasm-simd / engine native
// and against ONNX Runtime Web (issue 12), engine wasm-simd / ORT's wasm backend:
//   gemm256_vs_ort          gemm_256
//   softmax_vs_ort          per shape, softmax_<shape>;  softmax_vs_ort_min  the smallest
//   attention1024_vs_ort    attn_softmax_1024x64 (ORT: Gemm, Softmax, MatMul)
// and one time (issue 15, target < 90 s in wasm):
//   grok_seconds            per platform, stablemax-grokking's steps to 99% test
//                           accuracy at its defaults (kGrokSteps, from
//                           `playground-cli run stablemax-grokking --json`,
//                           steps_to_99_test) / grok_step's steps per second
// All but the last are "paired": the median over rounds of the ratio of the
// two samples taken seconds apart in one process (side_by_side.mjs).
// wasm_vs_native divides the medians of two processes.
//
// Usage: node bench/report.mjs build/bench
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const dir = process.argv[2] || 'build/bench';
const figures = [];
// wasm.jsonl first, so the table follows figures.cpp's order.
const order = ['wasm.jsonl', 'native.jsonl'];
const rank = (f) => (order.includes(f) ? order.indexOf(f) : order.length);
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.jsonl'));
files.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
for (const file of files) {
  for (const line of fs.readFileSync(path.join(dir, file), 'utf8').split('\n')) {
    const t = line.trim();
    if (!t.startsWith('{')) continue;
    try {
      const f = JSON.parse(t);
      if (f.name && f.platform && typeof f.median === 'number') figures.push(f);
    } catch (e) {
      console.error(`report: ignoring a bad line in ${file}: ${t.slice(0, 80)}`);
    }
  }
}
if (figures.length === 0) {
  console.error(`report: no figures found in ${dir}/*.jsonl`);
  process.exit(1);
}

const combined = figures;
const medianOf = (v) => {
  const s = [...v].sort((a, b) => a - b), n = s.length;
  return n % 2 ? s[n >> 1] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
};

const platforms = ['native', 'wasm-simd', 'wasm-scalar', 'tfjs-wasm', 'ort-wasm'];
const byKey = new Map(combined.map((f) => [`${f.platform}|${f.name}`, f]));
const get = (platform, name) => byKey.get(`${platform}|${name}`);
const ratio = (a, b) => (a && b && b.median > 0 ? a.median / b.median : null);
// The paired ratio recorded on the wasm-simd line ('vs_tfjs', 'vs_ort' or 'simd_vs_scalar').
const paired = (name, key) => get('wasm-simd', name)?.paired?.[key] ?? null;
const round = (v, d = 3) => (v === null ? null : Number(v.toFixed(d)));

// ---- ratios ---------------------------------------------------------------------------
const softmaxShapes = ['256x1024', '16x65536', '1x4194304'];
const softmaxVsTfjs = {};
for (const s of softmaxShapes) {
  const r = paired(`softmax_${s}`, 'vs_tfjs');
  if (r !== null) softmaxVsTfjs[s] = round(r);
}
const softmaxValues = Object.values(softmaxVsTfjs);
const softmaxVsOrt = {};
for (const s of softmaxShapes) {
  const r = paired(`softmax_${s}`, 'vs_ort');
  if (r !== null) softmaxVsOrt[s] = round(r);
}
const softmaxOrtValues = Object.values(softmaxVsOrt);
const attentionVsTfjs = {};
for (const kind of ['softmax', 'linear', 'soft'])
  for (const n of [256, 1024, 4096]) {
    const r = paired(`attn_${kind}_${n}x64`, 'vs_tfjs');
    if (r !== null) attentionVsTfjs[`${kind}_${n}`] = round(r);
  }
const wasmVsNative = {};
for (const f of combined.filter((x) => x.platform === 'wasm-simd')) {
  const r = ratio(f, get('native', f.name));
  if (r !== null) wasmVsNative[f.name] = round(r);
}
// stablemax-grokking at its defaults (seed 1): steps_to_99_test.  Native and
// wasm give the same number (tests/cli.test.mjs); re-read it if the defaults change.
const kGrokSteps = 300;
const grokSeconds = {};
for (const p of ['native', 'wasm-simd', 'wasm-scalar']) {
  const f = get(p, 'grok_step');
  if (f) grokSeconds[p] = round(kGrokSteps / f.median, 2);
}
const ratios = {
  gemm256_vs_tfjs: round(paired('gemm_256', 'vs_tfjs')),
  gemm256_simd_vs_scalar: round(paired('gemm_256', 'simd_vs_scalar')),
  softmax_vs_tfjs: softmaxVsTfjs,
  softmax_vs_tfjs_min: softmaxValues.length === softmaxShapes.length ? Math.min(...softmaxValues) : null,
  mlp_step_vs_tfjs: round(paired('mlp_step', 'vs_tfjs')),
  attention_vs_tfjs: attentionVsTfjs,
  attn_softmax_1024_vs_tfjs: attentionVsTfjs.softmax_1024 ?? null,
  wasm_vs_native: wasmVsNative,
  gemm256_vs_ort: round(paired('gemm_256', 'vs_ort')),
  softmax_vs_ort: softmaxVsOrt,
  softmax_vs_ort_min: softmaxOrtValues.length === softmaxShapes.length ? Math.min(...softmaxOrtValues) : null,
  attention1024_vs_ort: round(paired('attn_softmax_1024x64', 'vs_ort')),
};
const targets = {
  gemm256_vs_tfjs: 1.0,
  gemm256_simd_vs_scalar: 2.5,
  softmax_vs_tfjs_min: 1.5,
  mlp_step_vs_tfjs: 20.0,
  attn_softmax_1024_vs_tfjs: 1.5,  // issue 14: the fused kernel never materializes the n x n scores
  gemm256_vs_ort: 1.0,             // issue 12
  softmax_vs_ort_min: 1.0,
};
const targetStatus = {};
for (const [k, t] of Object.entries(targets)) {
  const v = ratios[k];
  targetStatus[k] = { target: t, value: v, met: v === null ? null : v >= t };
}
// A time: lower is better.
const grokWasm = grokSeconds['wasm-simd'] ?? null;
targetStatus.grok_seconds_wasm = { target_max_s: 90, value: grokWasm, met: grokWasm === null ? null : grokWasm < 90 };

// ---- table ----------------------------------------------------------------------------
const names = [...new Set(combined.map((f) => f.name))];
const cell = (f) => (f ? `${fmt(f.median)} (${fmt(f.min)}-${fmt(f.max)})` : '-');
function fmt(v) {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}
const header = ['figure', 'unit', ...platforms, 'wasm/native', 'simd/scalar', 'wasm/tfjs', 'wasm/ort'];
const rows = names.map((n) => {
  const unit = combined.find((f) => f.name === n).unit;
  const rn = ratio(get('wasm-simd', n), get('native', n));
  const rs = paired(n, 'simd_vs_scalar'), rt = paired(n, 'vs_tfjs'), ro = paired(n, 'vs_ort');
  const show = (v) => (v === null ? '-' : v.toFixed(2));
  return [n, unit, ...platforms.map((p) => cell(get(p, n))), show(rn), show(rs), show(rt), show(ro)];
});
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (r) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
const rounds = Math.max(...combined.map((f) => f.rounds ?? 1));
console.log(`median of ${rounds} rounds (min-max); higher is faster; simd/scalar, wasm/tfjs and wasm/ort are paired ratios`);
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const r of rows) console.log(line(r));
console.log('');
for (const [k, s] of Object.entries(targetStatus)) {
  if (k === 'grok_seconds_wasm') {
    const v = s.value === null ? 'n/a' : `${s.value.toFixed(1)} s`;
    console.log(`${k.padEnd(24)} ${v.padStart(8)}  target < ${s.target_max_s} s  ${s.met === null ? 'not measured' : s.met ? 'MET' : 'NOT MET'}`);
    continue;
  }
  const v = s.value === null ? 'n/a' : `${s.value.toFixed(2)}x`;
  const verdict = s.met === null ? 'not measured' : s.met ? 'MET' : 'NOT MET';
  console.log(`${k.padEnd(24)} ${v.padStart(8)}  target >= ${s.target}x  ${verdict}`);
}
if (Object.keys(softmaxVsTfjs).length) console.log(`softmax_vs_tfjs per shape: ${JSON.stringify(softmaxVsTfjs)}`);
if (Object.keys(attentionVsTfjs).length) console.log(`attention_vs_tfjs per kind and n: ${JSON.stringify(attentionVsTfjs)}`);
if (Object.keys(softmaxVsOrt).length) console.log(`softmax_vs_ort per shape: ${JSON.stringify(softmaxVsOrt)}`);
if (ratios.attention1024_vs_ort !== null) console.log(`attention1024_vs_ort: ${ratios.attention1024_vs_ort.toFixed(2)}x (no target)`);

const clocks = [...new Set(figures.map((f) => f.clock).filter(Boolean))];
const results = {
  generated: new Date().toISOString(),
  machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? '', node: process.version, load: os.loadavg() },
  clock: clocks.length === 1 ? clocks[0] : clocks,
  figures: combined,
  ratios,
  grok_seconds: grokSeconds,
  ratio_method: 'wasm_vs_native divides the medians of two processes; every other ratio is the median over ' +
    'rounds of the ratio of two samples taken seconds apart in one process (bench/side_by_side.mjs)',
  targets: targetStatus,
};
fs.writeFileSync(path.join(dir, 'results.json'), JSON.stringify(results, null, 2) + '\n');
console.log(`\nwrote ${path.join(dir, 'results.json')}`);
