/**
 * `bluesky-dispatcher serve`: the websocket server (v1, v2) on the simulated devices
 * with the standard plans and `simulated`, a user's `--plans` module and the run
 * store in `--data DIR`; SIGINT/SIGTERM stop it gracefully and exit 0.
 * @module
 */
import type { Command } from 'commander';
import { type Catalog, type Dispatcher, type EngineHost, type EngineKind, createEngineHost } from '../dispatcher/index.js';
import { type DispatcherServer, type Logger, type ServerOptions, createDispatcher, createLogger, normalizeOrigin, serverOf } from '../server/index.js';
import { BaseStore, DEFAULT_DATA_DIR, type PostgresBackend, SqliteStore, StoreError, openPostgres } from '../store/index.js';
import { type AuditLog, PgAuditLog, SqliteAuditLog } from '../audit/index.js';
import { Authenticator, type KeyStore, PgKeyStore, SqliteKeyStore, parseScopes, parseTrusted } from '../auth/index.js';
import type { Scope } from '../ops/index.js';
import { ControlLock, PgLockStore, SqliteLockStore } from '../lock/index.js';
import { PgQueueStore, type QueueStore, SqliteQueueStore } from '../queue/index.js';
import { BusError, RedisBus, checkInstance, defaultInstance } from '../bus/index.js';
import { VERSION } from '../version.js';
import { UsageError, describeListenError, parsePort } from './errors.js';
import { LOG_FORMATS, type LogFormat, humanLogDestination } from './human-log.js';
import { schedulingPolicy, setRealtimePriority } from './realtime.js';

/** Commits of a burst at most every 2 ms (docs/storage.md "The durability promise"): a fast scan's events wait ≤ 2 ms longer to be shown. */
const GROUP_COMMIT_MS = 2;

export interface ServeOptions {
  port?: number | string;
  host?: string;
  /** Paths of modules exporting `register(dispatcher)`, loaded beside the engine (in its worker). */
  plans?: string | readonly string[];
  /** Where plans run: `worker` (default: a plan cannot hang or kill the server) or `inprocess`. */
  engine?: EngineKind | string;
  /** Seconds a halt/abort/stop may go unanswered before the engine's worker is terminated. Default 1. */
  engineGrace?: number | string;
  /** Heap limit of the engine's worker in MiB. Default 2048. */
  engineMaxMemory?: number | string;
  /** The worker warms its JIT up on a private plan once loaded, until the first request, and the store's checkpoint thread starts at open (docs/architecture.md, "Warm-up"). Default false here; the CLI's default is on. */
  engineWarmup?: boolean;
  /** pino level; default `LOG_LEVEL` or `info`. */
  logLevel?: string;
  /** `json` lines (default), or `human`: the ready line and warnings only (the CLI's default on a terminal). */
  logFormat?: LogFormat;
  logger?: Logger;
  /** Data directory of the run store; `false`/undefined: no store (the CLI defaults to ./bluesky-data). */
  data?: string | false;
  /** `normal` (default) or `full` (fsync each commit: survives power loss). */
  durability?: string;
  /** Seconds the store keeps events of the log (`--events-max-age`, default 7 days; 0: no limit). Documents are kept for ever. */
  eventsMaxAge?: number | string;
  /** Bytes of events the store keeps (`--events-max-bytes`, default 1 GiB; 0: no limit). */
  eventsMaxBytes?: number | string;
  /** Linux: run every thread of the server at SCHED_FIFO with this priority (1..99); see src/cli/realtime.ts. */
  rtPriority?: number | string;
  /** Most points one standard plan may take (`--max-points`, default 10,000,000); above it validate/start refuse. */
  maxPoints?: number | string;
  /** A device configuration file (YAML or JSON, docs/epics.md): EPICS devices beside the simulated ones. */
  devices?: string;
  /** Refuse to start when a configured device does not connect (default: skip it, with a warning). */
  requireDevices?: boolean;
  /** Require an API key (or the panel's session, or a trusted v1 address) for every request (docs/api.md). */
  auth?: boolean;
  /** Serve a non-loopback address without --auth anyway. */
  insecure?: boolean;
  /** With --auth: the scopes of protocol v1 clients (comma-separated; default read). */
  v1Scopes?: string;
  /** With --auth: where v1 clients may connect from (`loopback` and IP addresses, comma-separated; default loopback). */
  v1Trusted?: string;
  /** With --auth: the key store (default the data directory's, or the --store database's; tests pass a memory one). */
  keys?: KeyStore;
  /** Put a queue item interrupted by a crash or shutdown back at the front (default true; `--no-requeue`). */
  requeue?: boolean;
  // Hardening (docs/security.md).
  /** Browser origins (besides the server's own) allowed to use the server (`--allow-origin`, repeatable). */
  allowOrigin?: string | readonly string[];
  /** Names the Host header may carry besides the bound address and loopback names (`--allow-host`, repeatable). */
  allowHost?: string | readonly string[];
  /** Seconds a v1 connection may go without a request (`--idle-timeout`, default 300; 0: never). */
  idleTimeout?: number | string;
  /** Most open connections (`--max-connections`; default: the descriptor limit less a reserve). */
  maxConnections?: number | string;
  /** A PostgreSQL URL (postgres://USER@HOST:PORT/DB): the run store several servers share, instead of `data`. */
  store?: string;
  /** Publish every committed document and state/progress event on Redis Streams (redis://HOST:PORT); needs the run store. */
  bus?: string;
  /** Approximate most entries kept per stream (XADD MAXLEN ~). Default 100,000. */
  busMaxlen?: number | string;
  /** Most entries waiting for an unreachable Redis before the oldest are dropped (and reported). Default 100,000. */
  busBuffer?: number | string;
  /** This server's name on the bus (`bluesky:INSTANCE:…`); default the host name. */
  instance?: string;
}

