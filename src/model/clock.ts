/**
 * Time for the engine: injected so that the engine core never touches timers or
 * the wall clock directly (and tests can control it). The default uses the
 * JavaScript globals.
 * @module
 */
import { sleepFor } from './timers.js';

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
  // Any length: sleeps above 2^31-1 ms are chunked (a bare setTimeout would fire at once).
  sleep: sleepFor,
  yieldToLoop: () => new Promise<void>((resolve) => setImmediate(resolve)),
  uuid: () => globalThis.crypto.randomUUID(),
};

/** `prefix-` plus 6 hex characters (bluesky `short_uid`). */
export function shortUid(prefix = ''): string {
  const hex = globalThis.crypto.randomUUID().replaceAll('-', '').slice(0, 6);
  return prefix ? `${prefix}-${hex}` : hex;
}
