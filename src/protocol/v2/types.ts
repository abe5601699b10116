/**
 * Protocol v2 wire shapes, shared by the server, the typed client and the CLI:
 * events, topics, requests, replies and the stable error codes.
 * @module
 */
import type { RunSummaryJson } from '../../store/types.js';

export type { RunSummaryJson };

export const PROTOCOL_VERSION = 2;

/** Every topic a subscriber may ask for. */
export const TOPICS = ['state', 'document', 'exception', 'progress', 'log'] as const;
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

export interface TopicData { state: StateData; document: DocumentData; exception: ExceptionData; progress: ProgressData; log: LogData }

/** One server event; `seq` is server-wide and increases by exactly 1 per event, across topics. */
export type Event<T extends Topic = Topic> = T extends Topic ? { seq: number; topic: T; time: number; data: TopicData[T] } : never;

/** The stable error codes (the table in docs/protocol-v2.md). */
export const ERROR_CODES = [
  'bad_request', 'unknown_op', 'unknown_plan', 'invalid_params', 'busy', 'illegal_state',
  'replay_unavailable', 'too_large', 'shutting_down', 'internal', 'unknown_run', 'no_store', 'unavailable', 'load_failed',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorDetail { path: string; message: string; expected?: string; got?: string }
export interface ErrorBody { code: ErrorCode; message: string; details: ErrorDetail[] }

export type Reply<R = unknown> = { id: unknown; ok: true; result: R } | { id: unknown; ok: false; error: ErrorBody };

/** The status of the engine and the scan in progress (the `status` op and the subscribe snapshot). */
export interface Status {
  state: string;
  busy: boolean;
  plan: string | null;
  item_id: string | null;
  run_uid: string | null;
  /** When the scan was started, seconds since the epoch. */
  run_start_time: number | null;
  /** The seq of the last event this status includes. */
  seq: number;
}

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
export interface PlanInfo { name: string; description: string; params: Record<string, unknown> | null }
/** `readable`: can be read (a detector, or a motor's readback); `movable`: can be set (a motor). */
export interface DeviceInfo { name: string; kind: string; readable: boolean; movable: boolean; describe: Record<string, unknown> }
export interface SubscribeResult { topics: Topic[]; seq: number; status: Status; open_run: OpenRun | null; replay_from: number | null }

/** Request parameters and results, by op. */
export interface Ops {
  hello: { params: Record<string, never>; result: HelloResult };
  status: { params: Record<string, never>; result: Status };
  plans: { params: Record<string, never>; result: { plans: PlanInfo[] } };
  devices: { params: Record<string, never>; result: { devices: DeviceInfo[] } };
  validate: { params: { plan: string; params?: Record<string, unknown> }; result: { plan: string; params: Record<string, unknown> } };
  start: { params: { plan: string; params?: Record<string, unknown>; md?: Record<string, unknown> }; result: { item_id: string; plan: string; params: Record<string, unknown> } };
  pause: { params: { defer?: boolean }; result: { state: string } };
  resume: { params: Record<string, never>; result: { state: string } };
  stop: { params: Record<string, never>; result: { state: string } };
  abort: { params: { reason?: string }; result: { state: string } };
  halt: { params: Record<string, never>; result: { state: string } };
  subscribe: { params: { topics?: Topic[]; since?: number }; result: SubscribeResult };
  unsubscribe: { params: Record<string, never>; result: { subscribed: false } };
  ping: { params: Record<string, never>; result: { pong: true; time: number } };
  'runs.list': { params: { limit?: number; offset?: number; plan?: string; since?: number | string }; result: { runs: RunSummaryJson[] } };
  'runs.get': { params: { uid: string; offset?: number; limit?: number }; result: RunDocuments };
  reload: { params: Record<string, never>; result: ReloadResult };
}
/** `reload`: the plans now offered, and the hash of the code that provides them. */
export interface ReloadResult { plans: string[]; plans_sha256: string; modules: string[] }
/** `runs.get`: the run's summary and one page of its documents, `[name, doc]` in emission order. */
export interface RunDocuments { run: RunSummaryJson; offset: number; documents: Array<[string, Record<string, unknown>]>; more: boolean }
export type OpName = keyof Ops;
export const OPS: readonly OpName[] = [
  'hello', 'status', 'plans', 'devices', 'validate', 'start', 'pause', 'resume', 'stop', 'abort', 'halt', 'subscribe', 'unsubscribe', 'ping', 'runs.list', 'runs.get', 'reload',
];

/** Close code for a subscriber that fell too far behind; the reason is `last_seq=N`. */
export const CLOSE_TOO_SLOW = 4008;

/** Parse the last seq out of a 4008 close reason (`last_seq=N`), or null. */
export function lastSeqFromReason(reason: string): number | null {
  const m = /last_seq=(\d+)/.exec(reason);
  return m === null || m[1] === undefined ? null : Number(m[1]);
}
