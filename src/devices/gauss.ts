/**
 * ophyd.sim's Gaussian detectors: `SynGauss` (peak over one motor) and `Syn2DGauss`
 * (over two), sharing `GaussDetector` (config signals, noise, timed trigger, readings).
 * @module
 */
import { DeviceError } from '../model/errors.js';
import type { DataKey, Reading, Triggerable } from '../model/protocols.js';
import type { Status } from '../model/status.js';
import { SimDevice, type DeviceOptions } from './device.js';
import { npExp, roundHalfEven } from './npmath.js';
import { poisson, uniform, type RandomSource } from './random.js';
import { configEntry, exposure, now, type ConfigEntry } from './support.js';

/** ophyd's EnumSignal choices for `noise`. */
export const NOISE_KINDS = ['none', 'poisson', 'uniform'] as const;
export type NoiseKind = (typeof NOISE_KINDS)[number];

export interface GaussOptions extends DeviceOptions {
  /** Peak width. Default 1. */
  sigma?: number;
  /** Default 'none'. */
  noise?: NoiseKind;
  /** Scale of 'uniform' noise: value += U(-1, 1) * noiseMultiplier. Default 1. */
  noiseMultiplier?: number;
  /** Seconds a trigger takes (ophyd `exposure_time`). Default 0: trigger() is done at once. */
  exposureTime?: number;
  /** `precision` in describe(). Default 3. */
  precision?: number;
  /** Uniform [0, 1) source for noise (ophyd `random_state`). Default Math.random. */
  random?: RandomSource;
  /**
   * Compute exp() bit for bit as numpy did for the recordings (npmath.ts, ~2 µs a call)
   * instead of Math.exp (which differs in the last bit for about 1 value in 5). Default false.
   */
  exactExp?: boolean;
}

/** Anything whose synchronous `read()` holds a numeric field (a SynAxis). */
export interface SyncReadable {
  readonly name: string;
  read(): Record<string, Reading>;
}

function checkNumber(attr: string): (v: unknown) => void {
  return (v) => {
    if (typeof v !== 'number' || Number.isNaN(v)) throw new DeviceError(`${attr} must be a number, got ${String(v)}`);
  };
}

function checkNoise(v: unknown): void {
  if (!(NOISE_KINDS as readonly unknown[]).includes(v)) {
    throw new DeviceError(`${String(v)} not in enum strs ('none', 'poisson', 'uniform')`);
  }
}

/** Base of the Gaussian detectors: value computed at trigger time from motor positions. */
export abstract class GaussDetector extends SimDevice implements Triggerable {
  protected readonly readAttrs: readonly string[] = ['val'];
  protected readonly configEntries: readonly ConfigEntry[];
  /** Seconds a trigger takes (ophyd `exposure_time`). */
  exposureTime: number;
  precision: number;
  random: RandomSource;
  protected readonly exp: (x: number) => number;
  #value = 0;
  #timestamp = now();
  /** The configuration entries by name (the same objects as configEntries, which configure() changes in place): read at each trigger. */
  readonly #settings: { readonly Imax: ConfigEntry; readonly center: ConfigEntry; readonly sigma: ConfigEntry; readonly noise: ConfigEntry; readonly noiseMultiplier: ConfigEntry };

