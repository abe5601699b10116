/** The dispatcher library API: scans, control verbs and the ordered event stream, without the wire. @module */
export { Dispatcher } from './dispatcher.js';
export type { DispatcherHost, DispatcherOptions } from './dispatcher.js';
export { ScanNameError, UnknownScanError, UnknownTokenError, ParamsInvalidError } from './errors.js';
export { compileParams, summarize } from './params.js';
export type { ParamsValidator } from './params.js';
export type { ScanEntry, ScanOptions, ParamsCheck } from './scan-registry.js';
export type {
  CheckOutcome, ControlOutcome, DispatcherEvent, DispatcherEventListener, JsonSchema, ParamError, PlanFactory, ScanContext, ScanFunction,
  ScanInfo, ScanParams, Snapshot, StartOutcome, StateHook,
} from './types.js';
export { SERVED_PLANS, SIMULATED_PARAMS, makeSimulatedScan, registerSimulated, registerStandardPlans, simulatedScan } from './builtin-scans.js';
export {
  type Catalog, type DeviceInfo, type EngineHost, type EngineHostOptions, type EngineKind, type EngineSetup, type PlanInfo, type PlanRegistrar,
  type ReloadOutcome, type StopAllReport, type StopOutcome, type EmergencyStop, InProcessHost, WorkerHost, createEngineHost,
} from '../host/index.js';
