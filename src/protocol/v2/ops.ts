/**
 * The request ops that do not touch the subscription: introspection, validate,
 * start and the control verbs, each mapped to a result or a stable error.
 * @module
 */
import type { ControlOutcome, ParamError } from '../../dispatcher/index.js';
import { VERSION } from '../../version.js';
import { V2Error, badField } from './errors.js';
import type { V2Hub } from './hub.js';
import type { DeviceInfo, ErrorDetail, HelloResult, PlanInfo, ReloadResult } from './types.js';
import { PROTOCOL_VERSION, TOPICS } from './types.js';

export type Frame = Record<string, unknown>;

/** Limits a session enforces, announced by `hello`. */
export interface V2Limits { maxRequestBytes: number; maxBufferedBytes: number; logMaxEvents: number; logMaxBytes: number; heartbeatMs: number }

export function hello(hub: V2Hub, serverId: string, limits: V2Limits): HelloResult {
  return {
    protocol: PROTOCOL_VERSION, versions: [1, PROTOCOL_VERSION],
    server: { name: 'bluesky-dispatcher', version: VERSION, id: serverId },
    limits: {
      max_request_bytes: limits.maxRequestBytes, max_buffered_bytes: limits.maxBufferedBytes,
      log_max_events: limits.logMaxEvents, log_max_bytes: limits.logMaxBytes, heartbeat_ms: limits.heartbeatMs,
    },
    topics: TOPICS, oldest_seq: hub.log.oldest(), latest_seq: hub.log.latest(),
  };
}

export function plans(hub: V2Hub): { plans: PlanInfo[] } {
  return { plans: hub.dispatcher.plans() };
}

export function devices(hub: V2Hub): { devices: DeviceInfo[] } {
  return { devices: hub.dispatcher.deviceList() };
}

/** `validate` and the first half of `start`: the plan exists and its params check. */
export async function check(hub: V2Hub, frame: Frame): Promise<{ plan: string; params: Record<string, unknown> }> {
  const plan = frame.plan;
  if (typeof plan !== 'string' || plan === '') throw badField('plan', 'a plan name (string)', plan);
  const params = frame.params ?? {};
  const md = frame.md;
  if (md !== undefined && md !== null && (typeof md !== 'object' || Array.isArray(md))) throw badField('md', 'an object', md);
  const outcome = await hub.dispatcher.checkScan(plan, params, md ?? undefined);
  if (outcome.ok) return { plan, params: outcome.params };
  throw checkError(outcome);
}

function checkError(o: { reason: 'unknown'; name: string; suggestion: string | null } | { reason: 'invalid'; name: string; summary: string; errors: ParamError[] }): V2Error {
  if (o.reason === 'unknown') {
    const hint = o.suggestion === null ? '' : ` (did you mean "${o.suggestion}"?)`;
    return new V2Error('unknown_plan', `no plan named "${o.name}"${hint}`, [{ path: '/plan', message: 'unknown plan', expected: 'a name listed by the plans op', got: JSON.stringify(o.name) }]);
  }
  // Paths name the request's field: its params (`/params/...`) or its metadata (`/md/...`).
  const detail = ({ in: where, ...e }: ParamError): ErrorDetail => ({ ...e, path: where === 'md' ? e.path : e.path.startsWith('/') || e.path === '' ? `/params${e.path}` : `/params/${e.path}` });
  return new V2Error('invalid_params', `invalid parameters for "${o.name}": ${o.summary}`, o.errors.map(detail));
}

export async function start(hub: V2Hub, frame: Frame): Promise<{ item_id: string; plan: string; params: Record<string, unknown> }> {
  const md = frame.md ?? {};
  if (typeof md !== 'object' || md === null || Array.isArray(md)) throw badField('md', 'an object', md);
  const plan = frame.plan;
  if (typeof plan !== 'string' || plan === '') throw badField('plan', 'a plan name (string)', plan);
  // Bad params are reported before busy, as validate reports them.
  if (hub.dispatcher.busy) await check(hub, frame);
  const outcome = await hub.dispatcher.startScan(plan, frame.params ?? {}, md as Record<string, unknown>);
  if (outcome.ok) return { item_id: outcome.itemId, plan, params: outcome.params };
  if (outcome.reason === 'busy') throw new V2Error('busy', `busy with "${outcome.planName ?? 'None'}"`, [{ path: '', message: 'a plan is in progress', got: JSON.stringify(outcome.planName) }]);
  throw checkError(outcome);
}

/** pause, resume, stop, abort, halt. */
export async function control(hub: V2Hub, op: 'pause' | 'resume' | 'stop' | 'abort' | 'halt', frame: Frame): Promise<{ state: string }> {
  const d = hub.dispatcher;
  let outcome: ControlOutcome;
  if (op === 'pause') {
    const defer = frame.defer ?? false;
    if (typeof defer !== 'boolean') throw badField('defer', 'a boolean', defer);
    outcome = await d.requestPause(defer);
  } else if (op === 'abort') {
    const reason = frame.reason ?? '';
    if (typeof reason !== 'string') throw badField('reason', 'a string', reason);
    outcome = await d.requestAbort(reason);
  } else if (op === 'resume') outcome = await d.requestResume();
  else outcome = await (op === 'stop' ? d.requestStop() : d.requestHalt());
  if (outcome.ok) return { state: d.state };
  if (outcome.reason === 'not_paused') throw new V2Error('illegal_state', `cannot resume: the engine is ${d.state}, not paused`, [{ path: '', message: 'not paused', expected: 'paused', got: d.state }]);
  const message = outcome.error.message;
  if (outcome.error.code === 'HOST_UNRESPONSIVE') throw new V2Error('unavailable', `cannot ${op}: ${message}`, [{ path: '', message, got: d.state }]);
  throw new V2Error('illegal_state', `cannot ${op}: ${message}`, [{ path: '', message, got: d.state }]);
}

/** `reload`: re-import the plans modules into fresh code (idle only); the old plans stay if the new fail to load. */
export async function reload(hub: V2Hub): Promise<ReloadResult> {
  const r = await hub.dispatcher.reload();
  if (r.ok) return { plans: r.catalog.plans.map((p) => p.name), plans_sha256: r.catalog.plansSha256, modules: r.catalog.planModules };
  if (r.reason === 'busy') throw new V2Error('busy', r.message, [{ path: '', message: 'reload needs an idle engine', got: hub.dispatcher.state }]);
  if (r.reason === 'unsupported') throw new V2Error('unavailable', r.message);
  throw new V2Error('load_failed', r.message, r.errors.map((message) => ({ path: '', message })));
}
