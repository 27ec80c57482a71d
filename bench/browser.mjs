// browser.mjs - what a learner waits for, measured in headless Chromium
// (issue 12): the cold start, the speed of training in the page against the
// wasm CLI on the same lesson and settings, the app's own work per frame
// meanwhile, and how fast Pause takes effect.
//
//   node bench/browser.mjs [--seconds=S] [--filter=id] [--out=build/bench]
//
// Needs build/web (scripts/build).  Prints a table and merges its figures into
// <out>/results.json under "browser" (bench/run --browser runs it after the
// kernel figures; it can also run alone).
//
// Cold start: navigation start to the 'playground-first-frame' performance mark
// (web/app.cpp sets it after the first frame is drawn), median of 5 loads of a
// fresh page (the HTTP cache is warm after the first, as it is for a learner
// coming back; the first load is printed too).
// In-page speed: the lesson's hash state, Play, 1 s of warm-up, then the steps
// sampled every 200 ms for `seconds`, the rate taken over the samples while
// the run still moved (a short run ends inside the window: "run ended early").  CLI speed: `node playground-cli.js run` for
// N and for 0 steps (the difference removes start-up and data loading), N set
// so that the run takes a few seconds.
// Per-frame work: playground.frameStats().work_p95_ms at the end of the window
// (the main loop keeps it over its last 120 frames).
// Pause: a mouse click on the Pause button (its place from playground.layout()),
// timed from the click's dispatch until metrics().playing is false and, for a
// lesson in the training worker (web/worker_link.h), until the worker's last
// snapshot says it stopped (-1: it did not stop within 5 s).  "trained in"
// says whether the run was in the worker or on the page's thread.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { startServer, launchBrowser } from '../tests/e2e/helpers.mjs';

const top = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, fallback) => {
  const a = process.argv.find((s) => s.startsWith(`--${name}=`));
  return a ? a.slice(name.length + 3) : fallback;
};
const seconds = Number(arg('seconds', '8'));
const filter = arg('filter', '');
const outDir = path.resolve(top, arg('out', 'build/bench'));

// One lesson of each kind that trains on Play, with the settings both sides use.
// cliSteps: steps the CLI times (a few seconds of wasm).
const cases = [
  { id: 'cnn-svm', knobs: { dataset: 'mnist' }, cliSteps: 400 },
  { id: 'icl-multihead', knobs: { steps: '20000' }, cliSteps: 8000 },
  { id: 'z-loss', knobs: { dataset: 'mnist', steps: '20000' }, cliSteps: 600 },
  { id: 'ignite', knobs: {}, cliSteps: 400 },
  { id: 'noprop', knobs: {}, cliSteps: 200 },
  { id: 'loss-landscape', knobs: {}, cliSteps: 300 },
].filter((c) => !filter || c.id.includes(filter));

function cliSeconds(c, steps) {
  const args = ['--no-experimental-fetch', path.join(top, 'build/web/playground-cli.js'), 'run', c.id, '--steps', String(steps)];
  for (const [k, v] of Object.entries(c.knobs)) args.push('--set', `${k}=${v}`);
  const t0 = process.hrtime.bigint();
  const r = spawnSync('node', args, { cwd: top, encoding: 'utf8' });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`CLI ${c.id} failed: ${r.stderr}`);
  const m = /steps:\s*(\d+)/.exec(r.stdout) || /"steps":(\d+)/.exec(r.stdout);
  return { seconds: s, steps: m ? Number(m[1]) : steps };
}

function cliStepsPerSecond(c) {
  const base = Math.min(cliSeconds(c, 0).seconds, cliSeconds(c, 0).seconds);
  const full = cliSeconds(c, c.cliSteps);
  return full.steps / Math.max(1e-3, full.seconds - base);
}

async function coldStart(browser, url) {
  const loads = [];
  for (let i = 0; i < 6; ++i) {
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, serviceWorkers: 'block' });
    const page = await context.newPage();
    await page.goto(url + 'index.html');
    const ms = await page.evaluate(() => new Promise((resolve) => {
      const check = () => {
        const e = performance.getEntriesByName('playground-first-frame');
        if (e.length) resolve(e[0].startTime);
        else setTimeout(check, 5);
      };
      check();
    }));
    loads.push(ms);
    await context.close();
  }
  const warm = loads.slice(1).sort((a, b) => a - b);
  return { first_load_ms: loads[0], median_ms: warm[Math.floor(warm.length / 2)], loads_ms: loads };
}

