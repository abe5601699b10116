/** The control lock: one caller holds the beamline; others' control and queue operations wait. @module */
export { ControlLock, MemoryLockStore, type AcquireOutcome, type LockState, type LockStore, type ReleaseOutcome } from './control-lock.js';
export { SqliteLockStore } from './sqlite-lock.js';
export { PgLockStore } from './pg-lock.js';
