/**
 * The plan queue's scheduler, on the main thread beside the Dispatcher: it
 * holds the pending items, the running item, the mode and the history in
 * memory, writes every change through its {@link QueueStore} (one transaction
 * per change) and tells listeners (v2's `queue` topic). While the queue runs
 * it starts the next item the moment the engine host reports the previous
 * item over (`item_end`), so the gap between items is the engine's own.
 *
 * The store is asynchronous (PostgreSQL is a network away), so every change
 * runs in one serial chain: it reads the queue as the changes before it left
 * it, waits for its write, and only then changes the memory copy and tells
 * the listeners. A client's change that could not be kept is refused and
 * leaves the queue as it was; an item's end that could not be kept is logged
 * (the run happened) and the memory copy follows what happened.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { setImmediate as turn } from 'node:timers/promises';
import type { Dispatcher } from '../dispatcher/index.js';
import type { HostEvent } from '../host/index.js';
import { Serial } from '../model/serial.js';
import { QueueError } from './errors.js';
import { insertedAt, insertionIndex } from './positions.js';
import { MemoryQueueStore, type QueueStore, type QueueWrite, type StoredItem } from './store.js';
import {
  DEFAULT_MODE, type ExitStatus, type HistoryEntry, type ItemError, type ItemInput, type ItemRun, type Position, type QueueChange, type QueueItem,
  type QueueMode, type QueueState, type RunningItem,
} from './types.js';

export interface SchedulerOptions {
  /** Where the queue is kept (default: memory only). */
  store?: QueueStore;
  /** Seconds since the epoch (tests inject a clock). */
  now?: () => number;
  /** Told about a store write or listener that failed. */
  onError?: (message: string, error: unknown) => void;
}

/** What `queue.get` answers. */
export interface QueueView {
  items: QueueItem[];
  running: RunningItem | null;
  mode: QueueMode;
  state: QueueState;
  /** `queue.stop` was asked while an item runs: the queue stops after it. */
  stop_pending: boolean;
}

/** What `item.get` answers: where the item is and, once it ran, how it ended. */
export interface ItemStatus {
  item_uid: string;
  status: 'pending' | 'running' | 'done';
  item: QueueItem;
  /** Its index in the queue while pending. */
  index: number | null;
  exit_status: ExitStatus | null;
  time_start: number | null;
  time_stop: number | null;
  runs: ItemRun[];
  error: ItemError | null;
  /** Earlier runs of this item (an item interrupted by a crash is run again with its uid), newest first. */
  attempts: HistoryEntry[];
}

/** The exceptions a plan sees when a control verb interrupts it: not failures of their own. */
const INTERRUPTIONS = new Set(['RunEngineInterrupted', 'RequestStop', 'RequestAbort', 'PlanHalt']);
const VERB_OF: Partial<Record<string, 'stop' | 'abort' | 'halt'>> = { stopping: 'stop', aborting: 'abort', halting: 'halt' };
const SEVERITY = { stop: 1, abort: 2, halt: 3 } as const;

interface Track {
  /**
   * Replaced, never changed in place: the store, the listeners and the history are handed these
   * objects themselves (a structured clone of each, per item, was a fifth of what the server's
   * thread allocated while a queue of quick items ran; docs/queue.md "Performance").
   */
  entry: Readonly<RunningItem>;
  error: ItemError | null;
  /** The strongest control verb seen while it ran. */
  verb: 'stop' | 'abort' | 'halt' | null;
  /** The host accepted it (an `item_end` will follow). */
  started: boolean;
  /** Its end is on the chain (an item ends once). */
  ended: boolean;
  /** The event loop has turned since it was launched (set by a setImmediate then). */
  turned: boolean;
}

