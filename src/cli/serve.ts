/**
 * `bluesky-dispatcher serve`: the websocket server (v1, v2) on the simulated devices
 * with the standard plans and `simulated`, a user's `--plans` module and the run
 * store in `--data DIR`; SIGINT/SIGTERM stop it gracefully and exit 0.
 * @module
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { hw } from '../devices/index.js';
import { type ConfiguredDevices, createDevicesFromConfig, EpicsError, loadDeviceConfig } from '../epics/index.js';
import { type Dispatcher, registerSimulated, registerStandardPlans } from '../dispatcher/index.js';
import { type DispatcherServer, type Logger, createDispatcher, createLogger, serverOf } from '../server/index.js';
import { DEFAULT_DATA_DIR, SqliteStore, StoreError } from '../store/index.js';
import { VERSION } from '../version.js';
import { UsageError, describeListenError, parsePort } from './errors.js';
import { LOG_FORMATS, type LogFormat, humanLogDestination } from './human-log.js';
import { schedulingPolicy, setRealtimePriority } from './realtime.js';

export interface ServeOptions {
  port?: number | string;
  host?: string;
  /** Path of a module exporting `register(dispatcher)`. */
  plans?: string;
  /** pino level; default `LOG_LEVEL` or `info`. */
  logLevel?: string;
  /** `json` lines (default), or `human`: the ready line and warnings only (the CLI's default on a terminal). */
  logFormat?: LogFormat;
  logger?: Logger;
  /** Data directory of the run store; `false`/undefined: no store (the CLI defaults to ./bluesky-data). */
  data?: string | false;
  /** `normal` (default) or `full` (fsync each commit: survives power loss). */
  durability?: string;
  /** Linux: run every thread of the server at SCHED_FIFO with this priority (1..99); see src/cli/realtime.ts. */
  rtPriority?: number | string;
  /** Most points one standard plan may take (`--max-points`, default 10,000,000); above it validate/start refuse. */
  maxPoints?: number | string;
  /** A device configuration file (YAML or JSON, docs/epics.md): EPICS devices beside the simulated ones. */
  devices?: string;
  /** Refuse to start when a configured device does not connect (default: skip it, with a warning). */
  requireDevices?: boolean;
}

export interface Served {
  dispatcher: Dispatcher;
  server: DispatcherServer;
  logger: Logger;
  /** The run store (close it after `dispatcher.stop()`), or null without `data`. */
  store: SqliteStore | null;
  /** The EPICS devices from `devices` (close them after `dispatcher.stop()`), or null. */
  epics: ConfiguredDevices | null;
}

