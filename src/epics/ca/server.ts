/**
 * `CaServer`: a Channel Access server for a set of {@link ServerPv}s — it answers UDP
 * name searches, accepts TCP virtual circuits (one {@link ServerCircuit} each) and sends
 * beacons so clients notice a restart. Any CA client can use it (libca, pyepics, caproto).
 * @module
 */
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { EpicsError } from '../errors.js';
import type { CaAddress } from './env.js';
import { CA_MINOR_VERSION, Cmd, DEFAULT_SERVER_PORT, DO_REPLY, encodeMessage, parseMessages, readCString } from './proto.js';
import { ServerCircuit, type PvDirectory } from './server-circuit.js';

export interface CaServerOptions {
  /** The PVs to serve. */
  pvs: PvDirectory;
  /** UDP search port (EPICS_CA_SERVER_PORT); 0 picks a free one. Default 5064. The TCP port is the same number when free. */
  port?: number;
  /** Interface to bind. Default '0.0.0.0'. */
  host?: string;
  /** Where to send beacons (the repeater port of each). Default: none. */
  beacons?: CaAddress[];
  /** Longest interval between beacons, seconds (they start at 20 ms and double). Default 15. */
  beaconPeriodMax?: number;
}

const UINT32_ALL = 0xffffffff;

/**
 * A running CA server.
 * @example
 * const server = await CaServer.start({ pvs: new Map([['X:a', pv]]), port: 0 });
 * console.log(server.udpPort, server.tcpPort);
 * await server.close();
 */
export class CaServer {
  readonly udpPort: number;
  readonly tcpPort: number;
  readonly #udp: UdpSocket;
  readonly #tcp: Server;
  readonly #pvs: PvDirectory;
  readonly #circuits = new Set<ServerCircuit>();
  #beaconTimer: ReturnType<typeof setTimeout> | null = null;
  #beaconId = 0;

  private constructor(udp: UdpSocket, tcp: Server, pvs: PvDirectory) {
    this.#udp = udp;
    this.#tcp = tcp;
    this.#pvs = pvs;
    this.udpPort = udp.address().port;
    this.tcpPort = (tcp.address() as { port: number }).port;
  }

  /**
   * Bind the UDP search port and the TCP port and start serving.
   * @throws EpicsError (EPICS_LISTEN_FAILED) when the UDP port is taken.
   */
  static async start(options: CaServerOptions): Promise<CaServer> {
    const host = options.host ?? '0.0.0.0';
    const udp = createSocket({ type: 'udp4' });
    await new Promise<void>((resolve, reject) => {
      udp.once('error', (e) => reject(new EpicsError('EPICS_LISTEN_FAILED', `cannot bind the CA search port udp ${host}:${options.port ?? DEFAULT_SERVER_PORT}: ${e.message}`, { cause: e })));
      udp.bind(options.port ?? DEFAULT_SERVER_PORT, host, () => resolve());
    });
    udp.setBroadcast(true);
    let tcp: Server;
    try {
      // The same number as the search port when free (as rsrv does), else any.
      tcp = await listen(udp.address().port, host).catch(() => listen(0, host));
    } catch (e) {
      udp.close();
      throw new EpicsError('EPICS_LISTEN_FAILED', `cannot open a CA TCP port on ${host}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    const server = new CaServer(udp, tcp, options.pvs);
    udp.on('message', (msg, rinfo) => server.#onDatagram(msg, rinfo));
    udp.on('error', () => { /* a failed send (unreachable beacon address) must not stop the server */ });
    tcp.on('connection', (socket: Socket) => server.#accept(socket));
    server.#beacons(options.beacons ?? [], options.beaconPeriodMax ?? 15);
    return server;
  }

  /** Number of connected clients. */
  get clientCount(): number {
    return this.#circuits.size;
  }

  /** Stop serving: drop every client, close both ports. */
  async close(): Promise<void> {
    if (this.#beaconTimer !== null) clearTimeout(this.#beaconTimer);
    this.#beaconTimer = null;
    for (const c of this.#circuits) c.close();
    this.#circuits.clear();
    await Promise.all([
      new Promise<void>((resolve) => this.#tcp.close(() => resolve())),
      new Promise<void>((resolve) => { try { this.#udp.close(() => resolve()); } catch { resolve(); } }),
    ]);
  }

  #accept(socket: Socket): void {
    const circuit = new ServerCircuit(socket, this.#pvs);
    this.#circuits.add(circuit);
    socket.on('close', () => this.#circuits.delete(circuit));
  }

  /** Answer the searches in one datagram with one datagram (VERSION first, as rsrv does). */
  #onDatagram(msg: Buffer, rinfo: RemoteInfo): void {
    const replies: Buffer[] = [];
    parseMessages(msg, 0, (m) => {
      if (m.command !== Cmd.SEARCH) return;
      const name = readCString(m.payload);
      if (this.#pvs.get(name) !== undefined) {
        const version = Buffer.alloc(8);
        version.writeUInt16BE(CA_MINOR_VERSION, 0);
        // IP 255.255.255.255: "use the address this reply came from".
        replies.push(encodeMessage(Cmd.SEARCH, this.tcpPort, 0, UINT32_ALL, m.p1, version));
      } else if (m.dataType === DO_REPLY) {
        replies.push(encodeMessage(Cmd.NOT_FOUND, DO_REPLY, m.dataCount, m.p1, m.p2));
      }
    });
    if (replies.length === 0) return;
    const datagram = Buffer.concat([encodeMessage(Cmd.VERSION, 0, CA_MINOR_VERSION, 0, 0), ...replies]);
    this.#udp.send(datagram, rinfo.port, rinfo.address);
  }

  /** Beacons (CA_PROTO_RSRV_IS_UP) at 20 ms, doubling up to `max` seconds. */
  #beacons(destinations: CaAddress[], max: number): void {
    if (destinations.length === 0) return;
    let period = 0.02;
    const beat = (): void => {
      // The data count field carries the server's TCP port; p2 (its address) 0: "the sender's".
      const msg = encodeMessage(Cmd.RSRV_IS_UP, CA_MINOR_VERSION, this.tcpPort, this.#beaconId++, 0);
      for (const d of destinations) this.#udp.send(msg, d.port, d.host, () => { /* unreachable: ignore */ });
      period = Math.min(max, period * 2);
      this.#beaconTimer = setTimeout(beat, period * 1000);
    };
    beat();
  }
}

function listen(port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
