/**
 * Test plumbing for protocol v2: a real server on port 0 (the v1 tests' scans
 * plus the standard plans), and a raw `ws` client that records replies and events.
 * @module
 */
import { WebSocket } from 'ws';
import { SocketClient, openClient } from '../helpers/socket-client.js';
import type { Dispatcher } from '../../src/dispatcher/index.js';
import { testEngine } from '../helpers/engine.js';
import { GateBroker } from '../helpers/gates.js';
import { documentErrors } from '../../src/model/validate.js';
import type { DocumentName } from '../../src/model/documents.js';
import type { Event, Reply } from '../../src/protocol/v2/types.js';
import { type DispatcherServer, type Logger, type V2Options, createDispatcher, createLogger, serverOf } from '../../src/server/index.js';
import { Gate, type GateHolder } from '../protocol-v1/helpers.js';

export { Gate };

export interface V2TestServer extends GateHolder {
  dispatcher: Dispatcher;
  server: DispatcherServer;
  url: string;
  close(): Promise<void>;
}

/** A server with the standard plans and the v1 tests' scans (gated, slow_count, fast_count, failing, simulated). */
export async function startV2Server(options: { v2?: V2Options; logger?: Logger; port?: number } = {}): Promise<V2TestServer> {
  const logger = options.logger ?? createLogger({ level: 'silent' });
  const holder: GateHolder = { gate: new Gate() };
  const broker = new GateBroker({ gated: () => holder.gate.promise });
  broker.publish();
  const dispatcher = createDispatcher({ engine: testEngine(), server: { port: options.port ?? 0, logger, ...(options.v2 === undefined ? {} : { v2: options.v2 }) } });
  await dispatcher.start();
  const server = serverOf(dispatcher);
  if (server === null) throw new Error('no server');
  return Object.assign(holder, {
    dispatcher, server, url: `${server.url}v2`,
    close: async () => { holder.gate.open(); await dispatcher.stop('test over'); broker.close(); },
  });
}

type Frame = Record<string, unknown>;

/** A raw v2 connection: numbered requests, every event kept in arrival order. */
export class V2Conn extends SocketClient {
  readonly events: Event[] = [];
  readonly replies: Array<Reply & { id: unknown }> = [];
  #nextId = 1;
  #pending = new Map<unknown, (r: Reply) => void>();

  private constructor(ws: WebSocket) { super(ws); }

  static connect(url: string): Promise<V2Conn> { return openClient(url, (ws) => new V2Conn(ws)); }

  protected onMessage(text: string): void {
    const f = JSON.parse(text) as Frame;
    if ('seq' in f && !('ok' in f)) this.events.push(f as unknown as Event);
    else {
      const r = f as unknown as Reply;
      this.replies.push(r);
      this.#pending.get(r.id)?.(r);
      this.#pending.delete(r.id);
    }
  }

  /** Send `{id, op, ...params}` and wait for its reply. */
  request(op: string, params: Frame = {}): Promise<Reply> {
    const id = this.#nextId++;
    return this.raw({ id, op, ...params }, id);
  }

  /** Send any frame; resolves with the reply carrying `id`. */
  raw(frame: Frame | string | Buffer, id: unknown): Promise<Reply> {
    const p = new Promise<Reply>((resolve) => this.#pending.set(id, resolve));
    // A Buffer goes as a binary frame.
    if (Buffer.isBuffer(frame)) this.ws.send(frame, { binary: true });
    else this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
    return p;
  }

  /** The reply's result; throws with the error body if it failed. */
  async ok<R = Frame>(op: string, params: Frame = {}): Promise<R> {
    const r = await this.request(op, params);
    if (!r.ok) throw new Error(`${op} failed: ${JSON.stringify(r.error)}`);
    return r.result as R;
  }

  /** Wait for an event matching `pred` (searching from index `from`); returns its index. */
  async waitEvent(pred: (e: Event) => boolean, from = 0): Promise<number> {
    for (let i = from; ; i++) {
      while (this.events.length <= i) {
        if (this.ws.readyState === WebSocket.CLOSED) throw new Error('closed before a matching event');
        await this.nextMessage();
      }
      const e = this.events[i];
      if (e !== undefined && pred(e)) return i;
    }
  }

  /** Wait until an event with this seq (or later) arrived. */
  async waitSeq(seq: number): Promise<void> {
    await this.waitEvent((e) => e.seq >= seq);
  }
}

/** Every document event's problems (event-model schema), as `name: message` strings. */
export function invalidDocuments(events: readonly Event[]): string[] {
  const out: string[] = [];
  for (const e of events) {
    if (e.topic !== 'document') continue;
    const d = e.data as { name: DocumentName; doc: unknown };
    for (const err of documentErrors(d.name, d.doc)) out.push(`${d.name}${err.path}: ${err.message}`);
  }
  return out;
}

/** Wait until the dispatcher is idle and the hub's log has the final `idle` transition. */
export async function settle(s: V2TestServer): Promise<void> {
  await s.dispatcher.whenIdle();
}
