/**
 * `serve` as the CLI composes it: the seed's two example clients (a start
 * request for `simulated` and a subscriber), GET /healthz, a `--plans` module,
 * and the graceful stop (abort with a reason, stop document, close 1001).
 */
import assert from 'node:assert/strict';
import { get } from 'node:http';
import { afterEach, describe, test } from 'node:test';
import { type Served, serve } from '../../src/cli/serve.js';
import { createLogger } from '../../src/server/index.js';
import { Client, exchange } from './helpers.js';

let served: Served | null = null;
afterEach(async () => { await served?.dispatcher.stop('test over'); served = null; });

const quiet = { port: 0, logger: createLogger({ level: 'silent' }) };

function httpGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

describe('serve', () => {
  test('registers the standard plans and simulated; /healthz answers', async () => {
    served = await serve(quiet);
    assert.deepEqual(served.dispatcher.scanNames, ['count', 'scan', 'rel_scan', 'list_scan', 'grid_scan', 'simulated']);
    const health = await httpGet(`http://127.0.0.1:${String(served.server.port)}/healthz`);
    assert.equal(health.status, 200);
    const body = JSON.parse(health.body) as Record<string, unknown>;
    assert.deepEqual([body.status, body.version, body.state, body.busy], ['ok', served.dispatcher.version, 'idle', false]);
    assert.equal(typeof body.uptime_s, 'number');
    assert.equal((await httpGet(`http://127.0.0.1:${String(served.server.port)}/nope`)).status, 404);
  });

  test("the seed's example clients: a start request and a subscriber, unchanged", { timeout: 20_000 }, async () => {
    served = await serve(quiet);
    const url = `ws://localhost:${String(served.server.port)}`; // the clients' URI form (no trailing slash)
    // websocket-subscribe-test.py: subscribe, then print every message.
    const subscriber = await Client.connect(url);
    subscriber.send('{"type": "subscribe"}');
    // websocket-client-test.py: start "simulated" with its params, read one reply, close with a reason.
    const client = await Client.connect(url);
    client.send('{"type": "start", "plan": "simulated", "params": {"example_param_1": 3, "example_param_2": 4}}');
    const [reply] = await client.count(1);
    assert.equal(reply, '{"success": true, "status": "Signalling main thread to start a new scan", "params": {"example_param_1": 3, "example_param_2": 4}}');
    client.ws.close(1000, 'thats enough testing for now');
    assert.equal((await client.closed).code, 1000);
    // The subscriber follows the whole scan: the count, then the artificial running state.
    await subscriber.waitFor((m) => m.state === 'running' && m.old_state === 'idle' && m.run_uid !== null);
    assert.equal(served.dispatcher.busy, true);
    // Shutting down mid-scan ends the 10 s sleep, and closes the subscriber with 1001.
    await served.dispatcher.stop('test shutdown');
    served = null;
    assert.equal((await subscriber.closed).code, 1001);
    const states = subscriber.parsed.filter((m) => m.type === 'status').map((m) => m.state);
    assert.deepEqual(states, ['idle', 'running', 'running', 'idle', 'running', 'idle']);
  });

  test('shutdown aborts a running plan with a reason and waits for its stop document', { timeout: 20_000 }, async () => {
    served = await serve(quiet);
    const stops: Array<Record<string, unknown>> = [];
    served.dispatcher.subscribeCallback((_n, d) => { stops.push(d as Record<string, unknown>); }, 'stop');
    const sub = await Client.connect(served.server.url);
    sub.send({ type: 'subscribe' });
    await exchange(served.server.url, { type: 'start', plan: 'count', params: { detectors: ['det1'], num: 1000, delay: 0.05 } });
    await sub.waitFor((m) => typeof m.run_uid === 'string');
    await served.dispatcher.stop('server received SIGTERM');
    served = null;
    assert.deepEqual(stops.map((d) => [d.exit_status, d.reason]), [['abort', 'server received SIGTERM']]);
    assert.equal((await sub.closed).code, 1001);
  });

  test('--plans loads a module exporting register(dispatcher)', { timeout: 20_000 }, async () => {
    served = await serve({ ...quiet, plans: new URL('../../examples/user-plans.ts', import.meta.url).pathname });
    assert.ok(served.dispatcher.scanNames.includes('repeated_count'));
    assert.ok(served.dispatcher.scanNames.includes('motor_sweep'));
    const bad = await exchange(served.server.url, { type: 'start', plan: 'repeated_count', params: { detector: 'dte1' } });
    assert.match(bad.responses[0] ?? '', /unknown device \\"dte1\\" \(did you mean \\"det1\\"\?\)/);
    const ok = await exchange(served.server.url, { type: 'start', plan: 'motor_sweep', params: { num: 3 } });
    assert.match(ok.responses[0] ?? '', /"success": true/);
    await served.dispatcher.whenIdle();
  });
});
