/**
 * Real `serve --store postgres://… --instance NAME` processes sharing one real
 * PostgreSQL: the queue, the control lock and the audit log are each server's
 * own, the API keys are the facility's (made with `keys create --store`, a key
 * revoked from the command line is refused by every server at its next
 * request; forged and unknown keys are refused); and a `kill -9` during the
 * second of three queue items, then a restart: the item is in the history as
 * interrupted and back at the front, the queue stopped, and the other server's
 * queue untouched (issue 13's semantics, now on PostgreSQL).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Operations } from '../../src/ops/index.js';
import { type ServeChild, runCli, startServe } from '../helpers/child.js';
import { TestPostgres, postgresSkip } from '../helpers/postgres.js';
import { assertRequeuedAfterCrash } from '../helpers/queue.js';
import { V2Conn } from '../protocol-v2/helpers.js';

const skip = postgresSkip();
type Res<N extends keyof Operations> = Operations[N]['result'];
const quick = (num: number) => ({ plan: 'count', params: { detectors: ['det'], num } });

/** One HTTP operation with a bearer key: status and body. */
async function api(s: ServeChild, op: string, key: string, body?: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${String(s.port)}/api/${op.replaceAll('.', '/')}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(20_000),
  });
  return { status: res.status, body: await res.json() as Record<string, unknown> };
}

