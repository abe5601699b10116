/**
 * The v2 event log: one server-wide sequence of events. An interface, so the
 * durable store can replace the in-memory ring (seq continuing across restarts).
 * @module
 */
import { keepMemo, memoOf } from '../../model/index.js';
import { takeStoredDataJson } from '../../store/index.js';
import { type Event, TOPICS, type Topic, type TopicData } from './types.js';

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
  /**
   * The seq of the newest event numbered so far, once readers can see it: whatever was read before the
   * call (a queue's view, a status) has no change whose event has a greater seq, and a `subscribe` from it
   * is never ahead of the log. A store numbers events when they are appended and shows them when its
   * batch commits, a turn later: `latest()` alone could be older than what was just read.
   */
  settledSeq(): Promise<number>;
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
 * An event as a log hands it to readers: its number, topic and JSON frame. Once an
 * event is encoded nothing reads its data again, so the ring keeps only its frame's
 * bytes: a document's objects kept alive by 100,000 ring slots were most of what
 * each young-generation GC of the server's thread had to copy (docs/queue.md
 * "Performance").
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
    const text = frameText(event);
    frame = Buffer.allocUnsafe(byteLength(text));
    writeText(text, frame, 0);
    keepMemo(event, FRAME, frame);
  }
  return { seq: event.seq, topic: event.topic, frame };
}

/**
 * `JSON.stringify(event)` as pieces to be written one after another. The store has the data's
 * text already (a document's JSON is made once, at append): joining the pieces into one string
 * would copy that text flat before its bytes could be written.
 */
function frameText(event: Event): readonly string[] {
  const data = takeStoredDataJson(event);
  if (data === undefined) return [JSON.stringify(event)];
  // Its keys are always seq, topic, time, data (JSON.stringify would write the same bytes).
  return [`{"seq":${String(event.seq)},"topic":${JSON.stringify(event.topic)},"time":${JSON.stringify(event.time)},"data":`, ...data, '}'];
}

function byteLength(text: readonly string[]): number {
  let n = 0;
  for (const piece of text) n += Buffer.byteLength(piece, 'utf8');
  return n;
}

function writeText(text: readonly string[], into: Buffer, at: number): void {
  let offset = at;
  for (const piece of text) offset += into.write(piece, offset, 'utf8');
}

/** Frames are written back to back into slabs of this size (a larger frame gets a slab of its own). */
const SLAB_BYTES = 256 * 1024;
const TOPIC_CODE = new Map<Topic, number>(TOPICS.map((t, i) => [t, i]));

/**
 * A ring of the newest events, bounded in count and bytes. It holds no object per
 * event: each frame's bytes go into the newest of a few append-only slabs, and the
 * ring's slots are numbers (slab, offset, length, topic) in typed arrays. A slab is
 * let go once every event in it has left the ring; a frame handed to a reader is a
 * view of its slab's bytes, which nothing ever overwrites.
 */
export class MemoryEventLog implements EventLog {
  readonly maxEvents: number;
  readonly maxBytes: number;
  /** Per slot: the number of the slab holding the frame, where in it, how long, and the topic. */
  readonly #slabOf: Float64Array;
  readonly #offset: Uint32Array;
  readonly #length: Uint32Array;
  readonly #topic: Uint8Array;
  /** The slabs still holding a kept frame, oldest first; `#slabs[0]` is slab number `#firstSlab`. */
  #slabs: Buffer[] = [];
  #firstSlab = 0;
  /** Bytes written into the newest slab. */
  #used = 0;
  #head = 0; // index of the oldest kept event
  #count = 0;
  #bytes = 0;
  #latest: number;
  #listeners: Array<() => void> = [];

  constructor(options: MemoryLogOptions = {}) {
    this.maxEvents = Math.max(1, options.maxEvents ?? 100_000);
    this.maxBytes = Math.max(1, options.maxBytes ?? 64 * 1024 * 1024);
    this.#latest = options.startAfter ?? 0;
    this.#slabOf = new Float64Array(this.maxEvents);
    this.#offset = new Uint32Array(this.maxEvents);
    this.#length = new Uint32Array(this.maxEvents);
    this.#topic = new Uint8Array(this.maxEvents);
  }

  get size(): number { return this.#count; }
  /** Bytes of the kept events' frames (what `maxBytes` bounds). */
  get bytes(): number { return this.#bytes; }
  /** Bytes of the slabs the ring holds: `bytes` plus at most two slabs' worth (the newest slab's unused end, the oldest's evicted start). */
  get slabBytes(): number { return this.#slabs.reduce((n, b) => n + b.length, 0); }

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
    const topic = TOPIC_CODE.get(event.topic);
    if (topic === undefined) throw new Error(`event log: unknown topic "${String(event.topic)}"; expected one of ${TOPICS.join(', ')}`);
    const text = frameText(event);
    const size = byteLength(text);
    while (this.#count > 0 && (this.#count >= this.maxEvents || this.#bytes + size > this.maxBytes)) this.#evict();
    let slab = this.#slabs[this.#slabs.length - 1];
    if (slab === undefined || this.#used + size > slab.length) {
      slab = Buffer.allocUnsafeSlow(Math.max(SLAB_BYTES, size));
      this.#slabs.push(slab);
      this.#used = 0;
    }
    writeText(text, slab, this.#used);
    const at = (this.#head + this.#count) % this.maxEvents;
    this.#slabOf[at] = this.#firstSlab + this.#slabs.length - 1;
    this.#offset[at] = this.#used;
    this.#length[at] = size;
    this.#topic[at] = topic;
    this.#used += size;
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
  /** Appending shows an event at once: nothing to wait for. */
  settledSeq(): Promise<number> { return Promise.resolve(this.#latest); }

  /** The kept event with this seq, if any (O(1): the ring is contiguous in seq). */
  get(seq: number): LoggedEvent | undefined {
    const offset = seq - this.oldest();
    if (offset < 0 || offset >= this.#count) return undefined;
    const at = (this.#head + offset) % this.maxEvents;
    const slab = this.#slabs[(this.#slabOf[at] as number) - this.#firstSlab] as Buffer;
    const from = this.#offset[at] as number;
    return { seq, topic: TOPICS[this.#topic[at] as number] as Topic, frame: slab.subarray(from, from + (this.#length[at] as number)) };
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
    this.#bytes -= this.#length[this.#head] as number;
    this.#head = (this.#head + 1) % this.maxEvents;
    this.#count--;
    // Slabs before the one the oldest kept event is in hold nothing kept any more.
    const keepFrom = this.#count === 0 ? this.#firstSlab + this.#slabs.length - 1 : (this.#slabOf[this.#head] as number);
    while (this.#firstSlab < keepFrom) {
      this.#slabs.shift();
      this.#firstSlab++;
    }
  }
}
