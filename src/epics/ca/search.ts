/**
 * The client's UDP side: name searches with exponential back-off (many names per
 * datagram), registration with the CA repeater, and the beacons it forwards — a server
 * that appears or restarts makes every pending search go out again at once.
 * @module
 */
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import type { CaAddress } from './env.js';
import { CA_MINOR_VERSION, Cmd, DONT_REPLY, encodeMessage, intToIp, ipToInt, parseMessages, stringPayload } from './proto.js';

/** libca's MAX_UDP_SEND: searches are packed into datagrams of at most this size. */
const MAX_DATAGRAM = 1024;
const FIRST_PERIOD = 0.05;

export interface SearcherOptions {
  destinations: readonly CaAddress[];
  repeaterPort: number;
  /** Longest pause between two searches for one name, seconds. */
  maxPeriod: number;
  /** A server answered for `cid`: its TCP address. */
  onFound: (cid: number, host: string, port: number) => void;
}

interface Pending {
  readonly name: string;
  period: number;
  due: number;
}

interface BeaconSeen { id: number; at: number }

/** Searches for channel names until they are found (or withdrawn). */
export class Searcher {
  readonly #options: SearcherOptions;
  readonly #pending = new Map<number, Pending>();
  readonly #beacons = new Map<string, BeaconSeen>();
  #socket: UdpSocket | null = null;
  #opening: Promise<UdpSocket> | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #registerTimer: ReturnType<typeof setTimeout> | null = null;
  #registered = false;
  #closed = false;

  constructor(options: SearcherOptions) {
    this.#options = options;
  }

  /** The destinations as text, for error messages. */
  get searched(): string {
    const d = this.#options.destinations;
    return d.length === 0 ? 'no address: EPICS_CA_ADDR_LIST is empty and EPICS_CA_AUTO_ADDR_LIST found no broadcast interface' : d.map((a) => `${a.host}:${a.port}`).join(', ');
  }

  /** Start (or restart, with the short period) searching for `name` under `cid`. */
  add(cid: number, name: string): void {
    if (this.#closed) return;
    this.#pending.set(cid, { name, period: FIRST_PERIOD, due: 0 });
    this.#arm(0);
  }

  remove(cid: number): void {
    this.#pending.delete(cid);
  }

  /** Search for everything pending now, with the back-off reset (a server appeared). */
  kick(): void {
    for (const p of this.#pending.values()) { p.period = FIRST_PERIOD; p.due = 0; }
    this.#arm(0);
  }

  close(): void {
    this.#closed = true;
    this.#pending.clear();
    if (this.#timer !== null) clearTimeout(this.#timer);
    if (this.#registerTimer !== null) clearTimeout(this.#registerTimer);
    this.#timer = null;
    this.#registerTimer = null;
    try { this.#socket?.close(); } catch { /* already closed */ }
    this.#socket = null;
  }

  #open(): Promise<UdpSocket> {
    if (this.#opening !== null) return this.#opening;
    this.#opening = new Promise<UdpSocket>((resolve, reject) => {
      const socket = createSocket({ type: 'udp4' });
      socket.once('error', reject);
      socket.on('message', (msg, rinfo) => this.#onDatagram(msg, rinfo));
      socket.bind(0, () => {
        socket.off('error', reject);
        socket.on('error', () => { /* an unreachable destination: keep searching the others */ });
        socket.setBroadcast(true);
        if (this.#closed) { socket.close(); reject(new Error('closed')); return; }
        this.#socket = socket;
        this.#register(0);
        resolve(socket);
      });
    });
    return this.#opening;
  }

  #arm(delay: number): void {
    if (this.#closed) return;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => { this.#timer = null; void this.#round(); }, delay * 1000);
  }

  async #round(): Promise<void> {
    let socket: UdpSocket;
    try { socket = await this.#open(); } catch { return; }
    if (this.#closed) return;
    const now = performance.now() / 1000;
    const due: Array<[number, Pending]> = [...this.#pending].filter(([, p]) => p.due <= now);
    for (const datagram of this.#datagrams(due)) {
      for (const d of this.#options.destinations) socket.send(datagram, d.port, d.host, () => { /* ignore */ });
    }
    for (const [, p] of due) {
      p.due = now + p.period;
      p.period = Math.min(this.#options.maxPeriod, p.period * 2);
    }
    let next = Infinity;
    for (const p of this.#pending.values()) next = Math.min(next, p.due);
    if (next !== Infinity) this.#arm(Math.max(0, next - now));
  }

  /** VERSION + as many SEARCH messages as fit, per datagram. */
  *#datagrams(due: ReadonlyArray<[number, Pending]>): Generator<Buffer> {
    const version = encodeMessage(Cmd.VERSION, 0, CA_MINOR_VERSION, 0, 0);
    let parts: Buffer[] = [version];
    let size = version.length;
    for (const [cid, p] of due) {
      const msg = encodeMessage(Cmd.SEARCH, DONT_REPLY, CA_MINOR_VERSION, cid, cid, stringPayload(p.name));
      if (size + msg.length > MAX_DATAGRAM && parts.length > 1) {
        yield Buffer.concat(parts);
        parts = [version];
        size = version.length;
      }
      parts.push(msg);
      size += msg.length;
    }
    if (parts.length > 1) yield Buffer.concat(parts);
  }

  #onDatagram(msg: Buffer, rinfo: RemoteInfo): void {
    parseMessages(msg, 0, (m) => {
      if (m.command === Cmd.SEARCH) {
        const cid = m.p2;
        if (!this.#pending.has(cid)) return; // a late duplicate, or a second server with the same name
        this.#pending.delete(cid);
        const host = m.p1 === 0xffffffff || m.p1 === 0 ? rinfo.address : intToIp(m.p1);
        this.#options.onFound(cid, host, m.dataType);
      } else if (m.command === Cmd.REPEATER_CONFIRM) {
        this.#registered = true;
      } else if (m.command === Cmd.RSRV_IS_UP) {
        this.#onBeacon(m.p2 === 0 ? rinfo.address : intToIp(m.p2), m.dataCount, m.p1);
      }
    });
  }

  /** A new server, or one whose beacon ids restarted (it rebooted): search again now. */
  #onBeacon(host: string, port: number, id: number): void {
    const key = `${host}:${port}`;
    const now = performance.now() / 1000;
    const seen = this.#beacons.get(key);
    this.#beacons.set(key, { id, at: now });
    const fresh = seen === undefined || id < seen.id || now - seen.at > 60;
    if (fresh && this.#pending.size > 0) this.kick();
  }

  /** Register with the repeater: retry each second until it confirms, then renew every 30 s. */
  #register(attempt: number): void {
    if (this.#closed || this.#socket === null) return;
    const msg = encodeMessage(Cmd.REPEATER_REGISTER, 0, 0, 0, ipToInt('127.0.0.1'));
    this.#socket.send(msg, this.#options.repeaterPort, '127.0.0.1', () => { /* no repeater: fine */ });
    const delay = this.#registered ? 30 : attempt < 10 ? 1 : 30;
    this.#registerTimer = setTimeout(() => this.#register(attempt + 1), delay * 1000);
  }
}
