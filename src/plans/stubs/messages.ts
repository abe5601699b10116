/**
 * One-message plan stubs (bluesky.plan_stubs): each yields exactly the Msg of
 * `test_stub_plans`, kwargs spelled and ordered as bluesky's, and returns the
 * engine's reply cast once to its documented type.
 * @module
 */
import type { DocumentCallback, DocumentName } from '../../model/documents.js';
import { type Msg, type Plan, msg } from '../../model/msg.js';
import type { Locatable, Location, Readable, Reading, Stoppable } from '../../model/protocols.js';
import { separateDevices } from '../utils.js';

/** A status group id: any hashable in bluesky; strings in practice. */
export type Group = string | number | symbol | null;

/** `objs` given as one device or an array of devices (Python `*objs`). */
export type OneOrMany<T> = T | readonly T[];

/** Spread `*objs` into a Msg's `obj` and `args` as Python's `Msg(cmd, *objs)` does. */
export function spreadObjs(objs: OneOrMany<unknown>): { obj: unknown; rest: unknown[] } {
  if (!Array.isArray(objs)) return { obj: objs, rest: [] };
  const list = objs as readonly unknown[];
  return { obj: list.length > 0 ? list[0] : null, rest: list.slice(1) };
}

function* one<R>(m: Msg): Plan<R> {
  return (yield m) as R;
}

/** `Msg('create', name=name)`: open a bundle of readings. */
export function create(name = 'primary'): Plan<unknown> {
  return one(msg('create', null, [], { name }));
}

/** `Msg('save')`: close the bundle and emit an Event. */
export function save(): Plan<unknown> {
  return one(msg('save'));
}

/** `Msg('drop')`: discard the bundle. */
export function drop(): Plan<unknown> {
  return one(msg('drop'));
}

/**
 * `Msg('read', obj)`: read a device into the open bundle.
 * @returns the readings `{key: {value, timestamp}}` (undefined when list-ified)
 */
export function read(obj: Readable): Plan<Record<string, Reading>> {
  return one(msg('read', obj));
}

/** `Msg('declare_stream', None, *separate_devices(objs), name=name, collect=collect)`. */
export function declareStream(objs: readonly unknown[], options: { name: string; collect?: boolean }): Plan<unknown> {
  return one(msg('declare_stream', null, separateDevices(objs), { name: options.name, collect: options.collect ?? false }));
}

/** `Msg('locate', *objs, squeeze=squeeze)`: one Location, or a list of them. */
export function locate<T>(obj: Locatable<T>, options?: { squeeze?: true }): Plan<Location<T>>;
export function locate(objs: OneOrMany<Locatable>, options?: { squeeze?: boolean }): Plan<Location | Location[]>;
export function locate(objs: OneOrMany<Locatable>, options: { squeeze?: boolean } = {}): Plan<Location | Location[]> {
  const { obj, rest } = spreadObjs(objs);
  return one(msg('locate', obj, rest, { squeeze: options.squeeze ?? true }));
}

/** `Msg('monitor', obj, name=name, **kwargs)` (bluesky quirk: `name=None` when not given). */
export function monitor(obj: Readable, options: { name?: string | null; [kw: string]: unknown } = {}): Plan<unknown> {
  const { name = null, ...kwargs } = options;
  return one(msg('monitor', obj, [], { name, ...kwargs }));
}

/** `Msg('unmonitor', obj)`. */
export function unmonitor(obj: Readable): Plan<unknown> {
  return one(msg('unmonitor', obj));
}

/** `Msg('null')`: a no-op (bluesky `null()`; `null` is reserved in JS). */
export function nullMsg(): Plan<unknown> {
  return one(msg('null'));
}

/** `Msg('stop', obj)`: stop a device. */
export function stop(obj: Stoppable): Plan<unknown> {
  return one(msg('stop', obj));
}

/** `Msg('sleep', None, time)`: sleep without blocking the engine. */
export function sleep(time: number): Plan<unknown> {
  return one(msg('sleep', null, [time]));
}

/** Options of {@link wait}. */
export interface WaitOptions {
  group?: Group;
  timeout?: number | null;
  errorOnTimeout?: boolean;
  watch?: readonly string[];
}

