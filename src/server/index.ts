/** The server: websocket protocols v1 (`/`) and v2 (`/v2`) and HTTP health on one port, plus the Dispatcher wired to it. @module */
import { Dispatcher, type DispatcherOptions } from '../dispatcher/index.js';
import { DispatcherServer, type ServerOptions } from './server.js';

export { DispatcherServer, CLOSE_GOING_AWAY, CLOSE_IDLE } from './server.js';
export { checkFrontDoor, exposureWarning, isLoopback, normalizeOrigin } from './front-door.js';
export type { FrontDoorPolicy, FrontDoorRequest, Refusal } from './front-door.js';
export { WarnLimiter } from './warn-limiter.js';
export type { ServerOptions } from './server.js';
export { createLogger, tapLogs } from './logger.js';
export type { Logger, LogLevel } from './logger.js';

/**
 * A Dispatcher whose `start()`/`stop()` run a websocket server (the seed's
 * `Dispatcher(...).start()`).
 * @example
 * const d = createDispatcher({ port: 8765 });
 * d.addScan('wait', async (re, hook, p, ctx) => { hook('running', 'idle'); await ctx.sleep(1); hook('idle', 'running'); });
 * await d.start();
 */
export function createDispatcher(options: Omit<DispatcherOptions, 'host'> & { server?: ServerOptions } = {}): Dispatcher {
  const { server, ...rest } = options;
  return new Dispatcher({ ...rest, host: (d) => new DispatcherServer(d, server) });
}

/** The server behind a Dispatcher made by {@link createDispatcher} (for its port, url, ...). */
export function serverOf(d: Dispatcher): DispatcherServer | null {
  const host = d.host;
  return host instanceof DispatcherServer ? host : null;
}
export { V2Endpoint } from './v2-endpoint.js';
export type { V2Options } from './v2-endpoint.js';
