/**
 * The control lock, the audit log and stop_all (issue 12): through the table,
 * kept across a restart in the data directory, and on the wire of v1 and v2
 * through a real `serve` (a v1 client is "v1 from ADDRESS", so an anonymous v2
 * caller's lock holds it back; stop_all is never held back).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MemoryAuditLog, SqliteAuditLog, summariseParams } from '../../src/audit/index.js';
import { serve, type Served } from '../../src/cli/serve.js';
import { hw } from '../../src/devices/index.js';
import { Dispatcher, registerStandardPlans } from '../../src/dispatcher/index.js';
import { ControlLock } from '../../src/lock/index.js';
import { type Caller, type OpContext, type Scope, invoke } from '../../src/ops/index.js';
import { createLogger } from '../../src/server/index.js';
import { SqliteStore } from '../../src/store/index.js';
import { Client } from '../protocol-v1/helpers.js';
import { V2Conn } from '../protocol-v2/helpers.js';
import { TempDirs } from '../store/tmp.js';
import { runCli } from '../helpers/child.js';
import { refusal } from '../helpers/wait.js';

const dirs = new TempDirs();
after(() => dirs.cleanup());

function caller(name: string, ...scopes: Scope[]): Caller { return { name, scopes: new Set(scopes), protocol: 'v2' }; }

describe('control lock and audit log through the table', () => {
  let d: Dispatcher;
  let base: Omit<OpContext, 'caller'>;
  const audit = new MemoryAuditLog();
  const lock = new ControlLock();
  const ada = caller('ada', 'read', 'control');
  const bob = caller('bob', 'read', 'control');
  const root = caller('root', 'read', 'control', 'admin');
  before(async () => {
    d = new Dispatcher({ devices: hw().devices });
    registerStandardPlans(d);
    await d.open();
    base = { dispatcher: d, runs: null, latestSeq: () => 0, audit, lock };
  });
  after(async () => { await d.shutdown(); });

  it('holds back the others\' control operations, not reads, validate or stop_all; admin breaks it', async () => {
    assert.deepEqual(await invoke('lock.status', {}, { ...base, caller: bob }), { locked: false, holder: null, note: null, since: null });
    const held = await invoke('lock.acquire', { note: 'alignment until 14:00' }, { ...base, caller: ada }) as { holder: string; since: number };
    assert.equal(held.holder, 'ada');
    const refused = await refusal(invoke('start', { plan: 'count', params: { detectors: ['det'] } }, { ...base, caller: bob }));
    assert.equal(refused.code, 'locked');
    assert.equal(refused.status, 409);
    assert.equal(refused.message, 'the control lock is held by ada (alignment until 14:00)');
    assert.equal((await refusal(invoke('lock.acquire', {}, { ...base, caller: bob }))).code, 'locked');
    assert.equal((await refusal(invoke('lock.release', {}, { ...base, caller: bob }))).code, 'locked');
    assert.equal((await refusal(invoke('lock.release', { force: true }, { ...base, caller: bob }))).code, 'forbidden');
    // Reads, checks and the emergency stop are never held back.
    assert.equal((await invoke('status', {}, { ...base, caller: bob }) as { state: string }).state, 'idle');
    await invoke('validate', { plan: 'count', params: { detectors: ['det'] } }, { ...base, caller: bob });
    assert.equal((await invoke('stop_all', {}, { ...base, caller: bob }) as { engine: { action: string } }).engine.action, 'none');
    // The holder works as usual; acquiring again keeps `since` and takes the new note.
    await invoke('start', { plan: 'count', params: { detectors: ['det'] } }, { ...base, caller: ada });
    await d.whenIdle();
    const again = await invoke('lock.acquire', { note: 'longer' }, { ...base, caller: ada }) as { note: string; since: number };
    assert.deepEqual([again.note, again.since], ['longer', held.since]);
    // An admin breaks it.
    assert.equal((await invoke('lock.release', { force: true }, { ...base, caller: root }) as { locked: boolean }).locked, false);
    await invoke('start', { plan: 'count', params: { detectors: ['det'] } }, { ...base, caller: bob });
    await d.whenIdle();
    // Releasing a free lock is not an error.
    assert.equal((await invoke('lock.release', {}, { ...base, caller: bob }) as { locked: boolean }).locked, false);
  });

  it('records every attempt to change something, refusals included, newest first; reads are not recorded', async () => {
    const entries = (await invoke('audit.list', { limit: 1000 }, { ...base, caller: root }) as { entries: Array<{ who: string; op: string; outcome: string; params: string; message: string | null }> }).entries;
    const seen = entries.map((e) => `${e.who} ${e.op} ${e.outcome}`).reverse();
    assert.deepEqual(seen, [
      'ada lock.acquire ok', 'bob start locked', 'bob lock.acquire locked', 'bob lock.release locked', 'bob lock.release forbidden',
      'bob stop_all ok', 'ada start ok', 'ada lock.acquire ok', 'root lock.release ok', 'bob start ok', 'bob lock.release ok',
    ]);
    assert.match(entries.find((e) => e.op === 'start' && e.outcome === 'locked')?.message ?? '', /held by ada/);
    assert.equal(entries.find((e) => e.who === 'ada' && e.op === 'start')?.params, '{"plan":"count","params":{"detectors":["det"]}}');
    assert.equal((await refusal(invoke('audit.list', {}, { ...base, caller: ada }))).code, 'forbidden');
    const filtered = (await invoke('audit.list', { who: 'bob', op: 'start' }, { ...base, caller: root }) as { entries: unknown[] }).entries;
    assert.equal(filtered.length, 2);
    // `operation` is the same filter under a name a v2 frame can carry (its own `op` names the request).
    const byOperation = (await invoke('audit.list', { who: 'bob', operation: 'start' }, { ...base, caller: root }) as { entries: unknown[] }).entries;
    assert.deepEqual(byOperation, filtered);
    const clash = await refusal(invoke('audit.list', { op: 'start', operation: 'stop' }, { ...base, caller: root }));
    assert.deepEqual([clash.code, clash.details[0]?.path], ['bad_request', '/operation']);
  });

  it('never records secrets, and cuts long parameters', () => {
    assert.equal(summariseParams({ key: 'bsk_123', nested: { token: 'x', ok: 1 } }), '{"key":"[redacted]","nested":{"token":"[redacted]","ok":1}}');
    const long = summariseParams({ text: 'x'.repeat(1000) });
    assert.equal(long.length, 300);
    assert.ok(long.endsWith('...'));
  });
});

// The lock kept across restarts, and the audit log's, are the LockStore and AuditLog contracts' (test/services/contracts.ts, SQLite and PostgreSQL).
describe('the audit log in the data directory', () => {
  it('is read back by a read-only reader, which cannot record', async () => {
    const dir = dirs.make();
    const store = SqliteStore.open(dir);
    const file = store.path;
    const audit = new SqliteAuditLog(file);
    audit.record({ time: 1, who: 'ada', protocol: 'v2', op: 'start', params: '{}', outcome: 'ok', message: null });
    await audit.close();
    await store.close();
    const reader = new SqliteAuditLog(file, { readonly: true });
    assert.deepEqual((await reader.list()).map((e) => [e.id, e.who, e.op]), [[1, 'ada', 'start']]);
    // A log that cannot record says so by its count, and never throws at the operation it records.
    assert.doesNotThrow(() => reader.record({ time: 2, who: 'x', protocol: 'v2', op: 'stop', params: '{}', outcome: 'ok', message: null }));
    assert.equal(reader.failures, 1);
    await reader.close();
  });
});

describe('over the wire: serve with a data directory', () => {
  let s: Served;
  let v2url: string;
  let data = '';
  before(async () => {
    data = dirs.make();
    s = await serve({ port: 0, data, logger: createLogger({ level: 'silent' }) });
    v2url = `${s.server.url}v2`;
  });
  after(async () => { await s.dispatcher.stop('test over'); s.store?.close(); });

  it('a v2 caller\'s lock holds a v1 client back; v1 reads still work; the audit log names both; stop_all on v2', async () => {
    const v2 = await V2Conn.connect(v2url);
    try {
      assert.equal((await v2.ok<{ holder: string }>('lock.acquire', { note: 'beamtime' })).holder, 'anonymous');
      const v1 = await Client.connect(s.server.url);
      v1.send({ type: 'start', plan: 'count', params: { detectors: ['det'] } });
      const [reply] = await v1.count(1);
      assert.match(reply ?? '', /"success": false/);
      assert.match(reply ?? '', /control lock is held by anonymous \(beamtime\)/);
      const state = await Client.connect(s.server.url);
      state.send({ type: 'state' });
      assert.match((await state.count(1))[0] ?? '', /idle/);
      assert.equal((await v2.ok<{ locked: boolean }>('lock.status')).locked, true);
      const report = await v2.ok<{ engine: { action: string }; devices: Array<{ name: string; outcome: string }> }>('stop_all');
      assert.equal(report.engine.action, 'none');
      assert.ok(report.devices.some((x) => x.name === 'motor' && x.outcome === 'stopped'));
      await v2.ok('lock.release');
      const { entries } = await v2.ok<{ entries: Array<{ who: string; op: string; outcome: string; protocol: string }> }>('audit.list');
      assert.deepEqual(entries.map((e) => `${e.who}|${e.protocol}|${e.op}|${e.outcome}`).reverse(), [
        'anonymous|v2|lock.acquire|ok', 'v1 from 127.0.0.1|v1|start|locked', 'anonymous|v2|stop_all|ok', 'anonymous|v2|lock.release|ok',
      ]);
      const onlyStops = await v2.ok<{ entries: Array<{ op: string }> }>('audit.list', { operation: 'stop_all' });
      assert.deepEqual(onlyStops.entries.map((e) => e.op), ['stop_all'], 'over v2, through its frame');
      const bad = await v2.request('lock.acquire', { note: 'x'.repeat(501) });
      assert.ok(!bad.ok && bad.error.code === 'bad_request' && bad.error.details[0]?.path === '/note');
    } finally {
      await v2.close();
    }
  });
});

describe('the CLI: stop-all, lock, audit (real child processes)', () => {
  let s: Served;
  let data = '';
  before(async () => {
    data = dirs.make();
    s = await serve({ port: 0, data, logger: createLogger({ level: 'silent' }) });
  });
  after(async () => { await s.dispatcher.stop('test over'); s.store?.close(); });

  it('stop-all reports each device; lock acquire/status/release; audit lists them from the data directory', async () => {
    const port = String(s.server.port);
    const stop = await runCli(['stop-all', '--port', port]);
    assert.equal(stop.code, 0, stop.stderr);
    assert.match(stop.stdout, /^engine was idle: nothing to halt\n/);
    assert.match(stop.stdout, /^device motor: stopped$/m);
    const acquired = await runCli(['lock', 'acquire', '--note', 'night shift', '--port', port]);
    assert.match(acquired.stdout, /^locked by anonymous since .+: night shift\n$/);
    assert.match((await runCli(['lock', 'status', '--port', port])).stdout, /^locked by anonymous/);
    assert.equal((await runCli(['lock', 'release', '--port', port])).stdout, 'unlocked\n');
    // Key changes from the CLI are audited too (never the key itself).
    const created = await runCli(['keys', 'create', 'night-ops', '--scopes', 'read', '--data', data]);
    assert.equal(created.code, 0, created.stderr);
    const secret = created.stdout.trim().split('\n').at(-1) ?? '';
    assert.equal((await runCli(['keys', 'revoke', 'night-ops', '--data', data])).code, 0);
    const audit = await runCli(['audit', '--data', data]);
    assert.equal(audit.code, 0, audit.stderr);
    assert.ok(secret.length > 20 && !audit.stdout.includes(secret), 'the key is not in the audit log');
    const lines = audit.stdout.trim().split('\n');
    assert.match(lines[0] ?? '', /^time +who +op +outcome/);
    assert.deepEqual(lines.slice(1).map((l) => l.split(/ {2,}/)[2]), ['keys.revoke', 'keys.create', 'lock.release', 'lock.acquire', 'stop_all']);
    assert.match(lines[2] ?? '', /cli as \S+@\S+ +keys\.create +ok +\{"name":"night-ops","scopes":\["read"\]\}/);
    const json = JSON.parse((await runCli(['audit', '--data', data, '--json', '--op', 'lock.acquire'])).stdout) as Array<{ params: string }>;
    assert.deepEqual(json.map((e) => e.params), ['{"note":"night shift"}']);
    const missing = await runCli(['audit', '--data', join(data, 'nope')]);
    assert.equal(missing.code, 2);
    assert.equal(missing.stderr.trim().split('\n').length, 1);
  });
});
