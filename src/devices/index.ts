/**
 * Simulated devices in the manner of ophyd.sim (SynAxis, SynGauss, Syn2DGauss, soft
 * signals, an image detector, trivial flyers) and the `hw()` set; the public entry point.
 * @module
 */
export { SimDevice, type DeviceOptions } from './device.js';
export { SynAxis, type SynAxisOptions } from './syn-axis.js';
export { GaussDetector, NOISE_KINDS, Syn2DGauss, SynGauss, type GaussOptions, type NoiseKind, type SyncReadable } from './gauss.js';
export { Signal, SynPeriodicSignal, SynSignal, type SignalKind, type SignalOptions, type SynSignalOptions } from './signal.js';
export { SynImageDetector, type SynImageOptions } from './image.js';
export { NewTrivialFlyer, TrivialFlyer } from './flyer.js';
export { deviceKind, hw, type DeviceKind, type HwOptions, type SimHardware, type SimulatedDevice } from './hw.js';
export { npExp } from './npmath.js';
export { pyFloatRepr, pyRepr, pyStrRepr } from '../model/python-repr.js';
export type { RandomSource } from './random.js';
export type { ReadingsCallback } from './support.js';
