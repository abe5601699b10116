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

/** Says the item is over from its first status on; hands over the item's events `lagMs` after the start. */
class LaggingClient extends EventEmitter {
  readonly url = 'ws://scripted';
  readonly events: Event[];
  readonly lagMs: number;
  constructor(events: Event[], lagMs: number) { super(); this.events = events; this.lagMs = lagMs; }
  async subscribe(): Promise<object> { return { seq: 0 }; }
  async start(plan: string): Promise<{ item_id: string; plan: string }> {
    setTimeout(() => { for (const e of this.events) this.emit('event', e); }, this.lagMs);
    return { item_id: ITEM, plan };
  }
  async status(): Promise<object> { return { state: 'idle', busy: false, plan: null, item_id: null, run_uid: null, run_start_time: null, seq: 0 }; }
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
  const code = await followItem(new LaggingClient(events, 150) as unknown as DispatcherClient, 'failing', {}, {}, o.out);
  assert.equal(code, 1, o.text());
  assert.match(o.text(), /run finished: fail/);
  assert.match(o.text(), /item failed: a run ended fail: boom/);
});

test('an item that leaves no event at all still ends (after the grace period), with exit 0', async () => {
  const o = output();
  const t0 = performance.now();
  const code = await followItem(new LaggingClient([], 0) as unknown as DispatcherClient, 'quiet', {}, {}, o.out);
  assert.equal(code, 0, o.text());
  assert.match(o.text(), /item done: 0 run\(s\), success/);
  assert.ok(performance.now() - t0 < 10_000, 'it did not hang');
});