export interface Served {
  dispatcher: Dispatcher;
  server: DispatcherServer;
  logger: Logger;
  /** The run store (close it after `dispatcher.stop()`), or null without `data`. */
  store: BaseStore | null;
  /** The queue's store in the same database (close it before the run store), or null without `data` or `store`. */
  queueStore: QueueStore | null;
  /** The Redis Streams bus (close it after `dispatcher.stop()`, before the store), or null without `bus`. */
  bus: RedisBus | null;
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
  const kind = opts.engine ?? 'worker';
  if (kind !== 'worker' && kind !== 'inprocess') throw new UsageError(`--engine must be worker or inprocess, got '${kind}'`);
  const graceSeconds = positive('--engine-grace', opts.engineGrace, 1);
  const maxMemoryMb = positive('--engine-max-memory', opts.engineMaxMemory, 2048);
  const hard = hardening(opts);
  const instance = checkInstance(opts.instance ?? defaultInstance());
  const noData = opts.data === undefined || opts.data === false || opts.data === '';
  if (opts.bus !== undefined && noData && opts.store === undefined) {
    throw new UsageError('--bus publishes what the run store committed: it needs --data or --store (drop --no-data)');
  }
  const plans = opts.plans === undefined ? [] : typeof opts.plans === 'string' ? [opts.plans] : [...opts.plans];
  refuseExposure(opts);
  // Throws StoreError (one line naming the path and the cause): never a silent fallback to memory.
  // PostgreSQL (shared by several servers, each its --instance) when --store is given; SQLite in --data otherwise.
  const pg = opts.store === undefined ? null : await openPostgres(opts.store, { instance });
  let store: BaseStore | null = null;
  let auth: Authenticator | null = null;
  let services: { audit?: AuditLog; lock?: ControlLock } = {};
  let queueStore: QueueStore | null = null;
  let engine: EngineHost | null = null;
  let bus: RedisBus | null = null;
  // A start-up that fails part-way closes everything opened so far, in one order, whatever failed
  // (with --store, the queue's instance claim holds a database connection that must go back before the pool can end).
  const closeAll = async (): Promise<void> => {
    const steps = [() => engine?.close(), () => queueStore?.close(), () => services.audit?.close(), () => services.lock?.close(),
      () => auth?.keys.close(), () => bus?.close(0), () => (store ?? pg)?.close()];
    for (const step of steps) await Promise.resolve().then(step).catch(() => undefined);
  };
  const onAuditError = (e: unknown): void => { logger.error({ err: e }, 'the audit log could not record an operation'); };
  try {
    store = pg !== null ? await BaseStore.over(pg) : noData ? null : SqliteStore.open(opts.data as string, {
      durability, groupCommitMs: GROUP_COMMIT_MS,
      // Part of the warm-up: the checkpoint thread's start-up is not paid inside the first run.
      checkpointThreadAtOpen: opts.engineWarmup === true,
    });
    // Beside the runs, in tables of their own: the keys (the facility's, shared by every instance of a
    // --store database), the queue, the audit log and the control lock (this server's), so all survive restarts.
    auth = authenticator(opts, pg);
    if (pg !== null) {
      // First: a second server with the same --instance is refused before it touches anything.
      queueStore = await PgQueueStore.open(pg.pool, instance, pg.location);
      services = { audit: new PgAuditLog(pg.pool, instance, { onError: onAuditError }), lock: await ControlLock.open(new PgLockStore(pg.pool, instance)) };
    } else if (store instanceof SqliteStore) {
      services = { audit: new SqliteAuditLog(store.path, { durability, onError: onAuditError }), lock: await ControlLock.open(new SqliteLockStore(store.path, { durability })) };
      // The queue: its own tables and connection in the run store's database file.
      queueStore = SqliteQueueStore.open(opts.data as string, { durability });
    }
  } catch (e) {
    await closeAll();
    throw e;
  }
  // Devices, plans and the engine live in the host (a worker thread by default): only data reaches this thread.
  engine = createEngineHost({
    kind, simulatedDevices: true, standardPlans: true, plans, graceSeconds, maxMemoryMb, warmUp: opts.engineWarmup === true,
    ...(maxPoints === undefined ? {} : { maxPoints }),
    ...(opts.devices === undefined ? {} : { devicesFile: opts.devices, requireDevices: opts.requireDevices === true }),
    onNotice: (message, fields) => logger.warn(fields, message),
  });
  // Attached before the dispatcher starts: crash recovery's stop documents are published too.
  try {
    bus = opts.bus === undefined ? null : await RedisBus.create({
      url: opts.bus, instance, logger,
      ...(opts.busMaxlen === undefined ? {} : { maxlen: wholeNumber('--bus-maxlen', opts.busMaxlen) }),
      ...(opts.busBuffer === undefined ? {} : { bufferEntries: wholeNumber('--bus-buffer', opts.busBuffer) }),
    });
  } catch (e) {
    await closeAll();
    throw e;
  }
  if (bus !== null && store !== null) bus.attach(store);
  const dispatcher = createDispatcher({
    engine,
    server: {
      port, host: opts.host ?? '127.0.0.1', logger, ...(store === null ? {} : { store }), ...services, ...(auth === null ? {} : { auth }), ...hard,
      retention: { seconds: nonNegative('--events-max-age', opts.eventsMaxAge, 7 * 24 * 3600), bytes: nonNegative('--events-max-bytes', opts.eventsMaxBytes, 1024 ** 3) },
      queue: { requeue: opts.requeue !== false, ...(queueStore === null ? {} : { store: queueStore }) },
    },
    onError: (message, error) => logger.error({ err: error }, message),
  });
  try {
    logLoaded(await dispatcher.open(), opts.devices, logger);
    await dispatcher.start();
  } catch (e) {
    await closeAll();
    throw e;
  }
  const server = serverOf(dispatcher);
  if (server === null) throw new Error('internal: the dispatcher has no server');
  if (bus !== null) server.addHealth('bus', () => bus.health());
  if (opts.rtPriority !== undefined) {
    // Not fatal: the server works without it, only its latency tail on a busy host is longer.
    const why = setRealtimePriority(Number(opts.rtPriority));
    if (why === null) logger.info({ priority: Number(opts.rtPriority), policy: schedulingPolicy() }, 'real-time scheduling on');
    else logger.warn({ priority: opts.rtPriority, reason: why }, 'real-time scheduling not set; running at normal priority');
  }
  if (store !== null) logger.info({ store: store.location, ...(opts.store === undefined ? { durability } : { instance }), seq: store.latestSeq() }, 'run store open');
  return { dispatcher, server, logger, store, queueStore, bus };
}

