/**
 * The document validators: generated ahead of time (scripts/gen-validators.mjs)
 * and kept in step with the schemas, and as strict as compiling the schemas would be.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { documentErrors, startMetadataErrors, validateDocument } from './validate.js';

const SCRIPT = fileURLToPath(new URL('../../scripts/gen-validators.mjs', import.meta.url));

describe('document validators', () => {
  it('the generated validators match a fresh generation from the schemas (run scripts/gen-validators.mjs if not)', () => {
    const r = spawnSync(process.execPath, [SCRIPT, '--check'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr || r.error?.message);
  });

  it('accept valid documents and refuse invalid ones with paths', () => {
    const uid = '6c6e9a0e-6d1f-4c4b-9f59-0d1f7a6b2c11';
    assert.deepEqual(documentErrors('start', { uid, time: 1, scan_id: 3, plan_name: 'count' }), []);
    assert.deepEqual(documentErrors('start', { uid, time: 1, scan_id: 'x' }).map((e) => e.path), ['/scan_id']);
    assert.deepEqual(documentErrors('stop', { uid, time: 1, run_start: uid, exit_status: 'success' }), []);
    assert.ok(documentErrors('stop', { uid, time: 1, run_start: uid, exit_status: 'maybe' }).length > 0);
    assert.ok(documentErrors('event', {}).length > 0);
    assert.throws(() => validateDocument('start', { time: 1 }), (e: unknown) => (e as { code?: string }).code === 'ENGINE_DOCUMENT_INVALID');
  });

  it('startMetadataErrors points into the metadata', () => {
    assert.deepEqual(startMetadataErrors({ scan_id: 1, sample: 'x' }), []);
    assert.deepEqual(startMetadataErrors({ scan_id: 'x', uid: 'u', 'a/b': 1, nested: { 'c.d': 2 } }).map((e) => e.path).sort(), ['/a~1b', '/nested/c.d', '/scan_id', '/uid']);
    assert.deepEqual(startMetadataErrors([]).map((e) => e.path), ['']);
  });
});
