// Offline (issue: "Learners and teachers", offline and progress): after one
// visit the playground works with the server gone - page, engine, font and
// the data pack that was opened come from the service worker's cache
// (web/sw.js) - and a new build replaces that cache only when the page
// reloads onto it, never mixing two builds' files.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { top, launchBrowser, watchErrors, frames } from './helpers.mjs';

let browser, root;
before(async () => {
  browser = await launchBrowser();
  // A copy of the build, so that the test can publish a "new build" in it.
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'pg-offline-'));
  fs.cpSync(path.join(top, 'build/web'), root, { recursive: true, filter: (p) => !/\/src($|\/)/.test(p) });
});
after(async () => {
  await browser?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

// A static server on root at a fixed port (the worker is bound to the origin).
async function serve(port) {
  const proc = spawn('node', [path.join(top, 'web/serve.mjs'), '--port', String(port), '--root', root],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    proc.stdout.on('data', (d) => { if (/http:\/\/127\.0\.0\.1:\d+\//.test(String(d))) resolve(); });
    proc.on('exit', (code) => reject(new Error('server exited with ' + code)));
  });
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((r) => { proc.on('exit', r); proc.kill(); }) };
}

async function ready(page) {
  await page.waitForFunction(() => window.playground && playground.lessons().length > 0, null, { timeout: 30000 });
  await frames(page, 3);
}

test('after one visit, the page and an opened data pack work with the server gone; a new build takes over on reload', async () => {
  const port = 20000 + Math.floor(Math.random() * 20000);
  let server = await serve(port);
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(server.url + 'index.html#cnn-svm?dataset=mnist');
  await ready(page);
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 30000 });
  // The MNIST pack was fetched when the lesson opened; wait until it trains (the pack arrived) and is cached.
  await page.evaluate(() => playground.step(2));
  await page.waitForFunction(async () => {
    for (const key of await caches.keys()) {
      const c = await caches.open(key);
      if ((await c.keys()).some((r) => /\/data\/mnist\.pack$/.test(r.url))) return true;
    }
    return false;
  }, null, { timeout: 60000, polling: 250 });
  const cacheNames = await page.evaluate(() => caches.keys());
  assert.equal(cacheNames.length, 1);

  // The server goes away: a reload still brings up the playground, and MNIST trains.
  await server.close();
  await page.reload();
  await ready(page);
  assert.match(await page.evaluate(() => playground.state()), /^cnn-svm\?dataset=mnist/);
  await page.evaluate(() => playground.play(true));
  await page.waitForFunction(() => (playground.metrics().steps || 0) >= 3, null, { timeout: 60000 });
  const m = await page.evaluate(() => playground.metrics());
  assert.ok(!m.problem, 'no missing-pack problem: ' + m.problem);
  await page.evaluate(() => playground.play(false));

  // A new build is published: the page offers it, and switching reloads onto
  // the new cache alone (the old one is deleted).
  const sw = fs.readFileSync(path.join(root, 'sw.js'), 'utf8');
  fs.writeFileSync(path.join(root, 'sw.js'), sw.replace(/const BUILD = '[^']*'/, "const BUILD = 'next-build-for-the-test'"));
  server = await serve(port);
  await page.evaluate(async () => (await navigator.serviceWorker.getRegistration()).update());
  await page.waitForSelector('.toast button', { timeout: 30000 });
  assert.match(await page.textContent('.toast'), /new version/);
  const reloaded = page.waitForEvent('load', { timeout: 30000 });
  await page.click('.toast button');
  await reloaded;
  await ready(page);
  await page.waitForFunction(async () => {
    const keys = await caches.keys();
    return keys.length === 1 && keys[0].endsWith('next-build-for-the-test');
  }, null, { timeout: 30000, polling: 250 });
  assert.deepEqual(errors.filter((e) => !/Failed to load resource|ERR_CONNECTION_REFUSED/.test(e)), []);
  await context.close();
  await server.close();
});
