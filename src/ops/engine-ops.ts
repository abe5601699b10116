/**
 * The operations on the engine: status, the plans and devices it offers,
 * validate and start by name, the control verbs, reload.
 * @module
 */
import { Type } from 'typebox';
import { type CheckOutcome, type ControlOutcome, type Dispatcher, type ParamError, summarize } from '../dispatcher/index.js';
import { queueOf } from '../queue/index.js';
import { OpError, type ErrorDetail } from './errors.js';
import { type OpContext, defineOp, withViewSeq } from './define.js';
import { DeviceInfo, Metadata, NoParams, PlanInfo, PlanName, StateResult, Status, type StatusT } from './schemas.js';

/** The engine's state and the item in progress, as of the stream's seq `seq`. */
export function statusOf(d: Dispatcher, seq: number): StatusT {
  const snap = d.snapshot();
  const t = snap.info.runStartTime;
  return {
    state: snap.state, busy: snap.busy, plan: snap.info.planName, item_id: d.itemId,
    run_uid: snap.info.runUid, run_start_time: t === null ? null : t / 1e6, seq,
  };
}

export const status = defineOp({
  name: 'status', summary: 'The engine state and the item in progress.',
  params: NoParams, result: Status, scope: 'read', effect: 'read', errors: [],
  handler: (_p, ctx) => withViewSeq(ctx, () => statusOf(ctx.dispatcher, 0)),
});

export const plans = defineOp({
  name: 'plans', summary: 'The plans that can be started by name, with the JSON Schema of their parameters.',
  params: NoParams, result: Type.Object({ plans: Type.Array(PlanInfo) }), scope: 'read', effect: 'read', errors: [],
  handler: (_p, ctx) => ({ plans: ctx.dispatcher.plans() }),
});

export const devices = defineOp({
  name: 'devices', summary: 'The devices, their class, roles (readable, movable) and describe().',
  params: NoParams, result: Type.Object({ devices: Type.Array(DeviceInfo) }), scope: 'read', effect: 'read', errors: [],
  handler: (_p, ctx) => ({ devices: ctx.dispatcher.deviceList() }),
});

const StartParams = Type.Object({
  plan: PlanName,
  // Checked by the plan's own schema in the engine host, which words its errors per parameter.
  params: Type.Optional(Type.Unknown({ description: 'the plan\'s parameters (an object; see the plans op)' })),
  md: Type.Optional(Metadata),
}, { additionalProperties: false });

/** The params as sent: absent means none (`{}`); anything else (null included) is the plan's to judge. */
export function paramsOf(p: { params?: unknown }): unknown { return p.params === undefined ? {} : p.params; }

const Checked = Type.Object({ plan: Type.String(), params: Type.Record(Type.String(), Type.Unknown()) });

export const validate = defineOp({
  name: 'validate', summary: 'Check a start request (plan, params, md) without starting anything; the params with defaults filled in.',
  params: StartParams, result: Checked, scope: 'control', effect: 'read', errors: ['unknown_plan', 'invalid_params', 'unavailable'],
  handler: async (p, ctx) => {
    const outcome = await checkRequest(ctx.dispatcher, p.plan, paramsOf(p), p.md);
    if (outcome.ok) return { plan: p.plan, params: outcome.params };
    throw checkError(outcome);
  },
});

export const start = defineOp({
  name: 'start', summary: 'Start a plan by name; its documents follow on the event stream.',
  params: StartParams,
  result: Type.Object({ item_id: Type.String(), plan: Type.String(), params: Type.Record(Type.String(), Type.Unknown()) }),
  scope: 'control', effect: 'change', errors: ['unknown_plan', 'invalid_params', 'busy', 'unavailable', 'store_failed'],
  handler: async (p, ctx) => {
    const d = ctx.dispatcher;
    // A run that could not be recorded is not started: try the store again (the cause may be fixed), else say why.
    if (ctx.runs !== null && ctx.runs.failure !== null && !d.busy) {
      await ctx.runs.recover().catch(() => undefined);
      const failure = ctx.runs.failure;
      if (failure !== null) throw new OpError('store_failed', { problem: failure.message }, [{ path: '', message: 'the run store failed', got: failure.message }]);
    }
    // Bad params are reported before busy, as validate reports them.
    const queueRuns = queueOf(d)?.running === true;
    if (d.busy || queueRuns || hasItemId(p.md)) {
      const checked = await checkRequest(d, p.plan, paramsOf(p), p.md);
      if (!checked.ok) throw checkError(checked);
      // The queue owns the engine while it runs, also between two items.
      if (queueRuns) throw new OpError('busy', { plan: 'the queue', planName: d.activeScan?.name ?? null }, [{ path: '', message: 'the queue is running', got: JSON.stringify(d.activeScan?.name ?? null) }]);
    }
    const outcome = await d.startScan(p.plan, paramsOf(p), p.md ?? {});
    if (outcome.ok) return { item_id: outcome.itemId, plan: p.plan, params: outcome.params };
    if (outcome.reason === 'busy') {
      throw new OpError('busy', { plan: outcome.planName ?? 'None', planName: outcome.planName }, [{ path: '', message: 'a plan is in progress', got: JSON.stringify(outcome.planName) }]);
    }
    throw checkError(outcome);
  },
});

