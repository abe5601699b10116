/**
 * The HTTP API's wire shape, through fastify's `inject()` on a real `serve`
 * (with a run store): every operation of the table at its generated path and
 * method (an op added to the table is covered here without a new line), the
 * query-string conversion, the errors fastify itself raises mapped to catalogue
 * codes, and the routes that stay where they were (panel, /healthz, export).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { methodsOf, pathOf } from '../../src/http/index.js';
import { ERRORS, type ErrorCode, OPERATIONS, type OpDef } from '../../src/ops/index.js';
import { type Up, dirs, until, up } from './helpers.js';

/** Params that make each known op succeed (or fail with one of its own codes) on an idle server. */
const SAMPLES: Record<string, Record<string, unknown>> = {
  validate: { plan: 'count', params: { detectors: ['det'], num: 1 } },
  start: { plan: 'count', params: { detectors: ['det'], num: 1 } },
  'runs.get': { uid: 'no-such-run' },
  'runs.list': { limit: 5 },
};
const COMMON: readonly ErrorCode[] = ['bad_request', 'too_large', 'internal', 'shutting_down', 'unavailable'];

type Inject = (opts: InjectOptions) => Promise<LightMyRequestResponse>;
let s: Up;
let inject: Inject;

async function call(def: Pick<OpDef, 'name' | 'effect'>, params: Record<string, unknown> = {}) {
  const url = pathOf(def.name);
  if (def.effect === 'read') {
    const q = new URLSearchParams(Object.entries(params).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
    return inject({ method: 'GET', url: `${url}${q.size > 0 ? `?${q.toString()}` : ''}` });
  }
  return inject({ method: 'POST', url, payload: params });
}

function body(r: { body: string }): Record<string, unknown> { return JSON.parse(r.body) as Record<string, unknown>; }

async function idle(): Promise<void> {
  await until('idle', async () => body(await inject({ method: 'GET', url: '/api/status' })).busy === false);
}

describe('HTTP API', { timeout: 120_000 }, () => {
  before(async () => {
    s = await up();
    const app = s.server.api.app;
    inject = (opts) => app.inject(opts);
  });
  after(async () => { await s.down(); dirs.cleanup(); });

  it('every operation of the table answers at /api/<name with slashes>, with its result or one of its own codes', async () => {
    for (const def of OPERATIONS as unknown as OpDef[]) {
      await idle();
      const r = await call(def, SAMPLES[def.name] ?? {});
      assert.match(String(r.headers['content-type']), /^application\/json/, def.name);
      const b = body(r);
      if (r.statusCode === 200) continue;
      const code = b.code as ErrorCode;
      assert.ok([...def.errors, ...COMMON].includes(code), `${def.name}: ${String(code)} is not among its codes (${r.body})`);
      assert.equal(r.statusCode, ERRORS[code].status, `${def.name}: the catalogue's status for ${code}`);
      assert.equal(typeof b.message, 'string');
      assert.ok(Array.isArray(b.details));
    }
    await idle();
  });

  it('read ops are GET (query) and POST (body); change ops POST only, other methods 405 with Allow', async () => {
    for (const def of OPERATIONS as unknown as OpDef[]) {
      const url = pathOf(def.name);
      const allowed = methodsOf(def);
      const wrong = allowed.includes('GET') ? 'DELETE' : 'GET';
      const r = await inject({ method: wrong, url });
      assert.equal(r.statusCode, 405, `${wrong} ${url}`);
      assert.equal(body(r).code, 'method_not_allowed');
      assert.equal(r.headers.allow, allowed.join(', '));
    }
    const viaPost = await inject({ method: 'POST', url: '/api/runs/list', payload: { limit: 1 } });
    assert.equal(viaPost.statusCode, 200);
    const head = await inject({ method: 'HEAD', url: '/api/status' });
    assert.equal(head.statusCode, 200);
  });

  it('status, plans, devices: their results', async () => {
    const st = body(await inject({ method: 'GET', url: '/api/status' }));
    assert.deepEqual(Object.keys(st).sort(), ['busy', 'item_id', 'plan', 'run_start_time', 'run_uid', 'seq', 'state']);
    const plans = body(await inject({ method: 'GET', url: '/api/plans' })).plans as Array<{ name: string }>;
    assert.ok(plans.some((p) => p.name === 'count'));
    const devices = body(await inject({ method: 'GET', url: '/api/devices' })).devices as Array<{ name: string }>;
    assert.ok(devices.some((d) => d.name === 'det'));
  });

  it('start runs a plan; runs.list and runs.get find it; the export route still answers under /api/runs/UID/export.jsonl', async () => {
    await idle();
    const r = await inject({ method: 'POST', url: '/api/start', payload: { plan: 'count', params: { detectors: ['det'], num: 2 } } });
    assert.equal(r.statusCode, 200, r.body);
    const { item_id: itemId } = body(r) as { item_id: string };
    await idle();
    let runs: Array<{ uid: string; item_id: string }> = [];
    await until('the run in the index', async () => {
      runs = body(await inject({ method: 'GET', url: '/api/runs/list?limit=10' })).runs as typeof runs;
      return runs.some((x) => x.item_id === itemId);
    });
    const uid = runs.find((x) => x.item_id === itemId)?.uid ?? '';
    const got = body(await inject({ method: 'GET', url: `/api/runs/get?uid=${uid}&limit=2` })) as { documents: unknown[]; more: boolean };
    assert.equal(got.documents.length, 2);
    assert.equal(got.more, true);
    const exp = await inject({ method: 'GET', url: `/api/runs/${uid}/export.jsonl` });
    assert.equal(exp.statusCode, 200);
    assert.match(String(exp.headers['content-type']), /ndjson/);
    assert.equal(JSON.parse(exp.body.split('\n')[0] ?? '')[0], 'start');
    const missing = await inject({ method: 'GET', url: '/api/runs/nope/export.jsonl' });
    assert.equal(missing.statusCode, 404);
  });

  it('query strings are converted by the op\'s schema; what does not convert is named', async () => {
    const ok = await inject({ method: 'GET', url: '/api/runs/list?limit=1&offset=0' });
    assert.equal(ok.statusCode, 200);
    const bad = body(await inject({ method: 'GET', url: '/api/runs/list?limit=many' }));
    assert.equal(bad.code, 'bad_request');
    assert.equal((bad.details as Array<{ path: string }>)[0]?.path, '/limit');
    // Read as a JSON body's number would be: 1.5 is no integer, and "", 0x10 or " 7" are no numbers at all
    // (TypeBox's conversion had read them as 1, 0, 16 and 7).
    for (const text of ['1.5', '', '0x10', '%207']) {
      const loose = body(await inject({ method: 'GET', url: `/api/runs/list?limit=${text}` }));
      assert.equal(loose.code, 'bad_request', `limit=${text}`);
      assert.equal((loose.details as Array<{ path: string }>)[0]?.path, '/limit', `limit=${text}`);
    }
    assert.equal((await inject({ method: 'GET', url: '/api/runs/list?limit=1e1' })).statusCode, 200);
    const unknown = body(await inject({ method: 'GET', url: '/api/status?verbose=1' }));
    assert.equal(unknown.code, 'bad_request');
    assert.match(String(unknown.message), /verbose/);
    // Objects travel as JSON text: validate's params.
    const v = await inject({ method: 'GET', url: `/api/validate?plan=count&params=${encodeURIComponent(JSON.stringify({ detectors: ['det'], num: 'x' }))}` });
    assert.equal(v.statusCode, 422);
    assert.equal(body(v).code, 'invalid_params');
    assert.ok((body(v).details as Array<{ path: string }>).some((d) => d.path === '/params/num'));
    // A hostile key is a plain (dropped or unknown) parameter, never the prototype.
    const proto = await inject({ method: 'GET', url: '/api/status?__proto__[busy]=1' });
    assert.ok(proto.statusCode < 500);
    assert.equal(({} as Record<string, unknown>).busy, undefined);
  });

  it('fastify\'s own refusals are catalogue errors: bad JSON, wrong content type, too large, unknown path, __proto__', async () => {
    const cases: Array<[InjectOptions, number, string]> = [
      [{ method: 'POST', url: '/api/start', payload: '{"plan": ', headers: { 'content-type': 'application/json' } }, 400, 'bad_request'],
      [{ method: 'POST', url: '/api/start', payload: 'plan=count', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 400, 'bad_request'],
      [{ method: 'POST', url: '/api/start', payload: JSON.stringify({ plan: 'count', md: { big: 'x'.repeat(300 * 1024) } }), headers: { 'content-type': 'application/json' } }, 413, 'too_large'],
      [{ method: 'GET', url: '/api/no/such/thing' }, 404, 'unknown_op'],
      [{ method: 'POST', url: '/api/validate', payload: '{"__proto__": {"plan": "count"}}', headers: { 'content-type': 'application/json' } }, 400, 'bad_request'],
      [{ method: 'POST', url: '/api/start', payload: '[1, 2]', headers: { 'content-type': 'application/json' } }, 400, 'bad_request'],
    ];
    for (const [req, status, code] of cases) {
      const r = await inject(req);
      assert.equal(r.statusCode, status, `${String(req.method)} ${String(req.url)}: ${r.body}`);
      assert.equal(body(r).code, code);
      assert.equal(typeof body(r).message, 'string');
    }
    const nf = body(await inject({ method: 'GET', url: '/api/runz/list' }));
    assert.equal(nf.message, 'unknown op "runz.list"');
  });

  it('an empty POST body is {} (curl -X POST without data)', async () => {
    await idle();
    const r = await inject({ method: 'POST', url: '/api/stop', headers: { 'content-type': 'application/json' }, payload: '' });
    assert.equal(body(r).code, 'illegal_state');
    const bare = await inject({ method: 'POST', url: '/api/stop' });
    assert.equal(body(bare).code, 'illegal_state');
  });

  it('the rest of the port is untouched: /healthz, the panel, v2 upgrade path', async () => {
    const h = await fetch(`${s.base}/healthz`);
    assert.equal(h.status, 200);
    assert.equal(((await h.json()) as { status: string }).status, 'ok');
    const panel = await fetch(`${s.base}/`);
    assert.ok(panel.status === 200 || panel.status === 503);
    const v2 = await fetch(`${s.base}/v2`);
    assert.equal(v2.status, 426);
  });
});
