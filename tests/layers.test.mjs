// The layers run one way: engine <- ui <- lessons <- web (DESIGN.md).  This
// reads every #include of the C++ sources and fails on an include against
// the direction, and on JavaScript glue outside the host.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const top = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// Which project folders each layer may include from (system headers, Eigen
// and doctest are not project folders; "imgui.h" is the ImGui layer).
const allowed = {
  engine: ['engine'],
  ui: ['engine', 'ui', 'imgui'],
  lessons: ['engine', 'ui', 'lessons', 'imgui'],
  web: ['engine', 'ui', 'lessons', 'web', 'imgui', 'glfw', 'generated'],
};

function sources(dir) {
  const out = [];
  for (const e of fs.readdirSync(path.join(top, dir), { withFileTypes: true })) {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(rel));
    else if (/\.(h|cpp)$/.test(e.name)) out.push(rel);
  }
  return out;
}

// The layer a quoted include belongs to.
function layerOf(include) {
  if (/^imgui(_internal)?\.h$|^imgui_impl_/.test(include)) return 'imgui';
  if (include === 'shader_sources.h') return 'generated';
  const first = include.split('/')[0];
  return first.endsWith('.h') ? 'local' : first;
}

test('includes only point down the layers: engine <- ui <- lessons <- web', () => {
  const problems = [];
  let checked = 0;
  for (const layer of Object.keys(allowed)) {
    for (const file of sources(layer)) {
      const text = fs.readFileSync(path.join(top, file), 'utf8');
      for (const m of text.matchAll(/^\s*#\s*include\s+"([^"]+)"/gm)) {
        checked++;
        const target = layerOf(m[1]);
        if (target === 'local') {
          problems.push(`${file}: "${m[1]}" (project includes name their folder)`);
        } else if (!allowed[layer].includes(target)) {
          problems.push(`${file} (${layer}) includes "${m[1]}" (${target})`);
        }
      }
      if (layer !== 'web' && /EM_ASM|EM_JS|EMSCRIPTEN_KEEPALIVE/.test(text)) problems.push(`${file}: JavaScript glue belongs to web/`);
      if (layer === 'engine' && /#include\s+<(GLFW|emscripten)/.test(text)) problems.push(`${file}: the engine is UI- and platform-free`);
    }
  }
  assert.ok(checked > 100, 'found the sources');
  assert.deepEqual(problems, []);
});

test('a lesson never sees the Session: lessons/ does not name it', () => {
  const offenders = sources('lessons').filter((f) => /\bSession\b/.test(fs.readFileSync(path.join(top, f), 'utf8')));
  assert.deepEqual(offenders, []);
});
