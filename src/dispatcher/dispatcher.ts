/**
 * The seed dispatcher's behaviour without the wire, on the main thread: start
 * by name, the control verbs, the status, and one ordered event stream
 * (states, run uids, exceptions) plus every document, for every subscriber.
 * The engine, devices and plans live behind an {@link EngineHost} (in this
 * thread or a worker); only data crosses, so nothing here can be blocked by a plan.
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { RunEngine, RunEngineState, SubscriptionName } from '../engine/index.js';
import type { DocumentCallback, DocumentName } from '../model/documents.js';
import { VERSION } from '../version.js';
import {
  type Catalog, type CheckOutcome, type ControlOptions, type ControlOutcome, type ControlVerb, type DeviceInfo, type EngineHost, type HostEvent, type HostHealth,
  InProcessHost, type JsonSchema, type PlanFactory, type PlanInfo, type ReloadOutcome, type ScanFunction, type StartOutcome, errorFrom, type StopAllReport, type EmergencyStop,
} from '../host/index.js';
import { UnknownTokenError } from './errors.js';
import { type EventBody, EventBus } from './events.js';
import type { ScanEntry, ScanOptions } from './scan-registry.js';
import type { DispatcherEvent, DispatcherEventListener, ScanInfo, Snapshot } from './types.js';

/** What `start()`/`stop()` drive: a server (see `src/server`), injected to keep this layer wire-free. */
export interface DispatcherHost {
  start(): Promise<void>;
  stop(reason?: string): Promise<void>;
}

export interface DispatcherOptions {
  /**
   * Where the engine, devices and plans live. Default: an {@link InProcessHost} made from
   * `engineFactory` and `devices`, on which `addScan`/`addPlan` register scans directly.
   */
  engine?: EngineHost;
  /** In-process default host only: makes the engine; default `new RunEngine()`. */
  engineFactory?: () => RunEngine;
  /** In-process default host only: devices by name, passed to plan factories. */
  devices?: ReadonlyMap<string, unknown> | Readonly<Record<string, unknown>>;
  /** Builds the server that `start()`/`stop()` control. */
  host?: (dispatcher: Dispatcher) => DispatcherHost;
  /** Told about listener and callback failures (the server logs them). */
  onError?: (message: string, error: unknown) => void;
}

interface ActiveScan {
  readonly name: string;
  /** The id of this start request (v2's item id), given by the dispatcher. */
  readonly itemId: string;
  /** The checked parameters it started with (null until the host accepted them). */
  params: Record<string, unknown> | null;
  /** Replaced (never mutated) on change: events already emitted keep their copy. */
  info: ScanInfo;
}

interface UserCallback { cb: DocumentCallback; name: SubscriptionName }

const NO_SCAN: ScanInfo = Object.freeze({ planName: null, runUid: null, runStartTime: null });

