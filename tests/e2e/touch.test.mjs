// Phones and touch (issue: "Learners and teachers", phones and tablets): on a
// 390x844 touch screen the header fits and its menu opens the gallery; a tap
// presses Play; a finger drags a slider; a vertical swipe scrolls the panel
// without dragging the slider it started on; no double-tap zoom; the panel's
// text is at least 14 CSS px.  Screenshots land in build/screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { screenshotDir, startServer, launchBrowser, watchErrors, openPlayground, frames } from './helpers.mjs';

let server, browser;
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  fs.mkdirSync(screenshotDir, { recursive: true });
});
after(async () => {
  await browser?.close();
  server?.close();
});

const phone = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

// A rectangle from playground.layout() (page CSS px) with its centre.
async function onPage(page, r) {
  return { x: r.x, y: r.y, w: r.w, h: r.h, cx: r.x + r.w / 2, cy: r.y + r.h / 2 };
}

// A finger moving from (x0, y0) to (x1, y1) in `n` moves, a frame apart.
// The first move follows the touch at once: headless frames at DPR 2 take
// over 100 ms here, and a finger held still for 400 ms is a long press.
async function swipe(page, cdp, x0, y0, x1, y1, n = 8) {
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [{ x: x0, y: y0 }] });
  for (let i = 1; i <= n; i++) {
    await cdp.send('Input.dispatchTouchEvent', {
      type: 'touchMove', touchPoints: [{ x: x0 + (x1 - x0) * i / n, y: y0 + (y1 - y0) * i / n }],
    });
    await frames(page, 1);
  }
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  await frames(page, 4);
}

test('390x844 touch: the header fits, and its menu opens the gallery and closes on a pick', async () => {
  const context = await browser.newContext(phone);
  const page = await context.newPage();
  const errors = watchErrors(page);
  await openPlayground(page, server.url, 'icl-multihead');
  for (const sel of ['#menu-toggle', '#topbar h1', '#actions-toggle']) {
    const b = await page.locator(sel).boundingBox();
    assert.ok(b && b.width > 0, `${sel} is shown`);
    assert.ok(b.x >= 0 && b.x + b.width <= 390.5, `${sel} inside the header: ${JSON.stringify(b)}`);
  }
  assert.equal(await page.locator('#gallery').isVisible(), false, 'the gallery is closed at first');
  await page.locator('#menu-toggle').tap();
  assert.equal(await page.locator('#gallery').isVisible(), true, 'the menu opens the gallery');
  assert.equal(await page.locator('#filter').isVisible(), true, 'with its filter');
  fs.writeFileSync(path.join(screenshotDir, 'phone-gallery.png'), await page.screenshot());
  await page.locator('#lesson-list .lesson[data-id="z-loss"]').tap();
  await page.waitForFunction(() => playground.state().startsWith('z-loss'));
  assert.equal(await page.locator('#gallery').isVisible(), false, 'picking a lesson closes the gallery');
  // The actions menu: every action reachable, inside the screen.
  await page.locator('#actions-toggle').tap();
  for (const sel of ['#copy-link', '#download-run', '#read-toggle', '#theme-toggle', '#embed-link']) {
    const b = await page.locator(sel).boundingBox();
    assert.ok(b && b.x >= 0 && b.x + b.width <= 390.5 && b.y + b.height <= 844, `${sel}: ${JSON.stringify(b)}`);
  }
  fs.writeFileSync(path.join(screenshotDir, 'phone-actions.png'), await page.screenshot());
  await page.locator('#theme-toggle').tap();
  assert.equal(await page.locator('#actions').isVisible(), false, 'an action closes the menu');
  assert.deepEqual(errors, []);
  await context.close();
});

test('390x844 touch: a tap on Play trains, a finger drags a slider, a swipe scrolls without dragging', async () => {
  const context = await browser.newContext(phone);
  const page = await context.newPage();
  const errors = watchErrors(page);
  const cdp = await context.newCDPSession(page);
  await openPlayground(page, server.url, 'icl-multihead');
  await frames(page, 4);
  let lay = await page.evaluate(() => playground.layout());
  assert.equal(lay.narrow, true);
  assert.ok(lay.font_px >= 14, `panel text ${lay.font_px} CSS px`);
  assert.equal(await page.locator('#canvas').evaluate((c) => getComputedStyle(c).touchAction), 'none');

  // A tap on Play: steps advance.
  assert.ok(lay.buttons.play, 'the Play button is drawn: ' + JSON.stringify(lay.buttons));
  const play = await onPage(page, lay.buttons.play);
  await page.touchscreen.tap(play.cx, play.cy);
  await page.waitForFunction(() => (playground.metrics().steps || 0) > 0, null, { timeout: 10000 });
  lay = await page.evaluate(() => playground.layout());
  assert.ok(lay.buttons.pause, 'Play became Pause');
  const pause = await onPage(page, lay.buttons.pause);
  await page.touchscreen.tap(pause.cx, pause.cy);
  await frames(page, 4);
  const s0 = (await page.evaluate(() => playground.metrics())).steps;
  await frames(page, 10);
  assert.equal((await page.evaluate(() => playground.metrics())).steps, s0, 'a tap on Pause stops training');

  // A finger drags a slider (horizontal first): the knob and the URL change.
  const key = 'n';  // icl-multihead's training length: an integer slider
  assert.ok(lay.knobs[key] && lay.knobs[key].w > 100, 'the slider is drawn: ' + JSON.stringify(lay.knobs));
  const before = await page.evaluate((k) => JSON.stringify(playground.get(k)), key);
  const hashBefore = await page.evaluate(() => location.hash);
  let knob = await onPage(page, lay.knobs[key]);
  if (knob.cy > 800) {  // bring it on screen with a swipe on the main view first
    const v = await onPage(page, lay.views[0]);
    await swipe(page, cdp, v.cx, Math.min(v.y + v.h - 10, 700), v.cx, 150);
    lay = await page.evaluate(() => playground.layout());
    knob = await onPage(page, lay.knobs[key]);
  }
  await swipe(page, cdp, knob.x + knob.w * 0.15, knob.cy, knob.x + knob.w * 0.85, knob.cy);
  const after = await page.evaluate((k) => JSON.stringify(playground.get(k)), key);
  assert.notEqual(after, before, `${key} follows the finger`);
  assert.notEqual(await page.evaluate(() => location.hash), hashBefore, 'the URL follows the knob');

  // A vertical swipe that starts on that slider scrolls the panel, and leaves the knob alone.
  lay = await page.evaluate(() => playground.layout());
  knob = await onPage(page, lay.knobs[key]);
  const y0 = lay.knobs[key].y;
  await swipe(page, cdp, knob.x + knob.w * 0.3, knob.cy, knob.x + knob.w * 0.3, Math.max(knob.cy - 300, 60));
  const lay2 = await page.evaluate(() => playground.layout());
  assert.equal(await page.evaluate((k) => JSON.stringify(playground.get(k)), key), after, 'the swipe did not drag the slider');
  assert.ok(!lay2.knobs[key] || lay2.knobs[key].y < y0 - 100, `the panel scrolled: knob y ${y0} -> ${lay2.knobs[key]?.y}`);
  fs.writeFileSync(path.join(screenshotDir, 'phone-scrolled.png'), await page.screenshot());

  // A double tap does not zoom the page.
  await page.touchscreen.tap(200, 400);
  await page.touchscreen.tap(200, 400);
  await frames(page, 6);
  assert.equal(await page.evaluate(() => window.visualViewport.scale), 1);
  assert.deepEqual(errors, []);
  await context.close();
});
