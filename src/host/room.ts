/**
 * The engine room: where the RunEngine, the devices and the registered plans
 * live, on whichever thread the host puts it. It starts scans by name, relays
 * the control verbs, and reports everything that happens as ordered
 * {@link HostEvent}s. It knows nothing of threads or sockets: the in-process
 * host calls it directly, the worker host through messages.
 * @module
 */
import { RunEngine, type RunEngineState, canTransition } from '../engine/index.js';
import { CodedError } from '../model/errors.js';
import { type Stoppable, isMovable, isReadable, isStoppable } from '../model/protocols.js';
import { sleepFor, within } from '../model/index.js';
import { nonFiniteErrors, startMetadataProblems } from '../plans/index.js';
import { summarize } from '../dispatcher/params.js';
import { type ScanEntry, type ScanOptions, ScanRegistry } from '../dispatcher/scan-registry.js';
import type {
  Catalog, CheckOutcome, ControlOptions, ControlOutcome, ControlVerb, DeviceInfo, DeviceProblem, EmergencyStop, ErrorInfo, HostEvent, JsonSchema, ParamError, PlanFactory, PlanInfo,
  ScanContext, ScanFunction, ScanParams, StartOutcome, StartRequest, StopAllReport, StopOutcome,
} from './types.js';

/**
 * What a plans module's `register(dispatcher)` receives: the registration half
 * of the dispatcher, living beside the engine (in the worker when there is one).
 */
export interface PlanRegistrar {
  /** The host's devices by name (live objects: use them in plan factories). */
  readonly devices: ReadonlyMap<string, unknown>;
  /** The RunEngine plans run on (for suspenders, preprocessors, persistent `md`). */
  readonly engine: RunEngine;
  readonly scanNames: string[];
  /**
   * Register a scan function in the seed's shape. `params` is its JSON Schema
   * (defaults for optional parameters); without one, params pass unchecked.
   * @throws ScanNameError (DISPATCH_SCAN_NAME_TAKEN) when `name` is taken
   */
  addScan(name: string, fn: ScanFunction, params?: JsonSchema | null, options?: ScanOptions): void;
  /**
   * Register a plan factory: the host runs `factory(params, devices)` on its engine.
   * @throws ScanNameError (DISPATCH_SCAN_NAME_TAKEN) when `name` is taken
   */
  addPlan(name: string, factory: PlanFactory, schema: JsonSchema, options?: ScanOptions): void;
  /** @throws UnknownScanError (DISPATCH_UNKNOWN_SCAN) for an unknown name. */
  removeScan(name: string): void;
  /**
   * Register a beamline's own emergency function (close a shutter, park a robot):
   * `stop_all` calls it, after stopping the devices, with the host's devices.
   * @throws Error when `name` is taken
   */
  addEmergencyStop(name: string, fn: EmergencyStop): void;
}

export interface RoomOptions {
  /** Makes the engine; default `new RunEngine()`. */
  readonly engineFactory?: () => RunEngine;
  readonly devices?: ReadonlyMap<string, unknown>;
  /** Every event, in order, synchronously. */
  readonly emit: (event: HostEvent) => void;
}

interface ActiveScan {
  readonly itemId: string;
  readonly name: string;
  readonly controller: AbortController;
  /** The scan function has returned or thrown; the item ends when the engine is idle too. */
  fnDone: boolean;
}

/** Longest `stop_all` waits for one device's stop() or one emergency function. */
const STOP_TIMEOUT_MS = 2000;

/** Longest a device's describe() may take for the catalog (an unreachable PV must not stall it). */
const DESCRIBE_TIMEOUT_MS = 2000;

export class EngineRoom implements PlanRegistrar {
  readonly devices: Map<string, unknown>;
  readonly engine: RunEngine;
  readonly #scans = new ScanRegistry();
  readonly #emit: (event: HostEvent) => void;
  #active: ActiveScan | null = null;
  #plansSha256 = '';
  #planModules: string[] = [];
  #configured: string[] = [];
  #deviceProblems: DeviceProblem[] = [];
  readonly #emergency = new Map<string, EmergencyStop>();

