/**
 * Shared fixtures for the conformance tests (re-expressions of bluesky's
 * own RunEngine test-suite; nothing here reads that suite or anything outside
 * this repository): small fake devices, document/message collectors that validate every document against
 * the event-model schemas, and tiny local plan helpers (the real plan library
 * is tested on its own; these only mirror what the upstream tests yield).
 * @module
 */
import assert from 'node:assert/strict';
import { RunEngine, type RunEngineOptions } from '../../src/engine/index.js';
import type { Clock } from '../../src/model/clock.js';
import type { DocumentName } from '../../src/model/documents.js';
import {
  GeneratorExit, RunEngineInterrupted, isControlException, isGeneratorExit,
} from '../../src/model/errors.js';
import { type Msg, type Plan, type PlanLike, ensurePlan, msg } from '../../src/model/msg.js';
import type { DataKey, Reading } from '../../src/model/protocols.js';
import { StatusBase, completedStatus } from '../../src/model/status.js';
import { documentErrors } from '../../src/model/validate.js';

// ---------------------------------------------------------------- devices

const now = (): number => Date.now() / 1000;

/** ophyd.sim SynAxis, reduced: moves instantly, records stop() calls. */
export class Motor {
  readonly name: string;
  readonly parent = null;
  position = 0;
  setpoint = 0;
  stops = 0;
  readonly hints: { fields: string[] };
  constructor(name = 'motor') {
    this.name = name;
    this.hints = { fields: [name] };
  }
  set(value: unknown): StatusBase {
    this.setpoint = Number(value);
    this.position = Number(value);
    return completedStatus(this.name);
  }
  read(): Record<string, Reading> {
    const t = now();
    return { [this.name]: { value: this.position, timestamp: t }, [`${this.name}_setpoint`]: { value: this.setpoint, timestamp: t } };
  }
  describe(): Record<string, DataKey> {
    return {
      [this.name]: { source: `SIM:${this.name}`, dtype: 'number', shape: [] },
      [`${this.name}_setpoint`]: { source: `SIM:${this.name}_setpoint`, dtype: 'number', shape: [] },
    };
  }
  stop(): void { this.stops += 1; }
  locate(): { setpoint: number; readback: number } { return { setpoint: this.setpoint, readback: this.position }; }
}

/** ophyd.sim SynGauss, reduced: a detector with trigger/read/describe (value 1.0). */
export class Detector {
  readonly name: string;
  readonly parent = null;
  value = 1;
  triggers = 0;
  readonly hints: { fields: string[] };
  constructor(name = 'det') {
    this.name = name;
    this.hints = { fields: [name] };
  }
  trigger(): StatusBase { this.triggers += 1; return completedStatus(this.name); }
  read(): Record<string, Reading> { return { [this.name]: { value: this.value, timestamp: now() } }; }
  describe(): Record<string, DataKey> { return { [this.name]: { source: `SIM:${this.name}`, dtype: 'number', shape: [] } }; }
}

/** A device with read key `x` and configuration keys `y`, `z` (test_configure_multiple_descritpors). */
export class ConfigDetector {
  readonly name: string;
  readonly parent = null;
  readonly cfg: Record<string, number> = { y: 2, z: 3 };
  x = 0;
  constructor(name = 'det') { this.name = name; }
  read(): Record<string, Reading> { return { x: { value: this.x, timestamp: now() } }; }
  describe(): Record<string, DataKey> { return { x: { source: 'SIM:x', dtype: 'number', shape: [] } }; }
  readConfiguration(): Record<string, Reading> {
    const t = now();
    return Object.fromEntries(Object.entries(this.cfg).map(([k, v]) => [k, { value: v, timestamp: t }]));
  }
  describeConfiguration(): Record<string, DataKey> {
    return Object.fromEntries(Object.keys(this.cfg).map((k) => [k, { source: `SIM:${k}`, dtype: 'number' as const, shape: [] }]));
  }
  configure(d: Record<string, number>): [Record<string, Reading>, Record<string, Reading>] {
    const old = this.readConfiguration();
    Object.assign(this.cfg, d);
    return [old, this.readConfiguration()];
  }
}

