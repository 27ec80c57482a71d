#!/usr/bin/env node
// make_source_index.mjs - the page's "Source" view: copies each lesson's own
// C++ file, and the project files it includes (with their .cpp), into
// <out>/src/, and writes <out>/src/index.json:
//   {repo, lessons: {id: {file, official_code, includes: [path, ...]}}, files: {path: bytes}}
// The page fetches these only when the learner asks (never in the initial
// payload).  `repo` is a browsable base URL derived from this checkout's git
// remote when it is a plain https or ssh remote, else "" (no link shown).
//   node scripts/make_source_index.mjs --cli build/native/playground-cli --out build/web
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const top = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, fallback) => (args.indexOf(name) >= 0 ? args[args.indexOf(name) + 1] : fallback);
const cli = path.resolve(top, opt('--cli', 'build/native/playground-cli'));
const out = path.resolve(top, opt('--out', 'build/web'), 'src');

const lessons = JSON.parse(execFileSync(cli, ['list', '--json'], { encoding: 'utf8' }));

// Project includes of a file ("engine/...", "lessons/...", "ui/..."), in order.
const includeRe = /^\s*#\s*include\s+"((?:engine|lessons|ui)\/[^"]+)"/gm;
function includesOf(rel) {
  const text = fs.readFileSync(path.join(top, rel), 'utf8');
  return [...text.matchAll(includeRe)].map((m) => m[1]).filter((p) => fs.existsSync(path.join(top, p)));
}
// A header's implementation file, when there is one.
const twin = (rel) => (rel.endsWith('.h') && fs.existsSync(path.join(top, rel.slice(0, -2) + '.cpp')) ? rel.slice(0, -2) + '.cpp' : null);

function repoBase() {
  let url = '';
  try {
    url = execFileSync('git', ['-C', top, 'config', '--get', 'remote.origin.url'], { encoding: 'utf8' }).trim();
  } catch { return ''; }
  const ssh = url.match(/^git@([^:]+):(.+?)(\.git)?$/);
  if (ssh) url = `https://${ssh[1]}/${ssh[2]}`;
  const m = url.match(/^https:\/\/[A-Za-z0-9.-]+\/[A-Za-z0-9._-]+\/[A-Za-z0-9._-]+?(\.git)?$/);
  if (!m) return '';
  let commit = 'main';
  try { commit = execFileSync('git', ['-C', top, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim(); } catch { /* main */ }
  return url.replace(/\.git$/, '') + '/blob/' + commit + '/';
}

const index = { repo: repoBase(), lessons: {}, files: {} };
const copy = (rel) => {
  if (rel in index.files) return;
  const dest = path.join(out, rel);
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.copyFileSync(path.join(top, rel), dest);
  index.files[rel] = fs.statSync(dest).size;
};
for (const l of lessons) {
  const file = 'lessons/' + l.id.replace(/-/g, '_') + '.cpp';
  if (!fs.existsSync(path.join(top, file))) {
    console.error(`make_source_index: ${l.id}: ${file} not found (a lesson's file is named after its id)`);
    process.exit(1);
  }
  // The lesson's direct includes, each header followed by its .cpp; the
  // framework headers every lesson shares come last.
  const shared = new Set(['lessons/lesson.h', 'lessons/walkthrough.h', 'lessons/outputs.h']);
  const seen = new Set([file]);
  const list = [];
  for (const inc of includesOf(file)) {
    for (const p of [inc, twin(inc)]) if (p && !seen.has(p)) { seen.add(p); list.push(p); }
  }
  list.sort((a, b) => Number(shared.has(a)) - Number(shared.has(b)));
  copy(file);
  list.forEach(copy);
  index.lessons[l.id] = { file, official_code: l.code || '', includes: list };
}
fs.writeFileSync(path.join(out, 'index.json'), JSON.stringify(index));
const bytes = Object.values(index.files).reduce((a, b) => a + b, 0);
console.log(`[source] ${Object.keys(index.files).length} files (${(bytes / 1024).toFixed(0)} KB) for ${lessons.length} lessons in ${path.relative(top, out)}/`);