async function inPage(browser, url, c) {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const page = await context.newPage();
  const hash = c.id + (Object.keys(c.knobs).length ? '?' + new URLSearchParams(c.knobs).toString() : '');
  await page.goto(url + 'index.html#' + hash);
  await page.waitForFunction(() => window.playground && window.playground.lessons().length > 0, null, { timeout: 60000 });
  // Data packs: wait until the lesson stops waiting (a pack lesson cannot step before).
  await page.waitForFunction(() => {
    const m = window.playground.metrics();
    return m && m.ok !== false && !/loading|waiting/i.test(m.problem || '');
  }, null, { timeout: 120000 });
  // The training worker loads a moment after the page (a second here): a
  // learner's Play normally finds it ready.  Without it the page trains itself.
  await page.waitForFunction(() => window.playground.frameStats().worker_ready, null, { timeout: 30000 }).catch(() => {});
  await page.evaluate(() => window.playground.play(true));
  await page.waitForTimeout(1000);
  // Steps sampled every 200 ms; the rate is over the samples while the run
  // was still moving (a short run may end inside the window).
  const samples = [];
  const p95 = [];
  for (let k = 0; k < seconds * 5; ++k) {
    samples.push(await page.evaluate(() => ({ steps: window.playground.metrics().steps, t: performance.now() })));
    if (k % 5 === 4) p95.push(await page.evaluate(() => window.playground.frameStats()));
    await page.waitForTimeout(200);
  }
  let last = samples.length - 1;
  while (last > 0 && samples[last].steps === samples[last - 1].steps) --last;
  const s0 = samples[0], s1 = samples[last];
  const state = await page.evaluate(() => ({ worker: !!window.playground.metrics().worker }));
  s1.done = last < samples.length - 1;
  s1.worker = state.worker;
  // Pause, clicked where the app drew it (a real mouse click through CDP),
  // timed until the app reports it stopped: not playing, and, when the
  // training worker has the run, its last snapshot says it stopped too.
  let pause = null;
  const button = await page.evaluate(() => {
    const l = window.playground.layout();
    const m = window.playground.metrics();
    return l && l.buttons && m.playing && !m.done ? l.buttons.pause || null : null;
  });
  if (button) {
    const t0 = performance.now();
    await page.mouse.click(button.x + button.w / 2, button.y + button.h / 2);
    await page.waitForFunction(() => {
      const m = window.playground.metrics();
      return !m.playing && !m.worker_busy;
    }, null, { timeout: 5000, polling: 'raf' })
      .then(() => { pause = performance.now() - t0; }, () => { pause = -1; });
  }
  await context.close();
  const steps = s1.steps - s0.steps;
  return {
    steps_per_second: s1.t > s0.t ? steps / ((s1.t - s0.t) / 1000) : NaN,
    measured_seconds: (s1.t - s0.t) / 1000,
    finished_early: s1.done,
    in_worker: s1.worker,
    // The main loop's p95 is over its last 120 frames: the last sample's window
    // lies inside the measurement (earlier ones still hold the pack's arrival).
    work_p95_ms: p95[p95.length - 1].work_p95_ms,
    frame_ms: p95[p95.length - 1].frame_ms,
    budget_ms: p95[p95.length - 1].budget_ms,
    draw_ms: p95[p95.length - 1].draw_ms,
    unit_ms: p95[p95.length - 1].unit_ms,
    pause_ms: pause,
  };
}

const server = await startServer();
const browser = await launchBrowser();
const result = { seconds, lessons: {} };
try {
  result.cold_start = await coldStart(browser, server.url);
  for (const c of cases) {
    const page = await inPage(browser, server.url, c);
    const cli = cliStepsPerSecond(c);
    result.lessons[c.id] = { knobs: c.knobs, page, cli_steps_per_second: cli, page_vs_cli: page.steps_per_second / cli };
  }
} finally {
  await browser.close();
  server.close();
}

const pad = (s, n) => String(s).padEnd(n);
const f = (x, d = 1) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(d) : String(x));
console.log(`cold start: ${f(result.cold_start.median_ms, 0)} ms (median of 5 reloads; first load ${f(result.cold_start.first_load_ms, 0)} ms)`);
console.log(pad('lesson', 16) + pad('page steps/s', 14) + pad('CLI steps/s', 13) + pad('page/CLI', 10) +
  pad('work p95 ms', 13) + pad('frame ms', 10) + pad('budget ms', 11) + pad('pause ms', 10) + 'trained in');
for (const [id, r] of Object.entries(result.lessons)) {
  console.log(pad(id, 16) + pad(f(r.page.steps_per_second), 14) + pad(f(r.cli_steps_per_second), 13) +
    pad(f(r.page_vs_cli, 2), 10) + pad(f(r.page.work_p95_ms), 13) + pad(f(r.page.frame_ms), 10) +
    pad(f(r.page.budget_ms), 11) + pad(r.page.pause_ms === null ? '-' : f(r.page.pause_ms, 0), 10) +
    (r.page.in_worker ? 'worker' : 'page') +
    (r.page.finished_early ? '  (run ended early)' : ''));
}
fs.mkdirSync(outDir, { recursive: true });
const file = path.join(outDir, 'results.json');
let all = {};
try { all = JSON.parse(fs.readFileSync(file, 'utf8')); } catch { all = {}; }
all.browser = result;
fs.writeFileSync(file, JSON.stringify(all, null, 2) + '\n');
console.log(`wrote ${path.relative(top, file)} (browser)`);
