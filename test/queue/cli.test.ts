/**
 * The `queue` commands against a real `serve` process: add (with a position),
 * list, start, history, item (by a uid prefix), remove, and the server's
 * refusal as one line and exit 1.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { QueueChange } from '../../src/queue/index.js';
import { runCli, startServe } from '../helpers/child.js';
import { V2Conn } from '../protocol-v2/helpers.js';

it('queue add, list, start, history, item, remove from the command line', { timeout: 180_000 }, async () => {
  const { child, port, v2 } = await startServe(['--port', '0', '--no-data'], { deadlineMs: 180_000 });
  const url = ['--port', String(port)];
  try {
    const a = await runCli(['queue', 'add', 'count', '--params', '{"detectors":["det"],"num":2}', ...url]);
    assert.equal(a.code, 0, a.stderr);
    const uidA = /item ([0-9a-f-]{36})/.exec(a.stdout)?.[1] ?? '';
    const b = await runCli(['queue', 'add', 'count', '--params', '{"detectors":["det"],"num":1}', '--front', ...url]);
    const uidB = /item ([0-9a-f-]{36})/.exec(b.stdout)?.[1] ?? '';
    assert.match(b.stdout, /position 0/);
    const bad = await runCli(['queue', 'add', 'count', '--params', '{"detectors":["det"],"num":-1}', ...url]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /invalid parameters for "count".*\(invalid_params\)/);
    assert.match(bad.stderr, /\/item\/params\/num/);
    const usage = await runCli(['queue', 'add', 'count', '--params', '{nope', ...url]);
    assert.equal(usage.code, 2);

    const list = await runCli(['queue', 'list', ...url]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /queue stopped/);
    assert.ok(list.stdout.indexOf(uidB.slice(0, 8)) < list.stdout.indexOf(uidA.slice(0, 8)), list.stdout);

    const c = await V2Conn.connect(v2);
    await c.ok('subscribe', { topics: ['queue'] });
    const start = await runCli(['queue', 'start', ...url]);
    assert.equal(start.code, 0, start.stderr);
    await c.waitEvent((e) => e.topic === 'queue' && (e.data as QueueChange).change === 'state' && (e.data as { state: string }).state === 'stopped');
    await c.close();

    const history = await runCli(['queue', 'history', ...url]);
    assert.equal(history.code, 0, history.stderr);
    const lines = history.stdout.trim().split('\n');
    assert.equal(lines.length, 2);
    assert.ok(lines[0]?.startsWith(uidA.slice(0, 8)) && lines[0].includes('completed'), history.stdout);
    assert.ok(lines[1]?.startsWith(uidB.slice(0, 8)), history.stdout);

    const item = await runCli(['queue', 'item', uidA.slice(0, 8), ...url]);
    assert.equal(item.code, 0, item.stderr);
    assert.match(item.stdout, new RegExp(`item ${uidA}: done \\(completed\\)`));
    assert.match(item.stdout, /run [0-9a-f-]{36}: success/);

    const c2 = await runCli(['queue', 'add', 'count', '--params', '{"detectors":["det"]}', ...url]);
    const uidC = /item ([0-9a-f-]{36})/.exec(c2.stdout)?.[1] ?? '';
    const removed = await runCli(['queue', 'remove', uidC, ...url]);
    assert.equal(removed.code, 0, removed.stderr);
    const again = await runCli(['queue', 'remove', uidA, ...url]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /is done, not pending \(item_not_pending\)/);
    const json = await runCli(['queue', 'list', '--json', ...url]);
    assert.deepEqual((JSON.parse(json.stdout) as { items: unknown[] }).items, []);
  } finally {
    await child.stop('SIGTERM');
  }
});
