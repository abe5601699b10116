/**
 * The typed protocol-v2 client for Node and browsers: request methods, typed
 * events, and reconnection with back-off that resumes with `since`, so callers
 * see every event exactly once, in order, across dropped connections.
 * @module
 */
import type { Event, OpName, Ops, Reply, SubscribeResult, Topic } from './types.js';
import { TOPICS } from './types.js';
import { ClientError, OperationMethods } from './client-base.js';

export * from './types.js';
export { ClientError, OperationMethods } from './client-base.js';
export { HttpClient, type HttpClientOptions } from './http-client.js';

/** The part of the WHATWG WebSocket the client uses (browsers' global, Node 22's, or `ws`). */
interface Socket {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'message' | 'close' | 'error', fn: (e: { data?: unknown; code?: number; reason?: string }) => void): void;
}
type SocketCtor = new (url: string) => Socket;

export interface ClientOptions {
  /** Topics to stream once {@link DispatcherClient.subscribe} is called; default all. */
  topics?: Topic[];
  /** Resume after this seq on the first subscribe (e.g. persisted by the caller). */
  since?: number;
  /** Reconnect back-off: first delay, growth factor and cap, in ms. Default 100, 2, 5000. */
  backoff?: { initialMs?: number; factor?: number; maxMs?: number };
  /**
   * Ask the server for events in arrays (one websocket message per burst instead of one per
   * event). Listeners see the same events either way; a browser keeps up far better batched.
   */
  batch?: boolean;
  /** An API key (`serve --auth`): sent as the first request of every connection (`auth`), never in the URL. */
  key?: string;
  /** A WHATWG-style WebSocket constructor; default the global one, else `ws` (imported only then). */
  WebSocket?: new (url: string) => object;
}


/** What listeners can hear about: every topic, any event, and the connection's life. */
export interface ClientEvents {
  event: Event;
  state: Event<'state'>; document: Event<'document'>; exception: Event<'exception'>; progress: Event<'progress'>; log: Event<'log'>; queue: Event<'queue'>;
  /** Subscribed (first time, or again after a reconnect): the server's snapshot. */
  subscribed: SubscribeResult;
  /** Events were lost (the server no longer had them, or restarted): the snapshot to start over from. */
  resync: SubscribeResult;
  open: { url: string };
  close: { code: number; reason: string };
}

async function defaultSocket(): Promise<SocketCtor> {
  const g = (globalThis as { WebSocket?: SocketCtor }).WebSocket;
  if (g !== undefined) return g;
  // Held in a variable so browser bundlers do not try to include `ws`.
  const name = 'ws';
  const mod = (await import(name)) as { WebSocket: SocketCtor };
  return mod.WebSocket;
}

export class DispatcherClient extends OperationMethods {
  readonly url: string;
  #opts: ClientOptions;
  #ws: Socket | null = null;
  #open: Promise<void> | null = null;
  #nextId = 1;
  #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  #listeners = new Map<keyof ClientEvents, Set<(v: never) => void>>();
  #subscribed: Topic[] | null = null;
  #lastSeq: number | null;
  #serverId: string | null = null;
  #delay: number;
  #closedByUser = false;
  #timer: ReturnType<typeof setTimeout> | null = null;

  constructor(url: string, options: ClientOptions = {}) {
    super();
    this.url = url;
    this.#opts = options;
    this.#lastSeq = options.since ?? null;
    this.#delay = options.backoff?.initialMs ?? 100;
  }

