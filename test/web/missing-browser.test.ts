/**
 * A machine without the browsers: the panel's browser tests are skipped with
 * one line saying how to install the browser, and under CI=true they fail —
 * quickly in both cases, leaving nothing running (issue 15: a missing
 * firefox-esr used to hang `npm test` for good). Simulated by pointing
 * FIREFOX_PATH / CHROMIUM_PATH at a path that does not exist.
 * @module
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { TestChild } from '../helpers/child.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Generous for a loaded 2-core machine; the hang this guards against never ended at all. */
const QUICK_MS = 90_000;

async function runFile(file: string, env: Record<string, string>): Promise<{ code: number | null; out: string; ms: number }> {
  const base = { ...process.env };
  delete base.CI;
  delete base.NODE_TEST_CONTEXT; // else the child's runner thinks it is nested in ours and runs nothing

  const t0 = performance.now();
  const child = new TestChild(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', file], {
    cwd: ROOT, env: { ...base, ...env }, deadlineMs: QUICK_MS + 30_000,
  });
  const { code } = await child.exited;
  return { code, out: child.out + child.err, ms: performance.now() - t0 };
}

const CASES = [
  { browser: 'Firefox', file: 'test/web/panel.firefox.e2e.test.ts', env: 'FIREFOX_PATH', install: /apt-get install firefox-esr/ },
  { browser: 'Chromium', file: 'test/web/panel.e2e.test.ts', env: 'CHROMIUM_PATH', install: /apt-get install chromium/ },
];

describe('a browser that is not installed', { timeout: 4 * (QUICK_MS + 30_000) }, () => {
  for (const c of CASES) {
    it(`${c.browser}: its tests are skipped with one line saying how to install it`, async () => {
      const r = await runFile(c.file, { [c.env]: '/nonexistent/browser' });
      assert.equal(r.code, 0, r.out);
      assert.ok(r.ms < QUICK_MS, `took ${String(Math.round(r.ms))} ms`);
      const skipLines = r.out.split('\n').filter((l) => /# SKIP/.test(l));
      assert.equal(skipLines.length, 1, r.out);
      assert.match(skipLines[0] ?? '', new RegExp(`${c.browser} is not installed \\(no /nonexistent/browser\\): `));
      assert.match(skipLines[0] ?? '', c.install);
      assert.match(r.out, /# fail 0/);
    });

    it(`${c.browser} under CI=true: the run fails, quickly`, async () => {
      const r = await runFile(c.file, { [c.env]: '/nonexistent/browser', CI: 'true' });
      assert.notEqual(r.code, 0, r.out);
      assert.ok(r.ms < QUICK_MS, `took ${String(Math.round(r.ms))} ms`);
      assert.match(r.out, new RegExp(`${c.browser} is not installed`));
      assert.doesNotMatch(r.out, /# SKIP/);
    });
  }
});
