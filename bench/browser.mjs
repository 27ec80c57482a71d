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
// (web/app.cpp sets it after the first frame is drawn): a first visit (fresh
// browser contexts, empty HTTP cache) and coming back (one context, its cache
// warm), medians of 9 loads each (coldStart).
// In-page speed: the lesson's hash state, Play, 1 s of warm-up, then the steps
// sampled every 200 ms for `seconds`, the rate taken over the samples while
// the run still moved (a run that ends inside the window: "run ended early").
// CLI speed: `node playground-cli.js run` for N and for 2N steps (the
// difference removes start-up, data loading and warm-up), N scaled so that
// N steps take about 3 s, the median of three pairs (cliStepsPerSecond).
// Per-frame work: playground.frameStats().work_p95_ms at the end of the window
// (the main loop keeps it over the frames it built in the last 3 s).
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

// One lesson of each kind that trains on Play, with the settings both sides
// use: runs long enough to outlast the page's window.  cliSteps: the CLI's
// first guess; it is scaled until a run takes about three seconds.
const cases = [
  { id: 'cnn-svm', knobs: { dataset: 'mnist' }, cliSteps: 100 },
  { id: 'icl-multihead', knobs: { steps: '20000' }, cliSteps: 8000 },
  { id: 'z-loss', knobs: { dataset: 'mnist', steps: '20000' }, cliSteps: 1000 },
  { id: 'ignite', knobs: { train_steps: '5000' }, cliSteps: 400 },
  { id: 'noprop', knobs: { steps: '20000' }, cliSteps: 1500 },
  // An analysis lesson: a short training run, then a few long analysis
  // units (Lanczos, SLQ, landscapes).  Its rate is no steady figure: the
  // whole run is timed on both sides, Play to done and a full CLI run.
  { id: 'loss-landscape', knobs: {}, whole: true },
].filter((c) => !filter || c.id.includes(filter));

// steps: null runs the lesson's whole run.
function cliSeconds(c, steps) {
  const args = ['--no-experimental-fetch', path.join(top, 'build/web/playground-cli.js'), 'run', c.id];
  if (steps !== null) args.push('--steps', String(steps));
  for (const [k, v] of Object.entries(c.knobs)) args.push('--set', `${k}=${v}`);
  const t0 = process.hrtime.bigint();
  const r = spawnSync('node', args, { cwd: top, encoding: 'utf8' });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`CLI ${c.id} failed: ${r.stderr}`);
  const m = /steps:?\s+(\d+)/.exec(r.stdout) || /"steps":(\d+)/.exec(r.stdout);
  return { seconds: s, steps: m ? Number(m[1]) : steps };
}

// Steps per second of the wasm CLI, steady state: a run of N steps and one
// of 2N, the rate from their difference (start-up, data loading, the first
// evaluation and the engine's warm-up cancel out, as the page's 1 s of
// warm-up leaves them out); N scaled until N steps take about 3 s; the
// median of three pairs.  A whole-run case times the full run instead
// (minus a 0-step run's start-up).
function cliStepsPerSecond(c) {
  if (c.whole) {
    const base = Math.min(cliSeconds(c, 0).seconds, cliSeconds(c, 0).seconds);
    const rates = [0, 1, 2].map(() => {
      const run = cliSeconds(c, null);
      return run.steps / Math.max(1e-3, run.seconds - base);
    }).sort((a, b) => a - b);
    return rates[1];
  }
  const base = cliSeconds(c, 0).seconds;
  let n = c.cliSteps;
  for (let k = 0; k < 3; ++k) {
    const t = cliSeconds(c, n).seconds - base;
    if (t >= 2) break;
    n = Math.ceil(n * 3 / Math.max(t, 0.05));
  }
  const rates = [];
  for (let k = 0; k < 3; ++k) {
    const a = cliSeconds(c, n), b = cliSeconds(c, 2 * n);
    rates.push((b.steps - a.steps) / Math.max(1e-3, b.seconds - a.seconds));
  }
  rates.sort((x, y) => x - y);
  return rates[1];
}

// Navigation to the first drawn frame of the page, once.
async function firstFrameMs(context, url) {
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
  await page.close();
  return ms;
}

