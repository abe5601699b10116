/**
 * `Channel`: one PV as the client sees it — connection state (searching, connected,
 * lost and searching again), get, put, put with completion callback, and monitors that
 * survive reconnection. Errors name the PV.
 * @module
 */
import { BadValueError, CaTimeoutError, ConnectTimeoutError, DisconnectedError, EpicsError } from '../errors.js';
import type { CircuitChannel, ClientCircuit, ReplyHandler } from './circuit.js';
import { BASE_TYPES, dbrInfo, dbrType, encodeDbrMessage, readDbr, type BaseType, type CaLimits, type DbrForm } from './dbr.js';
import { ACCESS_WRITE, Cmd, DBE_ALARM, DBE_VALUE, Eca, ecaName, encodeMessage, type CaMessage } from './proto.js';

/** One decoded reply. `value` is a scalar when the PV holds one element, else an array. */
export interface CaReading {
  value: number | string | number[] | string[];
  /** Elements in the reply. */
  count: number;
  base: BaseType;
  form: DbrForm;
  status?: number;
  severity?: number;
  /** UNIX seconds. */
  timestamp?: number;
  units?: string;
  precision?: number;
  limits?: CaLimits;
  enumStrings?: string[];
}

export interface GetOptions {
  /** Structure form. Default 'plain' (the value alone). */
  form?: DbrForm;
  /** Ask for this base type instead of the native one (the server converts). */
  type?: BaseType;
  /** Elements to ask for; default 0: as many as the PV holds now. */
  count?: number;
  /** Seconds for connecting plus the reply. Default: the client's timeout. */
  timeout?: number;
}

export interface PutOptions {
  /** Put with completion callback: resolve when the server has finished processing. */
  wait?: boolean;
  /** Seconds to wait for connection and (with `wait`) completion; null: no limit on completion. Default: the client's timeout for connecting, no limit for completion. */
  timeout?: number | null;
}

export interface MonitorOptions {
  /** Default 'time' (value, alarm, time stamp). */
  form?: DbrForm;
  type?: BaseType;
  count?: number;
  /** DBE_* bits. Default DBE_VALUE | DBE_ALARM. */
  mask?: number;
}

/** What the client provides to its channels. */
export interface ChannelHost {
  readonly timeout: number;
  nextId(): number;
  search(ch: Channel): void;
  stopSearch(ch: Channel): void;
  searched(): string;
  release(ch: Channel): void;
  exception(pv: string, status: number, text: string): void;
}

type ConnectionListener = (connected: boolean) => void;
type State = 'searching' | 'creating' | 'connected' | 'closed';

/** A monitor on a channel; re-established after every reconnection. */
export class Subscription {
  readonly id: number;
  readonly #channel: Channel;
  readonly options: Required<Omit<MonitorOptions, 'type'>> & { type: BaseType | undefined };
  readonly callback: (reading: CaReading) => void;
  #active = true;

  constructor(id: number, channel: Channel, callback: (reading: CaReading) => void, options: MonitorOptions) {
    this.id = id;
    this.#channel = channel;
    this.callback = callback;
    this.options = { form: options.form ?? 'time', type: options.type, count: options.count ?? 0, mask: options.mask ?? (DBE_VALUE | DBE_ALARM) };
  }

