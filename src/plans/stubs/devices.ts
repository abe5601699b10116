/**
 * Device-action plan stubs (bluesky.plan_stubs): set/move, trigger, stage,
 * prepare/kickoff/complete and their `*_all` forms, `rd`, `broadcast_msg`.
 * Options objects stand for Python keyword arguments; extra keys become Msg kwargs.
 * @module
 */
import { shortUid } from '../../model/clock.js';
import { PlanArgumentError, ProtocolError } from '../../model/errors.js';
import { type Plan, msg } from '../../model/msg.js';
import {
  type Flyable, type Movable, type Preparable, type Readable, type Stageable, type Triggerable,
  isFlyable, isLocatable, nameOf,
} from '../../model/protocols.js';
import { type Status, isStatus } from '../../model/status.js';
import { getHintedFields, isNullish, isPlainObject, newUid, partition } from '../utils.js';
import { type Group, collect, read, wait } from './messages.js';

/** `{group, wait}` plus any extra keyword arguments passed through to the device. */
export interface ActionOptions {
  group?: Group;
  wait?: boolean;
  [kwarg: string]: unknown;
}

function splitAction(options: ActionOptions, waitDefault: boolean): { group: Group; doWait: boolean; kwargs: Record<string, unknown> } {
  const { group = null, wait: doWait = waitDefault, ...kwargs } = options;
  return { group, doWait, kwargs };
}

/**
 * `Msg('set', obj, value, group=group, **kwargs)`, then `Msg('wait', None, group=group)`
 * if `wait` (the group then defaults to a new uuid4).
 * @example yield* absSet(motor, 1.5, { group: 'A', wait: true })
 */
export function* absSet(obj: Movable, value: unknown, options: ActionOptions = {}): Plan<Status> {
  const split = splitAction(options, false);
  const { doWait, kwargs } = split;
  const group = doWait && split.group === null ? newUid() : split.group;
  const ret = (yield msg('set', obj, [value], { group, ...kwargs })) as Status;
  if (doWait) yield msg('wait', null, [], { group });
  return ret;
}

/** `Msg('trigger', obj, group=group)` (+ `Msg('wait', None, group=group)` if `wait`). */
export function* trigger(obj: Triggerable, options: { group?: Group; wait?: boolean } = {}): Plan<Status> {
  const group = options.group ?? null;
  const ret = (yield msg('trigger', obj, [], { group })) as Status;
  if (options.wait === true) yield msg('wait', null, [], { group });
  return ret;
}

/** `Msg('prepare', obj, value, group=group, **kwargs)` (+ a full `wait` if `wait`). */
export function* prepare(obj: Preparable, value: unknown, options: ActionOptions = {}): Plan<Status> {
  const { group, doWait, kwargs } = splitAction(options, false);
  const ret = (yield msg('prepare', obj, [value], { group, ...kwargs })) as Status;
  if (doWait) yield* wait({ group });
  return ret;
}

function* flyerAction(command: 'kickoff' | 'complete', obj: Flyable, options: ActionOptions): Plan<Status> {
  const { group, doWait, kwargs } = splitAction(options, false);
  const ret = (yield msg(command, obj, [], { group, ...kwargs })) as Status;
  if (doWait) yield* wait({ group });
  return ret;
}

/** `Msg('kickoff', obj, group=group, **kwargs)` (+ `wait`). */
export function kickoff(obj: Flyable, options: ActionOptions = {}): Plan<Status> {
  return flyerAction('kickoff', obj, options);
}

/** `Msg('complete', obj, group=group, **kwargs)` (+ `wait`). */
export function complete(obj: Flyable, options: ActionOptions = {}): Plan<Status> {
  return flyerAction('complete', obj, options);
}

function* flyerActionAll(command: 'kickoff' | 'complete', objs: readonly unknown[], options: ActionOptions, waitDefault: boolean): Plan<Status[]> {
  for (const o of objs) if (!isFlyable(o)) throw new ProtocolError(o, 'Flyable');
  const split = splitAction(options, waitDefault);
  const group = split.group || newUid();
  const statuses: Status[] = [];
  for (const o of objs) statuses.push((yield msg(command, o, [], { group, ...split.kwargs })) as Status);
  if (split.doWait) yield* wait({ group });
  return statuses;
}

/** One `kickoff` per flyer in a shared group, then (by default) a `wait`. */
export function kickoffAll(objs: readonly Flyable[], options: ActionOptions = {}): Plan<Status[]> {
  return flyerActionAll('kickoff', objs, options, true);
}

/** One `complete` per flyer in a shared group, then a `wait` if `wait: true`. */
export function completeAll(objs: readonly Flyable[], options: ActionOptions = {}): Plan<Status[]> {
  return flyerActionAll('complete', objs, options, false);
}

function* stageOne(command: 'stage' | 'unstage', obj: Stageable, options: { group?: Group; wait?: boolean | null }): Plan<Status | unknown[]> {
  const group = options.group ?? null;
  const doWait = options.wait ?? null;
  const ret = yield msg(command, obj, [], { group });
  if (!isStatus(ret)) {
    // Old-style devices block in stage(); they cannot be told not to wait.
    if (doWait === false) throw new PlanArgumentError(`${nameOf(obj)}: Is an old style device and cannot be told not to wait`);
  } else if (doWait === true) {
    yield msg('wait', null, [], { group });
  }
  return ret as Status | unknown[];
}

/** `Msg('stage', obj, group=group)`: a Status (new style) or a list (old style). */
export function stage(obj: Stageable, options: { group?: Group; wait?: boolean | null } = {}): Plan<Status | unknown[]> {
  return stageOne('stage', obj, options);
}

