// serve.mjs - a static file server for build/web on 127.0.0.1, for the
// playground and its browser tests.  No dependencies; serves only files
// inside the root (no directory listing, no path traversal).
//   node web/serve.mjs [--port 8080] [--root build/web]
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';

const args = process.argv.slice(2);
function option(name, fallback) {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
}
const port = Number(option('--port', process.env.PORT || '8080'));
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`serve: --port must be a whole number from 0 to 65535, not ${JSON.stringify(option('--port', ''))}`);
  process.exit(2);
}
const root = path.resolve(option('--root', 'build/web'));
if (!fs.existsSync(path.join(root, 'index.html'))) {
  console.error(`serve: ${root}/index.html not found; build first (scripts/build)`);
  process.exit(1);
}

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm', '.data': 'application/octet-stream', '.pack': 'application/octet-stream',
  '.ttf': 'font/ttf', '.png': 'image/png', '.json': 'application/json',
  '.cpp': 'text/plain; charset=utf-8', '.h': 'text/plain; charset=utf-8',
};

const server = http.createServer((req, res) => {
  let pathname;
  try {
    pathname = decodeURIComponent(new URL(req.url, 'http://localhost').pathname);
  } catch {
    res.writeHead(400).end('bad request');
    return;
  }
  if (pathname.endsWith('/')) pathname += 'index.html';
  const file = path.resolve(root, '.' + pathname);
  if (!file.startsWith(root + path.sep)) {
    res.writeHead(403).end('forbidden');
    return;
  }
  fs.stat(file, (err, st) => {
    if (err || !st.isFile()) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    // A validator, so that a browser coming back revalidates (304) instead
    // of downloading again, and keeps what it derived from the file: V8
    // caches the compiled engine with the HTTP cache's copy of the .wasm.
    // no-cache: always revalidated, so a rebuild is fetched at once.
    const etag = '"' + st.size.toString(16) + '-' + Math.floor(st.mtimeMs).toString(16) + '"';
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, { ETag: etag, 'Cache-Control': 'no-cache' }).end();
      return;
    }
    res.writeHead(200, {
      'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream',
      'Content-Length': st.size,
      ETag: etag,
      'Last-Modified': st.mtime.toUTCString(),
      'Cache-Control': 'no-cache',
      'X-Content-Type-Options': 'nosniff',
      // The same policy as the page's meta tag, as a header (it also covers
      // the embed example): nothing from outside this origin.
      'Content-Security-Policy': "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; " +
        "img-src 'self' data: blob:; connect-src 'self'; worker-src 'self' blob:; frame-src 'self'",
    });
    fs.createReadStream(file).pipe(res);
  });
});
server.listen(port, '127.0.0.1', () => {
  const actual = server.address().port;
  console.log(`Softmax Playground: http://127.0.0.1:${actual}/`);
});
