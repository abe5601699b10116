/**
 * Shapes shared by the dispatcher's parts and its users: scan functions, the
 * ordered event stream subscribers see, and the status snapshot.
 * @module
 */
import type { RunEngine, RunEngineState } from '../engine/index.js';
import type { Plan } from '../model/msg.js';

/** The seed's `state_hook(new_state, old_state)`: announce a (possibly artificial) state. */
export type StateHook = (newState: string, oldState: string | null) => void;

/** Extras a scan function may use; the seed's two positional arguments stay first. */
export interface ScanContext {
  /** Aborted when the dispatcher shuts down: sleeping scans should end early. */
  readonly signal: AbortSignal;
  /** Sleep that ends (rejecting) when `signal` aborts. */
  sleep(seconds: number): Promise<void>;
  /** The devices the dispatcher was given, by name. */
  readonly devices: ReadonlyMap<string, unknown>;
  /** Per-run metadata from the start request (v2's `md`); `{}` when none was given. */
  readonly md: Readonly<Record<string, unknown>>;
}

/** Params after validation and defaults: a fresh object per start. */
export type ScanParams = Record<string, unknown>;

/**
 * A scan function in the seed's shape, `fn(run_engine, state_hook, **params)`:
 * it may run plans on `re`, wait, or call `stateHook` itself.
 */
export type ScanFunction = (re: RunEngine, stateHook: StateHook, params: ScanParams, ctx: ScanContext) => unknown;

/** A plan factory for {@link Dispatcher.addPlan}: validated params in, a plan out. */
export type PlanFactory = (params: ScanParams, devices: ReadonlyMap<string, unknown>) => Plan;

/** A JSON Schema (draft 2020-12) object; TypeBox schemas qualify. */
export type JsonSchema = Readonly<Record<string, unknown>>;

/** One problem with the parameters of a start request. */
export interface ParamError {
  /** JSON-pointer-ish path of the parameter, e.g. `/detectors/0`. */
  path: string;
  message: string;
  expected?: string;
  got?: string;
}

/** What a subscriber needs to describe the current scan (the seed's three keys). */
export interface ScanInfo {
  planName: string | null;
  runUid: string | null;
  /** When the scan function was called: microseconds since the UNIX epoch (UTC). */
  runStartTime: number | null;
}

/** Events in the order they happened; `seq` counts from 1 for each dispatcher. */
export type DispatcherEvent =
  | { kind: 'state'; seq: number; state: string; oldState: string | null; info: ScanInfo }
  | { kind: 'run_uid'; seq: number; state: RunEngineState; info: ScanInfo }
  | { kind: 'exception'; seq: number; planName: string | null; error: unknown };

export type DispatcherEventListener = (event: DispatcherEvent) => void;

/** The status a new subscriber is first told. */
export interface Snapshot {
  state: RunEngineState;
  info: ScanInfo;
  busy: boolean;
}

/** Result of checking a start request (no side effects). */
export type CheckOutcome =
  | { ok: true; params: ScanParams }
  | { ok: false; reason: 'unknown'; name: string; suggestion: string | null }
  | { ok: false; reason: 'invalid'; name: string; summary: string; errors: ParamError[] };

/** Result of asking the dispatcher to start a scan; `itemId` names this start. */
export type StartOutcome =
  | { ok: true; params: ScanParams; itemId: string }
  | { ok: false; reason: 'busy'; planName: string | null }
  | Exclude<CheckOutcome, { ok: true }>;

/** Result of a control verb: accepted, or the engine's error (the seed replies with its repr). */
export type ControlOutcome = { ok: true } | { ok: false; reason: 'not_paused' } | { ok: false; reason: 'error'; error: unknown };
