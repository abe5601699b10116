/**
 * Protocol v2 wire shapes, shared by the server, the typed client and the CLI:
 * events, topics, requests, replies and the stable error codes.
 * @module
 */
import type { Operations } from '../../ops/index.js';
import type { RunSummaryJson } from '../../store/types.js';
import type { QueueChange } from '../../queue/types.js';

export type { RunSummaryJson };

export const PROTOCOL_VERSION = 2;

/** Every topic a subscriber may ask for. */
export const TOPICS = ['state', 'document', 'exception', 'progress', 'log', 'queue'] as const;
export type Topic = (typeof TOPICS)[number];

export interface StateData {
  new: string;
  old: string | null;
  plan: string | null;
  run_uid: string | null;
  item_id: string | null;
}
/** `name` is the event-model document name; `doc` the document itself. */
export interface DocumentData { name: string; doc: Record<string, unknown> }
/** Which control verb interrupted the plan, when an exception is an interruption rather than a failure. */
export type Interruption = 'pause' | 'stop' | 'abort' | 'halt';
export interface ExceptionData {
  plan: string | null;
  item_id: string | null;
  /** The exception's class name, e.g. `RunEngineInterrupted`, `ValueError`. */
  type: string;
  /** Its message, verbatim (for an interruption, bluesky's console text, as v1 sends it). */
  message: string;
  /** Set when the exception is the engine's interruption (a pause is not a failure); null for a failure. */
  interruption: Interruption | null;
  /** One line for people: "paused at a checkpoint — resume, stop, abort or halt", "stopped by request", "failed: ValueError: …". */
  summary: string;
}
export interface ProgressData {
  run_uid: string;
  item_id: string | null;
  done: number;
  /** The start document's `num_points`, when the plan declared it. */
  total: number | null;
  fraction: number | null;
  eta_s: number | null;
}
export interface LogData { level: string; msg: string; fields: Record<string, unknown> }

/** A change to the plan queue or its history (docs/queue.md lists each `change`). */
export type QueueData = QueueChange;

export interface TopicData { state: StateData; document: DocumentData; exception: ExceptionData; progress: ProgressData; log: LogData; queue: QueueData }

/** One server event; `seq` is server-wide and increases by exactly 1 per event, across topics. */
export type Event<T extends Topic = Topic> = T extends Topic ? { seq: number; topic: T; time: number; data: TopicData[T] } : never;

/** The stable error codes: the catalogue of every protocol (src/ops/errors.ts, docs/errors.md). */
import type { ErrorBody } from '../../ops/errors.js';
export type { ErrorBody, ErrorCode, ErrorDetail } from '../../ops/errors.js';

export type Reply<R = unknown> = { id: unknown; ok: true; result: R } | { id: unknown; ok: false; error: ErrorBody };

/** The status of the engine and the scan in progress (the `status` op and the subscribe snapshot). */
export type Status = Operations['status']['result'];

export interface OpenRun { uid: string; item_id: string | null; start: Record<string, unknown>; progress: ProgressData }

export interface HelloResult {
  protocol: number;
  versions: number[];
  server: { name: string; version: string; id: string };
  limits: { max_request_bytes: number; max_buffered_bytes: number; log_max_events: number; log_max_bytes: number; heartbeat_ms: number };
  topics: readonly Topic[];
  oldest_seq: number;
  latest_seq: number;
}
export type PlanInfo = Operations['plans']['result']['plans'][number];
/** `readable`: can be read (a detector, or a motor's readback); `movable`: can be set (a motor). */
export type DeviceInfo = Operations['devices']['result']['devices'][number];
export interface SubscribeResult { topics: Topic[]; seq: number; status: Status; open_run: OpenRun | null; replay_from: number | null }

/**
 * Request parameters and results, by op: the operations of the table (src/ops, the same
 * on every protocol) and the stream's own ops.
 */
export type Ops = Operations & {
  hello: { params: Record<string, never>; result: HelloResult };
  /** `serve --auth`: the first request; the connection then acts for the key's name and scopes. */
  auth: { params: { key: string }; result: { name: string; scopes: string[] } };
  subscribe: { params: { topics?: Topic[]; since?: number }; result: SubscribeResult };
  unsubscribe: { params: Record<string, never>; result: { subscribed: false } };
  ping: { params: Record<string, never>; result: { pong: true; time: number } };
};
/** `reload`: the plans now offered, and the hash of the code that provides them. */
export type ReloadResult = Operations['reload']['result'];
/** `runs.get`: the run's summary and one page of its documents, `[name, doc]` in emission order. */
export type RunDocuments = Operations['runs.get']['result'];
export type OpName = keyof Ops;

/** Close code for a subscriber that fell too far behind; the reason is `last_seq=N`. */
export const CLOSE_TOO_SLOW = 4008;

/** Parse the last seq out of a 4008 close reason (`last_seq=N`), or null. */
export function lastSeqFromReason(reason: string): number | null {
  const m = /last_seq=(\d+)/.exec(reason);
  return m === null || m[1] === undefined ? null : Number(m[1]);
}
