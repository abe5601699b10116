/**
 * The panel's state, fed only by the protocol-v2 stream (no polling): the
 * connection, the engine status, the run in progress (a {@link LiveRun}), its
 * progress, the console, the plans and devices, and the run history from the
 * store. Views subscribe and are told at most once per animation frame, so a
 * stream of thousands of events a second costs one render a frame.
 * @module
 */
import { ClientError, DispatcherClient } from '../protocol/v2/client.js';
import type { DeviceInfo, Event, PlanInfo, ProgressData, RunSummaryJson, Status, SubscribeResult } from '../protocol/v2/client.js';
import { LiveRun } from './live-run.js';

export type Connection = 'connecting' | 'connected' | 'reconnecting';

export interface ConsoleLine { id: number; time: number; level: 'error' | 'warn' | 'info' | 'debug'; text: string }

/** Counters the benchmark and the tests read (`window.__panel.stats`). */
export interface PanelStats {
  eventsReceived: number;
  /** Events the plot has drawn (set by the plot after each draw). */
  eventsRendered: number;
  renders: number;
  firstEventAt: number | null;
  /** When the newest event arrived (performance.now()). */
  lastEventAt: number | null;
  lastRenderAt: number | null;
}

const CONSOLE_LINES = 1000;
const HISTORY_PAGE = 100;

