/**
 * One test per defect of the Python dispatcher that we fix (seed-protocol.md,
 * "Known defects"), plus parameter validation and the failing-plan contract.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { Gate, type TestServer, exchange, startTestServer, subscribe } from './helpers.js';

let srv: TestServer | null = null;
afterEach(async () => { await srv?.close(); srv = null; });

type Msg = Record<string, unknown>;
const parsed = (texts: string[]): Msg[] => texts.map((t) => JSON.parse(t) as Msg);

describe('fixed defects', () => {
  test('a frame without a usable type gets "Unsupported message type" (the seed: 1011, no reply)', async () => {
    srv = await startTestServer();
    for (const frame of ['{"plan": "simulated"}', '[]', '5', '"state"', 'null', '{"type": 5}', '{"type": null, "keep_open": true}']) {
      const got = await exchange(srv.url, frame);
      assert.deepEqual(got, { responses: ['{"success": false, "status": "Unsupported message type"}'], code: 1000 }, frame);
    }
  });

  test('start while paused is refused as busy (the seed accepted it and failed)', { timeout: 10_000 }, async () => {
    srv = await startTestServer();
    const sub = await subscribe(srv.url);
    await exchange(srv.url, { type: 'start', plan: 'gated' });
    await sub.waitFor((m) => typeof m.run_uid === 'string');
    assert.deepEqual((await exchange(srv.url, { type: 'pause' })).responses, ['{"success": true, "status": "pause requested"}']);
    await sub.waitFor((m) => m.state === 'paused');
    const got = await exchange(srv.url, { type: 'start', plan: 'fast_count' });
    assert.deepEqual(got.responses, ['{"success": false, "status": "Currently busy with \\"gated\\" scan"}']);
    await exchange(srv.url, { type: 'stop' });
    await srv.dispatcher.whenIdle();
    await sub.close();
  });

  test('resume answers at once and other clients are served while the plan runs', { timeout: 10_000 }, async () => {
    srv = await startTestServer();
    const sub = await subscribe(srv.url);
    await exchange(srv.url, { type: 'start', plan: 'gated' });
    await sub.waitFor((m) => typeof m.run_uid === 'string');
    await exchange(srv.url, { type: 'pause' });
    await sub.waitFor((m) => m.state === 'paused');
    const resumed = await exchange(srv.url, { type: 'resume' });
    assert.deepEqual(resumed.responses, ['{"success": true, "status": "resume requested"}']);
    // The plan is held at its gate: the seed's resume would still be blocking here.
    const state = await exchange(srv.url, { type: 'state' });
    assert.deepEqual(state.responses, ['{"type": "status", "about": "current state of the Bluesky RunEngine", "state": "running"}']);
    srv.gate.open();
    await sub.waitFor((m) => m.state === 'idle' && m.old_state === 'running');
    await sub.close();
  });

  test('the abort reason reaches the stop document, mid-run and while paused', { timeout: 10_000 }, async () => {
    srv = await startTestServer();
    const stops: Msg[] = [];
    srv.dispatcher.subscribeCallback((_n, doc) => { stops.push(doc as Msg); }, 'stop');
    for (const paused of [false, true]) {
      srv.gate = new Gate();
      const sub = await subscribe(srv.url);
      await exchange(srv.url, { type: 'start', plan: 'gated' });
      await sub.waitFor((m) => typeof m.run_uid === 'string');
      if (paused) {
        await exchange(srv.url, { type: 'pause' });
        await sub.waitFor((m) => m.state === 'paused');
      }
      const got = await exchange(srv.url, { type: 'abort', reason: `beam lost (paused: ${String(paused)})` });
      assert.deepEqual(got.responses, ['{"success": true, "status": "abort requested"}']);
      await srv.dispatcher.whenIdle();
      await sub.close();
    }
    assert.deepEqual(stops.map((d) => [d.exit_status, d.reason]), [['abort', 'beam lost (paused: false)'], ['abort', 'beam lost (paused: true)']]);
  });

  test('the run-uid update has the state-update shape, with a string time', { timeout: 10_000 }, async () => {
    srv = await startTestServer();
    const sub = await subscribe(srv.url);
    await exchange(srv.url, { type: 'start', plan: 'fast_count' });
    const i = await sub.waitFor((m) => typeof m.run_uid === 'string');
    const m = parsed(sub.messages)[i] as Msg;
    assert.deepEqual(Object.keys(m), ['type', 'about', 'state', 'old_state', 'plan_name', 'run_uid', 'run_start_time']);
    assert.match(String(m.run_start_time), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}\+00:00$/);
    assert.ok(!Number.isNaN(new Date(String(m.run_start_time).replace(' ', 'T')).getTime()));
    await sub.waitFor((x) => x.state === 'idle');
    await sub.close();
  });
});

describe('parameter validation before anything starts', () => {
  const invalid = async (s: TestServer, plan: string, params: unknown): Promise<Msg> => {
    const got = await exchange(s.url, { type: 'start', plan, params });
    assert.equal(got.code, 1000);
    const m = parsed(got.responses)[0] as Msg;
    assert.equal(m.success, false);
    assert.equal(s.dispatcher.busy, false, 'nothing started');
    return m;
  };

  test('unknown parameter, wrong type, unknown device: named, with did-you-mean and an errors array', async () => {
    srv = await startTestServer();
    const unknown = await invalid(srv, 'count', { detectors: ['det1'], nmu: 5 });
    assert.match(String(unknown.status), /^Invalid parameters for "count": unknown parameter "nmu".*did you mean "num"/);
    assert.deepEqual(Object.keys(unknown), ['success', 'status', 'errors']);
    const errors = unknown.errors as Msg[];
    assert.equal(errors[0]?.path, '/nmu');
    assert.equal(typeof errors[0]?.message, 'string');

    const wrongType = await invalid(srv, 'count', { detectors: ['det1'], num: 'five' });
    assert.match(String(wrongType.status), /"num"/);
    assert.match(String(wrongType.status), /five/);

    const device = await invalid(srv, 'count', { detectors: ['dett1'] });
    assert.match(String(device.status), /dett1.*did you mean "det1"/);

    const ours = await invalid(srv, 'slow_count', { num: 'x', dleay: 1 });
    assert.deepEqual((ours.errors as Msg[]).map((e) => e.path).sort(), ['/dleay', '/num']);
    assert.match(String(ours.status), /did you mean "delay"/);

    const notObject = await invalid(srv, 'slow_count', [1, 2]);
    assert.match(String(notObject.status), /must be an object/);
  });

  test('an unknown plan name keeps the seed text, adding a did-you-mean when one is close', async () => {
    srv = await startTestServer();
    const got = await exchange(srv.url, { type: 'start', plan: 'cuont' });
    assert.deepEqual(got.responses, ['{"success": false, "status": "I don\'t recognise any scan function by the name \\"cuont\\" (did you mean \\"count\\"?)"}']);
  });

  test('the standard plans take the run command\'s params', { timeout: 10_000 }, async () => {
    srv = await startTestServer();
    const sub = await subscribe(srv.url);
    const runs: Array<[string, unknown]> = [
      ['count', { detectors: ['det1'], num: 3, delay: 0.01 }],
      ['scan', { detectors: ['det'], args: ['motor', -1, 1], num: 3 }],
      ['rel_scan', { detectors: ['det'], args: ['motor', -1, 1], num: 3 }],
      ['list_scan', { detectors: ['det'], args: ['motor', [0, 0.5, 1]] }],
      ['grid_scan', { detectors: ['det4'], args: ['motor1', -1, 1, 2, 'motor2', -1, 1, 2] }],
    ];
    const stops: Msg[] = [];
    srv.dispatcher.subscribeCallback((_n, d) => { stops.push(d as Msg); }, 'stop');
    for (const [plan, params] of runs) {
      const got = await exchange(srv.url, { type: 'start', plan, params });
      assert.equal(parsed(got.responses)[0]?.success, true, `${plan}: ${got.responses[0] ?? ''}`);
      await srv.dispatcher.whenIdle();
    }
    assert.deepEqual(stops.map((d) => d.exit_status), ['success', 'success', 'success', 'success', 'success']);
    await sub.close();
  });
});

describe('a plan that throws', () => {
  test('subscribers get the exception, the stop document says fail with the reason, the server keeps serving', { timeout: 10_000 }, async () => {
    srv = await startTestServer();
    const stops: Msg[] = [];
    srv.dispatcher.subscribeCallback((_n, d) => { stops.push(d as Msg); }, 'stop');
    const sub = await subscribe(srv.url);
    await exchange(srv.url, { type: 'start', plan: 'failing' });
    const i = await sub.waitFor((m) => m.type === 'exception');
    assert.equal(sub.messages[i], '{"type": "exception", "about": "exception raised during execution of supplied bluesky plan", '
      + '"message": "supplied plan with name \\"failing\\" raised exception\\nValueError(\'planned failure after 2 events\')"}');
    assert.deepEqual(stops.map((d) => [d.exit_status, d.reason]), [['fail', 'planned failure after 2 events']]);
    await srv.dispatcher.whenIdle();
    const again = await exchange(srv.url, { type: 'start', plan: 'fast_count' });
    assert.equal(parsed(again.responses)[0]?.success, true);
    await sub.waitFor((m) => m.state === 'idle', i + 1);
    await sub.close();
  });
});
