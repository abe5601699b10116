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
  since(seq: number): Iterable<Event> | 'too_old';
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

// Encoded once when appended: the byte count bounds the log, and every subscriber sends the same bytes.
// Kept on the event itself (src/model/memo.ts says why not in a WeakMap).
const FRAME: unique symbol = Symbol('v2 frame');

/** The JSON frame of an event (cached for events this process appended or encoded). */
export function frameOf(event: Event): Buffer {
  let buf = memoOf<Buffer>(event, FRAME);
  if (buf === undefined) {
    // The store has the data's text already (a document's JSON is made once, at append): the
    // same bytes as JSON.stringify(event), whose keys are always seq, topic, time, data.
    const data = takeStoredDataJson(event);
    const text = data === undefined ? JSON.stringify(event)
      : `{"seq":${String(event.seq)},"topic":${JSON.stringify(event.topic)},"time":${JSON.stringify(event.time)},"data":${data}}`;
    buf = Buffer.from(text, 'utf8');
    keepMemo(event, FRAME, buf);
  }
  return buf;
}

/** A ring of the newest events, bounded in count and bytes. */
export class MemoryEventLog implements EventLog {
  readonly maxEvents: number;
  readonly maxBytes: number;
  #ring: Array<Event | undefined>;
  #sizes: number[];
  #head = 0; // index of the oldest kept event
  #count = 0;
  #bytes = 0;
  #latest: number;
  #listeners: Array<() => void> = [];

  constructor(options: MemoryLogOptions = {}) {
    this.maxEvents = Math.max(1, options.maxEvents ?? 100_000);
    this.maxBytes = Math.max(1, options.maxBytes ?? 64 * 1024 * 1024);
    this.#latest = options.startAfter ?? 0;
    this.#ring = new Array<Event | undefined>(this.maxEvents);
    this.#sizes = new Array<number>(this.maxEvents).fill(0);
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
    const size = frameOf(event).length;
    while (this.#count > 0 && (this.#count >= this.maxEvents || this.#bytes + size > this.maxBytes)) this.#evict();
    const at = (this.#head + this.#count) % this.maxEvents;
    this.#ring[at] = event;
    this.#sizes[at] = size;
    this.#count++;
    this.#bytes += size;
    this.#latest = event.seq;
  }

  since(seq: number): Iterable<Event> | 'too_old' {
    if (seq > this.#latest || seq < this.oldest() - 1) return 'too_old';
    return this.#iterate(seq);
  }

  oldest(): number { return this.#latest - this.#count + 1; }
  latest(): number { return this.#latest; }

  /** The kept event with this seq, if any (O(1): the ring is contiguous in seq). */
  get(seq: number): Event | undefined {
    const offset = seq - this.oldest();
    if (offset < 0 || offset >= this.#count) return undefined;
    return this.#ring[(this.#head + offset) % this.maxEvents];
  }

  *#iterate(seq: number): Generator<Event> {
    // Re-checks each step: events appended while the caller iterates are included.
    for (let s = seq + 1; s <= this.#latest; s++) {
      const e = this.get(s);
      if (e === undefined) return;
      yield e;
    }
  }

  #evict(): void {
    this.#bytes -= this.#sizes[this.#head] ?? 0;
    this.#ring[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.maxEvents;
    this.#count--;
  }
}
