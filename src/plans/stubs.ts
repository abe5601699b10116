/**
 * All plan stubs (bluesky.plan_stubs, `bps`) in one import; the code lives in
 * `./stubs/*.ts` by kind, `relSet`/`mvr` in `./relative.ts`.
 * @module
 */
export {
  type CollectOptions, type Group, type OneOrMany, type WaitOptions,
  checkpoint, clearCheckpoint, closeRun, collect, configure, create, declareStream, deferredPause, drop,
  inputPlan, installSuspender, locate, monitor, nullMsg, openRun, pause, read, removeSuspender, save, sleep,
  stop, subscribe, unmonitor, unsubscribe, wait, waitFor,
} from './stubs/messages.js';
export {
  type ActionOptions, type MoveOptions,
  absSet, broadcastMsg, collectWhileCompleting, complete, completeAll, kickoff, kickoffAll, mv, prepare, rd,
  stage, stageAll, trigger, unstage, unstageAll,
} from './stubs/devices.js';
export {
  type Delay, type PosCache, type Readings, type Step, type TakeReading,
  movePerStep, one1dStep, oneNdStep, oneShot, repeat, repeater, triggerAndRead,
} from './stubs/readings.js';
export { mvr, relSet } from './relative.js';
export { separateDevices } from './utils.js';
