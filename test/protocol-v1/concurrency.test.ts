/**
 * Concurrency: clients racing to start, every control verb in every state,
 * subscribers joining mid-run, and 200 back-to-back runs with 10 subscribers
 * each seeing every transition in order. Synchronised on messages, never on time.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { Client, Gate, type TestServer, exchange, startTestServer, subscribe } from './helpers.js';

let srv: TestServer | null = null;
afterEach(async () => { await srv?.close(); srv = null; });

type Msg = Record<string, unknown>;
const ok = (verb: string): string => `{"success": true, "status": "${verb} requested"}`;
const exc = (repr: string): string => JSON.stringify({ success: false, status: 'exception was raised', exception: repr }).replaceAll('":', '": ').replaceAll(',"', ', "');
const NOT_PAUSED = '{"success": false, "status": "cannot resume a runEngine that isn\'t paused"}';
const IDLE_ERR = exc("TransitionError('RunEngine is already idle.')");
const pauseErr = (state: string): string => exc(`TransitionError("Run Engine is in '${state}' state and can not be paused.")`);
const stateIs = (state: string): string => `{"type": "status", "about": "current state of the Bluesky RunEngine", "state": "${state}"}`;
const busy = (plan: string): string => `{"success": false, "status": "Currently busy with \\"${plan}\\" scan"}`;
const STARTED = '{"success": true, "status": "Signalling main thread to start a new scan"}';

describe('two clients racing to start', () => {
  test('exactly one of two simultaneous starts wins, 20 times over', { timeout: 20_000 }, async () => {
    srv = await startTestServer();
    for (let i = 0; i < 20; i++) {
      srv.gate = new Gate(); // the winner's run stays up until both have their answer
      const [a, b]: Client[] = await Promise.all([Client.connect(srv.url), Client.connect(srv.url)]);
      a?.send({ type: 'start', plan: 'gated' });
      b?.send({ type: 'start', plan: 'gated' });
      await Promise.all([a?.closed, b?.closed]);
      assert.deepEqual([a?.messages[0], b?.messages[0]].sort(), [busy('gated'), STARTED].sort());
      srv.gate.open();
      await srv.dispatcher.whenIdle();
    }
  });
});

type Setup = (s: TestServer, sub: Client) => Promise<void>;
const waitState = (state: string): ((m: Msg) => boolean) => (m) => m.state === state && 'old_state' in m;

/** How to bring the server into each state, and the expected reply to each verb there. */
const STATES: Record<string, { setup: Setup; replies: Record<string, string> }> = {
  idle: {
    setup: async () => undefined,
    replies: { pause: pauseErr('idle'), resume: NOT_PAUSED, stop: IDLE_ERR, abort: IDLE_ERR, halt: IDLE_ERR, state: stateIs('idle'), start: STARTED },
  },
  running: {
    setup: async (s, sub) => { await exchange(s.url, { type: 'start', plan: 'gated' }); await sub.waitFor((m) => typeof m.run_uid === 'string'); },
    replies: { pause: ok('pause'), resume: NOT_PAUSED, stop: ok('stop'), abort: ok('abort'), halt: ok('halt'), state: stateIs('running'), start: busy('gated') },
  },
  paused: {
    setup: async (s, sub) => {
      await STATES.running?.setup(s, sub);
      await exchange(s.url, { type: 'pause' });
      await sub.waitFor(waitState('paused'));
    },
    replies: { pause: pauseErr('paused'), resume: ok('resume'), stop: ok('stop'), abort: ok('abort'), halt: ok('halt'), state: stateIs('paused'), start: busy('gated') },
  },
  stopping: {
    setup: async (s, sub) => {
      await exchange(s.url, { type: 'start', plan: 'held_cleanup' });
      await sub.waitFor((m) => typeof m.run_uid === 'string');
      await exchange(s.url, { type: 'stop' });
      await sub.waitFor(waitState('stopping'));
    },
    replies: {
      pause: pauseErr('stopping'), resume: NOT_PAUSED, stop: exc("TransitionError(\"Cannot transit from 'stopping' to 'stopping'.\")"),
      abort: exc("TransitionError(\"Cannot transit from 'stopping' to 'aborting'.\")"), halt: exc("TransitionError(\"Cannot transit from 'stopping' to 'halting'.\")"),
      state: stateIs('stopping'), start: busy('held_cleanup'),
    },
  },
  'busy, engine idle (simulated sleeping)': {
    setup: async (s, sub) => { await exchange(s.url, { type: 'start', plan: 'simulated' }); await sub.waitFor((m) => m.state === 'running' && m.old_state === 'idle' && m.run_uid !== null); },
    replies: { pause: pauseErr('idle'), resume: NOT_PAUSED, stop: IDLE_ERR, abort: IDLE_ERR, halt: IDLE_ERR, state: stateIs('idle'), start: busy('simulated') },
  },
};

