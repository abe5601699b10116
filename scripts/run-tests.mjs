#!/usr/bin/env node
// Runs every *.test.ts under src/ and test/ with node's test runner (Node 20's
// --test takes no globs, so we list the files here). Extra args are passed on.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';

function find(dir) {
  let out = [];
  let entries;
  try { entries = readdirSync(dir); } catch { return out; }
  for (const name of entries) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(find(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

// BLUESKY_QUICK_TESTS=1: a small quick subset, for the `npm test` that test/package/fresh-clone.test.ts
// runs inside its clone (the full suite there would run that test again, recursively).
const QUICK = ['test/golden/', 'test/protocol-v1/replay-idle.test.ts', 'test/cli/run.test.ts', 'src/devices/recordings.test.ts'];

const filter = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const flags = process.argv.slice(2).filter((a) => a.startsWith('-'));
let files = [...find('src'), ...find('test')].sort();
if (process.env.BLUESKY_QUICK_TESTS === '1') files = files.filter((f) => QUICK.some((q) => f.includes(q)));
if (filter.length > 0) files = files.filter((f) => filter.some((x) => f.includes(x)));
// The engine's worker thread runs the compiled dist/ when it is up to date (src/host/worker-entry.ts):
// a worker started through tsx takes seconds, and the suites start dozens. Incremental: ~1 s when nothing changed.
const tsc = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json', '--incremental', '--tsBuildInfoFile', 'dist/.tsbuildinfo'], { stdio: 'inherit' });
if (tsc.status !== 0) process.exit(tsc.status ?? 1);
// dist/ now matches the sources, but an incremental build leaves unchanged outputs with their old
// times, and the worker is judged fresh by its own file's time: without this, after an edit that
// does not change worker-main.js, every worker would start through tsx (slower, more memory).
const now = new Date();
utimesSync('dist/host/worker-main.js', now, now);
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...flags, ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
