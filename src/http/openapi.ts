/**
 * The OpenAPI 3.1 document of the HTTP API, generated from the operation
 * table: one path per op (`operationId` = the op name), its params as query
 * parameters (GET) and as a JSON body (POST), its result, and one response per
 * error code it can answer with (the catalogue's status). OpenAPI 3.1 schemas
 * are JSON Schema 2020-12, so the TypeBox schemas go in as they are.
 * @module
 */
import { ERRORS, type ErrorCode, type OpDef } from '../ops/index.js';
import { VERSION } from '../version.js';
import { methodsOf, pathOf } from './paths.js';

type Json = Record<string, unknown>;

/** Codes any op can answer with, whatever its own list says. */
const COMMON: readonly ErrorCode[] = ['bad_request', 'too_large', 'internal', 'shutting_down'];
/** Codes only a server with `--auth` answers with. */
const AUTH: readonly ErrorCode[] = ['unauthorized', 'forbidden'];

/**
 * A TypeBox schema as plain JSON Schema (its symbols and functions dropped). A subschema with
 * an `$id` (shared by several ops, e.g. `LockStatus`) becomes one component and a `$ref` to it:
 * an `$id` may appear only once in a document.
 */
function plain(schema: unknown, components: Json): Json {
  const hoist = (node: unknown, top: boolean): unknown => {
    if (Array.isArray(node)) return node.map((x) => hoist(x, false));
    if (typeof node !== 'object' || node === null) return node;
    const { $id, ...rest } = node as Json;
    const out: Json = {};
    for (const [k, v] of Object.entries(rest)) out[k] = hoist(v, false);
    if (typeof $id !== 'string' || top) return out;
    const name = $id.replace(/[^A-Za-z0-9._-]/g, '_');
    components[name] ??= out;
    return { $ref: `#/components/schemas/${name}` };
  };
  return hoist(JSON.parse(JSON.stringify(schema)), true) as Json;
}

/** `runs.list` → `runs_list`: a component name (OpenAPI allows `^[a-zA-Z0-9._-]+$`, dots included, but underscores read better in generators). */
function componentName(op: string, what: 'Params' | 'Result'): string {
  return `${op.split(/[._]/).map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('')}${what}`;
}

const ERROR_BODY: Json = {
  type: 'object', required: ['code', 'message', 'details'], additionalProperties: false,
  properties: {
    code: { type: 'string', enum: Object.keys(ERRORS) },
    message: { type: 'string' },
    details: {
      type: 'array',
      items: {
        type: 'object', required: ['path', 'message'],
        properties: { path: { type: 'string', description: 'a JSON pointer into the request' }, message: { type: 'string' }, expected: { type: 'string' }, got: { type: 'string' } },
      },
    },
  },
};

/** Query parameters for a GET: one per property of the params schema (objects as JSON text). */
function queryParameters(params: Json): Json[] {
  const props = (params.properties ?? {}) as Record<string, Json>;
  const required = new Set((params.required ?? []) as string[]);
  return Object.entries(props).map(([name, schema]) => {
    const scalar = ['string', 'number', 'integer', 'boolean'].includes(String(schema.type)) || Array.isArray(schema.anyOf);
    return scalar
      ? { name, in: 'query', required: required.has(name), schema, ...(typeof schema.description === 'string' ? { description: schema.description } : {}) }
      : { name, in: 'query', required: required.has(name), description: `${String(schema.description ?? name)} (JSON text)`, content: { 'application/json': { schema } } };
  });
}

