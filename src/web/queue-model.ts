/**
 * The Queue tab's view model, with no I/O: the queue as the server last said
 * (`queue.get`) plus the `queue` events of the stream after it, the history
 * (`history.get` plus `finished` events), and the arithmetic of reordering
 * (a keyboard move, a drop) as the positions `queue.move` takes.
 *
 * A snapshot is loaded while events keep arriving: {@link QueueFeed.begin}
 * holds them back until {@link QueueFeed.loaded} brings the view, then those
 * newer than the view's `seq` are applied, so nothing is lost or applied twice.
 * @module
 */
import type { Ops, QueueData } from '../protocol/v2/client.js';

export type QueueView = Ops['queue.get']['result'];
export type QueueItem = QueueView['items'][number];
export type RunningItem = NonNullable<QueueView['running']>;
export type HistoryEntry = Ops['history.get']['result']['entries'][number];
export type QueueMode = QueueView['mode'];
export type MovePosition = { pos: 'front' | 'back' | number } | { before_uid: string } | { after_uid: string };

/** The queue view after one change (a new object; `view` is left as it was). */
export function applyChange(view: QueueView, c: QueueData, seq: number): QueueView {
  const v: QueueView = { ...view, seq };
  switch (c.change) {
    case 'added': {
      const items = [...view.items];
      items.splice(Math.min(Math.max(0, c.index), items.length), 0, ...c.items);
      return { ...v, items };
    }
    case 'removed': {
      const gone = new Set(c.item_uids);
      return { ...v, items: view.items.filter((i) => !gone.has(i.item_uid)) };
    }
    case 'moved': {
      const item = view.items.find((i) => i.item_uid === c.item_uid);
      if (item === undefined) return v;
      const items = view.items.filter((i) => i !== item);
      items.splice(Math.min(Math.max(0, c.index), items.length), 0, item);
      return { ...v, items };
    }
    case 'updated': return { ...v, items: view.items.map((i) => (i.item_uid === c.item.item_uid ? c.item : i)) };
    case 'cleared': return { ...v, items: [] };
    // The front item left the queue and started (removed here even if an older view still had it at the front).
    case 'running': return { ...v, running: c.running, items: view.items.filter((i) => i.item_uid !== c.running.item.item_uid) };
    case 'run': {
      const r = view.running;
      if (r === null || r.item.item_uid !== c.item_uid) return v;
      return { ...v, running: { ...r, runs: [...r.runs, c.run] } };
    }
    case 'finished': return view.running?.item.item_uid === c.entry.item.item_uid ? { ...v, running: null } : v;
    case 'state': return { ...v, state: c.state, stop_pending: c.stop_pending };
    case 'mode': return { ...v, mode: c.mode };
    case 'history_cleared': return v;
  }
}

/** One execution of an item: an item uid runs again after a crash, so its start time is part of the key. */
const entryKey = (e: HistoryEntry): string => `${e.item.item_uid}@${String(e.result.time_start)}`;

/** The history (newest first) after one change; `finished` entries already held are not added twice. */
export function applyHistoryChange(h: { entries: HistoryEntry[]; total: number }, c: QueueData): { entries: HistoryEntry[]; total: number } {
  if (c.change === 'history_cleared') return { entries: [], total: 0 };
  if (c.change !== 'finished') return h;
  const key = entryKey(c.entry);
  if (h.entries.some((e) => entryKey(e) === key)) return h;
  return { entries: [c.entry, ...h.entries], total: h.total + 1 };
}

/** An older page appended to the history held (entries already held are skipped). */
export function appendHistory(held: readonly HistoryEntry[], page: readonly HistoryEntry[]): HistoryEntry[] {
  const keys = new Set(held.map(entryKey));
  return [...held, ...page.filter((e) => !keys.has(entryKey(e)))];
}

/**
 * The `queue.move` position that moves item `uid` by `delta` places (negative: towards the
 * front), or null when it would not move (not pending, or already at that end). `queue.move`
 * reads an index against the queue without the moved item, so the target index is the final one.
 */
export function moveBy(items: readonly QueueItem[], uid: string, delta: number): MovePosition | null {
  const i = items.findIndex((x) => x.item_uid === uid);
  if (i < 0) return null;
  const to = Math.min(Math.max(0, i + delta), items.length - 1);
  return to === i ? null : { pos: to };
}

/** Move to the front or the back, or null when it is there already. */
export function moveToEnd(items: readonly QueueItem[], uid: string, end: 'front' | 'back'): MovePosition | null {
  const i = items.findIndex((x) => x.item_uid === uid);
  if (i < 0 || (end === 'front' ? i === 0 : i === items.length - 1)) return null;
  return { pos: end };
}

/**
 * Dropping item `dragged` on item `target` (in its upper half: before it, lower half: after it):
 * the position for `queue.move`, or null when the order would not change.
 */
export function dropPosition(items: readonly QueueItem[], dragged: string, target: string, after: boolean): MovePosition | null {
  const from = items.findIndex((x) => x.item_uid === dragged);
  const at = items.findIndex((x) => x.item_uid === target);
  if (from < 0 || at < 0 || dragged === target) return null;
  // Beside its own neighbour, on the side it already is: no change.
  if ((after && at === from - 1) || (!after && at === from + 1)) return null;
  return after ? { after_uid: target } : { before_uid: target };
}

