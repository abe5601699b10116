/**
 * What only protocol v2 answers itself (the rest are operations of the table,
 * src/ops): `hello`, which describes this protocol and its limits.
 * @module
 */
import { VERSION } from '../../version.js';
import type { V2Hub } from './hub.js';
import type { HelloResult } from './types.js';
import { PROTOCOL_VERSION, TOPICS } from './types.js';

export type Frame = Record<string, unknown>;

/** Limits a session enforces, announced by `hello`. */
export interface V2Limits { maxRequestBytes: number; maxBufferedBytes: number; logMaxEvents: number; logMaxBytes: number; heartbeatMs: number }

export function hello(hub: V2Hub, serverId: string, limits: V2Limits): HelloResult {
  return {
    protocol: PROTOCOL_VERSION, versions: [1, PROTOCOL_VERSION],
    server: { name: 'bluesky-dispatcher', version: VERSION, id: serverId },
    limits: {
      max_request_bytes: limits.maxRequestBytes, max_buffered_bytes: limits.maxBufferedBytes,
      log_max_events: limits.logMaxEvents, log_max_bytes: limits.logMaxBytes, heartbeat_ms: limits.heartbeatMs,
    },
    topics: TOPICS, oldest_seq: hub.log.oldest(), latest_seq: hub.log.latest(),
  };
}