export class QueueScheduler {
  readonly dispatcher: Dispatcher;
  readonly #store: QueueStore;
  readonly #now: () => number;
  readonly #onError: (message: string, error: unknown) => void;
  #items: StoredItem[];
  #running: Track | null = null;
  #mode: QueueMode;
  #history: HistoryEntry[];
  #state: QueueState = 'stopped';
  #stopPending = false;
  /** Left over from the last process: recorded as interrupted by `recover()`. */
  #crashed: RunningItem | null;
  #listeners: Array<(c: QueueChange) => void> = [];
  /** Every change, one after another (see the module comment). */
  readonly #chain = new Serial();
  /** Set by `beginShutdown`: the item the shutdown aborts is recorded as interrupted. */
  #shutdown: { reason: string; requeue: boolean } | null = null;
  readonly #undo: Array<() => void> = [];

  constructor(dispatcher: Dispatcher, options: SchedulerOptions = {}) {
    this.dispatcher = dispatcher;
    this.#store = options.store ?? new MemoryQueueStore();
    this.#now = options.now ?? (() => Date.now() / 1000);
    this.#onError = options.onError ?? (() => {});
    this.#items = [];
    this.#mode = { ...DEFAULT_MODE };
    this.#history = [];
    this.#crashed = null;
    this.#undo.push(dispatcher.engineHost.onEvent((e) => this.#onHostEvent(e)));
    this.#undo.push(dispatcher.listenDocuments((name, doc) => this.#onDocument(name, doc as Record<string, unknown>)));
  }

