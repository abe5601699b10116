/**
 * One v1 connection's conversation: parse each frame, call the dispatcher, and
 * answer in the seed's words; close after one request unless `keep_open`;
 * a subscriber gets its first status then every event. No socket code.
 * @module
 */
import type { Dispatcher, DispatcherEvent } from '../../dispatcher/index.js';
import { type ErrorInfo, errorFrom } from '../../host/index.js';
import { ANONYMOUS, type Caller, OpError, type OpContext, type OpServices, invoke } from '../../ops/index.js';
import type { ParamError } from '../../dispatcher/index.js';
import { parseFrame } from '../json-frame.js';
import * as R from './replies.js';

/** What the session needs from the transport. */
export interface V1Connection {
  send(text: string): void;
  close(code: number): void;
}

export interface V1Hooks {
  /** Called with each request's type (or 'invalid') and how long it took; for logs. */
  onRequest?(type: string, ms: number): void;
  /** Who this connection acts for (default: anyone, every scope). v1 cannot carry a key. */
  caller?: Caller;
  /** The server-wide services of the operation table (audit log, control lock). */
  services?: OpServices;
  /** A request failed with something unexpected (a bug): the client got `exception was raised`; log it. */
  onError?(error: unknown): void;
}

/** Close code after a reply: normal closure, as the seed's handler returning. */
export const CLOSE_NORMAL = 1000;

const CONTROL = new Set(['pause', 'resume', 'stop', 'abort', 'halt']);

// Every subscriber gets the same text for an event: render it once.
let lastEvent: DispatcherEvent | null = null;
let lastText = '';
function render(event: DispatcherEvent): string {
  if (event !== lastEvent) { lastEvent = event; lastText = R.eventMessage(event); }
  return lastText;
}

export class V1Session {
  readonly #dispatcher: Dispatcher;
  readonly #conn: V1Connection;
  readonly #hooks: V1Hooks;
  readonly #caller: Caller;
  readonly #services: OpServices;
  #done = false;
  /** The keep_open of the request being handled (for the reply to one that fails). */
  #keepOpen = false;
  #unlisten: (() => void) | null = null;
  #queue: Promise<void> = Promise.resolve();

  constructor(dispatcher: Dispatcher, conn: V1Connection, hooks: V1Hooks = {}) {
    this.#dispatcher = dispatcher;
    this.#conn = conn;
    this.#hooks = hooks;
    this.#caller = hooks.caller ?? { ...ANONYMOUS, protocol: 'v1' };
    this.#services = hooks.services ?? {};
  }

