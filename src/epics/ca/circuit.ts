/**
 * The client's TCP virtual circuit to one server: the handshake, channel creation,
 * routing of replies to the channel / request / subscription they answer, echo probes
 * of a silent server, and telling everyone when the circuit is lost.
 * @module
 */
import { connect, type Socket } from 'node:net';
import { CA_MINOR_VERSION, Cmd, encodeMessage, MessageReader, stringPayload, type CaMessage } from './proto.js';

/** What a circuit tells a channel. */
export interface CircuitChannel {
  readonly cid: number;
  readonly name: string;
  onAccessRights(rights: number): void;
  onCreated(sid: number, dataType: number, count: number): void;
  onCreateFailed(): void;
  /** The server dropped the channel, or the circuit was lost. */
  onLost(): void;
  /** CA_PROTO_ERROR about a plain put (or anything not tied to a request id). */
  onError(status: number, text: string): void;
}

/** A pending READ_NOTIFY / WRITE_NOTIFY, or a subscription: receives its replies. */
export interface ReplyHandler {
  onReply(m: CaMessage): void;
  /** CA_PROTO_ERROR naming this request. */
  onError(status: number, text: string): void;
}

export interface CircuitOptions {
  host: string;
  port: number;
  hostName: string;
  userName: string;
  /** Seconds of silence before an echo probe (EPICS_CA_CONN_TMO). */
  connTimeout: number;
  onClosed: (circuit: ClientCircuit) => void;
}

/** Seconds an echo may take before the server counts as unresponsive. */
const ECHO_GRACE = 5;

/** One TCP connection to a CA server, shared by every channel that server hosts. */
export class ClientCircuit {
  readonly host: string;
  readonly port: number;
  readonly #socket: Socket;
  readonly #options: CircuitOptions;
  readonly #channels = new Map<number, CircuitChannel>();
  readonly #requests = new Map<number, ReplyHandler>();
  readonly #subscriptions = new Map<number, ReplyHandler>();
  #out: Buffer[] = [];
  #flushQueued = false;
  #connected = false;
  #closed = false;
  #lastHeard = performance.now();
  #echoTimer: ReturnType<typeof setInterval> | null = null;
  #echoSentAt: number | null = null;