  get active(): boolean { return this.#active; }

  /** Stop the monitor (EVENT_CANCEL). */
  cancel(): void {
    if (!this.#active) return;
    this.#active = false;
    this.#channel.cancelSubscription(this);
  }
}

interface PendingOp { reject: (e: unknown) => void; what: string }

/**
 * A Channel Access channel. Create with `client.channel(name)`.
 * @example
 * const ch = client.channel('SIM:ai1');
 * const { value, severity } = await ch.get({ form: 'time' });
 * const sub = ch.monitor((r) => console.log(r.value));
 */
export class Channel implements CircuitChannel {
  readonly name: string;
  readonly cid: number;
  readonly #host: ChannelHost;
  #state: State = 'searching';
  #circuit: ClientCircuit | null = null;
  #sid: number | null = null;
  #type: BaseType | null = null;
  #count = 0;
  #rights = 0;
  readonly #subs = new Set<Subscription>();
  readonly #pending = new Map<number, PendingOp>();
  readonly #listeners = new Set<ConnectionListener>();
  #waiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];

  constructor(name: string, cid: number, host: ChannelHost) {
    this.name = name;
    this.cid = cid;
    this.#host = host;
    host.search(this);
  }

  get connected(): boolean { return this.#state === 'connected'; }
  get closed(): boolean { return this.#state === 'closed'; }
  /** Native base type, once connected. */
  get nativeType(): BaseType | null { return this.#type; }
  /** Native element count, once connected. */
  get count(): number { return this.#count; }
  get canWrite(): boolean { return (this.#rights & ACCESS_WRITE) !== 0; }
  /** `host:port` of the server, once found. */
  get server(): string | null { return this.#circuit?.address ?? null; }

  /** Call `fn(true|false)` on every connection and disconnection; returns the unsubscribe function. */
  onConnection(fn: ConnectionListener): () => void {
    this.#listeners.add(fn);
    return () => { this.#listeners.delete(fn); };
  }

  /**
   * Wait until connected.
   * @throws ConnectTimeoutError (EPICS_CONNECT_TIMEOUT) naming the PV and where it was searched.
   */
  waitConnected(timeout: number = this.#host.timeout): Promise<void> {
    if (this.#state === 'connected') return Promise.resolve();
    if (this.#state === 'closed') return Promise.reject(new EpicsError('EPICS_CLOSED', `${this.name}: the channel is closed`, { pv: this.name }));
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: (): void => { clearTimeout(timer); resolve(); },
        reject: (e: unknown): void => { clearTimeout(timer); reject(e); },
      };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(new ConnectTimeoutError(this.name, timeout, this.#host.searched()));
      }, timeout * 1000);
      this.#waiters.push(waiter);
    });
  }

  /**
   * Read the PV (READ_NOTIFY).
   * @throws ConnectTimeoutError, CaTimeoutError, DisconnectedError, EpicsError (EPICS_GET_FAILED)
   */
  async get(options: GetOptions = {}): Promise<CaReading> {
    const timeout = options.timeout ?? this.#host.timeout;
    const started = performance.now();
    await this.waitConnected(timeout);
    const base = options.type ?? this.#type as BaseType;
    const type = dbrType(base, options.form ?? 'plain');
    const left = Math.max(0.001, timeout - (performance.now() - started) / 1000);
    const m = await this.#request(encodeMessage(Cmd.READ_NOTIFY, type, options.count ?? 0, this.#sid ?? 0, 0), 'get', left);
    if (m.p1 !== Eca.NORMAL) throw new EpicsError('EPICS_GET_FAILED', `${this.name}: get failed (${ecaName(m.p1)})`, { pv: this.name });
    return this.decode(m);
  }

  /**
   * Write the PV: WRITE, or WRITE_NOTIFY with `wait` (resolves when processing is complete,
   * e.g. when a motor has arrived).
   * @throws ConnectTimeoutError, BadValueError, DisconnectedError, CaTimeoutError, EpicsError (EPICS_PUT_FAILED, EPICS_NO_WRITE_ACCESS)
   */
  async put(value: unknown, options: PutOptions = {}): Promise<void> {
    await this.waitConnected(options.timeout ?? this.#host.timeout);
    if (!this.canWrite) throw new EpicsError('EPICS_NO_WRITE_ACCESS', `${this.name}: the server grants no write access`, { pv: this.name });
    const values = toValues(value);
    if (values.length === 0 || values.length > this.#count) throw new BadValueError(this.name, `cannot write ${values.length} elements (expected 1..${this.#count})`);
    const base = this.#wireType(values);
    const info = dbrInfo(dbrType(base)) as NonNullable<ReturnType<typeof dbrInfo>>;
    const data = { value: base === 'string' ? values.map((v) => String(v)) : values.map((v) => (typeof v === 'boolean' ? Number(v) : v as number)) };
    const sid = this.#sid ?? 0;
    if (options.wait !== true) {
      (this.#circuit as ClientCircuit).send(encodeDbrMessage(Cmd.WRITE, info, values.length, data, sid, this.#host.nextId()));
      return;
    }
    const m = await this.#request(encodeDbrMessage(Cmd.WRITE_NOTIFY, info, values.length, data, sid, 0), 'put with completion', options.timeout ?? null);
    if (m.p1 !== Eca.NORMAL) throw new EpicsError('EPICS_PUT_FAILED', `${this.name}: put of ${JSON.stringify(value)} failed (${ecaName(m.p1)})`, { pv: this.name });
  }

  /** Subscribe: `callback` gets the first value, then every change selected by the mask. */
  monitor(callback: (reading: CaReading) => void, options: MonitorOptions = {}): Subscription {
    const sub = new Subscription(this.#host.nextId(), this, callback, options);
    this.#subs.add(sub);
    if (this.#state === 'connected') this.#sendSubscribe(sub);
    return sub;
  }

  /** Close the channel: cancel monitors, tell the server, stop searching. */
  close(): void {
    if (this.#state === 'closed') return;
    const wasConnected = this.#state === 'connected';
    this.#state = 'closed';
    for (const sub of [...this.#subs]) sub.cancel();
    this.#host.stopSearch(this);
    this.#circuit?.detach(this, this.#sid);
    this.#circuit = null;
    const closed = (): EpicsError => new EpicsError('EPICS_CLOSED', `${this.name}: the channel was closed`, { pv: this.name });
    this.#failPending(closed);
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w.reject(closed());
    this.#host.release(this);
    if (wasConnected) this.#notify(false);
    this.#listeners.clear();
  }

  /** Decode a READ_NOTIFY / EVENT_ADD reply into a reading. */
  decode(m: CaMessage): CaReading {
    const info = dbrInfo(m.dataType);
    if (info === null) throw new EpicsError('EPICS_GET_FAILED', `${this.name}: the server replied with unknown DBR type ${m.dataType}`, { pv: this.name });
    const data = readDbr(m.payload, info, m.dataCount);
    const value = this.#count === 1 && data.value.length === 1 ? data.value[0] as number | string : data.value;
    return { ...data, value, count: data.value.length, base: info.base, form: info.form };
  }

  // --- called by the client and the circuit -------------------------------------------

  /** The search found a server; the client attached us to its circuit. */
  bind(circuit: ClientCircuit): void {
    if (this.#state !== 'searching') return;
    this.#state = 'creating';
    this.#circuit = circuit;
    circuit.attach(this);
  }

  onAccessRights(rights: number): void { this.#rights = rights; }

  onCreated(sid: number, dataType: number, count: number): void {
    if (this.#state !== 'creating') return;
    this.#sid = sid;
    this.#type = BASE_TYPES[dataType % 7] as BaseType;
    this.#count = count;
    this.#state = 'connected';
    for (const sub of this.#subs) this.#sendSubscribe(sub);
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w.resolve();
    this.#notify(true);
  }

  onCreateFailed(): void {
    this.#circuit?.detach(this, null);
    this.#circuit = null;
    if (this.#state === 'creating') { this.#state = 'searching'; this.#host.search(this); }
  }

  onLost(): void {
    if (this.#state === 'closed') return;
    const wasConnected = this.#state === 'connected';
    this.#state = 'searching';
    this.#circuit = null;
    this.#sid = null;
    this.#failPending((what) => new DisconnectedError(this.name, `while waiting for the reply to ${what}`));
    this.#host.search(this);
    if (wasConnected) this.#notify(false);
  }

  onError(status: number, text: string): void {
    this.#host.exception(this.name, status, text);
  }

  cancelSubscription(sub: Subscription): void {
    this.#subs.delete(sub);
    const circuit = this.#circuit;
    if (circuit === null || this.#state !== 'connected') return;
    circuit.unsubscribe(sub.id);
    const type = dbrType(sub.options.type ?? this.#type as BaseType, sub.options.form);
    circuit.send(encodeMessage(Cmd.EVENT_CANCEL, type, sub.options.count, this.#sid ?? 0, sub.id));
  }

  // --- internals ----------------------------------------------------------------------

  #notify(connected: boolean): void {
    for (const fn of [...this.#listeners]) fn(connected);
  }

  #failPending(error: (what: string) => unknown): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) p.reject(error(p.what));
  }

  /** Send a request whose reply carries an ioid; resolve with the reply. */
  #request(msg: Buffer, what: string, timeout: number | null): Promise<CaMessage> {
    const circuit = this.#circuit as ClientCircuit;
    const ioid = this.#host.nextId();
    msg.writeUInt32BE(ioid, 12); // p2, in the short and the extended header alike
    return new Promise<CaMessage>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | null = null;
      const finish = (): void => { if (timer !== null) clearTimeout(timer); this.#pending.delete(ioid); circuit.forget(ioid); };
      const handler: ReplyHandler = {
        onReply: (m) => {
          finish();
          // The payload is a view into the circuit's buffer: copy what we keep.
          resolve({ ...m, payload: Buffer.from(m.payload) });
        },
        onError: (status, text) => { finish(); reject(new EpicsError(what === 'get' ? 'EPICS_GET_FAILED' : 'EPICS_PUT_FAILED', `${this.name}: ${what} failed (${ecaName(status)}${text === '' ? '' : `: ${text}`})`, { pv: this.name })); },
      };
      this.#pending.set(ioid, { reject: (e) => { finish(); reject(e); }, what });
      if (timeout !== null) timer = setTimeout(() => { finish(); reject(new CaTimeoutError(this.name, what, timeout)); }, timeout * 1000);
      circuit.expect(ioid, handler);
      circuit.send(msg);
    });
  }

  #sendSubscribe(sub: Subscription): void {
    const circuit = this.#circuit as ClientCircuit;
    const type = dbrType(sub.options.type ?? this.#type as BaseType, sub.options.form);
    circuit.subscribe(sub.id, {
      onReply: (m) => {
        // An empty EVENT_ADD confirms a cancel; a bad status carries no data.
        if (!sub.active || m.payload.length === 0 || m.p1 !== Eca.NORMAL) return;
        sub.callback(this.decode(m));
      },
      onError: (status, text) => this.#host.exception(this.name, status, text),
    });
    const payload = Buffer.alloc(16);
    payload.writeUInt16BE(sub.options.mask, 12);
    circuit.send(encodeMessage(Cmd.EVENT_ADD, type, sub.options.count, this.#sid ?? 0, sub.id, payload));
  }

  /** The type a put goes out as: strings for STRING PVs and for names of enum states, else native. */
  #wireType(values: readonly unknown[]): BaseType {
    const native = this.#type as BaseType;
    if (native === 'string') return 'string';
    if (values.some((v) => typeof v === 'string')) {
      if (values.length > 1) throw new BadValueError(this.name, `cannot write an array of strings to a ${native.toUpperCase()} PV`);
      return 'string';
    }
    if (values.some((v) => typeof v !== 'number' && typeof v !== 'boolean')) throw new BadValueError(this.name, `cannot write ${typeof values[0]} values (expected numbers or strings)`);
    return native;
  }
}

function toValues(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<number>);
  return [value];
}
