/**
 * The contracts of the server's own stores beside the runs — the queue
 * (`QueueStore`), API keys (`KeyStore`), the audit log (`AuditLog`) and the
 * control lock (`LockStore`) — run against SQLite (sqlite.test.ts) and a real
 * PostgreSQL (postgres.test.ts) alike, as test/store/contract.ts does for the
 * run store. A target opens a fresh, empty store; `reopen` opens the storage
 * of the last one again (a restart).
 * @module
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuditLog } from '../../src/audit/index.js';
import { type KeyStore, hashKey } from '../../src/auth/index.js';
import { ControlLock, type LockStore } from '../../src/lock/index.js';
import type { HistoryEntry, QueueItem, QueueStore, RunningItem } from '../../src/queue/index.js';

export interface Target<S> {
  open(): Promise<S>;
  /** The storage of the last `open()` again, as after a restart. */
  reopen(): Promise<S>;
  /** Release what the opens made (called after each test, the stores closed). */
  cleanup(): Promise<void>;
}

const close = async (s: { close(): Promise<void> }): Promise<void> => { await s.close(); };

export function item(uid: string, extra: Record<string, unknown> = {}): QueueItem {
  return { item_uid: uid, user: 'ada', time_added: 1_700_000_000.25, item_type: 'plan', plan: 'count', params: { detectors: ['det'], num: 3, note: 'Ünïcode ✓', ...extra }, md: { sample: 'Si' } };
}

export function historyEntry(uid: string, exit: HistoryEntry['result']['exit_status'] = 'completed'): HistoryEntry {
  return { item: item(uid), result: { exit_status: exit, time_start: 1, time_stop: 2, runs: [{ uid: `${uid}-run`, exit_status: 'success', reason: null }], run_uids: [`${uid}-run`], error: null } };
}

export function runQueueStoreContract(name: string, target: Target<QueueStore>): void {
  describe(`QueueStore contract: ${name}`, () => {
    const uids = async (s: QueueStore): Promise<string[]> => (await s.load()).items.map((x) => x.item.item_uid);

    it('a new store is empty, with the default mode', async () => {
      const s = await target.open();
      try {
        assert.deepEqual(await s.load(), { items: [], running: null, mode: { loop: false, ignore_failures: false }, history: [] });
        assert.equal(typeof s.location, 'string');
      } finally { await close(s); await target.cleanup(); }
    });

    it('items: puts, deletes and clears apply in order within one write; read back by ordering key, exactly', async () => {
      const s = await target.open();
      try {
        await s.write({ items: [{ op: 'put', item: item('a'), pos: 0.1 + 0.2 }, { op: 'put', item: item('b'), pos: -5.5 }, { op: 'put', item: item('c'), pos: 1e-300 }] });
        assert.deepEqual(await uids(s), ['b', 'c', 'a']);
        const snap = await s.load();
        assert.deepEqual(snap.items.map((x) => x.pos), [-5.5, 1e-300, 0.1 + 0.2], 'keys round-trip exactly');
        assert.deepEqual(snap.items[0]?.item, item('b'));
        // A put of a known uid replaces it; a clear then puts in the same write.
        await s.write({ items: [{ op: 'put', item: item('a', { num: 9 }), pos: -10 }, { op: 'delete', item_uid: 'c' }] });
        assert.deepEqual(await uids(s), ['a', 'b']);
        assert.equal(((await s.load()).items[0]?.item as { params: { num: number } }).params.num, 9);
        await s.write({ items: [{ op: 'clear' }, { op: 'put', item: item('d'), pos: 3 }] });
        assert.deepEqual(await uids(s), ['d']);
        await s.write({ items: [{ op: 'put', item: item('e'), pos: 1 }, { op: 'clear' }] });
        assert.deepEqual(await uids(s), []);
      } finally { await close(s); await target.cleanup(); }
    });

    it('the running item, the mode and the history (appended in order, cleared) survive a restart', async () => {
      const s = await target.open();
      const running: RunningItem = { item: item('r'), time_start: 5, runs: [{ uid: 'run-1', exit_status: null, reason: null }] };
      await s.write({ items: [{ op: 'put', item: item('p'), pos: 0 }], running, mode: { loop: true, ignore_failures: false }, history: [historyEntry('h1'), historyEntry('h2', 'failed')] });
      await s.write({ history: [historyEntry('h3')] });
      await close(s);
      const again = await target.reopen();
      try {
        const snap = await again.load();
        assert.deepEqual(snap.running, running);
        assert.deepEqual(snap.mode, { loop: true, ignore_failures: false });
        assert.deepEqual(snap.history.map((h) => [h.item.item_uid, h.result.exit_status]), [['h1', 'completed'], ['h2', 'failed'], ['h3', 'completed']]);
        assert.deepEqual(snap.history[0], historyEntry('h1'));
        assert.deepEqual(snap.items.map((x) => x.item.item_uid), ['p']);
        await again.write({ running: null, clearHistory: true, history: [historyEntry('h4')] });
        const after = await again.load();
        assert.equal(after.running, null);
        assert.deepEqual(after.history.map((h) => h.item.item_uid), ['h4']);
      } finally { await close(again); await target.cleanup(); }
    });

    it('a write that fails part way keeps nothing of it', async () => {
      const s = await target.open();
      try {
        await s.write({ items: [{ op: 'put', item: item('keep'), pos: 0 }], mode: { loop: false, ignore_failures: true } });
        // A value JSON cannot hold, after changes that would otherwise apply: the whole write is refused.
        const poison = item('bad', { n: 1n });
        await assert.rejects(s.write({ items: [{ op: 'delete', item_uid: 'keep' }, { op: 'put', item: item('x'), pos: 1 }, { op: 'clear' }, { op: 'put', item: poison, pos: 2 }] }));
        await assert.rejects(s.write({ mode: { loop: true, ignore_failures: true }, history: [historyEntry('h'), { ...historyEntry('bad'), item: poison }] }));
        const snap = await s.load();
        assert.deepEqual(snap.items.map((x) => x.item.item_uid), ['keep']);
        assert.deepEqual(snap.mode, { loop: false, ignore_failures: true });
        assert.deepEqual(snap.history, []);
      } finally { await close(s); await target.cleanup(); }
    });
  });
}

