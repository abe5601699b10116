/**
 * The HTTP API under `/api/` (docs/api.md): fastify, mounted on the server's
 * own node:http server (requests under /api/ are handed to fastify's handler;
 * websocket upgrades, /healthz and the panel never come here). Every operation
 * of the table gets its route from {@link pathOf}/{@link methodsOf}, so a new
 * op is on HTTP without a line here; the rest are the stream
 * (`GET /api/events`, Server-Sent Events), the OpenAPI document, the panel's
 * login, and the run export, which stays in src/server and is reached through
 * `exportRun` once the caller may read.
 * @module
 */
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import { type TypeBoxTypeProvider, TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Refused } from '../audit/index.js';
import { ANONYMOUS, type Caller, type Scope, OPERATIONS, OPERATION_NAMES, type OpContext, type OpDef, OpError, invoke } from '../ops/index.js';
import { tooDeep, tooDeepError } from '../protocol/json-frame.js';
import type { V2Hub } from '../protocol/v2/hub.js';
import type { V2Limits } from '../protocol/v2/ops.js';
import type { Logger } from '../server/logger.js';
import { openApiDocument } from './openapi.js';
import { API_PREFIX, methodsOf, opNameOf, pathOf } from './paths.js';
import { paramsFromQuery } from './query.js';
import { serveEvents } from './sse.js';

/** What the API needs from the server that mounts it. */
export interface HttpApiOptions {
  /** The v2 hub: the dispatcher, the run store and the committed event log (`/api/events` reads it). */
  hub: V2Hub;
  /** The server's id (v2 `hello`), told to SSE subscribers in their snapshot's place. */
  serverId: string;
  /** Request size, per-client buffer and heartbeat: v2's limits, the same on HTTP. */
  limits: V2Limits;
  logger: Logger;
  /**
   * Who is asking (`serve --auth`): a Caller, or throws `OpError('unauthorized')`.
   * Default: anyone, with every scope (a server without authentication).
   */
  authenticate?: (req: IncomingMessage) => Caller | Promise<Caller>;
  /** The panel's login and logout (`serve --auth`); absent: those routes answer 404. */
  login?: LoginHandler;
  /** `GET /api/runs/UID/export.jsonl`, answered by the server's own route once the caller may read. */
  exportRun?: (req: IncomingMessage, res: ServerResponse) => void;
  /** The operations to serve (default the table; tests pass a smaller one). */
  operations?: readonly OpDef[];
  /** Told of a request refused for its key before it reached an operation (src/audit/refusals.ts). */
  refused?: (r: Refused) => void;
}

/** The panel's key-for-cookie exchange (src/auth provides it). */
export interface LoginHandler {
  /** A session for `key` and its `Set-Cookie` value; throws `OpError('unauthorized')`. */
  login(key: string): Promise<{ caller: Caller; cookie: string }>;
  /** The `Set-Cookie` value that ends the request's session. */
  logout(req: IncomingMessage): string;
}

export class HttpApi {
  readonly app: FastifyInstance;
  readonly #opts: HttpApiOptions;
  readonly #streams = new Set<ServerResponse>();
  #handler: ((req: IncomingMessage, res: ServerResponse) => void) | null = null;
  #openapi: string | null = null;

