/**
 * The bus's bounded buffer: committed entries waiting for Redis, oldest first.
 * When it is full the OLDEST waiting entries are dropped (consumers catch up to
 * the present, and the store keeps everything); each run of dropped entries is
 * remembered as a gap attached to the entry after it, so the publisher can say
 * what was lost, in the stream and in /healthz, exactly where it happened.
 * @module
 */

/** A committed document or event as one stream entry. */
export interface BusEntry {
  /** The committed stream's seq: the entry id is `SEQ-0`. */
  readonly seq: number;
  readonly stream: 'documents' | 'events';
  /** Field/value pairs, flat, as XADD takes them. */
  readonly fields: readonly string[];
  /** Bytes of the field values (what the buffer's byte bound counts). */
  readonly bytes: number;
  /** performance.now() when committed: how far behind the bus is. */
  readonly at: number;
}

/** A run of consecutive committed entries that were dropped. */
export interface LostRange { first: number; last: number; count: number }

interface Slot { entry: BusEntry; gapBefore: LostRange | null }

/** What a dropped slot holds until it is cut out: the dropped entry's text is freed at once. */
const DROPPED: BusEntry = { seq: -1, stream: 'events', fields: [], bytes: 0, at: 0 };

export interface PendingLimits { readonly maxEntries: number; readonly maxBytes: number }

/** Ranges kept for /healthz (the totals count everything). */
const KEPT_RANGES = 20;

export class PendingEntries {
  readonly maxEntries: number;
  readonly maxBytes: number;
  #slots: Slot[] = [];
  #head = 0;
  #bytes = 0;
  /** Slots at the head handed to the publisher and not yet settled: never dropped (a retry must resend them in order). */
  #inflight = 0;
  /** Slots right after the in-flight ones dropped while those were in flight (removed at `settle`, so a drop stays O(1)). */
  #dead = 0;
  #lost = 0;
  readonly #ranges: LostRange[] = [];

  constructor(limits: PendingLimits) {
    this.maxEntries = limits.maxEntries;
    this.maxBytes = limits.maxBytes;
  }

  get size(): number { return this.#slots.length - this.#head - this.#dead; }
  get bytes(): number { return this.#bytes; }
  /** Entries dropped because the buffer was full, since start. */
  get lost(): number { return this.#lost; }
  /** The most recent runs of dropped entries, oldest first. */
  get lostRanges(): readonly LostRange[] { return this.#ranges; }

  /** When the oldest waiting entry was committed (performance.now()), or null when none waits. */
  oldestAt(): number | null { return this.#slots[this.#head]?.entry.at ?? null; }
  /** The oldest waiting entry's seq, or null. */
  oldestSeq(): number | null { return this.#slots[this.#head]?.entry.seq ?? null; }

  /** Queue an entry; returns how many older entries were dropped to make room (0 normally). */
  push(entry: BusEntry): number {
    this.#slots.push({ entry, gapBefore: null });
    this.#bytes += entry.bytes;
    let dropped = 0;
    // The newest entry always stays (an entry bigger than the byte bound is still sent).
    while (this.size - this.#inflight > 1 && (this.size > this.maxEntries || this.#bytes > this.maxBytes)) {
      this.#dropOldestWaiting();
      dropped++;
    }
    return dropped;
  }

  /** Hand up to `n` waiting entries (with the gap before each, if any) to the publisher; they stay queued until `settle`. */
  take(n: number): Array<{ entry: BusEntry; gapBefore: LostRange | null }> {
    if (this.#inflight !== 0) throw new Error('internal: take with entries in flight');
    const start = this.#head;
    const end = Math.min(this.#slots.length, start + n);
    const out = this.#slots.slice(start, end).map((s) => ({ entry: s.entry, gapBefore: s.gapBefore }));
    this.#inflight += out.length;
    return out;
  }

  /** The first `published` in-flight entries are in Redis: forget them; the rest go back to waiting (sent again, in order). */
  settle(published: number): void {
    const n = Math.min(published, this.#inflight);
    for (let i = 0; i < n; i++) {
      const slot = this.#slots[this.#head];
      if (slot === undefined) break;
      this.#bytes -= slot.entry.bytes;
      this.#head++;
    }
    // What was dropped meanwhile sat right after the in-flight entries: cut it out now, in one go.
    if (this.#dead > 0) this.#slots.splice(this.#head + (this.#inflight - n), this.#dead);
    this.#inflight = 0;
    this.#dead = 0;
    this.#compact();
  }

  /** Forget waiting head entries while `pred` holds (entries Redis turned out to have); returns how many. */
  dropHeadWhile(pred: (entry: BusEntry) => boolean): number {
    if (this.#inflight !== 0) throw new Error('internal: dropHeadWhile with entries in flight');
    let n = 0;
    for (;;) {
      const slot = this.#slots[this.#head];
      if (slot === undefined || !pred(slot.entry)) break;
      this.#bytes -= slot.entry.bytes;
      this.#head++;
      n++;
    }
    this.#compact();
    return n;
  }

  /** Drop the oldest waiting entry as lost, carrying its gap (extended by it) to the entry after it. */
  #dropOldestWaiting(): void {
    const i = this.#head + this.#inflight + this.#dead;
    const slot = this.#slots[i];
    if (slot === undefined) return;
    const next = this.#slots[i + 1];
    const seq = slot.entry.seq;
    let gap = slot.gapBefore;
    if (gap === null) {
      gap = { first: seq, last: seq, count: 1 };
      this.#ranges.push(gap);
      if (this.#ranges.length > KEPT_RANGES) this.#ranges.shift();
    } else {
      // The same object as in #ranges: /healthz sees it grow.
      gap.last = seq;
      gap.count++;
    }
    if (next !== undefined) next.gapBefore = gap;
    this.#bytes -= slot.entry.bytes;
    if (this.#inflight === 0) this.#head++;
    else { this.#dead++; slot.entry = DROPPED; slot.gapBefore = null; }
    this.#lost++;
    this.#compact();
  }

  #compact(): void {
    if (this.#inflight === 0 && this.#head > 1024 && this.#head * 2 > this.#slots.length) {
      this.#slots = this.#slots.slice(this.#head);
      this.#head = 0;
    }
  }
}
