/**
 * The engine host seam: what crosses between the dispatcher (main thread:
 * protocols, store, panel) and the place where the RunEngine, the devices and
 * the plans live (this thread, or a worker thread). Everything here is plain
 * data that survives `structuredClone`, except the registration types at the
 * bottom, which only plan modules (inside the host) ever see.
 * @module
 */
import type { DocumentName } from '../model/documents.js';
import type { Plan } from '../model/msg.js';
import type { RunEngine, RunEngineState } from '../engine/index.js';

/** A JSON Schema (draft 2020-12) object; TypeBox schemas qualify. */
export type JsonSchema = Readonly<Record<string, unknown>>;

/** Params after validation and defaults: a fresh object per start. */
export type ScanParams = Record<string, unknown>;

/** One problem with the parameters of a start request. */
export interface ParamError {
  /** JSON-pointer-ish path of the parameter, e.g. `/detectors/0`. */
  path: string;
  message: string;
  expected?: string;
  got?: string;
  /** `md`: the problem is in the start request's metadata (its path is under `/md`), not in its params. */
  in?: 'md';
}

/** An error as it crosses the seam: enough for v1's `repr()` and v2's `{type, message}`. */
export interface ErrorInfo {
  readonly name: string;
  readonly message: string;
  /** A stable code when the error had one (CodedError). */
  readonly code?: string;
}

/** A plan startable by name, as clients list it. */
export interface PlanInfo { name: string; description: string; params: Record<string, unknown> | null }

/** `readable`: can be read (a detector, or a motor's readback); `movable`: can be set (a motor). */
export interface DeviceInfo { name: string; kind: string; readable: boolean; movable: boolean; describe: Record<string, unknown> }

/** What the host offers: its plans and devices, and which code they came from. */
export interface Catalog {
  plans: PlanInfo[];
  devices: DeviceInfo[];
  /** SHA-256 (hex) of the loaded plans modules' source, in load order; also in every start document. */
  plansSha256: string;
  /** The plans modules loaded (absolute paths). */
  planModules: string[];
  /** Devices created from the device file (`serve --devices`) that connected. */
  configuredDevices: string[];
  /** Devices of the device file that did not connect, and were skipped. */
  deviceProblems: DeviceProblem[];
}

/** A configured device that could not be created or connected. */
export interface DeviceProblem { device: string; class: string; code: string; message: string }

/** Result of checking a start request (no side effects). */
export type CheckOutcome =
  | { ok: true; params: ScanParams }
  | { ok: false; reason: 'unknown'; name: string; suggestion: string | null }
  | { ok: false; reason: 'invalid'; name: string; summary: string; errors: ParamError[] };

/** Result of asking the host to start a scan. */
export type StartOutcome =
  | { ok: true; params: ScanParams; itemId: string }
  | { ok: false; reason: 'busy'; planName: string | null }
  | Exclude<CheckOutcome, { ok: true }>;

/**
 * Result of a control verb: accepted, or refused with the engine's error (the
 * seed replies with its repr), or not answered because the engine is unresponsive.
 */
export type ControlOutcome =
  | { ok: true }
  | { ok: false; reason: 'not_paused' }
  | { ok: false; reason: 'error'; error: ErrorInfo };

/** The control verbs a client can send while a plan runs. */
export type ControlVerb = 'pause' | 'resume' | 'stop' | 'abort' | 'halt';

/** How a control verb is carried out. */
export interface ControlOptions {
  /** pause: at the next checkpoint instead of at once. */
  defer?: boolean;
  /** abort: the reason, for the stop document. */
  reason?: string;
  /**
   * stop, abort, halt while the engine is idle but a scan function still runs (waiting in `ctx.sleep`,
   * as the seed's `simulated` does in its artificial "running" state): end that wait. Without it the
   * engine refuses ("RunEngine is already idle"), as the Python dispatcher answers, which v1 keeps.
   */
  endWait?: boolean;
}

/** A start request: the dispatcher names the item; the host checks and runs it. */
export interface StartRequest {
  readonly itemId: string;
  readonly name: string;
  readonly params: unknown;
  readonly md: Readonly<Record<string, unknown>>;
}

/**
 * One thing that happened in the host, in the order it happened. The dispatcher
 * turns these into its own event stream (v1, v2, callbacks, store).
 */
export type HostEvent =
  /** A RunEngine state transition. */
  | { kind: 'state'; state: RunEngineState; oldState: RunEngineState }
  /** A seed-shaped scan function announced an artificial state through its `stateHook`. */
  | { kind: 'hook'; itemId: string; state: string; oldState: string | null }
  | { kind: 'document'; name: DocumentName; doc: Record<string, unknown> }
  /** The host accepted an item and is about to run it with these checked params (before any of its documents). */
  | { kind: 'item_start'; itemId: string; name: string; params: ScanParams }
  /** The scan function raised (or the host ended it, see `terminated`). */
  | { kind: 'exception'; itemId: string | null; error: ErrorInfo }
  /** The item is over: its scan function returned or threw and the engine is idle. */
  | { kind: 'item_end'; itemId: string };

