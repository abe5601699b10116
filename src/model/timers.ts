/**
 * Timers for waits of any length. `setTimeout` fires after 1 ms for any delay
 * above 2^31-1 ms (about 24.8 days), so every wait a user can size (sleeps,
 * delays, status and wait timeouts, suspender sleeps) goes through here.
 * @module
 */

/** The longest delay `setTimeout` honours: 2^31-1 ms (about 24.8 days). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A pending {@link longTimeout}. */
export interface LongTimer {
  /** Cancel it (idempotent; harmless after it fired). */
  clear(): void;
}

/**
 * Call `fn` once after `ms` milliseconds, whatever `ms` is: a delay above
 * {@link MAX_TIMER_MS} is waited in chunks of at most that. NaN and negative
 * delays are 0 (as `setTimeout` treats them); `Infinity` never fires (a wait
 * until cleared). Like `setTimeout`, the pending timer keeps the process alive.
 * @example const t = longTimeout(() => console.log('30 days later'), 30 * 86_400_000); t.clear();
 */
export function longTimeout(fn: () => void, ms: number): LongTimer {
  let remaining = ms > 0 ? ms : 0;
  let handle: ReturnType<typeof setTimeout> | null = null;
  const arm = (): void => {
    const chunk = Math.min(remaining, MAX_TIMER_MS);
    // Infinity - MAX_TIMER_MS stays Infinity: an infinite wait re-arms forever.
    remaining -= chunk;
    handle = setTimeout(remaining > 0 ? arm : fire, chunk);
  };
  const fire = (): void => {
    handle = null;
    fn();
  };
  arm();
  return {
    clear: () => {
      if (handle !== null) clearTimeout(handle);
      handle = null;
    },
  };
}

/**
 * Resolve after `seconds` (any length, see {@link longTimeout}); reject with
 * `signal.reason` if `signal` aborts first (or already has).
 * @example await sleepFor(2.5, controller.signal)
 */
export function sleepFor(seconds: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) { reject(signal.reason); return; }
    const onAbort = (): void => { timer.clear(); reject(signal?.reason); };
    const timer = longTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, seconds * 1000);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** What {@link within} saw: the value, or that `ms` passed first. */
export type Within<T> = { late: false; value: T } | { late: true };

/**
 * `fn()`'s value, or `{late: true}` if it has not settled within `ms` (the work itself
 * goes on: this only stops waiting for it). A rejection (or a throw) rejects.
 * @example const r = await within(() => device.describe(), 2000); if (r.late) ...
 */
export async function within<T>(fn: () => T | Promise<T>, ms: number): Promise<Within<T>> {
  let timer: LongTimer | undefined;
  const late = new Promise<Within<T>>((resolve) => { timer = longTimeout(() => resolve({ late: true }), ms); });
  try {
    return await Promise.race([Promise.resolve().then(fn).then((value): Within<T> => ({ late: false, value })), late]);
  } finally {
    timer?.clear();
  }
}
