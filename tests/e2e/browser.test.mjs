// Browser end-to-end tests in headless Chromium: what a learner, a teacher
// and a course page do, checked on the real page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  top, startServer, launchBrowser, watchErrors, openPlayground, frames, canvasInk, knobBox, dragSlider, deterministic,
} from './helpers.mjs';

let server, browser;
const registry = JSON.parse(spawnSync(path.join(top, 'build/native/playground-cli'), ['list', '--json'],
  { encoding: 'utf8' }).stdout);

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  server?.close();
});

async function newPage(options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
  const page = await context.newPage();
  const errors = watchErrors(page);
  return { page, errors, context };
}

test('the page loads without console errors and the gallery lists every registered lesson', async () => {
  const { page, errors, context } = await newPage();
  await openPlayground(page, server.url);
  const ids = await page.$$eval('.lesson', (els) => els.map((e) => e.dataset.id));
  assert.deepEqual(ids, registry.map((l) => l.id));
  const sections = await page.$$eval('#lesson-list h2', (els) => els.map((e) => e.textContent));
  assert.deepEqual(sections, [...new Set(registry.map((l) => l.section))]);
  // The filter box narrows the list, and says so when nothing matches.
  await page.fill('#filter', 'zzzz-no-match');
  assert.equal(await page.locator('.lesson').count(), 0);
  assert.match(await page.textContent('#lesson-list'), /No lesson matches/);
  await page.fill('#filter', registry[0].title.slice(0, 8));
  assert.ok(await page.locator('.lesson').count() >= 1);
  assert.deepEqual(errors, []);
  await context.close();
});

// Every lesson's canvas is checked for ink in layout.test.mjs (1366x768);
// here the gallery opens one lesson of each kind.
test('a click in the gallery opens a lesson of each kind, and it draws a non-blank canvas', async () => {
  const { page, errors, context } = await newPage();
  await openPlayground(page, server.url);
  for (const l of registry.filter((x, i) => registry.findIndex((y) => y.kind === x.kind) === i)) {
    await page.click(`.lesson[data-id="${l.id}"]`);
    await frames(page, 10);
    assert.match(page.url(), new RegExp('#' + l.id + '\\?'));
    const ink = await canvasInk(page);
    assert.ok(ink.inkFraction > 0.03 && ink.distinctColors > 30, `${l.id}: ${JSON.stringify(ink)}`);
  }
  assert.deepEqual(errors, []);
  await context.close();
});

