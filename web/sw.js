// sw.js - the playground offline: after one visit, the page, the engine
// (playground.js + .wasm + .data, which holds the font) and every data pack
// or source file that was opened come from this cache.
//
// Versioned by content: scripts/build writes the hash of the build's files
// into BUILD below, so a new build is a new worker with a new cache.  The
// engine's files are precached together (cache.addAll is all or nothing) and
// served only from the cache of the worker in control, so a page never gets
// a playground.js and a playground.wasm from different builds.  A new worker
// waits until the page asks it to take over (the page reloads right after),
// then deletes the older caches.
const BUILD = '__PG_BUILD_HASH__';
const CACHE = 'softmax-playground-' + BUILD;
const CORE = ['./', 'index.html', 'shell.js', 'train_worker.js', 'style.css', 'playground.js', 'playground.wasm', 'playground.data'];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(CORE.map((u) => new Request(u, { cache: 'reload' })))));
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) if (key.startsWith('softmax-playground-') && key !== CACHE) await caches.delete(key);
    await self.clients.claim();  // the first visit's page: nothing older to mismatch with
  })());
});

self.addEventListener('message', (event) => {
  if (event.data === 'pg-take-over') self.skipWaiting();
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== 'GET' || url.origin !== self.location.origin) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    // The page itself, whatever its query (?embed=1): the cached index.html.
    const page = req.mode === 'navigate' && (url.href === self.registration.scope ||
      url.pathname.endsWith('/index.html'));
    const key = page ? new URL('index.html', self.registration.scope).href : req;
    const hit = await cache.match(key, { ignoreSearch: page });
    if (hit) return hit;
    const response = await fetch(req);
    // Data packs and source files are kept once fetched (same build, same bytes).
    if (response.ok && /\/(data\/[^/]+\.pack|src\/.+)$/.test(url.pathname)) cache.put(req, response.clone());
    return response;
  })());
});
