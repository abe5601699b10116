/**
 * Replays every exchange the Python dispatcher answered while idle (the
 * "example" suite: bad JSON, unknown type, keep_open, control verbs on an idle
 * engine, ...) against our server and compares each reply and close code.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client, type TestServer, type TranscriptRecord, loadTranscripts, mask, rawResponses, startTestServer } from './helpers.js';

/** Scenarios that need no running scan: each is replayed as recorded. */
const IDLE_SCENARIOS = new Set([
  'state when idle', 'bad JSON', 'unknown type', 'no type key', 'start without plan', 'start with unknown plan',
  'resume when not paused', 'pause when idle', 'stop when idle', 'abort when idle', 'halt when idle',
  'keep_open: several requests on one connection', 'keep_open then bad JSON', 'keep_open then unknown type',
]);

/** The defect fixed on purpose: the seed closed with 1011 and no reply. */
const DEVIATIONS: Record<string, { responses: string[]; code: number }> = {
  'no type key': { responses: ['{"success": false, "status": "Unsupported message type"}'], code: 1000 },
};

function groups(records: TranscriptRecord[]): TranscriptRecord[][] {
  const byConn = new Map<number, TranscriptRecord[]>();
  for (const r of records) byConn.set(r.conn, [...(byConn.get(r.conn) ?? []), r]);
  return [...byConn.values()];
}

describe('protocol v1: idle exchanges replayed from the transcripts', () => {
  let srv: TestServer;
  before(async () => { srv = await startTestServer(); });
  after(async () => { await srv.close(); });

  const records = loadTranscripts().filter((r) => r.suite === 'example' && r.kind === 'exchange' && IDLE_SCENARIOS.has(r.scenario));
  test('every idle scenario is in the transcripts', () => {
    assert.deepEqual(new Set(records.map((r) => r.scenario)), IDLE_SCENARIOS);
  });

  for (const conn of groups(records)) {
    const first = conn[0] as TranscriptRecord;
    test(`${first.scenario} (${String(conn.length)} request(s) on one connection)`, async () => {
      const c = await Client.connect(srv.url);
      let seen = 0;
      for (const r of conn) {
        const expected = DEVIATIONS[r.scenario]?.responses ?? rawResponses(r);
        c.send(r.request);
        const got = await c.count(seen + expected.length);
        assert.deepEqual(got.slice(seen).map(mask), expected.map(mask), `reply to ${r.request}`);
        seen += expected.length;
      }
      const last = conn[conn.length - 1] as TranscriptRecord;
      const code = DEVIATIONS[last.scenario]?.code ?? last.closed?.code;
      assert.equal((await c.closed).code, code);
      assert.equal(c.messages.length, seen, 'no extra messages');
    });
  }
});
