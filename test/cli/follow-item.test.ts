/**
 * `start --wait` against a server whose answer overtakes its events: the server
 * answers a `status` at once, while events reach the subscriber after their
 * commit, so "the item is over" can come before the item's failure. The wait must
 * still report the failure (it once exited 0: a CI failure of test/cli/client.test.ts).
 * A scripted client stands in for the server, so the order is exact.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { followItem } from '../../src/cli/start.js';
import type { DispatcherClient, Event } from '../../src/protocol/v2/client.js';

const ITEM = 'item-1';

/**
 * Says the item is over from its first status on, with the seq of the item's last event (as the
 * server does: its answer includes every event so far); hands over the item's events in bursts,
 * each `atMs` after the start.
 */
class LaggingClient extends EventEmitter {
  readonly url = 'ws://scripted';
  readonly bursts: ReadonlyArray<{ atMs: number; events: Event[] }>;
  /** As DispatcherClient's: the seq of the last event handed over (the subscription's snapshot before any). */
  lastSeq: number | null = null;
  constructor(bursts: ReadonlyArray<{ atMs: number; events: Event[] }>) { super(); this.bursts = bursts; }
  async subscribe(): Promise<object> { this.lastSeq = 0; return { seq: 0 }; }
  async start(plan: string): Promise<{ item_id: string; plan: string }> {
    for (const b of this.bursts) setTimeout(() => { for (const e of b.events) { this.lastSeq = e.seq; this.emit('event', e); } }, b.atMs);
    return { item_id: ITEM, plan };
  }
  async status(): Promise<object> {
    const seq = Math.max(0, ...this.bursts.flatMap((b) => b.events.map((e) => e.seq)));
    return { state: 'idle', busy: false, plan: null, item_id: null, run_uid: null, run_start_time: null, seq };
  }
}

function output(): { out: NodeJS.WriteStream; text: () => string } {
  let text = '';
  const w = new Writable({ write(c, _e, cb) { text += String(c); cb(); } });
  return { out: w as unknown as NodeJS.WriteStream, text: () => text };
}

const ev = (seq: number, topic: string, data: unknown): Event => ({ seq, topic, time: seq, data } as unknown as Event);

test('a failed item whose events arrive after the server said it was over: exit 1, with the failure', async () => {
  const events = [
    ev(1, 'state', { new: 'running', old: 'idle', plan: 'failing', run_uid: null, item_id: ITEM }),
    ev(2, 'document', { name: 'start', doc: { uid: 'r1', time: 1 } }),
    ev(3, 'document', { name: 'stop', doc: { uid: 's1', run_start: 'r1', time: 2, exit_status: 'fail', reason: 'boom' } }),
    ev(4, 'exception', { plan: 'failing', item_id: ITEM, type: 'ValueError', message: 'boom', interruption: null, summary: 'failed: ValueError: boom' }),
    ev(5, 'state', { new: 'idle', old: 'running', plan: 'failing', run_uid: null, item_id: ITEM }),
  ];
  const o = output();
  const code = await followItem(new LaggingClient([{ atMs: 150, events }]) as unknown as DispatcherClient, 'failing', {}, {}, o.out);
  assert.equal(code, 1, o.text());
  assert.match(o.text(), /run finished: fail/);
  assert.match(o.text(), /item failed: a run ended fail: boom/);
});

test('a scan function whose second run fails after the engine went idle between runs: exit 1, both runs seen', async () => {
  // The engine goes idle between a scan function's runs; the server may say the item is over before
  // the second run's events arrive. The wait once ended on that idle and exited 0 with one run.
  const run = (first: number, uid: string, exit: string): Event[] => [
    ev(first, 'state', { new: 'running', old: 'idle', plan: 'two_runs', run_uid: null, item_id: ITEM }),
    ev(first + 1, 'document', { name: 'start', doc: { uid, time: first } }),
    ev(first + 2, 'log', { level: 'info', message: 'between the documents' }),
    ev(first + 3, 'document', { name: 'stop', doc: { uid: `s-${uid}`, run_start: uid, time: first + 1, exit_status: exit, reason: exit === 'fail' ? 'boom' : '' } }),
    ev(first + 4, 'state', { new: 'idle', old: 'running', plan: 'two_runs', run_uid: null, item_id: ITEM }),
  ];
  const o = output();
  const client = new LaggingClient([{ atMs: 0, events: run(1, 'r1', 'success') }, { atMs: 200, events: run(6, 'r2', 'fail') }]);
  const code = await followItem(client as unknown as DispatcherClient, 'two_runs', {}, {}, o.out);
  assert.equal(code, 1, o.text());
  assert.match(o.text(), /run finished: success[\s\S]*run finished: fail \(boom\)/);
  assert.match(o.text(), /item failed: a run ended fail: boom/);
});

test('an item that leaves no event at all still ends, with exit 0', async () => {
  const o = output();
  const t0 = performance.now();
  const code = await followItem(new LaggingClient([]) as unknown as DispatcherClient, 'quiet', {}, {}, o.out);
  assert.equal(code, 0, o.text());
  assert.match(o.text(), /item done: 0 run\(s\), success/);
  assert.ok(performance.now() - t0 < 10_000, 'it did not hang');
});
