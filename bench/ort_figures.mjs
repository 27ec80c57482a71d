// ort_figures.mjs - the ONNX Runtime Web side of the benchmark: the figures of
// bench/figures.cpp that it has an operator for, on the same inputs, as
// { name: { unit, work, setup(), call() } } for bench/side_by_side.mjs
// (call() returns a promise: session.run is asynchronous).
//
// Backend: onnxruntime-web's wasm execution provider (SIMD, one thread: a page
// without cross-origin isolation has no SharedArrayBuffer), its .wasm loaded
// from node_modules, nothing fetched.  Each figure is a session over a model
// of one to three nodes, written here as protobuf bytes (ONNX ModelProto,
// ir_version 8, opset 17): no model file is downloaded or committed.
// A call is one session.run: ORT copies the input tensors into its heap and
// the outputs back out as part of every run, which is the cheapest a caller
// of its API can do (there is no op-level call as in TF.js).
import { createRequire } from 'node:module';
import path from 'node:path';

import { fill } from './tfjs_figures.mjs';

// ---- a minimal protobuf writer for the ONNX messages used below ----------------
// Wire types: 0 varint, 2 length-delimited, 5 32-bit.  Field numbers from onnx.proto.
const utf8 = new TextEncoder();
function varint(value) {
  const out = [];
  let v = BigInt(value);
  if (v < 0n) v += 1n << 64n;  // int64 fields: two's complement, 10 bytes
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
}
const tag = (field, wire) => varint((field << 3) | wire);
const int = (field, v) => [...tag(field, 0), ...varint(v)];
const bytes = (field, b) => [...tag(field, 2), ...varint(b.length), ...b];
const text = (field, s) => bytes(field, [...utf8.encode(s)]);
const float = (field, v) => [...tag(field, 5), ...new Uint8Array(new Float32Array([v]).buffer)];

const kFloat = 1;  // TensorProto.DataType.FLOAT
// ValueInfoProto { name = 1, type = 2: TypeProto { tensor_type = 1: { elem_type = 1, shape = 2: { dim = 1: { dim_value = 1 } } } } }
const valueInfo = (name, dims) =>
  [...text(1, name), ...bytes(2, bytes(1, [...int(1, kFloat), ...bytes(2, dims.flatMap((d) => bytes(1, int(1, d))))]))];
// AttributeProto { name = 1, f = 2, i = 3, type = 20 (FLOAT = 1, INT = 2) }
const attrInt = (name, v) => [...text(1, name), ...int(3, v), ...int(20, 2)];
const attrFloat = (name, v) => [...text(1, name), ...float(2, v), ...int(20, 1)];
// NodeProto { input = 1, output = 2, op_type = 4, attribute = 5, domain = 7 }
const node = (op, inputs, outputs, attrs = [], domain = '') => [
  ...inputs.flatMap((s) => text(1, s)), ...outputs.flatMap((s) => text(2, s)), ...text(4, op),
  ...attrs.flatMap((a) => bytes(5, a)), ...(domain ? text(7, domain) : []),
];
// ModelProto { ir_version = 1, producer_name = 2, graph = 7, opset_import = 8: { domain = 1, version = 2 } }
// GraphProto { node = 1, name = 2, input = 11, output = 12 }
function model(nodes, inputs, outputs, opsets = [['', 17]]) {
  const graph = [...nodes.flatMap((n) => bytes(1, n)), ...text(2, 'bench'),
    ...inputs.flatMap(([name, dims]) => bytes(11, valueInfo(name, dims))),
    ...outputs.flatMap(([name, dims]) => bytes(12, valueInfo(name, dims)))];
  return new Uint8Array([...int(1, 8), ...text(2, 'softmax-playground bench'), ...bytes(7, graph),
    ...opsets.flatMap(([domain, version]) => bytes(8, [...(domain ? text(1, domain) : []), ...int(2, version)]))]);
}

