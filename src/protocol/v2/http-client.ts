/**
 * The typed client over HTTP (docs/api.md): the same methods as the websocket
 * client, each a `POST /api/<op>` with a JSON body, and the event stream from
 * `GET /api/events` (Server-Sent Events, read with fetch so it runs in Node 20
 * and browsers alike and can send `Authorization`). The stream reconnects
 * with back-off and resumes after the last seq it delivered (`Last-Event-ID`),
 * so listeners see every event once, in order; when the server no longer has
 * them it starts over from a fresh snapshot (`resync`).
 * @module
 */
import { ClientError, OperationMethods } from './client-base.js';
import type { ClientEvents } from './client.js';
import type { ErrorBody, Event, OpName, Ops, SubscribeResult, Topic } from './types.js';

export interface HttpClientOptions {
  /** An API key (`serve --auth`): sent as `Authorization: Bearer KEY`. */
  key?: string;
  /** The fetch to use; default the global one (Node 20 and browsers have it). */
  fetch?: typeof fetch;
  /** Reconnect back-off of the event stream, in ms. Default 100, 2, 5000. */
  backoff?: { initialMs?: number; factor?: number; maxMs?: number };
  /** Resume the first subscribe after this seq. */
  since?: number;
}

/** The websocket client's events; an SSE stream's close has no close code. */
export type HttpClientEvents = Omit<ClientEvents, 'close'> & { close: { reason: string } };

export class HttpClient extends OperationMethods {
  /** The server's base URL, e.g. `http://127.0.0.1:8765` (a trailing slash is dropped). */
  readonly url: string;
  readonly #opts: HttpClientOptions;
  readonly #fetch: typeof fetch;
  #listeners = new Map<keyof HttpClientEvents, Set<(v: never) => void>>();
  #lastSeq: number | null;
  #stream: AbortController | null = null;
  #delay: number;
  /** Events were lost (the server could not replay them): the next snapshot is a resync. */
  #lost = false;

  constructor(url: string, options: HttpClientOptions = {}) {
    super();
    this.url = url.replace(/\/+$/, '');
    this.#opts = options;
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#lastSeq = options.since ?? null;
    this.#delay = options.backoff?.initialMs ?? 100;
  }

