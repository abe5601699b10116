/**
 * The OpenAPI 3.1 document served at /api/openapi.json: valid by an OpenAPI 3.1
 * validator, every operation of the table in it with operationId = its name,
 * at its path and method, with the error responses its codes give.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { methodsOf, openApiDocument, pathOf } from '../../src/http/index.js';
import { ERRORS, OPERATIONS, type OpDef } from '../../src/ops/index.js';
import { dirs, up } from './helpers.js';

type Doc = { openapi: string; paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown> }>> };

describe('OpenAPI document', { timeout: 60_000 }, () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const doc = openApiDocument({ operations: OPERATIONS as unknown as OpDef[] });
    const v = new Validator();
    const res = await v.validate(doc);
    assert.equal(v.version, '3.1');
    assert.ok(res.valid, JSON.stringify(res.errors, null, 2)?.slice(0, 2000));
  });

  it('has every operation, operationId = the op name, at its path and methods, with its error statuses', () => {
    const doc = openApiDocument({ operations: OPERATIONS as unknown as OpDef[] }) as unknown as Doc;
    assert.equal(doc.openapi, '3.1.0');
    const ids = Object.values(doc.paths).flatMap((item) => Object.values(item).map((o) => o.operationId));
    assert.equal(new Set(ids).size, ids.length, 'operationIds are unique');
    for (const def of OPERATIONS as unknown as OpDef[]) {
      const item = doc.paths[pathOf(def.name)];
      assert.ok(item !== undefined, `${def.name} has a path`);
      const main = item[def.effect === 'read' ? 'get' : 'post'];
      assert.equal(main?.operationId, def.name);
      assert.deepEqual(Object.keys(item).sort(), methodsOf(def).map((m) => m.toLowerCase()).sort());
      for (const code of def.errors) assert.ok(String(ERRORS[code].status) in (main?.responses ?? {}), `${def.name}: a ${String(ERRORS[code].status)} response for ${code}`);
    }
    assert.equal(doc.paths['/api/events']?.get?.operationId, 'events');
  });

  it('is served at GET /api/openapi.json', async () => {
    const s = await up();
    try {
      const r = await fetch(`${s.base}/api/openapi.json`);
      assert.equal(r.status, 200);
      const doc = (await r.json()) as Doc;
      assert.equal(doc.openapi, '3.1.0');
      assert.ok(doc.paths['/api/start']?.post);
    } finally { await s.down(); dirs.cleanup(); }
  });
});