/** The order after a move, computed here (for tests and for saying where an item went). */
export function moved(items: readonly QueueItem[], uid: string, p: MovePosition): QueueItem[] {
  const item = items.find((x) => x.item_uid === uid);
  if (item === undefined) return [...items];
  const rest = items.filter((x) => x !== item);
  let at: number;
  if ('pos' in p) {
    if (p.pos === 'front') at = 0;
    else if (p.pos === 'back') at = rest.length;
    else at = p.pos < 0 ? Math.max(0, rest.length + 1 + p.pos) : Math.min(p.pos, rest.length);
  } else if ('before_uid' in p) at = Math.max(0, rest.findIndex((x) => x.item_uid === p.before_uid));
  else at = rest.findIndex((x) => x.item_uid === p.after_uid) + 1;
  rest.splice(at, 0, item);
  return rest;
}

/** What a key pressed on a pending item does (Alt+arrows move it; Alt+Home/End: to the front or back; Delete removes). */
export type ItemKey = 'up' | 'down' | 'front' | 'back' | 'remove' | 'focus-prev' | 'focus-next';

export function itemKey(e: { key: string; altKey: boolean; ctrlKey: boolean; metaKey: boolean; shiftKey: boolean }): ItemKey | null {
  if (e.ctrlKey || e.metaKey) return null;
  if (e.altKey) {
    if (e.key === 'ArrowUp') return 'up';
    if (e.key === 'ArrowDown') return 'down';
    if (e.key === 'Home') return 'front';
    if (e.key === 'End') return 'back';
    return null;
  }
  if (e.shiftKey) return null;
  if (e.key === 'Delete') return 'remove';
  if (e.key === 'ArrowUp') return 'focus-prev';
  if (e.key === 'ArrowDown') return 'focus-next';
  return null;
}

/** The move a key asks for, or null (not a move, or nowhere to go). */
export function keyMove(items: readonly QueueItem[], uid: string, key: ItemKey): MovePosition | null {
  switch (key) {
    case 'up': return moveBy(items, uid, -1);
    case 'down': return moveBy(items, uid, 1);
    case 'front': return moveToEnd(items, uid, 'front');
    case 'back': return moveToEnd(items, uid, 'back');
    default: return null;
  }
}

/** `{detectors: ["det"], num: 5}` as `detectors=det, num=5`, cut at `max` characters. */
export function paramsSummary(params: unknown, max = 80): string {
  if (params === undefined || params === null) return '';
  const text = typeof params === 'object' && !Array.isArray(params)
    ? Object.entries(params as Record<string, unknown>).map(([k, v]) => `${k}=${Array.isArray(v) ? v.map(short).join(' ') : short(v)}`).join(', ')
    : short(params);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function short(v: unknown): string {
  if (typeof v === 'string') return v;
  return JSON.stringify(v) ?? String(v);
}

/** An item's name in the list: its plan, or its instruction. */
export function itemTitle(item: QueueItem): string {
  return item.item_type === 'instruction' ? `instruction: ${item.instruction ?? ''}` : item.plan ?? '';
}

/**
 * The queue and its history as the panel holds them: loaded from a snapshot, then changed only
 * by the stream's `queue` events (never polled).
 */
export class QueueFeed {
  view: QueueView | null = null;
  history: HistoryEntry[] = [];
  historyTotal = 0;
  /** Why the queue could not be loaded (e.g. this server has none), shown instead of it. */
  error: string | null = null;
  /** Events held back while a snapshot loads; null when none loads. */
  #held: Array<{ seq: number; change: QueueData }> | null = null;
  /** Which snapshot is awaited: a reconnect during a load asks again, and only the newest answer counts. */
  #loading = 0;

  /** A snapshot is being requested: hold the events until it comes. Returns its token for {@link loaded}. */
  begin(): number { this.#held = []; return ++this.#loading; }

  /** One `queue` event of the stream. */
  event(seq: number, change: QueueData): void {
    if (this.#held !== null) { this.#held.push({ seq, change }); return; }
    this.#apply(seq, change);
  }

  /** The snapshot: the view (from `queue.get`, asked first) and the newest history page (asked after it). */
  loaded(view: QueueView, history: { entries: HistoryEntry[]; total: number }, token = this.#loading): void {
    if (token !== this.#loading) return; // a newer snapshot is on its way
    this.view = view;
    this.history = history.entries;
    this.historyTotal = history.total;
    this.error = null;
    const held = this.#held ?? [];
    this.#held = null;
    for (const h of held) this.#apply(h.seq, h.change);
  }

  /** The snapshot was refused; events are dropped until a snapshot loads. */
  failed(why: string, token = this.#loading): void {
    if (token !== this.#loading) return;
    this.error = why;
    this.view = null;
    this.#held = null;
  }

  /** An older page of the history. */
  older(page: { entries: HistoryEntry[]; total: number }): void {
    this.history = appendHistory(this.history, page.entries);
    this.historyTotal = Math.max(this.historyTotal, page.total, this.history.length);
  }

  #apply(seq: number, change: QueueData): void {
    const v = this.view;
    if (v === null || seq <= v.seq) return; // already in the snapshot
    this.view = applyChange(v, change, seq);
    const h = applyHistoryChange({ entries: this.history, total: this.historyTotal }, change);
    this.history = h.entries;
    this.historyTotal = h.total;
  }
}
