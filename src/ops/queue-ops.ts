/**
 * The plan queue's operations: edit the queue (`queue` scope), start and stop
 * it, its mode, the history, and one item's whole story (`item.get`). Items are
 * checked when added with the rules of `start` (checkRequest: the dispatcher's checkScan), so
 * an item that is queued would have started.
 * @module
 */
import { type Static, Type } from 'typebox';
import type { Dispatcher } from '../dispatcher/index.js';
import { type ItemInput, type Position, QueueError, type QueueScheduler, queueOf } from '../queue/index.js';
import { type OpContext, defineOp, withViewSeq } from './define.js';
import { checkError, checkRequest, paramsOf } from './engine-ops.js';
import { type ErrorDetail, OpError } from './errors.js';
import { Metadata, NoParams, Nullable, PlanName, RowCount } from './schemas.js';

const MAX_BATCH = 1000;
const MAX_PAGE = 1000;

const Uid = (description: string) => Type.String({ minLength: 1, description });

const ItemInputSchema = Type.Object({
  plan: Type.Optional(PlanName),
  params: Type.Optional(Type.Unknown({ description: 'the plan\'s parameters, as for start' })),
  md: Type.Optional(Metadata),
  instruction: Type.Optional(Type.Literal('queue_stop', { description: 'an instruction instead of a plan: queue_stop stops the queue when reached' })),
}, { additionalProperties: false, description: 'a plan ({plan, params, md}) or an instruction ({instruction})' });

const PositionFields = {
  pos: Type.Optional(Type.Union([Type.Literal('front'), Type.Literal('back'), Type.Integer()], { description: 'back (default), front, or an index (negative: from the end, -1 = the back)' })),
  before_uid: Type.Optional(Uid('put it just before this pending item')),
  after_uid: Type.Optional(Uid('put it just after this pending item')),
};

const QueueItemSchema = Type.Object({
  item_uid: Type.String(),
  item_type: Type.Union([Type.Literal('plan'), Type.Literal('instruction')]),
  user: Type.String({ description: 'who added it (the key name with auth, anonymous otherwise)' }),
  time_added: Type.Number({ description: 'seconds since the epoch' }),
  plan: Type.Optional(Type.String()),
  params: Type.Optional(Type.Unknown()),
  md: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  instruction: Type.Optional(Type.String()),
});
const ItemRunSchema = Type.Object({ uid: Type.String(), exit_status: Nullable(Type.String()), reason: Nullable(Type.String()) });
const ItemErrorSchema = Type.Object({ type: Type.String(), message: Type.String() });
const RunningSchema = Type.Object({ item: QueueItemSchema, time_start: Type.Number(), runs: Type.Array(ItemRunSchema) });
const ExitStatusSchema = Type.Union([Type.Literal('completed'), Type.Literal('stopped'), Type.Literal('failed'), Type.Literal('aborted'), Type.Literal('halted'), Type.Literal('interrupted')]);
const HistoryEntrySchema = Type.Object({
  item: QueueItemSchema,
  result: Type.Object({
    exit_status: ExitStatusSchema, time_start: Type.Number(), time_stop: Type.Number(),
    runs: Type.Array(ItemRunSchema), run_uids: Type.Array(Type.String()), error: Nullable(ItemErrorSchema),
  }),
});
const ModeSchema = Type.Object({ loop: Type.Boolean(), ignore_failures: Type.Boolean() });
const QueueStateSchema = Type.Union([Type.Literal('running'), Type.Literal('stopped')]);
const QueueViewSchema = Type.Object({
  items: Type.Array(QueueItemSchema), running: Nullable(RunningSchema), mode: ModeSchema, state: QueueStateSchema,
  stop_pending: Type.Boolean({ description: 'queue.stop was asked: the queue stops after the running item' }),
  seq: Type.Integer({ description: 'the seq of the last event of the stream this view includes' }),
});
const StateResult = Type.Object({ state: QueueStateSchema, stop_pending: Type.Boolean() });

function queue(d: Dispatcher): QueueScheduler {
  const q = queueOf(d);
  if (q === undefined) throw new OpError('unavailable', { problem: 'this dispatcher has no queue (it runs without a server)' });
  return q;
}

