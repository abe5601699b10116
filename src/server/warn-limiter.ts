/**
 * Warnings caused by clients (bad frames, refused origins, sockets reset under
 * a backlog) rate-limited per client address: the first few in each interval
 * are logged, the rest counted and reported as one summary line when the
 * interval ends. Each log line is also a v2 `log` event stored in the run
 * store, so a misbehaving client must not be able to write without bound.
 * @module
 */
import type { Logger } from './logger.js';

export interface WarnLimiterOptions {
  /** Warnings logged per client per interval before the rest are only counted. Default 5. */
  burst?: number;
  /** Interval in ms. Default 60 000. */
  intervalMs?: number;
}

interface Bucket { logged: number; suppressed: number; first: string }

export class WarnLimiter {
  readonly #log: Logger;
  readonly #burst: number;
  readonly #intervalMs: number;
  #buckets = new Map<string, Bucket>();
  #timer: NodeJS.Timeout | null = null;

  constructor(log: Logger, options: WarnLimiterOptions = {}) {
    this.#log = log;
    this.#burst = options.burst ?? 5;
    this.#intervalMs = options.intervalMs ?? 60_000;
  }

  /** Log `msg` at warn for client `peer` unless it has used up its burst this interval. */
  warn(peer: string | undefined, fields: Record<string, unknown>, msg: string, log: Logger = this.#log): void {
    const key = peer ?? 'unknown';
    let b = this.#buckets.get(key);
    if (b === undefined) { b = { logged: 0, suppressed: 0, first: msg }; this.#buckets.set(key, b); }
    if (b.logged < this.#burst) {
      b.logged++;
      log.warn(fields, msg);
    } else {
      b.suppressed++;
    }
    this.#arm();
  }

  /** Report what was suppressed and start a new interval (the timer does this; tests call it). */
  flush(): void {
    const buckets = this.#buckets;
    this.#buckets = new Map();
    for (const [peer, b] of buckets) {
      if (b.suppressed > 0) this.#log.warn({ peer, suppressed: b.suppressed, seconds: this.#intervalMs / 1000 }, `${String(b.suppressed)} more warnings from this client suppressed (first: ${b.first})`);
    }
  }

  stop(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.flush();
  }

  #arm(): void {
    if (this.#timer !== null) return;
    this.#timer = setTimeout(() => { this.#timer = null; this.flush(); }, this.#intervalMs);
    this.#timer.unref();
  }
}