function errorResponses(def: OpDef, auth: boolean): Json {
  const codes = [...new Set<ErrorCode>([...COMMON, ...(auth ? AUTH : []), ...def.errors])];
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) {
    const status = ERRORS[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const out: Json = {};
  for (const [status, list] of [...byStatus].sort((a, b) => a[0] - b[0])) {
    out[String(status)] = {
      description: list.map((c) => `\`${c}\``).join(', '),
      content: { 'application/json': { schema: { allOf: [{ $ref: '#/components/schemas/Error' }, { properties: { code: { enum: list } } }] } } },
    };
  }
  return out;
}

export interface OpenApiOptions {
  /** The operations to describe (the table). */
  operations: readonly OpDef[];
  /** Describe the 401/403 answers and the bearer scheme (a server with `--auth`). Default true: the document is the same for every server. */
  auth?: boolean;
}

/** The OpenAPI 3.1 document for `operations`. */
export function openApiDocument(options: OpenApiOptions): Json {
  const auth = options.auth ?? true;
  const schemas: Json = { Error: ERROR_BODY };
  const paths: Json = {};
  for (const def of options.operations) {
    const paramsName = componentName(def.name, 'Params');
    const resultName = componentName(def.name, 'Result');
    const params = plain(def.params, schemas);
    schemas[paramsName] = params;
    schemas[resultName] = plain(def.result, schemas);
    const common = {
      summary: def.summary,
      description: `${def.summary}\n\nScope: \`${def.scope}\`. ${def.effect === 'change' ? 'Changes something (recorded in the audit log).' : 'Only reports.'}`,
      tags: [def.name.includes('.') ? def.name.split('.')[0] : def.scope],
      ...(auth ? { security: [{ bearer: [def.scope] }, { session: [def.scope] }] } : {}),
      'x-scope': def.scope,
      responses: {
        200: { description: 'the result', content: { 'application/json': { schema: { $ref: `#/components/schemas/${resultName}` } } } },
        ...errorResponses(def, auth),
      },
    };
    const item: Json = {};
    for (const method of methodsOf(def)) {
      // operationId is unique per document: the op's own name on its main method, `name.post` on a read op's body form.
      const main = method === (def.effect === 'read' ? 'GET' : 'POST');
      item[method.toLowerCase()] = {
        ...common,
        operationId: main ? def.name : `${def.name}.post`,
        ...(method === 'GET'
          ? { parameters: queryParameters(params) }
          : { requestBody: { required: false, description: 'the params as a JSON object (an empty body is `{}`)', content: { 'application/json': { schema: { $ref: `#/components/schemas/${paramsName}` } } } } }),
      };
    }
    paths[pathOf(def.name)] = item;
  }
  paths['/api/events'] = {
    get: {
      operationId: 'events', summary: 'The event stream as Server-Sent Events (`id:` is the seq; resume with Last-Event-ID or ?since=N).',
      tags: ['events'], ...(auth ? { security: [{ bearer: ['read'] }, { session: ['read'] }] } : {}),
      parameters: [
        { name: 'since', in: 'query', required: false, schema: { type: 'integer', minimum: 0 }, description: 'replay every event after this seq (as protocol v2 `subscribe since`)' },
        { name: 'topics', in: 'query', required: false, schema: { type: 'string' }, description: 'comma-separated topics (state, document, exception, progress, log); default all' },
        { name: 'Last-Event-ID', in: 'header', required: false, schema: { type: 'string' }, description: 'the id of the last event received: resume after it (takes precedence over since)' },
      ],
      responses: {
        200: { description: 'a text/event-stream: `event: subscribed` (the snapshot), then `id: SEQ` `event: TOPIC` `data: EVENT` per event, `: heartbeat` comments', content: { 'text/event-stream': { schema: { type: 'string' } } } },
        400: { description: '`bad_request`', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
        410: { description: '`replay_unavailable`', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
        ...(auth ? { 401: { description: '`unauthorized`', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } } } : {}),
      },
    },
  };
  return {
    openapi: '3.1.0',
    info: { title: 'bluesky-dispatcher', version: VERSION, description: 'The HTTP API of bluesky-dispatcher: one operation per path, generated from the operation table (docs/api.md).' },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    paths,
    components: {
      schemas,
      ...(auth ? {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'an API key (`bluesky-dispatcher keys create NAME --scopes ...`); needed when the server runs with --auth' },
          session: { type: 'apiKey', in: 'cookie', name: 'bsd_session', description: 'the web panel\'s session (POST /api/login)' },
        },
      } : {}),
    },
  };
}
