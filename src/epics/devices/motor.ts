/**
 * `EpicsMotor`: ophyd's motor-record device on our CA client. `set()` writes `.VAL`
 * and completes on the put-callback (or, without it, when `.DMOV` returns to 1);
 * limits from `.HLM`/`.LLM` refuse a move before it starts; `stop()` writes `.STOP`;
 * a disconnect fails the move naming the PV.
 * @module
 */
import type { DataKey, Movable, Reading, Stoppable } from '../../model/protocols.js';
import { completedStatus, StatusBase, type Status } from '../../model/status.js';
import { pyRepr } from '../../model/python-repr.js';
import type { Subscription } from '../ca/channel.js';
import type { CaClient } from '../ca/client.js';
import { BadValueError, DisconnectedError, EpicsError, LimitError } from '../errors.js';
import { connectAll, PvSignal } from './pv-signal.js';

export interface EpicsMotorOptions {
  name: string;
  /** The motor record, e.g. 'SIM:m1'. */
  prefix: string;
  client: CaClient;
  /** Complete moves on the `.VAL` put-callback (the motor record supports it). Default true; false: watch `.DMOV`. */
  putComplete?: boolean;
  /** Seconds for gets. Default: the client's timeout. */
  timeout?: number;
}

/** ophyd EpicsMotor's components: attribute → record field. */
const FIELDS = {
  user_readback: 'RBV', user_setpoint: 'VAL', user_offset: 'OFF', user_offset_dir: 'DIR', velocity: 'VELO',
  acceleration: 'ACCL', motor_egu: 'EGU', motor_is_moving: 'MOVN', motor_done_move: 'DMOV',
  high_limit_travel: 'HLM', low_limit_travel: 'LLM', motor_stop: 'STOP',
} as const;
type Component = keyof typeof FIELDS;
const CONFIG: readonly Component[] = ['user_offset', 'user_offset_dir', 'velocity', 'acceleration', 'motor_egu'];

interface Move {
  readonly status: StatusBase;
  readonly target: number;
  stopped: { success: boolean } | null;
  /** Without put-callback: DMOV has gone to 0 since the write (a 1 before that is stale). */
  started: boolean;
}

/**
 * A motor record.
 * @example
 * const m1 = new EpicsMotor({ name: 'm1', prefix: 'SIM:m1', client });
 * await m1.connect(2);
 * const status = m1.set(1.5);   // in a plan: yield* mv(m1, 1.5)
 * status.addCallback(() => console.log(m1.position));
 */
export class EpicsMotor implements Movable<number>, Stoppable {
  readonly name: string;
  readonly prefix: string;
  readonly parent = null;
  readonly #signals: Record<Component, PvSignal>;
  readonly #putComplete: boolean;
  readonly #timeout: number | undefined;
  readonly #moves = new Set<Move>();
  readonly #cache = { rbv: Number.NaN, dmov: 1, hlm: 0, llm: 0 };
  #watching: Array<Subscription | (() => void)> = [];

  constructor(options: EpicsMotorOptions) {
    this.name = options.name;
    this.prefix = options.prefix;
    this.#putComplete = options.putComplete ?? true;
    this.#timeout = options.timeout;
    const entries = Object.entries(FIELDS).map(([attr, field]) => [attr, new PvSignal(options.client, `${options.prefix}.${field}`)]);
    this.#signals = Object.fromEntries(entries) as Record<Component, PvSignal>;
  }