  /** True once this connection subscribed to the stream. */
  get subscribed(): boolean { return this.#unlisten !== null; }

  /** Handle one frame; frames on one connection are answered in order. */
  receive(text: string): Promise<void> {
    // Never rejects: one failed request must not leave the queue rejected (every later frame unanswered).
    this.#queue = this.#queue.then(() => this.#handle(text)).catch((e: unknown) => this.#failed(e));
    return this.#queue;
  }

  /** The transport closed: stop streaming to it. */
  dispose(): void {
    this.#done = true;
    this.#unlisten?.();
    this.#unlisten = null;
  }

  async #handle(text: string): Promise<void> {
    // A subscriber's later frames are ignored, as the seed never reads them.
    if (this.#done || this.#unlisten !== null) return;
    const t0 = performance.now();
    this.#keepOpen = false;
    const parsed = parseFrame(text);
    if (!parsed.ok) {
      // Too deeply nested counts as not decodable (Python's json.loads gives up on it too); such a
      // frame is still valid JSON, so its top-level keep_open is honoured and the connection goes on.
      const keepOpen = parsed.reason === 'too_deep' && isObject(parsed.value) && 'keep_open' in parsed.value;
      this.#finish(R.NOT_JSON, keepOpen, 'invalid', t0);
      return;
    }
    const frame = parsed.value;
    const obj = isObject(frame) ? frame : null;
    const type = obj === null ? undefined : obj.type;
    if (obj === null || typeof type !== 'string') {
      // The seed's handler died here (close 1011, no reply); the contract asks for this reply.
      this.#finish(R.UNSUPPORTED, false, 'invalid', t0);
      return;
    }
    const keepOpen = 'keep_open' in obj;
    this.#keepOpen = keepOpen;
    // `serve --auth --v1-scopes` without read: state and the stream are refused like any op.
    if ((type === 'subscribe' || type === 'state') && !this.#caller.scopes.has('read')) { this.#finish(R.refused(`${type} needs the read scope`), false, type, t0); return; }
    if (type === 'subscribe') { this.#subscribe(); this.#hooks.onRequest?.(type, performance.now() - t0); return; }
    const reply = type === 'start' ? await this.#start(obj)
      : type === 'state' ? R.currentState(this.#dispatcher.state)
        : CONTROL.has(type) ? await this.#control(type, obj)
          : null;
    if (reply === null) this.#finish(R.UNSUPPORTED, false, type, t0);
    else this.#finish(reply, keepOpen, type, t0);
  }

  /** A request threw: answer in the seed's words for an exception, log it, and go on as its keep_open says. */
  #failed(error: unknown): void {
    this.#hooks.onError?.(error);
    if (this.#unlisten !== null) return; // a subscribe that failed after subscribing: the stream goes on
    this.#finish(R.exceptionRaised(error), this.#keepOpen, 'failed', performance.now());
  }

  #finish(reply: string, keepOpen: boolean, type: string, t0: number): void {
    if (this.#done) return;
    this.#conn.send(reply);
    if (!keepOpen) {
      this.#done = true;
      this.#conn.close(CLOSE_NORMAL);
    }
    this.#hooks.onRequest?.(type, performance.now() - t0);
  }

  async #start(obj: Record<string, unknown>): Promise<string> {
    if (!('plan' in obj)) return R.NO_PLAN_KEY;
    const name = pyStr(obj.plan);
    const hasParams = 'params' in obj;
    // The seed answered busy before looking at anything else.
    const d = this.#dispatcher;
    if (d.busy) return R.busy(d.activeScan?.name ?? null);
    const outcome = await this.#invoke('start', hasParams ? { plan: name, params: obj.params } : { plan: name });
    if (!(outcome instanceof OpError)) return R.started(hasParams ? obj.params : undefined);
    const data = outcome.data as { planName?: string | null; suggestion?: string | null; summary?: string; errors?: ParamError[] };
    if (outcome.code === 'forbidden') return R.refused(outcome.message);
    switch (outcome.code) {
      case 'busy': return R.busy(data.planName ?? null);
      case 'unknown_plan': case 'bad_request': return R.unknownPlan(name, data.suggestion ?? null);
      case 'invalid_params': return R.invalidParams(name, data.summary ?? outcome.message, data.errors ?? []);
      default: return R.exceptionRaised(outcome);
    }
  }

  async #control(type: string, obj: Record<string, unknown>): Promise<string> {
    const params = type === 'abort' ? { reason: obj.reason === undefined || obj.reason === null ? '' : pyStr(obj.reason) } : {};
    const outcome = await this.#invoke(type, params);
    if (!(outcome instanceof OpError)) return R.requested(type as 'pause');
    if (outcome.code === 'forbidden') return R.refused(outcome.message);
    const data = outcome.data as { notPaused?: boolean; cause?: ErrorInfo };
    if (data.notPaused === true) return R.NOT_PAUSED;
    // The engine's own error, as the seed quotes it: repr(TransitionError(...)).
    return R.exceptionRaised(data.cause === undefined ? outcome : errorFrom(data.cause));
  }

  /** Run an operation of the table; a refusal is returned (v1 words it), a bug is thrown. */
  async #invoke(op: string, params: Record<string, unknown>): Promise<unknown> {
    const ctx: OpContext = { ...this.#services, dispatcher: this.#dispatcher, runs: null, latestSeq: () => 0, caller: this.#caller };
    try {
      return await invoke(op, params, ctx);
    } catch (e) {
      if (e instanceof OpError) return e;
      throw e;
    }
  }

  #subscribe(): void {
    const conn = this.#conn;
    const { snapshot, unlisten } = this.#dispatcher.listen((event) => conn.send(render(event)));
    this.#unlisten = unlisten;
    // Sent before any event can fire: events only happen on later turns of the loop.
    conn.send(R.firstStatus(this.#dispatcher.version, snapshot));
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Python `str()` of a JSON value, as the seed formats names into its replies. */
function pyStr(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  return JSON.stringify(v);
}
