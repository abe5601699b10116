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
 * were left out. The addresses remembered are bounded too ({@link MAX_SOURCES}).
 * @module
 */
import type { AuditLog } from './audit-log.js';
import { summariseParams } from './audit-log.js';

export const REFUSAL_BURST = 10;
export const REFUSAL_EVERY_MS = 6_000;
/** Sources remembered at most; past that the oldest is forgotten (its next refusal starts a new burst). */
export const MAX_SOURCES = 1_000;

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

interface Bucket { tokens: number; at: number; dropped: number }

export class RefusalLog {
  readonly #audit: AuditLog;
  readonly #now: () => number;
  readonly #sources = new Map<string, Bucket>();

  constructor(audit: AuditLog, options: { now?: () => number } = {}) {
    this.#audit = audit;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Record `r`, unless its source is over its allowance (then it is counted for the next entry). */
  record(r: Refused): void {
    const now = this.#now();
    let b = this.#sources.get(r.address);
    if (b === undefined) {
      if (this.#sources.size >= MAX_SOURCES) this.#sources.delete(this.#sources.keys().next().value as string);
      b = { tokens: REFUSAL_BURST, at: now, dropped: 0 };
      this.#sources.set(r.address, b);
    } else {
      b.tokens = Math.min(REFUSAL_BURST, b.tokens + (now - b.at) / REFUSAL_EVERY_MS);
      b.at = now;
    }
    if (b.tokens < 1) { b.dropped++; return; }
    b.tokens -= 1;
    const more = b.dropped === 0 ? '' : ` (and ${String(b.dropped)} more refused from ${r.address} before this, not recorded)`;
    b.dropped = 0;
    this.#audit.record({ time: Date.now() / 1000, who: r.who, protocol: r.protocol, op: r.op, params: summariseParams(r.params), outcome: r.outcome, message: r.message + more });
  }
}
