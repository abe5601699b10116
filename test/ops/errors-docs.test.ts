/**
 * The error catalogue and docs/errors.md list the same codes with the same
 * HTTP status and template (fastify's discipline: a code nobody documented,
 * or a documented code that no longer exists, fails here).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ERRORS, ERROR_CODES, OPERATIONS } from '../../src/ops/index.js';

const DOC = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');

/** Rows `| \`code\` | status | \`template\` | when |` of the catalogue tables. */
function documented(): Map<string, { status: number; template: string }> {
  const rows = new Map<string, { status: number; template: string }>();
  for (const m of DOC.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \| `([^`]*)` \|/gm)) {
    const [, code, status, template] = m;
    assert.ok(!rows.has(code ?? ''), `docs/errors.md lists ${String(code)} twice`);
    rows.set(code ?? '', { status: Number(status), template: template ?? '' });
  }
  return rows;
}

describe('error catalogue', () => {
  it('every code is documented with its status and message, and every documented code exists', () => {
    const docs = documented();
    const missing = ERROR_CODES.filter((c) => !docs.has(c));
    assert.deepEqual(missing, [], `codes missing from docs/errors.md: ${missing.join(', ')}`);
    const gone = [...docs.keys()].filter((c) => !(c in ERRORS));
    assert.deepEqual(gone, [], `docs/errors.md documents codes the catalogue does not have: ${gone.join(', ')}`);
    for (const code of ERROR_CODES) {
      assert.deepEqual(docs.get(code), { status: ERRORS[code].status, template: ERRORS[code].template }, `docs/errors.md row of ${code}`);
    }
  });

  it('codes are snake_case words and statuses are 4xx/5xx', () => {
    for (const code of ERROR_CODES) {
      assert.match(code, /^[a-z]+(_[a-z]+)*$/);
      assert.ok(ERRORS[code].status >= 400 && ERRORS[code].status < 600, code);
    }
  });

  it('each operation names only catalogue codes, once', () => {
    for (const op of OPERATIONS) {
      for (const code of op.errors) assert.ok(code in ERRORS, `${op.name}: ${code}`);
      assert.equal(new Set(op.errors).size, op.errors.length, `${op.name} lists a code twice`);
    }
  });
});
