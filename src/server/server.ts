/**
 * The websocket + HTTP plumbing: node:http with `ws` upgrades on `/` speaking
 * protocol v1, `GET /healthz`, per-connection logging, and a graceful stop
 * (abort the run with a reason, wait for its stop document, close with 1001).
 * @module
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { within } from '../model/index.js';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import type { Dispatcher, DispatcherHost } from '../dispatcher/index.js';
import type { HostHealth } from '../host/index.js';
import { V1Session } from '../protocol/v1/index.js';
import { type Logger, createLogger } from './logger.js';
import type { BaseStore } from '../store/index.js';
import { type QueueStore, QueueScheduler, attachQueue, detachQueue } from '../queue/index.js';
import { V2Endpoint, type V2Options } from './v2-endpoint.js';
import { Journal } from './journal.js';
import { type AuditLog, MemoryAuditLog, RefusalLog } from '../audit/index.js';
import { ControlLock } from '../lock/index.js';
import { ANONYMOUS, type Caller, type OpError } from '../ops/index.js';
import type { SessionAccess } from '../protocol/v2/session.js';
import { WebAssets, sendJson, serveExport } from './web-routes.js';
import type { HttpApi } from '../http/index.js';
import type { Authenticator } from '../auth/index.js';
import { type Refusal, checkFrontDoor, exposureWarning, isWildcard, localNames } from './front-door.js';
import { type ConnectionLimits, connectionLimits } from './connection-limits.js';
import { WarnLimiter } from './warn-limiter.js';
import { textFrame } from './ws-frame.js';

export interface ServerOptions {
  /** Default 8765, the seed's port; 0 picks a free one. */
  port?: number;
  /** Default 127.0.0.1: the seed bound 0.0.0.0 without authentication. */
  host?: string;
  logger?: Logger;
  /** A subscriber whose unsent backlog exceeds this is cut off (1008) to protect the server. Default 64 MiB. */
  maxBufferedBytes?: number;
  /** Longest wait, in seconds, for the running plan's stop document at shutdown. Default 30. */
  shutdownTimeout?: number;
  /** Protocol v2 (`/v2`): event-log size, per-connection buffer, heartbeat. */
  v2?: V2Options;
  /**
   * The durable run store: every document and v2 event is committed to it before
   * anyone sees it, interrupted runs are closed at `start()`, and v2 gets `runs.*`.
   * The caller owns it (closes it after `stop()`).
   */
  store?: BaseStore;
  /** Retention of the store's event log (documents are kept for ever): age in seconds (default 7 days) and size in bytes (default 1 GiB); 0 lifts a limit. */
  retention?: { readonly seconds?: number; readonly bytes?: number };
  /** Folder of the built web panel served at `/` (default dist-web/ of this package). */
  webRoot?: string;
  /** Where operations that change something are recorded (default: in memory, bounded). The server closes it at `stop()`. */
  audit?: AuditLog;
  /** The control lock (default: in memory, gone at exit). The server closes it at `stop()`. */
  lock?: ControlLock;
  /** `serve --auth`: who may do what (API keys, panel sessions, v1 by address); absent: anyone, every scope. */
  auth?: Authenticator;
  /**
   * The plan queue: where it is kept (default memory; `serve` keeps it in the data
   * directory's database) and whether an item interrupted by a crash or a shutdown
   * is put back at the front (default true; `serve --no-requeue`). The caller closes the store.
   */
  queue?: { store?: QueueStore; requeue?: boolean };
  // Hardening (docs/security.md).
  /** Browser origins besides the server's own allowed to open websockets and call HTTP routes (`--allow-origin`). */
  allowOrigins?: readonly string[];
  /** Names the `Host` header may carry besides the bound address and, on loopback, localhost (`--allow-host`). */
  allowHosts?: readonly string[];
  /** Seconds a v1 connection may go without a request before it is closed (subscribers exempt). Default 300; 0: never. */
  idleTimeout?: number;
  /** Most open connections; beyond it new ones are refused (503). Default: the descriptor limit less a reserve. */
  maxConnections?: number;
}

/** Close code of a v1 connection idle longer than the idle timeout (4000-4999: private use; 408 as in HTTP's Request Timeout). */
export const CLOSE_IDLE = 4408;

/** Going away: the close code sent to every client at shutdown. */
export const CLOSE_GOING_AWAY = 1001;

