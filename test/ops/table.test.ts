/**
 * Each operation once through the table (`invoke`), as every protocol calls it:
 * its result, its refusals with their codes and detail paths, the scope check
 * and the parameter check that run before any handler. The adapters' wire
 * shapes are tested in test/protocol-v1, test/protocol-v2 (and test/http).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hw } from '../../src/devices/index.js';
import { Dispatcher, registerStandardPlans } from '../../src/dispatcher/index.js';
import { CodedError } from '../../src/model/errors.js';
import { ANONYMOUS, type Caller, type OpContext, OPERATIONS, type Scope, invoke } from '../../src/ops/index.js';
import { MemoryStore, unavailableOr } from '../../src/store/index.js';
import { refusal, until as waitUntil } from '../helpers/wait.js';

/** This file's wait: 10,000 ms. */
const until = (what: string, test: () => boolean, ms = 10_000): Promise<void> => waitUntil(what, test, ms);

function caller(...scopes: Scope[]): Caller { return { name: 'test', scopes: new Set(scopes), protocol: 'library' }; }

describe('the operation table', () => {
  let d: Dispatcher;
  let store: MemoryStore;
  let ctx: OpContext;
  before(async () => {
    d = new Dispatcher({ devices: hw().devices });
    registerStandardPlans(d);
    store = new MemoryStore();
    d.subscribeCallback((name, doc) => { store.appendDocument(name, doc); });
    await d.open();
    ctx = { dispatcher: d, runs: store, latestSeq: () => 42, caller: ANONYMOUS };
  });
  after(async () => { await d.shutdown(); });

  it('every operation has a unique dotted snake_case name, a scope and a summary', () => {
    const names = OPERATIONS.map((o) => o.name);
    assert.equal(new Set(names).size, names.length);
    for (const o of OPERATIONS) {
      assert.match(o.name, /^[a-z_]+(\.[a-z_]+)*$/);
      assert.ok(o.summary.length > 10, o.name);
    }
  });

  it('status, plans, devices', async () => {
    assert.deepEqual(await invoke('status', {}, ctx), { state: 'idle', busy: false, plan: null, item_id: null, run_uid: null, run_start_time: null, seq: 42 });
    const { plans } = await invoke('plans', {}, ctx) as { plans: Array<{ name: string }> };
    assert.ok(plans.some((p) => p.name === 'count'));
    const { devices } = await invoke('devices', {}, ctx) as { devices: Array<{ name: string }> };
    assert.ok(devices.some((x) => x.name === 'det'));
  });

  it('validate: defaults filled in; unknown plan with a hint; params and md errors with their paths', async () => {
    const ok = await invoke('validate', { plan: 'count', params: { detectors: ['det'] } }, ctx) as { params: Record<string, unknown> };
    assert.deepEqual(ok.params.detectors, ['det']);
    const unknown = await refusal(invoke('validate', { plan: 'cuont' }, ctx));
    assert.equal(unknown.code, 'unknown_plan');
    assert.match(unknown.message, /did you mean "count"/);
    assert.equal(unknown.status, 404);
    const bad = await refusal(invoke('validate', { plan: 'count', params: { detectors: ['det'], num: -1 }, md: { scan_id: 'x' } }, ctx));
    assert.equal(bad.code, 'invalid_params');
    assert.equal(bad.status, 422);
    assert.deepEqual(bad.details.map((x) => x.path).sort(), ['/md/scan_id', '/params/num']);
    assert.match(bad.message, /"num" must be at least 0, got -1/);
    // item_id in md is the server's (it links a run to its item): refused by validate and start, with the
    // params' own problems, and start runs nothing. Before, a start document claimed the client's item_id
    // while the reply and the run index named the real one.
    const own = await refusal(invoke('validate', { plan: 'count', params: { detectors: ['det'], num: -1 }, md: { item_id: 'SPOOFED' } }, ctx));
    assert.equal(own.code, 'invalid_params');
    assert.deepEqual(own.details.map((x) => x.path).sort(), ['/md/item_id', '/params/num']);
    assert.match(own.message, /md "item_id" is set by the server/);
    const started = await refusal(invoke('start', { plan: 'count', params: { detectors: ['det'] }, md: { item_id: 'SPOOFED' } }, ctx));
    assert.deepEqual([started.code, started.details[0]?.path], ['invalid_params', '/md/item_id']);
    assert.equal(ctx.dispatcher.busy, false);
  });

  it('start, busy, then each control verb in and out of its state', async () => {
    const started = await invoke('start', { plan: 'count', params: { detectors: ['det'], num: 10_000, delay: 0.01 } }, ctx) as { item_id: string };
    assert.match(started.item_id, /\S/);
    const busy = await refusal(invoke('start', { plan: 'count', params: { detectors: ['det'] } }, ctx));
    assert.equal(busy.code, 'busy');
    assert.equal(busy.message, 'busy with "count"');
    // Bad params are reported before busy, as validate reports them.
    assert.equal((await refusal(invoke('start', { plan: 'count', params: { num: 'x' } }, ctx))).code, 'invalid_params');
    assert.equal((await refusal(invoke('resume', {}, ctx))).code, 'illegal_state');
    await invoke('pause', {}, ctx);
    await until('paused', () => d.state === 'paused');
    assert.equal((await invoke('status', {}, ctx) as { state: string; plan: string }).plan, 'count');
    await invoke('resume', {}, ctx);
    await until('running', () => d.state === 'running');
    // The state when the engine took the request: in process the abort may already be done.
    assert.match((await invoke('abort', { reason: 'table test' }, ctx) as { state: string }).state, /^(aborting|idle)$/);
    await d.whenIdle();
    await store.commit();
    assert.equal((await store.listRuns({ limit: 1 }))[0]?.reason, 'table test');
    const idle = await refusal(invoke('stop', {}, ctx));
    assert.equal(idle.code, 'illegal_state');
    assert.equal(idle.status, 409);
    assert.equal((await refusal(invoke('halt', {}, ctx))).code, 'illegal_state');
  });

  it('runs.list and runs.get from the store; unknown_run; no_store without one', async () => {
    await invoke('start', { plan: 'count', params: { detectors: ['det'], num: 2 } }, ctx);
    await d.whenIdle();
    await store.commit();
    const { runs } = await invoke('runs.list', { limit: 1 }, ctx) as { runs: Array<{ uid: string; exit_status: string }> };
    assert.equal(runs.length, 1);
    assert.equal(runs[0]?.exit_status, 'success');
    const got = await invoke('runs.get', { uid: runs[0]?.uid ?? '' }, ctx) as { documents: Array<[string, unknown]>; more: boolean };
    assert.deepEqual(got.documents.map(([n]) => n), ['start', 'descriptor', 'event', 'event', 'stop']);
    assert.equal(got.more, false);
    assert.equal((await refusal(invoke('runs.get', { uid: 'nope' }, ctx))).code, 'unknown_run');
    assert.equal((await refusal(invoke('runs.list', {}, { ...ctx, runs: null }))).code, 'no_store');
    assert.equal((await refusal(invoke('runs.list', { since: 'yesterday' }, ctx))).details[0]?.path, '/since');
    // Past the largest integer JSON carries exactly, a count reached SQLite as a value no INTEGER holds
    // (`internal: datatype mismatch`, logged as a server bug): refused up front, naming the field.
    for (const [op, params] of [['runs.list', {}], ['runs.get', { uid: 'nope' }], ['history.get', {}], ['audit.list', {}]] as const) {
      for (const field of ['offset', 'limit']) {
        const tooBig = await refusal(invoke(op, { ...params, [field]: 1e19 }, ctx));
        assert.equal(tooBig.code, 'bad_request', `${op} ${field}`);
        assert.equal(tooBig.details[0]?.path, `/${field}`, `${op} ${field}`);
      }
    }
  });

  it('reload: unavailable on an engine without plans modules', async () => {
    assert.equal((await refusal(invoke('reload', {}, ctx))).code, 'unavailable');
  });

  it('before any handler: unknown op, scope, params schema', async () => {
    const unknown = await refusal(invoke('launch', {}, ctx));
    assert.equal(unknown.code, 'unknown_op');
    assert.match(unknown.details[0]?.expected ?? '', /start/);
    const reader = { ...ctx, caller: caller('read') };
    assert.equal((await invoke('status', {}, reader) as { state: string }).state, 'idle');
    const forbidden = await refusal(invoke('start', { plan: 'count' }, reader));
    assert.equal(forbidden.code, 'forbidden');
    assert.equal(forbidden.status, 403);
    assert.equal(forbidden.message, 'start needs the control scope');
    assert.equal((await refusal(invoke('reload', {}, { ...ctx, caller: caller('read', 'control') }))).message, 'reload needs the admin scope');
    const extra = await refusal(invoke('status', { verbose: true }, ctx));
    assert.equal(extra.code, 'bad_request');
    assert.equal(extra.details[0]?.path, '/verbose');
    const wrongType = await refusal(invoke('start', { plan: 7 }, ctx));
    assert.equal(wrongType.details[0]?.path, '/plan');
    assert.match(wrongType.message, /got 7/);
    assert.equal((await refusal(invoke('status', [1], ctx))).message, 'the parameters must be an object, got [1]');
    assert.equal((await refusal(invoke('runs.list', { limit: -1 }, ctx))).details[0]?.path, '/limit');
    // A body's 1e999 is Infinity: named as such, not as JSON's null.
    assert.match((await refusal(invoke('runs.list', { limit: Infinity }, ctx))).message, /got Infinity/);
  });

  it('once the dispatcher is shutting down, what would change something is `shutting_down`; reads still answer', async () => {
    // A request whose headers came before SIGTERM and whose body came after started a plan the shutdown
    // no longer waited for (its run was left open in the store).
    const other = new Dispatcher({ devices: hw().devices });
    registerStandardPlans(other);
    await other.open();
    const closing = other.shutdown('test');
    const octx: OpContext = { dispatcher: other, runs: null, latestSeq: () => 0, caller: ANONYMOUS };
    const refused = await refusal(invoke('start', { plan: 'count', params: { detectors: ['det'] } }, octx));
    assert.deepEqual([refused.code, refused.status, refused.message], ['shutting_down', 503, 'the server is shutting down']);
    assert.equal(other.busy, false);
    assert.equal((await invoke('status', {}, octx) as { state: string }).state, 'idle');
    await closing;
  });

  it('an unknown key is named under the object that has it', async () => {
    const e = await refusal(invoke('queue.add', { item: { plan: 'count', item_type: 'plan' } }, ctx));
    assert.deepEqual([e.code, e.details[0]?.path], ['bad_request', '/item/item_type']);
  });

  it('an engine thread that does not answer is `unavailable`, not `internal`', async () => {
    // A dispatcher whose engine host times out (the worker's HOST_UNRESPONSIVE), stubbed: the test is about the mapping.
    const stuck = { checkScan: () => Promise.reject(new CodedError('HOST_UNRESPONSIVE', 'the engine thread did not answer within 1 s')) };
    const e = await refusal(invoke('validate', { plan: 'count' }, { ...ctx, dispatcher: stuck as unknown as Dispatcher }));
    assert.equal(e.code, 'unavailable');
    assert.equal(e.status, 503);
    assert.match(e.message, /did not answer/);
  });

  it('a database that did not answer is `unavailable`; a raw driver error is not matched here (the stores code it)', async () => {
    const busy = Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
    const failing = (e: unknown): OpContext => ({ ...ctx, runs: { listRuns: () => Promise.reject(e) } as unknown as OpContext['runs'] });
    const e = await refusal(invoke('runs.list', {}, failing(unavailableOr(busy))));
    assert.equal(e.code, 'unavailable');
    assert.equal(e.status, 503);
    assert.equal(e.message, 'the database did not answer: database is locked');
    await assert.rejects(invoke('runs.list', {}, failing(busy)), (thrown) => thrown === busy);
  });
});

describe('the published v2 request schema', () => {
  it('names every operation of the table', async () => {
    const { readFileSync } = await import('node:fs');
    const schema = JSON.parse(readFileSync(new URL('../../src/protocol/v2/schemas/request.schema.json', import.meta.url), 'utf8')) as { properties: { op: { enum: string[] } } };
    const missing = OPERATIONS.map((o) => o.name).filter((n) => !schema.properties.op.enum.includes(n));
    assert.deepEqual(missing, [], 'add these ops to src/protocol/v2/schemas/request.schema.json');
  });
});
