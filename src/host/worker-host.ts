/**
 * The engine host in a worker thread, with a watchdog. The main thread never
 * waits on the plan: a plan that blocks its thread, exhausts its heap or never
 * lets a halt/abort/stop through is ended — the worker is terminated, the open
 * run is closed with a stop document saying why, and a fresh worker takes over.
 * @module
 */
import type { RunEngineState } from '../engine/index.js';
import { DOCUMENT_JSON, keepMemo } from '../model/index.js';
import { EngineThread, type Patience, ThreadError } from './engine-thread.js';
import { EMPTY_CATALOG } from './inprocess-host.js';
import { OpenRunTracker } from './open-run.js';
import type { EngineSetup } from './setup.js';
import { HostListeners } from './listeners.js';
import type {
  Catalog, CheckOutcome, ControlOptions, ControlOutcome, ControlVerb, EngineHost, HostEvent, HostEventListener, HostHealth, ReloadOutcome, StartOutcome,
  StartRequest, StopAllReport,
} from './types.js';
import { type FromWorkerItem, type WorkerRequest, unpackDocument } from './wire.js';

export interface WorkerHostOptions {
  readonly setup: EngineSetup;
  /** Seconds a halt, abort or stop may go unanswered (the worker's loop blocked) before the worker is terminated. Default 1. */
  readonly graceSeconds?: number;
  /** Heap limit of the worker in MiB; a plan that needs more is ended. Default 2048. */
  readonly maxMemoryMb?: number;
  /** Told of terminations and restarts (the server logs them). */
  readonly onNotice?: (message: string, fields: Record<string, unknown>) => void;
}

/** What the worker host reports when the engine thread does not answer a request in time. */
const UNRESPONSIVE = 'EngineUnresponsive';

/** An interrupt the worker must honour; `what` names it in the stop document's reason. */
interface PendingInterrupt { verb: 'halt' | 'abort' | 'stop'; what: string; since: number }

export class WorkerHost implements EngineHost {
  readonly kind = 'worker' as const;
  readonly #setup: EngineSetup;
  readonly #graceMs: number;
  readonly #maxMemoryMb: number;
  readonly #notice: (message: string, fields: Record<string, unknown>) => void;
  readonly #tracker = new OpenRunTracker();
  readonly #listeners = new HostListeners();
  #thread: EngineThread | null = null;
  #opened: Promise<Catalog> | null = null;
  #catalog: Catalog = EMPTY_CATALOG;
  #state: RunEngineState = 'idle';
  #item: string | null = null;
  #scanIdFloor = 0;
  #generation = 0;
  #lastTermination: string | null = null;
  #interrupt: PendingInterrupt | null = null;
  #closing = false;
  #timer: NodeJS.Timeout | null = null;
  /** Set while a reload swaps threads: requests wait for it. */
  #switching: Promise<unknown> | null = null;

  constructor(options: WorkerHostOptions) {
    this.#setup = options.setup;
    this.#graceMs = Math.max(0.05, options.graceSeconds ?? 1) * 1000;
    this.#maxMemoryMb = options.maxMemoryMb ?? 2048;
    this.#notice = options.onNotice ?? (() => {});
  }