export class DispatcherServer implements DispatcherHost {
  readonly #dispatcher: Dispatcher;
  readonly #opts: Required<Omit<ServerOptions, 'logger' | 'v2' | 'store' | 'webRoot' | 'audit' | 'lock' | 'auth' | 'retention' | 'queue' | 'allowOrigins' | 'allowHosts' | 'idleTimeout' | 'maxConnections'>>;
  readonly #store: BaseStore | null;
  readonly #v2: V2Endpoint;
  readonly #journal: Journal;
  #storeRetry: NodeJS.Timeout | null = null;
  readonly #log: Logger;
  readonly #http: Server;
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: 1 << 20 });
  readonly #clients = new Set<WebSocket>();
  #startedAt = 0;
  #stopping: Promise<void> | null = null;
  #nextConn = 1;
  readonly #web: WebAssets;
  readonly #services: { audit: AuditLog; lock: ControlLock };
  /** Attempts refused before any operation (no key, a wrong one, another origin), into the audit log. */
  readonly #refusals: RefusalLog;
  #api: HttpApi | null = null;
  /** The HTTP API's path-to-operation rule (`/api/runs/list` → `runs.list`), loaded with it. */
  #opNameOf: ((path: string) => string) | null = null;
  readonly #auth: Authenticator | null;
  readonly #queue: QueueScheduler;
  readonly #requeue: boolean;
  readonly #warn: WarnLimiter;
  readonly #limits: ConnectionLimits;
  readonly #allowOrigins: readonly string[];
  readonly #allowHosts: readonly string[];
  /** v1 connections not subscribed, with when they last sent a request (performance.now()). */
  readonly #idle = new Map<WebSocket, number>();
  readonly #idleMs: number;
  #idleTimer: NodeJS.Timeout | null = null;
  /** Extra sections of /healthz (e.g. `bus`), added by what serve wires beside the server. */
  readonly #health = new Map<string, () => unknown>();

  constructor(dispatcher: Dispatcher, options: ServerOptions = {}) {
    this.#dispatcher = dispatcher;
    this.#opts = {
      port: options.port ?? 8765, host: options.host ?? '127.0.0.1',
      maxBufferedBytes: options.maxBufferedBytes ?? 64 * 1024 * 1024, shutdownTimeout: options.shutdownTimeout ?? 30,
    };
    this.#log = options.logger ?? createLogger();
    this.#store = options.store ?? null;
    // The store is the dispatcher's write-ahead subscriber (through the journal); v2 only reads it.
    this.#journal = new Journal(dispatcher, {
      store: this.#store, logger: this.#log,
      ...(options.retention?.seconds === undefined ? {} : { retainSeconds: options.retention.seconds }),
      ...(options.retention?.bytes === undefined ? {} : { retainBytes: options.retention.bytes }),
      ...(options.v2?.logMaxEvents === undefined ? {} : { maxEvents: options.v2.logMaxEvents }),
      ...(options.v2?.logMaxBytes === undefined ? {} : { maxBytes: options.v2.logMaxBytes }),
    });
    this.#v2 = new V2Endpoint(dispatcher, this.#log, { ...options.v2, journal: this.#journal });
    this.#services = { audit: options.audit ?? new MemoryAuditLog(), lock: options.lock ?? new ControlLock() };
    this.#refusals = new RefusalLog(this.#services.audit);
    this.#v2.hub.services = this.#services;
    if (this.#store !== null) {
      // A run must not go on unrecorded: when a commit fails, say so and abort the plan
      // (the store refuses further writes, so nothing is published that is not stored).
      this.#store.onError((e) => {
        // Logged with its code: the log line is also the event v2 subscribers get (unstored, in the same stream).
        this.#log.error({ code: 'store_failed', err: e, store: this.#store?.location }, 'run storage failed; aborting the running plan');
        if (dispatcher.state !== 'idle') void dispatcher.requestAbort(`run storage failed: ${e.message}`);
        this.#retryStore();
      });
    }
    this.#requeue = options.queue?.requeue ?? true;
    this.#queue = new QueueScheduler(dispatcher, {
      ...(options.queue?.store === undefined ? {} : { store: options.queue.store }),
      onError: (message, e) => this.#log.error({ err: e }, message),
    });
    // Every queue and history change is an event of the v2 stream (seq'd, replayable, stored).
    this.#queue.onChange((change) => this.#journal.append('queue', change));
    attachQueue(this.#queue);
    this.#web = new WebAssets(options.webRoot);
    this.#auth = options.auth ?? null;
    this.#warn = new WarnLimiter(this.#log);
    this.#allowOrigins = options.allowOrigins ?? [];
    this.#allowHosts = [...(options.allowHosts ?? []), ...(isWildcard(this.#opts.host) ? localNames() : [])];
    this.#idleMs = (options.idleTimeout ?? 300) * 1000;
    this.#limits = connectionLimits(options.maxConnections);
    this.#http = createServer((req, res) => this.#onHttp(req, res));
    this.#http.on('upgrade', (req, socket, head) => this.#onUpgrade(req, socket, head));
    this.#http.on('clientError', (err, socket) => { answerClientError(err, socket); });
    // A hard stop a little above the limit, where node drops accepted sockets unanswered (logged): the
    // descriptors the 503s need stay free. Connections that never send a request end at headersTimeout.
    this.#http.maxConnections = this.#limits.max + 64;
    this.#http.on('drop', (d?: { remoteAddress?: string }) => this.#warn.warn('server', { peer: d?.remoteAddress, max: this.#limits.max }, 'connection dropped: far over the connection limit'));
    this.#http.on('connection', (socket: Duplex) => {
      this.#limits.opened();
      socket.once('close', () => this.#limits.closed());
    });
  }

  /** The bound port (after `start()`). */
  get port(): number { return (this.#http.address() as AddressInfo | null)?.port ?? this.#opts.port; }
  get url(): string { return `ws://${this.#opts.host.includes(':') ? `[${this.#opts.host}]` : this.#opts.host}:${String(this.port)}/`; }
  get clientCount(): number { return this.#clients.size; }
  /** The protocol v2 endpoint (its hub holds the event log). */
  get v2(): V2Endpoint { return this.#v2; }

  /** The audit log and the control lock the operations use. */
  get services(): { audit: AuditLog; lock: ControlLock } { return this.#services; }
  /** The HTTP API (after `start()`; its fastify instance answers `inject()` in tests). */
  get api(): HttpApi {
    if (this.#api === null) throw new Error('the HTTP API exists once the server has started');
    return this.#api;
  }
  /** The plan queue's scheduler. */
  get queue(): QueueScheduler { return this.#queue; }
  /** Add a section to /healthz: `name: fn()` on every request. */
  addHealth(name: string, fn: () => unknown): void { this.#health.set(name, fn); }

  /** The run store, if the server has one. */
  get store(): BaseStore | null { return this.#store; }

  /** Load the engine's plans and devices, close interrupted runs (if there is a store), then listen; resolves once bound. */
  async start(): Promise<void> {
    await this.#dispatcher.open();
    if (this.#store !== null) {
      // scan_id continues after a restart, like bluesky's persistent RE.md.
      await this.#dispatcher.setScanId(this.#store.lastScanId());
      const stops = await this.#store.recoverInterrupted((name, doc) => this.#log.warn({ name, run_start: (doc as { run_start?: unknown }).run_start }, 'closed an interrupted run'));
      if (stops.length > 0) this.#log.info({ runs: stops.length, store: this.#store.location }, 'crash recovery done');
      this.#journal.prune();
    }
    // The HTTP API (src/http): fastify routes every request under /api/, the export included (it stays
    // here). Imported here, not above: the CLI's client commands load this module and never serve.
    const { HttpApi, opNameOf } = await import('../http/index.js');
    this.#opNameOf = opNameOf;
    this.#api = new HttpApi({
      hub: this.#v2.hub, serverId: this.#v2.serverId, limits: this.#v2.limits, logger: this.#log,
      exportRun: (req, res) => {
        const path = (req.url ?? '').split('?')[0] ?? '';
        // The reply is the route's own (hijacked): whatever the path, it is answered.
        if (!serveExport(res, path, this.#store)) sendJson(res, 404, { code: 'unknown_op', message: `no run export at ${clip(path)}`, details: [] });
      },
      ...(this.#auth === null ? {} : authHooks(this.#auth)),
      refused: (r) => this.#refusals.record(r),
    });
    await this.#api.ready();
    // An item that was running when the server died: history (interrupted), requeued, the queue stopped.
    await this.#queue.load();
    const store = this.#store;
    const interrupted = await this.#queue.recover({
      requeue: this.#requeue,
      runInfo: async (uid) => {
        const run = await store?.getRun(uid);
        return run === undefined ? undefined : { uid, exit_status: run.exitStatus, reason: run.reason };
      },
    });
    if (interrupted !== null) this.#log.warn({ item_uid: interrupted.item.item_uid, plan: interrupted.item.item_type === 'plan' ? interrupted.item.plan : null, requeued: this.#requeue }, 'a queue item was interrupted by the last shutdown');
    return new Promise((resolve, reject) => {
      this.#http.once('error', reject);
      this.#http.listen(this.#opts.port, this.#opts.host, () => {
        this.#http.off('error', reject);
        // After listening, an accept can still fail (EMFILE: out of descriptors): say so, never crash.
        this.#http.on('error', (e) => this.#warn.warn('server', { err: e }, 'the server could not accept a connection'));
        this.#startedAt = performance.now();
        this.#v2.start();
        this.#startIdleSweep();
        this.#log.info({ url: this.url, version: this.#dispatcher.version, max_connections: this.#limits.max }, 'dispatcher listening');
        const exposed = exposureWarning(this.#opts.host);
        if (exposed !== null) this.#log.warn({ host: this.#opts.host, port: this.port }, exposed);
        resolve();
      });
    });
  }

  /** Abort a running plan with `reason`, wait for its stop document, close clients with 1001. Idempotent. */
  stop(reason = 'server shutting down'): Promise<void> {
    this.#stopping ??= this.#shutdown(reason);
    return this.#stopping;
  }

  async #shutdown(reason: string): Promise<void> {
    this.#log.info({ reason, state: this.#dispatcher.state }, 'shutting down');
    const closed = new Promise<void>((resolve) => this.#http.close(() => resolve()));
    this.#queue.beginShutdown(reason, this.#requeue);
    const timedOut = await withTimeout(this.#dispatcher.shutdown(reason), this.#opts.shutdownTimeout);
    if (timedOut) this.#log.warn({ seconds: this.#opts.shutdownTimeout }, 'the scan did not end in time; closing anyway');
    // The aborted item's end (interrupted, requeued) is written before the queue's store is closed.
    await this.#queue.settled();
    // The run's last documents reach the clients before the close: commit them, then give the
    // v2 pumps (woken by the commit, run on the next turn) their turn; the close frame follows.
    await this.#commit();
    await nextTurn();
    await nextTurn();
    if (this.#idleTimer !== null) clearInterval(this.#idleTimer);
    await Promise.all([...this.#clients].map((ws) => closeClient(ws, 'server shutting down')));
    this.#queue.dispose();
    detachQueue(this.#queue);
    this.#v2.stop();
    await this.#api?.close();
    this.#warn.stop();
    this.#http.closeAllConnections();
    await closed;
    this.#stopRetry();
    await this.#commit();
    this.#journal.dispose();
    await this.#services.audit.close().catch((e: unknown) => { this.#log.error({ err: e }, 'closing the audit log failed'); });
    await this.#services.lock.close().catch((e: unknown) => { this.#log.error({ err: e }, 'closing the control lock failed'); });
    this.#log.info('stopped');
  }

  /** While the store is failed: try to reopen it every second once no plan runs (the operator may have freed the disk). */
  #retryStore(): void {
    if (this.#storeRetry !== null) return;
    this.#storeRetry = setInterval(() => {
      const store = this.#store;
      if (store === null || store.failure === null) { this.#stopRetry(); return; }
      if (this.#dispatcher.busy || this.#stopping !== null) return;
      store.recover().then(() => {
        this.#stopRetry();
        this.#log.info({ store: store.location }, 'run storage works again');
      }, () => { /* still failing: /healthz and start say why */ });
    }, 1000);
    this.#storeRetry.unref();
  }

  #stopRetry(): void {
    if (this.#storeRetry !== null) clearInterval(this.#storeRetry);
    this.#storeRetry = null;
  }

  /** Everything journalled so far committed (a failed store has already said why: shutdown goes on). */
  async #commit(): Promise<void> {
    await this.#store?.commit().catch(() => undefined);
  }

  /** Every HTTP request: the front door, then the routes, inside an error boundary (a bad request is a 4xx, a bug a 500, never a crash). */
  #onHttp(req: IncomingMessage, res: ServerResponse): void {
    try {
      const refused = this.#refusal(req);
      if (refused !== null) {
        // A request from another page (or for another host) that would change something is an attempt to record.
        if (refused.status !== 503 && req.method !== 'GET' && req.method !== 'HEAD') {
          const path = clip((req.url ?? '/').split('?')[0] ?? '/');
          this.#refusedAtDoor(req, refused, 'http', path.startsWith('/api/') && this.#opNameOf !== null ? this.#opNameOf(path) : `${req.method ?? '?'} ${path}`);
        }
        if (refused.status === 503) res.setHeader('connection', 'close'); // frees the descriptor at once
        sendJson(res, refused.status, { code: refused.code, message: refused.message, details: [] });
        return;
      }
      // Malformed percent-encoding is refused here, once for every route (fastify's /api/ included).
      if (!wellEncoded(req.url ?? '/')) { sendJson(res, 400, { code: 'bad_request', message: 'the request path is not valid percent-encoding (URIError)', details: [] }); return; }
      const origin = req.headers.origin;
      // A listed origin's page may read our answers (CORS); the server's own pages need no header.
      if (origin !== undefined && this.#allowOrigins.length > 0) { res.setHeader('access-control-allow-origin', origin); res.setHeader('vary', 'Origin'); }
      // A listed origin's preflight (the front door refused any other): a JSON POST or a request with
      // Authorization is not "simple", so the browser asks first and sends nothing without this answer.
      if (req.method === 'OPTIONS' && origin !== undefined && this.#allowOrigins.length > 0 && req.headers['access-control-request-method'] !== undefined) {
        res.writeHead(204, {
          'access-control-allow-methods': 'GET, POST',
          'access-control-allow-headers': 'authorization, content-type, last-event-id',
          'access-control-max-age': '600',
        });
        res.end();
        return;
      }
      const done = this.#route(req, res) as unknown;
      if (done instanceof Promise) done.catch((e: unknown) => this.#httpFailed(req, res, e));
    } catch (e) {
      this.#httpFailed(req, res, e);
    }
  }

  #httpFailed(req: IncomingMessage, res: ServerResponse, e: unknown): void {
    const bad = e instanceof URIError;
    if (bad) this.#warn.warn(req.socket.remoteAddress, { method: req.method, url: req.url?.slice(0, 200) }, 'malformed HTTP request');
    else this.#log.error({ err: e, method: req.method, url: req.url?.slice(0, 200) }, 'HTTP handler failed');
    if (res.headersSent) { res.destroy(); return; }
    sendJson(res, bad ? 400 : 500, bad ? { code: 'bad_request', message: `malformed request: ${(e as Error).message}`, details: [] }
      : { code: 'internal', message: 'the server failed to answer this request (logged)', details: [] });
  }

  /** A request or upgrade the front door refused, into the audit log (src/audit/refusals.ts). */
  #refusedAtDoor(req: IncomingMessage, refused: Refusal, protocol: string, op: string): void {
    const address = addressOf(req);
    const who = refused.code === 'bad_origin' ? `origin ${clip(req.headers.origin ?? '?')} from ${address}` : `host ${clip(req.headers.host ?? '?')} from ${address}`;
    this.#refusals.record({ address, who, protocol, op, params: {}, outcome: refused.code, message: refused.message });
  }

  /** The front door's verdict (docs/security.md), or 503 when the server is at its connection limit; refusals are logged, rate-limited per client. */
  #refusal(req: IncomingMessage): Refusal | { status: 503; code: 'too_many_connections'; message: string } | null {
    const refused = checkFrontDoor(
      { method: req.method ?? 'GET', host: req.headers.host, origin: req.headers.origin },
      { boundAddress: this.#opts.host, boundPort: this.port, allowHosts: this.#allowHosts, allowOrigins: this.#allowOrigins },
    );
    if (refused !== null) {
      this.#warn.warn(req.socket.remoteAddress, { method: req.method, url: req.url?.slice(0, 200), host: req.headers.host, origin: req.headers.origin, status: refused.status }, `refused: ${refused.code}`);
      return refused;
    }
    if (this.#limits.full()) {
      this.#warn.warn('server', { open: this.#limits.open, max: this.#limits.max }, 'connection limit reached; refusing new connections (503)');
      return { status: 503, code: 'too_many_connections', message: `the server has ${String(this.#limits.open)} open connections, its limit (--max-connections ${String(this.#limits.max)}); try again later` };
    }
    if (this.#limits.near()) this.#warn.warn('server', { open: this.#limits.open, max: this.#limits.max }, 'near the connection limit');
    return null;
  }

  #route(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/healthz') {
      const d = this.#dispatcher;
      const snap = d.snapshot();
      const failure = this.#store?.failure ?? null;
      // A server that cannot record runs is not healthy: 503, with the reason, until the store works again.
      sendJson(res, failure === null ? 200 : 503, {
        status: failure === null ? 'ok' : 'store_failed', version: d.version,
        ...(this.#store === null ? {} : { store: { location: this.#store.location, ok: failure === null, error: failure?.message ?? null } }), state: snap.state, busy: snap.busy, plan_name: snap.info.planName,
        uptime_s: Math.round(performance.now() - this.#startedAt) / 1000, clients: this.#clients.size,
        engine: engineHealth(d.engineHealth()),
        ...Object.fromEntries([...this.#health].map(([name, fn]) => [name, fn()])),
      });
      return;
    }
    // The HTTP API (fastify) behind the same front door and boundary (#onHttp) as every other route.
    if (this.#api !== null && (path === '/api' || path?.startsWith('/api/') === true)) { this.#api.handle(req, res); return; }
    if (path === '/v2') { sendJson(res, 426, { error: 'Upgrade Required: this is a websocket endpoint (protocol v2)' }); return; }
    if (req.method === 'GET' || req.method === 'HEAD') {
      // The web panel at `/` (websocket upgrades on `/` are protocol v1 and never get here).
      if (this.#web.serve(req, res, path ?? '/')) return;
      if (serveExport(res, path ?? '', this.#store, (e) => this.#log.error({ err: e, path }, 'export failed'))) return;
    }
    sendJson(res, 404, { error: `no such path: ${path ?? ''}` });
  }

  #onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => { /* a reset before the upgrade completes: nothing to answer */ });
    // Connection setup inside the boundary: a failure ends this socket, never the process.
    const guarded = (setup: () => void, ws: WebSocket): void => {
      try { setup(); } catch (e) { this.#log.error({ err: e }, 'websocket connection setup failed'); ws.terminate(); }
    };
    try {
      const path = (req.url ?? '/').split('?')[0];
      const refused = this.#refusal(req);
      if (refused !== null) {
        if (refused.status !== 503) this.#refusedAtDoor(req, refused, path === '/v2' ? 'v2' : 'v1', 'connect');
        refuseUpgrade(socket, refused.status, { code: refused.code, message: refused.message, details: [] });
        return;
      }
      if ((path !== '/' && path !== '/v2') || this.#stopping !== null) {
        socket.end(`HTTP/1.1 ${this.#stopping === null ? '404 Not Found' : '503 Service Unavailable'}\r\nConnection: close\r\n\r\n`);
        return;
      }
      const auth = this.#auth;
      if (auth === null) {
        this.#wss.handleUpgrade(req, socket, head, (ws) => guarded(() => (path === '/v2' ? this.#onV2Connection(ws, req, socket) : this.#onConnection(ws, req)), ws));
        return;
      }
      // `serve --auth`: v1 only from --v1-trusted addresses, with --v1-scopes; v2 by the panel's cookie or its `auth` op.
      if (path === '/') {
        const caller = auth.v1Caller(req.socket.remoteAddress);
        if (caller === null) {
          this.#warn.warn(req.socket.remoteAddress, {}, 'protocol v1 connection refused: not from a --v1-trusted address');
          const address = addressOf(req);
          this.#refusals.record({ address, who: `v1 from ${address}`, protocol: 'v1', op: 'connect', params: {}, outcome: 'forbidden', message: 'protocol v1 connection refused: not from a --v1-trusted address' });
          socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
          return;
        }
        this.#wss.handleUpgrade(req, socket, head, (ws) => guarded(() => this.#onConnection(ws, req, caller), ws));
        return;
      }
      void auth.fromCookie(req.headers, 'v2').then((caller) => {
        const address = addressOf(req);
        const refused = (op: string, params: unknown, e: OpError): void => {
          this.#refusals.record({ address, who: `unauthenticated from ${address}`, protocol: 'v2', op, params, outcome: e.code, message: e.message });
        };
        this.#wss.handleUpgrade(req, socket, head, (ws) => guarded(() => this.#onV2Connection(ws, req, socket, { caller, authenticate: (key) => auth.fromKey(key, 'v2'), refused }), ws));
      }, () => socket.destroy());
    } catch (e) {
      this.#log.error({ err: e, url: req.url?.slice(0, 200) }, 'websocket upgrade failed');
      socket.destroy();
    }
  }

  #onV2Connection(ws: WebSocket, req: IncomingMessage, socket: Duplex, access: SessionAccess = {}): void {
    const log = this.#log.child({ conn: this.#nextConn++, peer: req.socket.remoteAddress, protocol: 2 });
    this.#clients.add(ws);
    ws.on('close', () => this.#clients.delete(ws));
    ws.on('error', (e) => this.#wsError(ws, req, e, log));
    this.#v2.accept(ws, log, socket, access);
  }

  #onConnection(ws: WebSocket, req: IncomingMessage, authed?: Caller): void {
    const log = this.#log.child({ conn: this.#nextConn++, peer: req.socket.remoteAddress });
    const limit = this.#opts.maxBufferedBytes;
    // The TCP socket ws reads and writes (the upgrade handed it this request's socket).
    const socket = req.socket;
    let corked = false;
    const uncork = (): void => { corked = false; socket.uncork(); };
    this.#clients.add(ws);
    this.#idle.set(ws, performance.now());
    const session = new V1Session(this.#dispatcher, {
      send: (text) => {
        if (ws.readyState !== WebSocket.OPEN) return;
        if (ws.bufferedAmount > limit) {
          this.#warn.warn(req.socket.remoteAddress, { buffered: ws.bufferedAmount }, 'client is not reading; closing it', log);
          // Its close frame would wait behind the backlog it is not reading: end the socket now.
          ws.terminate();
          return;
        }
        // The bytes ws.send would write, framed once per broadcast instead of once per
        // subscriber (ws never queues frames of its own here: no compression, no Blobs).
        socket.write(encoded(text));
        // The first message of a turn of the event loop is written at once (a transition's
        // latency); those after it in the same turn (a quick run's run-uid and idle) wait
        // for the turn's end and share one write. With every subscriber on loopback, the
        // write syscalls were most of the server's time per run, and a subscriber whose
        // thread is scheduled behind the server's waits for all of them.
        if (!corked) { corked = true; socket.cork(); setImmediate(uncork); }
      },
      close: (code) => ws.close(code),
    }, {
      // Checked first: a disabled level must not cost an object per request.
      onRequest: (type, ms) => {
        // Subscribers are exempt from the idle timeout while subscribed (v1's subscribe lasts as long as the connection).
        if (session.subscribed) this.#idle.delete(ws);
        if (log.isLevelEnabled('debug')) log.debug({ type, ms: Math.round(ms * 1000) / 1000 }, 'request');
      },
      onError: (e) => log.error({ err: e }, 'v1 request failed'),
      // v1 carries no key: its callers are named by address in the audit log and the lock.
      caller: authed ?? { ...ANONYMOUS, name: `v1 from ${req.socket.remoteAddress ?? 'unknown'}`, protocol: 'v1' },
      services: this.#services,
    });
    ws.on('message', (data, isBinary) => {
      if (this.#idle.has(ws)) this.#idle.set(ws, performance.now());
      try {
        session.receive(rawText(data, isBinary)).catch((e: unknown) => log.error({ err: e }, 'request handler failed'));
      } catch (e) {
        log.error({ err: e }, 'request handler failed');
      }
    });
    ws.on('close', (code) => {
      this.#clients.delete(ws);
      this.#idle.delete(ws);
      session.dispose();
      log.debug({ code, subscribed: session.subscribed }, 'closed');
    });
    ws.on('error', (e) => this.#wsError(ws, req, e, log));
  }

  /** A socket error is the client's doing (reset, bad frame, invalid UTF-8): one rate-limited warning per client, and the socket ends. */
  #wsError(ws: WebSocket, req: IncomingMessage, e: Error, log: Logger): void {
    // ws itself closes the connection (with 1007/1009/... for a bad frame, which must not be cut off here).
    this.#warn.warn(req.socket.remoteAddress, { err: { message: e.message, code: (e as { code?: unknown }).code }, state: ws.readyState }, 'websocket error', log);
  }

  /** Close v1 connections that sent nothing for the idle timeout (a sweep, not a timer per connection). */
  #startIdleSweep(): void {
    if (this.#idleMs <= 0) return;
    const every = Math.min(10_000, Math.max(50, this.#idleMs / 4));
    this.#idleTimer = setInterval(() => {
      const now = performance.now();
      for (const [ws, last] of this.#idle) {
        if (now - last < this.#idleMs) continue;
        this.#idle.delete(ws);
        ws.close(CLOSE_IDLE, `idle timeout: no request for ${String(this.#idleMs / 1000)} s`);
      }
    }, every);
    this.#idleTimer.unref();
  }
}

// A broadcast sends one text to every subscriber: frame it once, not per socket.
let lastText = '';
let lastFrame: Buffer = Buffer.alloc(0);
/** `text` as one websocket text frame, as ws frames it (the last one is reused). */
function encoded(text: string): Buffer {
  if (text !== lastText) {
    lastFrame = textFrame(text);
    lastText = text;
  }
  return lastFrame;
}

function rawText(data: RawData, _isBinary: boolean): string {
  // Binary frames are decoded as UTF-8 too: Python's json.loads accepted bytes.
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data as ArrayBuffer).toString('utf8');
}

/** Close with 1001 and wait for the client's close (or give up after 2 s and terminate). */
function closeClient(ws: WebSocket, reason: string): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
  // A socket with a backlog its peer is not reading would never get the close frame through.
  if (ws.bufferedAmount > 1024 * 1024) { ws.terminate(); return Promise.resolve(); }
  return new Promise((resolve) => {
    const timer = setTimeout(() => { ws.terminate(); resolve(); }, 2000);
    ws.once('close', () => { clearTimeout(timer); resolve(); });
    ws.close(CLOSE_GOING_AWAY, reason);
  });
}

/** True when the path part of `url` decodes (decodeURIComponent throws URIError on `%E0%A4%A`). */
function wellEncoded(url: string): boolean {
  try { decodeURIComponent(url.split('?')[0] ?? ''); return true; } catch { return false; }
}

/** Answer a refused websocket upgrade with an HTTP status and a JSON body, then close. */
function refuseUpgrade(socket: Duplex, status: number, body: { code: string; message: string; details: [] }): void {
  const text = JSON.stringify(body);
  const reason = status === 421 ? 'Misdirected Request' : status === 403 ? 'Forbidden' : 'Service Unavailable';
  socket.end(`HTTP/1.1 ${String(status)} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${String(Buffer.byteLength(text))}\r\nConnection: close\r\n\r\n${text}`);
}

function nextTurn(): Promise<void> { return new Promise((resolve) => setImmediate(resolve)); }

/** Resolves true if `seconds` passed before `p` settled (either way). */
async function withTimeout(p: Promise<unknown>, seconds: number): Promise<boolean> {
  return (await within(() => p.catch(() => undefined), seconds * 1000)).late;
}

/** The engine host's health in the wire's snake_case. */
function engineHealth(h: HostHealth): Record<string, unknown> {
  return { kind: h.kind, responsive: h.responsive, last_seen_ms: h.lastSeenMs, generation: h.generation, last_termination: h.lastTermination };
}

/** The HTTP API's authentication through `auth`: bearer keys or the panel's session cookie, and its login. */
function authHooks(auth: Authenticator): { authenticate: (req: IncomingMessage) => Promise<Caller>; login: { login: (key: string) => Promise<{ caller: Caller; cookie: string }>; logout: (req: IncomingMessage) => string } } {
  return {
    authenticate: (req) => auth.fromHeaders(req.headers),
    login: { login: (key) => auth.login(key), logout: (req) => auth.logout(req.headers) },
  };
}

/** The peer's address, for the audit log and its limiter. */
function addressOf(req: IncomingMessage): string { return req.socket.remoteAddress ?? 'an unknown address'; }

/**
 * A request Node's parser refused (an unknown method, headers over the limit, a control character in a
 * header, Content-Length twice or with Transfer-Encoding, an HTTP/2 preface): a coded answer naming
 * the parser's reason, then the close, as Node answers without a listener (400, 431, 408). A socket
 * that cannot be written any more (reset, or a response already under way) is only closed.
 */
function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  const code = err.code ?? 'unknown';
  const writable = socket.writable && code !== 'ECONNRESET' && !(socket as Duplex & { _httpMessage?: unknown })._httpMessage;
  if (!writable) { socket.destroy(); return; }
  const [status, text] = code === 'HPE_HEADER_OVERFLOW' ? [431, 'Request Header Fields Too Large']
    : code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'Request Timeout'] : [400, 'Bad Request'];
  const body = JSON.stringify({ code: status === 431 ? 'too_large' : 'bad_request', message: `malformed HTTP request (${code}): ${err.message.slice(0, 200)}`, details: [] });
  socket.end(`HTTP/1.1 ${String(status)} ${text}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${String(Buffer.byteLength(body))}\r\nConnection: close\r\n\r\n${body}`);
}

/** An attacker's header or path, cut to a length fit for a log line. */
function clip(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}
