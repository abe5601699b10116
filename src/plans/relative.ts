/**
 * Relative motion (bluesky `relative_set_wrapper`, `reset_positions_wrapper`,
 * `rel_set`, `mvr`): learn each motor's start position before its first `set`
 * (`locate` → setpoint, else `.position`, else `read`), then offset or restore.
 * @module
 */
import { PlanArgumentError } from '../model/errors.js';
import { type Msg, type Plan, type PlanLike, msg, replaceMsg } from '../model/msg.js';
import { type Movable, isLocatable, nameOf } from '../model/protocols.js';
import type { Status } from '../model/status.js';
import { type MsgProcResult, msgMutator, pchain, planMutator, singleGen } from './mutators.js';
import { type ActionOptions, absSet, mv, splitMoveArgs } from './stubs/devices.js';
import { getHintedFields, isNullish, newUid } from './utils.js';
import { finalizeWrapper } from './wrappers.js';

function positionFromReading(obj: unknown, reading: Record<string, { value: unknown }>): unknown {
  const fields = getHintedFields(obj);
  if (fields.length > 1) {
    throw new PlanArgumentError(`do not yet know how to deal with non pseudopositioner multi-axis (${nameOf(obj)} hints ${fields.join(', ')})`);
  }
  const key = fields.length === 1 ? fields[0] as string : Object.keys(reading)[0];
  return key === undefined ? undefined : reading[key]?.value;
}

/** Stash `obj`'s current setpoint in `initial` (bluesky `__read_and_stash_a_motor`). */
function* readAndStash(obj: unknown, initial: Map<unknown, unknown>): Plan<void> {
  let setpoint: unknown;
  if (isLocatable(obj)) {
    const location: unknown = yield msg('locate', obj);
    // A list-ified plan gets no reply: positions are then relative to 0.
    setpoint = isNullish(location) ? 0 : (location as { setpoint: unknown }).setpoint;
  } else if (typeof obj === 'object' && obj !== null && 'position' in obj) {
    setpoint = (obj as { position: unknown }).position;
  } else {
    const reading: unknown = yield msg('read', obj);
    setpoint = isNullish(reading) ? 0 : positionFromReading(obj, reading as Record<string, { value: unknown }>);
  }
  initial.set(obj, setpoint);
}

/** A planMutator proc inserting `readAndStash` before the first `set` of each eligible device. */
function stashBeforeFirstSet(devices: ReadonlySet<unknown> | null, initial: Map<unknown, unknown>) {
  return (m: Msg): MsgProcResult => {
    const eligible = devices === null || devices.has(m.obj);
    if (m.command === 'set' && eligible && !initial.has(m.obj)) {
      return [pchain(readAndStash(m.obj, initial), singleGen(m)), null];
    }
    return [null, null];
  };
}

function offset(obj: unknown, start: unknown, delta: unknown): number {
  if (typeof start === 'number' && typeof delta === 'number') return start + delta;
  throw new PlanArgumentError(`cannot add a relative position to ${nameOf(obj)}: start ${String(start)} and step ${String(delta)} must both be numbers`, [
    { path: '/args', expected: 'numeric positions', got: `${typeof start} + ${typeof delta}` },
  ]);
}

/**
 * Interpret every `set` of `devices` (null: of any device) as relative to the
 * device's position before its first `set`.
 */
export function* relativeSetWrapper<R = unknown>(plan: PlanLike, devices: Iterable<unknown> | null = null): Plan<R> {
  const initial = new Map<unknown, unknown>();
  const eligible = devices === null ? null : new Set(devices);
  const rewrite = (m: Msg): Msg => {
    if (m.command !== 'set' || !initial.has(m.obj)) return m;
    if (m.args.length !== 1) throw new PlanArgumentError(`a relative 'set' of ${nameOf(m.obj)} takes one value (got ${m.args.length})`);
    return replaceMsg(m, { args: [offset(m.obj, initial.get(m.obj), m.args[0])] });
  };
  return yield* msgMutator<R>(planMutator(plan, stashBeforeFirstSet(eligible, initial)), rewrite);
}

/**
 * Put `devices` (null: every device the plan sets) back where they were: in a
 * finally, `Msg('set', obj, initial, group='reset-<6hex>')` each, then one `wait`.
 */
export function* resetPositionsWrapper<R = unknown>(plan: PlanLike, devices: Iterable<unknown> | null = null): Plan<R> {
  const initial = new Map<unknown, unknown>();
  const eligible = devices === null ? null : new Set(devices);
  function* reset(): Plan<void> {
    const group = `reset-${newUid().slice(0, 6)}`;
    for (const [obj, position] of initial) yield msg('set', obj, [position], { group });
    yield msg('wait', null, [], { group });
  }
  return yield* finalizeWrapper<R>(planMutator(plan, stashBeforeFirstSet(eligible, initial)), reset());
}

/** `absSet` relative to the current position (a `read`/`locate` may come first). */
export function relSet(obj: Movable, value: unknown, options: ActionOptions = {}): Plan<Status> {
  return relativeSetWrapper<Status>(absSet(obj, value, options));
}

/**
 * `mv` relative to current positions: `mvr(motor1, 1, motor2, 2, { timeout })`.
 */
export function mvr(...args: unknown[]): Plan<Status[]> {
  const { pairs } = splitMoveArgs(args);
  return relativeSetWrapper<Status[]>(mv(...args), pairs.map(([obj]) => obj));
}