  get state(): QueueState { return this.#state; }
  /** The queue is taking items (a direct `start` is refused meanwhile). */
  get running(): boolean { return this.#state === 'running'; }
  get runningItem(): RunningItem | null { return this.#running === null ? null : structuredClone(this.#running.entry); }
  get length(): number { return this.#items.length; }
  get storeLocation(): string { return this.#store.location; }

  /** Read the queue from the store (before `recover()` and before the first change; a new scheduler is empty until then). */
  load(): Promise<void> {
    return this.#serial(async () => {
      const snap = await this.#store.load();
      this.#items = snap.items;
      this.#mode = snap.mode;
      this.#history = snap.history;
      this.#crashed = snap.running;
    });
  }

  /** Resolves once every change asked so far is written (or failed) and applied. */
  settled(): Promise<void> { return this.#chain.settled(); }

  /** Listen to every change (shared with the queue's own copy: read it, never change it); returns the removal function. */
  onChange(fn: (c: QueueChange) => void): () => void {
    this.#listeners = [...this.#listeners, fn];
    return () => { this.#listeners = this.#listeners.filter((f) => f !== fn); };
  }

  /**
   * After a crash: the item that was running goes to the history as `interrupted`
   * (its runs' verdicts from `runInfo`, the run store's, when given) and, with
   * `requeue`, back to the front of the queue with its uid. The queue stays stopped.
   */
  recover(options: { requeue: boolean; runInfo?: (uid: string) => Promise<ItemRun | undefined> | ItemRun | undefined }): Promise<HistoryEntry | null> {
    return this.#serial(() => this.#recover(options));
  }

  async #recover(options: { requeue: boolean; runInfo?: (uid: string) => Promise<ItemRun | undefined> | ItemRun | undefined }): Promise<HistoryEntry | null> {
    const crashed = this.#crashed;
    this.#crashed = null;
    if (crashed === null) return null;
    const runs: ItemRun[] = [];
    for (const r of crashed.runs) runs.push((await options.runInfo?.(r.uid)) ?? r);
    const entry: HistoryEntry = {
      item: crashed.item,
      result: {
        exit_status: 'interrupted', time_start: crashed.time_start, time_stop: this.#now(), runs, run_uids: runs.map((r) => r.uid),
        error: { type: 'ServerInterrupted', message: 'the server stopped while the item ran (crash or kill)' },
      },
    };
    const write: QueueWrite = { running: null, history: [entry] };
    let requeued: StoredItem | null = null;
    if (options.requeue && !this.#items.some((s) => s.item.item_uid === crashed.item.item_uid)) {
      requeued = { item: crashed.item, pos: this.#posAt(0) };
      write.items = [{ op: 'put', item: requeued.item, pos: requeued.pos }];
    }
    await this.#store.write(write);
    this.#history.push(entry);
    this.#emit({ change: 'finished', entry });
    if (requeued !== null) {
      this.#items.unshift(requeued);
      this.#emit({ change: 'added', index: 0, items: [requeued.item] });
    }
    return entry;
  }

  view(): QueueView {
    return structuredClone({
      items: this.#items.map((s) => s.item), running: this.#running?.entry ?? null, mode: this.#mode, state: this.#state, stop_pending: this.#stopPending,
    });
  }

  /** Queue already-validated items at `position`, all or none; returns them with their uids. */
  add(inputs: readonly ItemInput[], position: Position, user: string): Promise<{ index: number; items: QueueItem[] }> {
    return this.#serial(async () => {
      const index = insertionIndex(this.#uids(), position);
      const items = inputs.map((input) => this.#newItem(input, user));
      const stored = this.#place(index, items);
      await this.#write({ items: stored.writes });
      this.#items = stored.list;
      this.#emit({ change: 'added', index, items: structuredClone(items) });
      return { index, items: structuredClone(items) };
    });
  }

  /** Replace the params (and md, when given) of a pending plan item; keeps its uid and place. */
  update(uid: string, change: { params?: unknown; md?: Record<string, unknown> }): Promise<QueueItem> {
    return this.#serial(async () => {
      const i = this.#pendingIndex(uid);
      const s = this.#items[i] as StoredItem;
      if (s.item.item_type !== 'plan') throw new QueueError('bad_request', { problem: `item ${uid} is an instruction: it has no params` }, [{ path: '/item_uid', message: 'an instruction has no params', expected: 'a plan item', got: uid }]);
      const item: QueueItem = { ...s.item, ...(change.params === undefined ? {} : { params: change.params }), ...(change.md === undefined ? {} : { md: change.md }) };
      await this.#write({ items: [{ op: 'put', item, pos: s.pos }] });
      this.#items = this.#items.map((x) => (x.item.item_uid === uid ? { item, pos: s.pos } : x));
      this.#emit({ change: 'updated', item: structuredClone(item) });
      return structuredClone(item);
    });
  }

  /** The item of a pending uid (for re-validation before `update`). */
  pendingItem(uid: string): QueueItem {
    return structuredClone((this.#items[this.#pendingIndex(uid)] as StoredItem).item);
  }

  remove(uid: string): Promise<QueueItem> {
    return this.#serial(async () => {
      const s = this.#items[this.#pendingIndex(uid)] as StoredItem;
      await this.#write({ items: [{ op: 'delete', item_uid: uid }] });
      this.#items = this.#items.filter((x) => x.item.item_uid !== uid);
      this.#emit({ change: 'removed', item_uids: [uid] });
      return structuredClone(s.item);
    });
  }

  /** Move a pending item; `position` is read against the queue without it. Returns its new index. */
  move(uid: string, position: Position): Promise<number> {
    return this.#serial(async () => {
      const i = this.#pendingIndex(uid);
      const s = this.#items[i] as StoredItem;
      const rest = this.#items.filter((_x, j) => j !== i);
      if (position.before_uid === uid || position.after_uid === uid) return i;
      const index = insertionIndex(rest.map((x) => x.item.item_uid), position);
      if (index === i) return i;
      const stored = this.#place(index, [s.item], rest);
      await this.#write({ items: stored.writes });
      this.#items = stored.list;
      this.#emit({ change: 'moved', item_uid: uid, index });
      return index;
    });
  }

  /** Remove every pending item (the running one runs on). Returns how many. */
  clear(): Promise<number> {
    return this.#serial(async () => {
      const n = this.#items.length;
      await this.#write({ items: [{ op: 'clear' }] });
      this.#items = [];
      this.#emit({ change: 'cleared' });
      return n;
    });
  }

  /** Start taking items. @throws QueueError illegal_state (running, or empty), busy (a direct start runs) */
  start(): void {
    if (this.#state === 'running') throw QueueError.state('queue.start', 'the queue is already running');
    if (this.#items.length === 0) throw QueueError.state('queue.start', 'the queue is empty');
    const active = this.dispatcher.activeScan;
    if (this.dispatcher.busy) throw new QueueError('busy', { plan: active?.name ?? this.dispatcher.state }, [{ path: '', message: 'a plan is in progress', got: JSON.stringify(active?.name ?? null) }]);
    this.#setState('running', false);
    this.#next();
  }

  /** Stop after the running item (at once when none runs). */
  stop(): void {
    if (this.#state !== 'running') throw QueueError.state('queue.stop', 'the queue is not running');
    if (this.#running === null) this.#setState('stopped', false);
    else if (!this.#stopPending) this.#setState('running', true);
  }

  /** Take back a pending `stop`. */
  stopCancel(): void {
    if (!this.#stopPending) throw QueueError.state('queue.stop_cancel', 'no queue stop is pending');
    this.#setState('running', false);
  }

  setMode(change: Partial<QueueMode>): Promise<QueueMode> {
    return this.#serial(async () => {
      const mode = { ...this.#mode, ...change };
      await this.#write({ mode });
      this.#mode = mode;
      this.#emit({ change: 'mode', mode: { ...mode } });
      return { ...mode };
    });
  }

  /** History entries, newest first. */
  history(offset: number, limit: number): { entries: HistoryEntry[]; total: number } {
    const total = this.#history.length;
    const end = Math.max(0, total - offset);
    const start = Math.max(0, end - limit);
    return { entries: structuredClone(this.#history.slice(start, end).reverse()), total };
  }

  clearHistory(): Promise<number> {
    return this.#serial(async () => {
      const n = this.#history.length;
      await this.#write({ clearHistory: true });
      this.#history = [];
      this.#emit({ change: 'history_cleared' });
      return n;
    });
  }

  /** Where an item is and how it ended. @throws QueueError unknown_item */
  item(uid: string): ItemStatus {
    const attempts = this.#history.filter((h) => h.item.item_uid === uid).reverse();
    const i = this.#items.findIndex((s) => s.item.item_uid === uid);
    const run = this.#running?.entry.item.item_uid === uid ? this.#running.entry : null;
    const base = { item_uid: uid, exit_status: null, time_stop: null, error: null };
    if (run !== null) return structuredClone({ ...base, status: 'running', item: run.item, index: null, time_start: run.time_start, runs: run.runs, attempts });
    if (i >= 0) return structuredClone({ ...base, status: 'pending', item: (this.#items[i] as StoredItem).item, index: i, time_start: null, runs: [], attempts });
    const last = attempts[0];
    if (last === undefined) throw QueueError.unknownItem(uid);
    const r = last.result;
    return structuredClone({
      item_uid: uid, status: 'done', item: last.item, index: null, exit_status: r.exit_status, time_start: r.time_start, time_stop: r.time_stop,
      runs: r.runs, error: r.error, attempts: attempts.slice(1),
    });
  }

  /**
   * The server is stopping: the item it aborts is recorded as `interrupted` (as after a
   * crash) and, with `requeue`, put back at the front; the queue stops and stays stopped.
   */
  beginShutdown(reason: string, requeue: boolean): void {
    this.#shutdown = { reason, requeue };
    if (this.#running === null) this.#setState('stopped', false);
  }

  /** Stop listening to the dispatcher (the store stays open: its owner closes it). */
  dispose(): void {
    for (const undo of this.#undo.splice(0)) undo();
    this.#listeners = [];
  }

  // -- running items --------------------------------------------------------

  #next(): void {
    void this.#serial(() => this.#takeNext());
  }

  async #takeNext(): Promise<void> {
    if (this.#state !== 'running' || this.#running !== null) return;
    if (this.#stopPending) { this.#setState('stopped', false); return; }
    const head = this.#items[0];
    if (head === undefined) { this.#setState('stopped', false); return; }
    if (this.dispatcher.busy) return; // the item_end of what runs calls #next again
    const track = this.#track(head.item);
    try {
      await this.#write({ items: [{ op: 'delete', item_uid: head.item.item_uid }], running: track.entry });
    } catch (e) {
      // Not recorded as running: not run (it stays first in the queue), and the queue stops.
      this.#onError('the queue could not record the item it was about to start; the queue stops', e);
      this.#setState('stopped', false);
      return;
    }
    this.#launch(track);
  }

  #track(item: QueueItem): Track {
    return { entry: { item, time_start: this.#now(), runs: [] }, error: null, verb: null, started: false, ended: false, turned: false };
  }

  /** Run `track`'s item, the first pending one, already recorded as running in the store. */
  #launch(track: Track): void {
    const item = track.entry.item;
    if (this.#items[0]?.item.item_uid !== item.item_uid) return; // cannot happen: changes run one at a time
    // In place (no other holder of the array: views copy it); a copy per item made a night's queue O(n²).
    this.#items.shift();
    this.#running = track;
    setImmediate(() => { track.turned = true; });
    this.#emit({ change: 'running', running: track.entry });
    if (item.item_type === 'instruction') {
      // queue_stop: done at once; the queue stops (loop mode keeps it for the next round).
      this.#finish(track, 'completed');
      return;
    }
    const md = { ...item.md, item_id: item.item_uid };
    this.dispatcher.startScan(item.plan, item.params, md, item.item_uid).then((outcome) => {
      if (outcome.ok) { track.started = true; return; }
      const error: ItemError = outcome.reason === 'busy' ? { type: 'Busy', message: `the engine was busy with "${outcome.planName ?? 'a plan'}"` }
        : outcome.reason === 'unknown' ? { type: 'UnknownPlan', message: `no plan named "${outcome.name}"` }
          : { type: 'InvalidParams', message: `invalid parameters for "${outcome.name}": ${outcome.summary}` };
      if (this.#running === track) { track.error = error; this.#finish(track, 'failed'); }
    }, (e: unknown) => {
      if (this.#running === track) { track.error = { type: e instanceof Error ? e.name : 'Error', message: e instanceof Error ? e.message : String(e) }; this.#finish(track, 'failed'); }
    });
  }

  #onHostEvent(e: HostEvent): void {
    const track = this.#running;
    if (track === null) return;
    const uid = track.entry.item.item_uid;
    if (e.kind === 'state') {
      const verb = VERB_OF[e.state];
      if (verb !== undefined && (track.verb === null || SEVERITY[verb] > SEVERITY[track.verb])) track.verb = verb;
    } else if (e.kind === 'exception' && (e.itemId === uid || e.itemId === null)) {
      if (!INTERRUPTIONS.has(e.error.name)) track.error = { type: e.error.name, message: e.error.message };
    } else if (e.kind === 'item_end' && e.itemId === uid) {
      this.#finish(track, this.#outcome(track));
    }
  }

  #onDocument(name: string, doc: Record<string, unknown>): void {
    const track = this.#running;
    if (track === null) return;
    if (name === 'start' && this.dispatcher.itemId === track.entry.item.item_uid) {
      const run: ItemRun = { uid: String(doc.uid), exit_status: null, reason: null };
      const entry = { ...track.entry, runs: [...track.entry.runs, run] };
      track.entry = entry;
      void this.#serial(async () => {
        await this.#internalWrite({ running: entry }, 'the queue could not record the run its item opened');
        this.#emit({ change: 'run', item_uid: entry.item.item_uid, run });
      });
    } else if (name === 'stop' && track.entry.runs.some((r) => r.uid === doc.run_start)) {
      const ended: Partial<ItemRun> = { exit_status: typeof doc.exit_status === 'string' ? doc.exit_status : null, reason: typeof doc.reason === 'string' ? doc.reason : null };
      track.entry = { ...track.entry, runs: track.entry.runs.map((r) => (r.uid === doc.run_start ? { ...r, ...ended } : r)) };
    }
  }

  #outcome(track: Track): ExitStatus {
    if (track.verb === 'halt') return 'halted';
    if (track.verb === 'abort' || track.entry.runs.some((r) => r.exit_status === 'abort')) return 'aborted';
    if (track.error !== null || track.entry.runs.some((r) => r.exit_status === 'fail')) return 'failed';
    if (track.verb === 'stop') return 'stopped';
    return 'completed';
  }

  #finish(track: Track, outcome: ExitStatus): void {
    if (this.#running !== track || track.ended) return;
    track.ended = true;
    const timeStop = this.#now();
    // Whether the server was stopping when the item ended (not when its end is written): an item that ended on its own is not interrupted.
    const shutdown = this.#shutdown;
    void this.#serial(() => this.#end(track, outcome, timeStop, shutdown));
  }

  async #end(track: Track, outcome: ExitStatus, timeStop: number, shutdown: { reason: string; requeue: boolean } | null): Promise<void> {
    // At least one turn of the event loop for each item. With the in-process engine an item can start,
    // run and end in promise callbacks alone: a queue of quick items (in loop mode, for ever) would never
    // let the server answer anyone, a stop or a pause included. (The worker's items take turns anyway.)
    if (!track.turned) await turn();
    const runs = track.entry.runs;
    const exit: ExitStatus = shutdown === null ? outcome : 'interrupted';
    const error = shutdown !== null ? { type: 'ServerShutdown', message: shutdown.reason } : exit === 'completed' || exit === 'stopped' ? null : track.error;
    const entry: HistoryEntry = {
      item: track.entry.item,
      result: { exit_status: exit, time_start: track.entry.time_start, time_stop: timeStop, runs, run_uids: runs.map((r) => r.uid), error },
    };
    const write: QueueWrite = { running: null, history: [entry] };
    const items: NonNullable<QueueWrite['items']> = [];
    let again: QueueItem | null = null;
    let againPos = 0;
    let requeued: StoredItem | null = null;
    if (shutdown !== null) {
      if (shutdown.requeue) {
        requeued = { item: track.entry.item, pos: this.#posAt(0) };
        items.push({ op: 'put', item: requeued.item, pos: requeued.pos });
      }
    } else if (this.#mode.loop) {
      // Loop mode: the item goes back to the end as a new item (a uid names one execution in the history).
      again = { ...track.entry.item, item_uid: randomUUID() };
      againPos = this.#posAt(this.#items.length);
      items.push({ op: 'put', item: again, pos: againPos });
    }
    const failed = exit === 'failed' || exit === 'aborted' || exit === 'halted';
    const stops = track.entry.item.item_type === 'instruction' || (failed && !this.#mode.ignore_failures);
    // The queue goes on: the next item is taken in the same write, one transaction between items
    // (one round trip to PostgreSQL), not one for the end and one for the start.
    const goesOn = shutdown === null && this.#shutdown === null && !stops && this.#state === 'running' && !this.#stopPending && !this.dispatcher.busy;
    const following = goesOn ? (this.#items[0]?.item ?? again) : null;
    // The item taken in this write, while it is still to be launched (null once it will not be).
    let next = following === null ? null : this.#track(following);
    if (next !== null) {
      items.push({ op: 'delete', item_uid: next.entry.item.item_uid });
      write.running = next.entry;
    }
    if (items.length > 0) write.items = items;
    try {
      await this.#store.write(write);
    } catch (e) {
      // The run happened: the memory copy follows it. The next item was not recorded as running: not run.
      this.#onError(next === null ? 'the queue could not record how its item ended' : 'the queue could not record how its item ended, nor the next item; the queue stops', e);
      if (next !== null) this.#setState('stopped', false);
      next = null;
    }
    this.#running = null;
    this.#history.push(entry);
    this.#emit({ change: 'finished', entry });
    if (again !== null) {
      this.#items.push({ item: again, pos: againPos });
      this.#emit({ change: 'added', index: this.#items.length - 1, items: [again] });
    }
    if (requeued !== null) {
      this.#items = [requeued, ...this.#items];
      this.#emit({ change: 'added', index: 0, items: [requeued.item] });
    }
    if (shutdown !== null) { this.#setState('stopped', false); return; }
    // A stop asked, the queue stopped or the server stopping while the write ran: the item taken goes back to the front.
    if (next !== null && (this.#state !== 'running' || this.#stopPending || this.#shutdown !== null)) {
      const uid = next.entry.item.item_uid;
      next = null;
      const back = this.#items.find((x) => x.item.item_uid === uid); // still first: never taken off in memory
      if (back !== undefined) await this.#internalWrite({ running: null, items: [{ op: 'put', item: back.item, pos: back.pos }] }, 'the queue could not put back the item it had taken');
    }
    if (this.#shutdown !== null) { this.#setState('stopped', false); return; }
    if (this.#state === 'running') {
      if (stops || this.#stopPending) this.#setState('stopped', false);
      else if (next !== null) this.#launch(next);
      // On the next microtask: the host is done delivering this item's events.
      else queueMicrotask(() => this.#next());
    }
  }

  // -- the list ---------------------------------------------------------------

  #uids(): string[] { return this.#items.map((s) => s.item.item_uid); }

  /** Index of a pending item. @throws QueueError unknown_item, item_not_pending (running or done) */
  #pendingIndex(uid: string): number {
    const i = this.#items.findIndex((s) => s.item.item_uid === uid);
    if (i >= 0) return i;
    if (this.#running?.entry.item.item_uid === uid) throw QueueError.notPending(uid, 'running');
    if (this.#history.some((h) => h.item.item_uid === uid)) throw QueueError.notPending(uid, 'done');
    throw QueueError.unknownItem(uid);
  }

  /** The ordering key for an item inserted at `index` of the current list. */
  #posAt(index: number, list: readonly StoredItem[] = this.#items): number {
    const prev = list[index - 1]?.pos;
    const next = list[index]?.pos;
    if (prev === undefined && next === undefined) return 0;
    if (prev === undefined) return (next as number) - 1;
    if (next === undefined) return prev + 1;
    return (prev + next) / 2;
  }

  /** `items` inserted at `index` of `list`: the new list and the store writes (renumbering all when keys run out). */
  #place(index: number, items: readonly QueueItem[], list: readonly StoredItem[] = this.#items): { list: StoredItem[]; writes: NonNullable<QueueWrite['items']> } {
    const prev = list[index - 1]?.pos;
    const next = list[index]?.pos;
    const n = items.length;
    const lo = prev ?? (next === undefined ? -1 : next - n - 1);
    const hi = next ?? lo + n + 1;
    const step = (hi - lo) / (n + 1);
    const placed = items.map((item, k) => ({ item, pos: lo + step * (k + 1) }));
    const fits = placed.every((s, k) => s.pos > lo && s.pos < hi && (k === 0 || s.pos > (placed[k - 1] as StoredItem).pos));
    const all = insertedAt(list, index, placed);
    if (fits) return { list: all, writes: placed.map((s) => ({ op: 'put' as const, item: s.item, pos: s.pos })) };
    // The keys between two neighbours ran out of precision: number the whole queue afresh.
    const renumbered = all.map((s, k) => ({ item: s.item, pos: k }));
    return { list: renumbered, writes: renumbered.map((s) => ({ op: 'put' as const, item: s.item, pos: s.pos })) };
  }

  #newItem(input: ItemInput, user: string): QueueItem {
    const base = { item_uid: randomUUID(), user, time_added: this.#now() };
    if ('instruction' in input) return { ...base, item_type: 'instruction', instruction: input.instruction };
    return { ...base, item_type: 'plan', plan: input.plan, params: input.params === undefined ? {} : structuredClone(input.params), md: structuredClone(input.md ?? {}) };
  }

  #setState(state: QueueState, stopPending: boolean): void {
    if (state === this.#state && stopPending === this.#stopPending) return;
    this.#state = state;
    this.#stopPending = stopPending;
    this.#emit({ change: 'state', state, stop_pending: stopPending });
  }

  #write(change: QueueWrite): Promise<void> { return this.#store.write(change); }

  /** A change that happened whatever the store says (an item ran): a failed write is reported, the memory copy follows anyway. */
  async #internalWrite(change: QueueWrite, what: string): Promise<void> {
    try { await this.#store.write(change); } catch (e) { this.#onError(what, e); }
  }

  /** Run `fn` after every change asked before it; its outcome is the caller's, the chain goes on either way. */
  #serial<T>(fn: () => Promise<T> | T): Promise<T> {
    return this.#chain.run(fn);
  }

  #emit(c: QueueChange): void {
    for (const fn of this.#listeners) {
      try { fn(c); } catch (e) { this.#onError('a queue listener threw', e); }
    }
  }
}
