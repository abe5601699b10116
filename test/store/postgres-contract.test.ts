/**
 * The RunStore contract against PostgreSQL (a real server started for this
 * file), each store in a database of its own; then what only a shared database
 * has: several instances side by side.
 * @module
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BaseStore } from '../../src/store/index.js';
import { PostgresBackend } from '../../src/store/pg/backend.js';
import { TestPostgres, postgresSkip } from '../helpers/postgres.js';
import { handRun, runContract } from './contract.js';

const skip = postgresSkip();
let server: TestPostgres | null = null;
let last = '';
const backends: PostgresBackend[] = [];

async function open(url: string, instance = 'bl01'): Promise<PostgresBackend> {
  const b = await PostgresBackend.open(url, { instance });
  backends.push(b);
  return b;
}

if (skip !== undefined) {
  describe('RunStore contract: PostgresStore', { skip }, () => { it('needs PostgreSQL', () => undefined); });
} else {
  before(async () => { server = await TestPostgres.start(); });
  after(async () => { await server?.stop(); });
  runContract('PostgresStore', {
    openBackend: async () => open(last = await server!.createDatabase()),
    reopenBackend: () => open(last),
    // The stores close their backends; a pool closed twice is a no-op.
    cleanup: async () => { await Promise.all(backends.splice(0).map((b) => b.close())); },
  });

  describe('PostgresStore: several servers (instances) in one database', () => {
    it('runs carry their instance; scan_id, seq and document ids count per instance; runs.list filters by instance; every server reads every run', async () => {
      const url = await server!.createDatabase('shared');
      const a = await BaseStore.over(await open(url, 'bl01'));
      const b = await BaseStore.over(await open(url, 'bl02'));
      try {
        for (const [name, doc] of handRun('run-a1', 3, { scanId: 7 })) a.appendDocument(name, doc);
        for (const [name, doc] of handRun('run-b1', 2, { scanId: 40, time: 1_700_000_100 })) b.appendDocument(name, doc);
        await Promise.all([a.commit(), b.commit()]);
        assert.equal(a.latestSeq(), 6);
        assert.equal(b.latestSeq(), 5, 'each instance numbers its own events');
        assert.equal(a.lastScanId(), 7);
        assert.equal(b.lastScanId(), 40);
        const all = await a.listRuns();
        assert.deepEqual(all.map((r) => [r.uid, r.instance]), [['run-b1', 'bl02'], ['run-a1', 'bl01']]);
        assert.deepEqual((await a.listRuns({ instance: 'bl02' })).map((r) => r.uid), ['run-b1']);
        assert.equal((await b.getDocuments('run-a1')).length, 6, 'any server reads any run');
        assert.deepEqual((await b.readEvents(0, 100)).map((e) => e.seq), [1, 2, 3, 4, 5]);
        // A restart continues each instance's own counters.
        await a.close();
        const a2 = await BaseStore.over(await open(url, 'bl01'));
        try {
          assert.equal(a2.lastScanId(), 7);
          assert.equal(a2.latestSeq(), 6);
        } finally { await a2.close(); }
      } finally {
        await a.close().catch(() => undefined);
        await b.close();
      }
    });

    it('crash recovery closes only its own instance\'s open runs', async () => {
      const url = await server!.createDatabase('shared');
      const a = await BaseStore.over(await open(url, 'bl01'));
      const b = await BaseStore.over(await open(url, 'bl02'));
      for (const [name, doc] of handRun('open-a', 2, { open: true })) a.appendDocument(name, doc);
      for (const [name, doc] of handRun('open-b', 2, { open: true })) b.appendDocument(name, doc);
      await Promise.all([a.commit(), b.commit()]);
      // bl01 "crashes" and restarts while bl02's run is still going.
      await a.close();
      const a2 = await BaseStore.over(await open(url, 'bl01'));
      try {
        const stops = await a2.recoverInterrupted();
        assert.deepEqual(stops.map((s) => s.run_start), ['open-a']);
        assert.equal((await a2.getRun('open-a'))?.interrupted, true);
        const other = await a2.getRun('open-b');
        assert.equal(other?.stopTime, null, 'the other server\'s open run is untouched');
        assert.equal(other?.instance, 'bl02');
      } finally {
        await a2.close();
        await b.close();
      }
    });

    it('an unreachable server or missing database is one STORE_OPEN_FAILED line naming it, without the password', async () => {
      await assert.rejects(PostgresBackend.open(server!.url('no_such_db').replace('postgres@', 'postgres:hunter2@'), { instance: 'x' }),
        (e: unknown) => e instanceof Error && (e as { code?: string }).code === 'STORE_OPEN_FAILED' && /no_such_db/.test(e.message)
          && /does not exist/.test(e.message) && !e.message.includes('hunter2'));
    });
  });
}