export async function makeOrtFigures(root) {
  const ort = createRequire(path.join(root, 'package.json'))('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.simd = true;
  ort.env.wasm.proxy = false;
  ort.env.wasm.wasmPaths = path.join(root, 'node_modules/onnxruntime-web/dist') + path.sep;
  const options = { executionProviders: ['wasm'], graphOptimizationLevel: 'all', executionMode: 'sequential' };

  const figures = {};
  // One session per figure, made with its inputs in setup (once); a call is one
  // run.  Setup checks the first run's output row 0 against `expect` (in
  // double), so a wrong model (an attribute misread, say) cannot be timed.  The
  // bound is loose: ORT's softmax of the 4M-element row is off by ~1e-3
  // relative (its sum is not compensated), a wrong model by far more.
  const add = (name, unit, work, makeModel, makeFeeds, expect) => {
    let state = null;
    figures[name] = {
      unit, work,
      async setup() {
        if (state) return;
        state = { session: await ort.InferenceSession.create(makeModel(), options), feeds: makeFeeds() };
        const out = Object.values(await state.session.run(state.feeds))[0].data;
        const want = expect(state.feeds);
        let err = 0, top = 0;
        for (let j = 0; j < want.length; ++j) err = Math.max(err, Math.abs(out[j] - want[j])), top = Math.max(top, Math.abs(want[j]));
        if (!(err <= 1e-2 * top)) throw new Error(`ort ${name}: row 0 is off by ${err} (largest entry ${top})`);
      },
      call() { return state.session.run(state.feeds); },
    };
  };
  const tensor = (n, lo, hi, dims) => new ort.Tensor('float32', fill(n, lo, hi), dims);

  for (const n of [64, 128, 256, 512]) {
    add(`gemm_${n}`, 'GFLOP/s', 2 * n ** 3 * 1e-9,
      () => model([node('MatMul', ['A', 'B'], ['C'])], [['A', [n, n]], ['B', [n, n]]], [['C', [n, n]]]),
      () => ({ A: tensor(n * n, -1, 1, [n, n]), B: tensor(n * n, -1, 1, [n, n]) }),
      ({ A, B }) => rowTimes(A.data, B.data, n, n));
  }
  for (const [rows, cols] of [[256, 1024], [16, 65536], [1, 4194304]]) {
    add(`softmax_${rows}x${cols}`, 'GB/s', 8 * rows * cols * 1e-9,
      () => model([node('Softmax', ['X'], ['Y'], [attrInt('axis', -1)])], [['X', [rows, cols]]], [['Y', [rows, cols]]]),
      () => ({ X: tensor(rows * cols, -8, 8, [rows, cols]) }),
      ({ X }) => softmaxRow(X.data.subarray(0, cols), 1));
  }
  // Softmax attention, one head, n = 1024 queries = keys, d = 64, scale 1/8,
  // as Gemm(Q, K, alpha = 1/8, transB = 1), Softmax, MatMul: the n x n scores
  // materialized, as TF.js does.  ORT's own attention operator (com.microsoft
  // MultiHeadAttention, in the wasm build's contrib ops) gives the same output
  // but took 26 ms per call here against 19 ms for this graph, so the faster
  // form is the anchor.
  const n = 1024, d = 64;
  add(`attn_softmax_${n}x64`, 'GFLOP/s', 4 * n * n * d * 1e-9,
    () => model([node('Gemm', ['Q', 'K'], ['S'], [attrFloat('alpha', 0.125), attrInt('transB', 1)]),
      node('Softmax', ['S'], ['P'], [attrInt('axis', -1)]), node('MatMul', ['P', 'V'], ['O'])],
    [['Q', [n, d]], ['K', [n, d]], ['V', [n, d]]], [['O', [n, d]]]),
    () => ({ Q: tensor(n * d, -1, 1, [n, d]), K: tensor(n * d, -1, 1, [n, d]), V: tensor(n * d, -1, 1, [n, d]) }),
    ({ Q, K, V }) => rowTimes(softmaxRow(rowTimes(Q.data, transpose(K.data, n, d), d, n), 0.125), V.data, n, d));
  return figures;
}

// Row 0 of a product in double, for setup's check: a's first row (1, k) times b (k, m).
function rowTimes(a, b, k, m) {
  const out = new Array(m).fill(0);
  for (let j = 0; j < k; ++j) for (let i = 0; i < m; ++i) out[i] += a[j] * b[j * m + i];
  return out;
}
function transpose(a, rows, cols) {
  const t = new Float32Array(rows * cols);
  for (let r = 0; r < rows; ++r) for (let c = 0; c < cols; ++c) t[c * rows + r] = a[r * cols + c];
  return t;
}
function softmaxRow(x, scale) {
  let mu = -Infinity, s = 0;
  for (const v of x) mu = Math.max(mu, v * scale);
  const e = Array.from(x, (v) => Math.exp(v * scale - mu));
  for (const v of e) s += v;
  return e.map((v) => v / s);
}
