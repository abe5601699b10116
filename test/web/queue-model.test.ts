/**
 * The Queue tab's view model with no browser and no server: every `queue`
 * change applied to a view, a snapshot loaded while events arrive (nothing
 * lost, nothing twice), the history kept newest first without duplicates, and
 * the positions a keyboard move or a drop sends to `queue.move` — checked
 * against the order the server would make (a property test over random moves).
 * @module
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { DispatcherClient, Event, QueueData } from '../../src/protocol/v2/client.js';
import { PanelModel } from '../../src/web/panel-model.js';
import type { StreamMessage } from '../../src/web/stream.js';
import {
  type HistoryEntry, type QueueItem, type QueueView, QueueFeed, applyChange, applyHistoryChange, dropPosition, itemKey,
  keyMove, moveBy, moved, paramsSummary,
} from '../../src/web/queue-model.js';

/** Items and entries as the server's events carry them (the stricter shape; a view's items are the op's). */
type EventItem = Extract<Extract<QueueData, { change: 'added' }>['items'][number], { item_type: 'plan' }>;
type EventEntry = Extract<QueueData, { change: 'finished' }>['entry'];
const item = (uid: string, plan = 'count'): EventItem => ({ item_uid: uid, item_type: 'plan', plan, params: { detectors: ['det'], num: 1 }, md: {}, user: 'anonymous', time_added: 1 });
const view = (uids: string[], seq = 10): QueueView => ({ items: uids.map((u) => item(u)), running: null, mode: { loop: false, ignore_failures: false }, state: 'stopped', stop_pending: false, seq });
const uids = (v: { items: QueueItem[] } | QueueItem[]): string[] => (Array.isArray(v) ? v : v.items).map((i) => i.item_uid);
const entry = (uid: string, t = 5): EventEntry => ({ item: item(uid), result: { exit_status: 'completed', time_start: t, time_stop: t + 1, runs: [{ uid: `run-${uid}`, exit_status: 'success', reason: '' }], run_uids: [`run-${uid}`], error: null } });