/** What the host loaded: users' plans and their hash, configured devices and those skipped. */
function logLoaded(catalog: Catalog, devicesFile: string | undefined, logger: Logger): void {
  if (catalog.planModules.length > 0) logger.info({ files: catalog.planModules, plans_sha256: catalog.plansSha256 }, 'loaded user plans');
  for (const p of catalog.deviceProblems) logger.warn({ device: p.device, class: p.class, code: p.code }, `device ${p.device} not connected, skipped: ${p.message}`);
  if (devicesFile !== undefined) {
    logger.info({ file: devicesFile, devices: catalog.configuredDevices, skipped: catalog.deviceProblems.map((p) => p.device) }, 'EPICS devices');
  }
}

/** A non-loopback address without --auth or --insecure is refused: anyone who reaches the port would control the beamline. */
function refuseExposure(opts: ServeOptions): void {
  const host = opts.host ?? '127.0.0.1';
  if (opts.auth !== true && opts.insecure !== true && !isLoopbackAddress(host)) {
    throw new UsageError(`refusing to serve ${host} without --auth: anyone who can reach it could control the beamline (add --auth and create keys with 'bluesky-dispatcher keys create NAME --scopes read,control', or --insecure to accept that)`);
  }
}

/** `--auth` and its v1 options as an Authenticator (null without --auth); the keys are `pg`'s (--store) or the data directory's. */
function authenticator(opts: ServeOptions, pg: PostgresBackend | null): Authenticator | null {
  if (opts.auth !== true) return null;
  let keys = opts.keys;
  if (keys === undefined && pg !== null) keys = new PgKeyStore(pg.pool, pg.location);
  if (keys === undefined) {
    if (opts.data === undefined || opts.data === false || opts.data === '') throw new UsageError('--auth needs a data directory or a --store database (the keys live there): drop --no-data, give --data DIR or --store postgres://…');
    try { keys = SqliteKeyStore.open(opts.data, { server: true, durability: opts.durability === 'full' ? 'full' : 'normal' }); } catch (e) { throw new UsageError((e as Error).message); }
  }
  let v1Scopes: Scope[];
  let v1Trusted: string[];
  try {
    v1Scopes = opts.v1Scopes === undefined ? ['read'] : opts.v1Scopes === '' || opts.v1Scopes === 'none' ? [] : parseScopes(opts.v1Scopes);
    v1Trusted = opts.v1Trusted === undefined ? ['loopback'] : parseTrusted(opts.v1Trusted);
  } catch (e) { throw new UsageError(`--v1-scopes/--v1-trusted: ${(e as Error).message}`); }
  return new Authenticator({ keys, v1Scopes, v1Trusted });
}

