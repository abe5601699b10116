/**
 * The engine host contract, run against both hosts (inprocess.test.ts,
 * worker.test.ts): catalog, validation, start and its ordered events, the
 * control verbs, scan_id, exceptions and seed-style state hooks, reload, shutdown.
 * @module
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { EngineHost, HostEvent } from '../../src/host/index.js';
import { documentErrors } from '../../src/model/validate.js';
import type { DocumentName } from '../../src/model/documents.js';
import { TEST_PLANS } from '../helpers/engine.js';
import { Gate, GateBroker } from '../helpers/gates.js';

export interface HostTarget {
  /** A host with the simulated devices, the standard plans and the test plans module. */
  make(): EngineHost;
}

/** Collects a host's events and waits for the ones a test needs. */
export class EventLog {
  readonly events: HostEvent[] = [];
  #waiters: Array<() => void> = [];
  constructor(host: EngineHost) {
    host.onEvent((e) => {
      this.events.push(e);
      for (const w of this.#waiters.splice(0)) w();
    });
  }
  /** Resolves with the index of the first event from `from` on that matches. */
  async until(pred: (e: HostEvent) => boolean, from = 0, timeoutMs = 20_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.events.findIndex((e, j) => j >= from && pred(e));
      if (i >= 0) return i;
      if (Date.now() > deadline) throw new Error(`no matching host event within ${String(timeoutMs)} ms; got ${this.events.map(show).join(', ')}`);
      await new Promise<void>((resolve) => { this.#waiters.push(resolve); setTimeout(resolve, 100); });
    }
  }
  /** The item is over. */
  ended(itemId: string, from = 0): Promise<number> { return this.until((e) => e.kind === 'item_end' && e.itemId === itemId, from); }
  docs(from = 0, to = this.events.length): Array<{ name: DocumentName; doc: Record<string, unknown> }> {
    return this.events.slice(from, to).flatMap((e) => (e.kind === 'document' ? [{ name: e.name, doc: e.doc }] : []));
  }
}

function show(e: HostEvent): string {
  switch (e.kind) {
    case 'state': return `state:${e.state}`;
    case 'document': return `doc:${e.name}`;
    default: return e.kind;
  }
}

let items = 0;
const item = (): string => `item-${String(++items)}`;

export function runHostContract(name: string, target: HostTarget): void {
  describe(`engine host contract: ${name}`, () => {
    let host: EngineHost;
    let log: EventLog;
    let gate = new Gate();
    const broker = new GateBroker({ gated: () => gate.promise });
    before(async () => {
      broker.publish();
      host = target.make();
      log = new EventLog(host);
      await host.open();
    });
    after(async () => {
      gate.open();
      await host.shutdown('contract over');
      await host.close();
      broker.close();
    });

    it('opens with its plans and devices as data, and the plans modules\' hash', () => {
      const c = host.catalog;
      const plans = c.plans.map((p) => p.name);
      for (const p of ['count', 'scan', 'rel_scan', 'list_scan', 'grid_scan', 'simulated', 'gated', 'fast_count', 'failing']) assert.ok(plans.includes(p), p);
      const motor = c.devices.find((d) => d.name === 'motor');
      const det = c.devices.find((d) => d.name === 'det');
      assert.deepEqual([motor?.movable, motor?.readable, det?.movable, det?.readable], [true, true, false, true]);
      assert.equal(typeof (det?.describe.det as { dtype?: unknown } | undefined)?.dtype, 'string');
      assert.equal(c.plansSha256, createHash('sha256').update(readFileSync(TEST_PLANS)).digest('hex'));
      assert.deepEqual(c.planModules, [TEST_PLANS]);
      assert.deepEqual(structuredClone(c), c, 'plain data');
    });

    it('validates: the params to use, unknown plans with a suggestion, bad params with paths', async () => {
      const ok = await host.validate('count', { detectors: ['det'] });
      assert.deepEqual(ok, { ok: true, params: { detectors: ['det'] } });
      const defaults = await host.validate('slow_count', {});
      assert.deepEqual(defaults, { ok: true, params: { num: 5, delay: 0.2 } });
      const unknown = await host.validate('cuont', {});
      assert.deepEqual(unknown, { ok: false, reason: 'unknown', name: 'cuont', suggestion: 'count' });
      const bad = await host.validate('count', { detectors: ['nope'] });
      assert.ok(!bad.ok && bad.reason === 'invalid' && bad.errors.length > 0);
    });

    it('runs an item: item_start, running, its documents with plans_sha256, idle, item_end — in order', async () => {
      const from = log.events.length;
      const id = item();
      const r = await host.start({ itemId: id, name: 'count', params: { detectors: ['det'], num: 3 }, md: { sample: 'Si' } });
      assert.ok(r.ok && r.itemId === id);
      const end = await log.ended(id, from);
      const kinds = log.events.slice(from, end + 1).map(show);
      assert.equal(kinds[0], 'item_start');
      assert.equal(kinds[1], 'state:running');
      assert.deepEqual(kinds.filter((k) => k.startsWith('doc:')), ['doc:start', 'doc:descriptor', 'doc:event', 'doc:event', 'doc:event', 'doc:stop']);
      assert.deepEqual(kinds.slice(-2), ['state:idle', 'item_end']);
      const docs = log.docs(from, end);
      for (const d of docs) assert.deepEqual(documentErrors(d.name, d.doc), []);
      const start = docs[0]?.doc ?? {};
      assert.equal(start.sample, 'Si');
      assert.equal(start.plans_sha256, host.catalog.plansSha256);
      assert.equal(docs.at(-1)?.doc.exit_status, 'success');
    });

    it('refuses a second start while busy, and an invalid one without emitting anything', async () => {
      gate = new Gate();
      const from = log.events.length;
      const id = item();
      assert.ok((await host.start({ itemId: id, name: 'gated', params: {}, md: {} })).ok);
      await log.until((e) => e.kind === 'document' && e.name === 'event', from);
      assert.deepEqual(await host.start({ itemId: item(), name: 'fast_count', params: {}, md: {} }), { ok: false, reason: 'busy', planName: 'gated' });
      gate.open();
      await log.ended(id, from);
      const before = log.events.length;
      const bad = await host.start({ itemId: item(), name: 'count', params: { num: 'x' }, md: {} });
      assert.ok(!bad.ok && bad.reason === 'invalid');
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(log.events.length, before);
    });

    it('pause, resume, stop; abort with its reason; halt; verbs in the wrong state are refused with the engine\'s error', async () => {
      for (const [verb, status, reason] of [['stop', 'success', ''], ['abort', 'abort', 'beam lost'], ['halt', 'abort', '']] as const) {
        gate = new Gate();
        const from = log.events.length;
        const id = item();
        await host.start({ itemId: id, name: 'gated', params: {}, md: {} });
        await log.until((e) => e.kind === 'document' && e.name === 'event', from);
        assert.deepEqual(await host.control('pause', { defer: false }), { ok: true });
        await log.until((e) => e.kind === 'state' && e.state === 'paused', from);
        assert.deepEqual(await host.control('resume'), { ok: true });
        await log.until((e) => e.kind === 'state' && e.state === 'running' && e.oldState === 'paused', from);
        assert.deepEqual(await host.control(verb, { reason }), { ok: true });
        const end = await log.ended(id, from);
        const stop = log.docs(from, end).find((d) => d.name === 'stop')?.doc;
        assert.equal(stop?.exit_status, status, verb);
        if (verb === 'abort') assert.equal(stop?.reason, 'beam lost');
        gate.open();
      }
      const refused = await host.control('stop');
      assert.ok(!refused.ok && refused.reason === 'error');
      assert.equal(refused.error.name, 'TransitionError');
      assert.match(refused.error.message, /already idle/);
      assert.deepEqual(await host.control('resume'), { ok: false, reason: 'not_paused' });
    });

    it('continues scan_id from setScanId', async () => {
      await host.setScanId(41);
      const from = log.events.length;
      const id = item();
      await host.start({ itemId: id, name: 'fast_count', params: {}, md: {} });
      const end = await log.ended(id, from);
      assert.equal(log.docs(from, end)[0]?.doc.scan_id, 42);
    });

    it('reports a failing plan as an exception with its class and message; seed hooks as hook events', async () => {
      let from = log.events.length;
      let id = item();
      await host.start({ itemId: id, name: 'failing', params: {}, md: {} });
      let end = await log.ended(id, from);
      const ex = log.events.slice(from, end).find((e) => e.kind === 'exception');
      assert.ok(ex?.kind === 'exception');
      assert.deepEqual([ex.itemId, ex.error.name, ex.error.message], [id, 'ValueError', 'planned failure after 2 events']);
      from = log.events.length;
      id = item();
      await host.start({ itemId: id, name: 'simulated', params: { duration: 0.01 }, md: {} });
      end = await log.ended(id, from);
      const hooks = log.events.slice(from, end).filter((e) => e.kind === 'hook').map((e) => (e.kind === 'hook' ? [e.state, e.oldState] : []));
      assert.deepEqual(hooks, [['running', 'idle'], ['idle', 'running']]);
    });

    it('reloads when idle (same code, same hash); refuses while busy', async () => {
      const r = await host.reload();
      assert.ok(r.ok, JSON.stringify(r));
      assert.equal(r.catalog.plansSha256, createHash('sha256').update(readFileSync(TEST_PLANS)).digest('hex'));
      gate = new Gate();
      const from = log.events.length;
      const id = item();
      await host.start({ itemId: id, name: 'gated', params: {}, md: {} });
      await log.until((e) => e.kind === 'document' && e.name === 'event', from);
      const busy = await host.reload();
      assert.ok(!busy.ok && busy.reason === 'busy');
      gate.open();
      await log.ended(id, from);
      // The reloaded code runs, and scan_id carried on.
      const from2 = log.events.length;
      const id2 = item();
      await host.start({ itemId: id2, name: 'fast_count', params: {}, md: {} });
      const end = await log.ended(id2, from2);
      assert.ok(Number(log.docs(from2, end)[0]?.doc.scan_id) > 42);
    });

    it('stop_all when idle: nothing to halt; every device with stop() and the emergency functions are called and reported', async () => {
      const r = await host.stopAll();
      assert.deepEqual(r.engine, { before: 'idle', action: 'none' });
      const names = r.devices.map((d) => d.name);
      assert.ok(names.includes('motor') && names.includes('motor1'), names.join(','));
      assert.deepEqual([...names].sort(), names, 'in name order');
      assert.ok(r.devices.every((d) => d.outcome === 'stopped'), JSON.stringify(r.devices));
      assert.deepEqual(r.emergency, [{ name: 'close_shutter', outcome: 'stopped' }]);
    });

    it('stop_all during a run halts it (exit_status abort, no cleanup) and stops the devices', async () => {
      gate = new Gate();
      const from = log.events.length;
      const id = item();
      await host.start({ itemId: id, name: 'gated', params: {}, md: {} });
      await log.until((e) => e.kind === 'document' && e.name === 'event', from);
      const r = await host.stopAll();
      assert.deepEqual(r.engine, { before: 'running', action: 'halted' });
      assert.ok(r.devices.length > 0);
      const end = await log.ended(id, from);
      assert.equal(log.docs(from, end).find((d) => d.name === 'stop')?.doc.exit_status, 'abort');
      gate.open();
    });

    it('shutdown aborts the run with its reason and resolves once the item is over', async () => {
      gate = new Gate();
      const from = log.events.length;
      const id = item();
      await host.start({ itemId: id, name: 'gated', params: {}, md: {} });
      await log.until((e) => e.kind === 'document' && e.name === 'event', from);
      await host.shutdown('server shutting down');
      const end = await log.ended(id, from);
      const stop = log.docs(from, end).find((d) => d.name === 'stop')?.doc;
      assert.deepEqual([stop?.exit_status, stop?.reason], ['abort', 'server shutting down']);
    });
  });
}
