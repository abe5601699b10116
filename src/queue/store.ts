/**
 * Where the queue is kept: the `QueueStore` contract and its memory
 * implementation. The scheduler holds the queue in memory and writes every
 * change through one `write` (one transaction), so a backend needs only
 * these two calls. The contract is asynchronous so a network database can
 * implement it: SQLite is in sqlite-store.ts, PostgreSQL in pg-store.ts; both
 * pass test/queue/store-contract.ts.
 * @module
 */
import { DEFAULT_MODE, type HistoryEntry, type QueueItem, type QueueMode, type RunningItem } from './types.js';

/** A pending item and its ordering key (ascending: the front first). Keys are the scheduler's, never shown. */
export interface StoredItem { item: QueueItem; pos: number }

/** What a server starts from. */
export interface QueueSnapshot {
  /** The pending items, front first. */
  items: StoredItem[];
  /** The item that was running when the server stopped (a crash), or null. */
  running: RunningItem | null;
  mode: QueueMode;
  /** Oldest first. */
  history: HistoryEntry[];
}

export type ItemWrite = { op: 'put'; item: QueueItem; pos: number } | { op: 'delete'; item_uid: string } | { op: 'clear' };

/** One atomic change: all of it is kept, or none. Absent fields are unchanged. */
export interface QueueWrite {
  items?: ItemWrite[];
  /** The running item (null: none). */
  running?: RunningItem | null;
  mode?: QueueMode;
  /** Entries appended to the history, oldest first. */
  history?: HistoryEntry[];
  /** Empty the history (before appending `history`). */
  clearHistory?: boolean;
}

export interface QueueStore {
  /** Where it keeps the queue, for logs (a path, `memory`, or the database and instance). */
  readonly location: string;
  load(): Promise<QueueSnapshot>;
  /** Rejects when the change could not be kept (nothing of it is). The scheduler calls it one at a time, in order. */
  write(change: QueueWrite): Promise<void>;
  close(): Promise<void>;
}

/** The queue in this process only (servers without `--data`, tests). A new store starts empty. */
export class MemoryQueueStore implements QueueStore {
  readonly location = 'memory';
  #items = new Map<string, StoredItem>();
  #running: RunningItem | null = null;
  #mode: QueueMode = { ...DEFAULT_MODE };
  #history: HistoryEntry[] = [];

  async load(): Promise<QueueSnapshot> {
    const items = [...this.#items.values()].sort((a, b) => a.pos - b.pos);
    return structuredClone({ items, running: this.#running, mode: this.#mode, history: this.#history });
  }

  async write(change: QueueWrite): Promise<void> {
    const c = structuredClone(change);
    for (const w of c.items ?? []) {
      if (w.op === 'put') this.#items.set(w.item.item_uid, { item: w.item, pos: w.pos });
      else if (w.op === 'delete') this.#items.delete(w.item_uid);
      else this.#items.clear();
    }
    if (c.running !== undefined) this.#running = c.running;
    if (c.mode !== undefined) this.#mode = c.mode;
    if (c.clearHistory === true) this.#history = [];
    if (c.history !== undefined) this.#history.push(...c.history);
  }

  async close(): Promise<void> { /* nothing held */ }
}
