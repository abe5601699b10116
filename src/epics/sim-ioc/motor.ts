/**
 * A simulated motor record: `.VAL` starts a move at `.VELO` (the put-callback completes
 * on arrival, as the motor record's does), `.RBV` follows every 20 ms, `.DMOV`/`.MOVN`
 * say whether it moves, `.STOP` halts it where it is, and a setpoint outside
 * `.LLM`..`.HLM` is refused (`.LVIO` = 1) without moving.
 * @module
 */
import { BadValueError } from '../errors.js';
import { ServerPv } from '../ca/server-pv.js';

const TICK_MS = 20;

export interface SimMotorOptions {
  /** Units per second. Default 5. */
  velocity?: number;
  high?: number;
  low?: number;
  egu?: string;
  precision?: number;
  position?: number;
}

/** One motor record's fields as PVs: `SIM:m1.VAL`, `SIM:m1.RBV`, … and `SIM:m1` (= `.VAL`). */
export class SimMotor {
  readonly name: string;
  readonly fields: Map<string, ServerPv>;
  readonly val: ServerPv;
  readonly rbv: ServerPv;
  readonly #dmov: ServerPv;
  readonly #movn: ServerPv;
  readonly #stop: ServerPv;
  readonly #velo: ServerPv;
  readonly #hlm: ServerPv;
  readonly #llm: ServerPv;
  readonly #lvio: ServerPv;
  #timer: ReturnType<typeof setInterval> | null = null;
  #target = 0;
  #arrivals: Array<() => void> = [];

  constructor(name: string, options: SimMotorOptions = {}) {
    this.name = name;
    const egu = options.egu ?? 'mm';
    const prec = options.precision ?? 3;
    const high = options.high ?? 100;
    const low = options.low ?? -100;
    const position = options.position ?? 0;
    const axis = { units: egu, precision: prec, limits: { upperDisp: high, lowerDisp: low, upperCtrl: high, lowerCtrl: low } };
    const d = (field: string, value: number, meta = {}, writable = true): ServerPv =>
      new ServerPv(`${name}.${field}`, { type: 'double', value, meta: { precision: prec, ...meta }, writable });
    const s = (field: string, value: number, writable = false): ServerPv => new ServerPv(`${name}.${field}`, { type: 'short', value, writable });
    this.val = new ServerPv(`${name}.VAL`, { type: 'double', value: position, meta: axis, onPut: ([v]) => this.#move(Number(v)) });
    this.rbv = d('RBV', position, axis, false);
    this.#dmov = s('DMOV', 1);
    this.#movn = s('MOVN', 0);
    this.#lvio = s('LVIO', 0);
    this.#stop = new ServerPv(`${name}.STOP`, { type: 'short', value: 0, onPut: ([v]) => { if (Number(v) !== 0) this.stop(); } });
    this.#velo = d('VELO', options.velocity ?? 5, { units: `${egu}/s` });
    this.#hlm = new ServerPv(`${name}.HLM`, { type: 'double', value: high, meta: { units: egu, precision: prec }, onPut: ([v]) => this.#limit('high', Number(v)) });
    this.#llm = new ServerPv(`${name}.LLM`, { type: 'double', value: low, meta: { units: egu, precision: prec }, onPut: ([v]) => this.#limit('low', Number(v)) });
    const all = [
      this.val, this.rbv, this.#dmov, this.#movn, this.#stop, this.#velo, this.#hlm, this.#llm, this.#lvio,
      d('ACCL', 0.2, { units: 's' }),
      d('OFF', 0, { units: egu }),
      new ServerPv(`${name}.DIR`, { type: 'enum', value: 0, meta: { enumStrings: ['Pos', 'Neg'] } }),
      new ServerPv(`${name}.EGU`, { type: 'string', value: egu }),
      new ServerPv(`${name}.PREC`, { type: 'short', value: prec }),
      new ServerPv(`${name}.DESC`, { type: 'string', value: `simulated motor ${name}` }),
    ];
    this.fields = new Map(all.map((pv) => [pv.name, pv]));
    this.fields.set(name, this.val);
    this.#target = position;
  }

  /** True while moving. */
  get moving(): boolean { return this.#timer !== null; }

  /** Halt where it is: `.VAL` takes the readback, `.DMOV` returns to 1, pending put-callbacks complete. */
  stop(): void {
    if (this.#timer !== null) {
      this.val.post(this.rbv.value);
      this.#arrive();
    }
    this.#stop.post(0, undefined, true);
  }

  /** End timers (IOC shutdown); pending put-callbacks complete. */
  close(): void {
    if (this.#timer !== null) this.#arrive();
  }

  #move(target: number): Promise<void> {
    const high = Number(this.#hlm.value);
    const low = Number(this.#llm.value);
    if (!Number.isFinite(target)) throw new BadValueError(this.val.name, `${target} is not a position`);
    if (high > low && (target > high || target < low)) {
      // The motor record refuses, flags the limit violation and keeps its old setpoint.
      this.#lvio.post(1);
      this.val.post(this.val.value, undefined, true);
      return Promise.resolve();
    }
    this.#lvio.post(0);
    this.val.post(target, undefined, true);
    this.#target = target;
    const arrived = new Promise<void>((resolve) => this.#arrivals.push(resolve));
    if (this.#timer === null) {
      this.#movn.post(1);
      this.#dmov.post(0);
      let last = performance.now();
      this.#timer = setInterval(() => {
        const now = performance.now();
        this.#step((now - last) / 1000);
        last = now;
      }, TICK_MS);
    }
    return arrived;
  }

  #step(dt: number): void {
    const here = Number(this.rbv.value);
    const left = this.#target - here;
    const stride = Math.max(0, Number(this.#velo.value)) * dt;
    if (Math.abs(left) <= stride) {
      this.rbv.post(this.#target);
      this.#arrive();
      return;
    }
    this.rbv.post(here + Math.sign(left) * stride);
  }

  #arrive(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    this.#movn.post(0);
    this.#dmov.post(1);
    const arrivals = this.#arrivals;
    this.#arrivals = [];
    for (const done of arrivals) done();
  }

  #limit(which: 'high' | 'low', value: number): void {
    (which === 'high' ? this.#hlm : this.#llm).post(value);
    const high = Number(this.#hlm.value);
    const low = Number(this.#llm.value);
    const limits = { upperDisp: high, lowerDisp: low, upperCtrl: high, lowerCtrl: low };
    this.val.setMeta({ limits });
    this.rbv.setMeta({ limits });
  }
}
