/**
 * Where an item goes, as bluesky-queueserver's `pos` / `before_uid` / `after_uid`:
 * pure functions of the pending items' uids, so the property test can check
 * them against a plain array.
 * @module
 */
import { QueueError } from './errors.js';
import type { Position } from './types.js';

/**
 * The index at which an item is inserted so that it ends up there: `back` (the
 * default) → n; `front` → 0; an index k ≥ 0 → min(k, n); k < 0 counts from the end
 * (-1 = the back, -2 = before the last) and stops at the front; before/after an item's uid.
 * @throws QueueError `bad_request` for two positions at once, `unknown_item` for a uid not pending
 */
export function insertionIndex(uids: readonly string[], p: Position, field = ''): number {
  const given = (['pos', 'before_uid', 'after_uid'] as const).filter((k) => p[k] !== undefined);
  if (given.length > 1) {
    throw new QueueError('bad_request', { problem: `give one of pos, before_uid, after_uid, not ${given.join(' and ')}` }, [{ path: `${field}/${given[1] ?? ''}`, message: 'only one position may be given', expected: 'one of pos, before_uid, after_uid', got: given.join(', ') }]);
  }
  const n = uids.length;
  if (p.before_uid !== undefined || p.after_uid !== undefined) {
    const uid = (p.before_uid ?? p.after_uid) as string;
    const i = uids.indexOf(uid);
    // Only pending items are places in the queue: the running one (or a finished one) is not.
    if (i < 0) throw QueueError.unknownItem(uid, `${field}/${p.before_uid !== undefined ? 'before_uid' : 'after_uid'}`, 'no pending item has this uid: a position is before or after a pending item');
    return p.before_uid !== undefined ? i : i + 1;
  }
  const pos = p.pos ?? 'back';
  if (pos === 'back') return n;
  if (pos === 'front') return 0;
  return pos >= 0 ? Math.min(pos, n) : Math.max(0, n + 1 + pos);
}

/** Insert `values` at `index` of a copy of `list`. */
export function insertedAt<T>(list: readonly T[], index: number, values: readonly T[]): T[] {
  return [...list.slice(0, index), ...values, ...list.slice(index)];
}
