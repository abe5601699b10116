/**
 * One v2 connection: parses requests, answers them, and streams the event log
 * from a per-connection cursor, so replay and live delivery are one mechanism
 * and a slow client costs only its cursor (the log is shared and bounded).
 * @module
 */
import { ANONYMOUS, type Caller, OpError, type OpContext, badField, invoke, operation } from '../../ops/index.js';
import type { HubSubscriber, V2Hub } from './hub.js';
import { type Frame, type V2Limits, hello } from './ops.js';
import { CLOSE_TOO_SLOW, type Reply, type SubscribeResult, TOPICS, type Topic } from './types.js';
import { parseFrame, tooDeepError } from '../json-frame.js';

/** What a session needs of its socket (the server adapts a `ws` WebSocket). */
export interface V2Transport {
  /** `done` is called once the data has been handed to the OS. */
  send(data: Buffer | string, done: () => void): void;
  /** Bytes queued but not yet handed to the OS (ws's `bufferedAmount`). */
  readonly buffered: number;
  readonly open: boolean;
  close(code: number, reason: string): void;
  /** Run `write` (several sends) as one socket write, e.g. by corking the TCP socket. */
  batch?(write: () => void): void;
  /**
   * Send each payload as its own message, in one write (`done` once, when all are handed to the
   * OS). Optional: without it each goes through `send`. The server frames them itself
   * (src/server/ws-frame.ts): a burst to one subscriber is one buffer, not three objects a frame.
   */
  sendEach?(payloads: readonly Buffer[], done: () => void): void;
}

/** Who a connection acts for (`serve --auth`). */
export interface SessionAccess {
  /** Established before any request (the panel's session cookie); default: anyone, every scope, unless `authenticate` is set. */
  caller?: Caller | null;
  /** With authentication on: checks an `auth` op's key (throws `unauthorized`); the session starts without a caller. */
  authenticate?: (key: unknown) => Promise<Caller>;
  /**
   * Told of a request refused before it reached an operation: a wrong key given to `auth`, or a change
   * asked for before `auth` (src/audit/refusals.ts records them). Reads before `auth` are only answered.
   */
  refused?: (op: string, params: unknown, error: OpError) => void;
}

export interface SessionHooks {
  /** A subscriber was cut off for falling behind. */
  onTooSlow?: (lastSeq: number) => void;
  /** A request threw something that is not an OpError (a bug): logged by the server. */
  onInternalError?: (error: unknown) => void;
}

/** `batch`: events go out as JSON arrays of frames, up to BATCH_BYTES each (the subscriber asked for it). */
interface Subscription { topics: Set<Topic>; cursor: number; batch: boolean }

/**
 * Most bytes of events in one batched frame. A browser handles each websocket message as a
 * task of its own (about 12-14k a second in Chromium): at 20,000 events a second a page
 * that takes one message per event falls behind; one array per pump keeps it current.
 */
const BATCH_BYTES = 64 * 1024;
const OPEN = Buffer.from('[');
const COMMA = Buffer.from(',');
const CLOSE = Buffer.from(']');

export class V2Session implements HubSubscriber {
  readonly #hub: V2Hub;
  readonly #io: V2Transport;
  readonly #serverId: string;
  readonly #limits: V2Limits;
  readonly #hooks: SessionHooks;
  #sub: Subscription | null = null;
  /** Each payload as its own message: in one write when the transport can, else one send each. */
  readonly #sendEach: NonNullable<V2Transport['sendEach']>;
  #blocked = false;
  #pumping = false;
  #wakePending = false;
  #closed = false;
  /** Who this connection acts for (without authentication: anyone, every scope). */
  #caller: Caller | null;
  readonly #access: SessionAccess;
  // Resumes a blocked pump once the socket has drained below half the limit (the OS completes a
  // blocked reader's writes only as it reads, so nothing runs here while it does not).
  readonly #onSent = (): void => {
    if (this.#blocked && this.#io.buffered < this.#limits.maxBufferedBytes / 2) { this.#blocked = false; this.wake(); }
  };

