// The CLI contract (issue: "playground-cli list --json", "run ... --json",
// exit code 2 with a one-line message on bad input), for the native binary
// and its wasm build under node - and the promise behind "same seed, same
// numbers": every deterministic metric is bit-identical native and wasm.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const top = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const builds = {
  native: (args) => spawnSync(path.join(top, 'build/native/playground-cli'), args, { encoding: 'utf8', cwd: top }),
  wasm: (args) => spawnSync('node', ['--no-experimental-fetch', path.join(top, 'build/web/playground-cli.js'), ...args],
    { encoding: 'utf8', cwd: top }),
};

function json(run, args) {
  const r = run(args);
  assert.equal(r.status, 0, `exit ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const lessons = json(builds.native, ['list', '--json']);
// Knobs that keep a lesson's short run short where its default is large (the
// softmax timing lesson measures 1M elements by default).
const small = (id) => (id === 'two-pass-softmax' ? ['--set', 'n=2048'] : []);

test('list --json describes every lesson', () => {
  assert.ok(lessons.length >= 1);
  for (const l of lessons) {
    for (const k of ['id', 'title', 'section', 'kind', 'stepping', 'paper', 'year', 'arxiv', 'code']) assert.ok(k in l, `${l.id}: ${k}`);
    assert.ok(['on_play', 'continuous'].includes(l.stepping));
    assert.match(l.id, /^[a-z0-9-]+$/);
    assert.ok(['kernel', 'trainer', 'icl', 'analysis'].includes(l.kind));
  }
  assert.deepEqual(json(builds.wasm, ['list', '--json']), lessons);
});

test('run --json prints id, seed, steps, params and metrics', () => {
  // Without --steps: until the lesson's measurement is complete (a few hundred
  // timing units at this n, well under a second).
  const out = json(builds.native, ['run', 'two-pass-softmax', '--seed', '5', '--set', 'n=4096',
    '--set', 'range=1000', '--json']);
  assert.equal(out.id, 'two-pass-softmax');
  assert.equal(out.seed, 5);
  assert.ok(out.steps > 8, 'steps: ' + out.steps);
  assert.equal(out.params.n, 4096);
  assert.equal(out.params.range, 1000);
  for (const k of ['max_rel_err_two_pass', 'max_rel_err_three_pass_reload', 'max_rel_err_three_pass_recompute',
    'nonfinite_outputs', 'ns_per_elem_two_pass', 'ns_per_elem_three_pass_reload']) {
    assert.equal(typeof out.metrics[k], 'number', k);
  }
  assert.equal(out.metrics.nonfinite_outputs, 0);
  assert.ok(out.metrics.max_rel_err_two_pass < 1e-5);
  assert.ok(out.metrics.nonfinite_outputs_naive > 0, 'R = 1000 overflows the naive formula');
});

test('bad arguments exit with code 2 and one line naming the problem', () => {
  const cases = [
    [['run', 'no-such-lesson'], /unknown lesson 'no-such-lesson'/],
    [['run', 'two-pass-softmax', '--set', 'bogus=1'], /unknown parameter 'bogus'/],
    [['run', 'two-pass-softmax', '--set', 'n=abc'], /n: 'abc' is not a number/],
    [['run', 'two-pass-softmax', '--set', 'n=nan'], /not a number/],
    [['run', 'two-pass-softmax', '--set', 'noequals'], /expected key=value/],
    [['run', 'two-pass-softmax', '--steps', '-3'], /--steps/],
    [['run', 'two-pass-softmax', '--seed', 'x'], /seed/],
    [['run', 'two-pass-softmax', '--frobnicate'], /unknown argument/],
    [['frobnicate'], /unknown command/],
    [['list', '--xml'], /only --json/],
  ];
  for (const [name, run] of Object.entries(builds)) {
    for (const [args, pattern] of cases) {
      const r = run(args);
      assert.equal(r.status, 2, `${name} ${args.join(' ')}: exit ${r.status}`);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, `${name} ${args.join(' ')}: ${r.stderr}`);
      assert.match(lines[0], pattern);
    }
  }
});

test('out-of-range values are clamped with a note, not rejected', () => {
  const r = builds.native(['run', 'two-pass-softmax', '--steps', '0', '--set', 'range=1e12', '--json']);
  assert.equal(r.status, 0);
  assert.match(r.stderr, /above the maximum/);
  assert.equal(JSON.parse(r.stdout).params.range, 10000);
});

// --json prints %.17g, so JSON.parse gives back the exact double each side
// computed: the comparison below is bit for bit.
test('same seed, same numbers: native and wasm agree on every deterministic metric', () => {
  for (const l of lessons) {
    const args = ['run', l.id, '--steps', '2', '--seed', '11', '--json'];
    args.push(...small(l.id));
    const a = json(builds.native, args);
    const b = json(builds.wasm, args);
    assert.deepEqual(b.params, a.params, l.id);
    assert.equal(b.steps, a.steps, l.id);
    for (const [k, v] of Object.entries(a.metrics)) {
      if (a.timing.includes(k)) continue;
      assert.equal(b.metrics[k], v, `${l.id}.${k}: native ${v}, wasm ${b.metrics[k]}`);
    }
  }
});

// ------------------------------------------------------------------- doc
test('doc prints each lesson as Markdown: the walkthrough, knobs, metrics, views and outputs', () => {
  for (const l of lessons) {
    const a = builds.native(['doc', l.id]);
    assert.equal(a.status, 0, a.stderr);
    const md = a.stdout;
    assert.ok(md.startsWith('# ' + l.title), l.id);
    for (const h of ['## The problem', '## The method', '## Try this', '## What the paper reports', '## Knobs',
      '## Metrics', '## Views']) assert.ok(md.includes('\n' + h + '\n'), `${l.id}: ${h}`);
    assert.ok(md.includes('\n## Outputs (`playground-cli run ' + l.id + ' --export DIR`)\n'), `${l.id}: outputs`);
    assert.match(md, /\| quantity \| paper reports \| live, here \| setting \|/);
    const b = builds.wasm(['doc', l.id]);
    assert.equal(b.stdout, md, `${l.id}: native and wasm docs differ`);
  }
  const bad = builds.native(['doc', 'nope']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /unknown lesson 'nope'/);
});

// ---------------------------------------------------------------- export
function parseNpy(buf) {
  assert.equal(buf.subarray(0, 6).toString('latin1'), '\x93NUMPY');
  assert.equal(buf[6], 1);
  const len = buf.readUInt16LE(8);
  assert.equal((10 + len) % 64, 0, 'header padded to 64 bytes');
  const header = buf.subarray(10, 10 + len).toString('latin1');
  const m = header.match(/^\{'descr': '(<f[48])', 'fortran_order': False, 'shape': \(([0-9, ]*)\), \} *\n$/);
  assert.ok(m, 'header: ' + header);
  const shape = m[2].split(',').map((x) => x.trim()).filter((x) => x).map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const bytes = m[1] === '<f8' ? 8 : 4;
  assert.equal(buf.length - 10 - len, count * bytes, 'payload size');
  const data = m[1] === '<f8' ? new Float64Array(buf.buffer.slice(buf.byteOffset + 10 + len, buf.byteOffset + buf.length))
    : new Float32Array(buf.buffer.slice(buf.byteOffset + 10 + len, buf.byteOffset + buf.length));
  return { shape, data };
}

test('run --export writes run.json, one CSV per series and one NPY per array, identical native and wasm', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pg-export-'));
  try {
    for (const l of lessons) {
      const args = ['run', l.id, '--steps', '3', '--seed', '4'];
      args.push(...small(l.id));
      const dirs = {};
      for (const [name, run] of Object.entries(builds)) {
        dirs[name] = path.join(tmp, l.id + '-' + name);
        const r = run([...args, '--export', dirs[name]]);
        assert.equal(r.status, 0, `${name} ${l.id}: ${r.stderr}`);
      }
      const runs = {};
      for (const name of Object.keys(builds)) runs[name] = JSON.parse(fs.readFileSync(path.join(dirs[name], 'run.json'), 'utf8'));
      const a = runs.native, b = runs.wasm;
      assert.equal(a.id, l.id);
      assert.equal(a.seed, 4);
      assert.match(a.platform, /^native /);
      assert.match(b.platform, /^wasm /);
      for (const k of Object.keys(a.metrics)) if (!a.timing.includes(k)) assert.equal(b.metrics[k], a.metrics[k], `${l.id}.${k}`);
      assert.deepEqual(b.series, a.series);
      assert.deepEqual(b.arrays, a.arrays);
      assert.ok(a.series.length + a.arrays.length > 0, `${l.id} exports something`);
      for (const s of a.series) {
        const csv = fs.readFileSync(path.join(dirs.native, s + '.csv'), 'utf8');
        const header = csv.split('\n')[0].split(',');
        assert.ok(header.length >= 1 && header.every((c) => c.length > 0), `${l.id}/${s}.csv header`);
        if (a.timing_outputs.includes(s)) continue;  // wall-clock series differ run to run
        assert.equal(fs.readFileSync(path.join(dirs.wasm, s + '.csv'), 'utf8'), csv, `${l.id}/${s}.csv differs`);
      }
      for (const arr of a.arrays) {
        if (a.timing_outputs.includes(arr)) continue;
        const buf = fs.readFileSync(path.join(dirs.native, arr + '.npy'));
        parseNpy(buf);
        assert.ok(buf.equals(fs.readFileSync(path.join(dirs.wasm, arr + '.npy'))), `${l.id}/${arr}.npy differs`);
      }
    }
    // two-pass-softmax: the input and every variant's output, (n,) float32,
    // enough to recompute its accuracy headline outside.
    const dir = path.join(tmp, 'two-pass-softmax-native');
    const x = parseNpy(fs.readFileSync(path.join(dir, 'x.npy')));
    assert.deepEqual(x.shape, [2048]);
    for (const v of ['three_pass_reload', 'three_pass_recompute', 'two_pass', 'online']) {
      const y = parseNpy(fs.readFileSync(path.join(dir, 'y_' + v + '.npy')));
      assert.deepEqual(y.shape, [2048]);
      const sum = y.data.reduce((p, q) => p + q, 0);
      assert.ok(Math.abs(sum - 1) < 1e-4, v + ' sums to ' + sum);
    }
    const bad = builds.native(['run', 'two-pass-softmax', '--steps', '0', '--export']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--export: missing directory/);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
