/**
 * The engine's working state, shared by the loop (loop.ts) and the command
 * handlers (commands/): plan and response stacks, replay cache, run bundlers,
 * status groups, the exception inbox, and the cancellation of the command in
 * flight. Not exported from the package: RunEngine is the public face.
 * @module
 */
import type { Clock } from '../model/clock.js';
import type { DocumentName } from '../model/documents.js';
import { IllegalMessageSequence, NoReplayAllowed } from '../model/errors.js';
import { type Msg, type Plan, ensurePlan } from '../model/msg.js';
import { isPausable, isStoppable } from '../model/protocols.js';
import { Deferred } from './deferred.js';
import type { RunBundler } from './run-bundler.js';
import type { StateMachine } from './state.js';
import { StatusGroups } from './status-groups.js';

/** Thrown into the loop when an interruption cancels the command in flight (asyncio.CancelledError). */
export const CANCEL: unique symbol = Symbol('cancel');

/** A command's error, kept as the response so it is thrown into the plan at its yield. */
export class Thrown {
  readonly error: unknown;
  constructor(error: unknown) { this.error = error; }
}

/** Commands never stored in the replay cache (bluesky _UNCACHEABLE_COMMANDS). */
export const UNCACHEABLE = new Set([
  'pause', 'subscribe', 'unsubscribe', 'stage', 'unstage', 'monitor', 'unmonitor', 'open_run', 'close_run',
  'install_suspender', 'remove_suspender', '_start_suspender',
]);

/** How the task's outcome reaches whoever waits on it (run, resume, or a verb issued while paused). */
export type Outcome = { kind: 'paused' } | { kind: 'done'; planReturn: unknown } | { kind: 'error'; error: unknown };

export interface Notifier {
  notice(text: string): void;
  warn(text: string, error?: unknown): void;
  emit(name: DocumentName, doc: object): void;
}

export interface PendingSuspend {
  wait: () => Promise<unknown>;
  prePlan: unknown;
  postPlan: unknown;
  justification: string | null;
}

export class EngineCore {
  readonly plans: Plan[] = [];
  readonly responses: unknown[] = [];
  /** Messages since the last checkpoint; null when not resumable (clear_checkpoint). */
  cache: Msg[] | null = [];
  rewindable = true;
  readonly bundlers = new Map<unknown, RunBundler>();
  readonly objsSeen = new Set<unknown>();
  readonly touched = new Set<object>();
  readonly staged = new Set<object>();
  readonly groups: StatusGroups;
  readonly runStartUids: string[] = [];
  readonly tempTokens = new Set<number>();
  readonly pendingSuspends: PendingSuspend[] = [];
  inbox: unknown = null;
  exitStatus: 'success' | 'abort' | 'fail' = 'success';
  reason = '';
  interrupted = false;
  deferredPauseRequested = false;
  callMetadata: Record<string, unknown> = {};
  planMeta: { planType: string; planName: string } = { planType: 'generator', planName: '' };
  /** Cleared (non-null) while the loop must pause; resolved to let it continue. */
  permit: Deferred<void> | null = null;
  /** Who is waiting for the task to finish or pause. */
  blocker: Deferred<Outcome> | null = null;
  task: Promise<void> | null = null;
  #cancelPending = false;
  #inflight: ((e: unknown) => void) | null = null;
  #abort: AbortController | null = null;

  readonly state: StateMachine;
  readonly clock: Clock;
  readonly notify: Notifier;

  constructor(state: StateMachine, clock: Clock, notify: Notifier) {
    this.state = state;
    this.clock = clock;
    this.notify = notify;
    this.groups = new StatusGroups((e) => { this.inbox = e; });
  }