/** Only this machine can reach it. */
function isLoopbackAddress(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || h.startsWith('127.');
}

/** The hardening flags as server options (docs/security.md); throws UsageError on a bad value. */
function hardening(opts: ServeOptions): Pick<ServerOptions, 'allowOrigins' | 'allowHosts' | 'idleTimeout' | 'maxConnections'> {
  const list = (v: string | readonly string[] | undefined): string[] => (v === undefined ? [] : typeof v === 'string' ? [v] : [...v]);
  const origins = list(opts.allowOrigin);
  for (const o of origins) if (normalizeOrigin(o) === null) throw new UsageError(`--allow-origin must be an http(s) URL such as http://panel.example:8080, got '${o}'`);
  const idle = opts.idleTimeout === undefined ? 300 : Number(opts.idleTimeout);
  if (!Number.isFinite(idle) || idle < 0) throw new UsageError(`--idle-timeout must be a number of seconds >= 0 (0: never), got '${String(opts.idleTimeout)}'`);
  const max = opts.maxConnections === undefined ? undefined : Number(opts.maxConnections);
  if (max !== undefined && (!Number.isSafeInteger(max) || max < 1)) throw new UsageError(`--max-connections must be a whole number >= 1, got '${String(opts.maxConnections)}'`);
  return { allowOrigins: origins, allowHosts: list(opts.allowHost), idleTimeout: idle, ...(max === undefined ? {} : { maxConnections: max }) };
}

