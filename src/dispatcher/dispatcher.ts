/**
 * The seed dispatcher's behaviour without the wire: one RunEngine, a registry of
 * scans, start-by-name with validation, the control verbs, and one ordered event
 * stream (states, run uids, exceptions) for every subscriber.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { RunEngine, type RunEngineState, canTransition } from '../engine/index.js';
import type { DocumentCallback } from '../model/documents.js';
import type { SubscriptionName } from '../engine/index.js';
import { sleepFor } from '../model/index.js';
import { VERSION } from '../version.js';
import { UnknownTokenError } from './errors.js';
import { type EventBody, EventBus } from './events.js';
import { nonFiniteErrors, startMetadataProblems } from '../plans/index.js';
import { summarize } from './params.js';
import { type ScanEntry, type ScanOptions, ScanRegistry } from './scan-registry.js';
import type {
  CheckOutcome, ControlOutcome, DispatcherEvent, DispatcherEventListener, JsonSchema, ParamError, PlanFactory, ScanContext, ScanFunction, ScanInfo,
  ScanParams, Snapshot, StartOutcome,
} from './types.js';

/** What `start()`/`stop()` drive: a server (see `src/server`), injected to keep this layer wire-free. */
export interface DispatcherHost {
  start(): Promise<void>;
  stop(reason?: string): Promise<void>;
}

export interface DispatcherOptions {
  /** Makes the engine (again, after {@link Dispatcher.replaceEngine}); default `new RunEngine()`. */
  engineFactory?: () => RunEngine;
  /** Devices by name: passed to plan factories and used to check device parameters. */
  devices?: ReadonlyMap<string, unknown> | Readonly<Record<string, unknown>>;
  /** Builds the server that `start()`/`stop()` control. */
  host?: (dispatcher: Dispatcher) => DispatcherHost;
  /** Told about listener and callback failures (the server logs them). */
  onError?: (message: string, error: unknown) => void;
}

interface ActiveScan {
  readonly name: string;
  /** The server-assigned id of this start request (v2's item id). */
  readonly itemId: string;
  /** The checked parameters it started with. */
  readonly params: ScanParams;
  /** Replaced (never mutated) on change: events already emitted keep their copy. */
  info: ScanInfo;
  readonly controller: AbortController;
  /** The scan function has returned or thrown; the scan ends when the engine is idle too. */
  fnDone: boolean;
}

interface UserCallback { cb: DocumentCallback; name: SubscriptionName; engineToken: number }

const NO_SCAN: ScanInfo = Object.freeze({ planName: null, runUid: null, runStartTime: null });