/** Microseconds since the UNIX epoch, as precisely as the platform allows. */
function nowMicros(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

export class Dispatcher {
  readonly version: string = VERSION;
  readonly #engine: EngineHost;
  readonly #bus = new EventBus();
  readonly #callbacks = new Map<number, UserCallback>();
  #docListeners: DocumentCallback[] = [];
  #callbacksDeferred = false;
  readonly #onError: (message: string, error: unknown) => void;
  readonly #host: DispatcherHost | null;
  #nextToken = 0;
  /** The engine's state as the host last reported it. */
  #state: RunEngineState = 'idle';
  #active: ActiveScan | null = null;
  #idleWaiters: Array<() => void> = [];
  #opened: Promise<Catalog> | null = null;

  constructor(options: DispatcherOptions = {}) {
    this.#onError = options.onError ?? (() => {});
    this.#bus.onListenerError = (e) => this.#onError('an event listener threw', e);
    if (options.engine !== undefined) {
      this.#engine = options.engine;
    } else {
      const devices = options.devices === undefined ? undefined : options.devices instanceof Map ? options.devices : new Map(Object.entries(options.devices));
      this.#engine = new InProcessHost({
        ...(devices === undefined ? {} : { devices }), ...(options.engineFactory === undefined ? {} : { engineFactory: options.engineFactory }),
      });
    }
    this.#engine.onEvent((e) => this.#onHostEvent(e));
    this.#host = options.host === undefined ? null : options.host(this);
  }

  /** Where the engine lives (an {@link InProcessHost} gives access to the live engine and devices). */
  get engineHost(): EngineHost { return this.#engine; }
  get state(): RunEngineState { return this.#state; }
  /** A scan is in progress, or the engine is not idle (e.g. paused). */
  get busy(): boolean { return this.#active !== null || this.#state !== 'idle'; }
  get scanNames(): string[] { return this.#engine.catalog.plans.map((p) => p.name); }
  /** The item id of the scan in progress (assigned at start), or null. */
  get itemId(): string | null { return this.#active?.itemId ?? null; }
  /** The scan in progress: its name, item id and checked params (e.g. for the run index), or null. */
  get activeScan(): { readonly name: string; readonly itemId: string; readonly params: Record<string, unknown> } | null {
    const a = this.#active;
    return a === null ? null : { name: a.name, itemId: a.itemId, params: a.params ?? {} };
  }
  /** How many document callbacks are subscribed. */
  get callbackCount(): number { return this.#callbacks.size; }
  /** The server `start()`/`stop()` control, if any. */
  get host(): DispatcherHost | null { return this.#host; }

  /**
   * The devices, live, when the engine runs in this thread (for plan factories given to
   * `addPlan`). Empty with a worker host: there, devices live in the worker; use {@link deviceList}.
   */
  get devices(): ReadonlyMap<string, unknown> {
    return this.#engine instanceof InProcessHost ? this.#engine.room.devices : new Map();
  }

  /** The plans that can be started by name, with their parameter schemas. */
  plans(): PlanInfo[] { return this.#engine.catalog.plans; }
  /** The devices as data: name, class, roles, describe(). */
  deviceList(): DeviceInfo[] { return this.#engine.catalog.devices; }
  /** The SHA-256 of the loaded plans modules (in every start document as `plans_sha256`). */
  get plansSha256(): string { return this.#engine.catalog.plansSha256; }
  /** The engine host's liveness, for health checks. */
  engineHealth(): HostHealth { return this.#engine.health(); }

  /** Load the host's devices and plans (idempotent; `start()` does it). */
  open(): Promise<Catalog> {
    this.#opened ??= this.#engine.open();
    return this.#opened;
  }

  /** The state, current scan and busy flag, as a new subscriber is first told. */
  snapshot(): Snapshot {
    return { state: this.#state, info: this.#active?.info ?? NO_SCAN, busy: this.busy };
  }

  /**
   * Register a scan function in the seed's shape (in-process host only; with a worker host,
   * register scans in a plans module: `serve --plans FILE`).
   * @throws ScanNameError (DISPATCH_SCAN_NAME_TAKEN) when `name` is taken
   * @example d.addScan('wait', async (re, hook, p, ctx) => { hook('running', 'idle'); await ctx.sleep(Number(p.s)); hook('idle', 'running'); })
   */
  addScan(name: string, fn: ScanFunction, params?: JsonSchema | null, options: ScanOptions = {}): void {
    this.#room('addScan').addScan(name, fn, params ?? null, options);
  }

  /**
   * Register a plan factory (in-process host only; see {@link addScan}).
   * @throws ScanNameError (DISPATCH_SCAN_NAME_TAKEN) when `name` is taken
   * @example d.addPlan('count', (p, devs) => count([devs.get('det1')], p.num), countSchema)
   */
  addPlan(name: string, factory: PlanFactory, schema: JsonSchema, options: ScanOptions = {}): void {
    this.#room('addPlan').addPlan(name, factory, schema, options);
  }

  /** @throws UnknownScanError (DISPATCH_UNKNOWN_SCAN) for an unknown name. */
  removeScan(name: string): void { this.#room('removeScan').removeScan(name); }

  /**
   * Register an emergency function that `stop_all` runs after stopping the devices (in-process
   * host only; with a worker, register it in a plans module, whose `register` gets the same method).
   */
  addEmergencyStop(name: string, fn: EmergencyStop): void { this.#room('addEmergencyStop').addEmergencyStop(name, fn); }

  /** The registered scan (function, validator) of an in-process host, or undefined. */
  scan(name: string): ScanEntry | undefined {
    return this.#engine instanceof InProcessHost ? this.#engine.room.scan(name) : undefined;
  }

  /**
   * Subscribe a document callback (`all`, or one document name); tokens are 0, 1, 2, ...
   * Callbacks see every document in emission order; one that throws is reported, not fatal.
   */
  subscribeCallback(cb: DocumentCallback, name: SubscriptionName = 'all'): number {
    const token = this.#nextToken++;
    this.#callbacks.set(token, { cb, name });
    return token;
  }

  /** @throws UnknownTokenError (DISPATCH_UNKNOWN_TOKEN) for a token not subscribed. */
  unsubscribeCallback(token: number): void {
    if (!this.#callbacks.delete(token)) throw new UnknownTokenError(token);
  }

  /**
   * Listen to the ordered event stream. The snapshot and the listener are taken
   * together, so the listener sees every event after the snapshot and none before.
   */
  listen(fn: DispatcherEventListener): { snapshot: Snapshot; unlisten: () => void } {
    return { snapshot: this.snapshot(), unlisten: this.#bus.listen(fn) };
  }

  /** Every document of every run, without taking a callback token (protocol v2, the store). Returns the removal function. */
  listenDocuments(fn: DocumentCallback): () => void {
    this.#docListeners = [...this.#docListeners, fn];
    return () => { this.#docListeners = this.#docListeners.filter((f) => f !== fn); };
  }

  /**
   * Hand document callbacks to a write-ahead store: from now on they are not called as documents
   * arrive, but by the returned function, which the journal calls for each document once it is
   * committed (in order). `deferCallbacks(false)` restores direct delivery.
   */
  deferCallbacks(defer = true): (name: DocumentName, doc: Record<string, unknown>) => void {
    this.#callbacksDeferred = defer;
    return this.#deliverCallbacks;
  }

  /**
   * Check a start request without starting anything: the params to use (defaults filled in) or why not.
   * `md` (the start's metadata) must make a valid start document; its problems have paths under `/md`.
   */
  async checkScan(name: string, params: unknown = {}, md?: unknown): Promise<CheckOutcome> {
    await this.open();
    return this.#engine.validate(name, params, md);
  }

  /**
   * Start a scan by name unless busy, unknown or its params are invalid. Params never carry over.
   * `md` is per-run metadata (plan factories pass it to `re.run`; scan functions get it as `ctx.md`).
   * The dispatcher is busy from this call on, so a second start is refused at once.
   * `itemId` names the item (the queue passes its item's uid); default a fresh UUID.
   */
  async startScan(name: string, params: unknown = {}, md: Readonly<Record<string, unknown>> = {}, itemId: string = randomUUID()): Promise<StartOutcome> {
    if (this.busy) return { ok: false, reason: 'busy', planName: this.#active?.name ?? null };
    const active: ActiveScan = { name, itemId, params: null, info: { planName: name, runUid: null, runStartTime: nowMicros() } };
    this.#active = active;
    let outcome: StartOutcome;
    try {
      await this.open();
      outcome = await this.#engine.start({ itemId: active.itemId, name, params, md });
    } catch (e) {
      this.#finish(active);
      throw e;
    }
    if (outcome.ok) active.params = outcome.params;
    else this.#finish(active);
    return outcome;
  }

  /** Pause now (bluesky `request_pause()`, not deferred: what the seed does), or at the next checkpoint with `defer`. */
  requestPause(defer = false): Promise<ControlOutcome> { return this.#control('pause', { defer }); }
  /** Resume a paused plan; resolves once accepted (the plan's end is reported as events). */
  requestResume(): Promise<ControlOutcome> { return this.#control('resume'); }
  /** Stop: cleanup runs, the run is marked successful. Resolves once accepted or refused. */
  requestStop(options: Pick<ControlOptions, 'endWait'> = {}): Promise<ControlOutcome> { return this.#control('stop', options); }
  /** Abort; `reason` goes into the stop document of the run being aborted. */
  requestAbort(reason = '', options: Pick<ControlOptions, 'endWait'> = {}): Promise<ControlOutcome> { return this.#control('abort', { ...options, reason }); }
  /** Halt: no cleanup, the run is marked aborted. */
  requestHalt(options: Pick<ControlOptions, 'endWait'> = {}): Promise<ControlOutcome> { return this.#control('halt', options); }
  /**
   * The emergency stop, allowed in any state: halt any run, stop() every device that can
   * stop, run the plans modules' emergency functions; resolves with what happened to each.
   */
  async stopAll(): Promise<StopAllReport> {
    await this.open();
    return this.#engine.stopAll();
  }

  /** Continue `scan_id` after `n` (e.g. the store's last one). */
  async setScanId(n: number): Promise<void> {
    await this.open();
    await this.#engine.setScanId(n);
  }

  /** Re-import the plans modules into fresh code (when idle); the old plans stay if the new fail to load. */
  async reload(): Promise<ReloadOutcome> {
    if (this.busy) return { ok: false, reason: 'busy', message: `cannot reload while ${this.#active === null ? `the engine is ${this.#state}` : `"${this.#active.name}" is in progress`}`, errors: [] };
    await this.open();
    return this.#engine.reload();
  }

  /** Resolves when no scan is in progress and the engine is idle. */
  whenIdle(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** True once `shutdown` has begun: the operations that change something refuse with `shutting_down` (src/ops/invoke.ts). */
  get closing(): boolean { return this.#closing; }
  #closing = false;

  /**
   * Abort whatever runs (with `reason`), end sleeping scan functions, and wait
   * until the run's stop document has been emitted and the engine is idle.
   */
  async shutdown(reason = 'dispatcher shutting down'): Promise<void> {
    this.#closing = true;
    if (this.#opened !== null) await this.#opened.catch(() => undefined);
    await this.#engine.shutdown(reason);
    await this.whenIdle();
  }

  /** Start the host (the websocket server). @throws Error without a host */
  async start(): Promise<void> {
    if (this.#host === null) throw new Error('this Dispatcher has no host: create it with createDispatcher() from the server module');
    await this.#host.start();
  }

  /** Stop the host gracefully (abort with `reason`, wait for the stop document, close clients), then release the engine. */
  async stop(reason?: string): Promise<void> {
    if (this.#host !== null) await this.#host.stop(reason);
    else await this.shutdown(reason);
    await this.#engine.close();
  }

  #room(what: string): InProcessHost['room'] {
    if (!(this.#engine instanceof InProcessHost)) {
      throw new Error(`${what}: the engine runs in a worker thread, so scans are registered in a plans module (serve --plans FILE, or the host's \`plans\` option)`);
    }
    return this.#engine.room;
  }

  async #control(verb: ControlVerb, options: ControlOptions = {}): Promise<ControlOutcome> {
    await this.open();
    return this.#engine.control(verb, options);
  }

  #emit(body: EventBody): DispatcherEvent { return this.#bus.emit(body); }

  #onHostEvent(e: HostEvent): void {
    switch (e.kind) {
      case 'state': {
        this.#state = e.state;
        this.#emit({ kind: 'state', state: e.state, oldState: e.oldState, info: this.#active?.info ?? NO_SCAN });
        if (!this.busy) this.#wakeIdle();
        return;
      }
      case 'hook': {
        const active = this.#active;
        if (active?.itemId === e.itemId) this.#emit({ kind: 'state', state: e.state, oldState: e.oldState, info: active.info });
        return;
      }
      case 'item_start': {
        const active = this.#active;
        if (active?.itemId === e.itemId) active.params = e.params;
        return;
      }
      case 'document': this.#onDocument(e.name, e.doc); return;
      case 'exception': {
        const active = this.#active;
        const planName = active !== null && (e.itemId === null || e.itemId === active.itemId) ? active.name : null;
        this.#emit({ kind: 'exception', planName, error: errorFrom(e.error) });
        return;
      }
      case 'item_end': {
        const active = this.#active;
        if (active?.itemId === e.itemId) this.#finish(active);
      }
    }
  }

  #onDocument(name: DocumentName, doc: Record<string, unknown>): void {
    const active = this.#active;
    if (name === 'start' && active !== null) {
      active.info = { ...active.info, runUid: String(doc.uid) };
      this.#emit({ kind: 'run_uid', state: this.#state, info: active.info });
    }
    for (const fn of this.#docListeners) {
      try { fn(name, doc); } catch (err) { this.#onError('a document listener threw', err); }
    }
    if (!this.#callbacksDeferred) this.#deliverCallbacks(name, doc);
  }

  readonly #deliverCallbacks = (name: DocumentName, doc: Record<string, unknown>): void => {
    for (const { cb, name: wanted } of this.#callbacks.values()) {
      if (wanted !== 'all' && wanted !== name) continue;
      try { cb(name, doc); } catch (err) { this.#onError('a document callback threw', err); }
    }
  };

  #finish(active: ActiveScan): void {
    if (this.#active !== active) return;
    this.#active = null;
    if (this.#state !== 'idle') return; // a paused or still-closing engine keeps the dispatcher busy
    this.#wakeIdle();
  }

  #wakeIdle(): void {
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
