/**
 * The `api_keys` table as the SQLite and PostgreSQL key stores read it: the
 * same columns in both, the row as a `KeyRecord`, and how often a lookup
 * marks its key used.
 * @module
 */
import { SCOPES } from '../ops/index.js';
import type { KeyRecord } from './keys.js';

/** What a lookup reads (never the hash). */
export const KEY_COLUMNS = 'name, scopes, created, last_used, revoked';

export interface KeyRow { name: string; scopes: string; created: number; last_used: number | null; revoked: number | null }

export function keyRecord(r: KeyRow): KeyRecord {
  const words = r.scopes.split(',');
  return { name: r.name, scopes: SCOPES.filter((s) => words.includes(s)), created: r.created, lastUsed: r.last_used, revoked: r.revoked };
}

/** Marking a key used more often than this would be a write per request. */
const TOUCH_EVERY_S = 60;

/** When each key was last marked used by this process, so a key in use is written once a minute, not per request. */
export class TouchThrottle {
  readonly #touched = new Map<string, number>();

  /** True when key `hash` is due a last-used mark at `now` (s since the epoch); it counts as marked from then. */
  due(hash: string, now: number): boolean {
    if (now - (this.#touched.get(hash) ?? 0) <= TOUCH_EVERY_S) return false;
    this.#touched.set(hash, now);
    return true;
  }
}
