/**
 * The control lock (bluesky-queueserver's "lock"): one caller holds the beamline;
 * while it does, other callers' control and queue operations are refused with
 * `locked` (the operation table checks it), reads and `stop_all` still work, and
 * an `admin` can break it. Kept in the data directory (or, with `--store`, in
 * PostgreSQL, one lock per instance), so it survives restarts.
 *
 * The lock is one server's: only it changes its row, so the state in memory is
 * the truth and `heldAgainst` (asked before every control operation) never
 * waits for the database. Changes are written first, then applied, one at a time.
 * @module
 */
import { Serial } from '../model/serial.js';

/** Who holds the lock, why, and since when (seconds since the epoch). */
export interface LockState {
  readonly holder: string;
  readonly note: string;
  readonly since: number;
}

/** Where the lock is kept between restarts (asynchronous: PostgreSQL is a network away). */
export interface LockStore {
  load(): Promise<LockState | null>;
  /** Rejects when it could not be kept (then the lock stays as it was). */
  save(state: LockState | null): Promise<void>;
  close(): Promise<void>;
}

export class MemoryLockStore implements LockStore {
  #state: LockState | null = null;
  async load(): Promise<LockState | null> { return this.#state; }
  async save(state: LockState | null): Promise<void> { this.#state = state; }
  async close(): Promise<void> {}
}

export type AcquireOutcome = { ok: true; state: LockState } | { ok: false; heldBy: LockState };
export type ReleaseOutcome = { ok: true; released: LockState | null } | { ok: false; heldBy: LockState };

export class ControlLock {
  readonly #store: LockStore;
  #state: LockState | null;
  /** Changes run one at a time, each written before it is applied. */
  readonly #changes = new Serial();

  /** `initial`: what `store` holds (see `open`); a new memory lock is free. */
  constructor(store: LockStore = new MemoryLockStore(), initial: LockState | null = null) {
    this.#store = store;
    this.#state = initial;
  }

  /** The lock as `store` kept it. */
  static async open(store: LockStore): Promise<ControlLock> {
    return new ControlLock(store, await store.load());
  }

  get state(): LockState | null { return this.#state; }

  /** Take the lock for `who` (again, with a new note, if it already holds it). */
  acquire(who: string, note: string, now = Date.now() / 1000): Promise<AcquireOutcome> {
    return this.#changes.run(async () => {
      const held = this.#state;
      if (held !== null && held.holder !== who) return { ok: false, heldBy: held };
      const state = { holder: who, note, since: held?.since ?? now };
      await this.#set(state);
      return { ok: true, state };
    });
  }

  /** Give the lock up; another holder's only with `force` (the caller checked it may). Releasing a free lock is fine. */
  release(who: string, force: boolean): Promise<ReleaseOutcome> {
    return this.#changes.run(async () => {
      const held = this.#state;
      if (held === null) return { ok: true, released: null };
      if (held.holder !== who && !force) return { ok: false, heldBy: held };
      await this.#set(null);
      return { ok: true, released: held };
    });
  }

  /** The lock, if someone other than `who` holds it. */
  heldAgainst(who: string): LockState | null {
    const held = this.#state;
    return held !== null && held.holder !== who ? held : null;
  }

  async close(): Promise<void> {
    await this.#changes.settled();
    await this.#store.close();
  }

  async #set(state: LockState | null): Promise<void> {
    await this.#store.save(state);
    this.#state = state;
  }
}
