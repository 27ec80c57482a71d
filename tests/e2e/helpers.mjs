// Shared pieces of the browser tests: the static server, Chromium through
// playwright-core (Debian's /usr/bin/chromium, flags from TOOLCHAIN.md), and
// page helpers.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { decodePng, inkStats } from './png.mjs';

export const top = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const screenshotDir = path.join(top, 'build/screenshots');

export async function startServer() {
  const proc = spawn('node', [path.join(top, 'web/serve.mjs'), '--port', '0', '--root', path.join(top, 'build/web')],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve, reject) => {
    let text = '';
    proc.stdout.on('data', (d) => {
      text += d;
      const m = text.match(/http:\/\/127\.0\.0\.1:\d+\//);
      if (m) resolve(m[0]);
    });
    proc.on('exit', (code) => reject(new Error('server exited with ' + code)));
  });
  return { url, close: () => proc.kill() };
}

export async function launchBrowser() {
  // Playwright gives each launch a fresh temporary profile of its own.
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'],
  });
}

// Collects console errors and uncaught exceptions of a page.
export function watchErrors(page) {
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push('console: ' + m.text()); });
  page.on('pageerror', (e) => errors.push('pageerror: ' + e.message));
  return errors;
}

// Opens the playground (optionally at a state hash) and waits until it runs.
export async function openPlayground(page, url, hash = '') {
  await page.goto(url + 'index.html' + (hash ? '#' + hash : ''));
  await page.waitForFunction(() => window.playground && window.playground.lessons().length > 0, null, { timeout: 30000 });
  await frames(page, 3);
}

// Waits for n animation frames (the app draws once per frame).
export async function frames(page, n) {
  await page.evaluate((k) => new Promise((resolve) => {
    let left = k;
    const tick = () => (--left <= 0 ? resolve() : requestAnimationFrame(tick));
    requestAnimationFrame(tick);
  }), n);
}

export async function canvasInk(page, name) {
  const png = await page.locator('#canvas').screenshot();
  if (name) {
    fs.mkdirSync(screenshotDir, { recursive: true });
    fs.writeFileSync(path.join(screenshotDir, name + '.png'), png);
  }
  return inkStats(decodePng(png));
}

// The on-page position (CSS pixels) of a knob's slider track, from the app.
export async function knobBox(page, key) {
  return page.evaluate((k) => {
    const r = JSON.parse(Module.ccall('pg_knob_rect', 'string', ['string'], [k]));
    if (!r.ok) return null;
    const c = document.getElementById('canvas').getBoundingClientRect();
    const s = document.getElementById('canvas').width / c.width;  // backing pixels per CSS pixel
    return { x0: c.left + r.x0 / s, y0: c.top + r.y0 / s, x1: c.left + r.x1 / s, y1: c.top + r.y1 / s };
  }, key);
}

// Drags across a slider from fraction a to fraction b of its width.
export async function dragSlider(page, key, a, b) {
  const box = await knobBox(page, key);
  if (!box) throw new Error('knob not drawn: ' + key);
  const y = (box.y0 + box.y1) / 2;
  await page.mouse.move(box.x0 + (box.x1 - box.x0) * a, y);
  await page.mouse.down();
  await frames(page, 2);
  for (let i = 1; i <= 5; i++) {
    await page.mouse.move(box.x0 + (box.x1 - box.x0) * (a + (b - a) * i / 5), y);
    await frames(page, 1);
  }
  await page.mouse.up();
  await frames(page, 3);
}

export function deterministic(metricsReply) {
  // Timing metrics differ between runs; compare the rest.
  const out = {};
  for (const [k, v] of Object.entries(metricsReply.metrics)) if (!metricsReply.timing.includes(k)) out[k] = v;
  return out;
}