/** The scheduler's refusals as op errors (the same codes; `busy` names the plan). */
async function run<T>(ctx: OpContext, fn: (q: QueueScheduler) => T | Promise<T>): Promise<T> {
  const q = queue(ctx.dispatcher);
  try {
    return await fn(q);
  } catch (e) {
    if (e instanceof QueueError) throw new OpError(e.code, e.data, e.details);
    throw e;
  }
}

type InputT = Static<typeof ItemInputSchema>;

/** One requested item as the scheduler takes it, or the problems with it (paths under `prefix`). */
async function checkItem(d: Dispatcher, input: InputT, prefix: string): Promise<{ ok: true; item: ItemInput } | { ok: false; error: OpError }> {
  if (input.instruction !== undefined) {
    const extra = (['plan', 'params', 'md'] as const).filter((k) => input[k] !== undefined);
    if (extra.length > 0) {
      const detail = { path: `${prefix}/${extra[0] ?? ''}`, message: 'an instruction has no plan, params or md', expected: 'only instruction', got: extra.join(', ') };
      return { ok: false, error: new OpError('bad_request', { problem: `"${detail.path.slice(1)}" ${detail.message}` }, [detail]) };
    }
    return { ok: true, item: { instruction: input.instruction } };
  }
  if (input.plan === undefined) {
    const detail = { path: `${prefix}/plan`, message: 'is required', expected: 'a plan name (or an instruction)', got: 'nothing' };
    return { ok: false, error: new OpError('bad_request', { problem: `"${detail.path.slice(1)}" is required` }, [detail]) };
  }
  const outcome = await checkRequest(d, input.plan, paramsOf(input), input.md);
  if (!outcome.ok) {
    const e = checkError(outcome);
    return { ok: false, error: new OpError(e.code, e.data, e.details.map((x) => ({ ...x, path: `${prefix}${x.path}` }))) };
  }
  // The params as given are kept (a plan's defaults apply when it runs, as for start).
  return { ok: true, item: { plan: input.plan, ...(input.params === undefined ? {} : { params: input.params }), ...(input.md === undefined ? {} : { md: input.md }) } };
}

function positionOf(p: Position): Position {
  return { ...(p.pos === undefined ? {} : { pos: p.pos }), ...(p.before_uid === undefined ? {} : { before_uid: p.before_uid }), ...(p.after_uid === undefined ? {} : { after_uid: p.after_uid }) };
}

export const queueGet = defineOp({
  name: 'queue.get', summary: 'The pending items (front first), the running item, the mode and whether the queue runs.',
  params: NoParams, result: QueueViewSchema, scope: 'read', effect: 'read', errors: ['unavailable'],
  handler: (_p, ctx) => run(ctx, (q) => withViewSeq(ctx, () => q.view())),
});

export const queueAdd = defineOp({
  name: 'queue.add',
  summary: 'Add one item (item) or a batch (items, all or none) at a position: back (default), front, an index, or before/after an item; checked as start checks.',
  params: Type.Object({
    item: Type.Optional(ItemInputSchema),
    items: Type.Optional(Type.Array(ItemInputSchema, { minItems: 1, maxItems: MAX_BATCH })),
    ...PositionFields,
  }, { additionalProperties: false }),
  result: Type.Object({ index: Type.Integer({ description: 'the index of the first added item' }), items: Type.Array(QueueItemSchema) }),
  scope: 'queue', effect: 'change', errors: ['unknown_plan', 'invalid_params', 'invalid_items', 'unknown_item', 'unavailable'],
  handler: async (p, ctx) => {
    if ((p.item === undefined) === (p.items === undefined)) {
      const got = p.item === undefined ? 'neither' : 'both';
      throw new OpError('bad_request', { problem: `give item (one) or items (a batch), got ${got}` }, [{ path: '', message: 'one of item, items is required', expected: 'item or items', got }]);
    }
    const d = ctx.dispatcher;
    queue(d);
    if (p.item !== undefined) {
      const checked = await checkItem(d, p.item, '/item');
      if (!checked.ok) throw checked.error;
      const item = checked.item;
      return run(ctx, (q) => q.add([item], positionOf(p), ctx.caller.name));
    }
    const inputs = p.items ?? [];
    const checked = await Promise.all(inputs.map((input, i) => checkItem(d, input, `/items/${String(i)}`)));
    const refused = checked.flatMap((c, i) => (c.ok ? [] : [{ i, error: c.error }]));
    if (refused.length > 0) {
      const details: ErrorDetail[] = refused.flatMap((r) => (r.error.details.length > 0 ? r.error.details : [{ path: `/items/${String(r.i)}`, message: r.error.message }]));
      const summary = refused.slice(0, 3).map((r) => `item ${String(r.i)}: ${r.error.message}`).join('; ') + (refused.length > 3 ? `; and ${String(refused.length - 3)} more` : '');
      throw new OpError('invalid_items', { count: refused.length, total: inputs.length, summary, items: refused.map((r) => ({ index: r.i, code: r.error.code, message: r.error.message })) }, details);
    }
    const items = checked.map((c) => (c as { ok: true; item: ItemInput }).item);
    return run(ctx, (q) => q.add(items, positionOf(p), ctx.caller.name));
  },
});

