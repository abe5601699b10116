/**
 * The v2 hub: turns the dispatcher's ordered stream (the one v1 uses), every
 * document, progress and log lines into ONE event log, and wakes subscribers.
 * @module
 */
import type { Dispatcher, DispatcherEvent } from '../../dispatcher/index.js';
import { type Logger, tapLogs } from '../../server/logger.js';
import type { RunStore } from '../../store/index.js';
import { statusOf } from '../../ops/index.js';
import type { EventLog } from './event-log.js';
import type { ExceptionData, Interruption, LogData, OpenRun, ProgressData, Status, Topic, TopicData } from './types.js';

/** Told after every append; the session pumps from the log (never from the event itself). */
export interface HubSubscriber { wake(): void }

interface RunTrack { run: OpenRun; primary: Set<string>; t0: number }

const LEVELS: Record<number, string> = { 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

export class V2Hub {
  readonly log: EventLog;
  readonly dispatcher: Dispatcher;
  readonly #subs = new Set<HubSubscriber>();
  readonly #undo: Array<() => void> = [];
  #run: RunTrack | null = null;
  #appending = false;
  #pendingLogs: LogData[] = [];
  /** The control verb behind the latest interrupting transition, and the reason of the latest stop document: for exceptions' human wording. */
  #interrupt: { by: Interruption | null; reason: string } = { by: null, reason: '' };

  constructor(dispatcher: Dispatcher, log: EventLog, logger?: Logger) {
    this.dispatcher = dispatcher;
    this.log = log;
    // The same listener list v1 sessions are on: both protocols see the same transitions, in order.
    this.#undo.push(dispatcher.listen((e) => this.#onDispatcherEvent(e)).unlisten);
    this.#undo.push(dispatcher.listenDocuments((name, doc) => this.#onDocument(name, doc as Record<string, unknown>)));
    if (logger !== undefined) this.#undo.push(tapLogs(logger, (level, args) => this.#onLog(level, args)));
    // A durable log shows events only once committed: wake subscribers then.
    if (log.onCommitted !== undefined) this.#undo.push(log.onCommitted(() => { for (const sub of this.#subs) sub.wake(); }));
  }

  /** The run store behind `runs.list` / `runs.get` (null: those ops answer `unavailable`). */
  runs: RunStore | null = null;

  get subscriberCount(): number { return this.#subs.size; }

  add(sub: HubSubscriber): void { this.#subs.add(sub); }
  remove(sub: HubSubscriber): void { this.#subs.delete(sub); }

  /** The engine's state and the scan in progress, as of the log's latest seq. */
  status(): Status { return statusOf(this.dispatcher, this.log.latest()); }

  /** The run whose start document was seen and stop document not yet, with its progress. */
  openRun(): OpenRun | null { return this.#run === null ? null : structuredClone(this.#run.run); }

  dispose(): void {
    for (const undo of this.#undo.splice(0)) undo();
    this.#subs.clear();
  }

  append<T extends Topic>(topic: T, data: TopicData[T]): void {
    this.#appending = true;
    try {
      this.log.append(topic, data);
      for (const sub of this.#subs) sub.wake();
    } finally {
      this.#appending = false;
    }
    // A log line written while appending (e.g. a close warning) follows the event, never interleaves.
    const pending = this.#pendingLogs.splice(0);
    for (const line of pending) this.append('log', line);
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
    this.append('document', { name, doc });
    if (name === 'start') this.#startRun(doc);
    else if (name === 'descriptor' && this.#run !== null && doc.name === 'primary') this.#run.primary.add(String(doc.uid));
    else if (name === 'event' && this.#run !== null && this.#run.primary.has(String(doc.descriptor))) this.#advance(1);
    else if (name === 'event_page' && this.#run !== null && this.#run.primary.has(String(doc.descriptor))) {
      this.#advance(Array.isArray(doc.seq_num) ? doc.seq_num.length : 1);
    } else if (name === 'stop') {
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

  #advance(points: number): void {
    const track = this.#run;
    if (track === null) return;
    const p = track.run.progress;
    p.done += points;
    if (p.total !== null) {
      p.fraction = Math.min(1, p.done / p.total);
      const elapsed = (performance.now() - track.t0) / 1000;
      p.eta_s = Math.max(0, Math.round((elapsed / p.done) * (p.total - p.done) * 1000) / 1000);
    }
    this.append('progress', { ...p });
  }

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
