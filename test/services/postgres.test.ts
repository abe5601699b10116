/**
 * The queue, key, audit and lock contracts (contracts.ts) against a real
 * PostgreSQL started for this file, each store in a database of its own on
 * the run store's pool; then what only a shared database has: two instances
 * keep separate queues, histories, modes, locks and audit logs, and share
 * one key list (a key revoked through one is refused by the other).
 * @module
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { FACILITY, PgAuditLog } from '../../src/audit/index.js';
import { Authenticator, PgKeyStore } from '../../src/auth/index.js';
import { Dispatcher } from '../../src/dispatcher/index.js';
import { ControlLock, PgLockStore } from '../../src/lock/index.js';
import { PgQueueStore, QueueScheduler } from '../../src/queue/index.js';
import { PostgresBackend } from '../../src/store/pg/index.js';
import { TestPostgres, postgresSkip } from '../helpers/postgres.js';
import { type Target, historyEntry, item, runAuditContract, runKeyStoreContract, runLockContract, runQueueStoreContract } from './contracts.js';

const skip = postgresSkip();
let server: TestPostgres | null = null;
const backends: PostgresBackend[] = [];

async function backend(url: string, instance = 'bl01'): Promise<PostgresBackend> {
  const b = await PostgresBackend.open(url, { instance });
  backends.push(b);
  return b;
}
const closeAll = async (): Promise<void> => { await Promise.all(backends.splice(0).map((b) => b.close())); };

function target<S>(make: (b: PostgresBackend) => S): Target<S> {
  let last = '';
  return {
    open: async () => make(await backend(last = await server!.createDatabase())),
    reopen: async () => make(await backend(last)),
    cleanup: closeAll,
  };
}

if (skip !== undefined) {
  describe('queue, keys, audit and lock in PostgreSQL', { skip }, () => { it('needs PostgreSQL', () => undefined); });
} else {
  before(async () => { server = await TestPostgres.start(); });
  after(async () => { await closeAll(); await server?.stop(); });

  runQueueStoreContract('PostgreSQL', target((b) => new PgQueueStore(b.pool, b.instance, b.location)));
  runKeyStoreContract('PostgreSQL', target((b) => new PgKeyStore(b.pool, b.location)));
  runAuditContract('PostgreSQL', target((b) => new PgAuditLog(b.pool, b.instance)));
  runLockContract('PostgreSQL', target((b) => new PgLockStore(b.pool, b.instance)));

  describe('two instances in one database', () => {
    it('each has its own queue, running item, mode and history; one\'s crash recovery leaves the other\'s queue alone', async () => {
      const url = await server!.createDatabase('shared');
      const a = await backend(url, 'bl01');
      const b = await backend(url, 'bl02');
      const qa = new PgQueueStore(a.pool, 'bl01', a.location);
      const qb = new PgQueueStore(b.pool, 'bl02', b.location);
      // The same item uid on both (a copied item): still two rows, one per queue.
      await qa.write({ items: [{ op: 'put', item: item('same'), pos: 0 }, { op: 'put', item: item('a2'), pos: 1 }], mode: { loop: true, ignore_failures: false }, history: [historyEntry('ha')] });
      await qb.write({ items: [{ op: 'put', item: item('same'), pos: 5 }], running: { item: item('rb'), time_start: 1, runs: [] }, history: [historyEntry('hb')] });
      await qa.write({ items: [{ op: 'clear' }], clearHistory: true });
      const sa = await qa.load();
      const sb = await qb.load();
      assert.deepEqual(sa.items, []);
      assert.deepEqual(sa.history, []);
      assert.equal(sa.running, null);
      assert.deepEqual(sa.mode, { loop: true, ignore_failures: false });
      assert.deepEqual(sb.items.map((x) => x.item.item_uid), ['same']);
      assert.deepEqual(sb.history.map((h) => h.item.item_uid), ['hb']);
      assert.equal(sb.running?.item.item_uid, 'rb');
      assert.deepEqual(sb.mode, { loop: false, ignore_failures: false });

      // bl02 "crashed" with an item running; bl01 restarts and recovers: bl02's queue is untouched.
      const d = new Dispatcher();
      const sched = new QueueScheduler(d, { store: new PgQueueStore(a.pool, 'bl01', a.location) });
      await sched.load();
      assert.equal(await sched.recover({ requeue: true }), null, 'bl01 had nothing running');
      sched.dispose();
      const b2 = new QueueScheduler(new Dispatcher(), { store: new PgQueueStore(b.pool, 'bl02', b.location) });
      await b2.load();
      const entry = await b2.recover({ requeue: true });
      assert.equal(entry?.result.exit_status, 'interrupted');
      assert.deepEqual(b2.view().items.map((i) => i.item_uid), ['rb', 'same']);
      b2.dispose();
      assert.deepEqual((await qa.load()).items, [], 'bl01 got nothing of bl02\'s');
      assert.deepEqual((await qb.load()).items.map((x) => x.item.item_uid), ['rb', 'same']);
    });

    it('each has its own control lock', async () => {
      const url = await server!.createDatabase('shared');
      const a = await backend(url, 'bl01');
      const b = await backend(url, 'bl02');
      const la = await ControlLock.open(new PgLockStore(a.pool, 'bl01'));
      const lb = await ControlLock.open(new PgLockStore(b.pool, 'bl02'));
      assert.equal((await la.acquire('ada', 'bl01 is mine', 1)).ok, true);
      assert.equal((await lb.acquire('bob', 'bl02 is mine', 2)).ok, true, 'bl01\'s lock holds nobody back on bl02');
      await la.release('ada', false);
      const again = await ControlLock.open(new PgLockStore(b.pool, 'bl02'));
      assert.equal(again.state?.holder, 'bob');
      assert.equal((await ControlLock.open(new PgLockStore(a.pool, 'bl01'))).state, null);
    });

    it('audit rows carry their instance: each lists its own and the facility\'s; \'*\' lists all', async () => {
      const url = await server!.createDatabase('shared');
      const a = await backend(url, 'bl01');
      const b = await backend(url, 'bl02');
      const logA = new PgAuditLog(a.pool, 'bl01');
      const logB = new PgAuditLog(b.pool, 'bl02');
      const cli = new PgAuditLog(a.pool, FACILITY);
      const rec = (op: string) => ({ time: 1, who: 'ada', protocol: 'v2', op, params: '{}', outcome: 'ok', message: null });
      // One after another (each log writes in the background; the ids give the order).
      logA.record(rec('start'));
      await logA.list();
      logB.record(rec('abort'));
      await logB.list();
      cli.record(rec('keys.create'));
      await cli.close();
      assert.deepEqual((await logA.list()).map((e) => [e.instance, e.op]), [['*', 'keys.create'], ['bl01', 'start']]);
      assert.deepEqual((await logB.list()).map((e) => [e.instance, e.op]), [['*', 'keys.create'], ['bl02', 'abort']]);
      assert.deepEqual((await logA.list({ instance: 'bl02' })).map((e) => e.op), ['keys.create', 'abort']);
      assert.deepEqual((await logA.list({ instance: '*' })).map((e) => e.op), ['keys.create', 'abort', 'start']);
    });

    it('share one key list: a key made through one works on the other; revoked through one, refused by both at once; a forged or unknown key is refused', async () => {
      const url = await server!.createDatabase('shared');
      const a = await backend(url, 'bl01');
      const b = await backend(url, 'bl02');
      const authA = new Authenticator({ keys: new PgKeyStore(a.pool, a.location) });
      const authB = new Authenticator({ keys: new PgKeyStore(b.pool, b.location) });
      const { key } = await authA.keys.create('ops', ['read', 'control']);
      assert.equal((await authB.fromKey(key, 'http')).name, 'ops');
      assert.deepEqual([...(await authB.fromKey(key, 'http')).scopes], ['read', 'control']);
      await assert.rejects(authA.keys.create('ops', ['read']), (e: unknown) => (e as { code?: string }).code === 'AUTH_NAME_TAKEN', 'names are unique across instances');
      // Forged: the right shape, never issued; tampered: one character changed; not a key at all.
      const forged = `bsk_${'A'.repeat(43)}`;
      const tampered = `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`;
      for (const bad of [forged, tampered, 'bsk_short', "' OR 1=1 --", '']) {
        await assert.rejects(authB.fromKey(bad, 'http'), (e: unknown) => (e as { code?: string }).code === 'unauthorized', bad);
      }
      assert.equal(await authB.keys.revoke('ops'), true);
      await assert.rejects(authA.fromKey(key, 'http'), (e: unknown) => (e as { code?: string }).code === 'unauthorized' && /revoked/.test((e as Error).message));
      await assert.rejects(authB.fromKey(key, 'http'), (e: unknown) => (e as { code?: string }).code === 'unauthorized');
    });
  });

  describe('PgQueueStore round trips', () => {
    it('a write of one statement is sent alone (autocommit, one round trip); several go in one transaction', async () => {
      const url = await server!.createDatabase('trips');
      await backend(url); // migrates the database
      // A pool of our own whose clients report every statement they send (the store's pool is the run store's).
      const sent: string[] = [];
      const pool = new pg.Pool({ connectionString: url, max: 2 });
      // pool.end() resolves before its connections have closed: wait for each, so none outlives the test.
      const ended: Array<Promise<void>> = [];
      pool.on('error', () => undefined);
      pool.on('connect', (client) => {
        ended.push(new Promise((resolve) => { client.once('end', () => { resolve(); }); }));
        const query = client.query.bind(client) as (...a: unknown[]) => unknown;
        // Typed loosely: pg's query has a dozen overloads; the first argument is the text or a config with one.
        (client as unknown as { query: (...a: unknown[]) => unknown }).query = (...a: unknown[]) => {
          const first = a[0];
          sent.push((typeof first === 'string' ? first : (first as { text: string }).text).trim().split(/\s+/).slice(0, 2).join(' '));
          return query(...a);
        };
      });
      try {
        const store = new PgQueueStore(pool, 'bl01', 'trips');
        const trips = async (write: Parameters<PgQueueStore['write']>[0]): Promise<string[]> => { sent.length = 0; await store.write(write); return [...sent]; };
        assert.deepEqual(await trips({ items: [{ op: 'put', item: item('a'), pos: 0 }, { op: 'put', item: item('b'), pos: 1 }] }), ['INSERT INTO'], 'a batch add');
        assert.deepEqual(await trips({ mode: { loop: true, ignore_failures: false } }), ['INSERT INTO'], 'the mode');
        assert.deepEqual(await trips({ history: [historyEntry('h1'), historyEntry('h2')] }), ['INSERT INTO'], 'history');
        assert.deepEqual(await trips({ items: [{ op: 'delete', item_uid: 'b' }] }), ['DELETE FROM'], 'a delete');
        assert.deepEqual(await trips({}), [], 'nothing to write, nothing sent');
        // An item's start: its delete and the running row must land together.
        assert.deepEqual(await trips({ items: [{ op: 'delete', item_uid: 'a' }], running: { item: item('a'), time_start: 1, runs: [] } }),
          ['BEGIN', 'DELETE FROM', 'INSERT INTO', 'COMMIT']);
        const snap = await store.load();
        assert.deepEqual(snap.items, []);
        assert.equal(snap.running?.item.item_uid, 'a');
        assert.deepEqual(snap.mode, { loop: true, ignore_failures: false });
        assert.deepEqual(snap.history.map((h) => h.item.item_uid), ['h1', 'h2']);
      } finally { await pool.end(); await Promise.all(ended); }
    });
  });
}