const hasItemId = (md: Record<string, unknown> | undefined): boolean => md !== undefined && Object.hasOwn(md, 'item_id');

/**
 * A client's start request checked as the dispatcher checks it, plus the one metadata key only the
 * server sets: `item_id`, which links a run to the item that made it (a queue item's runs carry its
 * uid). From a client it would make a run claim an item it does not belong to, while the run index
 * and the reply name the real one.
 */
export async function checkRequest(d: Dispatcher, plan: string, params: unknown, md: Record<string, unknown> | undefined): Promise<CheckOutcome> {
  const outcome = await d.checkScan(plan, params, md);
  if (!hasItemId(md) || (!outcome.ok && outcome.reason === 'unknown')) return outcome;
  const got = JSON.stringify(md?.item_id) ?? String(md?.item_id);
  const own: ParamError = {
    path: '/md/item_id', in: 'md', got,
    message: `md "item_id" is set by the server (the item a run belongs to: a queue item's uid, or the id start answers with), got ${got}`,
    expected: 'no item_id in md',
  };
  const errors = [...(outcome.ok ? [] : outcome.errors), own];
  return { ok: false, reason: 'invalid', name: plan, summary: summarize(errors), errors };
}

export function checkError(o: Exclude<CheckOutcome, { ok: true }>): OpError {
  if (o.reason === 'unknown') {
    const hint = o.suggestion === null ? '' : ` (did you mean "${o.suggestion}"?)`;
    return new OpError('unknown_plan', { plan: o.name, hint, suggestion: o.suggestion },
      [{ path: '/plan', message: 'unknown plan', expected: 'a name listed by the plans op', got: JSON.stringify(o.name) }]);
  }
  // Paths name the request's field: its params (`/params/...`) or its metadata (`/md/...`).
  const detail = ({ in: where, ...e }: ParamError): ErrorDetail => ({ ...e, path: where === 'md' ? e.path : e.path.startsWith('/') || e.path === '' ? `/params${e.path}` : `/params/${e.path}` });
  return new OpError('invalid_params', { plan: o.name, summary: o.summary, errors: o.errors }, o.errors.map(detail));
}

const CONTROL_ERRORS = ['illegal_state', 'unavailable'] as const;

/** An engine's refusal as an op error; `data.cause` keeps the engine's own error for adapters that quote it. */
function refused(op: string, d: Dispatcher, outcome: Exclude<ControlOutcome, { ok: true }>): OpError {
  if (outcome.reason === 'not_paused') {
    return new OpError('illegal_state', { op, problem: `the engine is ${d.state}, not paused`, notPaused: true }, [{ path: '', message: 'not paused', expected: 'paused', got: d.state }]);
  }
  const message = outcome.error.message;
  const code = outcome.error.code === 'HOST_UNRESPONSIVE' ? 'unavailable' : 'illegal_state';
  return new OpError(code, { op, problem: code === 'unavailable' ? `cannot ${op}: ${message}` : message, cause: outcome.error }, [{ path: '', message, got: d.state }]);
}

/**
 * stop, abort and halt also end a scan function's wait while its engine is idle (ControlOptions.endWait),
 * except over v1: the Python dispatcher answers "RunEngine is already idle" there, and its clients
 * (and our recordings of it) expect that answer.
 */
const endsWait = (ctx: OpContext): { endWait: boolean } => ({ endWait: ctx.caller.protocol !== 'v1' });

