/**
 * The engine host on the caller's own thread: the room is called directly and
 * its events are delivered synchronously, so document callbacks see each
 * document while the engine emits it (as with a bare RunEngine). Fast, but a
 * plan that blocks the event loop blocks everything: `serve` uses the worker.
 * @module
 */
import type { RunEngine } from '../engine/index.js';
import type { EngineRoom } from './room.js';
import { type EngineSetup, type RoomOverrides, loadDevices, loadPlans, makeRoom } from './setup.js';
import { HostListeners } from './listeners.js';
import type {
  Catalog, CheckOutcome, ControlOptions, ControlOutcome, ControlVerb, EngineHost, HostEvent, HostEventListener, HostHealth, ReloadOutcome, StartOutcome, StartRequest, StopAllReport,
} from './types.js';

export interface InProcessHostOptions extends RoomOverrides {
  /** What to load at `open()` (devices, standard plans, plans modules). Without one, register scans with `room.addPlan`. */
  readonly setup?: EngineSetup;
}

export class InProcessHost implements EngineHost {
  readonly kind = 'inprocess' as const;
  readonly #options: InProcessHostOptions;
  #room: EngineRoom;
  readonly #listeners = new HostListeners();
  #opened: Promise<Catalog> | null = null;
  #catalog: Catalog = EMPTY_CATALOG;
  #releaseDevices: () => void = () => {};

  constructor(options: InProcessHostOptions = {}) {
    this.#options = options;
    // The room exists at once (devices, standard plans), so a library user can register scans before open().
    this.#room = makeRoom(options.setup ?? {}, (e) => this.#deliver(e), roomObjects(options));
  }

  /** The room: register scans on it (`addPlan`, `addScan`), reach its engine and devices. */
  get room(): EngineRoom { return this.#room; }
  get engine(): RunEngine { return this.#room.engine; }

  get catalog(): Catalog {
    // Plans may be registered on the room at any time in process: list them live.
    const plans = this.#room.scanNames.map((name) => {
      const entry = this.#room.scan(name);
      return { name, description: entry?.description ?? '', params: entry?.schema == null ? null : { ...entry.schema } };
    });
    return { ...this.#catalog, plans };
  }

  open(): Promise<Catalog> {
    this.#opened ??= this.#open();
    return this.#opened;
  }

  onEvent(listener: HostEventListener): () => void { return this.#listeners.add(listener); }

  validate(name: string, params: unknown, md?: unknown): Promise<CheckOutcome> { return Promise.resolve(this.#room.check(name, params, md)); }
  start(request: StartRequest): Promise<StartOutcome> { return Promise.resolve(this.#room.start(request)); }
  control(verb: ControlVerb, options: ControlOptions = {}): Promise<ControlOutcome> { return this.#room.control(verb, options); }
  setScanId(n: number): Promise<void> { this.#room.setScanId(n); return Promise.resolve(); }
  stopAll(): Promise<StopAllReport> { return this.#room.stopAll(); }
  shutdown(reason: string): Promise<void> { return this.#room.shutdown(reason); }
  close(): Promise<void> { this.#releaseDevices(); this.#releaseDevices = () => {}; return Promise.resolve(); }

  async reload(): Promise<ReloadOutcome> {
    const setup = this.#options.setup;
    if (setup === undefined) return { ok: false, reason: 'unsupported', message: 'this host was given live objects, not plans modules: nothing to reload', errors: [] };
    if (this.#room.busy) return { ok: false, reason: 'busy', message: `cannot reload while the engine is ${this.#room.state}`, errors: [] };
    try {
      // The devices stay (a reload is about code): the new room gets the ones in use.
      const room = makeRoom({ ...setup, simulatedDevices: false }, (e) => this.#deliver(e), { ...roomObjects(this.#options), devices: this.#room.devices });
      const catalog = await loadPlans(room, setup, true);
      room.setScanId(numeric(this.#room.engine.md.scan_id));
      this.#room = room;
      this.#catalog = catalog;
      return { ok: true, catalog: this.catalog };
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      return { ok: false, reason: 'failed', message, errors: [message] };
    }
  }

  health(): HostHealth {
    return { kind: 'inprocess', responsive: true, lastSeenMs: 0, generation: 1, lastTermination: null };
  }

  async #open(): Promise<Catalog> {
    const setup = this.#options.setup ?? {};
    this.#releaseDevices = await loadDevices(this.#room, setup);
    this.#catalog = await loadPlans(this.#room, setup);
    return this.catalog;
  }

  #deliver(event: HostEvent): void { this.#listeners.deliver(event); }
}

export const EMPTY_CATALOG: Catalog = Object.freeze({ plans: [], devices: [], plansSha256: '', planModules: [], configuredDevices: [], deviceProblems: [] }) as unknown as Catalog;

function roomObjects(o: RoomOverrides): RoomOverrides {
  return { ...(o.engineFactory === undefined ? {} : { engineFactory: o.engineFactory }), ...(o.devices === undefined ? {} : { devices: o.devices }) };
}

function numeric(x: unknown): number { return typeof x === 'number' ? x : 0; }
