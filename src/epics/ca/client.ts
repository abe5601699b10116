/**
 * `CaClient`: a Channel Access client context — channels by name (one per name), one
 * UDP searcher, one TCP circuit per server. Settings come from the caller (build them
 * with `caSettings(process.env)`); the constructor reads no environment.
 * @module
 */
import { hostname, userInfo } from 'node:os';
import { EpicsError } from '../errors.js';
import { Channel, type CaReading, type ChannelHost, type GetOptions, type MonitorOptions, type PutOptions, type Subscription } from './channel.js';
import { ClientCircuit } from './circuit.js';
import { caSettings, searchDestinations, type CaSettings } from './env.js';
import { Searcher } from './search.js';

export interface CaClientOptions extends Partial<CaSettings> {
  /** Default seconds for connecting and for replies. Default 2. */
  timeout?: number;
  /** Sent to servers (access security); default this host's name and the current user. */
  hostName?: string;
  userName?: string;
  /** Called for asynchronous server errors (a plain put the server refused). Default: ignored. */
  onException?: (pv: string, status: number, text: string) => void;
}

/**
 * A CA client context.
 * @example
 * const client = new CaClient(caSettings(process.env));
 * console.log((await client.get('SIM:ai1')).value);
 * await client.put('SIM:m1', 1.5, { wait: true });   // returns when the motor has arrived
 * client.close();
 */
export class CaClient {
  readonly settings: CaSettings;
  readonly timeout: number;
  readonly #channels = new Map<string, Channel>();
  readonly #byCid = new Map<number, Channel>();
  readonly #circuits = new Map<string, ClientCircuit>();
  readonly #searcher: Searcher;
  readonly #host: ChannelHost;
  readonly #names: { hostName: string; userName: string };
  #nextId = 1;
  #closed = false;

  constructor(options: CaClientOptions = {}) {
    const defaults = caSettings({});
    const { timeout, hostName, userName, onException, ...settings } = options;
    this.settings = { ...defaults, ...stripUndefined(settings) };
    this.timeout = timeout ?? 2;
    this.#names = { hostName: hostName ?? hostname(), userName: userName ?? safeUser() };
    this.#searcher = new Searcher({
      destinations: searchDestinations(this.settings),
      repeaterPort: this.settings.repeaterPort,
      maxPeriod: this.settings.maxSearchPeriod,
      onFound: (cid, host, port) => this.#found(cid, host, port),
    });
    this.#host = {
      timeout: this.timeout,
      nextId: () => this.#nextId++,
      search: (ch) => { this.#byCid.set(ch.cid, ch); this.#searcher.add(ch.cid, ch.name); },
      stopSearch: (ch) => this.#searcher.remove(ch.cid),
      searched: () => this.#searcher.searched,
      release: (ch) => {
        this.#byCid.delete(ch.cid);
        if (this.#channels.get(ch.name) === ch) this.#channels.delete(ch.name);
      },
      exception: onException ?? (() => { /* no listener */ }),
    };
  }

  /** The channel for `name` (created and searched for on first use; shared afterwards). */
  channel(name: string): Channel {
    if (this.#closed) throw new EpicsError('EPICS_CLOSED', `${name}: the CA client is closed`, { pv: name });
    const existing = this.#channels.get(name);
    if (existing !== undefined && !existing.closed) return existing;
    const ch = new Channel(name, this.#nextId++, this.#host);
    this.#channels.set(name, ch);
    return ch;
  }

  /** One get, connecting first if needed. */
  get(name: string, options?: GetOptions): Promise<CaReading> {
    return this.channel(name).get(options);
  }

  /** One put, connecting first if needed. */
  put(name: string, value: unknown, options?: PutOptions): Promise<void> {
    return this.channel(name).put(value, options);
  }

  /** A monitor on `name`. */
  monitor(name: string, callback: (reading: CaReading) => void, options?: MonitorOptions): Subscription {
    return this.channel(name).monitor(callback, options);
  }

  /** Number of open TCP circuits (one per server). */
  get circuitCount(): number {
    return this.#circuits.size;
  }

  /** Close every channel and circuit and the search socket; pending requests fail with EPICS_CLOSED. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const ch of [...this.#channels.values()]) ch.close();
    for (const c of [...this.#circuits.values()]) c.close();
    this.#circuits.clear();
    this.#searcher.close();
  }

  #found(cid: number, host: string, port: number): void {
    const ch = this.#byCid.get(cid);
    if (ch === undefined || ch.closed) return;
    const key = `${host}:${port}`;
    let circuit = this.#circuits.get(key);
    if (circuit === undefined || circuit.closed) {
      circuit = new ClientCircuit({
        host, port, ...this.#names, connTimeout: this.settings.connTimeout,
        onClosed: (c) => { if (this.#circuits.get(key) === c) this.#circuits.delete(key); },
      });
      this.#circuits.set(key, circuit);
    }
    ch.bind(circuit);
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function safeUser(): string {
  try { return userInfo().username; } catch { return 'unknown'; }
}
