/**
 * Time for the engine: injected so that the engine core never touches timers or
 * the wall clock directly (and tests can control it). The default uses the
 * JavaScript globals, and node:crypto for uids.
 * @module
 */
import { randomFillSync, randomUUID } from 'node:crypto';
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
  // node:crypto, not the global Web Crypto: Node loads the Web Crypto layer on first touch (~2 ms
  // inside a process's first run); node:crypto's functions are the same generator, loaded with us.
  uuid: () => randomUUID(),
};

/** Random bytes drawn in blocks: one crypto call per ~1,300 short uids instead of one per uid. */
const pool = new Uint8Array(4095);
let poolPos = pool.length;

/**
 * `prefix-` plus 6 random hex characters (bluesky `short_uid`: the first 6 of
 * a uuid4, all random). Every step of a scan makes two, so they come from a
 * pooled random buffer rather than a whole `randomUUID()` each.
 */
export function shortUid(prefix = ''): string {
  if (poolPos >= pool.length) {
    randomFillSync(pool);
    poolPos = 0;
  }
  const v = ((pool[poolPos] as number) << 16) | ((pool[poolPos + 1] as number) << 8) | (pool[poolPos + 2] as number);
  poolPos += 3;
  const hex = v.toString(16).padStart(6, '0');
  return prefix ? `${prefix}-${hex}` : hex;
}