  /** The seq of the last event delivered to listeners (resume point). */
  get lastSeq(): number | null { return this.#lastSeq; }
  get connected(): boolean { return this.#ws?.readyState === 1; }

  /** Listen; returns the removal function. */
  on<K extends keyof ClientEvents>(what: K, fn: (value: ClientEvents[K]) => void): () => void {
    let set = this.#listeners.get(what);
    if (set === undefined) { set = new Set(); this.#listeners.set(what, set); }
    set.add(fn as (v: never) => void);
    return () => { set.delete(fn as (v: never) => void); };
  }

  /** Connect (also done on the first request). */
  connect(): Promise<void> {
    this.#closedByUser = false;
    this.#open ??= this.#dial();
    return this.#open;
  }

  /** Send one request; resolves with its result or rejects with a {@link ClientError}. */
  override async request<K extends OpName>(op: K, params: Ops[K]['params'] = {} as Ops[K]['params']): Promise<Ops[K]['result']> {
    await this.connect();
    return this.#send(op, params) as Promise<Ops[K]['result']>;
  }

  hello(): Promise<Ops['hello']['result']> { return this.request('hello'); }
  ping(): Promise<{ pong: true; time: number }> { return this.request('ping'); }

  /** Stream `topics` (default all) from now — or from `since` — and keep streaming across reconnects. */
  async subscribe(topics: Topic[] = this.#opts.topics ?? [...TOPICS]): Promise<SubscribeResult> {
    this.#subscribed = topics;
    await this.connect();
    return this.#resubscribe();
  }

  async unsubscribe(): Promise<void> {
    this.#subscribed = null;
    if (this.connected) await this.#send('unsubscribe', {});
  }

  /** Close for good (no reconnect); pending requests fail with `disconnected`. */
  close(): void {
    this.#closedByUser = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#ws?.close(1000, 'client closed');
    this.#ws = null;
    this.#open = null;
    this.#failPending('client closed');
  }

  async #dial(): Promise<void> {
    // Any WHATWG-style WebSocket has the members Socket names; the DOM's and ws's typings differ in detail only.
    const Ctor = (this.#opts.WebSocket as SocketCtor | undefined) ?? (await defaultSocket());
    const ws = new Ctor(this.url);
    this.#ws = ws;
    await new Promise<void>((resolve, reject) => {
      let opened = false;
      ws.addEventListener('open', () => { opened = true; resolve(); });
      ws.addEventListener('message', (e) => this.#onFrame(String(e.data)));
      ws.addEventListener('close', (e) => {
        if (!opened) reject(new ClientError('disconnected', `cannot connect to ${this.url}`));
        this.#onClose(ws, e.code ?? 1006, e.reason ?? '');
      });
      ws.addEventListener('error', () => { /* a close event follows */ });
    });
    if (this.#opts.key !== undefined) await this.#send('auth', { key: this.#opts.key });
    this.#delay = this.#opts.backoff?.initialMs ?? 100;
    this.#emit('open', { url: this.url });
  }

  #send(op: string, params: object): Promise<unknown> {
    const ws = this.#ws;
    if (ws === null || ws.readyState !== 1) return Promise.reject(new ClientError('disconnected', 'not connected'));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      ws.send(JSON.stringify({ ...params, id, op }));
    });
  }

  async #resubscribe(): Promise<SubscribeResult> {
    const topics = this.#subscribed ?? [...TOPICS];
    const hello = await this.#send('hello', {}) as Ops['hello']['result'];
    const restarted = this.#serverId !== null && hello.server.id !== this.#serverId;
    this.#serverId = hello.server.id;
    if (this.#lastSeq !== null && !restarted) {
      try {
        const r = await this.#send('subscribe', { topics, since: this.#lastSeq, ...this.#batch() }) as SubscribeResult;
        this.#emit('subscribed', r);
        return r;
      } catch (e) {
        if (!(e instanceof ClientError && e.code === 'replay_unavailable')) throw e;
      }
    }
    const r = await this.#send('subscribe', { topics, ...this.#batch() }) as SubscribeResult;
    const lost = this.#lastSeq !== null;
    this.#lastSeq = r.seq;
    this.#emit(lost ? 'resync' : 'subscribed', r);
    return r;
  }

  #batch(): { batch?: true } { return this.#opts.batch === true ? { batch: true } : {}; }

  #onFrame(text: string): void {
    const parsed = JSON.parse(text) as Record<string, unknown> | Array<Record<string, unknown>>;
    // A batched subscription's events arrive as arrays; replies are always single objects.
    if (Array.isArray(parsed)) { for (const f of parsed) this.#onEvent(f as unknown as Event); return; }
    const f = parsed;
    if (typeof f.seq === 'number' && !('ok' in f)) { this.#onEvent(f as unknown as Event); return; }
    const r = f as unknown as Reply;
    const p = typeof r.id === 'number' ? this.#pending.get(r.id) : undefined;
    if (p === undefined) return;
    this.#pending.delete(r.id as number);
    if (r.ok) p.resolve(r.result);
    else p.reject(new ClientError(r.error.code, r.error.message, r.error.details));
  }

  #onEvent(e: Event): void {
    if (this.#lastSeq !== null && e.seq <= this.#lastSeq) return; // already delivered before a reconnect
    this.#lastSeq = e.seq;
    this.#emit(e.topic, e as never);
    this.#emit('event', e);
  }

  #onClose(ws: Socket, code: number, reason: string): void {
    if (this.#ws !== ws) return;
    this.#ws = null;
    this.#open = null;
    this.#failPending(`connection closed (${String(code)})`);
    this.#emit('close', { code, reason });
    if (!this.#closedByUser) this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    const b = this.#opts.backoff ?? {};
    const wait = this.#delay * (0.5 + Math.random() / 2); // jitter: many clients do not reconnect in step
    this.#delay = Math.min(b.maxMs ?? 5000, this.#delay * (b.factor ?? 2));
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.connect().then(
        () => (this.#subscribed === null ? undefined : this.#resubscribe().then(() => undefined)),
        () => undefined, // the close handler schedules the next attempt
      ).catch(() => { this.#ws?.close(4000, 'resubscribe failed'); });
    }, wait);
  }

  #failPending(why: string): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) p.reject(new ClientError('disconnected', why));
  }

  #emit<K extends keyof ClientEvents>(what: K, value: ClientEvents[K]): void {
    for (const fn of this.#listeners.get(what) ?? []) {
      try { (fn as (v: ClientEvents[K]) => void)(value); } catch { /* one listener's bug must not stop delivery to the others */ }
    }
  }
}
