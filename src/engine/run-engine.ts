/**
 * The RunEngine facade (bluesky RunEngine's public API, spec §2): options,
 * run/resume and the control verbs, subscriptions, hooks, commands. The loop
 * lives in loop.ts, per-call state in core.ts, handlers in commands/.
 * Pure: no sockets, files or process; time comes from the injected clock.
 * @module
 */
import { type Clock, systemClock } from '../model/clock.js';
import type { DocumentCallback, DocumentName } from '../model/documents.js';
import {
  FailedPause, IllegalMessageSequence, PlanHalt, RequestAbort, RequestStop, RunEngineError, RunEngineInterrupted,
  TransitionError,
} from '../model/errors.js';
import { type Msg, type Plan, type PlanLike, ensurePlan, msg as makeMsg } from '../model/msg.js';
import type { Status } from '../model/status.js';
import { validateDocument, validateEncodable } from '../model/validate.js';
import { EVENT_MODEL_VERSION, VERSION } from '../version.js';
import { collectCommands, backstopCollect } from './commands/collect.js';
import type { CommandContext, Suspender } from './commands/context.js';
import { flowCommands } from './commands/flow.js';
import { motionCommands } from './commands/motion.js';
import { readoutCommands } from './commands/readout.js';
import { composeStart } from './compose.js';
import { EngineCore, type Outcome } from './core.js';
import { Deferred } from './deferred.js';
import { NO_PLAN_RETURN, runLoop } from './loop.js';
import {
  type Metadata, type MdNormalizer, type MdValidator, type ScanIdSource, deepCopy, defaultMdValidator,
  defaultScanIdSource, mergeMetadata,
} from './metadata.js';
import { type CommandHandler, CommandRegistry } from './registry.js';
import { RunBundler } from './run-bundler.js';
import { type RunEngineState, StateMachine, canTransition } from './state.js';
import { type SubscriptionName, Subscriptions } from './subscriptions.js';

/** bluesky PAUSE_MSG: the text of RunEngineInterrupted. */
export const PAUSE_MSG = `
Your RunEngine is entering a paused state. These are your options for changing
the state of the RunEngine:

RE.resume()    Resume the plan.
RE.abort()     Perform cleanup, then kill plan. Mark exit_stats='aborted'.
RE.stop()      Perform cleanup, then kill plan. Mark exit_status='success'.
RE.halt()      Emergency Stop: Do not perform cleanup --- just stop.
`;

export type Preprocessor = (plan: Plan) => Plan;
export type Subs = DocumentCallback | DocumentCallback[] | Partial<Record<'all' | 'start' | 'stop' | 'event' | 'descriptor', DocumentCallback | DocumentCallback[]>>;

export interface RunEngineOptions {
  /** Persistent metadata (RE.md); `versions` and `scan_id` are written into it. */
  md?: Metadata;
  preprocessors?: Preprocessor[];
  clock?: Clock;
  scanIdSource?: ScanIdSource;
  mdValidator?: MdValidator;
  mdNormalizer?: MdNormalizer;
  /** When true, run()/resume()/stop()... resolve to a RunEngineResult instead of the run uids. */
  callReturnsResult?: boolean;
  recordInterruptions?: boolean;
  /** Strict mode: `create` needs a declared stream (bluesky _require_stream_declaration). */
  requireStreamDeclaration?: boolean;
  ignoreCallbackExceptions?: boolean;
  /** bluesky's state_hook(new, old). */
  stateHook?: (newState: RunEngineState, oldState: RunEngineState) => void;
  msgHook?: (msg: Msg) => void;
  /** Seconds a deferred pause waits at its checkpoint (default 0.5, as bluesky). */
  deferredPauseGrace?: number;
  /** Validate every document against the event-model schemas when composed (default true). */
  validateDocuments?: boolean;
  /** Line reader for the `input` command. */
  input?: (prompt: string) => Promise<string>;
}

/** What run()/resume()/stop()... return with `callReturnsResult` (bluesky RunEngineResult). */
export interface RunEngineResult {
  runStartUids: string[];
  planResult: unknown;
  exitStatus: 'success' | 'abort' | 'fail';
  interrupted: boolean;
  reason: string;
  exception: unknown;
}

