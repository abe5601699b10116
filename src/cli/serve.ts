/**
 * `bluesky-dispatcher serve`: the v1 websocket server on the simulated devices
 * with count, scan, rel_scan, list_scan, grid_scan and `simulated`, plus a
 * user's `--plans` module; SIGINT/SIGTERM stop it gracefully and exit 0.
 * @module
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { hw } from '../devices/index.js';
import { type Dispatcher, registerSimulated, registerStandardPlans } from '../dispatcher/index.js';
import { type DispatcherServer, type Logger, createDispatcher, createLogger, serverOf } from '../server/index.js';

export interface ServeOptions {
  port?: number | string;
  host?: string;
  /** Path of a module exporting `register(dispatcher)`. */
  plans?: string;
  /** pino level; default `LOG_LEVEL` or `info`. */
  logLevel?: string;
  logger?: Logger;
}

export interface Served {
  dispatcher: Dispatcher;
  server: DispatcherServer;
  logger: Logger;
}

/** Build, register and start the server; resolves once it listens. */
export async function serve(opts: ServeOptions = {}): Promise<Served> {
  const logger = opts.logger ?? createLogger({ level: opts.logLevel ?? process.env.LOG_LEVEL ?? 'info' });
  const port = opts.port === undefined ? 8765 : Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be an integer 0..65535, got ${String(opts.port)}`);
  const dispatcher = createDispatcher({
    devices: hw().devices,
    server: { port, host: opts.host ?? '127.0.0.1', logger },
    onError: (message, error) => logger.error({ err: error }, message),
  });
  registerStandardPlans(dispatcher);
  registerSimulated(dispatcher);
  if (opts.plans !== undefined) await loadPlans(dispatcher, opts.plans, logger);
  await dispatcher.start();
  const server = serverOf(dispatcher);
  if (server === null) throw new Error('internal: the dispatcher has no server');
  return { dispatcher, server, logger };
}

/** Import a user module and call its `register(dispatcher)`. */
export async function loadPlans(dispatcher: Dispatcher, file: string, logger?: Logger): Promise<void> {
  const mod = (await import(pathToFileURL(resolve(file)).href)) as { register?: unknown; default?: { register?: unknown } };
  const register = mod.register ?? mod.default?.register;
  if (typeof register !== 'function') throw new Error(`${file} must export a function register(dispatcher)`);
  const before = new Set(dispatcher.scanNames);
  await (register as (d: Dispatcher) => unknown)(dispatcher);
  logger?.info({ file, added: dispatcher.scanNames.filter((n) => !before.has(n)) }, 'loaded user plans');
}

/**
 * The CLI action: serve until SIGINT/SIGTERM, then abort a running plan with a
 * reason, wait for its stop document, close clients with 1001 and exit 0.
 */
export async function serveCommand(opts: ServeOptions = {}): Promise<void> {
  const { dispatcher, server, logger } = await serve(opts);
  logger.info({ url: server.url, scans: dispatcher.scanNames }, 'ready');
  const signal = await new Promise<NodeJS.Signals>((done) => {
    process.once('SIGINT', () => done('SIGINT'));
    process.once('SIGTERM', () => done('SIGTERM'));
  });
  await dispatcher.stop(`server received ${signal}`);
  logger.flush();
  process.exit(0);
}

/** Add `serve` to a commander program (the lead's CLI main). */
export function addServeCommand(program: Command): Command {
  return program.command('serve')
    .description('Run the websocket dispatcher (protocol v1, the Python bluesky dispatcher\'s) on simulated devices')
    .option('-p, --port <port>', 'port to listen on', '8765')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--plans <file>', 'module exporting register(dispatcher) to add your own scans')
    .option('--log-level <level>', 'fatal | error | warn | info | debug | trace | silent')
    .action(async (o: { port: string; host: string; plans?: string; logLevel?: string }) => {
      await serveCommand({
        port: o.port, host: o.host,
        ...(o.plans === undefined ? {} : { plans: o.plans }),
        ...(o.logLevel === undefined ? {} : { logLevel: o.logLevel }),
      });
    });
}
