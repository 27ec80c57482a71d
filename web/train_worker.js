// train_worker.js - the page's training worker: the same wasm module as the
// page (playground.js, without its main loop) runs the open lesson's run on
// its own thread, and sends snapshots back (web/worker_link.h has the
// protocol, web/worker_host.h the C++ side).  Everything it fetches comes
// from the page's own origin: playground.js/.wasm/.data and data packs.
'use strict';

const SNAPSHOT_MS = 66;  // about 15 view updates a second while working
const WORK_MS = 12;      // one slice of work between looks at the message queue (Pause waits for at most one)

let ready = false;
let working = false;
let lastSnapshot = 0;
let lastSlice = 0;
const queue = [];  // messages that arrived before the module was ready

function call(name, ret, types, args) {
  return Module.ccall(name, ret, types, args);
}

// working: false for the last one before waiting for the page.
function postSnapshot(working) {
  const sizePtr = Module._malloc(4);
  try {
    const ptr = call('pg_worker_snapshot', 'number', ['number', 'number'], [sizePtr, working ? 1 : 0]);
    const size = Module.HEAP32[sizePtr >> 2];
    if (ptr && size > 0) {
      const bytes = Module.HEAPU8.slice(ptr, ptr + size);  // a copy: the module reuses its buffer
      self.postMessage({ type: 'snapshot', bytes: bytes.buffer }, [bytes.buffer]);
    }
  } finally {
    Module._free(sizePtr);
  }
  lastSnapshot = performance.now();
}

// A zero-delay turn of the event loop (setTimeout(0) is clamped to 4 ms
// when nested), so messages such as Pause are seen between slices.
const channel = new MessageChannel();
channel.port1.onmessage = slice;
function schedule(delayMs) {
  if (delayMs > 0) setTimeout(slice, delayMs);
  else channel.port2.postMessage(0);
}

function slice() {
  const now = performance.now();
  const dt = lastSlice > 0 ? now - lastSlice : 0;
  lastSlice = now;
  let units;
  try {
    units = call('pg_worker_advance', 'number', ['number', 'number'], [WORK_MS, dt]);
  } catch (e) {
    fail(e);
    return;
  }
  if (units < 0) {  // paused, finished or at its target: the last state, then wait
    working = false;
    postSnapshot(false);
    return;
  }
  if (performance.now() - lastSnapshot >= SNAPSHOT_MS) postSnapshot(true);
  // Nothing done: waiting for a data pack, or slowed down by speed=.
  schedule(units === 0 ? 10 : 0);
}

function wake() {
  if (working) return;
  working = true;
  lastSlice = 0;
  schedule(0);
}

function handle(m) {
  if (!m || typeof m !== 'object') return;
  const gen = Number(m.gen);
  if (!Number.isSafeInteger(gen)) return;
  if (m.type === 'run') {
    call('pg_worker_run', 'string', ['number', 'string', 'number'], [gen, String(m.state || ''), Number(m.replay) || 0]);
  } else if (m.type === 'control') {
    call('pg_worker_control', null, ['number', 'number', 'number'], [gen, m.playing ? 1 : 0, Number(m.target)]);
  } else if (m.type === 'steps') {
    call('pg_worker_steps', null, ['number', 'number'], [gen, Number(m.n) || 0]);
  } else if (m.type === 'set' && Array.isArray(m.pairs)) {
    for (const p of m.pairs)
      if (Array.isArray(p)) call('pg_worker_set', null, ['number', 'string', 'string'], [gen, String(p[0]), String(p[1])]);
  } else if (m.type === 'act') {
    call('pg_worker_act', null, ['number', 'string'], [gen, String(m.action || '').slice(0, 100)]);
  } else {
    return;
  }
  wake();
}

function fail(e) {
  working = false;
  self.postMessage({ type: 'failed', why: String(e && e.message ? e.message : e).slice(0, 200) });
}

self.onmessage = (e) => {
  if (!ready) {
    queue.push(e.data);
    return;
  }
  try {
    handle(e.data);
  } catch (err) {
    fail(err);
  }
};

// Data packs, as the page's shell.js fetches them (without the progress bar:
// the page shows its own download).
async function fetchPack(name) {
  let ptr = 0, size = 0, error = '';
  try {
    const response = await fetch('data/' + encodeURIComponent(name) + '.pack');
    if (!response.ok) throw new Error('HTTP ' + response.status);
    const bytes = new Uint8Array(await response.arrayBuffer());
    size = bytes.length;
    ptr = Module._malloc(size);
    Module.HEAPU8.set(bytes, ptr);
  } catch (e) {
    error = 'could not load: ' + String(e && e.message ? e.message : e).slice(0, 200);
  }
  call('pg_pack_arrived', null, ['string', 'number', 'number', 'string'], [String(name), ptr, size, error]);
  wake();
}

self.Module = {
  noInitialRun: true,  // no main(): no window, no GL, no main loop here
  print: () => {},
  printErr: (text) => console.warn('[training worker] ' + text),
  pgFetchPack: fetchPack,
  onAbort: (what) => fail(what),
  onRuntimeInitialized: () => {
    try {
      call('pg_worker_init', null, [], []);
    } catch (e) {
      fail(e);
      return;
    }
    ready = true;
    self.postMessage({ type: 'ready' });
    for (const m of queue.splice(0)) handle(m);
  },
};
try {
  importScripts('playground.js');
} catch (e) {
  fail(e);
}
