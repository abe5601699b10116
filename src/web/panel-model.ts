/**
 * The panel's state, fed only by protocol v2 (no polling): the connection,
 * the engine status, the run in progress (a {@link LiveRun}) and its progress,
 * the console, the plans and devices, and the run history from the store.
 *
 * Two connections: the event stream (an {@link EventStream}, received in a
 * worker and handed over in batches, one per ~frame) and a request connection
 * that never subscribes, so a click's reply never waits behind a backlog of
 * events. Views are told at most once per animation frame.
 * @module
 */
import { ClientError, DispatcherClient } from '../protocol/v2/client.js';
import type { DeviceInfo, Event, PlanInfo, RunSummaryJson, Status, SubscribeResult } from '../protocol/v2/client.js';
import type { Action } from './actions.js';
import { INTERRUPTIONS, PAUSED_TEXT, interruptionText } from './interruption.js';
import { LiveRun } from './live-run.js';
import { type Progress, progressOf } from './progress.js';
import { QueueFeed } from './queue-model.js';
import type { BatchListener, EventStream, StreamMessage } from './stream.js';

export type Connection = 'connecting' | 'connected' | 'reconnecting';

export interface ConsoleLine { id: number; time: number; level: 'error' | 'warn' | 'info' | 'debug'; text: string }

/** Counters the benchmark and the tests read (`window.__panel.stats`). */
export interface PanelStats {
  eventsReceived: number;
  /** Points the plot has drawn (set by the plot after each draw). */
  eventsRendered: number;
  renders: number;
  firstEventAt: number | null;
  /** When the newest event arrived (performance.now()). */
  lastEventAt: number | null;
  lastRenderAt: number | null;
  /** The server's time (s) of the newest event received. */
  newestEventTime: number | null;
  /** Per draw: how far the screen trailed the server (ms, Date.now() - the newest drawn event's time). Bounded. */
  lagMs: number[];
  /** Per batch received: how far the page's copy of the stream trailed the server (ms), before drawing. Bounded. */
  receiveLagMs: number[];
  /** Per frame drawn: the main thread's time for it (ms: views, plot, heat map, table). Bounded. */
  renderMs: number[];
  /** Per draw: how long the newest point drawn had been in the page (ms): the page's own share of the lag. Bounded. */
  pageLagMs: number[];
}

/** A control verb's outcome, shown beside the buttons until the next run starts. */
export interface ControlReply { ok: boolean; text: string }

const CONSOLE_LINES = 1000;
const HISTORY_PAGE = 100;
const LAG_SAMPLES = 10_000;

/** How the model gets its stream; the browser passes a worker-backed one (main.tsx). */
export type StreamFactory = (onBatch: BatchListener) => EventStream;

export class PanelModel {
  /** Requests only (never subscribed). */
  readonly client: DispatcherClient;
  connection: Connection = 'connecting';
  /** The seq the stream resumes after (shown while reconnecting). */
  lastSeq: number | null = null;
  /** `unknown` until the first snapshot: no button is enabled on a guess. */
  status: Status = { state: 'unknown', busy: true, plan: null, item_id: null, run_uid: null, run_start_time: null, seq: 0 };
  serverVersion = '';
  plans: PlanInfo[] = [];
  devices: DeviceInfo[] = [];
  run: LiveRun | null = null;
  console: ConsoleLine[] = [];
  history: RunSummaryJson[] = [];
  /** `runs.list` refused (e.g. `no_store`): why, shown instead of the history. */
  historyError: string | null = null;
  controlReply: ControlReply | null = null;
  /** The plan queue and its history (the Queue tab): a snapshot, then the stream's `queue` events. */
  readonly queue = new QueueFeed();
  readonly stats: PanelStats = { eventsReceived: 0, eventsRendered: 0, renders: 0, firstEventAt: null, lastEventAt: null, lastRenderAt: null, newestEventTime: null, lagMs: [], receiveLagMs: [], renderMs: [], pageLagMs: [] };
  /** Bumped on every change; views compare it. */
  version = 0;
  #listeners = new Set<() => void>();
  #scheduled = false;
  #nextLine = 1;
  #historyTimer: ReturnType<typeof setTimeout> | null = null;
  readonly #makeStream: StreamFactory;
  #stream: EventStream | null = null;
  /** The status is the server's as of this seq: replayed state events up to it are already in it. */
  #statusSeq = 0;

