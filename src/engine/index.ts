/** The RunEngine: states, commands, documents. @module */
export { RunEngine, PAUSE_MSG } from './run-engine.js';
export type { RunEngineOptions, RunEngineResult, RunEngineEvents, Preprocessor, Subs } from './run-engine.js';
export { STATES, canTransition } from './state.js';
export type { RunEngineState } from './state.js';
export { NO_PLAN_RETURN } from './loop.js';
export type { CommandHandler } from './registry.js';
export type { Suspender, SuspenderHost } from './commands/context.js';
export type { SubscriptionName } from './subscriptions.js';
export { defaultScanIdSource, defaultMdValidator } from './metadata.js';
export type { Metadata, ScanIdSource, MdValidator, MdNormalizer } from './metadata.js';
export { SignalSuspender, SuspendBoolHigh, SuspendBoolLow, SuspendFloor, SuspendCeil, SuspendWhenOutsideBand } from './suspenders.js';
export type { SuspenderOptions } from './suspenders.js';
