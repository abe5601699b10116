/**
 * `CaRepeater`: the CA repeater (EPICS's `caRepeater`) — clients on this host register
 * with it on EPICS_CA_REPEATER_PORT and it forwards every beacon it hears to each of
 * them, so they notice a server that has (re)started. The test IOC runs one when the
 * port is free, so libca neither spawns its own nor complains that none is running.
 * @module
 */
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { EpicsError } from '../errors.js';
import { Cmd, encodeMessage, ipToInt, parseMessages } from './proto.js';

interface Registered { address: string; port: number }

/** A running repeater. */
export class CaRepeater {
  readonly port: number;
  readonly #udp: UdpSocket;
  readonly #clients = new Map<string, Registered>();

  private constructor(udp: UdpSocket) {
    this.#udp = udp;
    this.port = udp.address().port;
    udp.on('message', (msg, rinfo) => this.#onDatagram(msg, rinfo));
    udp.on('error', () => { /* a send to a vanished client: ignore */ });
  }

  /**
   * Bind `port` on every interface.
   * @throws EpicsError (EPICS_LISTEN_FAILED) when it is taken (another repeater runs).
   */
  static async start(port: number): Promise<CaRepeater> {
    const udp = createSocket({ type: 'udp4' });
    await new Promise<void>((resolve, reject) => {
      udp.once('error', (e) => { udp.close(); reject(new EpicsError('EPICS_LISTEN_FAILED', `CA repeater: cannot bind udp port ${port}: ${e.message}`, { cause: e })); });
      udp.bind(port, '0.0.0.0', () => resolve());
    });
    return new CaRepeater(udp);
  }

  /** Clients currently registered. */
  get clientCount(): number {
    return this.#clients.size;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => { try { this.#udp.close(() => resolve()); } catch { resolve(); } });
  }

  #onDatagram(msg: Buffer, rinfo: RemoteInfo): void {
    let register = msg.length === 0; // pre-3.12 clients registered with an empty datagram
    parseMessages(msg, 0, (m) => {
      if (m.command === Cmd.REPEATER_REGISTER) register = true;
    });
    if (register) {
      this.#register(rinfo);
      return;
    }
    this.#forward(msg, rinfo);
  }

  #register(rinfo: RemoteInfo): void {
    const key = `${rinfo.address}:${rinfo.port}`;
    this.#clients.set(key, { address: rinfo.address, port: rinfo.port });
    this.#udp.send(encodeMessage(Cmd.REPEATER_CONFIRM, 0, 0, 0, ipToInt(rinfo.address)), rinfo.port, rinfo.address);
    void this.#prune(key);
  }

  #forward(msg: Buffer, rinfo: RemoteInfo): void {
    const out = Buffer.from(msg);
    // A beacon without the server's address gets the sender's, so clients know whose it is.
    parseMessages(out, 0, (m) => {
      if (m.command !== Cmd.RSRV_IS_UP || m.p2 !== 0) return;
      const at = m.payload.byteOffset - out.byteOffset - 4;
      out.writeUInt32BE(ipToInt(rinfo.address), at);
    });
    for (const c of this.#clients.values()) {
      if (c.address === rinfo.address && c.port === rinfo.port) continue;
      this.#udp.send(out, c.port, c.address, () => { /* ignore */ });
    }
  }

  /** Drop local clients whose port can be bound again: they have exited (libca's check). */
  async #prune(except: string): Promise<void> {
    for (const [key, c] of [...this.#clients]) {
      if (key === except || (c.address !== '127.0.0.1' && c.address !== '0.0.0.0')) continue;
      const probe = createSocket({ type: 'udp4' });
      const free = await new Promise<boolean>((resolve) => {
        probe.once('error', () => resolve(false));
        probe.bind(c.port, c.address, () => resolve(true));
      });
      try { probe.close(); } catch { /* never bound */ }
      if (free) this.#clients.delete(key);
    }
  }
}