  get catalog(): Catalog { return this.#catalog; }

  open(): Promise<Catalog> {
    this.#opened ??= this.#open();
    return this.#opened;
  }

  onEvent(listener: HostEventListener): () => void { return this.#listeners.add(listener); }

  async validate(name: string, params: unknown, md?: unknown): Promise<CheckOutcome> {
    return await this.#request({ op: 'validate', name, params, md }, this.#requestTimeout()) as CheckOutcome;
  }

  async start(request: StartRequest): Promise<StartOutcome> {
    const outcome = await this.#request({ op: 'start', request }, this.#requestTimeout()) as StartOutcome;
    if (outcome.ok) this.#item = request.itemId;
    return outcome;
  }

  async control(verb: ControlVerb, options: ControlOptions = {}): Promise<ControlOutcome> {
    if (verb === 'halt' || verb === 'abort' || verb === 'stop') {
      // Watched from now: if the worker does not let the interrupt through, it is ended.
      if (this.#state !== 'idle' || this.#item !== null) this.#interrupt ??= { verb, what: verb, since: performance.now() };
      try {
        return await this.#request({ op: 'control', verb, options }, null) as ControlOutcome;
      } catch (e) {
        // Ended by the watchdog on this very request: the verb was carried out, by force.
        if (e instanceof ThreadError && e.code === 'HOST_THREAD_ENDED') return { ok: true };
        throw e;
      }
    }
    // Pause and resume are answered at the worker's next turn. A thread that keeps talking (events,
    // pongs) is only slow, under load: its reply is waited for. One silent for the grace is stuck.
    try {
      return await this.#request({ op: 'control', verb, options }, { silentMs: this.#graceMs }) as ControlOutcome;
    } catch (e) {
      return { ok: false, reason: 'error', error: { name: UNRESPONSIVE, message: e instanceof Error ? e.message : String(e), code: 'HOST_UNRESPONSIVE' } };
    }
  }

  async stopAll(): Promise<StopAllReport> {
    const before = this.#state;
    const busy = before !== 'idle' || this.#item !== null;
    // Watched like a halt: a worker that does not let it through is ended within the grace period.
    if (busy) this.#interrupt ??= { verb: 'halt', what: 'stop_all', since: performance.now() };
    try {
      return await this.#request({ op: 'stopAll' }, busy ? null : this.#requestTimeout()) as StopAllReport;
    } catch (e) {
      if (!(e instanceof ThreadError && e.code === 'HOST_THREAD_ENDED')) throw e;
      // The plan kept the thread and was ended; the fresh thread stops the devices over fresh
      // connections (an EPICS motor's .STOP is written all the same).
      await this.#fresh();
      const report = await this.#request({ op: 'stopAll' }, this.#requestTimeout()) as StopAllReport;
      return { ...report, engine: { before, action: 'terminated', message: this.#lastTermination ?? 'the engine thread was ended' } };
    }
  }

  /** Resolves once a live engine thread is ready (after a termination, its replacement). */
  async #fresh(): Promise<void> {
    const deadline = performance.now() + this.#requestTimeoutMs();
    for (;;) {
      const thread = this.#thread;
      if (thread !== null && !thread.ended) { await thread.ready; return; }
      if (performance.now() > deadline || this.#closing) throw new ThreadError('HOST_THREAD_ENDED', 'the engine thread did not restart');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  async setScanId(n: number): Promise<void> {
    this.#scanIdFloor = Math.max(this.#scanIdFloor, n);
    await this.#request({ op: 'setScanId', n }, this.#requestTimeout());
  }

  async reload(): Promise<ReloadOutcome> {
    await this.open();
    if (this.#state !== 'idle' || this.#item !== null) return { ok: false, reason: 'busy', message: `cannot reload while the engine is ${this.#state}`, errors: [] };
    if (this.#switching !== null) return { ok: false, reason: 'busy', message: 'a reload is already in progress', errors: [] };
    const candidate = this.#spawn();
    const done = candidate.ready.then(
      async (catalog): Promise<ReloadOutcome> => {
        const old = this.#thread;
        this.#thread = candidate;
        this.#catalog = catalog;
        if (old !== null) await old.terminate();
        this.#notice('plans reloaded in a fresh engine thread', { generation: this.#generation, plans_sha256: catalog.plansSha256 });
        return { ok: true, catalog };
      },
      async (e: unknown): Promise<ReloadOutcome> => {
        await candidate.terminate();
        const message = e instanceof Error ? e.message : String(e);
        return { ok: false, reason: 'failed', message: `the new plans did not load; the old ones stay: ${message}`, errors: [message] };
      },
    );
    this.#switching = done;
    try { return await done; } finally { this.#switching = null; }
  }

  async shutdown(reason: string): Promise<void> {
    const thread = this.#thread;
    if (thread === null || thread.ended) return;
    if (this.#state !== 'idle' || this.#item !== null) this.#interrupt ??= { verb: 'abort', what: `the shutdown (${reason})`, since: performance.now() };
    try { await thread.request({ op: 'shutdown', reason }, null); } catch { /* ended by the watchdog: the run was closed then */ }
  }

  async close(): Promise<void> {
    this.#closing = true;
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    await this.#thread?.terminate();
  }

  health(): HostHealth {
    const silent = this.#thread === null ? 0 : performance.now() - this.#thread.lastSeen;
    return { kind: 'worker', responsive: silent < this.#graceMs, lastSeenMs: Math.round(silent), generation: this.#generation, lastTermination: this.#lastTermination };
  }

  async #open(): Promise<Catalog> {
    const thread = this.#spawn();
    this.#thread = thread;
    this.#catalog = await thread.ready;
    // The pulse: a ping every quarter grace; the watchdog reads the answers.
    this.#timer = setInterval(() => this.#watch(), Math.max(10, this.#graceMs / 4));
    this.#timer.unref();
    return this.#catalog;
  }

  #spawn(): EngineThread {
    this.#generation++;
    const thread: EngineThread = new EngineThread({
      boot: { setup: this.#setup, scanId: Math.max(this.#scanIdFloor, this.#tracker.lastScanId) },
      maxMemoryMb: this.#maxMemoryMb,
      onItem: (item) => { if (thread === this.#thread) this.#onItem(item); },
      onExit: (error) => { if (thread === this.#thread && !this.#closing) void this.#replace(thread, this.#exitReason(error)); },
    });
    return thread;
  }

  async #request(req: WorkerRequest, patience: Patience): Promise<unknown> {
    await this.open();
    if (this.#switching !== null) await this.#switching;
    let thread = this.#thread;
    if (thread === null || thread.ended) throw new ThreadError('HOST_THREAD_ENDED', 'the engine thread is restarting');
    await thread.ready;
    thread = this.#thread;
    if (thread === null) throw new ThreadError('HOST_THREAD_ENDED', 'the engine thread is restarting');
    return thread.request(req, patience);
  }

  #requestTimeoutMs(): number { return Math.max(5000, this.#graceMs * 5); }
  #requestTimeout(): Patience { return { deadlineMs: this.#requestTimeoutMs() }; }

  #onItem(item: FromWorkerItem): void {
    if (typeof item === 'string') {
      const { name, json } = unpackDocument(item);
      const doc = JSON.parse(json) as Record<string, unknown>;
      keepMemo(doc, DOCUMENT_JSON, json);
      this.#tracker.observe(name, doc);
      this.#deliver({ kind: 'document', name, doc });
      return;
    }
    if (item.t !== 'event') return;
    const e = item.event;
    if (e.kind === 'state') this.#state = e.state;
    else if (e.kind === 'item_end' && this.#item === e.itemId) this.#item = null;
    if (this.#interrupt !== null && this.#state === 'idle' && this.#item === null) this.#interrupt = null;
    this.#deliver(e);
  }

  #watch(): void {
    const thread = this.#thread;
    if (thread === null || thread.ended || this.#switching !== null) return;
    thread.ping();
    const pending = this.#interrupt;
    if (pending === null) return;
    const now = performance.now();
    const waited = now - pending.since;
    const silent = now - thread.lastSeen;
    const grace = this.#graceMs / 1000;
    if (silent > this.#graceMs && waited > this.#graceMs) {
      void this.#end(thread, `the plan did not respond to ${pending.what} within ${String(grace)} s and was terminated`);
    } else if (pending.verb === 'halt' && waited > this.#graceMs) {
      void this.#end(thread, `the plan did not end within ${String(grace)} s of halt and was terminated`);
    }
  }

  #exitReason(error: Error | null): string {
    const code = (error as { code?: unknown } | null)?.code;
    if (code === 'ERR_WORKER_OUT_OF_MEMORY') return `the plan exceeded the engine's memory limit (${String(this.#maxMemoryMb)} MiB) and was terminated`;
    return `the engine thread failed and was restarted: ${error?.message ?? 'it exited'}`;
  }

  /** Terminate `thread` with `reason`, then close its run and start a fresh one. */
  async #end(thread: EngineThread, reason: string): Promise<void> {
    if (thread !== this.#thread || thread.ended) return;
    await thread.terminate();
    await this.#replace(thread, reason);
  }

  /** `thread` has ended: close the open run honestly, tell listeners, start a fresh worker. */
  async #replace(thread: EngineThread, reason: string): Promise<void> {
    if (thread !== this.#thread) return;
    this.#lastTermination = reason;
    this.#interrupt = null;
    this.#notice('engine thread ended', { reason, generation: this.#generation, run: this.#tracker.uid });
    const stop = this.#tracker.close(reason);
    if (stop !== null) this.#deliver({ kind: 'document', name: 'stop', doc: stop });
    if (this.#state !== 'idle') {
      const old = this.#state;
      this.#state = 'idle';
      this.#deliver({ kind: 'state', state: 'idle', oldState: old });
    }
    const item = this.#item;
    this.#item = null;
    this.#deliver({ kind: 'exception', itemId: item, error: { name: 'EngineTerminated', message: reason, code: 'HOST_TERMINATED' } });
    if (item !== null) this.#deliver({ kind: 'item_end', itemId: item });
    if (this.#closing) { this.#thread = null; return; }
    const fresh = this.#spawn();
    this.#thread = fresh;
    try {
      this.#catalog = await fresh.ready;
      this.#notice('a fresh engine thread is ready', { generation: this.#generation });
    } catch (e) {
      this.#notice('the fresh engine thread failed to load', { error: e instanceof Error ? e.message : String(e) });
    }
  }

  #deliver(event: HostEvent): void { this.#listeners.deliver(event); }
}
