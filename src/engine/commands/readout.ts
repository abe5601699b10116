/**
 * Run and readout commands: open_run, close_run, declare_stream, create, read,
 * save, drop, monitor, unmonitor, configure (bluesky spec §5.3).
 * @module
 */
import type { ExitStatus } from '../../model/documents.js';
import { DocumentValidationError, IllegalMessageSequence, ProtocolError, RunEngineError } from '../../model/errors.js';
import type { Msg } from '../../model/msg.js';
import { type Readable, type Reading, isReadable } from '../../model/protocols.js';
import { isPromiseLike } from '../deferred.js';
import { shortUid } from '../../model/clock.js';
import type { CommandHandler } from '../registry.js';
import type { CommandContext } from './context.js';

const NO_RUN_FOR_BUNDLE = "Cannot bundle readings without an open run. That is, 'create' must be preceded by 'open_run'.";

export function readoutCommands(ctx: CommandContext): Record<string, CommandHandler> {
  const { core } = ctx;
  return {
    open_run: (m) => ctx.openRun(m),

    close_run: (m) => {
      const b = core.bundler(m.run, "A 'close_run' message was not received before the 'open_run' message");
      const exit = (m.kwargs.exit_status as ExitStatus | null | undefined) || 'success';
      let reason = (m.kwargs.reason as string | null | undefined) ?? '';
      // bluesky quirk §17.8, fixed: run_wrapper closes an aborted run with reason "";
      // the abort(reason) the user gave belongs in the stop document.
      if (reason === '' && exit === 'abort' && core.reason !== '') reason = core.reason;
      const stop = b.closeRun(exit, reason);
      core.bundlers.delete(m.run);
      return stop.run_start;
    },

    declare_stream: async (m) => {
      const b = core.bundler(m.run, NO_RUN_FOR_BUNDLE);
      if (m.obj !== null && m.obj !== undefined) throw new RunEngineError('ENGINE_BAD_MESSAGE', "declare_stream takes the devices as args; obj must be null");
      const name = m.kwargs.name;
      if (typeof name !== 'string') throw new RunEngineError('ENGINE_BAD_MESSAGE', 'A stream name that is not None is required for pre-declare');
      const doc = await b.declareStream(m.args as object[], name, m.kwargs.collect === true);
      return [doc, null, m.args];
    },

    create: (m) => {
      const b = core.bundler(m.run, NO_RUN_FOR_BUNDLE);
      const name = typeof m.kwargs.name === 'string' ? m.kwargs.name : m.args.length === 1 ? m.args[0] : undefined;
      if (typeof name !== 'string') throw new RunEngineError('ENGINE_BAD_MESSAGE', "Msg('create') now requires a stream name, given as Msg('create', name) or Msg('create', name=name)");
      b.create(name);
      return null;
    },

    read: (m) => readCommand(ctx, m),

    save: (m) => {
      core.bundler(m.run, "A 'save' message was sent but no run is open.").save();
      return null;
    },

    drop: (m) => {
      core.bundler(m.run, "A 'drop' message was sent but no run is open.").drop();
      return null;
    },

    monitor: async (m) => {
      const b = core.bundler(m.run, "A 'monitor' message was sent but no run is open.");
      if (m.args.length > 0) throw new RunEngineError('ENGINE_BAD_MESSAGE', "The 'monitor' Msg does not accept positional arguments.");
      const name = Object.hasOwn(m.kwargs, 'name') ? m.kwargs.name : shortUid('monitor');
      if (typeof name !== 'string') throw new DocumentValidationError(`a monitor stream name must be a string, got ${JSON.stringify(name)}`);
      await b.monitor(m.obj as object, name);
      core.resetCheckpointState();
      return null;
    },

    unmonitor: (m) => {
      core.bundler(m.run, "An 'unmonitor' message was sent but no run is open.").unmonitor(m.obj as object);
      core.resetCheckpointState();
      return null;
    },

    configure: async (m) => {
      const b = core.bundlers.get(m.run);
      if (b?.isBundling === true) throw new IllegalMessageSequence("Cannot configure after 'create' but before 'save' Aborting!");
      const obj = m.obj as { configure?: (...a: unknown[]) => unknown };
      if (typeof obj?.configure !== 'function') throw new ProtocolError(m.obj, 'Configurable (configure)');
      const result = await obj.configure(...m.args, ...(Object.keys(m.kwargs).length > 0 ? [m.kwargs] : []));
      if (b !== undefined) await b.reconfigure(m.obj as object);
      return result;
    },
  };
}

/**
 * `read`: read the object and add the reading to the open bundle. Returns the
 * reading itself, not a promise, when the device answers synchronously and the
 * bundle needs no await (the common case after an object's first read), so the
 * loop does not pay a promise round trip per reading; bluesky's `_read`
 * likewise only suspends when something it awaits does.
 */
function readCommand(ctx: CommandContext, m: Msg): Record<string, Reading> | Promise<Record<string, Reading>> {
  const obj = m.obj;
  if (!isReadable(obj)) throw new ProtocolError(obj, 'Readable');
  const reading = obj.read();
  if (isPromiseLike(reading)) return Promise.resolve(reading).then((r) => addReading(ctx, m, obj, r));
  return addReading(ctx, m, obj, reading);
}

function addReading(ctx: CommandContext, m: Msg, obj: Readable, reading: Record<string, Reading> | null | undefined): Record<string, Reading> | Promise<Record<string, Reading>> {
  if (reading === null || reading === undefined) {
    throw new RunEngineError('ENGINE_READ_RETURNED_NONE', `The read of ${obj.name} returned None. This is a bug in your object implementation, \`read\` must return a dictionary.`);
  }
  const added = ctx.core.bundlers.get(m.run)?.read(obj, reading);
  return added === undefined ? reading : added.then(() => reading);
}
