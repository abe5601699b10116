/**
 * What only the worker host does: end a plan that blocks its thread, exhausts
 * its heap or ignores a halt — closing its run honestly and starting a fresh
 * worker — while the main thread stays free; refuse plans modules that fail to
 * load, and keep the old code when a reload fails.
 * @module
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { type EngineHost, PlanModuleError, WorkerHost } from '../../src/host/index.js';
import { DOCUMENT_JSON, memoOf } from '../../src/model/index.js';
import { TEST_PLANS } from '../helpers/engine.js';
import { GateBroker } from '../helpers/gates.js';
import { EventLog } from './contract.js';

const broker = new GateBroker({});
broker.publish();
after(() => { broker.close(); });

let n = 0;
const item = (): string => `w-${String(++n)}`;

/** A worker host with a short grace and a small heap, so the tests are quick. */
async function host(maxMemoryMb = 2048): Promise<{ host: EngineHost; log: EventLog }> {
  const h = new WorkerHost({ setup: { simulatedDevices: true, standardPlans: true, plans: [TEST_PLANS] }, graceSeconds: 0.3, maxMemoryMb });
  const log = new EventLog(h);
  await h.open();
  return { host: h, log };
}

/** Starts `plan`, waits for its first event document; returns the item id and where its events begin. */
async function startAndWait(h: EngineHost, log: EventLog, plan: string): Promise<{ id: string; from: number }> {
  const from = log.events.length;
  const id = item();
  const r = await h.start({ itemId: id, name: plan, params: {}, md: {} });
  assert.ok(r.ok, JSON.stringify(r));
  await log.until((e) => e.kind === 'document' && e.name === 'event', from);
  return { id, from };
}