test('a mouse drag on a slider changes the URL hash and a metric', async () => {
  const { page, errors, context } = await newPage();
  await openPlayground(page, server.url, 'two-pass-softmax?seed=4');
  await frames(page, 5);
  const before = await page.evaluate(() => playground.metrics());
  assert.equal(await page.evaluate(() => playground.get('n').value), '65536');
  await dragSlider(page, 'n', 0.6, 0.15);
  const n = Number(await page.evaluate(() => playground.get('n').value));
  assert.ok(n < 65536, 'n after the drag: ' + n);
  assert.match(page.url(), new RegExp('n=' + n + '(&|$)'));
  const after = await page.evaluate(() => playground.metrics());
  assert.notEqual(after.metrics.sum_minus_one_two_pass, before.metrics.sum_minus_one_two_pass);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a pasted URL reproduces the state in a new tab', async () => {
  const { page, errors, context } = await newPage();
  await openPlayground(page, server.url, 'two-pass-softmax');
  await page.evaluate(() => {
    playground.set('n', 3000);
    playground.set('range', 500);
    playground.reset(42);
  });
  await frames(page, 3);
  const url = page.url();
  assert.match(url, /#two-pass-softmax\?n=3000&range=500&seed=42/);
  const a = await page.evaluate(() => playground.metrics());
  const tab = await context.newPage();
  const tabErrors = watchErrors(tab);
  await tab.goto(url);
  await tab.waitForFunction(() => window.playground && window.playground.lessons().length > 0);
  await frames(tab, 3);
  assert.equal(await tab.evaluate(() => playground.state()), await page.evaluate(() => playground.state()));
  const b = await tab.evaluate(() => playground.metrics());
  assert.deepEqual(deterministic(b), deterministic(a));
  assert.deepEqual([...errors, ...tabErrors], []);
  await context.close();
});

test('the embed example: two lessons in iframes, one driven by postMessage', async () => {
  const { page, errors, context } = await newPage({ viewport: { width: 1100, height: 1400 } });
  await page.goto(server.url + 'embed-example.html');
  const frameA = page.frameLocator('#lesson-a');
  const frames2 = () => page.frames().filter((f) => f !== page.mainFrame());
  await page.waitForFunction(() => [...document.querySelectorAll('iframe')].every((f) =>
    f.contentWindow.playground && f.contentWindow.playground.lessons().length > 0), null, { timeout: 30000 });
  const [a, b] = frames2();
  // Embed mode: no header or gallery, the lesson's settings from the URL, hidden knob not drawn.
  assert.equal(await a.evaluate(() => document.body.classList.contains('embed')), true);
  assert.equal(await a.evaluate(() => getComputedStyle(document.getElementById('gallery')).display), 'none');
  assert.match(await a.evaluate(() => playground.state()), /^two-pass-softmax\?n=1024&range=200&seed=7&embed=1&view=demo&hide=simd$/);
  // view=demo: the knobs and the views, no walkthrough text.
  assert.equal(await a.evaluate(() => playground.layout().text), null);
  assert.ok((await a.evaluate(() => playground.layout().views.length)) >= 1);
  await a.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  assert.equal(await a.evaluate(() => JSON.parse(Module.ccall('pg_knob_rect', 'string', ['string'], ['simd'])).ok), false);
  assert.equal(await a.evaluate(() => JSON.parse(Module.ccall('pg_knob_rect', 'string', ['string'], ['n'])).ok), true);
  assert.ok(await frameA.locator('#canvas').isVisible());
  // postMessage round trip: set a knob, read the reply's metrics.
  const reply = await page.evaluate(() => embedExample.send('set', ['n', 4096]));
  assert.equal(reply.ok, true);
  assert.equal(reply.result.value, '4096');
  assert.equal(typeof reply.metrics.max_rel_err_two_pass, 'number');
  assert.match(await b.evaluate(() => playground.state()), /n=4096/);
  const metrics = await page.evaluate(() => embedExample.send('metrics'));
  assert.equal(metrics.ok, true);
  // A bad value comes back as an error, and nothing is injected anywhere.
  const bad = await page.evaluate(() => embedExample.send('set', ['n', '<img src=x onerror="window.pwned=1">']));
  assert.equal(bad.ok, false);
  assert.match(bad.error, /not a number/);
  const unknown = await page.evaluate(() => embedExample.send('explode', []));
  assert.equal(unknown.ok, false);
  assert.equal(await page.evaluate(() => document.querySelectorAll('img').length + (window.pwned || 0)), 0);
  assert.equal(await b.evaluate(() => document.querySelectorAll('img').length + (window.pwned || 0)), 0);
  assert.deepEqual(errors, []);
  await context.close();
});

test('bad input anywhere gives a message and a working page, never a crash or injected markup', async () => {
  const { page, errors, context } = await newPage();
  await openPlayground(page, server.url, 'two-pass-softmax');
  const replies = await page.evaluate(() => [
    playground.set('n', NaN),
    playground.set('n', 'abc'),
    playground.set('n', '<img src=x onerror="window.pwned=1">'),
    playground.set('n', 'x'.repeat(100000)),
    playground.set('n', { toString() { return '5'; } }),
    playground.set({}, 1),
    playground.set('no_such_knob', 1),
    playground.get('no_such_knob'),
    playground.open('no-such-lesson'),
    playground.open('<script>window.pwned=1</script>'),
    playground.open(42),
    playground.reset(-1),
    playground.reset('1e400'),
    playground.step(-5),
    playground.step('many'),
    playground.step(1e12),
  ]);
  for (const r of replies) {
    assert.equal(r.ok, false, JSON.stringify(r));
    assert.equal(typeof r.error, 'string');
  }
  // Huge but finite values are clamped, with a message.
  const clamped = await page.evaluate(() => playground.set('range', 1e308));
  assert.equal(clamped.ok, true);
  assert.equal(clamped.value, '10000');
  await page.evaluate(() => playground.set('n', 2048));
  // Garbage through postMessage is ignored or answered, never thrown.
  await page.evaluate(() => {
    window.postMessage('hello', '*');
    window.postMessage(null, '*');
    window.postMessage({ type: 'playground', op: 'set', args: ['n', { evil: true }] }, '*');
    window.postMessage({ type: 'playground', op: '__proto__' }, '*');
  });
  // A hostile hash.
  await page.evaluate(() => { location.hash = '#<script>window.pwned=1</script>?n=1e999&seed=-1&hide=<b>x</b>'; });
  await frames(page, 5);
  await page.waitForSelector('.toast');
  const toastText = await page.$$eval('.toast', (els) => els.map((e) => e.textContent).join('\n'));
  assert.match(toastText, /unknown lesson|not a number|not one of|seed/);
  assert.equal(await page.evaluate(() => document.querySelectorAll('#toasts *:not(.toast)').length), 0,
    await page.evaluate(() => document.getElementById('toasts').innerHTML));
  assert.equal(await page.evaluate(() => document.querySelectorAll('img, #toasts script').length + (window.pwned || 0)), 0);
  // Still alive: the API answers and the canvas draws.
  assert.equal((await page.evaluate(() => playground.metrics())).ok, true);
  const ink = await canvasInk(page);
  assert.ok(ink.inkFraction > 0.03);
  assert.deepEqual(errors, []);
  await context.close();
});

test('keyboard: space plays and pauses, r resets, arrows change lesson', async () => {
  const { page, errors, context } = await newPage();
  await openPlayground(page, server.url, registry[0].id);
  await page.click('#canvas');
  const playing0 = (await page.evaluate(() => playground.metrics())).playing;
  await page.keyboard.press(' ');
  assert.equal((await page.evaluate(() => playground.metrics())).playing, !playing0);
  await page.keyboard.press(' ');
  await page.keyboard.press('ArrowRight');
  await frames(page, 2);
  const expected = registry[1 % registry.length].id;
  assert.match(await page.evaluate(() => playground.state()), new RegExp('^' + expected + '\\?'));
  await page.keyboard.press('ArrowLeft');
  await frames(page, 2);
  assert.match(await page.evaluate(() => playground.state()), new RegExp('^' + registry[0].id + '\\?'));
  await page.keyboard.press('r');
  assert.deepEqual(errors, []);
  await context.close();
});

test('HiDPI: the canvas backing store follows devicePixelRatio 2 and follows window resizes', async () => {
  const { page, errors, context } = await newPage({ deviceScaleFactor: 2 });
  await openPlayground(page, server.url, 'two-pass-softmax?n=4096');
  await frames(page, 5);
  const size = await page.evaluate(() => {
    const c = document.getElementById('canvas');
    return { w: c.width, h: c.height, cw: c.clientWidth, ch: c.clientHeight };
  });
  assert.ok(Math.abs(size.w - 2 * size.cw) <= 2 && Math.abs(size.h - 2 * size.ch) <= 2, JSON.stringify(size));
  await canvasInk(page, 'hidpi-two-pass-softmax');
  // Sliders still respond at this scale.
  await dragSlider(page, 'n', 0.5, 0.62);
  assert.notEqual(await page.evaluate(() => playground.get('n').value), '4096');
  await page.setViewportSize({ width: 900, height: 600 });
  await frames(page, 5);
  const resized = await page.evaluate(() => {
    const c = document.getElementById('canvas');
    return { w: c.width, cw: c.clientWidth };
  });
  assert.ok(Math.abs(resized.w - 2 * resized.cw) <= 2, JSON.stringify(resized));
  assert.deepEqual(errors, []);
  await context.close();
});

test('an embedded lesson fills its frame: canvas backing store = window size, no band below', async () => {
  // At devicePixelRatio 1 a full-window canvas has the screen's size in a
  // headless browser, the case Emscripten's glfwSetWindowSize turns into a
  // fullscreen request instead of a resize (web/app.cpp); with the top bar
  // hidden the canvas also used to keep its old CSS height (web/style.css).
  const { page, errors, context } = await newPage({ viewport: { width: 640, height: 900 } });
  await openPlayground(page, server.url, 'z-loss?embed=1');
  await frames(page, 5);
  const size = await page.evaluate(() => {
    const c = document.getElementById('canvas');
    return { w: c.width, h: c.height, iw: innerWidth, ih: innerHeight, ch: c.clientHeight };
  });
  assert.deepEqual([size.w, size.h, size.ch], [size.iw, size.ih, size.ih], JSON.stringify(size));
  assert.deepEqual(errors, []);
  await context.close();
});

test('light theme switches both the page and the panel', async () => {
  const { page, errors, context } = await newPage();
  await openPlayground(page, server.url, 'two-pass-softmax');
  await page.click('#theme-toggle');
  await frames(page, 4);
  assert.equal(await page.evaluate(() => document.body.classList.contains('light')), true);
  assert.match(page.url(), /theme=light/);
  await canvasInk(page, 'light-two-pass-softmax');
  assert.deepEqual(errors, []);
  await context.close();
});

test('very long strings are refused before they reach the wasm stack, and the next call still works', async () => {
  const { page, errors, context } = await newPage();
  await openPlayground(page, server.url, 'two-pass-softmax?n=2048');
  const replies = await page.evaluate(() => {
    const huge = 'x'.repeat(2000000);  // 2 M characters: once enough to overflow the 5 MiB stack for good
    return [playground.open(huge), playground.get(huge), playground.set(huge, 1), playground.set('n', huge)];
  });
  for (const r of replies) {
    assert.equal(r.ok, false, JSON.stringify(r).slice(0, 200));
    assert.match(r.error, /too long/);
  }
  const after = await page.evaluate(() => playground.metrics());
  assert.equal(after.ok, true);
  assert.equal((await page.evaluate(() => playground.set('n', 4096))).ok, true);
  // The same through postMessage.
  const reply = await page.evaluate(() => new Promise((resolve) => {
    window.addEventListener('message', function on(e) {
      if (e.data && e.data.type === 'playground-reply' && e.data.id === 'long') {
        window.removeEventListener('message', on);
        resolve(e.data);
      }
    });
    window.postMessage({ type: 'playground', id: 'long', op: 'open', args: ['y'.repeat(1500000)] }, '*');
  }));
  assert.equal(reply.ok, false);
  assert.equal((await page.evaluate(() => playground.metrics())).ok, true);
  assert.deepEqual(errors, []);
  await context.close();
});

test('an unknown lesson in the hash: one toast, and the address shows the state in force', async () => {
  const { page, errors, context } = await newPage();
  await openPlayground(page, server.url, 'two-pass-softmax?n=2048');
  await page.evaluate(() => { location.hash = '#__proto__?constructor=1&prototype=2'; });
  await frames(page, 5);
  await page.waitForSelector('.toast');
  const toasts = await page.$$eval('.toast', (els) => els.map((e) => e.textContent).filter((t) => /unknown lesson/.test(t)));
  assert.equal(toasts.length, 1, JSON.stringify(toasts));
  assert.match(page.url(), /#two-pass-softmax\?/);
  assert.doesNotMatch(page.url(), /__proto__/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('origin= restricts which parent pages may drive the lesson by postMessage', async () => {
  const { page, errors, context } = await newPage();
  await openPlayground(page, server.url, 'two-pass-softmax?n=2048&origin=https%3A%2F%2Fcourse.example.org');
  assert.equal((await page.evaluate(() => playground.get('origin'))).value, 'https://course.example.org');
  // A message from this page's own origin is still obeyed (it is the page itself) ...
  const own = await page.evaluate(() => new Promise((resolve) => {
    window.addEventListener('message', function on(e) {
      if (e.data && e.data.type === 'playground-reply' && e.data.id === 'o1') resolve(e.data);
    });
    window.postMessage({ type: 'playground', id: 'o1', op: 'get', args: ['n'] }, '*');
  }));
  assert.equal(own.ok, true);
  // ... but no message may change the allow-list.
  const change = await page.evaluate(() => new Promise((resolve) => {
    window.addEventListener('message', function on(e) {
      if (e.data && e.data.type === 'playground-reply' && e.data.id === 'o2') resolve(e.data);
    });
    window.postMessage({ type: 'playground', id: 'o2', op: 'set', args: ['origin', ''] }, '*');
  }));
  assert.equal(change.ok, false);
  assert.equal((await page.evaluate(() => playground.get('origin'))).value, 'https://course.example.org');
  const bad = await page.evaluate(() => playground.set('origin', 'javascript:alert(1)'));
  assert.equal(bad.ok, false);
  assert.deepEqual(errors, []);
  await context.close();
});

test('exact-run links: at=N trains to step N and pauses there, with the numbers the CLI prints', async () => {
  const { page, errors, context } = await newPage();
  for (const [id, set] of [['icl-multihead', []], ['cnn-svm', ['dataset=moons']]]) {
    const query = ['seed=3', ...set, 'at=40'].join('&');
    await openPlayground(page, server.url, `${id}?${query}`);
    await page.waitForFunction(() => {
      const m = playground.metrics();
      return m.steps === 40 && m.target === -1;
    }, null, { timeout: 60000 });
    await frames(page, 5);
    const m = await page.evaluate(() => playground.metrics());
    assert.equal(m.steps, 40, id);  // paused there, not past it
    assert.equal(m.playing, false);
    const run = await page.evaluate(() => playground.export());
    assert.equal(run.steps, 40);
    assert.ok(run.series && Object.keys(run.series).length > 0, `${id}: the export holds the series`);
    assert.ok(run.engine && /wasm/.test(run.engine.platform));
    const args = ['run', id, '--steps', '40', '--seed', '3', '--json'];
    for (const kv of set) args.push('--set', kv);
    const cli = JSON.parse(spawnSync(path.join(top, 'build/native/playground-cli'), args, { encoding: 'utf8' }).stdout);
    for (const [k, v] of Object.entries(cli.metrics)) {
      if (cli.timing.includes(k)) continue;
      assert.equal(run.metrics[k], v, `${id}.${k}: page ${run.metrics[k]}, CLI ${v}`);
    }
    // "Copy link" writes at= for the current step.
    const link = await page.evaluate(() => playground.link());
    assert.match(link, /[?&]at=40(&|$)/);
  }
  assert.deepEqual(errors, []);
  await context.close();
});

test('training in a Web Worker: the run goes on where the page stood, pauses, steps, and ends with the CLI\'s numbers', async () => {
  const { page, errors, context } = await newPage();
  const id = 'cnn-svm', set = ['dataset=moons', 'steps=6000'];
  await openPlayground(page, server.url, `${id}?seed=5&${set.join('&')}`);
  await page.waitForFunction(() => playground.frameStats().worker_ready, null, { timeout: 30000 });
  // Three units on the page's own thread first: nothing has gone to the worker yet.
  let m = await page.evaluate(() => playground.step(3));
  assert.equal(m.steps, 3);
  assert.ok(!m.worker);
  await page.evaluate(() => playground.play(true));
  await page.waitForFunction(() => playground.metrics().worker && playground.metrics().steps >= 60, null, { timeout: 30000 });
  // The page's frames no longer step the lesson.
  assert.equal((await page.evaluate(() => playground.frameStats())).unit_ms, 0);
  await page.evaluate(() => playground.play(false));
  await page.waitForFunction(() => !playground.metrics().worker_busy, null, { timeout: 5000 });
  const paused = (await page.evaluate(() => playground.metrics())).steps;
  await frames(page, 5);
  assert.equal((await page.evaluate(() => playground.metrics())).steps, paused, 'paused means stopped');
  // Single steps go to the worker: the reply says they are pending.
  m = await page.evaluate(() => playground.step(2));
  assert.equal(m.pending, 2);
  await page.waitForFunction((n) => playground.metrics().steps === n, paused + 2, { timeout: 5000 });
  // An exact target, reached in the worker; the numbers are the CLI's.
  const target = paused + 2 + 37;
  await page.evaluate((t) => playground.set('at', String(t)), target);
  await page.waitForFunction((t) => playground.metrics().steps === t && !playground.metrics().worker_busy, target, { timeout: 30000 });
  const run = await page.evaluate(() => playground.export());
  const args = ['run', id, '--steps', String(target), '--seed', '5', '--json'];
  for (const kv of set) args.push('--set', kv);
  const cli = JSON.parse(spawnSync(path.join(top, 'build/native/playground-cli'), args, { encoding: 'utf8' }).stdout);
  for (const [k, v] of Object.entries(cli.metrics)) {
    if (cli.timing.includes(k)) continue;
    assert.equal(run.metrics[k], v, `${k}: page ${run.metrics[k]}, CLI ${v}`);
  }
  // A restarting knob: a fresh run on the page, then in the worker again.
  await page.evaluate(() => playground.set('batch', '16'));
  m = await page.evaluate(() => playground.metrics());
  assert.equal(m.steps, 0);
  assert.ok(!m.worker);
  assert.deepEqual(errors, []);
  await context.close();
});

test('slow motion: speed=4 paces training to about four steps a second; the speed menu is drawn', async () => {
  const { page, errors, context } = await newPage();
  await openPlayground(page, server.url, 'icl-multihead?speed=4');
  const lay = await page.evaluate(() => playground.layout());
  assert.ok(lay.buttons.speed, 'the speed menu is beside the run controls');
  await page.evaluate(() => playground.play(true));
  const t0 = Date.now();
  await page.waitForFunction(() => playground.metrics().steps >= 4, null, { timeout: 20000 });
  await page.waitForTimeout(1500);
  const steps = (await page.evaluate(() => playground.metrics())).steps;
  const seconds = (Date.now() - t0) / 1000;
  // Paced, not free-running (which does hundreds of steps a second here).
  assert.ok(steps <= 4 * seconds + 4, `${steps} steps in ${seconds.toFixed(1)} s`);
  assert.match(await page.evaluate(() => playground.state()), /[?&]speed=4(&|$)/);
  const r = await page.evaluate(() => playground.set('speed', 'max'));
  assert.equal(r.ok, true);
  await page.waitForFunction((s) => playground.metrics().steps > s + 50, steps, { timeout: 20000 });
  assert.deepEqual(errors, []);
  await context.close();
});

test('Source: the lesson file and the files it includes, read-only with line numbers, fetched only when asked', async () => {
  const { page, errors, context } = await newPage();
  const requests = [];
  page.on('request', (r) => requests.push(new URL(r.url()).pathname));
  await openPlayground(page, server.url, 'cnn-svm');
  assert.ok(!requests.some((p) => p.startsWith('/src/')), 'nothing of the source view in the initial load');
  await page.click('#source-toggle');
  await page.waitForFunction(() => /PG_REGISTER_LESSON/.test(document.querySelector('#source pre.code')?.textContent || ''));
  assert.equal(await page.locator('#source').isVisible(), true);
  assert.equal(await page.textContent('#source .files button.active'), 'lessons/cnn_svm.cpp');
  const lines = (await page.textContent('#source pre.code')).split('\n').length;
  const numbers = (await page.textContent('#source pre.gutter')).split('\n');
  assert.equal(numbers.length, lines);
  assert.equal(numbers[numbers.length - 1], String(lines));
  const engineFile = await page.$$eval('#source .files button', (bs) => bs.map((b) => b.dataset.file).find((f) => f.startsWith('engine/')));
  assert.ok(engineFile, 'an engine file the lesson includes is one click away');
  await page.click(`#source .files button[data-file="${engineFile}"]`);
  await page.waitForFunction((f) => document.querySelector('#source .files button.active')?.dataset.file === f &&
    !/^loading/.test(document.querySelector('#source pre.code').textContent), engineFile);
  assert.ok((await page.textContent('#source pre.code')).length > 100);
  assert.match(await page.getAttribute('#source .files a:last-of-type', 'href'), /^https:\/\//, "the paper's official code is linked");
  // Another lesson: its own file.
  await page.evaluate(() => playground.open('z-loss'));
  await page.waitForFunction(() => document.querySelector('#source .files button.active')?.dataset.file === 'lessons/z_loss.cpp');
  await page.click('#source-toggle');
  assert.equal(await page.locator('#source').isVisible(), false);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a right-click on a plot saves it: PNG at the screen resolution, or its data as CSV', async () => {
  const { page, errors, context } = await newPage({ deviceScaleFactor: 2 });
  await openPlayground(page, server.url, 'icl-multihead');
  await page.evaluate(() => playground.step(30));
  await frames(page, 3);
  const main = (await page.evaluate(() => playground.layout())).views[0];
  const x = main.x + main.w / 2, y = main.y + main.h / 2;
  const font = (await page.evaluate(() => playground.layout())).font_px;
  // The menu opens at the pointer: its two items, one row apart.
  const item = async (row) => {
    await page.mouse.click(x, y, { button: 'right' });
    await frames(page, 4);
    const download = page.waitForEvent('download', { timeout: 20000 });
    await page.mouse.click(x + font * 3, y + font * (0.9 + 1.5 * row));
    return download;
  };
  const png = await item(0);
  assert.match(png.suggestedFilename(), /^icl-multihead-.+\.png$/);
  const bytes = fs.readFileSync(await png.path());
  assert.equal(bytes.subarray(1, 4).toString('latin1'), 'PNG');
  const width = bytes.readUInt32BE(16);
  assert.ok(Math.abs(width - main.w * 2) <= 4, `PNG ${width} px wide for a ${main.w} CSS px plot at DPR 2`);
  const csv = await item(1);
  assert.match(csv.suggestedFilename(), /^icl-multihead-.+\.csv$/);
  const lines = fs.readFileSync(await csv.path(), 'utf8').trim().split('\n');
  assert.match(lines[0], /^x,/);
  assert.ok(lines.length >= 2, 'a row per point');
  assert.equal(lines[1].split(',').length, lines[0].split(',').length);
  assert.deepEqual(errors, []);
  await context.close();
});