export const queueUpdate = defineOp({
  name: 'queue.update', summary: 'Replace the params (and md, when given) of a pending plan item; checked as start checks. It keeps its uid and place.',
  params: Type.Object({ item_uid: Uid('the pending item'), params: Type.Unknown({ description: 'the new params' }), md: Type.Optional(Metadata) }, { additionalProperties: false }),
  result: Type.Object({ item: QueueItemSchema }),
  scope: 'queue', effect: 'change', errors: ['unknown_item', 'item_not_pending', 'invalid_params', 'unknown_plan', 'unavailable'],
  handler: (p, ctx) => run(ctx, async (q) => {
    const current = q.pendingItem(p.item_uid);
    if (current.item_type !== 'plan') throw new QueueError('bad_request', { problem: `item ${p.item_uid} is an instruction: it has no params` }, [{ path: '/item_uid', message: 'an instruction has no params', expected: 'a plan item', got: p.item_uid }]);
    const md = p.md ?? current.md;
    const outcome = await checkRequest(ctx.dispatcher, current.plan, p.params, md);
    if (!outcome.ok) throw checkError(outcome);
    return { item: await q.update(p.item_uid, { params: p.params, ...(p.md === undefined ? {} : { md: p.md }) }) };
  }),
});

export const queueRemove = defineOp({
  name: 'queue.remove', summary: 'Remove a pending item.',
  params: Type.Object({ item_uid: Uid('the pending item') }, { additionalProperties: false }),
  result: Type.Object({ item: QueueItemSchema }),
  scope: 'queue', effect: 'change', errors: ['unknown_item', 'item_not_pending', 'unavailable'],
  handler: (p, ctx) => run(ctx, async (q) => ({ item: await q.remove(p.item_uid) })),
});

export const queueMove = defineOp({
  name: 'queue.move', summary: 'Move a pending item to a position (read against the queue without it): front, back, an index, or before/after an item.',
  params: Type.Object({ item_uid: Uid('the pending item to move'), ...PositionFields }, { additionalProperties: false }),
  result: Type.Object({ index: Type.Integer({ description: 'its new index' }) }),
  scope: 'queue', effect: 'change', errors: ['unknown_item', 'item_not_pending', 'unavailable'],
  handler: (p, ctx) => run(ctx, async (q) => {
    if (p.pos === undefined && p.before_uid === undefined && p.after_uid === undefined) {
      throw new QueueError('bad_request', { problem: 'give where to move it: pos, before_uid or after_uid' }, [{ path: '/pos', message: 'is required', expected: 'one of pos, before_uid, after_uid', got: 'nothing' }]);
    }
    return { index: await q.move(p.item_uid, positionOf(p)) };
  }),
});

export const queueClear = defineOp({
  name: 'queue.clear', summary: 'Remove every pending item (the running item runs on).',
  params: NoParams, result: Type.Object({ removed: Type.Integer() }),
  scope: 'queue', effect: 'change', errors: ['unavailable'],
  handler: (_p, ctx) => run(ctx, async (q) => ({ removed: await q.clear() })),
});

export const queueStart = defineOp({
  name: 'queue.start', summary: 'Start taking items, one after another, until the queue is empty, a queue_stop, queue.stop or a failure (unless ignore_failures).',
  params: NoParams, result: StateResult,
  scope: 'queue', effect: 'change', errors: ['illegal_state', 'busy', 'unavailable'],
  handler: (_p, ctx) => run(ctx, (q) => { q.start(); return stateOf(q); }),
});

