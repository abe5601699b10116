/** Protocol v2: the event log, the hub feeding it, the per-connection session, and the typed client. @module */
export { type EventLog, type LoggedEvent, type MemoryLogOptions, MemoryEventLog, logged } from './event-log.js';
export { V2Hub, type HubSubscriber } from './hub.js';
export { V2Session, type V2Transport, type SessionHooks } from './session.js';
export type { V2Limits } from './ops.js';
export { ClientError, DispatcherClient, type ClientEvents, type ClientOptions } from './client.js';
export * from './types.js';
