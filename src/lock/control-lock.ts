/**
 * The control lock (bluesky-queueserver's "lock"): one caller holds the beamline;
 * while it does, other callers' control and queue operations are refused with
 * `locked` (the operation table checks it), reads and `stop_all` still work, and
 * an `admin` can break it. Kept in the data directory, so it survives restarts.
 * @module
 */

/** Who holds the lock, why, and since when (seconds since the epoch). */
export interface LockState {
  readonly holder: string;
  readonly note: string;
  readonly since: number;
}

/** Where the lock is kept between restarts. */
export interface LockStore {
  load(): LockState | null;
  save(state: LockState | null): void;
  close(): void;
}

export class MemoryLockStore implements LockStore {
  #state: LockState | null = null;
  load(): LockState | null { return this.#state; }
  save(state: LockState | null): void { this.#state = state; }
  close(): void {}
}

export type AcquireOutcome = { ok: true; state: LockState } | { ok: false; heldBy: LockState };
export type ReleaseOutcome = { ok: true; released: LockState | null } | { ok: false; heldBy: LockState };

export class ControlLock {
  readonly #store: LockStore;
  #state: LockState | null;

  constructor(store: LockStore = new MemoryLockStore()) {
    this.#store = store;
    this.#state = store.load();
  }

  get state(): LockState | null { return this.#state; }

  /** Take the lock for `who` (again, with a new note, if it already holds it). */
  acquire(who: string, note: string, now = Date.now() / 1000): AcquireOutcome {
    const held = this.#state;
    if (held !== null && held.holder !== who) return { ok: false, heldBy: held };
    const state = { holder: who, note, since: held?.since ?? now };
    this.#set(state);
    return { ok: true, state };
  }

  /** Give the lock up; another holder's only with `force` (the caller checked it may). Releasing a free lock is fine. */
  release(who: string, force: boolean): ReleaseOutcome {
    const held = this.#state;
    if (held === null) return { ok: true, released: null };
    if (held.holder !== who && !force) return { ok: false, heldBy: held };
    this.#set(null);
    return { ok: true, released: held };
  }

  /** The lock, if someone other than `who` holds it. */
  heldAgainst(who: string): LockState | null {
    const held = this.#state;
    return held !== null && held.holder !== who ? held : null;
  }

  close(): void { this.#store.close(); }

  #set(state: LockState | null): void {
    this.#store.save(state);
    this.#state = state;
  }
}