  constructor(options: RoomOptions) {
    this.#emit = options.emit;
    this.devices = new Map(options.devices ?? []);
    this.engine = (options.engineFactory ?? (() => new RunEngine()))();
    this.engine.on('state', (state, oldState) => this.#onState(state, oldState));
    this.engine.subscribe((name, doc) => this.#emit({ kind: 'document', name, doc: doc as Record<string, unknown> }));
  }

  get state(): RunEngineState { return this.engine.state; }
  get scanNames(): string[] { return this.#scans.names(); }
  get busy(): boolean { return this.#active !== null || this.engine.state !== 'idle'; }

  addScan(name: string, fn: ScanFunction, params?: JsonSchema | null, options: ScanOptions = {}): void {
    this.#scans.add(name, fn, params ?? null, options);
  }

  addPlan(name: string, factory: PlanFactory, schema: JsonSchema, options: ScanOptions = {}): void {
    const fn: ScanFunction = async (re, _hook, params, ctx) => re.run(factory(params, ctx.devices), null, { ...ctx.md });
    this.#scans.add(name, fn, schema, options);
  }

  removeScan(name: string): void { this.#scans.remove(name); }

  addEmergencyStop(name: string, fn: EmergencyStop): void {
    if (this.#emergency.has(name)) throw new Error(`an emergency stop named "${name}" is already registered`);
    this.#emergency.set(name, fn);
  }

  /** The registered scan, or undefined (in-process callers only: it holds the function). */
  scan(name: string): ScanEntry | undefined { return this.#scans.get(name); }

  /** Add devices from a configuration file (they replace simulated ones of the same name); `problems`: those skipped. */
  addConfiguredDevices(devices: ReadonlyMap<string, unknown>, problems: readonly DeviceProblem[]): void {
    for (const [name, dev] of devices) this.devices.set(name, dev);
    this.#configured.push(...devices.keys());
    this.#deviceProblems.push(...problems);
  }

  /** Say which code the plans came from: `plans_sha256` goes into every start document from now on. */
  setProvenance(sha256: string, modules: readonly string[]): void {
    this.#plansSha256 = sha256;
    this.#planModules = [...modules];
    this.engine.md.plans_sha256 = sha256;
  }

  /** The plans and devices as data (devices described, each within a time limit). */
  async catalog(): Promise<Catalog> {
    const plans: PlanInfo[] = this.#scans.names().map((name) => {
      const entry = this.#scans.get(name) as ScanEntry;
      return { name, description: entry.description, params: entry.schema === null ? null : { ...entry.schema } };
    });
    const devices: DeviceInfo[] = await Promise.all([...this.devices].map(([name, dev]) => describeDevice(name, dev)));
    // Through a structured clone: the catalog must be plain data whichever side reads it.
    return structuredClone({
      plans, devices, plansSha256: this.#plansSha256, planModules: this.#planModules, configuredDevices: this.#configured, deviceProblems: this.#deviceProblems,
    });
  }

  /**
   * Check a start request without starting anything: the params to use (defaults filled in) or why not.
   * `md` (the start's metadata) must make a valid start document; its problems have paths under `/md`.
   */
  check(name: string, params: unknown = {}, md?: unknown): CheckOutcome {
    const entry = this.#scans.get(name);
    if (entry === undefined) return { ok: false, reason: 'unknown', name, suggestion: this.#scans.suggest(name) };
    const result = entry.check === null ? uncheckedParams(params) : entry.check(params, this.devices);
    // Checked here, not when the run opens: a refused start emits nothing and uses up no scan id.
    const mdErrors = md === undefined ? [] : startMetadataProblems(md).map((e): ParamError => ({ ...e, in: 'md' }));
    const errors = [...(result.ok ? [] : result.errors), ...mdErrors];
    if (errors.length > 0) return { ok: false, reason: 'invalid', name, summary: summarize(errors), errors };
    return { ok: true, params: (result as { params: ScanParams }).params };
  }

  /**
   * Start a scan by name unless busy, unknown or its params are invalid. The scan runs
   * synchronously up to its first await, so "running" is reported before this returns.
   */
  start(request: StartRequest): StartOutcome {
    if (this.busy) return { ok: false, reason: 'busy', planName: this.#active?.name ?? null };
    const checked = this.check(request.name, request.params, request.md);
    if (!checked.ok) return checked;
    const entry = this.#scans.get(request.name) as ScanEntry;
    const active: ActiveScan = { itemId: request.itemId, name: request.name, controller: new AbortController(), fnDone: false };
    this.#active = active;
    this.#emit({ kind: 'item_start', itemId: active.itemId, name: active.name, params: structuredClone(checked.params) });
    void this.#run(active, entry, checked.params, request.md);
    return { ok: true, params: checked.params, itemId: request.itemId };
  }

  /** pause (now, or at the next checkpoint with `defer`), resume, stop, abort (with `reason`), halt. */
  async control(verb: ControlVerb, options: ControlOptions = {}): Promise<ControlOutcome> {
    const re = this.engine;
    if (verb === 'pause') {
      try { re.requestPause(options.defer ?? false); return { ok: true }; } catch (error) { return refused(error); }
    }
    if (verb === 'resume') {
      if (re.state !== 'paused') return { ok: false, reason: 'not_paused' };
      const itemId = this.#active?.itemId ?? null;
      re.resume().then(() => undefined, (error: unknown) => this.#emit({ kind: 'exception', itemId, error: errorInfo(error) }));
      return { ok: true };
    }
    const reason = options.reason ?? '';
    const active = this.#active;
    if (options.endWait === true && re.state === 'idle' && active !== null && !active.fnDone) {
      // A scan function between or after its plans (waiting in ctx.sleep: the seed's `simulated` in its
      // artificial "running"): the item is busy though the engine is idle. The verb ends its wait, as
      // stop_all does; before, it answered "RunEngine is already idle" and only stop_all ended it.
      active.controller.abort(new ScanInterrupted(verb, reason));
      return { ok: true };
    }
    const target = ({ stop: 'stopping', abort: 'aborting', halt: 'halting' } as const)[verb];
    const call = (): Promise<unknown> => (verb === 'stop' ? re.stop() : verb === 'abort' ? re.abort(reason) : re.halt());
    if (re.state === 'idle' || !canTransition(re.state, target)) {
      // The engine refuses at once (before any await): report its own error.
      try { await call(); return { ok: true }; } catch (error) { return refused(error); }
    }
    const itemId = this.#active?.itemId ?? null;
    call().then(() => undefined, (error: unknown) => this.#emit({ kind: 'exception', itemId, error: errorInfo(error) }));
    return { ok: true };
  }

  /** Continue `scan_id` after `n` (never going back). */
  setScanId(n: number): void {
    const md = this.engine.md;
    md.scan_id = Math.max(typeof md.scan_id === 'number' ? md.scan_id : 0, n);
  }

  /**
   * The emergency stop: halt whatever runs (and end a sleeping scan function), then stop
   * every device that can stop, all at once, then run the emergency functions in order.
   * Nothing here waits on the plan: a device whose stop() hangs is reported as `timeout`.
   */
  async stopAll(): Promise<StopAllReport> {
    const before = this.engine.state;
    let action: StopAllReport['engine']['action'] = 'none';
    this.#active?.controller.abort(new Error('stop_all'));
    if (before !== 'idle' && canTransition(before, 'halting')) {
      action = 'halted';
      await this.control('halt');
    }
    const stoppable = [...this.devices].filter(([, dev]) => isStoppable(dev)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const devices = await Promise.all(stoppable.map(([name, dev]) => bounded(name, () => (dev as Stoppable).stop({ success: false }))));
    const emergency: StopOutcome[] = [];
    for (const [name, fn] of this.#emergency) emergency.push(await bounded(name, () => fn(this.devices)));
    return { engine: { before, action }, devices, emergency };
  }

  /** Abort whatever runs (with `reason`), end sleeping scan functions, resolve once the item has ended. */
  async shutdown(reason: string): Promise<void> {
    const active = this.#active;
    active?.controller.abort(new Error(reason));
    if (canTransition(this.engine.state, 'aborting')) await this.control('abort', { reason });
    if (this.#active === null && this.engine.state === 'idle') return;
    await new Promise<void>((resolve) => {
      const check = (): void => { if (this.#active === null && this.engine.state === 'idle') resolve(); else setTimeout(check, 5); };
      check();
    });
  }

  #onState(state: RunEngineState, oldState: RunEngineState): void {
    this.#emit({ kind: 'state', state, oldState });
    const active = this.#active;
    if (state === 'idle' && active?.fnDone === true) this.#finish(active);
  }

  async #run(active: ActiveScan, entry: ScanEntry, params: ScanParams, md: Readonly<Record<string, unknown>>): Promise<void> {
    const hook = (state: string, oldState: string | null): void => {
      if (this.#active === active) this.#emit({ kind: 'hook', itemId: active.itemId, state, oldState: oldState ?? null });
    };
    const signal = active.controller.signal;
    const ctx: ScanContext = { signal, sleep: (s) => sleepFor(s, signal), devices: this.devices, md };
    try {
      await entry.fn(this.engine, hook, params, ctx);
    } catch (error) {
      this.#emit({ kind: 'exception', itemId: active.itemId, error: errorInfo(error) });
    } finally {
      active.fnDone = true;
      // A paused plan keeps the item (and the busy flag) until the engine is idle again.
      if (this.engine.state === 'idle') this.#finish(active);
    }
  }

  #finish(active: ActiveScan): void {
    if (this.#active !== active) return;
    this.#active = null;
    this.#emit({ kind: 'item_end', itemId: active.itemId });
  }
}

/** Why a scan function's wait ended: a stop, abort or halt that came while its engine was idle. */
class ScanInterrupted extends Error {
  override readonly name = 'ScanInterrupted';
  constructor(verb: ControlVerb, reason: string) {
    super(`${verb} requested while the scan function waited${reason === '' ? '' : `: ${reason}`}`);
  }
}

/** An error as data: its class name, message and code. */
export function errorInfo(e: unknown): ErrorInfo {
  if (e instanceof Error) {
    const code = e instanceof CodedError ? e.code : (e as { code?: unknown }).code;
    return typeof code === 'string' ? { name: e.name, message: e.message, code } : { name: e.name, message: e.message };
  }
  return { name: typeof e === 'string' ? 'Exception' : typeof e, message: String(e) };
}

/** Run `fn` for `stop_all`, within STOP_TIMEOUT_MS. */
async function bounded(name: string, fn: () => unknown): Promise<StopOutcome> {
  try {
    const r = await within(fn, STOP_TIMEOUT_MS);
    return r.late ? { name, outcome: 'timeout', message: `did not finish within ${String(STOP_TIMEOUT_MS / 1000)} s` } : { name, outcome: 'stopped' };
  } catch (e) {
    return { name, outcome: 'failed', message: e instanceof Error ? e.message : String(e) };
  }
}

function refused(error: unknown): ControlOutcome {
  return { ok: false, reason: 'error', error: errorInfo(error) };
}

async function describeDevice(name: string, dev: unknown): Promise<DeviceInfo> {
  const d = dev as { describe?: () => unknown; constructor?: { name?: string } };
  let describe: Record<string, unknown> = {};
  try {
    if (typeof d.describe === 'function') {
      const r = await within(() => d.describe?.() as Record<string, unknown>, DESCRIBE_TIMEOUT_MS);
      if (!r.late) describe = r.value;
    }
  } catch { /* a device may refuse to describe itself; it is still listed */ }
  // The roles let a client offer only motors where a motor is wanted (the panel's device pickers).
  return { name, kind: d.constructor?.name ?? typeof dev, readable: isReadable(dev), movable: isMovable(dev), describe: plain(describe) };
}

/** Only what survives JSON: a describe() may hold functions or class instances. */
function plain(x: Record<string, unknown>): Record<string, unknown> {
  try { return JSON.parse(JSON.stringify(x)) as Record<string, unknown>; } catch { return {}; }
}

/** A scan without a schema: any object, but no NaN or Infinity (JSON's 1e999) reaches a plan. */
function uncheckedParams(params: unknown): { ok: true; params: ScanParams } | { ok: false; errors: ParamError[] } {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    return { ok: false, errors: [{ path: '', message: '"params" must be an object', expected: 'object', got: Array.isArray(params) ? 'array' : String(params) }] };
  }
  const infinite = nonFiniteErrors(params);
  return infinite.length > 0 ? { ok: false, errors: infinite } : { ok: true, params: structuredClone(params) as ScanParams };
}
