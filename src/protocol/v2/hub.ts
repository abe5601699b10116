/**
 * The v2 hub: a reader of the dispatcher's journal (the committed, numbered
 * stream of states, documents, exceptions, progress and log lines). It wakes
 * subscribers when events are committed and answers `status`; it writes nothing.
 * @module
 */
import type { Dispatcher } from '../../dispatcher/index.js';
import type { RunStore } from '../../store/index.js';
import { type Caller, type OpContext, type OpServices, statusOf } from '../../ops/index.js';
import type { EventLog } from './event-log.js';
import type { OpenRun, Status } from './types.js';

/** Told after every commit; the session pumps from the log (never from the event itself). */
export interface HubSubscriber { wake(): void }

/** What v2 reads: the journal (src/server/journal.ts) satisfies it. */
export interface EventSource {
  readonly dispatcher: Dispatcher;
  /** The committed stream. */
  readonly log: EventLog;
  /** The run store, if any (for `runs.*`). */
  readonly store: RunStore | null;
  /** The run in progress with its progress, as of the latest event. */
  openRun(): OpenRun | null;
}

export class V2Hub {
  readonly log: EventLog;
  readonly dispatcher: Dispatcher;
  readonly #source: EventSource;
  readonly #subs = new Set<HubSubscriber>();
  readonly #undo: Array<() => void> = [];

  constructor(source: EventSource) {
    this.#source = source;
    this.dispatcher = source.dispatcher;
    this.log = source.log;
    this.runs = source.store;
    this.#undo.push(this.log.onCommitted(() => { for (const sub of this.#subs) sub.wake(); }));
  }

  /** The run store behind `runs.list` / `runs.get` (null: those ops answer `no_store`). */
  runs: RunStore | null;
  /** The server-wide services of the operation table (audit log, control lock). */
  services: OpServices = {};

  get subscriberCount(): number { return this.#subs.size; }

  add(sub: HubSubscriber): void { this.#subs.add(sub); }
  remove(sub: HubSubscriber): void { this.#subs.delete(sub); }

  /** What an operation of the table works with, for `caller`: v2 and HTTP build it the same way. */
  context(caller: Caller): OpContext {
    return { ...this.services, dispatcher: this.dispatcher, runs: this.runs, latestSeq: () => this.log.latest(), settledSeq: () => this.log.settledSeq(), caller };
  }

  /** The engine's state and the scan in progress, as of the log's latest seq. */
  status(): Status { return statusOf(this.dispatcher, this.log.latest()); }

  /** The run whose start document was seen and stop document not yet, with its progress. */
  openRun(): OpenRun | null { return this.#source.openRun(); }

  dispose(): void {
    for (const undo of this.#undo.splice(0)) undo();
    this.#subs.clear();
  }
}