/** `Msg('unstage', obj, group=group)`. */
export function unstage(obj: Stageable, options: { group?: Group; wait?: boolean | null } = {}): Plan<Status | unknown[]> {
  return stageOne('unstage', obj, options);
}

function* stageMany(command: 'stage' | 'unstage', objs: readonly unknown[], options: { group?: Group }): Plan<void> {
  const group = options.group || newUid();
  let anyStatus = false;
  for (const o of objs) {
    if (isStatus(yield msg(command, o, [], { group }))) anyStatus = true;
  }
  // Old-style stage() already blocked: only Status replies need a wait.
  if (anyStatus) yield msg('wait', null, [], { group });
}

/** One `stage` per device in a shared group (uuid4), then one `wait` iff any replied with a Status. */
export function stageAll(objs: readonly Stageable[], options: { group?: Group } = {}): Plan<void> {
  return stageMany('stage', objs, options);
}

/** One `unstage` per device in a shared group, then one `wait` iff any replied with a Status. */
export function unstageAll(objs: readonly Stageable[], options: { group?: Group } = {}): Plan<void> {
  return stageMany('unstage', objs, options);
}

/** `{group, timeout}` plus extra keyword arguments for every `set`. */
export interface MoveOptions {
  group?: Group;
  timeout?: number | null;
  [kwarg: string]: unknown;
}

/** Split `mv`'s `obj1, val1, obj2, val2, ...[, options]` (an odd trailing plain object is the options). */
export function splitMoveArgs(args: readonly unknown[]): { pairs: Array<[unknown, unknown]>; options: MoveOptions } {
  let list = args;
  let options: MoveOptions = {};
  if (list.length % 2 === 1) {
    const last = list[list.length - 1];
    if (!isPlainObject(last)) throw new PlanArgumentError(`mv expects device, value pairs (got ${list.length} arguments)`, [{ path: '/args', expected: 'an even number of arguments: device, value, ...', got: String(list.length) }]);
    options = last as MoveOptions;
    list = list.slice(0, -1);
  }
  return { pairs: partition(2, list).map(([o, v]) => [o, v]), options };
}

/**
 * Move devices in parallel and wait: one `set` per pair in a shared group
 * (uuid4 by default), then `Msg('wait', None, group=group, timeout=timeout)`.
 * @example yield* mv(motor1, 1, motor2, 2, { timeout: 10 })
 */
export function* mv(...args: unknown[]): Plan<Status[]> {
  const { pairs, options } = splitMoveArgs(args);
  const { group: g = null, timeout = null, ...kwargs } = options;
  const group = g || newUid();
  const statuses: Status[] = [];
  for (const [obj, val] of pairs) statuses.push((yield msg('set', obj, [val], { group, ...kwargs })) as Status);
  yield msg('wait', null, [], { group, timeout });
  return statuses;
}

/**
 * The single value of a non-triggered device: a Locatable's readback, else
 * its one hinted (or only) field (bluesky `rd`).
 * @throws PlanArgumentError (PLAN_ARGUMENT_INVALID) when no single value can be picked
 */
export function* rd(obj: Readable, options: { defaultValue?: unknown } = {}): Plan<unknown> {
  const defaultValue = options.defaultValue ?? 0;
  if (isLocatable(obj)) {
    const location: unknown = yield msg('locate', obj);
    return isNullish(location) ? defaultValue : (location as { readback: unknown }).readback;
  }
  const hints = getHintedFields(obj);
  if (hints.length > 1) {
    throw new PlanArgumentError(`Your object ${nameOf(obj)} has ${hints.length} items hinted (${hints.join(', ')}).  We do not know how to pick out a single value.`);
  }
  const readAttrs = (obj as { readAttrs?: unknown }).readAttrs;
  if (hints.length === 0 && Array.isArray(readAttrs) && readAttrs.length !== 1) {
    throw new PlanArgumentError(`Your object ${nameOf(obj)} has ${readAttrs.length} read attrs.  We do not know how to pick out a single value.`);
  }
  const ret: unknown = yield* read(obj);
  if (isNullish(ret)) return defaultValue;
  const readings = ret as Record<string, { value: unknown }>;
  if (hints.length === 1) return readings[hints[0] as string]?.value;
  const values = Object.values(readings);
  if (values.length !== 1) {
    throw new PlanArgumentError(`Your object ${nameOf(obj)} has ${values.length} read values.  We do not know how to pick out a single value.`);
  }
  return values[0]?.value;
}

/** `Msg(command, o, *args, **kwargs)` for every object; returns the replies. */
export function* broadcastMsg(command: string, objs: Iterable<unknown>, args: readonly unknown[] = [], kwargs: Readonly<Record<string, unknown>> = {}): Plan<unknown[]> {
  const out: unknown[] = [];
  for (const o of objs) out.push(yield msg(command, o, args, kwargs));
  return out;
}

/**
 * `complete_all(flyers)`, then `wait(timeout=flushPeriod, error_on_timeout=False)`
 * + `collect(dets)` until the wait reports done (bluesky `collect_while_completing`).
 */
export function* collectWhileCompleting(
  flyers: readonly Flyable[], dets: readonly unknown[],
  options: { flushPeriod?: number | null; streamName?: string | null; watch?: readonly string[] } = {},
): Plan<void> {
  const group = shortUid('complete');
  yield* completeAll(flyers, { group, wait: false });
  let done = false;
  while (!done) {
    done = yield* wait({ group, timeout: options.flushPeriod ?? null, errorOnTimeout: false, watch: options.watch ?? [] });
    yield* collect(dets, { name: options.streamName ?? null });
  }
}
