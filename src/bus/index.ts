/** The document bus: the committed stream published on Redis Streams, and the reader consumers use. @module */
export { RedisBus } from './publisher.js';
export type { BusOptions, BusHealth, BusLogger, CommittedEvent, CommittedSource } from './publisher.js';
export { PendingEntries } from './pending.js';
export type { BusEntry, LostRange } from './pending.js';
export { BusError } from './errors.js';
export type { BusErrorCode } from './errors.js';
export { checkInstance, checkSinceId, defaultInstance, entryId, parseBusUrl, seqOfId, streamKeys } from './names.js';
export type { BusUrl, StreamKeys } from './names.js';
export { readDocuments } from './consumer.js';
export type { ConsumedDocument, ReadOptions } from './consumer.js';