export function runKeyStoreContract(name: string, target: Target<KeyStore>): void {
  describe(`KeyStore contract: ${name}`, () => {
    it('creates, finds by hash only, lists, refuses a taken or bad name, revokes; a revoked name is free again', async () => {
      const s = await target.open();
      try {
        const { key, record } = await s.create('alice', ['read', 'control']);
        assert.match(key, /^bsk_[A-Za-z0-9_-]{43}$/);
        assert.deepEqual(record.scopes, ['read', 'control']);
        const found = await s.find(hashKey(key));
        assert.equal(found?.name, 'alice');
        assert.deepEqual(found?.scopes, ['read', 'control']);
        assert.equal(await s.find(hashKey(`${key}x`)), undefined, 'another key is unknown');
        assert.equal(await s.find(key), undefined, 'the key itself is not what is stored');
        await assert.rejects(s.create('alice', ['read']), (e: unknown) => (e as { code?: string }).code === 'AUTH_NAME_TAKEN' && /'alice' exists/.test((e as Error).message));
        await assert.rejects(s.create('bad name!', ['read']), (e: unknown) => (e as { code?: string }).code === 'AUTH_BAD_NAME' && /key name/.test((e as Error).message));
        await s.create('bob', ['admin']);
        assert.deepEqual((await s.list()).map((k) => [k.name, k.revoked === null]), [['alice', true], ['bob', true]]);
        assert.equal(await s.revoke('alice'), true);
        assert.equal(await s.revoke('alice'), false);
        assert.equal(await s.revoke('nobody'), false);
        assert.equal(await s.find(hashKey(key)), undefined, 'a revoked key finds nothing');
        const second = await s.create('alice', ['read']);
        assert.equal((await s.find(hashKey(second.key)))?.name, 'alice');
        const listed = await s.list();
        assert.equal(listed.filter((k) => k.name === 'alice').length, 2);
        assert.ok(listed.some((k) => k.name === 'alice' && k.revoked !== null && k.revoked > 0));
      } finally { await close(s); await target.cleanup(); }
    });

    it('keys and revocations survive a restart; a lookup marks the key used', async () => {
      const s = await target.open();
      const a = await s.create('carol', ['read', 'queue']);
      const b = await s.create('dave', ['read']);
      await s.revoke('dave');
      await s.find(hashKey(a.key));
      await close(s);
      const again = await target.reopen();
      try {
        // The mark is best effort (never awaited by a request): give it a moment.
        let carol = (await again.list()).find((k) => k.name === 'carol');
        for (let i = 0; i < 50 && carol?.lastUsed == null; i++) { await new Promise((r) => setTimeout(r, 20)); carol = (await again.list()).find((k) => k.name === 'carol'); }
        assert.deepEqual((await again.find(hashKey(a.key)))?.scopes, ['read', 'queue']);
        assert.equal(await again.find(hashKey(b.key)), undefined);
        assert.equal(typeof carol?.lastUsed, 'number');
      } finally { await close(again); await target.cleanup(); }
    });
  });
}

