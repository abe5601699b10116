/**
 * The golden document comparison: our documents against a Python recording,
 * name for name, key for key, deterministic values to 1e-12 (uids, times and
 * versions aside). Used for runs in process and through the engine host.
 * @module
 */
import assert from 'node:assert/strict';
import { closeTo, readJsonl } from './reference.js';

const IGNORED = new Set(['uid', 'time', 'run_start', 'descriptor', 'versions', 'timestamps']);

/**
 * Assert `docs` match `python-reference/docs/NAME.jsonl`. `extraStartKeys`: keys our start
 * document may carry beyond the recording's (e.g. `plans_sha256` from a server).
 */
export function assertMatchesRecording(name: string, docs: ReadonlyArray<{ name: string; doc: Record<string, unknown> }>, extraStartKeys: readonly string[] = []): void {
  const expected = readJsonl<[string, Record<string, unknown>]>(`python-reference/docs/${name}.jsonl`);
  assert.deepEqual(docs.map((d) => d.name), expected.map(([n]) => n));
  expected.forEach(([docName, want], i) => {
    const got = { ...(docs[i] as { doc: Record<string, unknown> }).doc };
    if (docName === 'start') for (const k of extraStartKeys) delete got[k];
    assert.deepEqual(Object.keys(got).sort(), Object.keys(want).sort(), `${docName} #${String(i)} keys`);
    for (const key of Object.keys(want)) {
      if (IGNORED.has(key)) continue;
      const a = key === 'configuration' ? stripTimestamps(got[key]) : got[key];
      const b = key === 'configuration' ? stripTimestamps(want[key]) : want[key];
      assert.equal(closeTo(a, b, `${docName}#${String(i)}.${key}`), null);
    }
  });
}

function stripTimestamps(conf: unknown): unknown {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(conf as Record<string, Record<string, unknown>>)) {
    out[k] = { ...v, timestamps: Object.keys((v.timestamps ?? {}) as object) };
  }
  return out;
}
