#!/usr/bin/env node
// screenshot.mjs - a picture of the playground as a user sees it.
//   node scripts/screenshot.mjs '<lesson>?<knobs>' out.png [--play SECONDS] [--dpr 2] [--scroll PIXELS] [--size 1400x900]
// Serves build/web on a free port, opens the state in headless Chromium,
// optionally plays the lesson for a while and scrolls the panel, and saves a
// PNG.  Run scripts/build first.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const top = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const [state, out] = args;
if (!state || !out) {
  console.error("usage: node scripts/screenshot.mjs '<lesson>?<knobs>' out.png [--play S] [--dpr N] [--scroll PX] [--size WxH]");
  process.exit(2);
}
const [width, height] = opt('--size', '1400x900').split('x').map(Number);
const server = spawn('node', [path.join(top, 'web/serve.mjs'), '--port', '0', '--root', path.join(top, 'build/web')],
  { stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise((resolve) => server.stdout.on('data', (d) => {
  const m = String(d).match(/http:\/\/127\.0\.0\.1:\d+\//);
  if (m) resolve(m[0]);
}));
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'],
});
try {
  const page = await browser.newPage({ viewport: { width, height }, deviceScaleFactor: Number(opt('--dpr', '1')) });
  page.on('console', (m) => { if (m.type() === 'error') console.error('console:', m.text()); });
  page.on('pageerror', (e) => console.error('pageerror:', e.message));
  await page.goto(url + 'index.html#' + state);
  await page.waitForFunction(() => window.playground && playground.lessons().length > 0, null, { timeout: 30000 });
  const play = Number(opt('--play', '0'));
  if (play > 0) {
    await page.evaluate(() => playground.play(true));
    await page.waitForTimeout(play * 1000);
  } else {
    await page.waitForTimeout(2000);
  }
  const scroll = Number(opt('--scroll', '0'));
  if (scroll) {
    const box = await page.locator('#canvas').boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.wheel(0, scroll);
    await page.waitForTimeout(500);
  }
  await page.screenshot({ path: out });
  const m = await page.evaluate(() => playground.metrics());
  console.log(JSON.stringify({ state: await page.evaluate(() => playground.state()), steps: m.steps, metrics: m.metrics }));
} finally {
  await browser.close();
  server.kill();
}
