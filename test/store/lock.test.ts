/**
 * One server per data directory, with real processes: a second `serve` on the
 * same --data exits with code 2 and one line naming the holder's pid; the first
 * goes on untouched; once the first has stopped, the directory is free again.
 * @module
 */
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { runCli, startServe } from '../helpers/child.js';
import { V2Conn } from '../protocol-v2/helpers.js';
import { TempDirs } from './tmp.js';

const dirs = new TempDirs();
after(() => { dirs.cleanup(); });

it('a second server on the same --data exits 2 naming the holder; the first is untouched', { timeout: 180_000 }, async () => {
  const dir = dirs.make();
  const first = await startServe(['--port', '0', '--data', dir]);
  try {
    const c = await V2Conn.connect(first.v2);
    await c.ok('subscribe', {});
    await c.ok('start', { plan: 'count', params: { detectors: ['det'], num: 100_000, delay: 0.002 } });
    await c.waitEvent((e) => e.topic === 'document' && (e.data as { name: string }).name === 'event');

    const second = await runCli(['serve', '--port', '0', '--data', dir], { deadlineMs: 60_000 });
    assert.equal(second.code, 2, second.stderr);
    const lines = second.stderr.trim().split('\n');
    assert.equal(lines.length, 1, second.stderr);
    assert.match(lines[0] ?? '', /in use by another server .*STORE_LOCKED/);
    assert.ok((lines[0] ?? '').includes(`pid ${String(first.child.proc.pid)}`), lines[0]);

    // The first one's run goes on, recorded: nothing was closed as "interrupted".
    const n = c.events.length;
    await c.waitEvent((e) => e.topic === 'document' && (e.data as { name: string }).name === 'event', n);
    await c.ok('abort', { reason: 'test over' });
    await c.waitEvent((e) => e.topic === 'document' && (e.data as { name: string }).name === 'stop');
    const { runs } = await c.ok<{ runs: Array<{ interrupted: boolean; reason: string }> }>('runs.list', {});
    assert.equal(runs.length, 1);
    assert.equal(runs[0]?.interrupted, false);
    assert.equal(runs[0]?.reason, 'test over');
    await c.close();
  } finally {
    await first.child.stop('SIGTERM');
  }
  // Released with its holder: the directory can be served again.
  const again = await startServe(['--port', '0', '--data', dir]);
  await again.child.stop('SIGTERM');
});