export type HostEventListener = (event: HostEvent) => void;

/** How the host is doing, for `/healthz`. */
export interface HostHealth {
  kind: 'inprocess' | 'worker';
  /** False while the engine's thread does not answer (a plan blocking its event loop). */
  responsive: boolean;
  /** Milliseconds since the engine's thread last answered (0 in process). */
  lastSeenMs: number;
  /** Workers started so far (1 + restarts). */
  generation: number;
  /** Why the last worker was ended, if one was. */
  lastTermination: string | null;
}

/** What `stop_all` did to one device or emergency function. */
export interface StopOutcome {
  readonly name: string;
  /** `stopped`: its stop() (or the function) finished; `failed`: it threw; `timeout`: it did not finish in time. */
  readonly outcome: 'stopped' | 'failed' | 'timeout';
  readonly message?: string;
}

/** The report of `stop_all`: what the engine was doing and what was done, device by device. */
export interface StopAllReport {
  readonly engine: {
    /** The engine's state when the request arrived. */
    readonly before: RunEngineState;
    /** `halted`: a plan was running or paused and was halted; `terminated`: its thread did not let the halt through and was ended; `none`: it was idle. */
    readonly action: 'halted' | 'terminated' | 'none';
    readonly message?: string;
  };
  /** Every device with a stop() method, in name order. */
  readonly devices: readonly StopOutcome[];
  /** The emergency functions the plans modules registered (`addEmergencyStop`), in registration order. */
  readonly emergency: readonly StopOutcome[];
}

/** Result of `reload`: the new catalog, or why the new code did not load (the old code stays). */
export type ReloadOutcome =
  | { ok: true; catalog: Catalog }
  | { ok: false; reason: 'busy' | 'failed' | 'unsupported'; message: string; errors: string[] };

/**
 * The seam. Two implementations pass one contract suite (test/host/contract.ts):
 * {@link InProcessHost} and {@link WorkerHost}. Requests resolve once the host
 * has answered; events arrive through `onEvent` in the order they happened,
 * replies included (a request's reply never overtakes the events before it).
 */
export interface EngineHost {
  readonly kind: 'inprocess' | 'worker';
  /** Load devices and plans; resolves with the catalog, rejects with the load errors. */
  open(): Promise<Catalog>;
  /** The catalog of the last successful open/reload. */
  readonly catalog: Catalog;
  onEvent(listener: HostEventListener): () => void;
  /** Check a start request; `md`, when given, must make a valid start document. */
  validate(name: string, params: unknown, md?: unknown): Promise<CheckOutcome>;
  start(request: StartRequest): Promise<StartOutcome>;
  control(verb: ControlVerb, options?: ControlOptions): Promise<ControlOutcome>;
  /** Continue `scan_id` from `n` (the store's last one): the next run gets at least n + 1. */
  setScanId(n: number): Promise<void>;
  /** Re-import the plans modules (only when idle); keeps the old code if the new fails to load. */
  reload(): Promise<ReloadOutcome>;
  /**
   * The emergency stop, in any state: halt whatever runs (ending its thread if it does
   * not let the halt through), then call stop() on every device that has one and run the
   * registered emergency functions; resolves with what happened to each.
   */
  stopAll(): Promise<StopAllReport>;
  /** Abort a run with `reason`, end sleeping scan functions, resolve once idle (ends a stuck engine). */
  shutdown(reason: string): Promise<void>;
  /** Release the thread (after shutdown). */
  close(): Promise<void>;
  health(): HostHealth;
}

// ---------------------------------------------------------------------------
// Inside the host: what plan modules and scan functions see (live objects).

/** The seed's `state_hook(new_state, old_state)`: announce a (possibly artificial) state. */
export type StateHook = (newState: string, oldState: string | null) => void;

/** Extras a scan function may use; the seed's two positional arguments stay first. */
export interface ScanContext {
  /** Aborted when the host shuts down: sleeping scans should end early. */
  readonly signal: AbortSignal;
  /** Sleep that ends (rejecting) when `signal` aborts. */
  sleep(seconds: number): Promise<void>;
  /** The devices of the host, by name. */
  readonly devices: ReadonlyMap<string, unknown>;
  /** Per-run metadata from the start request (v2's `md`); `{}` when none was given. */
  readonly md: Readonly<Record<string, unknown>>;
}

/**
 * A scan function in the seed's shape, `fn(run_engine, state_hook, **params)`:
 * it may run plans on `re`, wait, or call `stateHook` itself.
 */
export type ScanFunction = (re: RunEngine, stateHook: StateHook, params: ScanParams, ctx: ScanContext) => unknown;

/** An emergency function for `addEmergencyStop`: called by `stop_all` with the host's devices. */
export type EmergencyStop = (devices: ReadonlyMap<string, unknown>) => unknown;

/** A plan factory for `addPlan`: validated params in, a plan out. */
export type PlanFactory = (params: ScanParams, devices: ReadonlyMap<string, unknown>) => Plan;
