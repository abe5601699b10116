/**
 * The message vocabulary shared by plans and the engine: bluesky's
 * `Msg(command, obj, args, kwargs, run)` 5-tuple and the `Plan` generator type.
 * Imports nothing, so plans and devices never depend on the engine.
 * @module
 */

/** Commands the RunEngine knows out of the box (bluesky spellings). */
export const BUILTIN_COMMANDS = [
  'declare_stream', 'create', 'save', 'drop', 'read', 'locate', 'monitor', 'unmonitor', 'null',
  'RE_class', 'stop', 'set', 'trigger', 'sleep', 'wait', 'checkpoint', 'clear_checkpoint',
  'rewindable', 'pause', '_resume_from_suspender', '_start_suspender', 'prepare', 'collect',
  'kickoff', 'complete', 'configure', 'stage', 'unstage', 'subscribe', 'unsubscribe', 'open_run',
  'close_run', 'wait_for', 'input', 'install_suspender', 'remove_suspender',
] as const;

export type BuiltinCommand = (typeof BUILTIN_COMMANDS)[number];

/** A command name: a built-in one (autocompleted) or any registered custom command. */
export type Command = BuiltinCommand | (string & {});

/**
 * One instruction to the RunEngine. Immutable; compare with {@link msgEquals}.
 * `obj` is the target device (or null), `run` the run key for multi-run plans.
 */
export interface Msg {
  readonly command: Command;
  readonly obj: unknown;
  readonly args: readonly unknown[];
  readonly kwargs: Readonly<Record<string, unknown>>;
  readonly run: unknown;
}

/**
 * Build a message, as Python's `Msg(command, obj=None, *args, run=None, **kwargs)`.
 * @example msg('set', motor, [1.5], { group: 'g1' })
 */
export function msg(
  command: Command,
  obj: unknown = null,
  args: readonly unknown[] = [],
  kwargs: Readonly<Record<string, unknown>> = {},
  run: unknown = null,
): Msg {
  return { command, obj, args, kwargs, run };
}

/** A copy of `m` with some fields replaced (Python's `msg._replace`). */
export function replaceMsg(m: Msg, changes: Partial<Msg>): Msg {
  return { ...m, ...changes };
}

/** Structural equality over all five fields (kwargs compared key by key, values by identity or deep for plain data). */
export function msgEquals(a: Msg, b: Msg): boolean {
  return a.command === b.command && a.obj === b.obj && a.run === b.run &&
    deepEqual(a.args, b.args) && deepEqual(a.kwargs, b.kwargs);
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  return ka.every((k) => Object.hasOwn(rb, k) && deepEqual(ra[k], rb[k]));
}

/**
 * A plan: a generator yielding messages and receiving each command's result.
 * Compose with `yield*` (Python's `yield from`); the return value is the plan result.
 */
export type Plan<R = unknown> = Generator<Msg, R, unknown>;

/** Anything the RunEngine accepts as a plan: a generator, an iterable of messages or one message. */
export type PlanLike = Plan | Iterable<Msg> | Msg;

/** Turn a plan-like value into a generator (bluesky `ensure_generator`). */
export function ensurePlan(plan: PlanLike): Plan {
  if (isMsg(plan)) return (function* single(): Plan { return yield plan; })();
  if (isGenerator(plan)) return plan as Plan;
  if (plan !== null && typeof plan === 'object' && Symbol.iterator in plan) {
    const items = plan as Iterable<Msg>;
    return (function* listPlan(): Plan {
      let last: unknown;
      for (const m of items) last = yield m;
      return last;
    })();
  }
  throw new TypeError(`A plan must be a generator, an iterable of Msg or a Msg; got ${describeValue(plan)}`);
}

export function isMsg(x: unknown): x is Msg {
  return typeof x === 'object' && x !== null && 'command' in x && 'kwargs' in x && 'args' in x &&
    typeof (x as { command: unknown }).command === 'string';
}

export function isGenerator(x: unknown): x is Generator {
  return typeof x === 'object' && x !== null &&
    typeof (x as Generator).next === 'function' && typeof (x as Generator).throw === 'function' &&
    typeof (x as Generator).return === 'function';
}

function describeValue(x: unknown): string {
  if (x === null) return 'null';
  if (typeof x === 'object') return (x.constructor?.name ?? 'object');
  return `${typeof x} ${String(x)}`;
}