  constructor(url: string, makeStream: StreamFactory, client?: DispatcherClient) {
    this.client = client ?? new DispatcherClient(url, { backoff: { initialMs: 200, maxMs: 3000 } });
    this.#makeStream = makeStream;
  }

  /** Start streaming (and, with the first snapshot, load plans, devices and history). */
  open(): void {
    this.#stream ??= this.#makeStream((batch) => this.receive(batch));
  }

  close(): void {
    this.#stream?.close();
    this.#stream = null;
    this.client.close();
    if (this.#historyTimer !== null) clearTimeout(this.#historyTimer);
  }

  /** Where the event stream is received (`worker` in browsers that can). */
  get streamWhere(): 'worker' | 'page' | null { return this.#stream?.where() ?? null; }

  /** The run's progress, from its own documents (null: no run yet). */
  get progress(): Progress | null { return progressOf(this.run); }

  /** What the engine's state means for the user, when it needs saying (paused: the way out). */
  get stateHint(): string | null { return this.status.state === 'paused' ? PAUSED_TEXT : null; }

  on(fn: () => void): () => void { this.#listeners.add(fn); return () => this.#listeners.delete(fn); }

  /** Something changed: tell the views once, on the next frame. */
  changed(): void {
    this.version++;
    if (this.#scheduled) return;
    this.#scheduled = true;
    const flush = (): void => {
      this.#scheduled = false;
      this.stats.renders++;
      const t0 = performance.now();
      for (const fn of this.#listeners) fn();
      // The views render in a microtask queued by the listeners: this one runs after it.
      queueMicrotask(() => { if (this.stats.renderMs.length < LAG_SAMPLES) this.stats.renderMs.push(performance.now() - t0); });
    };
    if (typeof requestAnimationFrame === 'function' && typeof document !== 'undefined' && document.visibilityState !== 'hidden') requestAnimationFrame(flush);
    else setTimeout(flush, 16);
  }

  log(level: ConsoleLine['level'], text: string, time = Date.now() / 1000): void {
    this.console.push({ id: this.#nextLine++, time, level, text });
    if (this.console.length > CONSOLE_LINES) this.console.splice(0, this.console.length - CONSOLE_LINES);
    this.changed();
  }

  /** Run a request; a refusal goes to the console and is returned for the caller to show. */
  async act<T>(what: string, call: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: ClientError }> {
    try {
      return { ok: true, value: await call() };
    } catch (e) {
      const error = e instanceof ClientError ? e : new ClientError('internal', e instanceof Error ? e.message : String(e));
      this.log('error', `${what} refused: ${error.message} (${error.code})`);
      return { ok: false, error };
    }
  }

  /** A control verb (the buttons): its reply stays beside them until the next run starts. */
  async control(action: Exclude<Action, 'start'>, reason = ''): Promise<void> {
    const c = this.client;
    const call = {
      pause: () => c.pause(false), pauseDeferred: () => c.pause(true), resume: () => c.resume(),
      stop: () => c.stop(), abort: () => c.abort(reason), halt: () => c.halt(),
    }[action];
    const r = await this.act(action, call);
    this.controlReply = r.ok ? { ok: true, text: `${action}: ${r.value.state}` } : { ok: false, text: `${action} refused: ${r.error.message}` };
    this.changed();
    if (r.ok) await this.#catchUpStatus();
  }

  /**
   * The engine's status straight from the server (the request connection), when it is newer than
   * the stream: a stream that is behind a fast scan would show the effect of a click only once it
   * caught up. The stream's older state events then change nothing (they are in this status).
   */
  async #catchUpStatus(): Promise<void> {
    let st: Status;
    try { st = await this.client.status(); } catch { return; } // the stream will tell, later
    if (st.seq <= Math.max(this.#statusSeq, this.lastSeq ?? 0)) return;
    this.status = st;
    this.#statusSeq = st.seq;
    this.changed();
  }

  /** One batch from the stream, in order; the views hear of it once. */
  receive(batch: readonly StreamMessage[]): void {
    for (const m of batch) {
      switch (m.kind) {
        case 'open': this.connection = 'connected'; break;
        case 'close':
          this.connection = 'reconnecting';
          this.lastSeq = m.lastSeq;
          this.log('warn', `connection lost (${String(m.code)}${m.reason === '' ? '' : `: ${m.reason}`}); reconnecting, resuming after seq ${String(m.lastSeq ?? 0)}`);
          break;
        case 'retrying': this.connection = 'reconnecting'; break;
        // A snapshot's follow-up requests fail only with the connection, and the reconnect brings a new snapshot.
        case 'subscribed': this.#snapshot(m.result, false).catch(() => undefined); break;
        case 'resync': this.#snapshot(m.result, true).catch(() => undefined); break;
        case 'events': for (const e of m.events) this.#onEvent(e); break;
      }
    }
    const last = this.stats.newestEventTime;
    if (last !== null && this.stats.receiveLagMs.length < LAG_SAMPLES) this.stats.receiveLagMs.push(Date.now() - last * 1000);
    this.changed();
  }

  async #snapshot(r: SubscribeResult, lost: boolean): Promise<void> {
    this.connection = 'connected';
    this.lastSeq = r.seq;
    this.status = r.status;
    // Events up to r.seq may still arrive (a replay with `since`): their states are older than this one.
    this.#statusSeq = r.seq;
    if (lost) this.log('warn', `resynchronised at seq ${String(r.seq)} (the server restarted or could not replay)`);
    if (r.open_run !== null) {
      if (this.run?.uid !== r.open_run.uid) this.#loadOpenRun(r.open_run.start);
    } else if (lost && this.run !== null && this.run.stop === null) {
      // The run we were drawing was cut off by a restart: its closing is in the store now.
      void this.#reloadRun(this.run.uid);
    }
    this.changed();
    await Promise.all([this.#loadCatalogue(), this.refreshHistory(), this.#loadQueue()]);
    this.changed();
  }

  /**
   * A run already open when we subscribed (a reload mid-run): its earlier documents come from
   * the store, in the background, while live ones keep arriving (LiveRun places both by seq_num).
   */
  #loadOpenRun(start: Record<string, unknown>): void {
    const run = new LiveRun(start);
    this.run = run;
    void this.#fill(run).then(() => this.changed());
  }

  async #reloadRun(uid: string): Promise<void> {
    const run = await this.loadRun(uid);
    if (run !== null && this.run?.uid === uid) { this.run = run; this.changed(); }
  }

  /** A stored run's documents as a LiveRun (null: no store, or no such run). */
  async loadRun(uid: string): Promise<LiveRun | null> {
    try {
      const first = await this.client.request('runs.get', { uid, limit: 1 });
      const start = first.documents[0];
      if (start === undefined || start[0] !== 'start') return null;
      const run = new LiveRun(start[1]);
      await this.#fill(run);
      return run;
    } catch {
      return null;
    }
  }

  async #fill(run: LiveRun): Promise<void> {
    let offset = 0;
    for (let page = 0; page < 200; page++) {
      let r;
      try { r = await this.client.request('runs.get', { uid: run.uid, offset, limit: 1000 }); } catch { return; } // no store: live data only
      for (const [name, doc] of r.documents) run.add(name, doc);
      offset += r.documents.length;
      if (!r.more) return;
    }
  }

  async #loadCatalogue(): Promise<void> {
    const [p, d, h] = await Promise.all([this.client.plans(), this.client.devices(), this.client.hello()]);
    this.plans = p.plans;
    this.devices = d.devices;
    this.serverVersion = h.server.version;
  }

  async refreshHistory(): Promise<void> {
    try {
      const r = await this.client.request('runs.list', { limit: HISTORY_PAGE });
      this.history = r.runs;
      this.historyError = null;
    } catch (e) {
      this.historyError = e instanceof Error ? e.message : String(e);
    }
    this.changed();
  }

  /**
   * The queue's snapshot: `queue.get` first, then the newest history page (the history is then at
   * least as new as the view, and the feed skips `finished` entries it already holds). The stream's
   * queue events are held from now until both answered.
   */
  async #loadQueue(): Promise<void> {
    const token = this.queue.begin();
    try {
      // One after the other: a history answered before the view could miss an entry the view's seq already covers.
      const view = await this.client.request('queue.get');
      const history = await this.client.request('history.get', { limit: HISTORY_PAGE });
      this.queue.loaded(view, history, token);
    } catch (e) {
      this.queue.failed(e instanceof ClientError ? `${e.message} (${e.code})` : String(e), token);
    }
    this.changed();
  }

  /** The next older page of the queue's history. */
  async olderQueueHistory(): Promise<void> {
    const r = await this.act('history.get', () => this.client.request('history.get', { offset: this.queue.history.length, limit: HISTORY_PAGE }));
    if (r.ok) { this.queue.older(r.value); this.changed(); }
  }

  /** Called by the plot after it drew: how far the screen is behind the server now. */
  drew(points: number): void {
    const s = this.stats;
    s.eventsRendered = points;
    s.lastRenderAt = performance.now();
    if (s.newestEventTime !== null && s.lagMs.length < LAG_SAMPLES) s.lagMs.push(Date.now() - s.newestEventTime * 1000);
    if (s.lastEventAt !== null && s.pageLagMs.length < LAG_SAMPLES) s.pageLagMs.push(s.lastRenderAt - s.lastEventAt);
  }

  #historySoon(): void {
    if (this.#historyTimer !== null) return;
    this.#historyTimer = setTimeout(() => { this.#historyTimer = null; void this.refreshHistory(); }, 200);
  }

  #onEvent(e: Event): void {
    this.lastSeq = e.seq;
    switch (e.topic) {
      case 'state': {
        const d = e.data;
        // Interruptions in words, from the transition every one of them makes (the console is history: replayed ones too).
        const human = interruptionText(d.old, d.new, String(this.run?.stop?.reason ?? ''));
        if (human !== null) this.log('warn', `${d.plan ?? 'plan'}: ${human}`, e.time);
        if (e.seq <= this.#statusSeq) break; // already in the snapshot's status
        this.status = {
          ...this.status, state: d.new, plan: d.plan, item_id: d.item_id, run_uid: d.run_uid ?? this.status.run_uid, seq: e.seq,
          busy: d.new !== 'idle' || (d.old === null && this.status.busy),
          run_start_time: d.old === 'idle' ? e.time : this.status.run_start_time,
        };
        break;
      }
      case 'document': this.#onDocument(e.data.name, e.data.doc, e.time); break;
      case 'exception': {
        const d = e.data;
        // A pause, stop or abort reaches plans as an exception too (as in v1), with a Python prompt's text:
        // its words were said with its transition above.
        // (`interruption` says so; a server from before it existed is known by the type.)
        const interruption = d.interruption ?? (INTERRUPTIONS.has(d.type) ? d.type : null);
        if (interruption === null) this.log('error', `${d.plan ?? 'plan'} raised ${d.type}: ${d.message}`, e.time);
        break;
      }
      case 'log': {
        const lvl = e.data.level === 'error' || e.data.level === 'fatal' ? 'error' : e.data.level === 'warn' ? 'warn' : e.data.level === 'debug' ? 'debug' : 'info';
        this.log(lvl, e.data.msg, e.time);
        break;
      }
      case 'queue': this.queue.event(e.seq, e.data); break;
      case 'progress': break; // not subscribed: progress is counted from the run's own documents
    }
  }

  #onDocument(name: string, doc: Record<string, unknown>, time: number): void {
    const s = this.stats;
    if (name === 'start') {
      this.run = new LiveRun(doc);
      this.controlReply = null; // a new run: the last run's replies are stale
      s.eventsReceived = 0;
      s.eventsRendered = 0;
      s.firstEventAt = null;
      return;
    }
    if (this.run === null) return;
    if (name === 'event' || name === 'event_page') {
      s.eventsReceived++;
      s.lastEventAt = performance.now();
      s.firstEventAt ??= s.lastEventAt;
      s.newestEventTime = time;
    }
    this.run.add(name, doc);
    if (name === 'stop') this.#historySoon();
  }
}