  constructor(options: CircuitOptions) {
    this.#options = options;
    this.host = options.host;
    this.port = options.port;
    const reader = new MessageReader((m) => this.#handle(m));
    this.#socket = connect({ host: options.host, port: options.port, noDelay: true });
    this.#socket.on('connect', () => this.#onConnect());
    this.#socket.on('data', (chunk: Buffer) => {
      this.#lastHeard = performance.now();
      this.#echoSentAt = null;
      reader.push(chunk);
    });
    this.#socket.on('error', () => { /* 'close' follows */ });
    this.#socket.on('close', () => this.#lost());
  }

  get connected(): boolean { return this.#connected; }
  get closed(): boolean { return this.#closed; }
  /** `host:port`, the key circuits are shared by. */
  get address(): string { return `${this.host}:${this.port}`; }

  /** Ask the server for `ch` (now, or as soon as the circuit is up). */
  attach(ch: CircuitChannel): void {
    this.#channels.set(ch.cid, ch);
    if (this.#connected) this.#sendCreate(ch);
  }

  /** Forget `ch` and tell the server (CLEAR_CHANNEL) when it had a server id. */
  detach(ch: CircuitChannel, sid: number | null): void {
    this.#channels.delete(ch.cid);
    if (sid !== null && this.#connected) this.send(encodeMessage(Cmd.CLEAR_CHANNEL, 0, 0, sid, ch.cid));
    if (this.#channels.size === 0) this.close();
  }

  /** Route replies with `id` (an ioid) to `handler` until {@link forget}. */
  expect(id: number, handler: ReplyHandler): void { this.#requests.set(id, handler); }
  forget(id: number): void { this.#requests.delete(id); }
  subscribe(subid: number, handler: ReplyHandler): void { this.#subscriptions.set(subid, handler); }
  unsubscribe(subid: number): void { this.#subscriptions.delete(subid); }

  /** Queue a message; everything queued in one turn of the event loop goes out in one write. */
  send(buf: Buffer): void {
    if (this.#closed) return;
    this.#out.push(buf);
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      queueMicrotask(() => this.#flush());
    }
  }

  close(): void {
    this.#socket.destroy();
    this.#lost();
  }

  #flush(): void {
    this.#flushQueued = false;
    if (!this.#connected || this.#out.length === 0 || this.#closed) return;
    const out = this.#out;
    this.#out = [];
    this.#socket.write(out.length === 1 ? out[0] as Buffer : Buffer.concat(out));
  }

  #onConnect(): void {
    this.#connected = true;
    const hello = [
      encodeMessage(Cmd.VERSION, 0, CA_MINOR_VERSION, 0, 0),
      encodeMessage(Cmd.HOST_NAME, 0, 0, 0, 0, stringPayload(this.#options.hostName)),
      encodeMessage(Cmd.CLIENT_NAME, 0, 0, 0, 0, stringPayload(this.#options.userName)),
    ];
    this.#out.unshift(...hello);
    for (const ch of this.#channels.values()) this.#sendCreate(ch);
    this.#flush();
    const period = this.#options.connTimeout * 1000;
    this.#echoTimer = setInterval(() => this.#probe(), Math.min(period, ECHO_GRACE * 1000));
  }

  #sendCreate(ch: CircuitChannel): void {
    this.send(encodeMessage(Cmd.CREATE_CHAN, 0, 0, ch.cid, CA_MINOR_VERSION, stringPayload(ch.name)));
  }

  /** Silent for EPICS_CA_CONN_TMO: send an echo; no answer within the grace period: give up. */
  #probe(): void {
    const now = performance.now();
    if (this.#echoSentAt !== null) {
      if (now - this.#echoSentAt > ECHO_GRACE * 1000) this.close();
      return;
    }
    if (now - this.#lastHeard >= this.#options.connTimeout * 1000) {
      this.#echoSentAt = now;
      this.send(encodeMessage(Cmd.ECHO, 0, 0, 0, 0));
    }
  }

  #handle(m: CaMessage): void {
    switch (m.command) {
      case Cmd.READ_NOTIFY:
      case Cmd.WRITE_NOTIFY: {
        const h = this.#requests.get(m.p2);
        if (h !== undefined) { this.#requests.delete(m.p2); h.onReply(m); }
        return;
      }
      case Cmd.EVENT_ADD: this.#subscriptions.get(m.p2)?.onReply(m); return;
      case Cmd.ACCESS_RIGHTS: this.#channels.get(m.p1)?.onAccessRights(m.p2); return;
      case Cmd.CREATE_CHAN: this.#channels.get(m.p1)?.onCreated(m.p2, m.dataType, m.dataCount); return;
      case Cmd.CREATE_CH_FAIL: this.#channels.get(m.p1)?.onCreateFailed(); return;
      case Cmd.SERVER_DISCONN: {
        const ch = this.#channels.get(m.p1);
        if (ch !== undefined) { this.#channels.delete(m.p1); ch.onLost(); }
        return;
      }
      case Cmd.ERROR: this.#onError(m); return;
      default: return; // VERSION, ECHO replies, CLEAR_CHANNEL confirmations: nothing to do
    }
  }

  /** CA_PROTO_ERROR: the payload is the failed request's header, then a message. */
  #onError(m: CaMessage): void {
    const text = m.payload.length > 16 ? m.payload.toString('utf8', 16).replace(/\0.*$/s, '') : '';
    const command = m.payload.length >= 16 ? m.payload.readUInt16BE(0) : -1;
    const id = m.payload.length >= 16 ? m.payload.readUInt32BE(12) : -1;
    if (command === Cmd.READ_NOTIFY || command === Cmd.WRITE_NOTIFY) {
      const h = this.#requests.get(id);
      if (h !== undefined) { this.#requests.delete(id); h.onError(m.p2, text); return; }
    }
    if (command === Cmd.EVENT_ADD) { this.#subscriptions.get(id)?.onError(m.p2, text); return; }
    this.#channels.get(m.p1)?.onError(m.p2, text);
  }

  #lost(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#connected = false;
    if (this.#echoTimer !== null) clearInterval(this.#echoTimer);
    this.#echoTimer = null;
    const channels = [...this.#channels.values()];
    this.#channels.clear();
    this.#requests.clear();
    this.#subscriptions.clear();
    this.#options.onClosed(this);
    for (const ch of channels) ch.onLost();
  }
}
