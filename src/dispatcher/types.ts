/**
 * Shapes shared by the dispatcher's parts and its users: the ordered event
 * stream subscribers see and the status snapshot. The scan-side shapes (scan
 * functions, params, outcomes) belong to the engine host and are re-exported.
 * @module
 */
import type { RunEngineState } from '../engine/index.js';

export type {
  CheckOutcome, ControlOutcome, JsonSchema, ParamError, PlanFactory, ScanContext, ScanFunction, ScanParams, StartOutcome, StateHook,
} from '../host/types.js';

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
  /** `error` is an Error whose `name` and `message` are the plan's (rebuilt from the host's report). */
  | { kind: 'exception'; seq: number; planName: string | null; error: Error };

export type DispatcherEventListener = (event: DispatcherEvent) => void;

/** The status a new subscriber is first told. */
export interface Snapshot {
  state: RunEngineState;
  info: ScanInfo;
  busy: boolean;
}