/** An ophyd Signal-like boolean with subscribe/clearSub/put (for suspenders and monitors). */
export class SimSignal {
  readonly name: string;
  readonly parent = null;
  value: number;
  readonly #subs: Array<(v: unknown) => void> = [];
  constructor(name = 'bool_sig', value = 0) { this.name = name; this.value = value; }
  /** ophyd subscribe(run=True): the callback sees the current value at once. */
  subscribe(cb: (v: unknown) => void): void { this.#subs.push(cb); cb(this.value); }
  clearSub(cb: (v: unknown) => void): void { const i = this.#subs.indexOf(cb); if (i >= 0) this.#subs.splice(i, 1); }
  put(v: number): void { this.value = v; for (const cb of [...this.#subs]) cb(v); }
  read(): Record<string, Reading> { return { [this.name]: { value: this.value, timestamp: now() } }; }
  describe(): Record<string, DataKey> { return { [this.name]: { source: `SIM:${this.name}`, dtype: 'number', shape: [] } }; }
  get subscribers(): number { return this.#subs.length; }
}

/** A status that finishes (or fails) after `ms` real milliseconds. */
export function delayedStatus(ms: number, fail: boolean): StatusBase {
  const st = new StatusBase({ label: 'delayed' });
  setTimeout(() => (fail ? st.setException(new Error('simulated failure')) : st.setFinished()), ms);
  return st;
}

// ---------------------------------------------------------------- clock

/**
 * The system clock with a strictly increasing `now()` (1 ms per call), so that
 * document time ordering (start.time < stop.time) never depends on the
 * resolution of Date.now(). Sleeps and yields are real.
 */
export function tickingClock(): Clock {
  let t = Date.now() / 1000;
  return {
    now: () => (t += 0.001),
    sleep: (seconds, signal) => new Promise<void>((resolve, reject) => {
      if (signal?.aborted === true) { reject(signal.reason); return; }
      const onAbort = (): void => { clearTimeout(timer); reject(signal?.reason); };
      const timer = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, Math.max(0, seconds * 1000));
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
    yieldToLoop: () => new Promise<void>((resolve) => setImmediate(resolve)),
    uuid: () => globalThis.crypto.randomUUID(),
  };
}

// ---------------------------------------------------------------- collectors

type Doc = Record<string, unknown> & { uid?: unknown };
const collectors: DocCollector[] = [];

/** bluesky.tests.utils.DocCollector, plus schema validation of every document. */
export class DocCollector {
  readonly all: Array<[DocumentName, Doc]> = [];
  readonly start: Doc[] = [];
  /** stop documents by run uid */
  readonly stop: Record<string, Doc> = {};
  /** descriptors by run uid */
  readonly descriptor: Record<string, Doc[]> = {};
  /** events by descriptor uid */
  readonly event: Record<string, Doc[]> = {};
  readonly invalid: Array<{ name: string; errors: unknown }> = [];
  readonly insert = (name: DocumentName, doc: object): void => {
    const d = doc as Doc;
    const errors = documentErrors(name, doc);
    if (errors.length > 0) this.invalid.push({ name, errors });
    this.all.push([name, d]);
    if (name === 'start') this.start.push(d);
    else if (name === 'stop') this.stop[String(d.run_start)] = d;
    else if (name === 'descriptor') (this.descriptor[String(d.run_start)] ??= []).push(d);
    else if (name === 'event') (this.event[String(d.descriptor)] ??= []).push(d);
  };
  constructor() { collectors.push(this); }
  names(): DocumentName[] { return this.all.map(([n]) => n); }
  docs(name: DocumentName): Doc[] { return this.all.filter(([n]) => n === name).map(([, d]) => d); }
}

/** Assert that every document seen by any collector so far was schema-valid (use in afterEach). */
export function assertAllDocumentsValid(): void {
  for (const c of collectors.splice(0)) assert.deepEqual(c.invalid, [], 'every emitted document must validate against its schema');
}

/** A RunEngine with a schema-validating DocCollector subscribed to everything and a message log. */
export function makeRE(options: RunEngineOptions = {}): { re: RunEngine; docs: DocCollector; msgs: Msg[] } {
  const re = new RunEngine({ clock: tickingClock(), deferredPauseGrace: 0.01, ...options });
  const docs = new DocCollector();
  re.subscribe(docs.insert);
  const msgs: Msg[] = [];
  re.on('msg', (m) => { msgs.push(m); });
  return { re, docs, msgs };
}

export const commands = (msgs: readonly Msg[]): string[] => msgs.map((m) => m.command);

/** `pytest.raises(RunEngineInterrupted)` for a promise. */
export async function interrupted(p: Promise<unknown>): Promise<void> {
  await assert.rejects(p, RunEngineInterrupted);
}

/** A plan from a list of messages that may contain junk (test_clear_checkpoint's "lies"). */
export function rawPlan(items: readonly unknown[]): Plan {
  return ensurePlan(items as Msg[]);
}

// ---------------------------------------------------------------- plan helpers

/** A plan with no return value (TypeScript needs `void` to allow falling off the end). */
export type VoidPlan = Generator<Msg, void, unknown>;

const NONE: unique symbol = Symbol('none');

/**
 * Drive `plan`, letting hooks insert plans before/after a message or replace it
 * (a reduced bluesky plan_mutator/msg_mutator). Errors thrown into this
 * generator are forwarded to `plan`; closing it closes `plan`.
 */
export function* mutate(plan: Plan, hooks: {
  before?: (m: Msg) => PlanLike | null;
  after?: (m: Msg) => PlanLike | null;
  map?: (m: Msg) => Msg;
}): Plan {
  let resp: unknown = undefined;
  let err: unknown = NONE;
  try {
    for (;;) {
      let step: IteratorResult<Msg, unknown>;
      if (err !== NONE) { const e = err; err = NONE; step = plan.throw(e); } else step = plan.next(resp);
      if (step.done === true) return step.value;
      const m = hooks.map === undefined ? step.value : hooks.map(step.value);
      const pre = hooks.before?.(m) ?? null;
      if (pre !== null) yield* ensurePlan(pre);
      try { resp = yield m; } catch (e) { err = e; continue; }
      const post = hooks.after?.(m) ?? null;
      if (post !== null) yield* ensurePlan(post);
    }
  } finally {
    plan.return(undefined);
  }
}

/**
 * bluesky finalize_wrapper: run `final` after `plan` succeeds or raises, but
 * not when the plan is closed or halted (GeneratorExit; spec §16.2).
 */
export function* finalize<R>(plan: Plan<R>, final: () => PlanLike): Plan<R> {
  let outcome: 'pending' | 'ok' | 'error' | 'exit' = 'pending';
  try {
    const r = yield* plan;
    outcome = 'ok';
    return r;
  } catch (e) {
    outcome = isGeneratorExit(e) ? 'exit' : 'error';
    throw e;
  } finally {
    // 'pending' = closed by gen.return() (Python close(): GeneratorExit at the yield).
    if (outcome === 'ok' || outcome === 'error') yield* ensurePlan(final());
  }
}

/** bluesky run_wrapper / run_decorator (via contingency_wrapper). Returns the run uid. */
export function* runWrapper(plan: Plan, md: Record<string, unknown> = {}): Plan {
  const uid = yield msg('open_run', null, [], md);
  try {
    yield* plan;
  } catch (e) {
    if (isGeneratorExit(e)) throw e;
    if (isControlException(e)) yield msg('close_run', null, [], { exit_status: e.exitStatus, reason: null });
    else yield msg('close_run', null, [], { exit_status: 'fail', reason: e instanceof Error ? e.message : String(e) });
    throw e;
  }
  yield msg('close_run', null, [], { exit_status: null, reason: null });
  return uid;
}

/** bluesky subs_wrapper. */
export function subsWrapper(plan: Plan, cb: (name: DocumentName, doc: object) => void): Plan {
  const tokens: unknown[] = [];
  return finalize((function* inner(): Plan {
    tokens.push(yield msg('subscribe', null, [cb, 'all']));
    return yield* plan;
  })(), () => tokens.map((t) => msg('unsubscribe', null, [], { token: t })));
}

/** bluesky reset_positions_wrapper: remember each motor's position before its first set; restore finally. */
export function resetPositions(plan: Plan): Plan {
  const initial = new Map<Motor, number>();
  const tapped = mutate(plan, {
    before: (m) => {
      if (m.command === 'set' && m.obj instanceof Motor && !initial.has(m.obj)) initial.set(m.obj, m.obj.position);
      return null;
    },
  });
  return finalize(tapped, () => {
    const out: Msg[] = [];
    for (const [motor, pos] of initial) out.push(msg('set', motor, [pos], { group: 'reset' }));
    out.push(msg('wait', null, [], { group: 'reset' }));
    return out;
  });
}

/** bluesky set_run_key_wrapper. */
export function withRunKey(plan: PlanLike, run: unknown): Plan {
  return mutate(ensurePlan(plan), { map: (m) => ({ ...m, run }) });
}

let groupCounter = 0;
/** bluesky trigger_and_read (without the rewindable handling): trigger, wait, create, read..., save. */
export function* triggerAndRead(devices: readonly object[], name = 'primary'): Plan {
  const group = `trigger-${++groupCounter}`;
  for (const d of devices) if (typeof (d as { trigger?: unknown }).trigger === 'function') yield msg('trigger', d, [], { group });
  yield msg('wait', null, [], { group, error_on_timeout: true, watch: [] });
  yield msg('create', null, [], { name });
  const readings: Record<string, unknown> = {};
  for (const d of devices) Object.assign(readings, yield msg('read', d));
  yield msg('save');
  return readings;
}

/** bluesky mv / mov: set every motor in one group, then wait. */
export function* mov(...pairs: Array<[object, number]>): VoidPlan {
  const group = `set-${++groupCounter}`;
  for (const [m, v] of pairs) yield msg('set', m, [v], { group });
  yield msg('wait', null, [], { group });
}

/** A small count(): open/declare/trigger_and_read×num/close (bluesky.plans.count, reduced). */
export function* count(dets: readonly object[], num = 1, opts: { predeclare?: boolean; md?: Record<string, unknown> } = {}): Plan {
  return yield* runWrapper((function* body(): VoidPlan {
    if (opts.predeclare === true) yield msg('declare_stream', null, [...dets], { name: 'primary' });
    for (let i = 0; i < num && dets.length > 0; i++) {
      yield msg('checkpoint');
      yield* triggerAndRead(dets);
    }
  })(), { plan_name: 'count', detectors: dets.map((d) => (d as { name: string }).name), num_points: num, ...opts.md });
}

/** bluesky SupplementalData(baseline=...) reduced: a baseline reading after open_run and before close_run. */
export function baselineWrapper(devices: readonly object[]): (plan: Plan) => Plan {
  return (plan) => mutate(plan, {
    before: (m) => (m.command === 'close_run' ? triggerAndRead(devices, 'baseline') : null),
    after: (m) => (m.command === 'open_run' ? triggerAndRead(devices, 'baseline') : null),
  });
}

export { GeneratorExit, msg };
