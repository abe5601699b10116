/**
 * The dispatcher's journal: the one numbered stream of the server. It turns the
 * dispatcher's ordered stream (states, run uids, exceptions), every document,
 * run progress and log lines into events, and writes them ahead to the run store,
 * which assigns each its `seq` and commits it before anyone sees it. Readers —
 * protocol v2 today, SSE and the bus later — follow the committed stream
 * (`log`, or `store.onCommit`); none of them writes. Document callbacks are
 * delivered from the committed stream too.
 *
 * Without a store (`serve --no-data`) the journal numbers events in a bounded
 * in-memory ring instead: nothing is durable, everything is visible at once.
 * @module
 */
import type { Dispatcher, DispatcherEvent } from '../dispatcher/index.js';
import type { DocumentName } from '../model/documents.js';
import { type EventLog, MemoryEventLog } from '../protocol/v2/event-log.js';
import { StoreEventLog } from '../protocol/v2/store-log.js';
import type { ExceptionData, Interruption, LogData, OpenRun, ProgressData, Topic, TopicData } from '../protocol/v2/types.js';
import type { AnyDocument, RunStore } from '../store/index.js';
import { type Logger, tapLogs } from './logger.js';

export interface JournalOptions {
  /** The durable run store; null/undefined: the in-memory ring only. */
  readonly store?: RunStore | null;
  /** Log lines at info and above become `log` events. */
  readonly logger?: Logger;
  /** Events the in-memory ring keeps for replay without the disk. Default 100 000. */
  readonly maxEvents?: number;
  /** Bytes (of event JSON) the ring keeps. Default 64 MiB. */
  readonly maxBytes?: number;
  /** How long the store keeps events of the log (documents are kept for ever). Default 7 days; 0: no age limit. */
  readonly retainSeconds?: number;
  /** Most bytes of events the store keeps (payloads plus 32 per event). Default 1 GiB; 0: no size limit. */
  readonly retainBytes?: number;
}

/** How often the store's log is pruned to the retention rule. */
const PRUNE_EVERY_MS = 60_000;

interface RunTrack { run: OpenRun; primary: Set<string>; t0: number }

/** The progress's fraction and ETA from the points counted so far (`done`) and the time since the start. */
function settleProgress(track: RunTrack): void {
  const p = track.run.progress;
  if (p.total === null || p.done === 0) return;
  p.fraction = Math.min(1, p.done / p.total);
  const elapsed = (performance.now() - track.t0) / 1000;
  p.eta_s = Math.max(0, Math.round((elapsed / p.done) * (p.total - p.done) * 1000) / 1000);
}