function positive(option: string, value: number | string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${option} must be a positive number, got '${String(value)}'`);
  return n;
}

function wholeNumber(option: string, value: number | string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`${option} must be a whole number >= 1, got '${String(value)}'`);
  return n;
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
    // The host's load errors arrive as data from its thread: known by name.
    const name = (e as { name?: unknown }).name;
    const code = (e as { code?: unknown }).code;
    const line = e instanceof StoreError || e instanceof BusError || (name === 'EpicsError' && typeof code === 'string') ? `${(e as Error).message} (${String(code)})`
      : e instanceof UsageError || name === 'PlanModuleError' ? (e as Error).message.split('\n')[0] ?? ''
        : describeListenError(e, opts.host ?? '127.0.0.1', Number(opts.port ?? 8765));
    if (line === null) throw e;
    process.stderr.write(`bluesky-dispatcher serve: ${line}\n`);
    process.exit(2);
  }
  const { dispatcher, server, logger, store, queueStore, bus } = served;
  logger.info({ url: server.url, panel: server.url.replace(/^ws/, 'http'), v2: `${server.url}v2`, version: VERSION, data: store?.location ?? null, scans: dispatcher.scanNames, ...(bus === null ? {} : { bus: bus.keys }) }, 'ready');
  const signal = await new Promise<NodeJS.Signals>((done) => {
    process.once('SIGINT', () => done('SIGINT'));
    process.once('SIGTERM', () => done('SIGTERM'));
  });
  await dispatcher.stop(`server received ${signal}`);
  await queueStore?.close();
  await bus?.close();
  await store?.close().catch((e: unknown) => { logger.error({ err: e }, 'closing the run store failed'); });
  logger.flush();
  process.exit(0);
}

/** Add `serve` to a commander program (the lead's CLI main). */
export function addServeCommand(program: Command): Command {
  return program.command('serve')
    .description('Run the websocket dispatcher (protocol v1, the Python bluesky dispatcher\'s) on simulated devices')
    .option('-p, --port <port>', 'port to listen on', '8765')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--plans <file>', 'module exporting register(dispatcher) to add your own scans (.ts, .js, .mjs; repeatable)', (f: string, all: string[]) => [...all, f], [] as string[])
    .option('--engine <kind>', 'where plans run: worker (isolated: a stuck plan is ended) | inprocess', 'worker')
    .option('--engine-grace <seconds>', 'how long a halt, abort or stop may go unanswered before the engine\'s worker is terminated', '1')
    .option('--engine-max-memory <MiB>', 'heap limit of the engine\'s worker; a plan that needs more is ended', '2048')
    .option('--no-engine-warmup', 'skip the warm-up at start: the worker\'s private runs and the store\'s checkpoint thread (they make the first plan as fast as later ones)')
    .option('--log-level <level>', 'fatal | error | warn | info | debug | trace | silent')
    .option('--data <dir>', 'data directory of the run store (documents, run index, v2 event log)', DEFAULT_DATA_DIR)
    .option('--no-data', 'keep nothing on disk (no run store, v2 seq restarts at 1)')
    .option('--events-max-age <seconds>', 'how long the store keeps events of the log (states, progress, log lines; documents are kept for ever); 0: no limit', String(7 * 24 * 3600))
    .option('--events-max-bytes <bytes>', 'most bytes of events the store keeps; 0: no limit', String(1024 ** 3))
    .option('--durability <level>', 'normal (a killed process loses nothing published) | full (also survives power loss)', 'normal')
    .option('--max-points <n>', 'most points (events) one standard plan may take; larger requests are refused', '10000000')
    .option('--devices <file>', 'EPICS devices to add (YAML or JSON; see docs/epics.md)')
    .option('--require-devices', 'exit if a configured device does not connect (default: skip it with a warning)')
    .option('--no-requeue', 'leave a queue item interrupted by a crash in the history only (default: also back at the front of the queue)')
    .option('--rt-priority <n>', 'Linux: run the server at real-time priority n (SCHED_FIFO 1..99; needs CAP_SYS_NICE) for a short latency tail on a shared host')
    .option('--auth', 'require an API key for every request (keys: bluesky-dispatcher keys create); see docs/api.md')
    .option('--insecure', 'serve a non-loopback --host without --auth (anyone who reaches the port controls the beamline)')
    .option('--v1-scopes <scopes>', 'with --auth: what protocol v1 clients (which cannot send a key) may do: read, control, ... or none', 'read')
    .option('--v1-trusted <addresses>', 'with --auth: where protocol v1 clients may connect from: loopback and IP addresses, comma-separated', 'loopback')
    .option('--allow-origin <url>', 'a web page origin (besides this server\'s own) allowed to open websockets and call HTTP routes, e.g. http://panel.example:8080 (repeatable; docs/security.md)', (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--allow-host <name>', 'a name the Host header may carry besides the bound address and, on loopback, localhost (repeatable; e.g. behind a proxy)', (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--idle-timeout <seconds>', 'close v1 connections that send no request for this long (subscribers exempt; 0: never)', '300')
    .option('--max-connections <n>', 'most open connections; beyond it new ones get 503 (default: the file-descriptor limit less 128)')
    .option('--store <url>', 'keep runs in PostgreSQL (postgres://USER@HOST:PORT/DB), shared by several servers, instead of --data (see docs/scale-out.md)')
    .option('--bus <url>', 'publish every committed document and state/progress event on Redis Streams (redis://HOST:PORT; see docs/scale-out.md)')
    .option('--bus-maxlen <n>', 'approximate most entries kept per Redis stream', '100000')
    .option('--bus-buffer <n>', 'most entries waiting while Redis is unreachable (then the oldest are dropped and reported)', '100000')
    .option('--instance <name>', 'this server\'s name on the bus (bluesky:NAME:documents) and in a shared --store; default the host name')
    .option('--log-format <format>', 'human (one ready line, then warnings; the default on a terminal) | json (pino lines; the default otherwise)')
    .action(async (o: { port: string; host: string; plans: string[]; engine: string; engineGrace: string; engineMaxMemory: string; engineWarmup: boolean; logLevel?: string; logFormat?: string; data: string | false; durability: string; eventsMaxAge: string; eventsMaxBytes: string; rtPriority?: string; maxPoints: string; devices?: string; requireDevices?: boolean; auth?: boolean; insecure?: boolean; v1Scopes: string; v1Trusted: string; requeue: boolean ; allowOrigin: string[]; allowHost: string[]; idleTimeout: string; maxConnections?: string; bus?: string; busMaxlen: string; busBuffer: string; instance?: string; store?: string }) => {
      const logFormat = o.logFormat ?? (process.stderr.isTTY ? 'human' : 'json');
      if (!(LOG_FORMATS as readonly string[]).includes(logFormat)) throw new UsageError(`--log-format must be human or json, got '${logFormat}'`);
      if (o.durability !== 'normal' && o.durability !== 'full') throw new UsageError(`--durability must be normal or full, got '${o.durability}'`);
      if (!Number.isSafeInteger(Number(o.maxPoints)) || Number(o.maxPoints) < 1) throw new UsageError(`--max-points must be a whole number >= 1, got '${o.maxPoints}'`);
      await serveCommand({
        port: parsePort(o.port), host: o.host, data: o.data, durability: o.durability, maxPoints: o.maxPoints,
        eventsMaxAge: o.eventsMaxAge, eventsMaxBytes: o.eventsMaxBytes, logFormat: logFormat as LogFormat,
        plans: o.plans, engine: o.engine, engineGrace: o.engineGrace, engineMaxMemory: o.engineMaxMemory, engineWarmup: o.engineWarmup, requeue: o.requeue,
        ...(o.devices === undefined ? {} : { devices: o.devices, requireDevices: o.requireDevices === true }),
        ...(o.rtPriority === undefined ? {} : { rtPriority: o.rtPriority }),
        ...(o.bus === undefined ? {} : { bus: o.bus, busMaxlen: o.busMaxlen, busBuffer: o.busBuffer }),
        ...(o.instance === undefined ? {} : { instance: o.instance }),
        ...(o.store === undefined ? {} : { store: o.store }),
        ...(o.logLevel === undefined ? {} : { logLevel: o.logLevel }),
        auth: o.auth === true, insecure: o.insecure === true, v1Scopes: o.v1Scopes, v1Trusted: o.v1Trusted,
        allowOrigin: o.allowOrigin, allowHost: o.allowHost, idleTimeout: o.idleTimeout,
        ...(o.maxConnections === undefined ? {} : { maxConnections: o.maxConnections }),
      });
    });
}

/** A non-negative whole number option (0 lifts the limit), or the default. */
function nonNegative(flag: string, v: number | string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new UsageError(`${flag} must be a whole number >= 0, got '${String(v)}'`);
  return n;
}