export interface RunEngineEvents {
  state: (newState: RunEngineState, oldState: RunEngineState) => void;
  msg: (msg: Msg) => void;
  /** What bluesky prints ("Pausing...", "Stopping: ..."). */
  notice: (text: string) => void;
  warning: (text: string, error: unknown) => void;
  waiting: (statuses: ReadonlySet<Status> | null) => void;
}

type Listeners = { [K in keyof RunEngineEvents]: Array<RunEngineEvents[K]> };

export class RunEngine {
  /** Persistent metadata; `scan_id` increments per run. */
  md: Metadata;
  preprocessors: Preprocessor[];
  recordInterruptions: boolean;
  requireStreamDeclaration: boolean;
  static readonly NO_PLAN_RETURN = NO_PLAN_RETURN;
  readonly #state = new StateMachine();
  readonly #subs = new Subscriptions();
  readonly #registry = new CommandRegistry();
  readonly #core: EngineCore;
  readonly #listeners: Listeners = { state: [], msg: [], notice: [], warning: [], waiting: [] };
  readonly #suspenders = new Set<Suspender>();
  readonly #opts: RunEngineOptions;
  readonly #clock: Clock;
  readonly #validate: boolean;

  constructor(options: RunEngineOptions = {}) {
    this.#opts = options;
    this.#clock = options.clock ?? systemClock;
    this.#validate = options.validateDocuments ?? true;
    this.md = options.md ?? {};
    const versions = (typeof this.md.versions === 'object' && this.md.versions !== null ? this.md.versions : {}) as Record<string, string>;
    this.md.versions = { ...versions, bluesky_dispatcher: VERSION, event_model: EVENT_MODEL_VERSION };
    this.preprocessors = options.preprocessors ?? [];
    this.recordInterruptions = options.recordInterruptions ?? false;
    this.requireStreamDeclaration = options.requireStreamDeclaration ?? false;
    this.#subs.ignoreCallbackExceptions = options.ignoreCallbackExceptions ?? false;
    this.#subs.onWarning = (text, e) => this.#warn(text, e);
    if (options.stateHook !== undefined) this.on('state', options.stateHook);
    if (options.msgHook !== undefined) this.on('msg', options.msgHook);
    this.#state.onChange((n, o) => { for (const fn of this.#listeners.state) fn(n, o); });
    this.#core = new EngineCore(this.#state, this.#clock, {
      notice: (t) => this.#notice(t), warn: (t, e) => this.#warn(t, e), emit: (n, d) => this.#emit(n, d),
    });
    const ctx = this.#commandContext();
    for (const group of [readoutCommands(ctx), motionCommands(ctx), flowCommands(ctx), collectCommands(ctx)]) {
      for (const [name, handler] of Object.entries(group)) this.#registry.register(name, handler);
    }
  }

  get state(): RunEngineState { return this.#state.value; }
  get resumable(): boolean { return this.#core.resumable; }
  get deferredPauseRequested(): boolean { return this.#core.deferredPauseRequested; }
  get rewindable(): boolean { return this.#core.rewindable; }
  set rewindable(flag: boolean) { this.#setRewindable(flag); }
  get ignoreCallbackExceptions(): boolean { return this.#subs.ignoreCallbackExceptions; }
  set ignoreCallbackExceptions(v: boolean) { this.#subs.ignoreCallbackExceptions = v; }
  get commands(): string[] { return this.#registry.names(); }
  get suspenders(): Suspender[] { return [...this.#suspenders]; }
  get callReturnsResult(): boolean { return this.#opts.callReturnsResult ?? false; }
  /** Uids of the runs opened by the current (or last) call. */
  get runStartUids(): string[] { return [...this.#core.runStartUids]; }

  /** Listen to 'state' | 'msg' | 'notice' | 'warning' | 'waiting'; returns an unsubscribe function. */
  on<K extends keyof RunEngineEvents>(event: K, fn: RunEngineEvents[K]): () => void {
    const list = this.#listeners[event] as Array<RunEngineEvents[K]>;
    list.push(fn);
    return () => { const i = list.indexOf(fn); if (i >= 0) list.splice(i, 1); };
  }

  /** Subscribe `cb(name, doc)` to documents; returns an integer token (0, 1, 2, ...). */
  subscribe(cb: DocumentCallback, name: SubscriptionName = 'all'): number { return this.#subs.subscribe(cb, name); }
  unsubscribe(token: number): void { this.#subs.unsubscribe(token); }

  registerCommand(name: string, handler: CommandHandler): void { this.#registry.register(name, handler); }
  unregisterCommand(name: string): void { this.#registry.unregister(name); }

  /**
   * Run a plan. Resolves with the run uids (or a RunEngineResult) when the plan
   * ends; rejects with RunEngineInterrupted when it pauses or is stopped,
   * aborted or halted, or with the plan's own error.
   */
  async run(plan: PlanLike, subs?: Subs | null, md: Metadata = {}): Promise<string[] | RunEngineResult> {
    this.#checkPanic();
    if (this.state !== 'idle') throw new RunEngineError('ENGINE_NOT_IDLE', `The RunEngine is in a ${this.state} state`);
    const c = this.#core;
    const waits: Array<() => Promise<unknown>> = [];
    for (const s of this.#suspenders) {
      const f = s.getFutures();
      if (f !== null) { waits.push(...f.waits); this.#notice(`At least one suspender has tripped. The plan will begin when all suspenders are ready. Justification: ${f.justification}`); }
    }
    let gen = ensurePlan(plan);
    for (const pre of this.preprocessors) gen = pre(gen);
    for (const t of c.tempTokens) this.#subs.unsubscribe(t);
    c.tempTokens.clear();
    c.clearCall();
    for (const [name, cb] of normalizeSubs(subs)) c.tempTokens.add(this.#subs.subscribe(cb, name));
    c.callMetadata = md;
    c.planMeta = planMetaOf(plan);
    c.plans.push(gen);
    c.responses.push(null);
    if (waits.length > 0) { c.plans.push(ensurePlan(makeMsg('wait_for', null, [waits]))); c.responses.push(null); }
    const blocker = new Deferred<Outcome>();
    c.blocker = blocker;
    c.task = runLoop(c, {
      registry: this.#registry,
      onMsg: (m) => { for (const fn of this.#listeners.msg) fn(m); },
      backstopCollect: () => backstopCollect(this.#commandContext()),
    }).then((planReturn) => c.settle({ kind: 'done', planReturn }), (error: unknown) => c.settle({ kind: 'error', error }))
      .finally(() => { c.task = null; });
    return this.#result(await blocker.promise);
  }

  /** Continue a paused plan from its last checkpoint (replaying the messages since). */
  async resume(): Promise<string[] | RunEngineResult> {
    this.#checkPanic();
    const c = this.#core;
    if (this.state !== 'paused') throw new TransitionError(`The RunEngine is the ${this.state} state. You can only resume for the paused state.`);
    c.interrupted = false;
    c.recordInterruption('resume');
    c.plans.push(c.rewind());
    c.responses.push(null);
    await c.resumeDevices();
    const blocker = new Deferred<Outcome>();
    c.blocker = blocker;
    c.permit?.resolve();
    return this.#result(await blocker.promise);
  }

  /** Pause now, or at the next checkpoint with `defer`. @throws TransitionError unless running. */
  requestPause(defer = false): void {
    this.#checkPanic();
    const c = this.#core;
    if (!canTransition(this.state, 'pausing')) throw new TransitionError(`Run Engine is in '${this.state}' state and can not be paused.`);
    if (defer) {
      c.deferredPauseRequested = true;
      this.#notice('Deferred pause acknowledged. Continuing to checkpoint.');
      return;
    }
    this.#notice('Pausing...');
    c.deferredPauseRequested = false;
    c.interrupted = true;
    this.#state.set('pausing');
    c.recordInterruption('pause');
    c.cancel();
  }

  /** End the plan, run its cleanup, mark the run successful. */
  stop(): Promise<string[] | RunEngineResult> { return this.#interrupt('stopping', ''); }
  /** End the plan, run its cleanup, mark it aborted with `reason`. */
  abort(reason = ''): Promise<string[] | RunEngineResult> { return this.#interrupt('aborting', reason); }
  /** End the plan without plan-side cleanup; mark it aborted. */
  halt(): Promise<string[] | RunEngineResult> { return this.#interrupt('halting', ''); }

  /** Suspend until `wait()` resolves, running `prePlan`/`postPlan` around the wait (spec §9). */
  requestSuspend(wait: () => Promise<unknown>, options: { prePlan?: unknown; postPlan?: unknown; justification?: string | null } = {}): void {
    const c = this.#core;
    this.#notice(`Suspending....To get prompt hit Ctrl-C twice to pause.\nSuspension occurred at ${new Date(this.#clock.now() * 1000).toISOString()}.`);
    if (this.state === 'idle' || this.state === 'panicked') return;
    if (!c.resumable) {
      this.#notice("No checkpoint; cannot suspend.\nAborting: running cleanup and marking exit_status as 'abort'...");
      c.interrupted = true;
      c.inbox = new FailedPause();
      const wasPaused = this.state === 'paused';
      if (canTransition(this.state, 'aborting')) this.#state.set('aborting');
      if (!wasPaused) c.cancel();
      return;
    }
    const pending = { wait, prePlan: options.prePlan ?? null, postPlan: options.postPlan ?? null, justification: options.justification ?? null };
    if (this.state === 'paused') {
      c.plans.push(ensurePlan(makeMsg('_start_suspender', null, [pending.prePlan, pending.postPlan, pending.justification, wait])));
      c.responses.push(null);
      return;
    }
    c.pendingSuspends.push(pending);
    if (this.state === 'running') {
      this.#state.set('suspending');
      c.cancel();
    }
  }

  installSuspender(s: Suspender): void { this.#suspenders.add(s); s.install(this); }
  removeSuspender(s: Suspender): void { if (this.#suspenders.delete(s)) s.remove(); }
  clearSuspenders(): void { for (const s of [...this.#suspenders]) this.removeSuspender(s); }

  /** Halt if running, forget the call, and unsubscribe every callback (bluesky reset(), quirk §17.5). */
  async reset(): Promise<void> {
    if (this.state !== 'idle') await this.halt().catch(() => undefined);
    await this.whenIdle();
    this.#core.clearCall();
    this.#subs.unsubscribeAll();
  }

  /** Resolves once the current task (if any) has ended. */
  async whenIdle(): Promise<void> {
    while (this.#core.task !== null) await this.#core.task;
  }

  async #interrupt(to: 'stopping' | 'aborting' | 'halting', reason: string): Promise<string[] | RunEngineResult> {
    this.#checkPanic();
    const c = this.#core;
    if (this.state === 'idle') throw new TransitionError('RunEngine is already idle.');
    this.#notice({
      stopping: "Stopping: running cleanup and marking exit_status as 'success'...",
      aborting: "Aborting: running cleanup and marking exit_status as 'abort'...",
      halting: "Halting: skipping cleanup and marking exit_status as 'abort'...",
    }[to]);
    const wasPaused = this.state === 'paused';
    this.#state.set(to);
    c.interrupted = true;
    if (to === 'aborting') { c.reason = reason; c.exitStatus = 'abort'; }
    if (wasPaused) {
      c.inbox = to === 'stopping' ? new RequestStop() : to === 'aborting' ? new RequestAbort(reason) : new PlanHalt();
      if (to === 'halting') c.exitStatus = 'abort';
    } else {
      c.cancel();
    }
    const early = this.#shape(NO_PLAN_RETURN);
    if (wasPaused) {
      const blocker = new Deferred<Outcome>();
      c.blocker = blocker;
      c.permit?.resolve();
      const outcome = await blocker.promise;
      if (outcome.kind === 'error') throw outcome.error;
    }
    return early;
  }

  #result(outcome: Outcome): string[] | RunEngineResult {
    if (outcome.kind === 'paused') throw new RunEngineInterrupted(PAUSE_MSG);
    if (outcome.kind === 'error') throw outcome.error;
    if (this.#core.interrupted) throw new RunEngineInterrupted(PAUSE_MSG);
    return this.#shape(outcome.planReturn);
  }

  #shape(planReturn: unknown): string[] | RunEngineResult {
    const c = this.#core;
    if (!this.callReturnsResult) return [...c.runStartUids];
    return { runStartUids: [...c.runStartUids], planResult: planReturn, exitStatus: c.exitStatus, interrupted: c.interrupted, reason: c.reason, exception: c.inbox };
  }

  #checkPanic(): void {
    if (this.state === 'panicked') throw new RunEngineError('ENGINE_PANICKED', 'The RunEngine is panicked and cannot be recovered. You must restart bluesky.');
  }

  #notice(text: string): void { for (const fn of this.#listeners.notice) fn(text); }
  #warn(text: string, e?: unknown): void { for (const fn of this.#listeners.warning) fn(text, e); }

  #emit(name: DocumentName, doc: object): void {
    if (this.#validate) validateDocument(name, doc);
    this.#subs.emit(name, doc);
  }

  #setRewindable(flag: boolean): void {
    const c = this.#core;
    if (flag !== c.rewindable && c.resumable) c.resetCheckpointState();
    c.rewindable = flag;
  }

  async #openRun(m: Msg): Promise<string> {
    const c = this.#core;
    if (c.bundlers.has(m.run)) throw new IllegalMessageSequence("A 'close_run' message was not received before the 'open_run' message");
    // The start document is composed and validated before anything changes: a refused start leaves no
    // open run behind (so no stop document without its start) and uses up no scan id (bluesky increments first).
    const scanId = await (this.#opts.scanIdSource ?? defaultScanIdSource)(this.md);
    const merged = mergeMetadata({ ...this.md, scan_id: scanId }, c.planMeta, m.kwargs, c.callMetadata);
    (this.#opts.mdValidator ?? defaultMdValidator)({ ...merged });
    const normalized = this.#opts.mdNormalizer === undefined ? deepCopy(merged) : this.#opts.mdNormalizer(deepCopy(merged));
    const start = composeStart(this.#clock.uuid(), this.#clock.now(), normalized);
    if (this.#validate) {
      validateDocument('start', start);
      validateEncodable('start', start);
    }
    this.md.scan_id = scanId;
    const bundler = new RunBundler({
      clock: this.#clock,
      emit: (n, d) => this.#emit(n, d),
      emitDetached: (n, d) => {
        try { if (d instanceof Error) throw d; this.#emit(n, d); } catch (e) { this.#warn(`Failed to emit a ${n} document from a device callback.`, e); }
      },
    }, start.uid, this.requireStreamDeclaration);
    c.bundlers.set(m.run, bundler);
    this.#subs.emit('start', start);
    bundler.resetCheckpointState();
    if (this.recordInterruptions) bundler.startInterruptions();
    c.runStartUids.push(start.uid);
    return start.uid;
  }

  #commandContext(): CommandContext {
    return {
      core: this.#core,
      openRun: (m) => this.#openRun(m),
      requestPause: (defer) => this.requestPause(defer),
      setRewindable: (flag) => this.#setRewindable(flag),
      subscribe: (cb, name) => this.#subs.subscribe(cb, name),
      unsubscribe: (t) => this.#subs.unsubscribe(t),
      installSuspender: (s) => this.installSuspender(s),
      removeSuspender: (s) => this.removeSuspender(s),
      waiting: (s) => { for (const fn of this.#listeners.waiting) fn(s); },
      deferredPauseGrace: this.#opts.deferredPauseGrace ?? 0.5,
      input: this.#opts.input ?? (() => Promise.reject(new RunEngineError('ENGINE_NO_INPUT', 'this RunEngine has no input reader (options.input)'))),
      engineClass: RunEngine,
    };
  }
}

function normalizeSubs(subs: Subs | null | undefined): Array<[SubscriptionName, DocumentCallback]> {
  if (subs === null || subs === undefined) return [];
  if (typeof subs === 'function') return [['all', subs]];
  if (Array.isArray(subs)) return subs.map((f) => ['all', f]);
  const out: Array<[SubscriptionName, DocumentCallback]> = [];
  for (const [name, v] of Object.entries(subs)) {
    if (!['all', 'start', 'stop', 'event', 'descriptor'].includes(name)) {
      throw new RunEngineError('ENGINE_BAD_SUBS', `'${name}' is not a valid subs key; expected one of all, start, stop, event, descriptor`);
    }
    for (const f of Array.isArray(v) ? v : [v]) {
      if (typeof f !== 'function') throw new RunEngineError('ENGINE_BAD_SUBS', `subs['${name}'] must be a callable (name, doc) => void`);
      out.push([name as SubscriptionName, f]);
    }
  }
  return out;
}

/** bluesky: plan_type is the type name of what was passed to RE(), plan_name its function name. */
function planMetaOf(plan: PlanLike): { planType: string; planName: string } {
  if (Array.isArray(plan)) return { planType: 'list', planName: '' };
  const named = (plan as { planName?: unknown }).planName;
  return { planType: 'generator', planName: typeof named === 'string' ? named : '' };
}
