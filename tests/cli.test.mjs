// The CLI contract (issue: "playground-cli list --json", "run ... --json",
// exit code 2 with a one-line message on bad input), for the native binary
// and its wasm build under node - and the promise behind "same seed, same
// numbers": every deterministic metric is bit-identical native and wasm.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
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

test('list --json describes every lesson', () => {
  assert.ok(lessons.length >= 1);
  for (const l of lessons) {
    for (const k of ['id', 'title', 'section', 'kind', 'paper', 'year', 'arxiv', 'code']) assert.ok(k in l, `${l.id}: ${k}`);
    assert.match(l.id, /^[a-z0-9-]+$/);
    assert.ok(['kernel', 'trainer', 'icl', 'analysis'].includes(l.kind));
  }
  assert.deepEqual(json(builds.wasm, ['list', '--json']), lessons);
});

test('run --json prints id, seed, steps, params and metrics', () => {
  const out = json(builds.native, ['run', 'two-pass-softmax', '--steps', '8', '--seed', '5', '--set', 'n=4096',
    '--set', 'range=1000', '--json']);
  assert.equal(out.id, 'two-pass-softmax');
  assert.equal(out.seed, 5);
  assert.equal(out.steps, 8);  // one timing of each variant, SIMD and scalar
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
  const r = builds.native(['run', 'two-pass-softmax', '--steps', '0', '--set', 'n=1e12', '--json']);
  assert.equal(r.status, 0);
  assert.match(r.stderr, /above the maximum/);
  assert.equal(JSON.parse(r.stdout).params.n, 4194304);
});

test('same seed, same numbers: native and wasm agree on every deterministic metric', () => {
  for (const l of lessons) {
    const args = ['run', l.id, '--steps', '2', '--seed', '11', '--json'];
    if (l.kind === 'kernel') args.push('--set', 'n=2048');
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
