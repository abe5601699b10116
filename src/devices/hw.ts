/**
 * `hw()`: a fresh set of simulated hardware with ophyd.sim's names and parameters, and
 * `deviceKind()` to sort devices for user interfaces.
 * @module
 */
import { isFlyable, isMovable, isReadable, isTriggerable } from '../model/protocols.js';
import type { SimDevice } from './device.js';
import { NewTrivialFlyer, TrivialFlyer } from './flyer.js';
import { Syn2DGauss, SynGauss } from './gauss.js';
import { SynImageDetector } from './image.js';
import type { RandomSource } from './random.js';
import { Signal, SynPeriodicSignal, SynSignal } from './signal.js';
import { SynAxis } from './syn-axis.js';

/** Any device made by this module. */
export type SimulatedDevice = SimDevice | Signal | TrivialFlyer;

export interface HwOptions {
  /** `root` of the image detector's resources. Default '/tmp'. */
  savePath?: string;
  /** Uniform [0, 1) source for noisy_det's noise. Default Math.random. */
  random?: RandomSource;
  /** Detectors compute exp() exactly as numpy did for the recordings (slower). Default false. */
  exactExp?: boolean;
}

/** What {@link hw} returns: ophyd.sim's `hw()` namespace (the subset used by bluesky's tests). */
export interface SimHardware {
  motor: SynAxis;
  motor1: SynAxis;
  motor2: SynAxis;
  motor3: SynAxis;
  /** SynGauss on motor: center 0, Imax 1, sigma 1. */
  det: SynGauss;
  /** SynGauss on motor1: center 0, Imax 5, sigma 0.5. */
  det1: SynGauss;
  /** SynGauss on motor2: center 1, Imax 2, sigma 2. */
  det2: SynGauss;
  /** SynGauss on motor3: center -1, Imax 2, sigma 1. */
  det3: SynGauss;
  /** Syn2DGauss on motor1 and motor2: center [0, 0], Imax 1, sigma 1. */
  det4: Syn2DGauss;
  /** SynGauss on motor with uniform noise (multiplier 0.1). */
  noisy_det: SynGauss;
  /** A random number in [0, 1) per trigger. */
  rand: SynPeriodicSignal;
  /** Image detector with external (resource/datum) data, 10x10 frames. */
  img: SynImageDetector;
  bool_sig: Signal;
  sig: Signal;
  signal: SynSignal;
  trivial_flyer: TrivialFlyer;
  new_trivial_flyer: NewTrivialFlyer;
  /** Every device above by its `name`, in this order. */
  devices: ReadonlyMap<string, SimulatedDevice>;
}

/**
 * Build a fresh set of simulated hardware (ophyd.sim `hw()`); motors start at 0.
 * @example const { det, motor } = hw();
 */
export function hw(options: HwOptions = {}): SimHardware {
  const motor = new SynAxis({ name: 'motor' });
  const motor1 = new SynAxis({ name: 'motor1' });
  const motor2 = new SynAxis({ name: 'motor2' });
  const motor3 = new SynAxis({ name: 'motor3' });
  const noisy = options.random === undefined ? {} : { random: options.random };
  const exactExp = options.exactExp === true;
  const set = {
    motor, motor1, motor2, motor3,
    det: new SynGauss('det', motor, 'motor', 0, 1, { sigma: 1, exactExp }),
    det1: new SynGauss('det1', motor1, 'motor1', 0, 5, { sigma: 0.5, exactExp }),
    det2: new SynGauss('det2', motor2, 'motor2', 1, 2, { sigma: 2, exactExp }),
    det3: new SynGauss('det3', motor3, 'motor3', -1, 2, { sigma: 1, exactExp }),
    det4: new Syn2DGauss('det4', motor1, 'motor1', motor2, 'motor2', [0, 0], 1, { exactExp }),
    noisy_det: new SynGauss('noisy_det', motor, 'motor', 0, 1, { noise: 'uniform', sigma: 1, noiseMultiplier: 0.1, exactExp, ...noisy }),
    rand: new SynPeriodicSignal({ name: 'rand' }),
    img: new SynImageDetector({ name: 'img', ...(options.savePath === undefined ? {} : { savePath: options.savePath }) }),
    bool_sig: new Signal({ name: 'bool_sig', value: false }),
    sig: new Signal({ name: 'sig', value: 0 }),
    signal: new SynSignal({ name: 'signal' }),
    trivial_flyer: new TrivialFlyer(),
    new_trivial_flyer: new NewTrivialFlyer(),
  };
  const devices = new Map<string, SimulatedDevice>(Object.values(set).map((d) => [d.name, d]));
  return { ...set, devices };
}

/** A coarse device category for user interfaces. */
export type DeviceKind = 'motor' | 'detector' | 'flyer' | 'signal';

/**
 * Sort a device into motor / detector / flyer / signal: flyers by kickoff/complete,
 * triggered signals (SynSignal, img, rand) as detectors, other soft signals as signals,
 * locatable devices as motors, other triggerable readables as detectors.
 * @example deviceKind(hw().det) // 'detector'
 */
export function deviceKind(device: unknown): DeviceKind {
  if (isFlyable(device)) return 'flyer';
  if (device instanceof SynSignal) return 'detector';
  if (device instanceof Signal) return 'signal';
  if (isMovable(device) && 'position' in device) return 'motor';
  if (isReadable(device) && isTriggerable(device)) return 'detector';
  return 'signal';
}