describe('queue view model', () => {
  it('applies every change of the queue topic', () => {
    let v = view(['a', 'b']);
    v = applyChange(v, { change: 'added', index: 1, items: [item('x'), item('y')] }, 11);
    assert.deepEqual(uids(v), ['a', 'x', 'y', 'b']);
    assert.equal(v.seq, 11);
    v = applyChange(v, { change: 'moved', item_uid: 'a', index: 3 }, 12);
    assert.deepEqual(uids(v), ['x', 'y', 'b', 'a']);
    v = applyChange(v, { change: 'removed', item_uids: ['y'] }, 13);
    assert.deepEqual(uids(v), ['x', 'b', 'a']);
    v = applyChange(v, { change: 'updated', item: { ...item('b'), params: { num: 9 } } }, 14);
    assert.deepEqual(v.items[1]?.params, { num: 9 });
    v = applyChange(v, { change: 'running', running: { item: item('x'), time_start: 2, runs: [] } }, 15);
    assert.deepEqual(uids(v), ['b', 'a']);
    assert.equal(v.running?.item.item_uid, 'x');
    v = applyChange(v, { change: 'run', item_uid: 'x', run: { uid: 'r1', exit_status: null, reason: null } }, 16);
    assert.deepEqual(v.running?.runs.map((r) => r.uid), ['r1']);
    v = applyChange(v, { change: 'state', state: 'running', stop_pending: true }, 17);
    assert.deepEqual([v.state, v.stop_pending], ['running', true]);
    v = applyChange(v, { change: 'mode', mode: { loop: true, ignore_failures: true } }, 18);
    assert.deepEqual(v.mode, { loop: true, ignore_failures: true });
    v = applyChange(v, { change: 'finished', entry: entry('x') }, 19);
    assert.equal(v.running, null);
    v = applyChange(v, { change: 'cleared' }, 20);
    assert.deepEqual(uids(v), []);
  });

  it('leaves the view it was given unchanged (views compare by identity)', () => {
    const v = view(['a', 'b']);
    applyChange(v, { change: 'moved', item_uid: 'a', index: 1 }, 11);
    assert.deepEqual(uids(v), ['a', 'b']);
  });

  it('keeps the history newest first, once each (an item requeued after a crash runs again: two entries)', () => {
    let h: { entries: HistoryEntry[]; total: number } = { entries: [entry('a', 1)], total: 1 };
    h = applyHistoryChange(h, { change: 'finished', entry: entry('b', 2) });
    h = applyHistoryChange(h, { change: 'finished', entry: entry('b', 2) });
    h = applyHistoryChange(h, { change: 'finished', entry: entry('a', 3) });
    assert.deepEqual(h.entries.map((e) => `${e.item.item_uid}@${String(e.result.time_start)}`), ['a@3', 'b@2', 'a@1']);
    assert.equal(h.total, 3);
    assert.deepEqual(applyHistoryChange(h, { change: 'history_cleared' }), { entries: [], total: 0 });
  });

  it('a snapshot loaded while events arrive: older events are in it, newer ones are applied once, in order', () => {
    const feed = new QueueFeed();
    feed.event(5, { change: 'added', index: 0, items: [item('lost')] }); // no view yet: dropped
    feed.begin();
    feed.event(10, { change: 'added', index: 0, items: [item('a')] }); // in the snapshot (seq 10)
    feed.event(11, { change: 'added', index: 2, items: [item('c')] });
    feed.event(12, { change: 'finished', entry: entry('z', 7) }); // also in the history page asked after it
    assert.equal(feed.view, null, 'nothing shown before the snapshot');
    feed.loaded(view(['a', 'b'], 10), { entries: [entry('z', 7)], total: 1 });
    assert.deepEqual(uids(feed.view ?? []), ['a', 'b', 'c']);
    assert.equal(feed.history.length, 1);
    assert.equal(feed.historyTotal, 1);
    feed.event(11, { change: 'removed', item_uids: ['a'] }); // a replayed old event: ignored
    feed.event(13, { change: 'removed', item_uids: ['b'] });
    assert.deepEqual(uids(feed.view ?? []), ['a', 'c']);
    feed.older({ entries: [entry('z', 7), entry('y', 6)], total: 2 });
    assert.deepEqual(feed.history.map((e) => e.item.item_uid), ['z', 'y']);
    // A reconnect while a snapshot loads: the older answer is ignored, the newer one counts.
    const old = feed.begin();
    const newer = feed.begin();
    feed.event(14, { change: 'cleared' });
    feed.loaded(view(['stale'], 12), { entries: [], total: 0 }, old);
    assert.equal(feed.history.length, 2, 'the stale answer changed nothing');
    feed.loaded(view(['c'], 13), { entries: [entry('z', 7)], total: 1 }, newer);
    assert.deepEqual(uids(feed.view ?? []), [], 'the newer view, with the held event after it');
    feed.failed('forbidden');
    assert.equal(feed.view, null);
    assert.equal(feed.error, 'forbidden');
  });

  it('keyboard: Alt+arrows move, Alt+Home/End to the ends, Delete removes, plain arrows move the focus', () => {
    const k = (key: string, mods: Partial<{ altKey: boolean; ctrlKey: boolean; metaKey: boolean; shiftKey: boolean }> = {}) =>
      itemKey({ key, altKey: false, ctrlKey: false, metaKey: false, shiftKey: false, ...mods });
    assert.equal(k('ArrowUp', { altKey: true }), 'up');
    assert.equal(k('ArrowDown', { altKey: true }), 'down');
    assert.equal(k('Home', { altKey: true }), 'front');
    assert.equal(k('End', { altKey: true }), 'back');
    assert.equal(k('Delete'), 'remove');
    assert.equal(k('ArrowDown'), 'focus-next');
    assert.equal(k('ArrowUp', { ctrlKey: true }), null);
    assert.equal(k('x', { altKey: true }), null);
    const items = view(['a', 'b', 'c']).items;
    assert.deepEqual(keyMove(items, 'b', 'up'), { pos: 0 });
    assert.deepEqual(keyMove(items, 'b', 'down'), { pos: 2 });
    assert.equal(keyMove(items, 'a', 'up'), null, 'the front item cannot go up');
    assert.equal(keyMove(items, 'c', 'down'), null);
    assert.deepEqual(keyMove(items, 'c', 'front'), { pos: 'front' });
    assert.equal(keyMove(items, 'c', 'back'), null);
    assert.equal(keyMove(items, 'gone', 'up'), null);
    assert.equal(keyMove(items, 'b', 'remove'), null);
  });

  it('a drop before or after an item; beside itself changes nothing', () => {
    const items = view(['a', 'b', 'c']).items;
    assert.deepEqual(dropPosition(items, 'c', 'a', false), { before_uid: 'a' });
    assert.deepEqual(uids(moved(items, 'c', { before_uid: 'a' })), ['c', 'a', 'b']);
    assert.deepEqual(dropPosition(items, 'a', 'c', true), { after_uid: 'c' });
    assert.equal(dropPosition(items, 'a', 'a', true), null);
    assert.equal(dropPosition(items, 'a', 'b', false), null, 'before its next neighbour: where it is');
    assert.equal(dropPosition(items, 'b', 'a', true), null, 'after its previous neighbour: where it is');
    assert.deepEqual(dropPosition(items, 'a', 'b', true), { after_uid: 'b' });
  });

  it('moves computed here end where the server\'s moved event puts them (random queues and moves)', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 8 }), fc.nat(), fc.integer({ min: -3, max: 3 }), fc.nat(), fc.boolean(), (n, a, delta, b, after) => {
      const list = view(Array.from({ length: n }, (_, i) => `i${String(i)}`)).items;
      const uid = list[a % n]?.item_uid ?? '';
      const p = moveBy(list, uid, delta);
      const i = a % n;
      const want = Math.min(Math.max(0, i + delta), n - 1);
      if (p === null) assert.equal(want, i);
      else {
        // The server's moved event says the new index: the same order.
        const server = applyChange({ ...view([]), items: list }, { change: 'moved', item_uid: uid, index: want }, 99);
        assert.deepEqual(uids(moved(list, uid, p)), uids(server));
        assert.equal(uids(server).indexOf(uid), want);
      }
      const target = list[b % n]?.item_uid ?? '';
      const d = dropPosition(list, uid, target, after);
      if (d !== null) {
        const out = uids(moved(list, uid, d));
        assert.equal(out.indexOf(uid) - out.indexOf(target), after ? 1 : -1, 'right beside the target');
      } else {
        assert.ok(uid === target || uids(moved(list, uid, after ? { after_uid: target } : { before_uid: target })).join() === uids(list).join());
      }
    }), { numRuns: 300 });
  });

  it('summarises params in one short line', () => {
    assert.equal(paramsSummary({ detectors: ['det', 'det4'], num: 5, delay: 0.1 }), 'detectors=det det4, num=5, delay=0.1');
    assert.equal(paramsSummary({}), '');
    assert.equal(paramsSummary(undefined), '');
    const long = paramsSummary({ detectors: Array.from({ length: 50 }, (_, i) => `d${String(i)}`) }, 30);
    assert.equal(long.length, 30);
    assert.ok(long.endsWith('…'));
  });

  it('the panel model loads the queue with each snapshot and follows the stream\'s queue events', async () => {
    const asked: string[] = [];
    const stub = {
      plans: () => Promise.resolve({ plans: [] }), devices: () => Promise.resolve({ devices: [] }), hello: () => Promise.resolve({ server: { version: 'test' } }),
      request: (op: string) => {
        asked.push(op);
        if (op === 'queue.get') return Promise.resolve(view(['a', 'b'], 20));
        if (op === 'history.get') return Promise.resolve({ entries: [], total: 0, offset: 0 });
        return Promise.resolve({ runs: [] });
      },
      close: () => undefined,
    };
    let onBatch: ((b: StreamMessage[]) => void) | null = null;
    // A stub with only what the model calls: the real client would open a socket.
    const m = new PanelModel('ws://unused/v2', (fn) => { onBatch = fn; return { where: () => 'page', close: () => undefined }; }, stub as unknown as DispatcherClient);
    m.open();
    const feed = (b: StreamMessage[]): void => (onBatch as ((b: StreamMessage[]) => void) | null)?.(b);
    const q = (seq: number, data: QueueData): Event => ({ seq, topic: 'queue', time: 1, data });
    const status = { state: 'idle', busy: false, plan: null, item_id: null, run_uid: null, run_start_time: null, seq: 20 };
    // The snapshot, then (before queue.get answers) an event newer than the view.
    feed([{ kind: 'subscribed', result: { topics: [], seq: 20, status, open_run: null, replay_from: null } }, { kind: 'events', events: [q(21, { change: 'moved', item_uid: 'b', index: 0 })] }]);
    assert.equal(m.queue.view, null);
    await new Promise((r) => setTimeout(r, 20));
    assert.ok(asked.indexOf('queue.get') < asked.indexOf('history.get'), 'the view is asked for before the history');
    assert.deepEqual(uids(m.queue.view ?? []), ['b', 'a']);
    feed([{ kind: 'events', events: [q(22, { change: 'finished', entry: entry('x') })] }]);
    assert.equal(m.queue.history[0]?.item.item_uid, 'x');
    m.close();
  });
});