async function control(op: string, ctx: OpContext, run: (d: Dispatcher) => Promise<ControlOutcome>): Promise<{ state: string }> {
  const d = ctx.dispatcher;
  const outcome = await run(d);
  if (outcome.ok) return { state: d.state };
  throw refused(op, d, outcome);
}

export const pause = defineOp({
  name: 'pause', summary: 'Pause now, or at the next checkpoint with defer.',
  params: Type.Object({ defer: Type.Optional(Type.Boolean({ default: false })) }, { additionalProperties: false }),
  result: StateResult, scope: 'control', effect: 'change', errors: CONTROL_ERRORS,
  handler: (p, ctx) => control('pause', ctx, (d) => d.requestPause(p.defer ?? false)),
});

export const resume = defineOp({
  name: 'resume', summary: 'Resume a paused plan from its last checkpoint.',
  params: NoParams, result: StateResult, scope: 'control', effect: 'change', errors: CONTROL_ERRORS,
  handler: (_p, ctx) => control('resume', ctx, (d) => d.requestResume()),
});

export const stop = defineOp({
  name: 'stop', summary: 'End the plan, run its cleanup, mark the run successful.',
  params: NoParams, result: StateResult, scope: 'control', effect: 'change', errors: CONTROL_ERRORS,
  handler: (_p, ctx) => control('stop', ctx, (d) => d.requestStop(endsWait(ctx))),
});

export const abort = defineOp({
  name: 'abort', summary: 'End the plan, run its cleanup, mark the run aborted with the reason.',
  params: Type.Object({ reason: Type.Optional(Type.String({ default: '', description: 'goes into the stop document' })) }, { additionalProperties: false }),
  result: StateResult, scope: 'control', effect: 'change', errors: CONTROL_ERRORS,
  handler: (p, ctx) => control('abort', ctx, (d) => d.requestAbort(p.reason ?? '', endsWait(ctx))),
});

export const halt = defineOp({
  name: 'halt', summary: 'End the plan at once, without cleanup; the run is marked aborted.',
  params: NoParams, result: StateResult, scope: 'control', effect: 'change', errors: CONTROL_ERRORS,
  handler: (_p, ctx) => control('halt', ctx, (d) => d.requestHalt(endsWait(ctx))),
});

export const reload = defineOp({
  name: 'reload', summary: 'Re-import the plans modules into fresh code (when idle); the old plans stay if the new fail to load.',
  params: NoParams,
  result: Type.Object({ plans: Type.Array(Type.String()), plans_sha256: Type.String(), modules: Type.Array(Type.String()) }),
  scope: 'admin', effect: 'change', errors: ['busy', 'unavailable', 'load_failed'],
  handler: async (_p, ctx) => {
    const r = await ctx.dispatcher.reload();
    if (r.ok) return { plans: r.catalog.plans.map((p) => p.name), plans_sha256: r.catalog.plansSha256, modules: r.catalog.planModules };
    if (r.reason === 'busy') throw new OpError('busy', { plan: ctx.dispatcher.activeScan?.name ?? 'None' }, [{ path: '', message: r.message, got: ctx.dispatcher.state }]);
    if (r.reason === 'unsupported') throw new OpError('unavailable', { problem: r.message });
    throw new OpError('load_failed', { problem: r.message }, r.errors.map((message) => ({ path: '', message })));
  },
});

const StopOutcome = Type.Object({
  name: Type.String(),
  outcome: Type.Union([Type.Literal('stopped'), Type.Literal('failed'), Type.Literal('timeout')]),
  message: Type.Optional(Type.String()),
});

export const stopAll = defineOp({
  name: 'stop_all',
  summary: 'The emergency stop, in any state: halt any run, call stop() on every device that has one, run the emergency functions the plans modules registered; reports each. Not held back by the control lock.',
  params: NoParams,
  result: Type.Object({
    engine: Type.Object({
      before: Type.String({ description: 'the engine state when the request arrived' }),
      action: Type.Union([Type.Literal('halted'), Type.Literal('terminated'), Type.Literal('none')]),
      message: Type.Optional(Type.String()),
    }),
    devices: Type.Array(StopOutcome), emergency: Type.Array(StopOutcome),
  }),
  scope: 'control', effect: 'change', errors: ['unavailable'],
  handler: async (_p, ctx) => {
    const r = await ctx.dispatcher.stopAll();
    return { engine: { ...r.engine }, devices: [...r.devices], emergency: [...r.emergency] };
  },
});
