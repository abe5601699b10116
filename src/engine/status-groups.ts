/**
 * Status bookkeeping for `wait` (bluesky _groups/_status_objs/_wait): each
 * Status is filed under its message's group; a failure is reported to the
 * engine's exception inbox unless failures are pardoned (after the call ended).
 * @module
 */
import type { Clock } from '../model/clock.js';
import { FailedStatus, WaitForTimeoutError } from '../model/errors.js';
import type { Status } from '../model/status.js';

export interface WaitOptions {
  timeout: number | null;
  errorOnTimeout: boolean;
  watch: readonly unknown[];
}

export class StatusGroups {
  readonly #groups = new Map<unknown, Status[]>();
  #pardoned = false;
  readonly #onFailure: (e: FailedStatus) => void;

  constructor(onFailure: (e: FailedStatus) => void) { this.#onFailure = onFailure; }

  /** From now on failures are ignored (bluesky _pardon_failures). */
  pardon(): void { this.#pardoned = true; }

  clear(): void { this.#groups.clear(); this.#pardoned = false; }

  add(status: Status, group: unknown): void {
    let list = this.#groups.get(group);
    if (list === undefined) { list = []; this.#groups.set(group, list); }
    list.push(status);
    status.addCallback((s) => {
      if (!s.success && !this.#pardoned) this.#onFailure(new FailedStatus(s, s.exception()));
    });
  }

  /**
   * Wait for every status of `group`: ends at the first failure (which reaches
   * the plan through the inbox), or at `timeout` (statuses are put back).
   * Answers at once, without a promise, when the group is empty or already
   * finished: most waits of a step scan find their statuses done, and
   * bluesky's `_wait` does not suspend then either.
   * @returns true when finished; false on a timeout with errorOnTimeout=false.
   * @throws WaitForTimeoutError on a timeout with errorOnTimeout=true.
   */
  wait(group: unknown, opts: WaitOptions, clock: Clock, cancelSignal: () => AbortSignal,
    hook: ((statuses: ReadonlySet<Status> | null) => void) | null): boolean | Promise<boolean> {
    const statuses = this.#groups.get(group);
    if (statuses === undefined || statuses.length === 0) return true;
    this.#groups.delete(group);
    if (finished(statuses)) return true;
    return this.#waitPending(group, statuses, opts, clock, cancelSignal, hook);
  }

  async #waitPending(group: unknown, statuses: Status[], opts: WaitOptions, clock: Clock, cancelSignal: () => AbortSignal,
    hook: ((statuses: ReadonlySet<Status> | null) => void) | null): Promise<boolean> {
    hook?.(new Set(statuses));
    // Created only now: most waits find their statuses already done.
    const signal = cancelSignal();
    let timedOut = false;
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = new AbortController();
        let settled = false;
        const finish = (error?: unknown): void => {
          if (settled) return;
          settled = true;
          timer.abort();
          signal.removeEventListener('abort', onAbort);
          if (error === undefined) resolve(); else reject(error);
        };
        const onAbort = (): void => finish(signal.reason ?? new Error('wait cancelled'));
        signal.addEventListener('abort', onAbort, { once: true });
        for (const s of statuses) s.addCallback(() => { if (finished(statuses)) finish(); });
        for (const w of opts.watch) {
          for (const s of this.#groups.get(w) ?? []) s.addCallback((x) => { if (!x.success) finish(); });
        }
        if (opts.timeout !== null) {
          clock.sleep(opts.timeout, timer.signal).then(() => { timedOut = !finished(statuses); finish(); }, () => {});
        }
      });
    } finally {
      if (timedOut || !finished(statuses)) {
        const back = this.#groups.get(group) ?? [];
        this.#groups.set(group, [...statuses, ...back]);
      }
      if (opts.errorOnTimeout || !timedOut) hook?.(null);
    }
    if (timedOut) {
      if (opts.errorOnTimeout) throw new WaitForTimeoutError();
      return false;
    }
    return true;
  }
}

/** Every status done, or one done and failed (its failure ends the wait). */
function finished(statuses: readonly Status[]): boolean {
  return statuses.every((s) => s.done) || statuses.some((s) => s.done && !s.success);
}
