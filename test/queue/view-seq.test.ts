/**
 * `queue.get` and `status` report the seq of the newest event their view includes, so that a
 * client applying the events with a greater seq (docs/queue.md) applies none of them twice. The
 * store numbers an event when it is appended and shows it when its batch commits, a turn later:
 * before, the answer carried the last *shown* seq, older than a change the view already held, and a
 * panel following the rule moved an item again or inserted an added one a second time (a move: 39
 * views in 40). A real server with its store, two v2 clients: one moves an item while the other asks
 * for the view in the same tick.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { serve } from '../../src/cli/serve.js';
import type { Operations } from '../../src/ops/index.js';
import type { QueueChange } from '../../src/queue/index.js';
import { createLogger } from '../../src/server/index.js';
import { V2Conn } from '../protocol-v2/helpers.js';
import { TempDirs } from '../store/tmp.js';

type Res<N extends keyof Operations> = Operations[N]['result'];
type Served = Awaited<ReturnType<typeof serve>>;

const dirs = new TempDirs();
let s: Served;
before(async () => { s = await serve({ port: 0, data: dirs.make(), logger: createLogger({ level: 'silent' }) }); });
after(async () => { await s.dispatcher.stop('test'); await s.store?.close(); dirs.cleanup(); });

const item = (k: number) => ({ plan: 'count', params: { detectors: ['det'], num: 1 }, md: { k } });

it('a view taken in the same turn as a change carries a seq at or after that change\'s event', { timeout: 60_000 }, async () => {
  const a = await V2Conn.connect(`${s.server.url}v2`);
  const b = await V2Conn.connect(`${s.server.url}v2`);
  try {
    await b.ok('subscribe', { topics: ['queue'] });
    await a.ok('queue.add', { items: [item(1), item(2), item(3)] });
    for (let k = 0; k < 20; k++) {
      const last = (await b.ok<Res<'queue.get'>>('queue.get')).items[2]?.item_uid;
      const from = b.events.length; // the move's event comes after this
      // Both requests leave in one tick: the move is made at once (no plan to check), and the view is
      // read in the same turn, while the move's event awaits the store's commit.
      const [, [view, st]] = await Promise.all([
        a.ok('queue.move', { item_uid: last, pos: 'front' }),
        Promise.all([b.ok<Res<'queue.get'>>('queue.get'), b.ok<Res<'status'>>('status')]),
      ]);
      const event = b.events[await b.waitEvent((e) => e.topic === 'queue' && (e.data as QueueChange).change === 'moved'
        && (e.data as { item_uid: string }).item_uid === last, from)];
      assert.ok(event !== undefined);
      const inView = view.items[0]?.item_uid === last;
      // The view holds the move exactly when its seq covers the move's event: applying the events after
      // view.seq (docs/queue.md) moves the item once, never twice.
      assert.equal(inView, event.seq <= view.seq, `round ${k}: move in view ${String(inView)}, view seq ${view.seq}, event seq ${event.seq}`);
      // A status answered meanwhile is never ahead of the stream: its seq is one the stream has shown.
      assert.ok(st.seq <= (b.events.at(-1)?.seq ?? 0), `round ${k}: status seq ${st.seq} was shown`);
    }
    const r = await V2Conn.connect(`${s.server.url}v2`);
    try {
      const [view] = await Promise.all([r.ok<Res<'queue.get'>>('queue.get'), a.ok('queue.add', { item: item(99) })]);
      await r.ok('subscribe', { topics: ['queue'], since: view.seq }); // never too new for the log
    } finally { await r.close(); }
    await a.ok('queue.clear');
  } finally {
    await a.close();
    await b.close();
  }
});
