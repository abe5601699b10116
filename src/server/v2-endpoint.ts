/**
 * Protocol v2 on the server: one hub (event log) per dispatcher, a session per
 * connection adapted to `ws`, and websocket heartbeats that end dead peers.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { type RawData, WebSocket } from 'ws';
import type { Dispatcher } from '../dispatcher/index.js';
import { type EventLog, MemoryEventLog } from '../protocol/v2/event-log.js';
import { V2Hub } from '../protocol/v2/hub.js';
import { StoreEventLog } from '../protocol/v2/store-log.js';
import type { V2Limits } from '../protocol/v2/ops.js';
import { V2Session } from '../protocol/v2/session.js';
import type { Logger } from './logger.js';

export interface V2Options {
  /** Events the in-memory log keeps for `since` replay. Default 100 000. */
  logMaxEvents?: number;
  /** Bytes (of event JSON) the in-memory log keeps. Default 64 MiB. */
  logMaxBytes?: number;
  /** Replaces the in-memory log (e.g. the durable store's); the two limits above then only inform `hello`. */
  eventLog?: EventLog;
  /** A connection's unsent bytes above which streaming to it waits. Default 1 MiB. */
  maxBufferedBytes?: number;
  /** Largest request accepted (larger: `too_large`). Default 256 KiB. */
  maxRequestBytes?: number;
  /** Websocket ping interval; a peer that misses a pong for a whole interval is terminated. Default 15 000; 0 disables. */
  heartbeatMs?: number;
}

/** A stream that can hold writes and pass them on together (net.Socket). */
export interface Corkable { cork(): void; uncork(): void }

export class V2Endpoint {
  readonly hub: V2Hub;
  readonly serverId = randomUUID();
  readonly limits: V2Limits;
  readonly #alive = new Map<WebSocket, boolean>();
  #timer: NodeJS.Timeout | null = null;

  constructor(dispatcher: Dispatcher, logger: Logger, options: V2Options = {}) {
    const log = options.eventLog ?? new MemoryEventLog({
      ...(options.logMaxEvents === undefined ? {} : { maxEvents: options.logMaxEvents }),
      ...(options.logMaxBytes === undefined ? {} : { maxBytes: options.logMaxBytes }),
    });
    this.limits = {
      maxRequestBytes: options.maxRequestBytes ?? 256 * 1024, maxBufferedBytes: options.maxBufferedBytes ?? 1024 * 1024,
      logMaxEvents: log instanceof MemoryEventLog ? log.maxEvents : log instanceof StoreEventLog ? log.memory.maxEvents : options.logMaxEvents ?? 0,
      logMaxBytes: log instanceof MemoryEventLog ? log.maxBytes : log instanceof StoreEventLog ? log.memory.maxBytes : options.logMaxBytes ?? 0,
      heartbeatMs: options.heartbeatMs ?? 15_000,
    };
    this.hub = new V2Hub(dispatcher, log, logger);
  }

  /** Unsent bytes of each open v2 connection (for monitoring and the memory-bound test). */
  bufferedAmounts(): number[] { return [...this.#alive.keys()].map((ws) => ws.bufferedAmount); }

  /** Begin heartbeats (called when the server listens). */
  start(): void {
    if (this.limits.heartbeatMs <= 0 || this.#timer !== null) return;
    this.#timer = setInterval(() => this.#beat(), this.limits.heartbeatMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** Serve one upgraded connection; `socket` is its TCP socket (corked around bursts of events). */
  accept(ws: WebSocket, log: Logger, socket?: Corkable): void {
    const session = new V2Session(this.hub, {
      send: (data, done) => ws.send(data, { binary: false }, () => done()),
      ...(socket === undefined ? {} : {
        batch: (write: () => void) => {
          socket.cork();
          try { write(); } finally { socket.uncork(); }
        },
      }),
      get buffered() { return ws.bufferedAmount; },
      get open() { return ws.readyState === WebSocket.OPEN; },
      close: (code, reason) => ws.close(code, reason),
    }, this.serverId, this.limits, {
      onTooSlow: (lastSeq) => log.warn({ lastSeq, buffered: ws.bufferedAmount }, 'v2 subscriber fell behind the event log; closing it (4008)'),
      onInternalError: (e) => log.error({ err: e }, 'v2 request failed'),
    });
    this.#alive.set(ws, true);
    ws.on('pong', () => this.#alive.set(ws, true));
    ws.on('message', (data, isBinary) => {
      if (isBinary) { void session.receive('\u0000binary'); return; } // answered as bad_request: v2 is JSON text frames
      session.receive(text(data)).catch((e: unknown) => log.error({ err: e }, 'v2 request handler failed'));
    });
    ws.on('close', (code) => {
      this.#alive.delete(ws);
      session.dispose();
      log.debug({ code, lastSeq: session.cursor }, 'v2 closed');
    });
  }

  #beat(): void {
    for (const [ws, alive] of this.#alive) {
      if (!alive) { ws.terminate(); continue; } // no pong for a whole interval: a dead peer
      this.#alive.set(ws, false);
      ws.ping();
    }
  }
}

function text(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data as ArrayBuffer).toString('utf8');
}
