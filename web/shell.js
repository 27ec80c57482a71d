// shell.js - the page around the wasm app: the lesson gallery, the URL hash,
// window.playground (the JS API), postMessage for course pages, keyboard
// shortcuts and toasts.  All logic about lessons, knobs and validation is in
// C++ (web/api.cpp); this file only moves strings between the page and it.
// Text from the app or from a caller is only ever put in the page with
// textContent, never as markup.
(function () {
  'use strict';
  const canvas = document.getElementById('canvas');
  const loading = document.getElementById('loading');
  let ready = false;
  let lessons = [];
  let lastState = '';

  function fail(message) {
    loading.hidden = false;
    loading.classList.add('failed');
    loading.textContent = message;
  }

  // --------------------------------------------------------------- toasts
  // A message in the corner; with `action` ({label, run}) it has a button
  // and stays until used or dismissed.
  function toast(message, action) {
    const box = document.getElementById('toasts');
    const el = document.createElement('div');
    el.className = 'toast';
    el.textContent = String(message).slice(0, 300);
    if (action && typeof action.run === 'function') {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = action.label;
      b.addEventListener('click', () => { el.remove(); action.run(); });
      el.append(' ', b);
    }
    box.appendChild(el);
    while (box.children.length > 4) box.removeChild(box.firstChild);
    if (!(action && typeof action.run === 'function')) setTimeout(() => el.remove(), 6000);
  }

  // ------------------------------------------------------------ C++ calls
  // Strings reach C++ through ccall, which copies them onto the wasm stack
  // (5 MiB) before any C++ check runs: cap every string here first.
  const MAX_ARG = 4096;
  function call(name, types, args) {
    for (const a of args) {
      if (typeof a === 'string' && a.length > MAX_ARG) {
        return { ok: false, error: name.replace(/^pg_/, '') + ': an argument is too long (' + a.length + ' characters; at most ' + MAX_ARG + ')' };
      }
    }
    let text;
    // A trap inside a call unwinds past ccall's own stack bookkeeping: put the
    // stack pointer back, so the failed call reports an error and the next
    // call works.
    const sp = Module.stackSave ? Module.stackSave() : null;
    try {
      text = Module.ccall(name, 'string', types, args);
    } catch (e) {
      if (sp !== null) Module.stackRestore(sp);
      return { ok: false, error: 'internal error in ' + name + ': ' + String(e && e.message ? e.message : e).slice(0, 200) };
    }
    try {
      return JSON.parse(text);
    } catch (e) {
      return text;  // pg_state returns a plain string
    }
  }
  function notReady() {
    return { ok: false, error: 'the playground is still loading' };
  }

  // Values from callers are untrusted: only numbers, strings and booleans are
  // passed on (as text; C++ parses, range-checks and answers with a message).
  function valueText(value) {
    if (typeof value === 'number') return String(value);
    if (typeof value === 'boolean') return value ? '1' : '0';
    if (typeof value === 'string') return value.length > 1000 ? value.slice(0, 1000) : value;
    return null;
  }

  const api = {
    lessons() {
      return ready ? lessons.map((l) => Object.assign({}, l)) : [];
    },
    open(id) {
      if (!ready) return notReady();
      if (typeof id !== 'string') return reject('open: the lesson id must be a string');
      return call('pg_open', ['string'], [id]);
    },
    set(key, value) {
      if (!ready) return notReady();
      if (typeof key !== 'string') return reject('set: the parameter name must be a string');
      const text = valueText(value);
      if (text === null) return reject('set ' + key.slice(0, 40) + ': the value must be a number, string or boolean');
      return call('pg_set', ['string', 'string'], [key, text]);
    },
    get(key) {
      if (!ready) return notReady();
      if (typeof key !== 'string') return reject('get: the parameter name must be a string');
      return call('pg_get', ['string'], [key]);
    },
    metrics() {
      return ready ? call('pg_metrics', [], []) : notReady();
    },
    step(n) {
      if (!ready) return notReady();
      if (n === undefined) n = 1;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 1000000)
        return reject('step: n must be a whole number from 0 to 1000000');
      return call('pg_step', ['number'], [n]);
    },
    reset(seed) {
      if (!ready) return notReady();
      if (seed === undefined || seed === null) return call('pg_reset', ['string'], ['']);
      const text = valueText(seed);
      if (text === null) return reject('reset: the seed must be a whole number');
      return call('pg_reset', ['string'], [text]);
    },
    play(on) {
      if (!ready) return notReady();
      return call('pg_play', ['number'], [on === undefined ? -1 : on ? 1 : 0]);
    },
    state() {
      return ready ? Module.ccall('pg_state', 'string', [], []) : '';
    },
    // Where the last frame drew each knob, view, run button and the
    // walkthrough, in CSS pixels of the page: {narrow, font_px, knobs: {key:
    // {x, y, w, h}}, views: [{id, x, y, w, h}], buttons: {play, step, reset}, text}.
    layout() {
      if (!ready) return notReady();
      const r = canvas.getBoundingClientRect();
      const out = call('pg_layout', ['number'], [r.width > 0 ? canvas.width / r.width : 1]);
      if (!out || typeof out !== 'object' || !out.knobs) return out;
      const shift = (b) => (b ? { x: b.x + r.left, y: b.y + r.top, w: b.w, h: b.h } : null);
      const knobs = {}, buttons = {};
      for (const [k, b] of Object.entries(out.knobs)) knobs[k] = shift(b);
      for (const [k, b] of Object.entries(out.buttons || {})) buttons[k] = shift(b);
      return { narrow: out.narrow, font_px: out.font_px, knobs, buttons,
        views: out.views.map((v) => Object.assign({ id: v.id }, shift(v))), text: shift(out.text) };
    },
    // The whole run as JSON: run.json's fields (exact numbers), the engine
    // and every declared series (what "Download run" saves).
    export() {
      return ready ? call('pg_export', [], []) : notReady();
    },
    // The exact-run link: this state plus at=<steps done>, so that opening it
    // trains to this very step and shows these numbers.
    link() {
      if (!ready) return '';
      const m = api.metrics();
      const state = api.state();
      const base = location.href.replace(/#.*$/, '');
      return base + '#' + state + (m && m.steps > 0 ? (state.indexOf('?') < 0 ? '?' : '&') + 'at=' + m.steps : '');
    },
    // The walkthrough as data (sections of blocks, live values filled in).
    text() {
      return ready ? call('pg_text', [], []) : notReady();
    },
    // The main loop's own timing: the app's work per frame (95th percentile of
    // the last two seconds), the lesson's budget in it and the steps per second.
    frameStats() {
      return ready ? call('pg_frame_stats', [], []) : notReady();
    },
  };
  function reject(message) {
    toast(message);
    return { ok: false, error: message };
  }
  window.playground = api;

  // ---------------------------------------------------------- postMessage
  // A course page talks to an embedded lesson:
  //   frame.contentWindow.postMessage({type: 'playground', id: 1, op: 'set', args: ['n', 4096]}, '*')
  // and receives {type: 'playground-reply', id: 1, ok, result, metrics, error}.
  // Any origin may do so by design (a lesson is public, read-mostly state);
  // a teacher who wants only their course page adds origin=https://their.site
  // to the frame's URL, and messages from elsewhere are then ignored.
  function originAllowed(origin) {
    if (!ready) return true;
    const r = api.get('origin');
    const list = r && r.ok && r.value ? r.value.split(',') : [];
    return list.length === 0 || list.indexOf(origin) >= 0 || origin === location.origin;
  }
  const OPS = ['lessons', 'open', 'set', 'get', 'metrics', 'step', 'reset', 'play', 'state', 'layout', 'text', 'export', 'link'];
  window.addEventListener('message', (event) => {
    const data = event.data;
    if (!data || typeof data !== 'object' || data.type !== 'playground') return;
    if (!originAllowed(event.origin)) return;  // not one of the page's origin= list
    const id = typeof data.id === 'string' || typeof data.id === 'number' ? data.id : null;
    const reply = { type: 'playground-reply', id: id };
    const op = typeof data.op === 'string' ? data.op : '';
    const args = Array.isArray(data.args) ? data.args.slice(0, 2) : [];
    if (OPS.indexOf(op) < 0) {
      reply.ok = false;
      reply.error = 'unknown operation ' + JSON.stringify(op.slice(0, 40)) + '; use one of ' + OPS.join(', ');
      toast(reply.error);
    } else if (op === 'set' && args[0] === 'origin') {
      reply.ok = false;  // the allow-list is the embedding page's URL's to set, not a message's
      reply.error = 'set origin: only the frame\'s URL can say which pages may drive it';
    } else {
      const result = api[op].apply(null, args);
      reply.ok = !(result && typeof result === 'object' && result.ok === false);
      reply.result = result;
      if (result && result.error) reply.error = result.error;
      const m = ready ? api.metrics() : null;
      reply.metrics = m && m.metrics ? m.metrics : {};
    }
    if (event.source && typeof event.source.postMessage === 'function') {
      event.source.postMessage(reply, event.origin && event.origin !== 'null' ? event.origin : '*');
    }
  });

  // ------------------------------------------------------------- gallery
  function renderGallery() {
    const list = document.getElementById('lesson-list');
    const filter = document.getElementById('filter').value.trim().toLowerCase();
    list.textContent = '';
    let section = null;
    let shown = 0;
    for (const l of lessons) {
      const hay = (l.title + ' ' + l.id + ' ' + l.authors + ' ' + l.summary + ' ' + l.year).toLowerCase();
      if (filter && hay.indexOf(filter) < 0) continue;
      if (l.section !== section) {
        section = l.section;
        const h = document.createElement('h2');
        h.textContent = section;
        list.appendChild(h);
      }
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'lesson';
      b.dataset.id = l.id;
      b.title = l.code ? "The paper's official code: " + l.code : 'No official code was published for this paper';
      const t = document.createElement('span');
      t.className = 'title';
      t.textContent = l.title;
      const m = document.createElement('span');
      m.className = 'meta';
      m.textContent = l.authors + ' · ' + l.year + ' · ' + l.kind;
      const s = document.createElement('span');
      s.className = 'summary';
      s.textContent = l.summary;
      b.append(t, m, s);
      b.addEventListener('click', () => {
        api.open(l.id);
        setMenus(false, false);
        canvas.focus();
      });
      list.appendChild(b);
      shown++;
    }
    if (!shown) {
      const p = document.createElement('p');
      p.className = 'empty';
      p.textContent = 'No lesson matches this filter.';
      list.appendChild(p);
    }
    markActive();
  }

  function currentId() {
    const s = lastState || '';
    const q = s.indexOf('?');
    return q < 0 ? s : s.slice(0, q);
  }

  function markActive() {
    const id = currentId();
    for (const b of document.querySelectorAll('.lesson')) b.classList.toggle('active', b.dataset.id === id);
    const l = lessons.find((x) => x.id === id);
    document.title = l ? l.title + ' · Softmax Playground' : 'Softmax Playground';
  }

  // ------------------------------------------------------- reading view
  // The walkthrough as plain HTML, built from the lesson's declared text with
  // textContent only: screen readers and find-in-page reach it (the canvas
  // is opaque to both).  Visually hidden until "Read as text" is pressed;
  // live numbers are refreshed while it is open.
  const reading = document.getElementById('reading');
  let readingKey = '';
  function renderReading() {
    if (!ready) return;
    const t = api.text();
    if (!t || !Array.isArray(t.sections)) return;
    const key = JSON.stringify(t);
    if (key === readingKey) return;
    readingKey = key;
    reading.textContent = '';
    const h = document.createElement('h1');
    h.textContent = t.title;
    const meta = document.createElement('p');
    meta.className = 'meta';
    meta.textContent = t.authors + ', ' + t.year + (t.arxiv ? ' · arXiv:' + t.arxiv : '');
    reading.append(h, meta);
    for (const sec of t.sections) {
      const h2 = document.createElement('h2');
      h2.textContent = sec.title;
      reading.appendChild(h2);
      let list = null, table = null;
      for (const b of sec.blocks) {
        if (b.kind !== 'bullet') list = null;
        if (b.kind !== 'paper') table = null;
        if (b.kind === 'bullet') {
          if (!list) reading.appendChild(list = document.createElement('ul'));
          const li = document.createElement('li');
          li.textContent = b.text;
          list.appendChild(li);
        } else if (b.kind === 'paper') {
          if (!table) {
            table = document.createElement('table');
            const head = table.insertRow();
            for (const c of ['Quantity', 'Paper reports', 'Live, here', 'Setting']) {
              const th = document.createElement('th');
              th.textContent = c;
              head.appendChild(th);
            }
            reading.appendChild(table);
          }
          const row = table.insertRow();
          for (const c of [b.quantity, b.paper, b.live || 'not measured here', b.setting]) row.insertCell().textContent = c;
        } else {
          const el = document.createElement(b.kind === 'equation' ? 'pre' : 'p');
          el.className = b.kind;
          el.textContent = b.text;
          reading.appendChild(el);
        }
      }
    }
  }
  function setReading(on) {
    if (on && !source.hidden) setSource(false);
    document.body.classList.toggle('reading', on);
    document.getElementById('read-toggle').textContent = on ? 'Back to the lesson' : 'Read as text';
    document.getElementById('read-toggle').setAttribute('aria-pressed', on ? 'true' : 'false');
    renderReading();
  }

  // ------------------------------------------------------------ source view
  // The lesson's own C++ file and the project files it includes, read-only,
  // with line numbers.  Fetched from this origin only when asked
  // (scripts/make_source_index.mjs copies them into src/ at build time).
  const source = document.getElementById('source');
  let sourceIndex = null, sourceLesson = '', sourceFile = '';
  async function loadSourceIndex() {
    if (!sourceIndex) {
      const r = await fetch('src/index.json');
      if (!r.ok) throw new Error('HTTP ' + r.status);
      sourceIndex = await r.json();
    }
    return sourceIndex;
  }
  async function showSource(file) {
    const pre = source.querySelector('pre.code'), gutter = source.querySelector('pre.gutter');
    sourceFile = file;
    for (const b of source.querySelectorAll('.files button')) b.classList.toggle('active', b.dataset.file === file);
    pre.textContent = 'loading ' + file + '…';
    gutter.textContent = '';
    try {
      const r = await fetch('src/' + file.split('/').map(encodeURIComponent).join('/'));
      if (!r.ok) throw new Error('HTTP ' + r.status);
      const text = await r.text();
      if (sourceFile !== file) return;  // another file was picked meanwhile
      const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
      pre.textContent = lines.join('\n');
      gutter.textContent = lines.map((_, i) => i + 1).join('\n');
      source.querySelector('.listing').scrollTo(0, 0);
    } catch (e) {
      pre.textContent = 'Could not load ' + file + ': ' + String(e && e.message ? e.message : e).slice(0, 200);
    }
  }
  async function renderSource() {
    const id = currentId();
    if (!id || id === sourceLesson) return;
    sourceLesson = id;
    source.textContent = '';
    const files = document.createElement('div');
    files.className = 'files';
    const listing = document.createElement('div');
    listing.className = 'listing';
    const gutter = document.createElement('pre');
    gutter.className = 'gutter';
    gutter.setAttribute('aria-hidden', 'true');
    const code = document.createElement('pre');
    code.className = 'code';
    listing.append(gutter, code);
    source.append(files, listing);
    let entry;
    try {
      entry = (await loadSourceIndex()).lessons[id];
    } catch (e) {
      code.textContent = 'The source index could not be loaded (' + String(e && e.message ? e.message : e).slice(0, 200) +
        '); scripts/build writes it.';
      return;
    }
    if (!entry) {
      code.textContent = 'No source is listed for ' + id + '.';
      return;
    }
    for (const f of [entry.file, ...entry.includes]) {
      const b = document.createElement('button');
      b.type = 'button';
      b.dataset.file = f;
      b.textContent = f;
      b.title = f === entry.file ? "This lesson's file" : 'Included by the lesson';
      b.addEventListener('click', () => showSource(f));
      files.appendChild(b);
    }
    const note = document.createElement('span');
    note.className = 'note';
    note.append(' read-only');
    if (sourceIndex.repo) {
      const a = document.createElement('a');
      a.href = sourceIndex.repo + entry.file;
      a.target = '_blank';
      a.rel = 'noopener';
      a.textContent = 'in the repository';
      note.append(' · ', a);
    }
    if (/^https:\/\//.test(entry.official_code)) {
      const a = document.createElement('a');
      a.href = entry.official_code;
      a.target = '_blank';
      a.rel = 'noopener';
      a.textContent = "the paper's official code";
      note.append(' · ', a);
    }
    files.appendChild(note);
    showSource(entry.file);
  }
  function setSource(on) {
    if (on) setReading(false);
    source.hidden = !on;
    document.getElementById('source-toggle').textContent = on ? 'Back to the lesson' : 'Source';
    document.getElementById('source-toggle').setAttribute('aria-pressed', on ? 'true' : 'false');
    if (on) renderSource();
  }

  // ------------------------------------------------------------- URL state
  // The hash holds "<lesson>?key=value&...&seed=S" (see Session::state_string);
  // parameters in the query string (?embed=1&hide=n) are merged in.
  function stateFromLocation() {
    // Raw (still percent-encoded) text: C++ decodes each key and value.
    let state = location.hash.slice(1);
    const search = location.search.slice(1);
    if (search) state += (state.indexOf('?') < 0 ? '?' : '&') + search;
    return state;
  }

  function onState(state) {
    lastState = state;
    if (location.hash.slice(1) !== state) history.replaceState(null, '', location.pathname + location.search + '#' + state);
    document.body.classList.toggle('embed', Module.ccall('pg_embed', 'number', [], []) === 1);
    document.body.classList.toggle('light', /(^|[?&])theme=light(&|$)/.test(state));
    document.getElementById('theme-toggle').textContent = document.body.classList.contains('light') ? 'Dark theme' : 'Light theme';
    markActive();
    readingKey = '';
    renderReading();
    if (!source.hidden) renderSource();
  }

  window.addEventListener('hashchange', () => {
    if (!ready || location.hash.slice(1) === lastState) return;
    const r = call('pg_apply_state', ['string'], [stateFromLocation()]);
    if (r && r.ok === false && r.error) toast(r.error);
    // The state may not have changed (an unknown lesson, rejected values):
    // show the address of the state actually in force, not what was typed.
    const now = api.state();
    if (now && location.hash.slice(1) !== now) history.replaceState(null, '', location.pathname + location.search + '#' + now);
  });

  // ------------------------------------------------------------- keyboard
  document.addEventListener('keydown', (e) => {
    if (!ready || e.ctrlKey || e.metaKey || e.altKey) return;
    const tag = e.target && e.target.tagName;
    if (tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT') return;
    if (e.key === ' ') {
      e.preventDefault();
      api.play();
    } else if (e.key === 'r' || e.key === 'R') {
      api.reset();
    } else if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') {
      const i = lessons.findIndex((l) => l.id === currentId());
      const n = lessons.length;
      api.open(lessons[(i + (e.key === 'ArrowLeft' ? -1 : 1) + n) % n].id);
    }
  });

  // ------------------------------------------------------------ data packs
  // A lesson that trains on real images asks for its pack when it opens
  // (lessons/packs.cpp); it comes from this page's own origin, with progress.
  const fetchedPacks = new Set();
  async function fetchPack(name) {
    fetchedPacks.add(String(name));
    const report = (received, total) =>
      Module.ccall('pg_pack_progress', null, ['string', 'number', 'number'], [name, received, total]);
    const deliver = (bytes, error) => {
      let ptr = 0;
      if (bytes && bytes.length) {
        ptr = Module._malloc(bytes.length);
        Module.HEAPU8.set(bytes, ptr);
      }
      Module.ccall('pg_pack_arrived', null, ['string', 'number', 'number', 'string'],
        [name, ptr, bytes ? bytes.length : 0, error || '']);
    };
    try {
      const response = await fetch('data/' + encodeURIComponent(name) + '.pack');
      if (!response.ok) throw new Error('HTTP ' + response.status + ' (was the pack built? scripts/build makes it)');
      const total = Number(response.headers.get('Content-Length')) || 0;
      const reader = response.body.getReader();
      const chunks = [];
      let received = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        received += value.length;
        report(received, total);
      }
      const bytes = new Uint8Array(received);
      let offset = 0;
      for (const c of chunks) {
        bytes.set(c, offset);
        offset += c.length;
      }
      deliver(bytes, '');
    } catch (e) {
      deliver(null, 'could not load: ' + String(e && e.message ? e.message : e).slice(0, 200));
    }
  }

  // ------------------------------------------------------------ downloads
  function downloadBlob(blob, name) {
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = name;
    document.body.appendChild(a);
    a.click();
    setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }
  // A plot saved from its right-click menu (web/app.cpp): RGBA pixels, top row first.
  function savePng(ptr, width, height, name) {
    const c = document.createElement('canvas');
    c.width = width;
    c.height = height;
    const pixels = new Uint8ClampedArray(Module.HEAPU8.slice(ptr, ptr + width * height * 4).buffer);
    c.getContext('2d').putImageData(new ImageData(pixels, width, height), 0, 0);
    c.toBlob((blob) => blob && downloadBlob(blob, name), 'image/png');
  }

  // ------------------------------------------------------ training worker
  // Lessons that train run in a Web Worker holding a second copy of the
  // engine (web/train_worker.js, web/worker_link.h), so training gets a
  // whole core while this thread draws.  Started a moment after the page's
  // first frames; until it is ready, or without Worker support, the page
  // trains on its own thread as before.
  let trainWorker = null;
  function startTrainWorker() {
    if (typeof Worker === 'undefined' || trainWorker) return;
    try {
      trainWorker = new Worker('train_worker.js');
    } catch (e) {
      console.warn('training worker unavailable:', e && e.message);
      return;
    }
    const down = (why) => {
      if (!trainWorker) return;
      trainWorker.terminate();
      trainWorker = null;
      Module.pgWorkerPost = null;
      Module.ccall('pg_link_ready', null, ['number', 'string'], [0, String(why).slice(0, 200)]);
    };
    trainWorker.onmessage = (e) => {
      const m = e.data;
      if (!m || typeof m !== 'object') return;
      if (m.type === 'ready') {
        Module.pgWorkerPost = (json) => trainWorker && trainWorker.postMessage(JSON.parse(json));
        Module.ccall('pg_link_ready', null, ['number', 'string'], [1, '']);
      } else if (m.type === 'snapshot' && m.bytes instanceof ArrayBuffer) {
        const bytes = new Uint8Array(m.bytes);
        const ptr = Module._malloc(bytes.length);
        Module.HEAPU8.set(bytes, ptr);
        try {
          Module.ccall('pg_link_snapshot', 'number', ['number', 'number'], [ptr, bytes.length]);
        } finally {
          Module._free(ptr);
        }
      } else if (m.type === 'failed') {
        down(m.why || 'it failed');
      }
    };
    trainWorker.onerror = (e) => down(e && e.message ? e.message : 'it could not start');
  }

  // ------------------------------------------------------------- startup
  window.Module = {
    pgSavePng: savePng,
    pgSaveText: (text, name) => downloadBlob(new Blob([text], { type: 'text/csv' }), name),
    canvas: canvas,
    print: (text) => console.log(text),
    printErr: (text) => console.warn(text),
    onAbort: (what) => fail('The playground could not start in this browser (' + String(what).slice(0, 200) +
      '). It needs WebAssembly SIMD and WebGL 2: a current Chrome, Edge, Firefox or Safari.'),
    onPlaygroundState: onState,
    pgFetchPack: fetchPack,
    onPlaygroundReady: () => {
      ready = true;
      lessons = call('pg_lessons', [], []);
      const state = stateFromLocation();
      if (state) {
        const r = call('pg_apply_state', ['string'], [state]);
        if (r && r.ok === false && r.error) toast(r.error);
      }
      renderGallery();
      loading.hidden = true;
      // Messages from C++ (clamped or rejected input) become toasts.
      setInterval(() => {
        const messages = call('pg_take_messages', [], []);
        if (Array.isArray(messages)) messages.forEach((m) => toast(m));
      }, 250);
      // Live numbers in the reading view (cheap: only when they changed).
      setInterval(renderReading, 1000);
      setTimeout(startTrainWorker, 300);
    },
  };
  if (typeof WebAssembly !== 'object') fail('This browser has no WebAssembly; the playground needs it.');

  // ------------------------------------------------------------- offline
  // After one visit the playground works offline (web/sw.js).  A new build
  // waits until the learner says so, then this page reloads onto it, so one
  // page never mixes two builds' files.
  if ('serviceWorker' in navigator && window.isSecureContext) {
    const hadController = !!navigator.serviceWorker.controller;
    const offer = (worker) => toast('A new version of the playground is ready.',
      { label: 'Use it (reload)', run: () => worker.postMessage('pg-take-over') });
    navigator.serviceWorker.register('sw.js').then((reg) => {
      if (reg.waiting && hadController) offer(reg.waiting);
      reg.addEventListener('updatefound', () => {
        const w = reg.installing;
        if (w) w.addEventListener('statechange', () => { if (w.state === 'installed' && navigator.serviceWorker.controller) offer(w); });
      });
    }).catch((e) => console.warn('offline cache unavailable:', e && e.message));
    let reloading = false;
    navigator.serviceWorker.addEventListener('controllerchange', () => {
      if (hadController && !reloading) {
        reloading = true;
        location.reload();
      } else if (!hadController) {
        // The first visit: packs fetched before the worker took control go
        // through it once more, so that they are kept for offline use.
        for (const name of fetchedPacks) fetch('data/' + encodeURIComponent(name) + '.pack').catch(() => {});
      }
    });
  }
  canvas.addEventListener('webglcontextlost', (e) => {
    e.preventDefault();
    fail('The graphics context was lost. Reload the page to continue.');
  });
  // ------------------------------------------------------- pointer input
  // Dear ImGui 1.86 reads the mouse once per frame, and Emscripten's GLFW
  // puts a finger's press at a stale position: the app queues these events
  // itself and feeds ImGui one button transition per frame, with touch
  // gestures (tap, drag, swipe to scroll; web/pointer_input.h).  The mouse
  // and touch events GLFW listens to stop here, before they reach it.
  for (const type of ['mousedown', 'mouseup', 'mousemove', 'touchstart', 'touchmove', 'touchend', 'touchcancel']) {
    window.addEventListener(type, (e) => { if (e.target === canvas) e.stopPropagation(); }, true);
  }
  const pointerCodes = { pointerdown: 0, pointermove: 1, pointerup: 2, pointercancel: 3 };
  const sendPointer = (code, e) => {
    const r = canvas.getBoundingClientRect();
    if (!r.width || !r.height) return;
    const x = (e.clientX - r.left) * (canvas.width / r.width);
    const y = (e.clientY - r.top) * (canvas.height / r.height);
    Module._pg_pointer_event(code, x, y, e.pointerType === 'touch' ? 1 : e.button === 2 && code !== 1 ? 2 : 0);
  };
  canvas.addEventListener('contextmenu', (e) => e.preventDefault());  // the panel has its own
  for (const [name, code] of Object.entries(pointerCodes)) {
    canvas.addEventListener(name, (e) => {
      if (!ready || !e.isPrimary || !Module._pg_pointer_event) return;
      // Left and right buttons (right: a plot's save menu); the others are ignored.
      if (e.pointerType === 'mouse' && code !== 1 && e.button !== 0 && e.button !== 2) return;
      if (code === 0) {
        try { canvas.setPointerCapture(e.pointerId); } catch (_) { /* capture is a nicety */ }
        canvas.focus({ preventScroll: true });
      }
      sendPointer(code, e);
    });
  }
  // A mouse that leaves the canvas hovers nothing.
  canvas.addEventListener('pointerleave', (e) => {
    if (ready && e.pointerType === 'mouse' && !e.buttons && Module._pg_pointer_event) Module._pg_pointer_event(1, -1e7, -1e7, 0);
  });

  // ----------------------------------------------------- the narrow header
  // On a phone the gallery and the actions open from two header buttons.
  function setMenus(gallery, actions) {
    document.body.classList.toggle('gallery-open', gallery);
    document.body.classList.toggle('actions-open', actions);
    document.getElementById('menu-toggle').setAttribute('aria-expanded', String(gallery));
    document.getElementById('actions-toggle').setAttribute('aria-expanded', String(actions));
  }
  document.getElementById('menu-toggle').addEventListener('click', () => {
    const open = !document.body.classList.contains('gallery-open');
    setMenus(open, false);
  });
  document.getElementById('actions-toggle').addEventListener('click', () =>
    setMenus(false, !document.body.classList.contains('actions-open')));
  document.getElementById('actions').addEventListener('click', () => setMenus(false, false));
  document.addEventListener('keydown', (e) => { if (e.key === 'Escape') setMenus(false, false); });
  canvas.addEventListener('pointerdown', () => setMenus(false, false));

  document.getElementById('filter').addEventListener('input', renderGallery);
  document.getElementById('read-toggle').addEventListener('click', () => setReading(!document.body.classList.contains('reading')));
  document.getElementById('source-toggle').addEventListener('click', () => setSource(source.hidden));
  // Share: the exact-run link on the clipboard; the run as a JSON file.
  document.getElementById('copy-link').addEventListener('click', async () => {
    if (!ready) return;
    const link = api.link();
    try {
      await navigator.clipboard.writeText(link);
      toast('Link copied: it reopens this lesson at step ' + ((api.metrics() || {}).steps || 0) + ' with these settings');
    } catch (e) {
      toast('Copy this link: ' + link);
    }
  });
  document.getElementById('download-run').addEventListener('click', () => {
    if (!ready) return;
    const run = api.export();
    if (!run || run.ok === false) return toast('Nothing to download yet');
    downloadBlob(new Blob([JSON.stringify(run, null, 1)], { type: 'application/json' }),
      run.id + '-seed' + run.seed + '-step' + run.steps + '.json');
  });
  document.getElementById('theme-toggle').addEventListener('click', () => {
    if (!ready) return;
    Module.ccall('pg_set_theme', null, ['number'], [document.body.classList.contains('light') ? 0 : 1]);
  });
})();