  get connected(): boolean { return Object.values(this.#signals).every((s) => s.connected); }
  get pvs(): string[] { return Object.values(this.#signals).map((s) => s.pv); }

  /**
   * Connect every field and keep the readback, done-moving flag and limits current.
   * @throws EpicsError (EPICS_CONNECT_TIMEOUT) naming the fields that did not connect.
   */
  async connect(timeout = 2): Promise<void> {
    await connectAll(this.name, Object.values(this.#signals), timeout);
    if (this.#watching.length > 0) return;
    const s = this.#signals;
    const firsts: Array<Promise<void>> = [];
    const watch = (signal: PvSignal, key: 'rbv' | 'dmov' | 'hlm' | 'llm'): Subscription => {
      let first: () => void = () => undefined;
      firsts.push(new Promise<void>((resolve) => { first = resolve; }));
      return signal.monitor((r) => { this.#cache[key] = Number(r.value); this.#onCache(key); first(); });
    };
    this.#watching = [
      watch(s.user_readback, 'rbv'), watch(s.motor_done_move, 'dmov'), watch(s.high_limit_travel, 'hlm'), watch(s.low_limit_travel, 'llm'),
      ...[s.user_setpoint, s.motor_done_move].map((sig) => sig.channel.onConnection((up) => { if (!up) this.#failMoves(sig.pv); })),
    ];
    // Position and limits must be known before anyone asks (relative plans read `position`).
    await Promise.all(firsts);
  }

  /** The readback (`.RBV`), as ophyd's `position`. */
  get position(): number { return this.#cache.rbv; }
  /** `[low, high]` soft limits (`.LLM`, `.HLM`). */
  get limits(): [number, number] { return [this.#cache.llm, this.#cache.hlm]; }
  /** True while `.DMOV` is 0. */
  get moving(): boolean { return this.#cache.dmov === 0; }
  /** Egu as the record reports it (`.EGU`). */
  get egu(): string { return this.#signals.user_setpoint.meta?.units ?? ''; }

  async read(): Promise<Record<string, Reading>> {
    const [rbv, val] = await Promise.all([this.#signals.user_readback.read(this.#timeout), this.#signals.user_setpoint.read(this.#timeout)]);
    return { [this.name]: rbv, [`${this.name}_user_setpoint`]: val };
  }

  describe(): Record<string, DataKey> {
    return { [this.name]: this.#signals.user_readback.dataKey(), [`${this.name}_user_setpoint`]: this.#signals.user_setpoint.dataKey() };
  }

  async readConfiguration(): Promise<Record<string, Reading>> {
    const readings = await Promise.all(CONFIG.map((c) => this.#signals[c].read(this.#timeout)));
    return Object.fromEntries(CONFIG.map((c, i) => [`${this.name}_${c}`, readings[i] as Reading]));
  }

  describeConfiguration(): Record<string, DataKey> {
    return Object.fromEntries(CONFIG.map((c) => [`${this.name}_${c}`, this.#signals[c].dataKey()]));
  }

  get hints(): { fields: string[] } { return { fields: [this.name] }; }

  trigger(): Status { return completedStatus(this.name); }

  /**
   * Move to `value`.
   * @returns a status done when the motor has arrived (failed if it is stopped without
   *   success, or a field disconnects).
   * @throws LimitError (EPICS_LIMIT) before moving when `value` is outside `.LLM`..`.HLM`;
   *   BadValueError for a non-number.
   */
  set(value: number): Status {
    const val = this.#signals.user_setpoint;
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new BadValueError(val.pv, `${this.name}.set() needs a finite number, got ${String(value)}`);
    const { llm, hlm } = this.#cache;
    // ophyd's check_value: limits apply only when low < high.
    if (llm < hlm && (value < llm || value > hlm)) throw new LimitError(this.name, val.pv, value, llm, hlm);
    const move: Move = { status: new StatusBase({ label: this.name }), target: value, stopped: null, started: false };
    this.#moves.add(move);
    if (this.#putComplete) {
      val.channel.put(value, { wait: true }).then(() => this.#finish(move), (e: unknown) => this.#finish(move, e));
    } else {
      // Without put-callback: done when DMOV has gone to 0 and back to 1 after this write (see #onCache).
      val.channel.put(value).catch((e: unknown) => this.#finish(move, e));
    }
    return move.status;
  }

  /**
   * Stop moving (`.STOP` = 1). Pending moves complete when the motor halts: successfully
   * if `success`, else with EPICS_MOVE_STOPPED (as ophyd's MoveStatus).
   */
  async stop(options: { success?: boolean } = {}): Promise<void> {
    for (const move of this.#moves) move.stopped = { success: options.success === true };
    if (this.#moves.size === 0 && !this.moving) return;
    await this.#signals.motor_stop.channel.put(1);
  }

  /** Cancel this device's monitors (the client owns the channels). */
  destroy(): void {
    for (const w of this.#watching) { if (typeof w === 'function') w(); else w.cancel(); }
    this.#watching = [];
    for (const s of Object.values(this.#signals)) s.close();
  }

  repr(): string {
    return `EpicsMotor(prefix=${pyRepr(this.prefix)}, name=${pyRepr(this.name)}, settle_time=0.0, timeout=None, `
      + `read_attrs=['user_readback', 'user_setpoint'], configuration_attrs=${pyRepr(CONFIG)})`;
  }

  toString(): string { return this.repr(); }

  #onCache(key: 'rbv' | 'dmov' | 'hlm' | 'llm'): void {
    if (key !== 'dmov') return;
    if (this.#cache.dmov === 0) {
      for (const move of this.#moves) move.started = true;
      return;
    }
    // DMOV back to 1: moves without put-callback that had started, and stopped ones, are over.
    for (const move of [...this.#moves]) if ((!this.#putComplete && move.started) || move.stopped !== null) this.#finish(move);
  }

  #finish(move: Move, error?: unknown): void {
    if (!this.#moves.delete(move) || move.status.done) return;
    if (error !== undefined) { move.status.setException(error); return; }
    if (move.stopped !== null && !move.stopped.success) {
      move.status.setException(new EpicsError('EPICS_MOVE_STOPPED', `${this.name}: the move to ${move.target} was stopped at ${this.#cache.rbv}`, { pv: this.#signals.motor_stop.pv }));
      return;
    }
    move.status.setFinished();
  }

  #failMoves(pv: string): void {
    for (const move of [...this.#moves]) this.#finish(move, new DisconnectedError(pv, `while ${this.name} was moving to ${move.target}`));
  }
}