  protected constructor(name: string, center: unknown, Imax: number, options: GaussOptions, checkCenter: (v: unknown) => void) {
    super(name, options);
    this.exposureTime = options.exposureTime ?? 0;
    this.precision = options.precision ?? 3;
    this.random = options.random ?? Math.random;
    this.exp = options.exactExp === true ? npExp : Math.exp;
    const sigma = options.sigma ?? 1;
    const noise = options.noise ?? 'none';
    checkNumber('Imax')(Imax);
    checkCenter(center);
    checkNumber('sigma')(sigma);
    checkNoise(noise);
    // ophyd's EnumSignal stores an index, so its dtype is 'integer' although it reads as text.
    this.#settings = {
      Imax: configEntry('Imax', Imax, { check: checkNumber('Imax') }),
      center: configEntry('center', center, { check: checkCenter }),
      sigma: configEntry('sigma', sigma, { check: checkNumber('sigma') }),
      noise: configEntry('noise', noise, { check: checkNoise, dtype: 'integer', extra: { enum_strs: [...NOISE_KINDS] } }),
      noiseMultiplier: configEntry('noise_multiplier', options.noiseMultiplier ?? 1, { check: checkNumber('noise_multiplier') }),
    };
    const c = this.#settings;
    this.configEntries = [c.Imax, c.center, c.sigma, c.noise, c.noiseMultiplier];
  }

  /** The noise-free value at the current motor position(s). */
  protected abstract peak(Imax: number, center: unknown, sigma: number): number;

  /** Alias of {@link exposureTime}: seconds a trigger takes. */
  get delay(): number { return this.exposureTime; }
  set delay(seconds: number) { this.exposureTime = seconds; }

  /** The last computed value (ophyd `det.val.get()`). */
  get value(): number { return this.#value; }

  /** Compute a fresh value with noise (ophyd `SynGauss._compute`). */
  compute(): number {
    const c = this.#settings;
    let v = this.peak(c.Imax.value as number, c.center.value, c.sigma.value as number);
    const noise = c.noise.value as NoiseKind;
    if (noise === 'poisson') v = poisson(this.random, roundHalfEven(v));
    else if (noise === 'uniform') v += uniform(this.random, -1, 1) * (c.noiseMultiplier.value as number);
    return v;
  }

  /** Recompute the value now, ignoring the exposure time (done once at construction, as ophyd). */
  protected refresh(): void {
    this.#value = this.compute();
    this.#timestamp = now();
    this.subscribers.emit();
  }

  /** Compute a new value; the status finishes after `exposureTime` (at once when 0). */
  override trigger(): Status { return exposure(this.name, this.exposureTime, () => this.refresh()); }

  read(): Record<string, Reading> {
    return { [this.name]: { value: this.#value, timestamp: this.#timestamp } };
  }

  describe(): Record<string, DataKey> {
    // A Poisson draw is a Python int, otherwise numpy gives a float64.
    const dtype = this.#settings.noise.value === 'poisson' ? 'integer' : 'number';
    return { [this.name]: { source: `SIM:${this.name}`, dtype, shape: [], precision: this.precision } };
  }

  get hints(): { fields: string[] } {
    return { fields: [this.name] };
  }

  /** Nothing to stop (ophyd `Device.stop`). */
  stop(): void {}
}

function readPosition(owner: string, motor: SyncReadable, field: string): number {
  const reading = motor.read()[field];
  if (reading === undefined) throw new DeviceError(`${owner}: ${motor.name}.read() has no field '${field}'`);
  return Number(reading.value);
}

/**
 * A Gaussian peak over one motor: `Imax * exp(-(m - center)^2 / (2 sigma^2))`, bit-exact
 * with ophyd.sim under numpy with `exactExp` (see npmath.ts).
 * @example const det = new SynGauss('det', motor, 'motor', 0, 1, { sigma: 1 });
 */
export class SynGauss extends GaussDetector {
  protected readonly pyClass: string = 'SynGauss';
  readonly #motor: SyncReadable;
  readonly #field: string;

  constructor(name: string, motor: SyncReadable, motorField: string, center: number, Imax: number, options: GaussOptions = {}) {
    super(name, center, Imax, options, checkNumber('center'));
    this.#motor = motor;
    this.#field = motorField;
    this.refresh();
  }

  protected peak(Imax: number, center: unknown, sigma: number): number {
    const d = readPosition(this.name, this.#motor, this.#field) - (center as number);
    return Imax * this.exp(-(d * d) / (2 * (sigma * sigma)));
  }
}

function checkCenter2D(v: unknown): void {
  if (!Array.isArray(v) || v.length !== 2 || !v.every((c) => typeof c === 'number')) {
    throw new DeviceError(`center must be two numbers, got ${JSON.stringify(v)}`);
  }
}

/**
 * A 2-D Gaussian blob over two motors: `Imax * exp(-((x0-c0)^2 + (x1-c1)^2) / (2 sigma^2))`,
 * summed in numpy's order so floats match `np.sum`.
 * @example const det4 = new Syn2DGauss('det4', motor1, 'motor1', motor2, 'motor2', [0, 0], 1);
 */
export class Syn2DGauss extends GaussDetector {
  protected readonly pyClass: string = 'Syn2DGauss';
  readonly #motors: readonly [SyncReadable, SyncReadable];
  readonly #fields: readonly [string, string];

  constructor(
    name: string, motor0: SyncReadable, motorField0: string, motor1: SyncReadable, motorField1: string,
    center: readonly [number, number], Imax: number, options: GaussOptions = {},
  ) {
    super(name, [...center], Imax, options, checkCenter2D);
    this.#motors = [motor0, motor1];
    this.#fields = [motorField0, motorField1];
    this.refresh();
  }

  protected peak(Imax: number, center: unknown, sigma: number): number {
    const [c0, c1] = center as [number, number];
    const a = readPosition(this.name, this.#motors[0], this.#fields[0]) - c0;
    const b = readPosition(this.name, this.#motors[1], this.#fields[1]) - c1;
    return Imax * this.exp(-(a * a + b * b) / (2 * (sigma * sigma)));
  }
}
