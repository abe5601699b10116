/**
 * The package as another project gets it: `npm pack`, install the tarball
 * into a new project, and run the README's API tour there as written (type-
 * checked against the shipped .d.ts, then run), plus the installed CLI, which
 * runs the compiled dist/ (issue 15: the exports pointed at a dist/ that
 * `npm ci` never built).
 * @module
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OFFLINE, TSC, TSX, cleanEnv, installInto, packPackage, readmeCode, run } from './pack.js';

const work = mkdtempSync(join(tmpdir(), 'bsd-pack-'));
const project = join(work, 'project');
let skipped: string | null = null;

describe('the packed package, installed into another project', { timeout: 600_000 }, () => {
  before(async () => {
    const tarball = await packPackage(work);
    const r = await installInto(project, tarball);
    if (r.code !== 0) {
      // Only a registry that cannot be reached is an excuse, and never in CI.
      if (process.env.CI !== 'true' && OFFLINE.test(r.err)) { skipped = `npm cannot install the dependencies (no registry, not in npm's cache): ${r.err.trim().split('\n')[0] ?? ''}`; return; }
      throw new Error(`npm install of the packed package failed:\n${r.err}`);
    }
  });
  after(() => { rmSync(work, { recursive: true, force: true }); });

  it('the README tour type-checks against the shipped types and runs as written', async (t) => {
    if (skipped !== null) { t.skip(skipped); return; }
    const tour = readmeCode('A tour of the API');
    assert.match(tour, /from 'bluesky-dispatcher'/);
    writeFileSync(join(project, 'tour.ts'), tour);
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        target: 'ES2023', lib: ['ES2023'], module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true,
        skipLibCheck: true, typeRoots: [join(TSC, '../../../@types')], types: ['node'],
      },
      files: ['tour.ts'],
    }));
    await run(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: project });
    const r = await run(process.execPath, ['--import', TSX, 'tour.ts'], { cwd: project, deadlineMs: 120_000, env: cleanEnv() });
    assert.match(r.out, /idle → running/, 'the state hook');
    assert.match(r.out, /^start \{/m, 'documents reach the subscriber');
    assert.match(r.out, /RunEngineInterrupted/, 'the pause surfaces as a rejection');
    assert.match(r.out, /^stop \{[\s\S]*exit_status: 'success'/m);
  });

  it('the installed CLI runs (compiled dist/, no tsx): run count', async (t) => {
    if (skipped !== null) { t.skip(skipped); return; }
    const bin = join(project, 'node_modules/.bin/bluesky-dispatcher');
    const r = await run(bin, ['run', 'count', '--params', '{"detectors":["det"],"num":2}'], { cwd: project, deadlineMs: 60_000 });
    assert.match(r.out, /generator success; events: \{"primary":2\}/);
  });
});
