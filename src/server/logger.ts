/** Structured logging (pino) with levels; `silent` for tests, `LOG_LEVEL` is read by the CLI. @module */
import { pino } from 'pino';

export type Logger = pino.Logger;
export type LogLevel = pino.LevelWithSilent;

/** One log call as a tap sees it: pino's numeric level and the call's arguments. */
export type LogTap = (level: number, args: readonly unknown[]) => void;

// Taps by root logger: children inherit the root's hook, which looks its taps up here.
const TAPS = new WeakMap<object, Set<LogTap>>();

/** A JSON-lines logger on stderr (stdout stays free for tools), level `info` by default. */
export function createLogger(options: { level?: LogLevel | string; name?: string; destination?: pino.DestinationStream } = {}): Logger {
  const taps = new Set<LogTap>();
  const logger = pino({
    level: options.level ?? 'info', name: options.name ?? 'bluesky-dispatcher',
    hooks: {
      // Lets protocol v2 publish log lines (its `log` topic) without a second logger.
      logMethod(args, method, level) {
        for (const tap of taps) { try { tap(level, args); } catch { /* a tap must never break logging */ } }
        method.apply(this, args);
      },
    },
  }, options.destination ?? pino.destination({ dest: 2, sync: true }));
  TAPS.set(logger, taps);
  return logger;
}

/**
 * Be told of every line `logger` (made by {@link createLogger}) writes at an
 * enabled level; returns the removal function. Other loggers: a no-op.
 */
export function tapLogs(logger: Logger, tap: LogTap): () => void {
  const taps = TAPS.get(logger);
  if (taps === undefined) return () => {};
  taps.add(tap);
  return () => { taps.delete(tap); };
}