export function runAuditContract(name: string, target: Target<AuditLog>): void {
  describe(`AuditLog contract: ${name}`, () => {
    const rec = (time: number, who: string, op: string, outcome = 'ok') => ({ time, who, protocol: 'v2', op, params: `{"n":${String(time)}}`, outcome, message: outcome === 'ok' ? null : 'refused' });

    it('lists what was recorded (at once, without waiting), newest first; filters by op, who, since; limit and offset', async () => {
      const log = await target.open();
      try {
        log.record(rec(10, 'ada', 'start'));
        log.record(rec(11, 'bob', 'start', 'locked'));
        log.record(rec(12, 'ada', 'abort'));
        log.record(rec(13, 'ada', 'start'));
        const all = await log.list();
        assert.deepEqual(all.map((e) => [e.time, e.who, e.op, e.outcome]), [[13, 'ada', 'start', 'ok'], [12, 'ada', 'abort', 'ok'], [11, 'bob', 'start', 'locked'], [10, 'ada', 'start', 'ok']]);
        assert.ok(all.every((e, i) => i === 0 || e.id < (all[i - 1]?.id ?? 0)), 'ids increase with recording');
        assert.equal(all[2]?.message, 'refused');
        assert.equal(all[0]?.params, '{"n":13}');
        assert.deepEqual((await log.list({ op: 'start' })).map((e) => e.time), [13, 11, 10]);
        assert.deepEqual((await log.list({ who: 'bob' })).map((e) => e.time), [11]);
        assert.deepEqual((await log.list({ since: 12 })).map((e) => e.time), [13, 12]);
        assert.deepEqual((await log.list({ limit: 2, offset: 1 })).map((e) => e.time), [12, 11]);
        assert.equal(log.failures, 0);
      } finally { await close(log); await target.cleanup(); }
    });

    it('survives a restart', async () => {
      const log = await target.open();
      log.record(rec(1, 'ada', 'lock.acquire'));
      await close(log);
      const again = await target.reopen();
      try {
        again.record(rec(2, 'ada', 'lock.release'));
        assert.deepEqual((await again.list()).map((e) => e.op), ['lock.release', 'lock.acquire']);
      } finally { await close(again); await target.cleanup(); }
    });
  });
}

export function runLockContract(name: string, target: Target<LockStore>): void {
  describe(`LockStore contract: ${name}`, () => {
    it('free at first; held, changed, broken and released across restarts', async () => {
      const s = await target.open();
      assert.equal(await s.load(), null);
      const lock = await ControlLock.open(s);
      assert.equal((await lock.acquire('ada', 'alignment', 1000)).ok, true);
      assert.equal((await lock.acquire('bob', 'mine', 1001)).ok, false);
      await lock.acquire('ada', 'alignment until 14:00', 1002);
      await lock.close();
      const s2 = await target.reopen();
      const lock2 = await ControlLock.open(s2);
      assert.deepEqual(lock2.state, { holder: 'ada', note: 'alignment until 14:00', since: 1000 });
      assert.deepEqual(lock2.heldAgainst('bob'), lock2.state);
      assert.equal((await lock2.release('bob', false)).ok, false);
      assert.equal((await lock2.release('bob', true)).ok, true);
      await lock2.close();
      const s3 = await target.reopen();
      assert.equal(await s3.load(), null);
      // The holder's own release is kept too.
      const lock3 = await ControlLock.open(s3);
      await lock3.acquire('ada', 'overnight', 2000);
      assert.equal((await lock3.release('ada', false)).ok, true);
      await lock3.close();
      const s4 = await target.reopen();
      try {
        assert.equal(await s4.load(), null);
      } finally { await close(s4); await target.cleanup(); }
    });
  });
}