  constructor(options: HttpApiOptions) {
    this.#opts = options;
    const app = Fastify({
      loggerInstance: options.logger.child({ component: 'http' }),
      // One line per request would drown the log; failures are logged by the error handler.
      logController: new LogController({ disableRequestLogging: true }),
      bodyLimit: options.limits.maxRequestBytes,
      // Requests arrive from the server's node:http server: fastify only routes them.
      serverFactory: (handler) => {
        this.#handler = handler;
        return createServer();
      },
      routerOptions: { ignoreTrailingSlash: true },
    }).withTypeProvider<TypeBoxTypeProvider>();
    app.setValidatorCompiler(TypeBoxValidatorCompiler);
    this.app = app as unknown as FastifyInstance;
    this.#jsonBodies(app as unknown as FastifyInstance);
    app.setErrorHandler((err, req, reply) => this.#fail(err, req, reply));
    const ops = options.operations ?? (OPERATIONS as unknown as readonly OpDef[]);
    app.setNotFoundHandler((req, reply) => {
      const path = req.url.split('?')[0] ?? '';
      // An op's path with a method no route lists (OPTIONS, TRACE, PROPFIND…): 405 naming the right ones, as for PUT.
      const def = ops.find((d) => d.name === opNameOf(path));
      if (def !== undefined) throw wrongMethod(def, req.method, reply);
      throw new OpError('unknown_op', { op: opNameOf(path) }, [{ path: '', message: 'no such route', expected: `one of ${OPERATION_NAMES.map(pathOf).join(', ')}, /api/events, /api/openapi.json`, got: `${req.method} ${path.slice(0, 200)}` }]);
    });
    for (const def of ops) this.#route(app as unknown as FastifyInstance, def);

    // No automatic HEAD route: it ran the stream's handler, whose headers Node never sent for a HEAD
    // (the request hung until the client left). A HEAD here is `unknown_op`, as for the export.
    app.get('/api/events', {
      exposeHeadRoute: false,
      schema: { querystring: Type.Object({ since: Type.Optional(Type.String()), topics: Type.Optional(Type.String()) }) },
    }, async (req, reply) => {
      await this.#needs(req.raw, 'read', 'events');
      void reply.hijack();
      const last = req.headers['last-event-id'];
      serveEvents({ lastEventId: Array.isArray(last) ? last[0] : last, since: req.query.since, topics: req.query.topics }, reply.raw, {
        hub: options.hub, serverId: options.serverId, limits: options.limits, streams: this.#streams,
        hooks: { onInternalError: (e) => options.logger.error({ err: e }, 'SSE subscribe failed') },
      });
    });
    app.get('/api/openapi.json', (_req, reply) => {
      this.#openapi ??= JSON.stringify(openApiDocument({ operations: ops }));
      void reply.type('application/json; charset=utf-8').send(this.#openapi);
    });
    // The caller this request acts as (the panel asks, to show its login form or not).
    app.get('/api/session', async (req) => {
      const c = await this.#callerFor(req.raw, 'session', false, {});
      return { name: c.name, scopes: [...c.scopes], auth: options.authenticate !== undefined };
    });
    app.post('/api/login', { schema: { body: Type.Object({ key: Type.String({ minLength: 1, maxLength: 512 }) }, { additionalProperties: false }) } }, async (req, reply) => {
      if (options.login === undefined) throw new OpError('unknown_op', { op: 'login' }, [{ path: '', message: 'this server runs without --auth: there is nothing to log in to' }]);
      const login = options.login;
      const { caller, cookie } = await this.#recorded(req.raw, 'login', {}, true, () => login.login(req.body.key));
      void reply.header('set-cookie', cookie);
      return { name: caller.name, scopes: [...caller.scopes] };
    });
    app.post('/api/logout', async (req, reply) => {
      if (options.login !== undefined) void reply.header('set-cookie', options.login.logout(req.raw));
      return { ok: true };
    });
    if (options.exportRun !== undefined) {
      const exportRun = options.exportRun;
      app.get('/api/runs/:uid/export.jsonl', { exposeHeadRoute: false }, async (req, reply) => {
        await this.#needs(req.raw, 'read', 'runs.export');
        void reply.hijack();
        exportRun(req.raw, reply.raw);
      });
    }
  }

  /** Build the routes (call before the server listens; `inject` does it by itself). */
  async ready(): Promise<void> { await this.app.ready(); }

  /** Answer one request under /api/ (after {@link ready}). */
  handle(req: IncomingMessage, res: ServerResponse): void {
    if (this.#handler === null) throw new Error('internal: the HTTP API is not ready');
    this.#handler(req, res);
  }

  /** End every event stream (the server is stopping) and the fastify instance. */
  async close(): Promise<void> {
    for (const res of [...this.#streams]) res.end();
    this.#streams.clear();
    await this.app.close();
  }

  /** Open SSE streams (for monitoring and tests). */
  get streamCount(): number { return this.#streams.size; }

  #caller(req: IncomingMessage): Caller | Promise<Caller> {
    return this.#opts.authenticate === undefined ? HTTP_ANONYMOUS : this.#opts.authenticate(req);
  }

  /**
   * The caller of a request for `op`. Refused for its key, the attempt goes to the audit log when it
   * asked to change something or came with a key (a guess); a read without a key is only answered 401.
   */
  #callerFor(req: IncomingMessage, op: string, change: boolean, params: unknown): Promise<Caller> {
    return this.#recorded(req, op, change ? params : {}, change, () => this.#caller(req));
  }

  /** `attempt`; refused for its key, into the audit log: always when `always` (a change, a login), else when a key came with it. */
  async #recorded<T>(req: IncomingMessage, op: string, params: unknown, always: boolean, attempt: () => T | Promise<T>): Promise<T> {
    try {
      return await attempt();
    } catch (e) {
      if (e instanceof OpError && e.code === 'unauthorized' && (always || req.headers.authorization !== undefined)) {
        const address = req.socket.remoteAddress ?? 'an unknown address';
        this.#opts.refused?.({ address, who: `unauthenticated from ${address}`, protocol: 'http', op, params, outcome: e.code, message: e.message });
      }
      throw e;
    }
  }

  /** The caller, if it has `scope`; else `unauthorized`/`forbidden` as `invoke` would answer. */
  async #needs(req: IncomingMessage, scope: Scope, what: string): Promise<Caller> {
    const caller = await this.#callerFor(req, what, false, {});
    if (!caller.scopes.has(scope)) throw new OpError('forbidden', { op: what, scope }, [{ path: '', message: `needs the ${scope} scope`, expected: scope, got: [...caller.scopes].join(',') || 'no scopes' }]);
    return caller;
  }

  #context(caller: Caller): OpContext {
    return this.#opts.hub.context(caller);
  }

  /** One op's routes: its methods, and `method_not_allowed` for the others. */
  #route(app: FastifyInstance, def: OpDef): void {
    const url = pathOf(def.name);
    const methods = methodsOf(def);
    app.route({
      method: methods, url,
      handler: async (req: FastifyRequest) => {
        const body: unknown = req.method === 'POST' ? (req.body ?? {}) : undefined;
        const caller = await this.#callerFor(req.raw, def.name, def.effect === 'change', body);
        const params = body ?? paramsFromQuery(def.params, req.query as Record<string, unknown>);
        return invoke(def.name, params, this.#context(caller));
      },
    });
    const others = (['GET', 'POST', 'PUT', 'DELETE', 'PATCH'] as const).filter((m) => !(methods as string[]).includes(m));
    app.route({
      method: [...others], url,
      handler: async (req, reply) => { throw wrongMethod(def, req.method, reply); },
    });
  }

  /**
   * JSON bodies with fastify's own parser (it refuses `__proto__` keys), except that an empty
   * body is `{}`: `curl -X POST -H 'content-type: application/json' .../api/stop` needs none.
   */
  #jsonBodies(app: FastifyInstance): void {
    const parse = app.getDefaultJsonParser('error', 'error');
    app.removeContentTypeParser('application/json');
    // Only JSON bodies: a text/plain `{}` reached the op as the string "{}" ("must be an object, got \"{}\"");
    // now it is "send the body as application/json", as any other type is.
    app.removeContentTypeParser('text/plain');
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
      if (typeof body === 'string' && body.trim() === '') { done(null, {}); return; }
      // As v2 refuses a frame: nesting past the limit overflowed the stack when the params crossed
      // to the engine's thread (a 500, logged as a bug).
      if (tooDeep(String(body))) {
        done(tooDeepError('body'), undefined);
        return;
      }
      parse(req, String(body), (err, value) => {
        // Fastify's parser says "not valid JSON" also for valid JSON it refuses on purpose (a "__proto__" key,
        // "constructor" holding "prototype"): say which.
        if (err !== null && validJson(String(body))) {
          done(new OpError('bad_request', { problem: 'the body has a "__proto__" key (or "constructor" holding "prototype"), which the server refuses' },
            [{ path: '', message: 'prototype key', expected: 'a JSON object without __proto__ or constructor.prototype keys', got: '__proto__ or constructor.prototype' }]), undefined);
          return;
        }
        done(err, value);
      });
    });
  }

  #fail(err: unknown, req: FastifyRequest, reply: FastifyReply): FastifyReply {
    const e = asOpError(err, this.#opts.limits.maxRequestBytes);
    if (e.code === 'internal') this.#opts.logger.error({ err, method: req.method, url: req.url.slice(0, 200) }, 'HTTP API request failed');
    if (e.code === 'unauthorized') void reply.header('www-authenticate', 'Bearer realm="bluesky-dispatcher"');
    return reply.code(e.status).header('cache-control', 'no-store').type('application/json; charset=utf-8').send(e.body);
  }
}

