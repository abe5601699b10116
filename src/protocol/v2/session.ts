/**
 * One v2 connection: parses requests, answers them, and streams the event log
 * from a per-connection cursor, so replay and live delivery are one mechanism
 * and a slow client costs only its cursor (the log is shared and bounded).
 * @module
 */
import { CodedError } from '../../model/errors.js';
import { V2Error, badField } from './errors.js';
import type { HubSubscriber, V2Hub } from './hub.js';
import { type Frame, type V2Limits, check, control, devices, hello, plans, reload, start } from './ops.js';
import { CLOSE_TOO_SLOW, OPS, type OpName, type Reply, type SubscribeResult, TOPICS, type Topic } from './types.js';
import { frameOf } from './event-log.js';
import { runsGet, runsList } from './runs-ops.js';

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
}

export interface SessionHooks {
  /** A subscriber was cut off for falling behind. */
  onTooSlow?: (lastSeq: number) => void;
  /** A request threw something that is not a V2Error (a bug): logged by the server. */
  onInternalError?: (error: unknown) => void;
}

interface Subscription { topics: Set<Topic>; cursor: number }

export class V2Session implements HubSubscriber {
  readonly #hub: V2Hub;
  readonly #io: V2Transport;
  readonly #serverId: string;
  readonly #limits: V2Limits;
  readonly #hooks: SessionHooks;
  #sub: Subscription | null = null;
  #blocked = false;
  #pumping = false;
  #wakePending = false;
  #closed = false;
  readonly #onSent = (): void => { if (this.#blocked) { this.#blocked = false; this.wake(); } };

  constructor(hub: V2Hub, io: V2Transport, serverId: string, limits: V2Limits, hooks: SessionHooks = {}) {
    this.#hub = hub;
    this.#io = io;
    this.#serverId = serverId;
    this.#limits = limits;
    this.#hooks = hooks;
  }

  /** The last seq this connection was sent (or passed over by its topic filter); null when not subscribed. */
  get cursor(): number | null { return this.#sub?.cursor ?? null; }

  /** Handle one text frame; resolves when its reply has been queued. */
  async receive(text: string): Promise<void> {
    if (Buffer.byteLength(text, 'utf8') > this.#limits.maxRequestBytes) {
      this.#reply(null, new V2Error('too_large', `request is larger than ${String(this.#limits.maxRequestBytes)} bytes`, [{ path: '', message: 'too large', expected: `at most ${String(this.#limits.maxRequestBytes)} bytes`, got: `${String(Buffer.byteLength(text, 'utf8'))} bytes` }]));
      return;
    }
    let frame: unknown;
    try { frame = JSON.parse(text); } catch {
      this.#reply(null, new V2Error('bad_request', 'the frame is not valid JSON', [{ path: '', message: 'not JSON', expected: 'a JSON object' }]));
      return;
    }
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
      if (e instanceof V2Error) { this.#reply(id, e); return; }
      // The engine's thread did not answer (a plan blocking it) or is being replaced.
      if (e instanceof CodedError && e.code.startsWith('HOST_')) { this.#reply(id, new V2Error('unavailable', e.message)); return; }
      this.#hooks.onInternalError?.(e);
      this.#reply(id, new V2Error('internal', e instanceof Error ? e.message : String(e)));
    }
  }

  /**
   * The log grew (or the socket drained): send what this subscriber has not had, as far as the
   * buffer allows. Wakes are coalesced to one pump per event-loop turn, so a burst of events
   * leaves in one socket write instead of one system call per frame (10× the rate to a browser).
   */
  wake(): void {
    if (this.#wakePending || this.#closed) return;
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

  #dispatch(op: string, f: Frame): unknown {
    if (!(OPS as readonly string[]).includes(op)) throw new V2Error('unknown_op', `unknown op "${op}"`, [{ path: '/op', message: 'unknown op', expected: `one of ${OPS.join(', ')}`, got: JSON.stringify(op) }]);
    const hub = this.#hub;
    switch (op as OpName) {
      case 'hello': return hello(hub, this.#serverId, this.#limits);
      case 'status': return hub.status();
      case 'plans': return plans(hub);
      case 'devices': return devices(hub);
      case 'validate': return check(hub, f);
      case 'start': return start(hub, f);
      case 'pause': case 'resume': case 'stop': case 'abort': case 'halt':
        return control(hub, op as 'pause', f);
      case 'subscribe': return this.#subscribe(f);
      case 'unsubscribe': this.#unsubscribe(); return { subscribed: false };
      case 'ping': return { pong: true, time: Date.now() / 1000 };
      case 'runs.list': return runsList(hub, f);
      case 'runs.get': return runsGet(hub, f);
      case 'reload': return reload(hub);
    }
  }

  #subscribe(f: Frame): SubscribeResult {
    const topics = parseTopics(f.topics);
    const since = f.since;
    const log = this.#hub.log;
    let cursor = log.latest();
    if (since !== undefined && since !== null) {
      if (typeof since !== 'number' || !Number.isSafeInteger(since) || since < 0) throw badField('since', 'a non-negative integer', since);
      if (log.since(since) === 'too_old') {
        const oldest = log.oldest();
        throw new V2Error('replay_unavailable', `cannot replay from seq ${String(since)}: the oldest event kept is ${String(oldest)} and the latest ${String(log.latest())}`,
          [{ path: '/since', message: 'not replayable', expected: `${String(oldest - 1)}..${String(log.latest())}`, got: String(since) }]);
      }
      cursor = since;
    }
    this.#unsubscribe();
    // The snapshot and the cursor are taken together, synchronously: nothing can be appended between them.
    const result: SubscribeResult = { topics: [...topics], seq: log.latest(), status: this.#hub.status(), open_run: this.#hub.openRun(), replay_from: cursor < log.latest() ? cursor + 1 : null };
    this.#sub = { topics, cursor };
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
    const events = this.#hub.log.since(sub.cursor);
    if (events === 'too_old') { this.#tooSlow(sub.cursor); return; }
    for (const e of events) {
      if (!this.#io.open) return;
      if (this.#io.buffered >= limit) { this.#blocked = true; return; }
      sub.cursor = e.seq;
      if (sub.topics.has(e.topic)) this.#io.send(frameOf(e), this.#onSent);
    }
  }

  #tooSlow(lastSeq: number): void {
    this.#unsubscribe();
    this.#closed = true;
    this.#hooks.onTooSlow?.(lastSeq);
    this.#io.close(CLOSE_TOO_SLOW, `too slow; last_seq=${String(lastSeq)}`);
  }

  #reply(id: unknown, outcome: unknown): void {
    if (!this.#io.open) return;
    const body: Reply = outcome instanceof V2Error ? { id, ok: false, error: outcome.body } : { id, ok: true, result: outcome };
    this.#io.send(JSON.stringify(body), this.#onSent);
  }
}

function parseTopics(raw: unknown): Set<Topic> {
  if (raw === undefined || raw === null) return new Set(TOPICS);
  if (!Array.isArray(raw) || raw.length === 0) throw badField('topics', `a non-empty array of ${TOPICS.join(', ')}`, raw);
  const bad = raw.filter((t) => !(TOPICS as readonly unknown[]).includes(t));
  if (bad.length > 0) throw badField('topics', `a non-empty array of ${TOPICS.join(', ')}`, bad);
  return new Set(raw as Topic[]);
}