/**
 * `Msg('wait', None, group=..., error_on_timeout=..., timeout=..., watch=...)`.
 * @param groupOrOptions a group id, or {@link WaitOptions}
 * @returns true when the group finished (false on a tolerated timeout)
 */
export function wait(groupOrOptions: Group | WaitOptions = null): Plan<boolean> {
  return one(waitMsg(groupOrOptions));
}

/** The message {@link wait} yields, for plans that yield it directly (trigger_and_read). */
export function waitMsg(groupOrOptions: Group | WaitOptions = null): Msg {
  const o: WaitOptions = typeof groupOrOptions === 'object' && groupOrOptions !== null
    ? groupOrOptions : { group: groupOrOptions };
  return msg('wait', null, [], {
    group: o.group ?? null, error_on_timeout: o.errorOnTimeout ?? true, timeout: o.timeout ?? null, watch: [...(o.watch ?? [])],
  });
}

/** `Msg('checkpoint')`: if interrupted, rewind to here. */
export function checkpoint(): Plan<unknown> {
  return one(msg('checkpoint'));
}

/** `Msg('clear_checkpoint')`: not safe to resume from here on. */
export function clearCheckpoint(): Plan<unknown> {
  return one(msg('clear_checkpoint'));
}

/** `Msg('pause', None, defer=False)`. */
export function pause(): Plan<unknown> {
  return one(msg('pause', null, [], { defer: false }));
}

/** `Msg('pause', None, defer=True)`: pause at the next checkpoint. */
export function deferredPause(): Plan<unknown> {
  return one(msg('pause', null, [], { defer: true }));
}

/** `Msg('input', prompt=prompt)` (bluesky `input_plan`). */
export function inputPlan(prompt = ''): Plan<string> {
  return one(msg('input', null, [], { prompt }));
}

/** `Msg('configure', obj, *args, **kwargs)`; returns `[old, new]` configuration. */
export function configure(obj: unknown, args: readonly unknown[] = [], kwargs: Readonly<Record<string, unknown>> = {}): Plan<[Record<string, Reading>, Record<string, Reading>]> {
  return one(msg('configure', obj, args, kwargs));
}

/** Options of {@link collect}. */
export interface CollectOptions { stream?: boolean; returnPayload?: boolean; name?: string | null }

/** `Msg('collect', *objs, stream=..., return_payload=..., name=...)`. */
export function collect(objs: OneOrMany<unknown>, options: CollectOptions = {}): Plan<unknown> {
  const { obj, rest } = spreadObjs(objs);
  return one(msg('collect', obj, rest, {
    stream: options.stream ?? false, return_payload: options.returnPayload ?? true, name: options.name ?? null,
  }));
}

/** `Msg('subscribe', None, func, name)`; returns the subscription token. */
export function subscribe(name: 'all' | DocumentName, func: DocumentCallback): Plan<number> {
  return one(msg('subscribe', null, [func, name]));
}

/** `Msg('unsubscribe', token=token)`. */
export function unsubscribe(token: unknown): Plan<unknown> {
  return one(msg('unsubscribe', null, [], { token }));
}

/** `Msg('install_suspender', None, suspender)`. */
export function installSuspender(suspender: unknown): Plan<unknown> {
  return one(msg('install_suspender', null, [suspender]));
}

/** `Msg('remove_suspender', None, suspender)`. */
export function removeSuspender(suspender: unknown): Plan<unknown> {
  return one(msg('remove_suspender', null, [suspender]));
}

/** `Msg('open_run', **md)`; returns the run uid. */
export function openRun(md: Readonly<Record<string, unknown>> | null = null): Plan<string> {
  return one(msg('open_run', null, [], { ...(md ?? {}) }));
}

/** `Msg('close_run', exit_status=..., reason=...)`; returns the run uid. */
export function closeRun(options: { exitStatus?: string | null; reason?: string | null } = {}): Plan<string> {
  return one(msg('close_run', null, [], { exit_status: options.exitStatus ?? null, reason: options.reason ?? null }));
}

/** `Msg('wait_for', None, futures, **kwargs)`: await promise factories. */
export function waitFor(futures: ReadonlyArray<() => Promise<unknown>>, kwargs: Readonly<Record<string, unknown>> = {}): Plan<unknown> {
  return one(msg('wait_for', null, [futures], kwargs));
}
