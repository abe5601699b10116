/**
 * Property: random interleavings of starts (quick and slow plans), pauses,
 * resumes, stops, aborts and halts, with subscribers that drop at random points
 * and resume with `since`: each subscriber's sequence is gap-free,
 * duplicate-free and identical to the server's log.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { LoggedEvent } from '../../src/protocol/v2/event-log.js';
import type { Event } from '../../src/protocol/v2/types.js';
import { V2Conn, invalidDocuments, startV2Server } from './helpers.js';

type Action =
  | { kind: 'start'; plan: 'quick' | 'slow' }
  | { kind: 'pause'; defer: boolean } | { kind: 'resume' } | { kind: 'stop' } | { kind: 'abort' } | { kind: 'halt' }
  | { kind: 'drop'; sub: number; hard: boolean } | { kind: 'wait' };

const SUBS = 3;
const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ kind: fc.constant('start' as const), plan: fc.constantFrom('quick' as const, 'slow' as const) }),
  fc.record({ kind: fc.constant('pause' as const), defer: fc.boolean() }),
  fc.constantFrom<Action>({ kind: 'resume' }, { kind: 'stop' }, { kind: 'abort' }, { kind: 'halt' }, { kind: 'wait' }),
  fc.record({ kind: fc.constant('drop' as const), sub: fc.nat(SUBS - 1), hard: fc.boolean() }),
);

/** A subscriber that survives reconnects: everything it was ever sent, in order. */
class Resumer {
  readonly got: Event[] = [];
  conn: V2Conn | null = null;
  readonly url: string;
  readonly #from: number;
  /** `from`: the seq this subscriber's history starts after. */
  constructor(url: string, from: number) { this.url = url; this.#from = from; }
  async connect(): Promise<void> {
    const c = await V2Conn.connect(this.url);
    const since = this.got.at(-1)?.seq ?? this.#from;
    const before = c.events.length;
    await c.ok('subscribe', { since });
    assert.equal(before, 0);
    this.conn = c;
  }
  /** Wait until everything up to `seq` arrived (maybe before the last reconnect). */
  async waitUntil(seq: number): Promise<void> {
    if ((this.got.at(-1)?.seq ?? this.#from) >= seq) return;
    await this.conn?.waitSeq(seq);
  }
  /** Keep what arrived, then drop the connection (politely or not). */
  async drop(hard: boolean): Promise<void> {
    const c = this.conn;
    if (c === null) return;
    if (hard) c.ws.terminate(); else c.ws.close();
    await c.closed;
    this.got.push(...c.events);
    this.conn = null;
  }
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 1));

test('every subscriber sees the server log exactly, across drops and resumes', { timeout: 60_000 }, async () => {
  // One server for every run (starting an engine worker per run would dominate); each run
  // checks the stretch of the log it produced, from an idle engine to an idle engine.
  const s = await startV2Server({ v2: { logMaxEvents: 100_000 } });
  try {
  await fc.assert(fc.asyncProperty(fc.array(action, { minLength: 5, maxLength: 25 }), async (actions) => {
    const from = s.server.v2.hub.log.latest();
    const subs = Array.from({ length: SUBS }, () => new Resumer(s.url, from));
    const ctl = await V2Conn.connect(s.url);
    try {
      for (const r of subs) await r.connect();
      for (const a of actions) {
        if (a.kind === 'start') await ctl.request('start', { plan: a.plan === 'quick' ? 'fast_count' : 'slow_count', params: a.plan === 'quick' ? {} : { num: 4, delay: 0.003 } });
        else if (a.kind === 'pause') await ctl.request('pause', { defer: a.defer });
        else if (a.kind === 'drop') { const r = subs[a.sub]; if (r !== undefined) { await r.drop(a.hard); await tick(); await r.connect(); } }
        else if (a.kind === 'wait') await tick();
        else await ctl.request(a.kind);
      }
      // End whatever runs, then collect everything.
      if (s.dispatcher.state !== 'idle') await ctl.request('abort', { reason: 'property over' });
      await s.dispatcher.whenIdle();
      const log = s.server.v2.hub.log;
      const all = log.since(from);
      assert.notEqual(all, 'too_old');
      const expected = [...(all as Iterable<LoggedEvent>)].map((e) => e.frame.toString());
      for (const r of subs) {
        await r.waitUntil(log.latest());
        await r.drop(false);
        assert.deepEqual(r.got.map((e) => e.seq), Array.from({ length: log.latest() - from }, (_, i) => from + i + 1), 'gap-free, duplicate-free');
        assert.deepEqual(r.got.map((e) => JSON.stringify(e)), expected, 'identical to the server log');
        assert.deepEqual(invalidDocuments(r.got), []);
      }
    } finally {
      for (const r of subs) await r.drop(true);
      await ctl.close();
    }
  }), { numRuns: 60 });
  } finally {
    await s.close();
  }
});
