/**
 * Attempts refused before they reach an operation: no key or a wrong one, a
 * page of another origin, a `Host` that is not ours. `invoke` records the
 * refusals of the operations themselves (a `forbidden` scope, the `locked`
 * lock); these never get that far, yet they are what an operator most wants
 * to see: somebody guessing keys, or a web page trying to drive the
 * beamline. They go to the same audit log, as `who`: `unauthenticated from
 * ADDRESS` or `origin ORIGIN from ADDRESS`.
 *
 * Recorded, per source address, at most {@link REFUSAL_BURST} at once and then
 * one every {@link REFUSAL_EVERY_MS}: an attacker's flood must not flood the
 * database (or the disk) with it. The entry after a quiet spell says how many
 * were left out. The addresses remembered are bounded too ({@link MAX_SOURCES}),
 * and so is the whole ({@link TOTAL_BURST} at once, then one every
 * {@link TOTAL_EVERY_MS}), for a flood from many addresses.
 * @module
 */
import type { AuditLog } from './audit-log.js';
import { summariseParams } from './audit-log.js';

export const REFUSAL_BURST = 10;
export const REFUSAL_EVERY_MS = 6_000;
/** Sources remembered at most; past that the oldest is forgotten (its next refusal starts a new burst). */
export const MAX_SOURCES = 1_000;
/** From every address together: at most this many at once, then one every TOTAL_EVERY_MS (100 a minute). */
export const TOTAL_BURST = 100;
export const TOTAL_EVERY_MS = 600;

/** One refused attempt. */
export interface Refused {
  /** The peer's address (the limiter's key). */
  address: string;
  /** `unauthenticated from ADDRESS`, `origin ORIGIN from ADDRESS`, … */
  who: string;
  protocol: string;
  /** The operation it asked for (`auth`, `login` and `connect` for the front door's own). */
  op: string;
  params: unknown;
  /** The error code it got (`unauthorized`, `bad_origin`, `bad_host`). */
  outcome: string;
  message: string;
}

/** A token bucket: `tokens` refill at one per `everyMs` up to `burst`; `dropped` counts what found it empty. */
class Bucket {
  tokens: number;
  at: number;
  dropped = 0;
  readonly #burst: number;
  readonly #everyMs: number;
  constructor(burst: number, everyMs: number, now: number) { this.#burst = burst; this.#everyMs = everyMs; this.tokens = burst; this.at = now; }

  /** Take a token; false (and one more dropped) when there is none. */
  take(now: number): boolean {
    this.tokens = Math.min(this.#burst, this.tokens + (now - this.at) / this.#everyMs);
    this.at = now;
    if (this.tokens < 1) { this.dropped++; return false; }
    this.tokens -= 1;
    return true;
  }
}

export class RefusalLog {
  readonly #audit: AuditLog;
  readonly #now: () => number;
  readonly #sources = new Map<string, Bucket>();
  readonly #total: Bucket;

  constructor(audit: AuditLog, options: { now?: () => number } = {}) {
    this.#audit = audit;
    this.#now = options.now ?? (() => performance.now());
    this.#total = new Bucket(TOTAL_BURST, TOTAL_EVERY_MS, this.#now());
  }

  /** Record `r`, unless its source (or everyone) is over the allowance: then it is counted for a later entry. */
  record(r: Refused): void {
    const now = this.#now();
    let source = this.#sources.get(r.address);
    if (source === undefined) {
      if (this.#sources.size >= MAX_SOURCES) this.#sources.delete(this.#sources.keys().next().value as string);
      source = new Bucket(REFUSAL_BURST, REFUSAL_EVERY_MS, now);
      this.#sources.set(r.address, source);
    }
    if (!source.take(now) || !this.#total.take(now)) return;
    let more = '';
    if (source.dropped > 0) more += ` (and ${String(source.dropped)} more refused from ${r.address} before this, not recorded)`;
    if (this.#total.dropped > 0) more += ` (and ${String(this.#total.dropped)} more refused attempts from anywhere, not recorded: too many at once)`;
    source.dropped = 0;
    this.#total.dropped = 0;
    this.#audit.record({ time: Date.now() / 1000, who: r.who, protocol: r.protocol, op: r.op, params: summariseParams(r.params), outcome: r.outcome, message: r.message + more });
  }
}