export const queueStop = defineOp({
  name: 'queue.stop', summary: 'Stop the queue after the running item (at once when none runs); the item itself runs on (stop or abort it as usual).',
  params: NoParams, result: StateResult,
  scope: 'queue', effect: 'change', errors: ['illegal_state', 'unavailable'],
  handler: (_p, ctx) => run(ctx, (q) => { q.stop(); return stateOf(q); }),
});

export const queueStopCancel = defineOp({
  name: 'queue.stop_cancel', summary: 'Take back a pending queue.stop.',
  params: NoParams, result: StateResult,
  scope: 'queue', effect: 'change', errors: ['illegal_state', 'unavailable'],
  handler: (_p, ctx) => run(ctx, (q) => { q.stopCancel(); return stateOf(q); }),
});

export const queueMode = defineOp({
  name: 'queue.mode', summary: 'Set loop (items that ran go back to the end) and ignore_failures (a failed item does not stop the queue); absent: unchanged.',
  params: Type.Object({ loop: Type.Optional(Type.Boolean()), ignore_failures: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
  result: Type.Object({ mode: ModeSchema }),
  scope: 'queue', effect: 'change', errors: ['unavailable'],
  handler: (p, ctx) => run(ctx, async (q) => ({
    mode: await q.setMode({ ...(p.loop === undefined ? {} : { loop: p.loop }), ...(p.ignore_failures === undefined ? {} : { ignore_failures: p.ignore_failures }) }),
  })),
});

export const historyGet = defineOp({
  name: 'history.get', summary: 'Items that ran, newest first, each with its outcome, times, runs and error.',
  params: Type.Object({
    offset: Type.Optional(RowCount('skip this many (default 0)')),
    limit: Type.Optional(RowCount('at most this many (default 100, at most 1000)')),
  }, { additionalProperties: false }),
  result: Type.Object({ entries: Type.Array(HistoryEntrySchema), total: Type.Integer(), offset: Type.Integer() }),
  scope: 'read', effect: 'read', errors: ['unavailable'],
  handler: (p, ctx) => run(ctx, (q) => {
    const offset = p.offset ?? 0;
    return { ...q.history(offset, Math.min(p.limit ?? 100, MAX_PAGE)), offset };
  }),
});

export const historyClear = defineOp({
  name: 'history.clear', summary: 'Forget the history (the runs stay in the run store).',
  params: NoParams, result: Type.Object({ removed: Type.Integer() }),
  scope: 'queue', effect: 'change', errors: ['unavailable'],
  handler: (_p, ctx) => run(ctx, async (q) => ({ removed: await q.clearHistory() })),
});

export const itemGet = defineOp({
  name: 'item.get', summary: 'One item in one answer: pending, running or done; its outcome, start and stop times, runs (uid, exit status, reason) and error.',
  params: Type.Object({ item_uid: Uid('a queued, running or finished item') }, { additionalProperties: false }),
  result: Type.Object({
    item_uid: Type.String(), status: Type.Union([Type.Literal('pending'), Type.Literal('running'), Type.Literal('done')]), item: QueueItemSchema,
    index: Nullable(Type.Integer()), exit_status: Nullable(ExitStatusSchema), time_start: Nullable(Type.Number()), time_stop: Nullable(Type.Number()),
    runs: Type.Array(ItemRunSchema), error: Nullable(ItemErrorSchema), attempts: Type.Array(HistoryEntrySchema, { description: 'earlier runs of this uid (requeued after a crash), newest first' }),
  }),
  scope: 'read', effect: 'read', errors: ['unknown_item', 'unavailable'],
  handler: (p, ctx) => run(ctx, (q) => q.item(p.item_uid)),
});

function stateOf(q: QueueScheduler): Static<typeof StateResult> {
  const v = q.view();
  return { state: v.state, stop_pending: v.stop_pending };
}

export const QUEUE_OPS = [queueGet, queueAdd, queueUpdate, queueRemove, queueMove, queueClear, queueStart, queueStop, queueStopCancel, queueMode, historyGet, historyClear, itemGet] as const;
