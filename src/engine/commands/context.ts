/**
 * What command handlers may use besides the message: the engine core plus the
 * few engine-level services (metadata for open_run, pause requests, callbacks).
 * @module
 */
import type { Msg } from '../../model/msg.js';
import type { Status } from '../../model/status.js';
import type { EngineCore } from '../core.js';
import type { SubscriptionName } from '../subscriptions.js';
import type { DocumentCallback } from '../../model/documents.js';

export interface Suspender {
  install(re: SuspenderHost): void;
  remove(): void;
  /** Waits of a tripped suspender (and its justification), for a call starting while tripped. */
  getFutures(): { waits: Array<() => Promise<unknown>>; justification: string } | null;
}

export interface SuspenderHost {
  readonly state: string;
  requestSuspend(wait: () => Promise<unknown>, options?: { prePlan?: unknown; postPlan?: unknown; justification?: string | null }): void;
}

export interface CommandContext {
  readonly core: EngineCore;
  /** Compose and emit the start document for `msg`; returns the run uid. */
  openRun(msg: Msg): Promise<string>;
  requestPause(defer: boolean): void;
  setRewindable(flag: boolean): void;
  subscribe(cb: DocumentCallback, name: SubscriptionName): number;
  unsubscribe(token: number): void;
  installSuspender(s: Suspender): void;
  removeSuspender(s: Suspender): void;
  /** The waiting hook (bluesky waiting_hook), if any listener. */
  waiting(statuses: ReadonlySet<Status> | null): void;
  /** Seconds a deferred pause waits at its checkpoint (bluesky: 0.5, for a second Ctrl-C). */
  readonly deferredPauseGrace: number;
  /** Reads one line for the `input` command. */
  readonly input: (prompt: string) => Promise<string>;
  readonly engineClass: unknown;
}