  /** The seq of the last event delivered (the resume point). */
  get lastSeq(): number | null { return this.#lastSeq; }

  on<K extends keyof HttpClientEvents>(what: K, fn: (value: HttpClientEvents[K]) => void): () => void {
    let set = this.#listeners.get(what);
    if (set === undefined) { set = new Set(); this.#listeners.set(what, set); }
    set.add(fn as (v: never) => void);
    return () => { set.delete(fn as (v: never) => void); };
  }

  #headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...extra, ...(this.#opts.key === undefined ? {} : { authorization: `Bearer ${this.#opts.key}` }) };
  }

  /** `POST /api/<op>` (dots as slashes) with `params` as the body. */
  override async request<K extends OpName>(op: K, params: Ops[K]['params'] = {} as Ops[K]['params']): Promise<Ops[K]['result']> {
    let res: Response;
    try {
      res = await this.#fetch(`${this.url}/api/${String(op).split('.').join('/')}`, {
        method: 'POST', headers: this.#headers({ 'content-type': 'application/json', accept: 'application/json' }), body: JSON.stringify(params),
      });
    } catch (e) {
      throw new ClientError('disconnected', `cannot reach ${this.url}: ${e instanceof Error ? e.message : String(e)}`);
    }
    const text = await res.text();
    if (res.ok) return JSON.parse(text) as Ops[K]['result'];
    throw errorOf(res.status, text);
  }

  /**
   * Stream `topics` (default all) from now, or after the last seq delivered, and keep
   * streaming across dropped connections until {@link close}. Resolves with the first snapshot.
   */
  subscribe(topics?: Topic[]): Promise<SubscribeResult> {
    this.close();
    const ctl = new AbortController();
    this.#stream = ctl;
    return new Promise((resolve, reject) => {
      let first = true;
      const run = async (): Promise<void> => {
        while (!ctl.signal.aborted) {
          try {
            await this.#readStream(topics, ctl.signal, (r) => { if (first) { first = false; resolve(r); } });
            this.#delay = this.#opts.backoff?.initialMs ?? 100;
          } catch (e) {
            if (ctl.signal.aborted) return;
            // Refused for good (no key, too few scopes, a bad topic): no point in retrying.
            if (e instanceof ClientError && e.code !== 'disconnected' && e.code !== 'replay_unavailable' && e.code !== 'unavailable' && e.code !== 'shutting_down') {
              if (first) { first = false; reject(e); }
              this.close();
              return;
            }
            // The server no longer has what we missed: start over from a fresh snapshot (a resync).
            if (e instanceof ClientError && e.code === 'replay_unavailable') { this.#lastSeq = null; this.#lost = true; }
          }
          if (ctl.signal.aborted) return;
          this.#emit('close', { reason: 'stream ended' });
          await sleep(this.#backoff());
        }
      };
      void run();
    });
  }

  /** Stop streaming (no reconnect). */
  close(): void {
    this.#stream?.abort();
    this.#stream = null;
  }

  #backoff(): number {
    const b = this.#opts.backoff ?? {};
    const wait = this.#delay * (0.5 + Math.random() / 2);
    this.#delay = Math.min(b.maxMs ?? 5000, this.#delay * (b.factor ?? 2));
    return wait;
  }

  async #readStream(topics: Topic[] | undefined, signal: AbortSignal, onSnapshot: (r: SubscribeResult) => void): Promise<void> {
    const query = topics === undefined ? '' : `?topics=${topics.join(',')}`;
    const resumed = this.#lastSeq !== null;
    let res: Response;
    try {
      res = await this.#fetch(`${this.url}/api/events${query}`, {
        headers: this.#headers({ accept: 'text/event-stream', ...(this.#lastSeq === null ? {} : { 'last-event-id': String(this.#lastSeq) }) }), signal,
      });
    } catch (e) {
      throw new ClientError('disconnected', `cannot reach ${this.url}: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (!res.ok || res.body === null) throw errorOf(res.status, await res.text());
    this.#emit('open', { url: this.url });
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += value;
        // Events end with a blank line; a partial one waits for the next chunk.
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          this.#onBlock(block, resumed, onSnapshot);
        }
      }
    } catch (e) {
      if (signal.aborted) return;
      throw new ClientError('disconnected', `the event stream broke: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      reader.releaseLock();
    }
  }

  #onBlock(block: string, resumed: boolean, onSnapshot: (r: SubscribeResult) => void): void {
    let name = 'message';
    let data = '';
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue; // a heartbeat
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') name = value;
      else if (field === 'data') data = data === '' ? value : `${data}\n${value}`;
    }
    if (data === '') return;
    if (name === 'subscribed') {
      const r = JSON.parse(data) as SubscribeResult;
      const lost = this.#lost;
      this.#lost = false;
      if (!resumed) this.#lastSeq = r.seq;
      this.#emit(lost ? 'resync' : 'subscribed', r);
      onSnapshot(r);
      return;
    }
    if (name === 'too_slow') return; // the stream ends next; the reconnect resumes or resyncs
    const e = JSON.parse(data) as Event;
    if (this.#lastSeq !== null && e.seq <= this.#lastSeq) return;
    this.#lastSeq = e.seq;
    this.#emit(e.topic, e as never);
    this.#emit('event', e);
  }

  #emit<K extends keyof HttpClientEvents>(what: K, value: HttpClientEvents[K]): void {
    for (const fn of this.#listeners.get(what) ?? []) {
      try { (fn as (v: HttpClientEvents[K]) => void)(value); } catch { /* one listener's bug must not stop delivery to the others */ }
    }
  }
}

function errorOf(status: number, text: string): ClientError {
  try {
    const body = JSON.parse(text) as Partial<ErrorBody>;
    if (typeof body.code === 'string') return new ClientError(body.code, String(body.message ?? ''), Array.isArray(body.details) ? body.details : []);
  } catch { /* not our JSON: a proxy's page */ }
  return new ClientError(status >= 500 ? 'unavailable' : 'bad_request', `HTTP ${String(status)}: ${text.slice(0, 200)}`);
}

function sleep(ms: number): Promise<void> { return new Promise((r) => setTimeout(r, ms)); }
