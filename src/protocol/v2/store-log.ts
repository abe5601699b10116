/**
 * The v2 view of the run store's committed stream: the newest events in a ring
 * (fed by the store's commits, so replaying recent events never touches the disk),
 * older ones read from the store page by page.
 *
 * The store reads asynchronously while v2's pump iterates synchronously, so a
 * replay from disk yields what is already loaded and stops; the page it lacks is
 * read in the background and its arrival wakes the readers (`onCommitted`), who
 * pump again from their cursor. Pages are aligned blocks of seqs shared by every reader, read
 * by seq range, not by row count: stored seqs have gaps (transient events are numbered, not
 * stored), so DISK_PAGE rows from a block's start would run into the next block, which would
 * read and parse them again.
 * @module
 */
import type { RunStore } from '../../store/index.js';
import { type EventLog, type LoggedEvent, MemoryEventLog, type MemoryLogOptions, logged } from './event-log.js';
import type { Event } from './types.js';

export type StoreLogOptions = Omit<MemoryLogOptions, 'startAfter'>;

/** Seqs per page read from the store while replaying (at most this many stored events). */
const DISK_PAGE = 1000;
/** Pages kept for readers replaying from disk (at most DISK_PAGE events each). */
const MAX_PAGES = 16;

export class StoreEventLog implements EventLog {
  readonly store: RunStore;
  /** The newest committed events, for replay without touching the disk. */
  readonly memory: MemoryEventLog;
  /** Every committed event stays replayable from disk: a slow reader is never cut off for being behind the ring. */
  readonly replaysFromDisk = true;
  #listeners: Array<() => void> = [];
  readonly #off: () => void;
  /** Disk pages by block number (block b holds the stored seqs b*DISK_PAGE+1 .. (b+1)*DISK_PAGE), oldest inserted first. */
  readonly #pages = new Map<number, DiskPage>();
  readonly #loading = new Set<number>();
  /** A failed disk read: replays that need the disk are refused ('too_old') rather than stalled. */
  #readFailure: unknown = null;

  constructor(store: RunStore, options: StoreLogOptions = {}) {
    this.store = store;
    this.memory = new MemoryEventLog({ ...options, startAfter: store.latestSeq() });
    this.#off = store.onCommit((batch) => {
      if (batch.events.length === 0) return;
      for (const e of batch.events) this.memory.push(e as Event);
      this.#tell();
    });
  }

  since(seq: number): Iterable<LoggedEvent> | 'too_old' {
    if (seq > this.latest()) return 'too_old';
    if (seq >= this.memory.oldest() - 1) return this.memory.since(seq);
    const oldest = this.store.oldestSeq();
    if (oldest === null || seq < oldest - 1 || this.#readFailure !== null) return 'too_old';
    return this.#fromDisk(seq);
  }

  /**
   * Show an event the store cannot keep (it failed): numbered in the same stream (`skipSeq`),
   * in the ring only. A replay from disk after recovery passes over its seq.
   */
  publishUnstored(topic: Event['topic'], data: unknown): void {
    const event = { seq: this.store.skipSeq(), topic, time: Date.now() / 1000, data } as Event;
    this.memory.push(event);
    this.#tell();
  }

  oldest(): number { return this.store.oldestSeq() ?? this.latest() + 1; }
  latest(): number { return this.memory.latest(); }

  async settledSeq(): Promise<number> {
    const numbered = this.store.appendedSeq();
    // The commit's listeners (this log's ring among them) have run when it resolves.
    try { await this.store.commit(); } catch { /* the store failed: its uncommitted numbers were never shown */ }
    return Math.min(numbered, this.latest());
  }

  onCommitted(listener: () => void): () => void {
    this.#listeners = [...this.#listeners, listener];
    return () => { this.#listeners = this.#listeners.filter((f) => f !== listener); };
  }

  /** Stop listening to the store (the store itself stays open). */
  dispose(): void { this.#off(); this.#listeners = []; this.#pages.clear(); }

  #tell(): void { for (const fn of this.#listeners) fn(); }

  *#fromDisk(seq: number): Generator<LoggedEvent> {
    let cursor = seq;
    for (;;) {
      if (cursor >= this.memory.oldest() - 1) {
        const rest = this.memory.since(cursor);
        if (rest !== 'too_old') yield* rest;
        return;
      }
      const block = Math.floor(cursor / DISK_PAGE);
      const page = this.#page(block);
      if (page === undefined) return; // loading: its arrival wakes the readers
      // From the ring's first seq on, the ring answers: it also has what the disk lacks.
      const ringFrom = this.memory.oldest();
      for (const e of page.events) {
        if (e.seq <= cursor) continue;
        if (e.seq >= ringFrom) break;
        cursor = e.seq;
        yield logged(e);
      }
      // Seqs up to `complete` the page lacks were never stored (transient progress, events shown
      // while the store had failed): the disk has gaps, and the replay passes over them.
      if (page.complete > cursor) cursor = Math.min(page.complete, ringFrom - 1);
      // A page read before its block was all committed is stale once the ring has moved past it: read it again.
      if (page.complete < (block + 1) * DISK_PAGE && cursor < this.memory.oldest() - 1) this.#pages.delete(block);
    }
  }

  #page(block: number): DiskPage | undefined {
    const hit = this.#pages.get(block);
    if (hit !== undefined) return hit;
    if (this.#loading.has(block)) return undefined;
    this.#loading.add(block);
    // Everything committed by now is on disk when the read runs: the page is complete up to here, or to its block's end.
    const end = (block + 1) * DISK_PAGE;
    const complete = Math.min(this.store.latestSeq(), end);
    this.store.readEvents(block * DISK_PAGE, DISK_PAGE, end).then((events) => {
      this.#pages.set(block, { events: events as Event[], complete });
      for (const key of this.#pages.keys()) { if (this.#pages.size <= MAX_PAGES) break; this.#pages.delete(key); }
    }, (e: unknown) => { this.#readFailure = e; }).finally(() => {
      this.#loading.delete(block);
      this.#tell();
    });
    return undefined;
  }
}

/** The stored events of a block's seqs; every stored seq up to `complete` (at most the block's last) is among them. */
interface DiskPage { readonly events: Event[]; readonly complete: number }