const HTTP_ANONYMOUS: Caller = Object.freeze({ ...ANONYMOUS, protocol: 'http' as const });

/** Anything a route threw, as a catalogue error: ours as they are, fastify's by their status. */
function asOpError(err: unknown, limit: number): OpError {
  if (err instanceof OpError) return err;
  const e = err as { statusCode?: number; code?: string; message?: string; validation?: Array<{ instancePath?: string; message?: string }> };
  if (Array.isArray(e.validation)) {
    // TypeBox words a key that `additionalProperties: false` refuses as "schema is false".
    const said = (v: { message?: string } | undefined): string => (v?.message === 'schema is false' ? 'is not a known parameter' : v?.message ?? 'is invalid');
    const first = e.validation[0];
    const path = first?.instancePath ?? '';
    return new OpError('bad_request', { problem: `${path === '' ? 'the request' : `"${path.slice(1)}"`} ${said(first)}` },
      e.validation.slice(0, 20).map((v) => ({ path: v.instancePath ?? '', message: said(v) })));
  }
  if (e.statusCode === 413) {
    return new OpError('too_large', { limit }, [{ path: '', message: 'too large', expected: `at most ${String(limit)} bytes` }]);
  }
  if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return new OpError('bad_request', { problem: 'send the body as application/json' }, [{ path: '', message: 'unsupported content type', expected: 'application/json' }]);
  }
  if (e.statusCode === 400 && (err instanceof SyntaxError || (e.code ?? '').startsWith('FST_ERR_CTP') || e.code === undefined)) {
    const problem = err instanceof SyntaxError || /not valid JSON/.test(e.message ?? '') ? 'the body is not valid JSON' : (e.message ?? 'bad request');
    return new OpError('bad_request', { problem }, [{ path: '', message: problem, expected: 'a JSON object' }]);
  }
  if (e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500) {
    return new OpError('bad_request', { problem: e.message ?? 'bad request' });
  }
  return new OpError('internal', { problem: 'the server failed to answer this request (logged)' });
}

export { API_PREFIX };

function validJson(text: string): boolean {
  try { JSON.parse(text); return true; } catch { return false; }
}

/** `method_not_allowed` for `def`'s path, with the `Allow` header naming the methods it takes. */
function wrongMethod(def: OpDef, method: string, reply: FastifyReply): OpError {
  const methods = methodsOf(def);
  void reply.header('allow', methods.join(', '));
  return new OpError('method_not_allowed', { op: pathOf(def.name), allowed: methods.join(' or ') }, [{ path: '', message: 'wrong method', expected: methods.join(' or '), got: method }]);
}