/** Microseconds since the UNIX epoch, as precisely as the platform allows. */
function nowMicros(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

export class Dispatcher {
  readonly version: string = VERSION;
  readonly devices: ReadonlyMap<string, unknown>;
  readonly #scans = new ScanRegistry();
  readonly #bus = new EventBus();
  readonly #callbacks = new Map<number, UserCallback>();
  #docListeners: DocumentCallback[] = [];
  readonly #engineFactory: () => RunEngine;
  readonly #onError: (message: string, error: unknown) => void;
  readonly #host: DispatcherHost | null;
  #nextToken = 0;
  #re: RunEngine;
  #unwire: () => void = () => {};
  #active: ActiveScan | null = null;
  #idleWaiters: Array<() => void> = [];

  constructor(options: DispatcherOptions = {}) {
    this.#engineFactory = options.engineFactory ?? (() => new RunEngine());
    this.#onError = options.onError ?? (() => {});
    const devices = options.devices ?? new Map<string, unknown>();
    this.devices = devices instanceof Map ? devices : new Map(Object.entries(devices));
    this.#bus.onListenerError = (e) => this.#onError('an event listener threw', e);
    this.#re = this.#engineFactory();
    this.#wire(this.#re);
    this.#host = options.host === undefined ? null : options.host(this);
  }

  /** The RunEngine scans run on (replaced by {@link replaceEngine}). */
  get engine(): RunEngine { return this.#re; }
  get state(): RunEngineState { return this.#re.state; }
  /** A scan is in progress, or the engine is not idle (e.g. paused). */
  get busy(): boolean { return this.#active !== null || this.#re.state !== 'idle'; }
  get scanNames(): string[] { return this.#scans.names(); }
  /** The item id of the scan in progress (assigned at start), or null. */
  get itemId(): string | null { return this.#active?.itemId ?? null; }
  /** The scan in progress: its name, item id and checked params (e.g. for the run index), or null. */
  get activeScan(): { readonly name: string; readonly itemId: string; readonly params: ScanParams } | null {
    const a = this.#active;
    return a === null ? null : { name: a.name, itemId: a.itemId, params: a.params };
  }
  /** How many document callbacks are subscribed (they see documents synchronously). */
  get callbackCount(): number { return this.#callbacks.size; }
  /** The server `start()`/`stop()` control, if any. */
  get host(): DispatcherHost | null { return this.#host; }

  /** The state, current scan and busy flag, as a new subscriber is first told. */
  snapshot(): Snapshot {
    return { state: this.#re.state, info: this.#active?.info ?? NO_SCAN, busy: this.busy };
  }

  /**
   * Register a scan function in the seed's shape. `params` is its JSON Schema
   * (defaults for optional parameters); without one, params pass unchecked.
   * @throws ScanNameError (DISPATCH_SCAN_NAME_TAKEN) when `name` is taken
   * @example d.addScan('wait', async (re, hook, p, ctx) => { hook('running', 'idle'); await ctx.sleep(Number(p.s)); hook('idle', 'running'); })
   */
  addScan(name: string, fn: ScanFunction, params?: JsonSchema | null, options: ScanOptions = {}): void {
    this.#scans.add(name, fn, params ?? null, options);
  }

  /**
   * Register a plan factory: the dispatcher runs `factory(params, devices)` on its engine.
   * @throws ScanNameError (DISPATCH_SCAN_NAME_TAKEN) when `name` is taken
   * @example d.addPlan('count', (p, devs) => count([devs.get('det1')], p.num), countSchema)
   */
  addPlan(name: string, factory: PlanFactory, schema: JsonSchema, options: ScanOptions = {}): void {
    const fn: ScanFunction = async (re, _hook, params, ctx) => re.run(factory(params, ctx.devices), null, { ...ctx.md });
    this.#scans.add(name, fn, schema, options);
  }

  /** @throws UnknownScanError (DISPATCH_UNKNOWN_SCAN) for an unknown name. */
  removeScan(name: string): void { this.#scans.remove(name); }

  /** The registered scan (function, validator), or undefined. */
  scan(name: string): ScanEntry | undefined { return this.#scans.get(name); }

  /**
   * Subscribe a document callback to the engine; the token (0, 1, 2, ...) stays
   * valid across {@link replaceEngine}.
   */
  subscribeCallback(cb: DocumentCallback, name: SubscriptionName = 'all'): number {
    const token = this.#nextToken++;
    this.#callbacks.set(token, { cb, name, engineToken: this.#re.subscribe(cb, name) });
    return token;
  }

  /** @throws UnknownTokenError (DISPATCH_UNKNOWN_TOKEN) for a token not subscribed. */
  unsubscribeCallback(token: number): void {
    const entry = this.#callbacks.get(token);
    if (entry === undefined) throw new UnknownTokenError(token);
    this.#re.unsubscribe(entry.engineToken);
    this.#callbacks.delete(token);
  }

  /**
   * Listen to the ordered event stream. The snapshot and the listener are taken
   * together, so the listener sees every event after the snapshot and none before.
   */
  listen(fn: DispatcherEventListener): { snapshot: Snapshot; unlisten: () => void } {
    return { snapshot: this.snapshot(), unlisten: this.#bus.listen(fn) };
  }

  /**
   * Every document of every run, across {@link replaceEngine}, without taking a
   * callback token (protocol v2's document topic). Returns the removal function.
   */
  listenDocuments(fn: DocumentCallback): () => void {
    this.#docListeners = [...this.#docListeners, fn];
    return () => { this.#docListeners = this.#docListeners.filter((f) => f !== fn); };
  }

  /**
   * Check a start request without starting anything: the params to use (defaults filled in) or why not.
   * `md` (the start's metadata) must make a valid start document; its problems have paths under `/md`.
   */
  checkScan(name: string, params: unknown = {}, md?: unknown): CheckOutcome {
    const entry = this.#scans.get(name);
    if (entry === undefined) return { ok: false, reason: 'unknown', name, suggestion: this.#scans.suggest(name) };
    const result = entry.check === null ? uncheckedParams(params) : entry.check(params, this.devices);
    // Checked here, not when the run opens: a refused start emits nothing and uses up no scan id.
    const mdErrors = md === undefined ? [] : startMetadataProblems(md);
    const errors = [...(result.ok ? [] : result.errors), ...mdErrors];
    if (errors.length > 0) return { ok: false, reason: 'invalid', name, summary: summarize(errors), errors };
    return { ok: true, params: (result as { params: ScanParams }).params };
  }

  /**
   * Start a scan by name unless busy, unknown or its params are invalid. Params never carry over.
   * `md` is per-run metadata (plan factories pass it to `re.run`; scan functions get it as `ctx.md`).
   */
  startScan(name: string, params: unknown = {}, md: Readonly<Record<string, unknown>> = {}): StartOutcome {
    if (this.busy) return { ok: false, reason: 'busy', planName: this.#active?.name ?? null };
    const checked = this.checkScan(name, params, md);
    if (!checked.ok) return checked;
    const entry = this.#scans.get(name) as ScanEntry;
    const active: ActiveScan = {
      name, itemId: randomUUID(), params: checked.params, info: { planName: name, runUid: null, runStartTime: nowMicros() }, controller: new AbortController(), fnDone: false,
    };
    this.#active = active;
    // Started at once (synchronously up to the scan's first await), so "running" reaches
    // subscribers before the starter's reply is even written: no client can tell the order
    // across connections, and the start-to-running latency drops by the reply's write.
    void this.#runScan(active, entry, checked.params, md);
    return { ok: true, params: checked.params, itemId: active.itemId };
  }

  /** Pause now (bluesky `request_pause()`, not deferred: what the seed does), or at the next checkpoint with `defer`. */
  requestPause(defer = false): ControlOutcome {
    try {
      this.#re.requestPause(defer);
      return { ok: true };
    } catch (error) {
      return { ok: false, reason: 'error', error };
    }
  }

  /** Resume a paused plan; returns at once (the plan's end is reported as events). */
  requestResume(): ControlOutcome {
    if (this.#re.state !== 'paused') return { ok: false, reason: 'not_paused' };
    const name = this.#active?.name ?? null;
    this.#re.resume().then(() => undefined, (error: unknown) => this.#emit({ kind: 'exception', planName: name, error }));
    return { ok: true };
  }

  /** Stop: cleanup runs, the run is marked successful. Resolves once accepted or refused. */
  requestStop(): Promise<ControlOutcome> { return this.#interrupt('stop', ''); }
  /** Abort; `reason` goes into the stop document of the run being aborted. */
  requestAbort(reason = ''): Promise<ControlOutcome> { return this.#interrupt('abort', reason); }
  /** Halt: no cleanup, the run is marked aborted. */
  requestHalt(): Promise<ControlOutcome> { return this.#interrupt('halt', ''); }

  /** Resolves when no scan is in progress and the engine is idle. */
  whenIdle(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /**
   * Abort whatever runs (with `reason`), end sleeping scan functions, and wait
   * until the run's stop document has been emitted and the engine is idle.
   */
  async shutdown(reason = 'dispatcher shutting down'): Promise<void> {
    this.#active?.controller.abort(new Error(reason));
    if (canTransition(this.#re.state, 'aborting')) await this.requestAbort(reason);
    await this.whenIdle();
  }

  /** Swap in a fresh engine (e.g. after a panic); callback tokens stay valid. @throws Error while busy */
  replaceEngine(factory: () => RunEngine = this.#engineFactory): void {
    if (this.busy) throw new Error('cannot replace the engine while a scan is in progress');
    this.#unwire();
    for (const entry of this.#callbacks.values()) this.#re.unsubscribe(entry.engineToken);
    this.#re = factory();
    this.#wire(this.#re);
    for (const entry of this.#callbacks.values()) entry.engineToken = this.#re.subscribe(entry.cb, entry.name);
  }

  /** Start the host (the websocket server). @throws Error without a host */
  async start(): Promise<void> {
    if (this.#host === null) throw new Error('this Dispatcher has no host: create it with createDispatcher() from the server module');
    await this.#host.start();
  }

  /** Stop the host gracefully: abort with `reason`, wait for the stop document, close clients. */
  async stop(reason?: string): Promise<void> {
    if (this.#host !== null) await this.#host.stop(reason);
    else await this.shutdown(reason);
  }

  #wire(re: RunEngine): void {
    const offState = re.on('state', (n, o) => this.#onEngineState(n, o));
    const startToken = re.subscribe((_name, doc) => this.#onStartDoc((doc as { uid: string }).uid), 'start');
    const docToken = re.subscribe((name, doc) => {
      for (const fn of this.#docListeners) {
        try { fn(name, doc); } catch (e) { this.#onError('a document listener threw', e); }
      }
    });
    this.#unwire = () => {
      offState();
      re.unsubscribe(startToken);
      re.unsubscribe(docToken);
    };
  }

  #emit(body: EventBody): DispatcherEvent { return this.#bus.emit(body); }

  #onEngineState(newState: RunEngineState, oldState: RunEngineState): void {
    const active = this.#active;
    this.#emit({ kind: 'state', state: newState, oldState, info: active?.info ?? NO_SCAN });
    if (newState === 'idle' && active?.fnDone === true) this.#finish(active);
  }

  #onStartDoc(uid: string): void {
    const active = this.#active;
    if (active === null) return;
    active.info = { ...active.info, runUid: uid };
    this.#emit({ kind: 'run_uid', state: this.#re.state, info: active.info });
  }

  async #runScan(active: ActiveScan, entry: ScanEntry, params: ScanParams, md: Readonly<Record<string, unknown>>): Promise<void> {
    const hook = (newState: string, oldState: string | null): void => {
      if (this.#active === active) this.#emit({ kind: 'state', state: newState, oldState: oldState ?? null, info: active.info });
    };
    const ctx: ScanContext = { signal: active.controller.signal, sleep: (s) => sleep(s, active.controller.signal), devices: this.devices, md };
    try {
      await entry.fn(this.#re, hook, params, ctx);
    } catch (error) {
      this.#emit({ kind: 'exception', planName: active.name, error });
    } finally {
      active.fnDone = true;
      // Paused plans keep the scan (and the busy flag) until the engine is idle again.
      if (this.#re.state === 'idle') this.#finish(active);
    }
  }

  #finish(active: ActiveScan): void {
    if (this.#active !== active) return;
    this.#active = null;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  async #interrupt(kind: 'stop' | 'abort' | 'halt', reason: string): Promise<ControlOutcome> {
    const re = this.#re;
    const target = ({ stop: 'stopping', abort: 'aborting', halt: 'halting' } as const)[kind];
    const call = (): Promise<unknown> => (kind === 'stop' ? re.stop() : kind === 'abort' ? re.abort(reason) : re.halt());
    if (re.state === 'idle' || !canTransition(re.state, target)) {
      // The engine refuses at once (before any await): report its own error.
      try { await call(); return { ok: true }; } catch (error) { return { ok: false, reason: 'error', error }; }
    }
    const name = this.#active?.name ?? null;
    call().then(() => undefined, (error: unknown) => this.#emit({ kind: 'exception', planName: name, error }));
    return { ok: true };
  }
}

/** Params of a scan that declared no schema: passed on as given (as the seed did), but an object of finite numbers. */
function uncheckedParams(params: unknown): { ok: true; params: ScanParams } | { ok: false; errors: ParamError[] } {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    return { ok: false, errors: [{ path: '', message: '"params" must be an object', expected: 'object', got: Array.isArray(params) ? 'array' : String(params) }] };
  }
  const infinite = nonFiniteErrors(params);
  return infinite.length > 0 ? { ok: false, errors: infinite } : { ok: true, params: structuredClone(params) as ScanParams };
}

/** The scan context's sleep: any length (model/timers chunks waits above 2^31-1 ms). */
function sleep(seconds: number, signal: AbortSignal): Promise<void> {
  return sleepFor(seconds, signal);
}
