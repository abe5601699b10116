/**
 * The v2 event log: one server-wide sequence of events. An interface, so the
 * durable store can replace the in-memory ring (seq continuing across restarts).
 * @module
 */
import { keepMemo, memoOf } from '../../model/index.js';
import { takeStoredDataJson } from '../../store/index.js';
import type { Event, Topic, TopicData } from './types.js';

/** The committed stream as readers see it (the journal writes it; see src/server/journal.ts). */
export interface EventLog {
  /**
   * Every kept event with seq > `seq`, in order; `'too_old'` when some of them
   * are no longer kept (or `seq` is ahead of the log, e.g. after a restart).
   */
  since(seq: number): Iterable<LoggedEvent> | 'too_old';
  /** The oldest seq kept (latest + 1 when empty). */
  oldest(): number;
  /** The last seq appended (0 before any). */
  latest(): number;
  /** True when every event stays replayable from disk (a slow reader is never cut off for being behind the memory ring). */
  readonly replaysFromDisk?: boolean;
  /** Told after events become visible (appended to the ring, or committed by the store); returns the removal function. */
  onCommitted(listener: () => void): () => void;
}

export interface MemoryLogOptions {
  /** Most events kept. Default 100 000. */
  maxEvents?: number;
  /** Most bytes (of the events' JSON) kept. Default 64 MiB. */
  maxBytes?: number;
  /** The seq to continue after (a durable log's last seq). Default 0. */
  startAfter?: number;
}

/**
 * An event as a log hands it to readers: its number, topic and JSON frame. The
 * ring keeps these rather than the events: once an event is encoded nothing reads
 * its data again, and a document's objects kept alive by 100,000 ring slots were
 * most of what each young-generation GC of the server's thread had to copy
 * (docs/queue.md "Performance").
 */
export interface LoggedEvent {
  readonly seq: number;
  readonly topic: Topic;
  /** `JSON.stringify(event)`: the bytes every subscriber sends. */
  readonly frame: Buffer;
}

// Disk pages are shared by every reader replaying them: each event's frame is encoded once, kept on
// the event itself (src/model/memo.ts says why not in a WeakMap).
const FRAME: unique symbol = Symbol('v2 frame');

/** The event as the log keeps it (its frame kept on a disk page's event for the next reader). */
export function logged(event: Event): LoggedEvent {
  let frame = memoOf<Buffer>(event, FRAME);
  if (frame === undefined) {
    frame = encodeFrame(event);
    keepMemo(event, FRAME, frame);
  }
  return { seq: event.seq, topic: event.topic, frame };
}

/**
 * `JSON.stringify(event)` as bytes. The store has the data's text already (a document's JSON is
 * made once, at append), and the frame is written from its parts: a concatenated string would be
 * copied flat before its bytes could be written.
 */
function encodeFrame(event: Event): Buffer {
  const data = takeStoredDataJson(event);
  if (data === undefined) return Buffer.from(JSON.stringify(event), 'utf8');
  // Its keys are always seq, topic, time, data (JSON.stringify would write the same bytes).
  const head = `{"seq":${String(event.seq)},"topic":${JSON.stringify(event.topic)},"time":${JSON.stringify(event.time)},"data":`;
  let length = Buffer.byteLength(head, 'utf8') + 1;
  for (const part of data) length += Buffer.byteLength(part, 'utf8');
  const frame = Buffer.allocUnsafe(length);
  let at = frame.write(head, 0, 'utf8');
  for (const part of data) at += frame.write(part, at, 'utf8');
  frame[at] = CLOSE_BRACE;
  return frame;
}
const CLOSE_BRACE = 0x7d;

/** A ring of the newest events, bounded in count and bytes. */
export class MemoryEventLog implements EventLog {
  readonly maxEvents: number;
  readonly maxBytes: number;
  #ring: Array<LoggedEvent | undefined>;
  #head = 0; // index of the oldest kept event
  #count = 0;
  #bytes = 0;
  #latest: number;
  #listeners: Array<() => void> = [];

  constructor(options: MemoryLogOptions = {}) {
    this.maxEvents = Math.max(1, options.maxEvents ?? 100_000);
    this.maxBytes = Math.max(1, options.maxBytes ?? 64 * 1024 * 1024);
    this.#latest = options.startAfter ?? 0;
    this.#ring = new Array<LoggedEvent | undefined>(this.maxEvents);
  }

  get size(): number { return this.#count; }
  get bytes(): number { return this.#bytes; }

  /** Number, time-stamp and keep one event, then tell the listeners; returns it. */
  append<T extends Topic>(topic: T, data: TopicData[T]): Event<T> {
    const event = { seq: this.#latest + 1, topic, time: Date.now() / 1000, data } as Event<T>;
    this.push(event);
    for (const fn of this.#listeners) fn();
    return event;
  }

  onCommitted(listener: () => void): () => void {
    this.#listeners = [...this.#listeners, listener];
    return () => { this.#listeners = this.#listeners.filter((f) => f !== listener); };
  }

  /** Keep an event numbered elsewhere (the store); its seq must be the next one. Listeners are not told (the owner tells its own). */
  push(event: Event): void {
    if (event.seq !== this.#latest + 1) throw new Error(`event log: expected seq ${String(this.#latest + 1)}, got ${String(event.seq)}`);
    const kept: LoggedEvent = { seq: event.seq, topic: event.topic, frame: encodeFrame(event) };
    const size = kept.frame.length;
    while (this.#count > 0 && (this.#count >= this.maxEvents || this.#bytes + size > this.maxBytes)) this.#evict();
    const at = (this.#head + this.#count) % this.maxEvents;
    this.#ring[at] = kept;
    this.#count++;
    this.#bytes += size;
    this.#latest = event.seq;
  }

  since(seq: number): Iterable<LoggedEvent> | 'too_old' {
    if (seq > this.#latest || seq < this.oldest() - 1) return 'too_old';
    return this.#iterate(seq);
  }

  oldest(): number { return this.#latest - this.#count + 1; }
  latest(): number { return this.#latest; }

  /** The kept event with this seq, if any (O(1): the ring is contiguous in seq). */
  get(seq: number): LoggedEvent | undefined {
    const offset = seq - this.oldest();
    if (offset < 0 || offset >= this.#count) return undefined;
    return this.#ring[(this.#head + offset) % this.maxEvents];
  }

  *#iterate(seq: number): Generator<LoggedEvent> {
    // Re-checks each step: events appended while the caller iterates are included.
    for (let s = seq + 1; s <= this.#latest; s++) {
      const e = this.get(s);
      if (e === undefined) return;
      yield e;
    }
  }

  #evict(): void {
    this.#bytes -= this.#ring[this.#head]?.frame.length ?? 0;
    this.#ring[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.maxEvents;
    this.#count--;
  }
}