/** Build, register and start the server; resolves once it listens. */
export async function serve(opts: ServeOptions = {}): Promise<Served> {
  const logger = opts.logger ?? createLogger({
    level: opts.logLevel ?? process.env.LOG_LEVEL ?? 'info',
    ...(opts.logFormat === 'human' ? { destination: humanLogDestination() } : {}),
  });
  const port = opts.port === undefined ? 8765 : Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be an integer 0..65535, got ${String(opts.port)}`);
  const maxPoints = opts.maxPoints === undefined ? undefined : Number(opts.maxPoints);
  if (maxPoints !== undefined && (!Number.isSafeInteger(maxPoints) || maxPoints < 1)) throw new Error(`--max-points must be a whole number >= 1, got ${String(opts.maxPoints)}`);
  const durability = opts.durability ?? 'normal';
  if (durability !== 'normal' && durability !== 'full') throw new Error(`--durability must be normal or full, got ${durability}`);
  const epics = opts.devices === undefined ? null : await loadEpicsDevices(opts.devices, opts.requireDevices === true, logger);
  // Throws StoreError (one line naming the path and the cause): never a silent fallback to memory.
  let store: SqliteStore | null;
  try {
    store = opts.data === undefined || opts.data === false || opts.data === '' ? null : SqliteStore.open(opts.data, { durability });
  } catch (e) {
    epics?.close();
    throw e;
  }
  const dispatcher = createDispatcher({
    devices: new Map<string, unknown>([...hw().devices, ...(epics?.devices ?? [])]),
    server: { port, host: opts.host ?? '127.0.0.1', logger, ...(store === null ? {} : { store }) },
    onError: (message, error) => logger.error({ err: error }, message),
  });
  registerStandardPlans(dispatcher, undefined, maxPoints === undefined ? {} : { maxPoints });
  registerSimulated(dispatcher);
  try {
    if (opts.plans !== undefined) await loadPlans(dispatcher, opts.plans, logger);
    await dispatcher.start();
  } catch (e) {
    store?.close();
    epics?.close();
    throw e;
  }
  const server = serverOf(dispatcher);
  if (server === null) throw new Error('internal: the dispatcher has no server');
  if (opts.rtPriority !== undefined) {
    // Not fatal: the server works without it, only its latency tail on a busy host is longer.
    const why = setRealtimePriority(Number(opts.rtPriority));
    if (why === null) logger.info({ priority: Number(opts.rtPriority), policy: schedulingPolicy() }, 'real-time scheduling on');
    else logger.warn({ priority: opts.rtPriority, reason: why }, 'real-time scheduling not set; running at normal priority');
  }
  if (store !== null) logger.info({ store: store.path, durability, seq: store.latestSeq() }, 'run store open');
  return { dispatcher, server, logger, store, epics };
}

/** Create the configured EPICS devices; log each one that did not connect (it is skipped). */
async function loadEpicsDevices(file: string, require: boolean, logger: Logger): Promise<ConfiguredDevices> {
  const epics = await createDevicesFromConfig(await loadDeviceConfig(file), { env: process.env, require });
  for (const p of epics.problems) logger.warn({ device: p.device, class: p.class, code: p.code }, `device ${p.device} not connected, skipped: ${p.message}`);
  logger.info({ file, devices: [...epics.devices.keys()], skipped: epics.problems.map((p) => p.device) }, 'EPICS devices');
  return epics;
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
  let served: Served;
  try {
    served = await serve(opts);
  } catch (e) {
    // Usage and environment errors: one line, exit 2 (a bug keeps its stack).
    const code = (e as { code?: unknown }).code;
    const plansFile = opts.plans !== undefined && (code === 'ERR_MODULE_NOT_FOUND' || code === 'ERR_UNKNOWN_FILE_EXTENSION')
      ? `cannot load --plans ${opts.plans}: ${(e as Error).message.split('\n')[0] ?? ''}` : null;
    const line = e instanceof StoreError || e instanceof EpicsError ? `${e.message} (${e.code})` : plansFile ?? describeListenError(e, opts.host ?? '127.0.0.1', Number(opts.port ?? 8765));
    if (line === null) throw e;
    process.stderr.write(`bluesky-dispatcher serve: ${line}\n`);
    process.exit(2);
  }
  const { dispatcher, server, logger, store, epics } = served;
  logger.info({ url: server.url, panel: server.url.replace(/^ws/, 'http'), v2: `${server.url}v2`, version: VERSION, data: store?.path ?? null, scans: dispatcher.scanNames }, 'ready');
  const signal = await new Promise<NodeJS.Signals>((done) => {
    process.once('SIGINT', () => done('SIGINT'));
    process.once('SIGTERM', () => done('SIGTERM'));
  });
  await dispatcher.stop(`server received ${signal}`);
  store?.close();
  epics?.close();
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
    .option('--data <dir>', 'data directory of the run store (documents, run index, v2 event log)', DEFAULT_DATA_DIR)
    .option('--no-data', 'keep nothing on disk (no run store, v2 seq restarts at 1)')
    .option('--durability <level>', 'normal (a killed process loses nothing published) | full (also survives power loss)', 'normal')
    .option('--max-points <n>', 'most points (events) one standard plan may take; larger requests are refused', '10000000')
    .option('--devices <file>', 'EPICS devices to add (YAML or JSON; see docs/epics.md)')
    .option('--require-devices', 'exit if a configured device does not connect (default: skip it with a warning)')
    .option('--rt-priority <n>', 'Linux: run the server at real-time priority n (SCHED_FIFO 1..99; needs CAP_SYS_NICE) for a short latency tail on a shared host')
    .option('--log-format <format>', 'human (one ready line, then warnings; the default on a terminal) | json (pino lines; the default otherwise)')
    .action(async (o: { port: string; host: string; plans?: string; logLevel?: string; logFormat?: string; data: string | false; durability: string; rtPriority?: string; maxPoints: string; devices?: string; requireDevices?: boolean }) => {
      const logFormat = o.logFormat ?? (process.stderr.isTTY ? 'human' : 'json');
      if (!(LOG_FORMATS as readonly string[]).includes(logFormat)) throw new UsageError(`--log-format must be human or json, got '${logFormat}'`);
      if (o.durability !== 'normal' && o.durability !== 'full') throw new UsageError(`--durability must be normal or full, got '${o.durability}'`);
      if (!Number.isSafeInteger(Number(o.maxPoints)) || Number(o.maxPoints) < 1) throw new UsageError(`--max-points must be a whole number >= 1, got '${o.maxPoints}'`);
      await serveCommand({
        port: parsePort(o.port), host: o.host, data: o.data, durability: o.durability, maxPoints: o.maxPoints, logFormat: logFormat as LogFormat,
        ...(o.devices === undefined ? {} : { devices: o.devices, requireDevices: o.requireDevices === true }),
        ...(o.rtPriority === undefined ? {} : { rtPriority: o.rtPriority }),
        ...(o.plans === undefined ? {} : { plans: o.plans }),
        ...(o.logLevel === undefined ? {} : { logLevel: o.logLevel }),
      });
    });
}
