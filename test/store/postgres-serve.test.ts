/**
 * Two `serve --store postgres://…` processes sharing one real PostgreSQL, each
 * its own --instance (the shared deployment of docs/scale-out.md): runs carry
 * their instance and scan_id counts per instance; `runs list|export|import
 * --store` work on the shared database; a SIGKILLed server's restart closes its
 * own interrupted run and never touches the other server's run in progress.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type ServeChild, runCli, startServe } from '../helpers/child.js';
import { TestPostgres, postgresSkip } from '../helpers/postgres.js';
import { V2Conn } from '../protocol-v2/helpers.js';
import type { DocumentData } from '../../src/protocol/v2/types.js';

const skip = postgresSkip();

interface RunJson { uid: string; scan_id: number; plan_name: string; exit_status: string | null; interrupted: boolean; instance?: string; stop_time: number | null }

describe('serve --store postgres:// (two servers, real PostgreSQL)', { skip, timeout: 300_000 }, () => {
  let pg: TestPostgres;
  let url = '';
  let dir = '';
  const servers: ServeChild[] = [];

  before(async () => {
    pg = await TestPostgres.start();
    url = await pg.createDatabase('bluesky');
    dir = mkdtempSync(join(tmpdir(), 'bluesky-pg-serve-'));
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.child.stop('SIGKILL')));
    await pg?.stop();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  const start = async (instance: string): Promise<ServeChild> => {
    const s = await startServe(['--port', '0', '--store', url, '--instance', instance, '--log-format', 'json']);
    servers.push(s);
    return s;
  };
  const list = async (...extra: string[]): Promise<RunJson[]> => {
    const r = await runCli(['runs', 'list', '--store', url, '--json', ...extra]);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as RunJson[];
  };

  test('runs of two servers in one database: instance on every run, scan_id per instance, list filters, export/import', async () => {
    const a = await start('bl01');
    const b = await start('bl02');
    for (const [s, n] of [[a, 3], [b, 2], [a, 4]] as const) {
      const c = await V2Conn.connect(s.v2);
      await c.ok('subscribe', {});
      await c.ok('start', { plan: 'count', params: { detectors: ['det'], num: n } });
      await c.waitEvent((e) => e.topic === 'document' && (e.data as DocumentData).name === 'stop');
      await c.close();
    }
    const runs = await list();
    assert.deepEqual(runs.map((r) => [r.instance, r.scan_id]), [['bl01', 2], ['bl02', 1], ['bl01', 1]]);
    assert.deepEqual((await list('--instance', 'bl02')).map((r) => r.instance), ['bl02']);
    // Export from the shared database; import into a fresh one (as another site would).
    const uid = runs[1]?.uid ?? '';
    const exported = await runCli(['runs', 'export', uid.slice(0, 8), '--store', url]);
    assert.equal(exported.code, 0, exported.stderr);
    assert.equal(exported.stdout.trim().split('\n').length, 5);
    const file = join(dir, 'run.jsonl');
    writeFileSync(file, exported.stdout);
    const other = await pg.createDatabase('site2');
    const imported = await runCli(['runs', 'import', file, '--store', other, '--instance', 'archive']);
    assert.equal(imported.code, 0, imported.stderr);
    const again = await runCli(['runs', 'export', uid, '--store', other]);
    assert.equal(again.stdout, exported.stdout);
    const bad = await runCli(['runs', 'list', '--store', 'postgres://nobody@127.0.0.1:1/none']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^error: cannot connect to postgres:\/\/nobody@127\.0\.0\.1:1\/none/);
    await Promise.all([a.child.stop(), b.child.stop()]);
  });

  test('a SIGKILLed server restarts: its interrupted run is closed, the other server\'s run in progress is untouched', async () => {
    const a = await start('killme');
    const b = await start('busy');
    const ca = await V2Conn.connect(a.v2);
    const cb = await V2Conn.connect(b.v2);
    await ca.ok('subscribe', {});
    await cb.ok('subscribe', {});
    await ca.ok('start', { plan: 'count', params: { detectors: ['det'], num: 10_000, delay: 0.005 } });
    await cb.ok('start', { plan: 'count', params: { detectors: ['det'], num: 10_000, delay: 0.005 } });
    const started = (c: V2Conn): Promise<unknown> => c.waitEvent((e) => e.topic === 'document' && (e.data as DocumentData).name === 'event' && Number((e.data as DocumentData).doc.seq_num) >= 20);
    await Promise.all([started(ca), started(cb)]);
    await a.child.stop('SIGKILL');
    await ca.closed;
    const a2 = await start('killme');
    await a2.child.waitFor(/crash recovery done/, 'recovery', 30_000, 'err');
    const runs = await list();
    const killed = runs.find((r) => r.instance === 'killme' && r.scan_id === 1);
    const busy = runs.find((r) => r.instance === 'busy' && r.scan_id === 1);
    assert.equal(killed?.interrupted, true);
    assert.equal(killed?.exit_status, 'abort');
    assert.equal(busy?.stop_time, null, 'the other server\'s run is still open');
    assert.equal(busy?.interrupted, false);
    await cb.ok('abort', { reason: 'test over' });
    await cb.waitEvent((e) => e.topic === 'document' && (e.data as DocumentData).name === 'stop');
    await cb.close();
    assert.equal((await list('--instance', 'busy'))[0]?.exit_status, 'abort');
    assert.equal((await list('--instance', 'busy'))[0]?.interrupted, false);
  });
});