// Two series of 9 loads (service worker blocked: the network path):
//  - a first visit: each load in a fresh browser context, with an empty HTTP
//    cache (after one load to start the browser's GPU process);
//  - coming back: the loads in one context, a new page each, its HTTP cache
//    warm (files revalidated, 304, web/serve.mjs; V8 keeps the compiled
//    engine with the cached .wasm).
async function coldStart(browser, url) {
  const options = { viewport: { width: 1366, height: 768 }, serviceWorkers: 'block' };
  const fresh = [];
  for (let i = 0; i < 10; ++i) {
    const context = await browser.newContext(options);
    fresh.push(await firstFrameMs(context, url));
    await context.close();
  }
  const context = await browser.newContext(options);
  const back = [];
  for (let i = 0; i < 10; ++i) back.push(await firstFrameMs(context, url));
  await context.close();
  const median = (v) => { const s = v.slice(1).sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
  return {
    first_load_ms: fresh[0], first_visit_median_ms: median(fresh), median_ms: median(back),
    first_visit_loads_ms: fresh, loads_ms: back,
  };
}

// Pause, clicked where the app drew it (a real mouse click through CDP):
// the time from just before the click is sent until the app reports the run stopped
// (metrics: not playing, and, with the training worker, its last snapshot
// says it stopped; polled every 2 ms), and until the next animation frame
// after that (the frame that shows it).  Three clicks, a second of training
// before each; the medians.  -1: it did not stop within 5 s.
async function measurePause(page) {
  const runs = [];
  for (let k = 0; k < 3; ++k) {
    const button = await page.evaluate(() => {
      const l = window.playground.layout();
      const m = window.playground.metrics();
      return l && l.buttons && m.playing && !m.done ? l.buttons.pause || null : null;
    });
    if (!button) break;
    await page.evaluate(() => {
      window.pgBenchPause = new Promise((resolve) => {
        const t0 = performance.now();
        const poll = () => {
          const m = window.playground.metrics();
          if (!m.playing && !m.worker_busy) {
            const stopped = performance.now();
            requestAnimationFrame(() => resolve({ t0, stopped, shown: performance.now() }));
          } else if (performance.now() - t0 > 5000) resolve(null);
          else setTimeout(poll, 2);
        };
        poll();
      });
    });
    // The page's clock starts just before the click is sent (the span
    // includes its trip through CDP).
    await page.mouse.click(button.x + button.w / 2, button.y + button.h / 2);
    const r = await page.evaluate(() => window.pgBenchPause);
    runs.push(r ? { stopped_ms: r.stopped - r.t0, shown_ms: r.shown - r.t0 } : { stopped_ms: -1, shown_ms: -1 });
    await page.evaluate(() => window.playground.play(true));
    await page.waitForTimeout(1000);
  }
  const median = (key) => {
    const v = runs.map((r) => r[key]).sort((a, b) => a - b);
    return v.length ? v[Math.floor(v.length / 2)] : null;
  };
  return { stopped_ms: median('stopped_ms'), shown_ms: median('shown_ms'), runs };
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
  if (c.whole) {
    // Play to done, polled every 5 ms, after the page's own start (opening
    // the lesson) has left the 3 s window of the work figure.
    await page.waitForTimeout(3000);
    const run = await page.evaluate(() => new Promise((resolve) => {
      const t0 = performance.now();
      window.playground.play(true);
      const poll = () => {
        const m = window.playground.metrics();
        if (m.done) resolve({ seconds: (performance.now() - t0) / 1000, steps: m.steps, worker: !!m.worker, stats: window.playground.frameStats() });
        else setTimeout(poll, 5);
      };
      poll();
    }));
    await context.close();
    return {
      steps_per_second: run.steps / run.seconds, measured_seconds: run.seconds, finished_early: false, whole_run: true,
      in_worker: run.worker, work_p95_ms: run.stats.work_p95_ms, frame_ms: run.stats.frame_ms, drawn_per_second: NaN,
      draw_cost_ms: run.stats.draw_cost_ms, data_interval_ms: run.stats.data_interval_ms, pause_ms: null, pause_shown_ms: null,
    };
  }
  await page.evaluate(() => window.playground.play(true));
  await page.waitForTimeout(1000);
  // Steps sampled every 200 ms, with the main loop's figures; the rate is
  // over the samples while the run was still moving (a short run may end
  // inside the window).
  const samples = [];
  for (let k = 0; k < seconds * 5; ++k) {
    samples.push(await page.evaluate(() => ({
      steps: window.playground.metrics().steps, t: performance.now(), stats: window.playground.frameStats(),
    })));
    await page.waitForTimeout(200);
  }
  let last = samples.length - 1;
  while (last > 0 && samples[last].steps === samples[last - 1].steps) --last;
  const s0 = samples[0], s1 = samples[last];
  const worker = await page.evaluate(() => !!window.playground.metrics().worker);
  const done = last < samples.length - 1;
  // Pause (measurePause); a run that ended is started again for it (reset,
  // Play, 1.5 s).
  if (done) {
    await page.evaluate(() => { window.playground.reset(); window.playground.play(true); });
    await page.waitForTimeout(1500);
  }
  const pause = await measurePause(page);
  await context.close();
  const steps = s1.steps - s0.steps;
  const seconds_ = (s1.t - s0.t) / 1000;
  const per_second = (key) => (seconds_ > 0 ? (s1.stats[key] - s0.stats[key]) / seconds_ : NaN);
  return {
    steps_per_second: seconds_ > 0 ? steps / seconds_ : NaN,
    measured_seconds: seconds_,
    finished_early: done,
    in_worker: worker,
    // Over the frames the main loop built in the 3 s before the last sample
    // of the moving run.
    work_p95_ms: s1.stats.work_p95_ms,
    frame_ms: s1.stats.frame_ms,
    // Frames built and drawn per second (web/redraw.h), and the spacing of
    // frames for new data that the page chose from what drawing costs.
    built_per_second: per_second('built'),
    drawn_per_second: per_second('drawn'),
    draw_cost_ms: s1.stats.draw_cost_ms,
    data_interval_ms: s1.stats.data_interval_ms,
    pause_ms: pause.stopped_ms,
    pause_shown_ms: pause.shown_ms,
    pause_runs_ms: pause.runs,
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
console.log(`cold start: ${f(result.cold_start.first_visit_median_ms, 0)} ms on a first visit (empty HTTP cache), ${f(result.cold_start.median_ms, 0)} ms coming back (warm cache); medians of 9 loads each (the browser's very first load: ${f(result.cold_start.first_load_ms, 0)} ms)`);
console.log(pad('lesson', 16) + pad('page steps/s', 14) + pad('CLI steps/s', 13) + pad('page/CLI', 10) +
  pad('work p95 ms', 13) + pad('drawn/s', 9) + pad('draw cost ms', 14) + pad('pause ms', 10) + pad('shown ms', 10) + 'trained in');
for (const [id, r] of Object.entries(result.lessons)) {
  console.log(pad(id, 16) + pad(f(r.page.steps_per_second), 14) + pad(f(r.cli_steps_per_second), 13) +
    pad(f(r.page_vs_cli, 2), 10) + pad(f(r.page.work_p95_ms), 13) + pad(f(r.page.drawn_per_second), 9) +
    pad(f(r.page.draw_cost_ms), 14) + pad(r.page.pause_ms === null ? '-' : f(r.page.pause_ms, 0), 10) +
    pad(r.page.pause_shown_ms === null ? '-' : f(r.page.pause_shown_ms, 0), 10) +
    (r.page.in_worker ? 'worker' : 'page') +
    (r.page.finished_early ? '  (run ended early)' : '') + (r.page.whole_run ? '  (whole run, Play to done)' : ''));
}
fs.mkdirSync(outDir, { recursive: true });
const file = path.join(outDir, 'results.json');
let all = {};
try { all = JSON.parse(fs.readFileSync(file, 'utf8')); } catch { all = {}; }
all.browser = result;
fs.writeFileSync(file, JSON.stringify(all, null, 2) + '\n');
console.log(`wrote ${path.relative(top, file)} (browser)`);