describe('serve --store postgres://: queue, keys, audit log and lock in the shared database', { skip, timeout: 300_000 }, () => {
  let pg: TestPostgres;
  const servers: ServeChild[] = [];
  before(async () => { pg = await TestPostgres.start(); });
  after(async () => {
    await Promise.all(servers.map((s) => s.child.stop('SIGKILL')));
    await pg?.stop();
  });
  const start = async (url: string, instance: string, ...extra: string[]): Promise<ServeChild> => {
    const s = await startServe(['--port', '0', '--store', url, '--instance', instance, '--log-format', 'json', ...extra]);
    servers.push(s);
    return s;
  };
  const createKey = async (url: string, name: string, scopes: string): Promise<string> => {
    const r = await runCli(['keys', 'create', name, '--scopes', scopes, '--store', url]);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim().split('\n').at(-1) ?? '';
  };

  test('a start-up that fails after the queue claimed its instance (a bad --bus-maxlen) exits with its error and frees the instance', async () => {
    const url = await pg.createDatabase('startup');
    // The queue's claim on bl09 holds a pooled connection: before one clean-up path closed everything, this failure
    // ended the pool with that connection still out, and the process waited for it until the deadline killed it.
    const bad = await runCli(['serve', '--port', '0', '--store', url, '--instance', 'bl09', '--bus', 'redis://127.0.0.1:1', '--bus-maxlen', 'many'], { deadlineMs: 30_000 });
    assert.equal(bad.signal, null, `serve ended by itself (stderr: ${bad.stderr})`);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /--bus-maxlen/);
    const s = await start(url, 'bl09');
    assert.ok(s.port > 0, 'the instance is free again');
  });

  test('two servers: one key list; separate queues, locks and audit logs; a key revoked from the command line is refused by both; forged keys refused', async () => {
    const url = await pg.createDatabase('facility');
    const admin = await createKey(url, 'ops', 'read,control,queue,admin');
    const a = await start(url, 'bl01', '--auth');
    const b = await start(url, 'bl02', '--auth');
    // A third server with bl01's name would share its queue and lock: refused, one line.
    const twin = await runCli(['serve', '--port', '0', '--store', url, '--instance', 'bl01', '--auth']);
    assert.equal(twin.code, 2);
    assert.match(twin.stderr, /instance 'bl01' is served by another server .*STORE_LOCKED/);
    const listed = await runCli(['keys', 'list', '--store', url, '--json']);
    assert.deepEqual((JSON.parse(listed.stdout) as Array<{ name: string }>).map((k) => k.name), ['ops']);

    // The same key works on both servers.
    const added = await api(a, 'queue.add', admin, { items: [quick(1), quick(2)] });
    assert.equal(added.status, 200, JSON.stringify(added.body));
    assert.equal(((await api(a, 'queue.get', admin)).body.items as unknown[]).length, 2);
    assert.deepEqual((await api(b, 'queue.get', admin)).body.items, [], 'bl02 has a queue of its own');
    // Each its own lock: bl01 locked by ops holds back nobody on bl02.
    assert.equal((await api(a, 'lock.acquire', admin, { note: 'bl01 alignment' })).status, 200);
    assert.equal((await api(b, 'lock.status', admin)).body.locked, false);
    assert.equal((await api(a, 'lock.status', admin)).body.holder, 'ops');
    // Each its own audit log (plus the facility's key changes); '*' for every server's.
    await api(b, 'queue.mode', admin, { loop: false });
    const logA = (await api(a, 'audit.list', admin)).body.entries as Array<{ op: string; instance: string }>;
    assert.deepEqual(logA.map((e) => [e.instance, e.op]), [['bl01', 'lock.acquire'], ['bl01', 'queue.add'], ['*', 'keys.create']]);
    const every = (await api(b, 'audit.list', admin, { instance: '*' })).body.entries as Array<{ op: string; instance: string }>;
    assert.deepEqual(new Set(every.map((e) => e.instance)), new Set(['bl01', 'bl02', '*']));
    const cliAudit = await runCli(['audit', '--store', url, '--instance', 'bl02']);
    assert.equal(cliAudit.code, 0, cliAudit.stderr);
    assert.match(cliAudit.stdout, /instance/);
    assert.match(cliAudit.stdout, /bl02 .*queue\.mode/);
    assert.doesNotMatch(cliAudit.stdout, /bl01/);

    // Attacker's view: forged (right shape, never issued), tampered, not a key, none at all.
    const forged = `bsk_${'A'.repeat(43)}`;
    const tampered = `${admin.slice(0, -1)}${admin.endsWith('A') ? 'B' : 'A'}`;
    for (const s of [a, b]) {
      for (const bad of [forged, tampered, 'bsk_short', "x' OR '1'='1"]) {
        const r = await api(s, 'queue.add', bad, { item: quick(1) });
        assert.equal(r.status, 401, bad);
        assert.equal(r.body.code, 'unauthorized');
      }
    }
    assert.equal(((await api(a, 'queue.get', admin)).body.items as unknown[]).length, 2, 'nothing was added by a refused key');

    // Revoked from the command line: refused by both servers at their next request.
    const revoked = await runCli(['keys', 'revoke', 'ops', '--store', url]);
    assert.equal(revoked.code, 0, revoked.stderr);
    for (const s of [a, b]) {
      const r = await api(s, 'queue.get', admin);
      assert.equal(r.status, 401);
      assert.match(String(r.body.message), /revoked/);
    }
    await Promise.all([a.child.stop(), b.child.stop()]);
  });

  test('kill -9 during the second of three items: interrupted in the history, requeued at the front, stopped; the other server\'s queue untouched', async () => {
    const url = await pg.createDatabase('queues');
    const long = { plan: 'count', params: { detectors: ['det'], num: 10_000, delay: 0.002 } };
    const other = await start(url, 'bl02');
    const o = await V2Conn.connect(other.v2);
    const otherUids = (await o.ok<Res<'queue.add'>>('queue.add', { items: [quick(1), quick(1)] })).items.map((i) => i.item_uid);
    await o.ok('queue.mode', { ignore_failures: true });

    const first = await start(url, 'bl01');
    let uids: string[];
    const c = await V2Conn.connect(first.v2);
    await c.ok('subscribe', { topics: ['queue', 'document'] });
    uids = (await c.ok<Res<'queue.add'>>('queue.add', { items: [quick(1), long, quick(2)] })).items.map((i) => i.item_uid);
    await c.ok('queue.start');
    await c.waitEvent((e) => e.topic === 'document' && (e.data as { name: string }).name === 'event' && Number((e.data as { doc: { seq_num?: number } }).doc.seq_num) >= 20
      && c.events.filter((x) => x.topic === 'document' && (x.data as { name: string }).name === 'start').length === 2);
    await first.child.stop('SIGKILL');
    await c.closed;
    const [u1, u2, u3] = uids as [string, string, string];

    const second = await start(url, 'bl01');
    const d = await V2Conn.connect(second.v2);
    await assertRequeuedAfterCrash(d, [u1, u2, u3]);
    // The other server: its queue, mode and (empty) history as they were.
    const ov = await o.ok<Res<'queue.get'>>('queue.get');
    assert.deepEqual(ov.items.map((i) => i.item_uid), otherUids);
    assert.equal(ov.mode.ignore_failures, true);
    assert.equal((await o.ok<Res<'history.get'>>('history.get')).total, 0);
    // Started again, the rest completes.
    await d.ok('queue.start');
    await d.waitEvent((e) => e.topic === 'queue' && (e.data as { change: string; state?: string }).change === 'state' && (e.data as { state?: string }).state === 'stopped');
    const after = await d.ok<Res<'history.get'>>('history.get');
    assert.deepEqual(after.entries.map((x) => [x.item.item_uid, x.result.exit_status]), [[u3, 'completed'], [u2, 'completed'], [u2, 'interrupted'], [u1, 'completed']]);
    assert.deepEqual((await o.ok<Res<'queue.get'>>('queue.get')).items.map((i) => i.item_uid), otherUids);
    await d.close();
    await o.close();
    await Promise.all([second.child.stop(), other.child.stop()]);
  });
});