describe('every control verb in every state', () => {
  for (const [state, { setup, replies }] of Object.entries(STATES)) {
    for (const [verb, expected] of Object.entries(replies)) {
      test(`${verb} while ${state}`, { timeout: 10_000 }, async () => {
        const simulated = new Gate();
        const cleanup = new Gate();
        srv = await startTestServer({
          simulatedGate: () => simulated.promise,
          gates: { cleanup: () => cleanup.promise },
        });
        const sub = await subscribe(srv.url);
        await setup(srv, sub);
        const frame = verb === 'start' ? { type: 'start', plan: 'fast_count' } : { type: verb };
        const got = await exchange(srv.url, frame);
        assert.deepEqual(got, { responses: [expected], code: 1000 });
        // Let whatever runs finish before the server closes.
        srv.gate.open(); simulated.open(); cleanup.open();
        if (srv.dispatcher.state === 'paused') await exchange(srv.url, { type: 'resume' });
        await srv.dispatcher.whenIdle();
        await sub.close();
      });
    }
  }
});

describe('a subscriber joining mid-run', () => {
  test('is told the running plan, its run uid and start time, then every later transition', { timeout: 10_000 }, async () => {
    srv = await startTestServer();
    const first = await subscribe(srv.url);
    await exchange(srv.url, { type: 'start', plan: 'gated' });
    await first.waitFor((m) => typeof m.run_uid === 'string');
    const running = await subscribe(srv.url);
    await exchange(srv.url, { type: 'pause' });
    await first.waitFor(waitState('paused'));
    const paused = await subscribe(srv.url);
    const uid = (JSON.parse(first.messages[2] ?? '{}') as Msg).run_uid;
    for (const [c, state] of [[running, 'running'], [paused, 'paused']] as const) {
      const m = JSON.parse(c.messages[0] ?? '{}') as Msg;
      assert.deepEqual([m.state, m.plan_name, m.run_uid, typeof m.run_start_time], [state, 'gated', uid, 'string']);
    }
    srv.gate.open();
    await exchange(srv.url, { type: 'resume' });
    await srv.dispatcher.whenIdle();
    await Promise.all([first, running, paused].map(async (c) => c.waitFor((m) => m.state === 'idle' && m.old_state === 'running')));
    const tail = (c: Client): unknown[] => c.messages.slice(-2).map((t) => (JSON.parse(t) as Msg).state);
    assert.deepEqual([tail(first), tail(running), tail(paused)], [['running', 'idle'], ['running', 'idle'], ['running', 'idle']]);
    await Promise.all([first, running, paused].map(async (c) => c.close()));
  });
});

describe('200 back-to-back quick plans, 10 subscribers', () => {
  test('each subscriber sees every transition of every run, in order', { timeout: 60_000 }, async () => {
    srv = await startTestServer();
    const subs = await Promise.all(Array.from({ length: 10 }, async () => subscribe((srv as TestServer).url)));
    const control = await Client.connect(srv.url);
    for (let run = 0; run < 200;) {
      const n = control.messages.length;
      control.send({ type: 'start', plan: 'fast_count', keep_open: true });
      const [reply] = (await control.count(n + 1)).slice(n);
      if (reply === STARTED) run++;
      else assert.equal(reply, busy('fast_count'));
      await srv.dispatcher.whenIdle();
    }
    const expected = 1 + 200 * 3;
    const uids = new Set<unknown>();
    for (const c of subs) {
      const msgs = (await c.count(expected)).map((t) => JSON.parse(t) as Msg);
      assert.equal(c.messages.length, expected);
      for (let run = 0; run < 200; run++) {
        const [a, b, z] = msgs.slice(1 + run * 3, 4 + run * 3) as [Msg, Msg, Msg];
        assert.deepEqual([a.state, a.old_state, a.run_uid], ['running', 'idle', null], `run ${String(run)}`);
        assert.deepEqual([b.state, b.old_state], ['running', null]);
        assert.deepEqual([z.state, z.old_state, z.run_uid], ['idle', 'running', b.run_uid]);
        assert.equal(a.run_start_time, z.run_start_time);
        uids.add(b.run_uid);
      }
    }
    assert.equal(uids.size, 200);
    await Promise.all([...subs, control].map(async (c) => c.close()));
  });
});
