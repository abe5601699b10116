/** The plan queue: items, the scheduler that runs them back to back, history, and where they are kept. @module */
export * from './types.js';
export { QueueError, type QueueErrorCode, type QueueErrorDetail } from './errors.js';
export { insertionIndex, insertedAt } from './positions.js';
export { MemoryQueueStore, type ItemWrite, type QueueSnapshot, type QueueStore, type QueueWrite, type StoredItem } from './store.js';
export { SqliteQueueStore, type SqliteQueueOptions } from './sqlite-store.js';
export { PgQueueStore } from './pg-store.js';
export { QueueScheduler, type ItemStatus, type QueueView, type SchedulerOptions } from './scheduler.js';
export { attachQueue, detachQueue, queueOf } from './registry.js';