const LEVELS: Record<number, string> = { 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

export class Journal {
  readonly dispatcher: Dispatcher;
  readonly store: RunStore | null;
  /** The committed stream, replayable from `oldest()`. */
  readonly log: EventLog;
  readonly #memory: MemoryEventLog | null;
  readonly #undo: Array<() => void> = [];
  #run: RunTrack | null = null;
  #appending = false;
  /** Primary events were counted since the last progress event: one is appended before anything else, or at the end of this task. */
  #progressDue = false;
  #pendingLogs: LogData[] = [];
  /** The control verb behind the latest interrupting transition, and the reason of the latest stop document: for exceptions' human wording. */
  #interrupt: { by: Interruption | null; reason: string } = { by: null, reason: '' };

  constructor(dispatcher: Dispatcher, options: JournalOptions = {}) {
    this.dispatcher = dispatcher;
    this.store = options.store ?? null;
    const limits = {
      ...(options.maxEvents === undefined ? {} : { maxEvents: options.maxEvents }),
      ...(options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes }),
    };
    if (this.store === null) {
      this.#memory = new MemoryEventLog(limits);
      this.log = this.#memory;
    } else {
      this.#memory = null;
      this.log = new StoreEventLog(this.store, limits);
      // Callbacks run in this process and may act on what they see: they too see only what is committed.
      const deliver = dispatcher.deferCallbacks();
      this.#undo.push(() => { dispatcher.deferCallbacks(false); });
      this.#undo.push(this.store.onCommit((batch) => {
        for (const d of batch.documents) deliver(d.name, d.doc as unknown as Record<string, unknown>);
      }));
      this.#undo.push(() => { (this.log as StoreEventLog).dispose(); });
      const seconds = options.retainSeconds ?? 7 * 24 * 3600;
      const bytes = options.retainBytes ?? 1024 * 1024 * 1024;
      if (seconds > 0 || bytes > 0) {
        const store = this.store;
        const prune = (): void => {
          if (store.failure !== null) return;
          const rule = { ...(seconds > 0 ? { minTime: Date.now() / 1000 - seconds } : {}), ...(bytes > 0 ? { maxBytes: bytes } : {}) };
          store.pruneEvents(rule).catch((e: unknown) => { options.logger?.warn({ err: e }, 'pruning the event log failed'); });
        };
        const timer = setInterval(prune, PRUNE_EVERY_MS);
        timer.unref();
        this.#undo.push(() => { clearInterval(timer); });
        this.prune = prune;
      }
    }
    // The same listener list v1 sessions are on: every reader sees the same transitions, in order.
    this.#undo.push(dispatcher.listen((e) => this.#onDispatcherEvent(e)).unlisten);
    this.#undo.push(dispatcher.listenDocuments((name, doc) => this.#onDocument(name, doc as Record<string, unknown>)));
    if (options.logger !== undefined) this.#undo.push(tapLogs(options.logger, (level, args) => this.#onLog(level, args)));
  }

  /** Apply the retention rule now (also done every minute); a no-op without a store or a rule. */
  prune: () => void = () => {};

  /** The run whose start document was seen and stop document not yet, with its progress. */
  openRun(): OpenRun | null {
    if (this.#run === null) return null;
    settleProgress(this.#run);
    return structuredClone(this.#run.run);
  }

  dispose(): void {
    for (const undo of this.#undo.splice(0)) undo();
  }

  /** Write one event ahead (store) or number it at once (ring); a progress event that is due goes first. */
  append<T extends Topic>(topic: T, data: TopicData[T]): void {
    if (this.#progressDue) this.#flushProgress();
    this.#appendNow(topic, data);
  }

  #appendNow<T extends Topic>(topic: T, data: TopicData[T]): void {
    this.#appending = true;
    try {
      if (this.#memory !== null) this.#memory.append(topic, data);
      else this.#write(topic, data);
    } finally {
      this.#appending = false;
    }
    // A log line written while appending (e.g. a close warning) follows the event, never interleaves.
    const pending = this.#pendingLogs.splice(0);
    for (const line of pending) this.append('log', line);
  }

  #write<T extends Topic>(topic: T, data: TopicData[T]): void {
    const store = this.store;
    if (store === null) return;
    if (store.failure === null) {
      try {
        if (topic === 'document') {
          const { name, doc } = data as TopicData['document'];
          const scan = name === 'start' ? this.dispatcher.activeScan : null;
          const meta = scan === null ? undefined : { itemId: scan.itemId, planName: scan.name, params: scan.params };
          store.appendDocument(name as DocumentName, doc as unknown as AnyDocument, meta);
        } else {
          // Progress is shown live but not kept: it is derivable from the documents and each one
          // supersedes the last (a third of a count's events, ~180 bytes each on disk; docs/storage.md).
          store.appendEvent({ topic, time: Date.now() / 1000, data, transient: topic === 'progress' });
        }
        return;
      } catch (e) {
        if (store.failure === null) throw e;
      }
    }
    // The store failed: what happens now (the failure, the aborted plan's states and exception) is
    // still shown, unstored and numbered in the same stream; documents are not (nothing unstored is).
    if (topic !== 'document') (this.log as StoreEventLog).publishUnstored(topic, data);
  }

  #onDispatcherEvent(e: DispatcherEvent): void {
    const itemId = this.dispatcher.itemId;
    if (e.kind === 'exception') { this.append('exception', exceptionData(e.planName, itemId, e.error, this.#interrupt)); return; }
    // A run-uid update is a state event with `old: null`, as v1 reports it.
    const old = e.kind === 'state' ? e.oldState : null;
    if (e.kind === 'state') {
      const by = INTERRUPTING[e.state];
      if (by !== undefined) this.#interrupt.by = by;
      else if (e.state === 'running') this.#interrupt = { by: null, reason: '' };
    }
    this.append('state', { new: e.state, old, plan: e.info.planName, run_uid: e.info.runUid, item_id: itemId });
  }

  #onDocument(name: string, doc: Record<string, unknown>): void {
    if ((name === 'event' || name === 'event_page') && this.#run !== null && this.#run.primary.has(String(doc.descriptor))) {
      // The run's next points: appended without the progress due for the previous ones (they join it).
      this.#appendNow('document', { name, doc });
      this.#advance(name === 'event' ? 1 : Array.isArray(doc.seq_num) ? doc.seq_num.length : 1);
      return;
    }
    this.append('document', { name, doc });
    if (name === 'start') this.#startRun(doc);
    else if (name === 'descriptor' && this.#run !== null && doc.name === 'primary') this.#run.primary.add(String(doc.uid));
    else if (name === 'stop') {
      this.#run = null;
      this.#interrupt.reason = typeof doc.reason === 'string' ? doc.reason : '';
    }
  }

  #startRun(doc: Record<string, unknown>): void {
    const total = typeof doc.num_points === 'number' && doc.num_points > 0 ? doc.num_points : null;
    const uid = String(doc.uid);
    const itemId = this.dispatcher.itemId;
    const progress: ProgressData = { run_uid: uid, item_id: itemId, done: 0, total, fraction: total === null ? null : 0, eta_s: null };
    this.#run = { run: { uid, item_id: itemId, start: doc, progress }, primary: new Set(), t0: performance.now() };
    this.append('progress', { ...progress });
  }

  /**
   * Count points; their progress event follows once this task's burst of events is in (a
   * microtask), or before any other event. A worker hands over its events in batches, so a fast
   * scan gets one progress event per batch (about 10 points) instead of one per point: progress
   * was a third of a count's events through the whole pipeline (store, frames, sockets, clients),
   * and the next one supersedes each. A slow scan, whose points arrive one by one, still gets one per point.
   */
  #advance(points: number): void {
    const track = this.#run;
    if (track === null) return;
    // Only counted here: the fraction and ETA are worked out when someone reads them (settleProgress).
    track.run.progress.done += points;
    if (this.#progressDue) return;
    this.#progressDue = true;
    queueMicrotask(this.#flushProgress);
  }

  readonly #flushProgress = (): void => {
    if (!this.#progressDue) return;
    this.#progressDue = false;
    const track = this.#run;
    if (track === null) return;
    settleProgress(track);
    this.#appendNow('progress', { ...track.run.progress });
  };

  #onLog(level: number, args: readonly unknown[]): void {
    const label = LEVELS[level];
    if (label === undefined) return;
    const line = logData(label, args);
    if (this.#appending) this.#pendingLogs.push(line);
    else this.append('log', line);
  }
}

/** The engine states a control verb moves it into. */
const INTERRUPTING: Partial<Record<string, Interruption>> = { pausing: 'pause', paused: 'pause', stopping: 'stop', aborting: 'abort', halting: 'halt' };
/** The exceptions plans see when interrupted (bluesky's names); RunEngineInterrupted's verb is the engine's latest interrupting state. */
const INTERRUPTIONS: Partial<Record<string, Interruption | 'engine'>> = { RunEngineInterrupted: 'engine', RequestStop: 'stop', RequestAbort: 'abort', PlanHalt: 'halt' };

/** What people read: bluesky's `RE.resume() … RE.halt()` console text means nothing outside Python (v1 keeps it verbatim). */
function summaryOf(by: Interruption | null, type: string, message: string, reason: string): string {
  switch (by) {
    case 'pause': return 'paused at a checkpoint — resume, stop, abort or halt';
    case 'stop': return 'stopped by request';
    case 'abort': return reason === '' ? 'aborted by request' : `aborted by request: ${reason}`;
    case 'halt': return 'halted by request (no cleanup)';
    case null: {
      const line = message.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? '';
      return line === '' ? `failed: ${type}` : `failed: ${type}: ${line}`;
    }
  }
}

function exceptionData(plan: string | null, itemId: string | null, error: unknown, interrupt: { by: Interruption | null; reason: string }): ExceptionData {
  const type = error instanceof Error ? error.name : typeof error;
  const message = error instanceof Error ? error.message : String(error);
  const kind = INTERRUPTIONS[type];
  const by = kind === undefined ? null : kind === 'engine' ? interrupt.by ?? 'pause' : kind;
  return { plan, item_id: itemId, type, message, interruption: by, summary: summaryOf(by, type, message, interrupt.reason) };
}

/** pino's call shapes: (msg), (obj, msg), (err, msg). Fields are made JSON-safe. */
function logData(level: string, args: readonly unknown[]): LogData {
  const [first, second] = args;
  if (typeof first === 'string') return { level, msg: first, fields: {} };
  const msg = typeof second === 'string' ? second : first instanceof Error ? first.message : '';
  const raw = first instanceof Error ? { err: first } : (first ?? {});
  const fields = JSON.parse(JSON.stringify(raw, (_k, v: unknown) => (v instanceof Error ? { type: v.name, message: v.message } : v)) ?? '{}') as Record<string, unknown>;
  return { level, msg, fields };
}
