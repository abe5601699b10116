/**
 * What issue 13 promises after a kill -9 during the second of three queue items
 * and a restart, checked the same way for every store (SQLite and PostgreSQL).
 * @module
 */
import assert from 'node:assert/strict';
import type { Operations } from '../../src/ops/index.js';
import type { V2Conn } from '../protocol-v2/helpers.js';

type Res<N extends keyof Operations> = Operations[N]['result'];

/**
 * Subscribes `c` to the queue topic, then checks: the queue is stopped with nothing running, the
 * interrupted item is back at the front, and history says `interrupted` (its run `abort`) after
 * the first item's `completed`. Returns that history.
 */
export async function assertRequeuedAfterCrash(c: V2Conn, [u1, u2, u3]: readonly [string, string, string]): Promise<Res<'history.get'>> {
  await c.ok('subscribe', { topics: ['queue'] });
  const view = await c.ok<Res<'queue.get'>>('queue.get');
  assert.equal(view.state, 'stopped');
  assert.equal(view.running, null);
  assert.deepEqual(view.items.map((i) => i.item_uid), [u2, u3]);
  const h = await c.ok<Res<'history.get'>>('history.get');
  assert.deepEqual(h.entries.map((x) => [x.item.item_uid, x.result.exit_status]), [[u2, 'interrupted'], [u1, 'completed']]);
  assert.equal(h.entries[0]?.result.runs[0]?.exit_status, 'abort', 'the run\'s verdict comes from the run store\'s crash recovery');
  return h;
}
