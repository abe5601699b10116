/**
 * What a host loads, as data (so a worker thread can be given it): the devices,
 * the standard plans, users' plans modules. `buildRoom` turns it into a room.
 * @module
 */
import { hw } from '../devices/index.js';
import { createDevicesFromConfig, loadDeviceConfig } from '../epics/index.js';
import { registerSimulated, registerStandardPlans } from '../dispatcher/builtin-scans.js';
import type { RunEngine } from '../engine/index.js';
import { loadPlanModules } from './plan-modules.js';
import { EngineRoom } from './room.js';
import type { Catalog, HostEvent } from './types.js';

/** Everything a host needs to build its room; plain data (it is sent to the worker). */
export interface EngineSetup {
  /** Start with ophyd.sim's simulated devices (`hw()`: motor, det, det1, ...). Default false. */
  readonly simulatedDevices?: boolean;
  /** Register the standard plans (count, scan, rel_scan, list_scan, grid_scan) and the seed's `simulated`. Default false. */
  readonly standardPlans?: boolean;
  /** Plans modules (paths) whose `register(dispatcher)` adds scans, loaded in order. */
  readonly plans?: readonly string[];
  /** Most points one standard plan may take (default 10,000,000; docs/limits.md). */
  readonly maxPoints?: number;
  /** A device file (YAML or JSON, ophyd's argument names; docs/epics.md): EPICS devices, created and connected in the host. */
  readonly devicesFile?: string;
  /** With `devicesFile`: fail to open when a device does not connect (default: skip it, listed in the catalog). */
  readonly requireDevices?: boolean;
  /** The worker host's thread runs a private warm-up once loaded, until the first request (src/host/warm-up.ts). Default false. */
  readonly warmUp?: boolean;
}

/** Live objects an in-process host may be given instead of (or beside) a setup. */
export interface RoomOverrides {
  readonly engineFactory?: () => RunEngine;
  readonly devices?: ReadonlyMap<string, unknown>;
}

/** A room with the devices and the standard plans of `setup` (synchronous: plans modules come with {@link loadPlans}). */
export function makeRoom(setup: EngineSetup, emit: (e: HostEvent) => void, overrides: RoomOverrides = {}): EngineRoom {
  const devices = new Map<string, unknown>(overrides.devices ?? []);
  if (setup.simulatedDevices === true) for (const [name, dev] of hw().devices) if (!devices.has(name)) devices.set(name, dev);
  const room = new EngineRoom({ emit, devices, ...(overrides.engineFactory === undefined ? {} : { engineFactory: overrides.engineFactory }) });
  if (setup.standardPlans === true) {
    registerStandardPlans(room, undefined, setup.maxPoints === undefined ? {} : { maxPoints: setup.maxPoints });
    registerSimulated(room);
  }
  return room;
}

/**
 * Create and connect the devices of `setup.devicesFile` and add them to `room` (before the
 * plans modules load, which may look devices up). Returns their release function.
 * @throws EpicsError for a bad file, or a device that does not connect with `requireDevices`
 */
export async function loadDevices(room: EngineRoom, setup: EngineSetup): Promise<() => void> {
  if (setup.devicesFile === undefined) return () => {};
  const configured = await createDevicesFromConfig(await loadDeviceConfig(setup.devicesFile), { env: process.env, require: setup.requireDevices === true });
  room.addConfiguredDevices(configured.devices, configured.problems);
  return () => { configured.close(); };
}

/**
 * Load `setup`'s plans modules into `room` (their hash becomes `plans_sha256`) and
 * describe the result. `fresh` re-imports modules already imported (reload).
 * @throws PlanModuleError when a plans module fails to load
 */
export async function loadPlans(room: EngineRoom, setup: EngineSetup, fresh = false): Promise<Catalog> {
  const loaded = await loadPlanModules(room, setup.plans ?? [], { fresh });
  room.setProvenance(loaded.sha256, loaded.modules);
  return room.catalog();
}
