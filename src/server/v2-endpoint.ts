/**
 * Protocol v2 on the server: one hub (event log) per dispatcher, a session per
 * connection adapted to `ws`, and websocket heartbeats that end dead peers
 * (never a live one that is only behind: see {@link V2Endpoint.accept}).
 * @module
 */
import { randomUUID } from 'node:crypto';
import { type RawData, WebSocket } from 'ws';
import type { Dispatcher } from '../dispatcher/index.js';
import { MemoryEventLog } from '../protocol/v2/event-log.js';
import { V2Hub } from '../protocol/v2/hub.js';
import { StoreEventLog } from '../protocol/v2/store-log.js';
import { Journal } from './journal.js';
import type { V2Limits } from '../protocol/v2/ops.js';
import { type SessionAccess, V2Session } from '../protocol/v2/session.js';
import type { Logger } from './logger.js';
import { textFrames } from './ws-frame.js';

export interface V2Options {
  /** Events the in-memory log keeps for `since` replay. Default 100 000. */
  logMaxEvents?: number;
  /** Bytes (of event JSON) the in-memory log keeps. Default 64 MiB. */
  logMaxBytes?: number;
  /** The dispatcher's journal v2 reads (the server makes it, with the store); default: a journal over the in-memory ring. */
  journal?: Journal;
  /** A connection's unsent bytes above which streaming to it waits. Default 1 MiB. */
  maxBufferedBytes?: number;
  /** Largest request accepted (larger: `too_large`). Default 256 KiB. */
  maxRequestBytes?: number;
  /**
   * Websocket ping interval. A peer that sent nothing (no pong, no request) for a whole interval
   * and whose socket took none of our writes for two is terminated. Default 15 000; 0 disables.
   */
  heartbeatMs?: number;
}

/** The connection's TCP socket (net.Socket): held writes pass on together; whole frames can be written past ws. */
export interface Corkable { cork(): void; uncork(): void; write(data: Buffer, done: () => void): boolean }

export class V2Endpoint {
  readonly hub: V2Hub;
  readonly serverId = randomUUID();
  readonly limits: V2Limits;
  readonly #peers = new Map<WebSocket, Liveness>();
  #timer: NodeJS.Timeout | null = null;
  #lastBeat = 0;

  constructor(dispatcher: Dispatcher, logger: Logger, options: V2Options = {}) {
    const journal = options.journal ?? new Journal(dispatcher, {
      logger,
      ...(options.logMaxEvents === undefined ? {} : { maxEvents: options.logMaxEvents }),
      ...(options.logMaxBytes === undefined ? {} : { maxBytes: options.logMaxBytes }),
    });
    const log = journal.log;
    this.limits = {
      maxRequestBytes: options.maxRequestBytes ?? 256 * 1024, maxBufferedBytes: options.maxBufferedBytes ?? 1024 * 1024,
      logMaxEvents: log instanceof MemoryEventLog ? log.maxEvents : log instanceof StoreEventLog ? log.memory.maxEvents : options.logMaxEvents ?? 0,
      logMaxBytes: log instanceof MemoryEventLog ? log.maxBytes : log instanceof StoreEventLog ? log.memory.maxBytes : options.logMaxBytes ?? 0,
      heartbeatMs: options.heartbeatMs ?? 15_000,
    };
    this.hub = new V2Hub(journal);
  }

  /** Unsent bytes of each open v2 connection (for monitoring and the memory-bound test). */
  bufferedAmounts(): number[] { return [...this.#peers.keys()].map((ws) => ws.bufferedAmount); }

  /** Begin heartbeats (called when the server listens). */
  start(): void {
    if (this.limits.heartbeatMs <= 0 || this.#timer !== null) return;
    this.#lastBeat = performance.now();
    this.#timer = setInterval(() => this.#beat(), this.limits.heartbeatMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** Serve one upgraded connection; `socket` is its TCP socket (corked around bursts of events). */
  accept(ws: WebSocket, log: Logger, socket?: Corkable, access: SessionAccess = {}): void {
    const session = new V2Session(this.hub, {
      send: (data, done) => ws.send(data, { binary: false }, () => { peer.drainedAt = performance.now(); done(); }),
      ...(socket === undefined ? {} : {
        batch: (write: () => void) => {
          socket.cork();
          try { write(); } finally { socket.uncork(); }
        },
        // Whole frames, after whatever ws queued before them (ws writes to this socket at once:
        // no compression is negotiated), so messages and ws's own frames never interleave.
        sendEach: (payloads: readonly Buffer[], done: () => void) => {
          if (ws.readyState !== WebSocket.OPEN) return;
          socket.write(textFrames(payloads), () => { peer.drainedAt = performance.now(); done(); });
        },
      }),
      get buffered() { return ws.bufferedAmount; },
      get open() { return ws.readyState === WebSocket.OPEN; },
      close: (code, reason) => ws.close(code, reason),
    }, this.serverId, this.limits, {
      onTooSlow: (lastSeq) => log.warn({ lastSeq, buffered: ws.bufferedAmount }, 'v2 subscriber fell behind the event log; closing it (4008)'),
      onInternalError: (e) => log.error({ err: e }, 'v2 request failed'),
    }, access);
    // A peer is alive if it answers pings, sends anything, or keeps taking our frames: a ping is
    // queued behind everything already buffered for the socket, so a browser seconds behind a fast
    // scan cannot answer in time, yet the writes the OS completes for it prove it is reading.
    const peer: Liveness = { pong: true, drainedAt: 0 };
    this.#peers.set(ws, peer);
    ws.on('pong', () => { peer.pong = true; });
    ws.on('message', (data, isBinary) => {
      peer.pong = true;
      // Binary frames are answered as bad_request (v2 is JSON text frames); receive() never throws, but a bug must not escape.
      try {
        if (isBinary) session.refuseBinary();
        else session.receive(text(data)).catch((e: unknown) => log.error({ err: e }, 'v2 request handler failed'));
      } catch (e) {
        log.error({ err: e }, 'v2 request handler failed');
      }
    });
    ws.on('close', (code) => {
      this.#peers.delete(ws);
      session.dispose();
      log.debug({ code, lastSeq: session.cursor }, 'v2 closed');
    });
  }

  #beat(): void {
    const now = performance.now();
    // A beat that comes late means our own event loop was busy: the pongs may be waiting unread
    // (timers run before socket reads), so this interval proves nothing about the peers.
    const stalled = now - this.#lastBeat > this.limits.heartbeatMs * 1.5;
    this.#lastBeat = now;
    for (const [ws, peer] of this.#peers) {
      // Writes complete in bursts (the kernel wakes a writer only once half its send buffer is
      // free), so a slow reader may take nothing for a while: two intervals of grace.
      const draining = now - peer.drainedAt < this.limits.heartbeatMs * 2;
      // No pong and nothing taken: a dead (or stuck) peer.
      if (!peer.pong && !draining && !stalled) { ws.terminate(); continue; }
      peer.pong = false;
      ws.ping();
    }
  }
}

/** What the heartbeat knows of a peer since its last beat. */
interface Liveness {
  /** A pong (or any frame) arrived. */
  pong: boolean;
  /** When the OS last completed a write of ours to this peer (performance.now()). */
  drainedAt: number;
}

function text(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data as ArrayBuffer).toString('utf8');
}