  /** Reset per-call state (bluesky _clear_call_cache + _clear_run_cache). */
  clearCall(): void {
    this.plans.length = 0;
    this.responses.length = 0;
    this.cache = [];
    this.bundlers.clear();
    this.objsSeen.clear();
    this.touched.clear();
    this.staged.clear();
    this.groups.clear();
    this.runStartUids.length = 0;
    this.pendingSuspends.length = 0;
    this.inbox = null;
    this.exitStatus = 'success';
    this.reason = '';
    this.interrupted = false;
    this.deferredPauseRequested = false;
    this.callMetadata = {};
    this.permit = null;
    this.#cancelPending = false;
    this.#inflight = null;
    this.#abort = null;
  }

  get resumable(): boolean { return this.cache !== null; }

  /** Interrupt the command in flight, or the next yield point (task.cancel()). */
  cancel(): void {
    if (this.#inflight !== null) {
      const reject = this.#inflight;
      this.#inflight = null;
      this.#abort?.abort(CANCEL);
      this.#abort = null;
      reject(CANCEL);
    } else {
      this.#cancelPending = true;
    }
  }

  /** An AbortSignal for the command in flight (created on demand: most commands never need one). */
  get signal(): AbortSignal {
    this.#abort ??= new AbortController();
    return this.#abort.signal;
  }

  /** The loop's yield point between messages: a pending cancellation lands here. */
  checkCancel(): void {
    if (this.#cancelPending) {
      this.#cancelPending = false;
      throw CANCEL;
    }
  }

  /** Await a command's promise, abandoning it if the task is cancelled meanwhile. */
  awaitCommand(p: PromiseLike<unknown>): Promise<unknown> {
    this.checkCancel();
    return new Promise((resolve, reject) => {
      this.#inflight = reject;
      p.then((v) => {
        if (this.#inflight === reject) { this.#inflight = null; this.#abort = null; resolve(v); }
      }, (e: unknown) => {
        if (this.#inflight === reject) { this.#inflight = null; this.#abort = null; reject(e); }
      });
    });
  }

  cacheMsg(m: Msg): void {
    if (this.cache !== null && this.rewindable && !UNCACHEABLE.has(m.command)) this.cache.push(m);
  }

  /** Empty the replay cache and snapshot the counters (an implicit checkpoint). */
  resetCheckpointState(): void {
    if (this.cache === null) return;
    this.cache = [];
    for (const b of this.bundlers.values()) b.resetCheckpointState();
  }

  /** A plan replaying the cached messages; rewinds counters when there was anything to replay. */
  rewind(): Plan {
    const cached = this.cache ?? [];
    this.cache = [];
    if (cached.length > 0) for (const b of this.bundlers.values()) b.rewind();
    return ensurePlan(cached);
  }

  bundler(run: unknown, missingText: string): RunBundler {
    const b = this.bundlers.get(run);
    if (b === undefined) throw new IllegalMessageSequence(missingText);
    return b;
  }

  recordInterruption(content: string): void {
    for (const b of this.bundlers.values()) b.recordInterruption(content);
  }

  /** stop(success=True) every object that received `set`; errors are logged, not thrown. */
  async stopMovables(): Promise<void> {
    for (const obj of this.touched) {
      if (!isStoppable(obj)) continue;
      try { await obj.stop({ success: true }); } catch (e) { this.notify.warn(`Failed to stop ${String((obj as { name?: unknown }).name)}.`, e); }
    }
  }

  /** Call pause() on pausable devices; NoReplayAllowed empties the replay cache. */
  async pauseDevices(): Promise<void> {
    for (const obj of this.objsSeen) {
      if (!isPausable(obj)) continue;
      try { await obj.pause(); } catch (e) {
        if (e instanceof NoReplayAllowed) this.resetCheckpointState();
        else throw e;
      }
    }
  }

  async resumeDevices(): Promise<void> {
    for (const obj of this.objsSeen) if (isPausable(obj)) await obj.resume();
  }

  settle(outcome: Outcome): void {
    const b = this.blocker;
    this.blocker = null;
    b?.resolve(outcome);
  }
}
