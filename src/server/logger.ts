/** Structured logging (pino) with levels; `silent` for tests, `LOG_LEVEL` is read by the CLI. @module */
import { pino } from 'pino';

export type Logger = pino.Logger;
export type LogLevel = pino.LevelWithSilent;

/** A JSON-lines logger on stderr (stdout stays free for tools), level `info` by default. */
export function createLogger(options: { level?: LogLevel | string; name?: string } = {}): Logger {
  return pino({ level: options.level ?? 'info', name: options.name ?? 'bluesky-dispatcher' }, pino.destination({ dest: 2, sync: true }));
}