export class PanelModel {
  readonly client: DispatcherClient;
  connection: Connection = 'connecting';
  /** The seq the client resumes after (shown while reconnecting). */
  lastSeq: number | null = null;
  /** `unknown` until the first snapshot: no button is enabled on a guess. */
  status: Status = { state: 'unknown', busy: true, plan: null, item_id: null, run_uid: null, run_start_time: null, seq: 0 };
  serverVersion = '';
  plans: PlanInfo[] = [];
  devices: DeviceInfo[] = [];
  run: LiveRun | null = null;
  progress: ProgressData | null = null;
  console: ConsoleLine[] = [];
  history: RunSummaryJson[] = [];
  /** `runs.list` refused (e.g. `no_store`): why, shown instead of the history. */
  historyError: string | null = null;
  readonly stats: PanelStats = { eventsReceived: 0, eventsRendered: 0, renders: 0, firstEventAt: null, lastEventAt: null, lastRenderAt: null };
  /** Bumped on every change; views compare it. */
  version = 0;
  #listeners = new Set<() => void>();
  #scheduled = false;
  #nextLine = 1;
  #historyTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(url: string, client?: DispatcherClient) {
    this.client = client ?? new DispatcherClient(url, { backoff: { initialMs: 200, maxMs: 3000 } });
    const c = this.client;
    c.on('open', () => { this.connection = 'connected'; this.changed(); });
    c.on('close', (e) => {
      this.connection = 'reconnecting';
      this.lastSeq = c.lastSeq;
      this.log('warn', `connection lost (${String(e.code)}${e.reason === '' ? '' : `: ${e.reason}`}); reconnecting, resuming after seq ${String(c.lastSeq ?? 0)}`);
    });
    // A snapshot's follow-up requests fail only with the connection, and the reconnect brings a new snapshot.
    c.on('subscribed', (r) => { this.#snapshot(r, false).catch(() => undefined); });
    c.on('resync', (r) => { this.#snapshot(r, true).catch(() => undefined); });
    c.on('event', (e) => this.#onEvent(e));
  }

  /** Connect, load plans, devices and history, and subscribe to everything. */
  async open(): Promise<void> {
    for (;;) {
      try {
        await this.client.subscribe();
        return;
      } catch {
        // The server is not up yet: the client has no subscription to resume, so retry here.
        this.connection = 'reconnecting';
        this.changed();
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  on(fn: () => void): () => void { this.#listeners.add(fn); return () => this.#listeners.delete(fn); }

  /** Something changed: tell the views once, on the next frame. */
  changed(): void {
    this.version++;
    if (this.#scheduled) return;
    this.#scheduled = true;
    const flush = (): void => {
      this.#scheduled = false;
      this.stats.renders++;
      for (const fn of this.#listeners) fn();
    };
    if (typeof requestAnimationFrame === 'function' && typeof document !== 'undefined' && document.visibilityState !== 'hidden') requestAnimationFrame(flush);
    else setTimeout(flush, 16);
  }

  log(level: ConsoleLine['level'], text: string, time = Date.now() / 1000): void {
    this.console.push({ id: this.#nextLine++, time, level, text });
    if (this.console.length > CONSOLE_LINES) this.console.splice(0, this.console.length - CONSOLE_LINES);
    this.changed();
  }

  /** Run a control verb; a refusal goes to the console and is returned for the button to show. */
  async act<T>(what: string, call: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: ClientError }> {
    try {
      return { ok: true, value: await call() };
    } catch (e) {
      const error = e instanceof ClientError ? e : new ClientError('internal', e instanceof Error ? e.message : String(e));
      this.log('error', `${what} refused: ${error.message} (${error.code})`);
      return { ok: false, error };
    }
  }

  async #snapshot(r: SubscribeResult, lost: boolean): Promise<void> {
    this.connection = 'connected';
    this.lastSeq = r.seq;
    this.status = r.status;
    if (lost) this.log('warn', `resynchronised at seq ${String(r.seq)} (the server restarted or could not replay)`);
    if (r.open_run !== null) {
      if (this.run?.uid !== r.open_run.uid) this.#loadOpenRun(r.open_run.start);
      this.progress = r.open_run.progress;
    } else if (lost && this.run !== null && this.run.stop === null) {
      // The run we were drawing was cut off by a restart: its closing is in the store now.
      void this.#reloadRun(this.run.uid);
    }
    await Promise.all([this.#loadCatalogue(), this.refreshHistory()]);
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

  #historySoon(): void {
    if (this.#historyTimer !== null) return;
    this.#historyTimer = setTimeout(() => { this.#historyTimer = null; void this.refreshHistory(); }, 200);
  }

  #onEvent(e: Event): void {
    this.lastSeq = e.seq;
    this.status = { ...this.status, seq: e.seq };
    switch (e.topic) {
      case 'state': {
        const d = e.data;
        this.status = {
          ...this.status, state: d.new, plan: d.plan, item_id: d.item_id, run_uid: d.run_uid ?? this.status.run_uid,
          busy: d.new !== 'idle' || (d.old === null && this.status.busy),
          run_start_time: d.old === 'idle' ? e.time : this.status.run_start_time,
        };
        if (d.old === 'idle') this.progress = null;
        break;
      }
      case 'document': {
        const { name, doc } = e.data;
        if (name === 'start') {
          this.run = new LiveRun(doc);
          this.stats.eventsReceived = 0;
          this.stats.eventsRendered = 0;
          this.stats.firstEventAt = null;
        } else if (this.run !== null) {
          if (name === 'event' || name === 'event_page') {
            this.stats.eventsReceived++;
            this.stats.lastEventAt = performance.now();
            this.stats.firstEventAt ??= this.stats.lastEventAt;
          }
          this.run.add(name, doc);
          if (name === 'stop') this.#historySoon();
        }
        break;
      }
      case 'progress': this.progress = e.data; break;
      case 'exception': {
        // A pause, stop or abort reaches plans as an exception too (as in v1): a notice, not an error.
        const interruption = /^(RunEngineInterrupted|RequestStop|RequestAbort|PlanHalt)$/.test(e.data.type);
        this.log(interruption ? 'warn' : 'error', `${e.data.plan ?? 'plan'} raised ${e.data.type}: ${e.data.message}`, e.time);
        return;
      }
      case 'log': {
        const lvl = e.data.level === 'error' || e.data.level === 'fatal' ? 'error' : e.data.level === 'warn' ? 'warn' : e.data.level === 'debug' ? 'debug' : 'info';
        this.log(lvl, e.data.msg, e.time);
        return;
      }
    }
    this.changed();
  }
}
