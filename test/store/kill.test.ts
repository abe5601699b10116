/**
 * The write-ahead promise under SIGKILL: every document the child printed (after
 * its commit) is in the store after the kill; recovery closes the run honestly.
 * @module
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { DocumentName } from '../../src/model/documents.js';
import { documentErrors } from '../../src/model/validate.js';
import { INTERRUPTED_REASON, SqliteStore } from '../../src/store/index.js';
import { TestChild } from '../helpers/child.js';
import { exportLines } from './contract.js';
import { TempDirs } from './tmp.js';

const dirs = new TempDirs();
after(() => { dirs.cleanup(); });
const CHILD = fileURLToPath(new URL('./fixtures/kill-child.ts', import.meta.url));

/**
 * Run the child until it has printed `atLeast` lines, SIGKILL it, return every line it printed
 * whole. The kill can land in the middle of a line: what follows the last newline was never
 * printed as a line (readline would hand it over as one at the end), so it is not counted.
 */
async function printedBeforeKill(dir: string, atLeast: number): Promise<string[]> {
  const child = new TestChild(process.execPath, ['--import', 'tsx', CHILD, dir], { deadlineMs: 120_000 });
  const lines: string[] = [];
  const out = child.proc.stdout as NodeJS.ReadableStream;
  const closed = once(out, 'close');
  let partial = '';
  out.setEncoding('utf8');
  out.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      if (lines.length === atLeast) child.proc.kill('SIGKILL');
    }
  });
  const { code, signal } = await child.exited;
  await closed;
  assert.equal(signal, 'SIGKILL', `the child ended on its own (code ${String(code)}): ${child.err}`);
  return lines;
}

it('keeps every document a SIGKILLed child published, and recovery closes the run as interrupted', async () => {
  const dir = dirs.make();
  const printed = await printedBeforeKill(dir, 3000);
  const store = SqliteStore.open(dir);
  try {
    const [run] = await store.listRuns();
    assert.ok(run !== undefined, 'the run is indexed');
    assert.equal(run.stopTime, null, 'the run was open when the child died');
    const stored = await exportLines(store, run.uid);
    assert.ok(stored.length >= printed.length, `stored ${stored.length} < printed ${printed.length}`);
    assert.deepEqual(stored.slice(0, printed.length), printed, 'the printed lines are the stored documents, in order');

    const published: Array<[DocumentName, unknown]> = [];
    const checks: Array<Promise<void>> = [];
    const stops = await store.recoverInterrupted((name, doc) => {
      checks.push(store.getRun(run.uid).then((r) => { assert.equal(r?.interrupted, true, 'stored before it is published'); }));
      published.push([name, doc]);
    });
    await Promise.all(checks);
    assert.equal(stops.length, 1);
    assert.deepEqual(published, [['stop', stops[0]]]);
    const events = stored.filter((l) => l.startsWith('["event"')).length;
    const closed = await store.getRun(run.uid);
    assert.equal(closed?.exitStatus, 'abort');
    assert.equal(closed?.reason, INTERRUPTED_REASON);
    assert.equal(closed?.interrupted, true);
    assert.deepEqual(closed?.numEvents, { primary: events });

    const exported = await exportLines(store, run.uid);
    assert.equal(exported.length, stored.length + 1);
    for (const line of exported) {
      const [name, doc] = JSON.parse(line) as [DocumentName, unknown];
      assert.deepEqual(documentErrors(name, doc), [], line.slice(0, 200));
    }
    assert.deepEqual(await store.recoverInterrupted(), [], 'recovery is idempotent');
  } finally {
    await store.close();
  }
});
