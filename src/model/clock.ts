/**
 * Time for the engine: injected so that the engine core never touches timers or
 * the wall clock directly (and tests can control it). The default uses the
 * JavaScript globals.
 * @module
 */

export interface Clock {
  /** Seconds since the UNIX epoch, as a float (event-model `time`). */
  now(): number;
  /** Resolve after `seconds`; reject with `signal.reason` when aborted. */
  sleep(seconds: number, signal?: AbortSignal): Promise<void>;
  /** Give other macrotasks (sockets, timers) a turn. */
  yieldToLoop(): Promise<void>;
  /** A new UUID4 string. */
  uuid(): string;
}

export const systemClock: Clock = {
  now: () => Date.now() / 1000,
  sleep: (seconds, signal) => new Promise<void>((resolve, reject) => {
    if (signal?.aborted) { reject(signal.reason); return; }
    const onAbort = (): void => { clearTimeout(timer); reject(signal?.reason); };
    const timer = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, Math.max(0, seconds * 1000));
    signal?.addEventListener('abort', onAbort, { once: true });
  }),
  yieldToLoop: () => new Promise<void>((resolve) => setImmediate(resolve)),
  uuid: () => globalThis.crypto.randomUUID(),
};

/** `prefix-` plus 6 hex characters (bluesky `short_uid`). */
export function shortUid(prefix = ''): string {
  const hex = globalThis.crypto.randomUUID().replaceAll('-', '').slice(0, 6);
  return prefix ? `${prefix}-${hex}` : hex;
}
