/**
 * Issue 16, bounded memory for any plan size: the standard plans compute their
 * positions one point at a time (Python materialises them up front). A
 * 1,000,000-point scan, driven to the end in a child process with no-op
 * devices, keeps a flat live heap and a peak RSS under 150 MiB; a grid of
 * 10^12 points and a scan of 10^12 points yield their first points at once.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { completedStatus, type Msg } from '../../src/model/index.js';
import { gridScan, listScan, logScan, scan } from '../../src/plans/index.js';
import { TestChild } from '../helpers/child.js';

const CHILD = fileURLToPath(new URL('./lazy-positions.child.ts', import.meta.url));

function device(name: string): object {
  const reading = { [name]: { value: 0, timestamp: 0 } };
  return { name, parent: null, read: () => reading, describe: () => ({}), set: () => completedStatus(), trigger: () => completedStatus() };
}

/** The first `count` messages of a plan, answered as the engine would (roughly). */
function firstMessages(plan: Generator<Msg, unknown, unknown>, count: number): Msg[] {
  const out: Msg[] = [];
  let r = plan.next();
  while (r.done !== true && out.length < count) {
    out.push(r.value);
    const m = r.value;
    r = plan.next(m.command === 'set' || m.command === 'trigger' ? completedStatus() : m.command === 'read' ? (m.obj as { read: () => unknown }).read() : null);
  }
  void plan.return(undefined);
  return out;
}

describe('plans generate positions lazily', () => {
  it('a 1,000,000-point scan runs to the end in a child process with a flat heap and peak RSS < 150 MiB', { timeout: 300_000 }, async () => {
    const child = new TestChild(process.execPath, ['--expose-gc', '--import', 'tsx', CHILD, 'scan', '1000000'], { deadlineMs: 280_000 });
    assert.equal(await child.code(), 0, child.err);
    const { points, heap_mib: heap, rss_mib: rss } = JSON.parse(child.out.trim().split('\n').at(-1) ?? '{}') as { points: number; heap_mib: number[]; rss_mib: number };
    assert.equal(points, 1_000_000);
    // Materialised positions alone would be > 100 MiB of live heap before the first point.
    assert.ok(Math.max(...heap) - (heap[0] ?? 0) < 16, `live heap after GC, every 100,000 points: ${heap.join(', ')} MiB`);
    assert.ok(rss < 150, `peak RSS ${rss} MiB`);
  });

  it('10^12-point scan, grid_scan (snaked), list_scan and log_scan start at once', () => {
    const det = device('det');
    const t0 = performance.now();
    const scanMsgs = firstMessages(scan([det] as never, [device('m'), -1, 1], { num: 1e12 }), 2000);
    const gridMsgs = firstMessages(gridScan([det] as never, [device('m1'), -1, 1, 1e6, device('m2'), -1, 1, 1e6], { snakeAxes: true }), 2000);
    const logMsgs = firstMessages(logScan([det] as never, device('m'), 0, 3, 1e12), 2000);
    const ms = performance.now() - t0;
    for (const msgs of [scanMsgs, gridMsgs, logMsgs]) assert.equal(msgs.length, 2000);
    assert.equal(scanMsgs.find((m) => m.command === 'open_run')?.kwargs['num_points'], 1e12);
    assert.deepEqual(gridMsgs.find((m) => m.command === 'open_run')?.kwargs['shape'], [1e6, 1e6]);
    assert.ok(ms < 10_000, `${ms.toFixed(0)} ms`);
    // A user's position list is read in place, not copied per point.
    const positions = [0, 1, 2];
    assert.equal(firstMessages(listScan([det] as never, [device('m'), positions]), 1000).filter((m) => m.command === 'set').length, 3);
  });
});
