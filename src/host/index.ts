/**
 * The engine host seam: where the RunEngine, the devices and the plans live —
 * on the caller's thread ({@link InProcessHost}) or in a worker thread with a
 * watchdog ({@link WorkerHost}) — and the data that crosses it. See docs/architecture.md.
 * @module
 */
export type {
  Catalog, CheckOutcome, ControlOptions, ControlOutcome, ControlVerb, DeviceInfo, EngineHost, ErrorInfo, HostEvent, HostEventListener, HostHealth, JsonSchema,
  ParamError, PlanFactory, PlanInfo, ReloadOutcome, ScanContext, ScanFunction, ScanParams, StartOutcome, StartRequest, StateHook,
  EmergencyStop, StopAllReport, StopOutcome,
} from './types.js';
export { EngineRoom, errorInfo, type PlanRegistrar, type RoomOptions } from './room.js';
export type { EngineSetup, RoomOverrides } from './setup.js';
export { InProcessHost, type InProcessHostOptions } from './inprocess-host.js';
export { WorkerHost, type WorkerHostOptions } from './worker-host.js';
export { errorFrom } from './engine-thread.js';
export { PlanModuleError, loadPlanModules, usePackageSelf, type LoadedPlans } from './plan-modules.js';

import { InProcessHost } from './inprocess-host.js';
import type { EngineSetup } from './setup.js';
import type { EngineHost } from './types.js';
import { WorkerHost } from './worker-host.js';

/** Where `serve` runs plans: `worker` (default: isolated, watched) or `inprocess`. */
export type EngineKind = 'worker' | 'inprocess';

export interface EngineHostOptions extends EngineSetup {
  readonly kind?: EngineKind;
  /** Worker only: seconds a halt/abort/stop may go unanswered before the worker is ended. Default 1. */
  readonly graceSeconds?: number;
  /** Worker only: heap limit in MiB. Default 2048. */
  readonly maxMemoryMb?: number;
  /** Worker only: told of terminations and restarts. */
  readonly onNotice?: (message: string, fields: Record<string, unknown>) => void;
}

/**
 * A host from plain options, as `serve` builds it.
 * @example const host = createEngineHost({ kind: 'worker', simulatedDevices: true, standardPlans: true, plans: ['./my-plans.ts'] });
 */
export function createEngineHost(options: EngineHostOptions = {}): EngineHost {
  const { kind = 'worker', graceSeconds, maxMemoryMb, onNotice, ...setup } = options;
  if (kind === 'inprocess') return new InProcessHost({ setup });
  return new WorkerHost({
    setup, ...(graceSeconds === undefined ? {} : { graceSeconds }), ...(maxMemoryMb === undefined ? {} : { maxMemoryMb }),
    ...(onNotice === undefined ? {} : { onNotice }),
  });
}
