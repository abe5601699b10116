/**
 * PostgreSQL goes away under a running server: queue operations that need the
 * database are refused `unavailable` (503, retry later) naming the database,
 * not `internal`; what is in memory still answers, and nothing crashes. A real
 * PostgreSQL started for this file and stopped half-way.
 * @module
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { hw } from '../../src/devices/index.js';
import { Dispatcher, registerStandardPlans } from '../../src/dispatcher/index.js';
import { type OpContext, invoke } from '../../src/ops/index.js';
import { PgQueueStore, QueueScheduler, attachQueue, detachQueue } from '../../src/queue/index.js';
import { PostgresBackend } from '../../src/store/pg/index.js';
import { TestPostgres, postgresSkip } from '../helpers/postgres.js';
import { refusal } from '../helpers/wait.js';

const skip = postgresSkip();
const COUNT = { plan: 'count', params: { detectors: ['det'], num: 1 } };

describe('queue operations while PostgreSQL is down', { skip, timeout: 120_000 }, () => {
  const undo: Array<() => Promise<void> | void> = [];
  after(async () => { for (const u of undo.reverse()) await u(); });

  it('are refused unavailable, naming the database; queue.get still answers', async () => {
    const server = await TestPostgres.start();
    undo.push(() => server.stop());
    const backend = await PostgresBackend.open(await server.createDatabase(), { instance: 'bl01' });
    undo.push(() => backend.close().catch(() => undefined));
    const d = new Dispatcher({ devices: hw().devices });
    registerStandardPlans(d);
    await d.open();
    undo.push(() => d.shutdown());
    const q = new QueueScheduler(d, { store: new PgQueueStore(backend.pool, backend.instance, backend.location) });
    await q.load();
    attachQueue(q);
    undo.push(() => { detachQueue(q); q.dispose(); });
    const ctx: OpContext = { dispatcher: d, runs: null, latestSeq: () => 0, caller: { name: 'tester', scopes: new Set(['read', 'queue']), protocol: 'library' } };

    await invoke('queue.add', { item: COUNT }, ctx);
    await server.stop();
    const e = await refusal(invoke('queue.add', { item: COUNT }, ctx));
    assert.equal(e.code, 'unavailable', e.message);
    assert.match(e.message, /the database did not answer/);
    const got = await invoke('queue.get', {}, ctx) as { items: unknown[] };
    assert.equal(got.items.length, 1, 'the refused add left the queue as it was');
  });
});