/** Resolves once the worker has stopped answering pings: the plan is inside its loop. */
async function blocked(h: EngineHost): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (h.health().responsive) {
    if (Date.now() > deadline) throw new Error('the busy loop never blocked the worker');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The next plan after a termination runs normally on the fresh worker. */
async function nextPlanRuns(h: EngineHost, log: EventLog): Promise<void> {
  const from = log.events.length;
  const id = item();
  const r = await h.start({ itemId: id, name: 'count', params: { detectors: ['det'], num: 2 }, md: {} });
  assert.ok(r.ok, JSON.stringify(r));
  const end = await log.ended(id, from);
  assert.equal(log.docs(from, end).find((d) => d.name === 'stop')?.doc.exit_status, 'success');
}

/**
 * A worker whose one plan opens a run with `mdSource` as its metadata (JavaScript: what a plan may
 * write itself, where a request's md is checked) and closes it; `check` gets the log and the index of
 * the item's end.
 */
async function runWithPlanMetadata(mdSource: string, check: (log: EventLog, end: number) => void): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'worker-md-'));
  const file = join(dir, 'md-plan.mjs');
  writeFileSync(file, [
    "import { closeRun, openRun } from 'bluesky-dispatcher/plans';",
    `export function register(d) { d.addPlan("md_plan", function* () { yield* openRun(${mdSource}); yield* closeRun(); }, { type: "object", properties: {} }); }`,
  ].join('\n'));
  const h = new WorkerHost({ setup: { plans: [file] } });
  const log = new EventLog(h);
  try {
    await h.open();
    const id = item();
    assert.ok((await h.start({ itemId: id, name: 'md_plan', params: {}, md: {} })).ok);
    check(log, await log.ended(id, 0));
  } finally {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('documents from the worker', () => {
  it('arrive with their JSON, encoded on the engine thread, for the store to take (DOCUMENT_JSON)', { timeout: 30_000 }, async () => {
    const { host: h, log } = await host();
    try {
      const from = log.events.length;
      const id = item();
      assert.ok((await h.start({ itemId: id, name: 'count', params: { detectors: ['det'], num: 3 }, md: {} })).ok);
      const end = await log.ended(id, from);
      const docs = log.docs(from, end);
      assert.deepEqual(docs.map((d) => d.name), ['start', 'descriptor', 'event', 'event', 'event', 'stop']);
      for (const d of docs) assert.equal(memoOf(d.doc, DOCUMENT_JSON), JSON.stringify(d.doc), d.name);
    } finally { await h.close(); }
  });

  it('cross as JSON alone: what the main thread gets is what is stored and streamed (NaN is null, undefined is absent)', { timeout: 30_000 }, async () => {
    await runWithPlanMetadata('{ bad_reading: NaN, too_far: Infinity, unset: undefined, sample: "Si" }', (log, end) => {
      const start = log.docs(0, end).find((d) => d.name === 'start')?.doc;
      assert.ok(start !== undefined);
      // A structured clone of the object would have kept NaN, Infinity and the undefined key.
      assert.equal(start.sample, 'Si');
      assert.equal(start.bad_reading, null);
      assert.equal(start.too_far, null);
      assert.equal(Object.hasOwn(start, 'unset'), false);
      assert.equal(memoOf(start, DOCUMENT_JSON), JSON.stringify(start));
    });
  });
});

describe('a start document that JSON cannot encode', () => {
  it('is refused in the worker before its run opens: the main thread gets no stop without its start', { timeout: 30_000 }, async () => {
    await runWithPlanMetadata('{ dose: 10n }', (log, end) => {
      // Before the check, the start failed to cross (its encoding threw) and the run's stop crossed alone.
      assert.deepEqual(log.docs(0, end).map((d) => d.name), []);
      const ex = log.events.slice(0, end + 1).find((e) => e.kind === 'exception');
      assert.ok(ex?.kind === 'exception');
      assert.equal(ex.error.code, 'ENGINE_DOCUMENT_INVALID');
      assert.match(ex.error.message, /\/dose cannot be encoded as JSON/);
    });
  });
});

describe('a plan that does not answer is ended', () => {
  for (const verb of ['halt', 'abort', 'stop'] as const) {
    it(`a busy-looping plan: ${verb} terminates the worker after the grace period and closes the run`, { timeout: 30_000 }, async () => {
      const { host: h, log } = await host();
      try {
        const { id, from } = await startAndWait(h, log, 'busy_loop');
        const started = log.docs(from).find((d) => d.name === 'start')?.doc;
        await blocked(h);
        const t0 = performance.now();
        assert.deepEqual(await h.control(verb, { reason: 'beam lost' }), { ok: true });
        const end = await log.ended(id, from);
        const took = performance.now() - t0;
        assert.ok(took < 5000, `ended after ${String(took)} ms`);
        const events = log.events.slice(from, end + 1);
        const stop = log.docs(from, end).find((d) => d.name === 'stop')?.doc;
        assert.equal(stop?.run_start, started?.uid);
        assert.equal(stop?.exit_status, 'abort');
        assert.match(String(stop?.reason), new RegExp(`did not respond to ${verb} within 0.3 s and was terminated`));
        assert.deepEqual((stop?.num_events as Record<string, number>).primary, 1);
        const ex = events.find((e) => e.kind === 'exception');
        assert.ok(ex?.kind === 'exception' && ex.error.name === 'EngineTerminated' && ex.itemId === id);
        assert.ok(events.some((e) => e.kind === 'state' && e.state === 'idle'));
        assert.equal(h.health().generation, 2);
        await nextPlanRuns(h, log);
      } finally { await h.close(); }
    });
  }

  it('a plan that exhausts its heap is ended with a reason naming memory; the next plan runs', { timeout: 60_000 }, async () => {
    const { host: h, log } = await host(96);
    try {
      const from = log.events.length;
      const id = item();
      assert.ok((await h.start({ itemId: id, name: 'memory_hog', params: {}, md: {} })).ok);
      const end = await log.ended(id, from);
      const stop = log.docs(from, end).find((d) => d.name === 'stop')?.doc;
      assert.equal(stop?.exit_status, 'abort');
      assert.match(String(stop?.reason), /exceeded the engine's memory limit \(96 MiB\)/);
      assert.match(String(h.health().lastTermination), /memory/);
      await nextPlanRuns(h, log);
    } finally { await h.close(); }
  });

  for (const verb of ['halt', 'abort'] as const) {
    it(`a plan whose device never finishes: ${verb} ends it without terminating the worker`, { timeout: 30_000 }, async () => {
      const { host: h, log } = await host();
      try {
        const { id, from } = await startAndWait(h, log, 'stuck_move');
        assert.deepEqual(await h.control(verb, { reason: 'motor stuck' }), { ok: true });
        const end = await log.ended(id, from);
        const stop = log.docs(from, end).find((d) => d.name === 'stop')?.doc;
        assert.equal(stop?.exit_status, 'abort');
        assert.doesNotMatch(String(stop?.reason), /terminated/);
        assert.equal(h.health().generation, 1);
        await nextPlanRuns(h, log);
      } finally { await h.close(); }
    });
  }

  it('stop_all while a plan blocks its thread: the worker is ended within the grace period, the fresh one stops the devices', { timeout: 30_000 }, async () => {
    const { host: h, log } = await host();
    try {
      const { id, from } = await startAndWait(h, log, 'busy_loop');
      await blocked(h);
      const r = await h.stopAll();
      assert.equal(r.engine.action, 'terminated');
      assert.equal(r.engine.before, 'running');
      assert.match(String(r.engine.message), /stop_all/);
      assert.ok(r.devices.some((d) => d.name === 'motor' && d.outcome === 'stopped'));
      assert.deepEqual(r.emergency, [{ name: 'close_shutter', outcome: 'stopped' }]);
      const end = await log.ended(id, from);
      assert.equal(log.docs(from, end).find((d) => d.name === 'stop')?.doc.exit_status, 'abort');
      assert.equal(h.health().generation, 2);
      await nextPlanRuns(h, log);
    } finally { await h.close(); }
  });

  it('a pause whose reply was held up on the main thread (not in the worker) is answered, not refused as unresponsive', { timeout: 30_000 }, async () => {
    const h = new WorkerHost({ setup: { simulatedDevices: true, standardPlans: true, plans: [TEST_PLANS] }, graceSeconds: 0.05 });
    const log = new EventLog(h);
    await h.open();
    try {
      const from = log.events.length;
      const id = item();
      assert.ok((await h.start({ itemId: id, name: 'count', params: { detectors: ['det'], num: 10_000, delay: 0.01 }, md: {} })).ok);
      await log.until((e) => e.kind === 'document' && e.name === 'event', from);
      const reply = h.control('pause');
      await new Promise((r) => setTimeout(r, 0)); // the request is on its way
      // This thread is then busy for 6 graces at the end of a turn (as a slow store commit would be):
      // the worker answers at once, and its reply waits in the port while the grace runs out.
      await new Promise<void>((r) => setImmediate(() => { const end = performance.now() + 300; while (performance.now() < end); r(); }));
      const r = await reply;
      assert.ok(r.ok, JSON.stringify(r));
      await log.until((e) => e.kind === 'state' && e.state === 'paused', from);
      await h.control('halt');
      await log.ended(id, from);
    } finally { await h.close(); }
  });

  it('while a plan blocks its thread, pause is refused as unresponsive within the grace period; health says so', { timeout: 30_000 }, async () => {
    const { host: h, log } = await host();
    try {
      const { id, from } = await startAndWait(h, log, 'busy_loop');
      await blocked(h);
      const t0 = performance.now();
      const r = await h.control('pause');
      assert.ok(!r.ok && r.reason === 'error' && r.error.name === 'EngineUnresponsive', JSON.stringify(r));
      assert.ok(performance.now() - t0 < 3000);
      await h.control('halt');
      await log.ended(id, from);
      assert.equal(h.health().responsive, true);
    } finally { await h.close(); }
  });
});

describe('plans modules that fail', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bluesky-plans-'));
  after(() => { rmSync(dir, { recursive: true, force: true }); });

  it('a module that throws, has no register() or does not exist: open rejects naming the file', { timeout: 30_000 }, async () => {
    const throws = join(dir, 'throws.ts');
    writeFileSync(throws, 'export function register(): void { throw new Error("no beamline today"); }\n');
    const none = join(dir, 'none.mjs');
    writeFileSync(none, 'export const x = 1;\n');
    for (const [file, why] of [[throws, /no beamline today/], [none, /must export a function register/], [join(dir, 'missing.ts'), /ENOENT/]] as const) {
      const h = new WorkerHost({ setup: { standardPlans: true, plans: [file] } });
      await assert.rejects(h.open(), (e: Error) => {
        assert.equal(e.name, 'PlanModuleError');
        assert.ok(e.message.includes(file), e.message);
        assert.match(e.message, why);
        return true;
      });
      await h.close();
    }
    assert.equal(new PlanModuleError('x', new Error('y')).message, 'cannot load plans module x: y');
  });

  it('reload picks up changed code and its hash; a reload that fails keeps the old plans', { timeout: 60_000 }, async () => {
    const file = join(dir, 'mine.mjs');
    writeFileSync(file, 'export function register(d) { d.addPlan("one", () => [], { type: "object", properties: {} }); }\n');
    const h = new WorkerHost({ setup: { plans: [file] } });
    try {
      const first = await h.open();
      assert.deepEqual(first.plans.map((p) => p.name), ['one']);
      writeFileSync(file, 'export function register(d) { d.addPlan("two", () => [], { type: "object", properties: {} }); }\n');
      const r = await h.reload();
      assert.ok(r.ok);
      assert.deepEqual(r.catalog.plans.map((p) => p.name), ['two']);
      assert.notEqual(r.catalog.plansSha256, first.plansSha256);
      writeFileSync(file, 'export function register() { throw new Error("half-edited"); }\n');
      const bad = await h.reload();
      assert.ok(!bad.ok && bad.reason === 'failed');
      assert.match(bad.message, /half-edited/);
      assert.deepEqual(h.catalog.plans.map((p) => p.name), ['two']);
      assert.ok((await h.validate('two', {})).ok, 'the old worker still serves');
    } finally { await h.close(); }
  });
});