  constructor(hub: V2Hub, io: V2Transport, serverId: string, limits: V2Limits, hooks: SessionHooks = {}, access: SessionAccess = {}) {
    this.#access = access;
    this.#caller = access.caller ?? (access.authenticate === undefined ? { ...ANONYMOUS, protocol: 'v2' } : null);
    this.#hub = hub;
    this.#io = io;
    this.#sendEach = io.sendEach?.bind(io) ?? ((payloads, done) => { for (const p of payloads) io.send(p, done); });
    this.#serverId = serverId;
    this.#limits = limits;
    this.#hooks = hooks;
  }

  /** The last seq this connection was sent (or passed over by its topic filter); null when not subscribed. */
  get cursor(): number | null { return this.#sub?.cursor ?? null; }

  /** A binary frame: v2 is JSON in text frames (it was answered as "not valid JSON", even when it held JSON). */
  refuseBinary(): void {
    this.#reply(null, new OpError('bad_request', { problem: 'binary frames are not accepted: send each request as JSON in a text frame' }, [{ path: '', message: 'binary frame', expected: 'a text frame', got: 'a binary frame' }]));
  }

  /** Handle one text frame; resolves when its reply has been queued. */
  async receive(text: string): Promise<void> {
    if (Buffer.byteLength(text, 'utf8') > this.#limits.maxRequestBytes) {
      this.#reply(null, new OpError('too_large', { limit: this.#limits.maxRequestBytes }, [{ path: '', message: 'too large', expected: `at most ${String(this.#limits.maxRequestBytes)} bytes`, got: `${String(Buffer.byteLength(text, 'utf8'))} bytes` }]));
      return;
    }
    const parsed = parseFrame(text);
    if (!parsed.ok) {
      if (parsed.reason === 'not_json') { this.#reply(null, new OpError('bad_request', { problem: 'the frame is not valid JSON' }, [{ path: '', message: 'not JSON', expected: 'a JSON object' }])); return; }
      // Answered by its id when that is a plain value (a nested id is not echoed: it may be the deep part).
      const rawId = isRecord(parsed.value) ? parsed.value.id : undefined;
      const id = rawId === null || ['string', 'number', 'boolean'].includes(typeof rawId) ? rawId : null;
      this.#reply(id, tooDeepError('frame'));
      return;
    }
    const frame = parsed.value;
    if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) { this.#reply(null, badField('', 'a JSON object', frame)); return; }
    const f = frame as Frame;
    const id = f.id ?? null;
    try {
      if (!('id' in f)) throw badField('id', 'present (any JSON value)', undefined);
      if (typeof f.op !== 'string') throw badField('op', 'a string', f.op);
      // Synchronous ops reply in the same tick: a subscribe's snapshot, reply and first events stay in order.
      const out = this.#dispatch(f.op, f);
      this.#reply(id, out instanceof Promise ? await out : out);
      if (f.op === 'subscribe') this.wake();
    } catch (e) {
      if (e instanceof OpError) { this.#reply(id, e); return; }
      this.#hooks.onInternalError?.(e);
      this.#reply(id, new OpError('internal', { problem: e instanceof Error ? e.message : String(e) }));
    }
  }

  /**
   * The log grew (or the socket drained): send what this subscriber has not had, as far as the
   * buffer allows. Wakes are coalesced to one pump per event-loop turn, so a burst of events
   * leaves in one socket write instead of one system call per frame (10× the rate to a browser).
   */
  wake(): void {
    if (this.#wakePending || this.#closed) return;
    if (this.#blocked) {
      // A subscriber that cannot take more costs nothing until it drains (no pump, no store read);
      // only a log that forgets (the in-memory ring) is watched, O(1), to cut it off when it falls out.
      const sub = this.#sub;
      const log = this.#hub.log;
      if (sub !== null && log.replaysFromDisk !== true && sub.cursor < log.oldest() - 1) this.#tooSlow(sub.cursor);
      return;
    }
    this.#wakePending = true;
    setImmediate(this.#pumpNow);
  }

  readonly #pumpNow = (): void => {
    this.#wakePending = false;
    const sub = this.#sub;
    if (sub === null || this.#pumping || this.#closed) return;
    this.#pumping = true;
    const pump = (): void => this.#pump(sub);
    try {
      if (this.#io.batch === undefined) pump();
      else this.#io.batch(pump);
    } finally { this.#pumping = false; }
  };

  /** The socket closed: stop streaming. */
  dispose(): void {
    this.#closed = true;
    this.#unsubscribe();
  }

  /** The stream's own ops here; every other op is an operation of the table (src/ops), by the same name. */
  #dispatch(op: string, f: Frame): unknown {
    // With authentication on, `auth` comes first: only hello and ping answer before it.
    if (this.#caller === null && op !== 'hello' && op !== 'ping' && op !== 'auth') {
      const refused = new OpError('unauthorized', { problem: 'authenticate first: send {"op": "auth", "key": KEY}' }, [{ path: '/op', message: 'not authenticated', expected: 'auth', got: op }]);
      if (operation(op)?.effect === 'change') {
        const { id: _id, op: _op, ...params } = f;
        this.#access.refused?.(op, params, refused);
      }
      throw refused;
    }
    refuseUnknownFields(op, f);
    switch (op) {
      case 'auth': return this.#auth(f.key);
      case 'hello': return hello(this.#hub, this.#serverId, this.#limits);
      case 'subscribe':
        if (this.#caller?.scopes.has('read') !== true) throw new OpError('forbidden', { op, scope: 'read' }, [{ path: '', message: 'needs the read scope', expected: 'read' }]);
        return this.#subscribe(f);
      case 'unsubscribe': this.#unsubscribe(); return { subscribed: false };
      case 'ping': return { pong: true, time: Date.now() / 1000 };
      default: {
        const { id: _id, op: _op, ...params } = f;
        return invoke(op, params, this.#context());
      }
    }
  }

  #context(): OpContext {
    return this.#hub.context(this.#caller ?? { ...ANONYMOUS, scopes: new Set(), protocol: 'v2' }); // never null: #dispatch requires a caller
  }

  /** `auth {key}`: act for the key's name and scopes from now on (a wrong key changes nothing). */
  async #auth(key: unknown): Promise<{ name: string; scopes: string[] }> {
    if (this.#access.authenticate !== undefined) {
      try {
        this.#caller = await this.#access.authenticate(key);
      } catch (e) {
        if (e instanceof OpError) this.#access.refused?.('auth', {}, e);
        throw e;
      }
    }
    const c = this.#caller ?? ANONYMOUS;
    return { name: c.name, scopes: [...c.scopes] };
  }

  #subscribe(f: Frame): SubscribeResult {
    const topics = parseTopics(f.topics);
    if (f.batch !== undefined && typeof f.batch !== 'boolean') throw badField('batch', 'true or false', f.batch);
    const since = f.since;
    const log = this.#hub.log;
    let cursor = log.latest();
    if (since !== undefined && since !== null) {
      if (typeof since !== 'number' || !Number.isSafeInteger(since) || since < 0) throw badField('since', 'a non-negative integer', since);
      if (log.since(since) === 'too_old') {
        const oldest = log.oldest();
        throw new OpError('replay_unavailable', { since, oldest, latest: log.latest() },
          [{ path: '/since', message: 'not replayable', expected: `${String(oldest - 1)}..${String(log.latest())}`, got: String(since) }]);
      }
      cursor = since;
    }
    this.#unsubscribe();
    // The snapshot and the cursor are taken together, synchronously: nothing can be appended between them.
    const result: SubscribeResult = { topics: [...topics], seq: log.latest(), status: this.#hub.status(), open_run: this.#hub.openRun(), replay_from: cursor < log.latest() ? cursor + 1 : null };
    this.#sub = { topics, cursor, batch: f.batch === true };
    this.#hub.add(this);
    return result; // receive() sends the reply, then wakes the pump for the replay

  }

  #unsubscribe(): void {
    if (this.#sub === null) return;
    this.#sub = null;
    this.#hub.remove(this);
  }

  #pump(sub: Subscription): void {
    const limit = this.#limits.maxBufferedBytes;
    if (sub.cursor >= this.#hub.log.latest()) return;
    if (this.#io.buffered >= limit) { this.#blocked = true; return; } // before reading: a full socket reads nothing
    const events = this.#hub.log.since(sub.cursor);
    if (events === 'too_old') { this.#tooSlow(sub.cursor); return; }
    // Frames wait in `parts` and leave together when BATCH_BYTES are waiting or the pump ends:
    // batched (`subscribe {batch: true}`) as one JSON array, otherwise each as its own message.
    let parts: Buffer[] = [];
    let waiting = 0;
    const flush = (): void => {
      if (parts.length === 0) return;
      if (sub.batch) {
        parts.push(CLOSE);
        this.#io.send(Buffer.concat(parts), this.#onSent);
      } else {
        this.#sendEach(parts, this.#onSent);
      }
      parts = [];
      waiting = 0;
    };
    for (const e of events) {
      if (!this.#io.open) return;
      if (this.#io.buffered + waiting >= limit) { flush(); this.#blocked = true; return; }
      sub.cursor = e.seq;
      if (!sub.topics.has(e.topic)) continue;
      const frame = e.frame;
      if (sub.batch) parts.push(parts.length === 0 ? OPEN : COMMA, frame);
      else parts.push(frame);
      waiting += frame.length + 1;
      if (waiting >= BATCH_BYTES) flush();
    }
    flush();
  }

  #tooSlow(lastSeq: number): void {
    this.#unsubscribe();
    this.#closed = true;
    this.#hooks.onTooSlow?.(lastSeq);
    this.#io.close(CLOSE_TOO_SLOW, `too slow; last_seq=${String(lastSeq)}`);
  }

  #reply(id: unknown, outcome: unknown): void {
    if (!this.#io.open) return;
    const body: Reply = outcome instanceof OpError ? { id, ok: false, error: outcome.body } : { id, ok: true, result: outcome };
    let text: string;
    try { text = JSON.stringify(body); } catch (e) {
      // A result that cannot be serialised is a bug of ours: the client still gets its reply.
      this.#hooks.onInternalError?.(e);
      text = JSON.stringify({ id: typeof id === 'object' ? null : id, ok: false, error: new OpError('internal', { problem: 'the reply could not be encoded' }).body });
    }
    this.#io.send(text, this.#onSent);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseTopics(raw: unknown): Set<Topic> {
  if (raw === undefined || raw === null) return new Set(TOPICS);
  if (!Array.isArray(raw) || raw.length === 0) throw badField('topics', `a non-empty array of ${TOPICS.join(', ')}`, raw);
  const bad = raw.filter((t) => !(TOPICS as readonly unknown[]).includes(t));
  if (bad.length > 0) throw badField('topics', `a non-empty array of ${TOPICS.join(', ')}`, bad);
  return new Set(raw as Topic[]);
}

/** The fields of the stream's own ops, beside `id` and `op` (the table's ops are checked by their schemas). */
const STREAM_OP_FIELDS: Readonly<Record<string, readonly string[]>> = { subscribe: ['topics', 'since', 'batch'], auth: ['key'], hello: [], ping: [], unsubscribe: [] };

/**
 * A field the op does not take is refused, as the table's ops refuse one: a `subscribe` with `sinse`
 * answered ok, streaming live from now, and the client believed it had resumed.
 */
function refuseUnknownFields(op: string, f: Frame): void {
  const allowed = STREAM_OP_FIELDS[op];
  if (allowed === undefined) return;
  const extra = Object.keys(f).filter((k) => k !== 'id' && k !== 'op' && !allowed.includes(k));
  const first = extra[0];
  if (first === undefined) return;
  const expected = allowed.length === 0 ? 'no fields beside id and op' : `only ${allowed.join(', ')} beside id and op`;
  throw new OpError('bad_request', { problem: `${op} takes no field "${first}" (${expected})` }, [{ path: `/${first}`, message: `unknown parameter "${first}"`, expected, got: extra.join(', ') }]);
}
