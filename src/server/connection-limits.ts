/**
 * How many connections the server holds open, against a limit below the
 * process's file-descriptor limit: refused with a clear 503 at the limit (and a
 * warning from 90 % of it) rather than the kernel refusing accepts silently once
 * descriptors run out. Node has no getrlimit: Linux's /proc/self/limits gives
 * the soft limit; elsewhere the default is a fixed 1,000.
 * @module
 */
import { readFileSync } from 'node:fs';

/** Descriptors kept for everything else: the store's files, the engine's worker, logs, EPICS sockets. */
const RESERVE = 128;
const FALLBACK = 1000;

/** The soft limit on open files (`ulimit -n`), or null when unknown. */
export function descriptorLimit(): number | null {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (m === null) return null;
    return m[1] === 'unlimited' ? null : Number(m[1]);
  } catch {
    return null;
  }
}

/** The default `--max-connections`: the descriptor limit less a reserve (at least 16). */
export function defaultMaxConnections(): number {
  const fds = descriptorLimit();
  return fds === null ? FALLBACK : Math.max(16, fds - RESERVE);
}

export interface ConnectionLimits {
  readonly max: number;
  readonly open: number;
  opened(): void;
  closed(): void;
  /** At the limit: refuse. (The connection asking is already counted.) */
  full(): boolean;
  /** At 90 % of the limit or more: warn. */
  near(): boolean;
}

export function connectionLimits(max = defaultMaxConnections()): ConnectionLimits {
  if (!Number.isSafeInteger(max) || max < 1) throw new RangeError(`maxConnections must be a whole number >= 1, got ${String(max)}`);
  let open = 0;
  return {
    max,
    get open() { return open; },
    opened() { open++; },
    closed() { open--; },
    full: () => open > max,
    near: () => open >= max * 0.9,
  };
}
