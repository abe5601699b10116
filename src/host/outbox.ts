/**
 * The worker's outgoing items, sent in batches: at once when an item is
 * urgent (with everything waiting before it, so order holds), when
 * `maxBatch` are waiting, or `flushMs` after the first of them. A message costs
 * both threads a fixed amount besides its items (the main thread most: ~10 µs
 * to receive one). Sending at the end of every turn of the worker's loop made
 * a fast count ~9 events a message; a millisecond makes it ~70, and a count
 * through the server ran ~10% faster (bench group `store`, bench/store-server.ts).
 * @module
 */

export interface OutboxOptions {
  /** Items that are sent as soon as this many wait. Default 512. */
  readonly maxBatch?: number;
  /** How long the first waiting item may wait, in ms. Default 1. */
  readonly flushMs?: number;
}

export class Outbox<T> {
  #items: T[] = [];
  #timer: NodeJS.Timeout | null = null;
  readonly #send: (items: T[]) => void;
  readonly #maxBatch: number;
  readonly #flushMs: number;

  /** `send` gets each batch, in order; it owns the array. */
  constructor(send: (items: T[]) => void, options: OutboxOptions = {}) {
    this.#send = send;
    this.#maxBatch = options.maxBatch ?? 512;
    this.#flushMs = options.flushMs ?? 1;
  }

  post(item: T, urgent = false): void {
    this.#items.push(item);
    if (urgent || this.#items.length >= this.#maxBatch) { this.flush(); return; }
    this.#timer ??= setTimeout(() => { this.flush(); }, this.#flushMs);
  }

  /** Send what waits now (nothing is sent when nothing waits). */
  flush(): void {
    if (this.#timer !== null) { clearTimeout(this.#timer); this.#timer = null; }
    if (this.#items.length === 0) return;
    const items = this.#items;
    this.#items = [];
    this.#send(items);
  }
}
