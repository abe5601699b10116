/**
 * Device-action commands: set, trigger, stage, unstage, stop, prepare,
 * kickoff, complete, locate (bluesky spec §5.4). Statuses are filed under the
 * message's `group` for a later `wait`.
 * @module
 */
import { ProtocolError } from '../../model/errors.js';
import type { Msg } from '../../model/msg.js';
import {
  isFlyable, isLocatable, isMovable, isPreparable, isStageable, isStoppable, isTriggerable,
} from '../../model/protocols.js';
import { type Status, isStatus } from '../../model/status.js';
import type { CommandHandler } from '../registry.js';
import type { CommandContext } from './context.js';

/** kwargs without `group` (it is the engine's, not the device's). */
function deviceKwargs(m: Msg): Record<string, unknown> | null {
  let out: Record<string, unknown> | null = null;
  for (const k in m.kwargs) {
    if (k === 'group') continue;
    (out ??= {})[k] = m.kwargs[k];
  }
  return out;
}

export function motionCommands(ctx: CommandContext): Record<string, CommandHandler> {
  const { core } = ctx;
  const file = (m: Msg, status: unknown): unknown => {
    if (isStatus(status)) core.groups.add(status as Status, m.kwargs.group ?? null);
    return status;
  };
  return {
    set: (m) => {
      const obj = m.obj;
      if (!isMovable(obj)) throw new ProtocolError(obj, 'Movable');
      core.touched.add(obj as object);
      const kw = deviceKwargs(m);
      const status = kw === null ? obj.set(m.args[0]) : obj.set(m.args[0], kw);
      return file(m, status);
    },
    trigger: (m) => {
      if (!isTriggerable(m.obj)) throw new ProtocolError(m.obj, 'Triggerable');
      return file(m, m.obj.trigger());
    },
    stage: (m) => stageLike(ctx, m, 'stage'),
    unstage: (m) => stageLike(ctx, m, 'unstage'),
    stop: async (m) => {
      if (!isStoppable(m.obj)) throw new ProtocolError(m.obj, 'Stoppable');
      return (await m.obj.stop()) ?? null;
    },
    prepare: (m) => {
      if (!isPreparable(m.obj)) throw new ProtocolError(m.obj, 'Preparable');
      return file(m, m.obj.prepare(m.args[0]));
    },
    kickoff: (m) => {
      const b = core.bundler(m.run, "A 'kickoff' message was sent but no run is open.");
      if (!isFlyable(m.obj)) throw new ProtocolError(m.obj, 'Flyable');
      const status = m.obj.kickoff();
      b.uncollected.add(m.obj);
      return file(m, status);
    },
    complete: (m) => {
      if (!isFlyable(m.obj)) throw new ProtocolError(m.obj, 'Flyable');
      return file(m, m.obj.complete());
    },
    locate: async (m) => {
      const objs = [m.obj, ...m.args];
      for (const o of objs) if (!isLocatable(o)) throw new ProtocolError(o, 'Locatable');
      const locations = await Promise.all(objs.map((o) => (o as { locate(): unknown }).locate()));
      const squeeze = m.kwargs.squeeze ?? true;
      return squeeze === true && locations.length === 1 ? locations[0] : locations;
    },
  };
}

function stageLike(ctx: CommandContext, m: Msg, verb: 'stage' | 'unstage'): unknown {
  const obj = m.obj;
  if (!isStageable(obj)) return [];
  const result = verb === 'stage' ? obj.stage() : obj.unstage();
  if (verb === 'stage') ctx.core.staged.add(obj);
  else ctx.core.staged.delete(obj);
  ctx.core.resetCheckpointState();
  if (isStatus(result)) ctx.core.groups.add(result, m.kwargs.group ?? null);
  return result;
}
