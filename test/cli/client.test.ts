/**
 * The client commands as a user runs them — real child processes against a
 * real server (protocol v2): `start [--wait]`, `watch`, `status`, `pause`,
 * `resume`, `stop`, `abort`, `halt`; `--url` / `--port`; the one-line hints
 * for a wrong URL; exit codes 0 (success, a pause included), 1 (fail, abort,
 * halt, a refused verb), 2 (bad input, no server). Regression tests for issue 15.
 * @module
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, afterEach, before, describe, test } from 'node:test';
import { WebSocketServer } from 'ws';
import { type TestChild, cliChild, runCli } from '../helpers/child.js';
import { Gate, type V2TestServer, startV2Server } from '../protocol-v2/helpers.js';

let s: V2TestServer;
let port = 0;
const children: TestChild[] = [];
before(async () => {
  s = await startV2Server();
  port = s.server.port;
  // The test plans module (test/fixtures/test-plans.ts) has fails_at_once and slow_finish too.
});
after(async () => {
  for (const c of children) await c.stop('SIGKILL');
  await s.close();
});
// A test that failed half-way must not leave the next one a busy server.
afterEach(async () => {
  s.gate.open();
  if (s.dispatcher.state === 'paused') await s.dispatcher.requestAbort('test cleanup');
  await s.dispatcher.whenIdle();
});

/** A CLI child we wait on while doing other things; killed at the end if still running. */
function background(args: string[]): TestChild {
  const c = cliChild(args, { deadlineMs: 90_000 });
  children.push(c);
  return c;
}

const oneLine = (text: string): void => assert.equal(text.trim().split('\n').length, 1, `one line expected:\n${text}`);

/** Start `gated` with --wait and wait until its run has its first point. */
async function waitingOnGated(): Promise<TestChild> {
  s.gate = new Gate();
  const w = background(['start', 'gated', '--port', String(port), '--wait']);
  await w.waitFor(/progress 1 points/, 'the gated run\'s first point');
  return w;
}

describe('start', { timeout: 120_000 }, () => {
  test('--wait follows a successful plan to its end: exit 0', async () => {
    const r = await runCli(['start', 'scan', '--params', '{"detectors":["det"],"args":["motor",-1,1],"num":5}', '--url', s.url, '--wait']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /started scan item [0-9a-f-]{36}/);
    assert.match(r.stdout, /progress \[#+\] 100% 5\/5/);
    assert.match(r.stdout, /run finished: success/);
    assert.match(r.stdout, /item done: 1 run\(s\), success/);
  });

  test('--wait: a plan that fails in its run: exit 1', async () => {
    const r = await runCli(['start', 'failing', '--url', s.url, '--wait']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /run finished: fail/);
    assert.match(r.stdout, /failing: failed: ValueError: planned failure after 2 events/);
  });

  test('--wait: a plan that fails before any run exits 1 at once (it used to hang)', async () => {
    const r = await runCli(['start', 'fails_at_once', '--url', s.url, '--wait'], { deadlineMs: 60_000 });
    assert.equal(r.signal, null, `killed at the deadline: it hung\n${r.stdout}`);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /fails_at_once: failed: RangeError: bad setup/);
    assert.match(r.stdout, /item failed/);
  });

  test('--wait: a scan still busy after its run (engine idle, no further event) ends when the item does', async () => {
    const r = await runCli(['start', 'slow_finish', '--url', s.url, '--wait'], { deadlineMs: 60_000 });
    assert.equal(r.signal, null, `killed at the deadline: it hung\n${r.stdout}`);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /item done: 1 run\(s\), success/);
  });

  test('--wait: paused, then resumed from the CLI, ends 0, and the pause reads in words', async () => {
    const w = await waitingOnGated();
    const p = await runCli(['pause', '--port', String(port)]);
    assert.equal(p.code, 0, p.stderr);
    assert.equal(p.stdout, 'pausing (it resumes from the last checkpoint)\n');
    await w.waitFor(/gated: paused at a checkpoint — resume, stop, abort or halt/, 'the pause in words');
    const st = await runCli(['status', '--port', String(port)]);
    assert.match(st.stdout, /^paused gated \(run [0-9a-f]{8}, item [0-9a-f]{8}, since [\d:]+\) — resume, stop, abort or halt\n$/);
    const r = await runCli(['resume', '--port', String(port)]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'resuming from the last checkpoint\n');
    s.gate.open();
    assert.equal(await w.code(), 0, w.out + w.err);
    assert.match(w.out, /item done: 1 run\(s\), success \(paused along the way\)/);
    assert.doesNotMatch(w.out, /RE\.resume\(\)/, 'no Python console text');
  });

  test('--wait: a deferred pause then a stop: exit 0 ("stopped by request" is not a failure)', async () => {
    const w = await waitingOnGated();
    const p = await runCli(['pause', '--defer', '--port', String(port)]);
    assert.equal(p.stdout, 'pausing at the next checkpoint\n');
    const stop = await runCli(['stop', '--port', String(port)]);
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(stop.stdout, 'stopping (cleanup runs; the run ends as a success)\n');
    assert.equal(await w.code(), 0, w.out + w.err);
    assert.match(w.out, /gated: stopped by request/);
    assert.match(w.out, /run finished: success/);
  });

  test('--wait: aborted with a reason, or halted: exit 1', async () => {
    const w = await waitingOnGated();
    const a = await runCli(['abort', '--reason', 'beam lost', '--port', String(port)]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(a.stdout, 'aborting (cleanup runs; the run ends as aborted): beam lost\n');
    assert.equal(await w.code(), 1, w.out + w.err);
    assert.match(w.out, /run finished: abort \(beam lost\)/);
    assert.match(w.out, /gated: aborted by request: beam lost/);

    const h = await waitingOnGated();
    assert.equal((await runCli(['halt', '--port', String(port)])).code, 0);
    assert.equal(await h.code(), 1, h.out + h.err);
    assert.match(h.out, /halted by request/);
  });

  test('bad input: exit 2, one line (unknown plan, invalid params, bad JSON)', async () => {
    for (const args of [['cuont'], ['count', '--params', '{"nmu":1}'], ['count', '--params', '{nope']]) {
      const r = await runCli(['start', ...args, '--url', s.url]);
      assert.equal(r.code, 2, r.stderr);
      oneLine(r.stderr);
      assert.match(r.stderr, /error( \((unknown_plan|invalid_params)\))?: /);
    }
  });

  test('without --wait: prints the item id and exits 0 at once', async () => {
    const r = await runCli(['start', 'fast_count', '--url', s.url]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /started fast_count item/);
    await s.dispatcher.whenIdle();
  });
});

describe('status and the control verbs', { timeout: 60_000 }, () => {
  test('status: one line, or --json', async () => {
    const r = await runCli(['status', '--port', String(port)]);
    assert.deepEqual([r.code, r.stdout], [0, 'idle\n']);
    const j = await runCli(['status', '--port', String(port), '--json']);
    assert.equal((JSON.parse(j.stdout) as { state: string }).state, 'idle');
  });

  test('a verb the engine refuses now: one line saying why, exit 1', async () => {
    for (const verb of ['resume', 'stop', 'abort', 'halt', 'pause']) {
      const r = await runCli([verb, '--port', String(port)]);
      assert.equal(r.code, 1, `${verb}: ${r.stderr}`);
      oneLine(r.stderr);
      assert.match(r.stderr, new RegExp(`^error: cannot ${verb}: the engine is idle; only a `));
    }
  });
});

describe('where to connect: --url, --port, and hints for a wrong URL', { timeout: 60_000 }, () => {
  test('--url without a path gets /v2; host:port alone works', async () => {
    for (const url of [`ws://127.0.0.1:${String(port)}`, `ws://127.0.0.1:${String(port)}/`, `127.0.0.1:${String(port)}`]) {
      const r = await runCli(['status', '--url', url]);
      assert.equal(r.code, 0, `${url}: ${r.stderr}`);
    }
  });

  test('an http:// URL (the panel\'s): exit 2, one line pointing at ws:// and --port', async () => {
    const r = await runCli(['watch', '--url', `http://127.0.0.1:${String(port)}/`]);
    assert.equal(r.code, 2);
    oneLine(r.stderr);
    assert.match(r.stderr, new RegExp(`HTTP address .* --url ws://127\\.0\\.0\\.1:${String(port)} \\(or --port ${String(port)}\\)`));
  });

  test('nothing listening: exit 2, one line, quickly', async () => {
    const free = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    const r = await runCli(['start', 'count', '--port', String(free), '--wait']);
    assert.equal(r.code, 2);
    oneLine(r.stderr);
    assert.match(r.stderr, /nothing is listening at ws:\/\/127\.0\.0\.1:\d+\/v2: start one with `bluesky-dispatcher serve`/);
    assert.ok(r.ms < 30_000, `${String(r.ms)} ms`);
  });

  test('a path that is no endpoint: the HTTP status and the right URL', async () => {
    const r = await runCli(['status', '--url', `ws://127.0.0.1:${String(port)}/nope`]);
    assert.equal(r.code, 2);
    oneLine(r.stderr);
    assert.match(r.stderr, new RegExp(`not a websocket endpoint \\(HTTP 404\\); a bluesky-dispatcher server's is ws://127\\.0\\.0\\.1:${String(port)}/v2`));
  });

  test('a server speaking protocol v1 (like the Python dispatcher): says so, instead of "connection closed (1000)"', async () => {
    // The Python dispatcher answers any frame it cannot use like this, on any path, and closes.
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    wss.on('connection', (ws) => ws.on('message', () => {
      ws.send(JSON.stringify({ success: false, status: 'Your message could not be parsed' }));
      ws.close(1000);
    }));
    await new Promise((resolve) => wss.once('listening', resolve));
    try {
      const r = await runCli(['status', '--port', String((wss.address() as { port: number }).port)]);
      assert.equal(r.code, 2);
      oneLine(r.stderr);
      assert.match(r.stderr, /speaks protocol v1 \(the Python dispatcher's\); the command line needs protocol v2/);
      assert.doesNotMatch(r.stderr, /connection closed/);
    } finally {
      await new Promise((resolve) => wss.close(resolve));
    }
  });

  test('--url and --port together, or a bad --port: exit 2, one line', async () => {
    for (const args of [['--url', s.url, '--port', '1'], ['--port', '99999'], ['--port', 'x']]) {
      const r = await runCli(['status', ...args]);
      assert.equal(r.code, 2, r.stderr);
      oneLine(r.stderr);
    }
  });
});

describe('watch', { timeout: 60_000 }, () => {
  test('plain lines when not a TTY: status, state changes, progress, a pause in words; SIGINT exits 0', async () => {
    const w = background(['watch', '--port', String(port)]);
    await w.waitFor(/status idle seq=\d+/, 'watch\'s first line');
    const paused = await waitingOnGated();
    await runCli(['pause', '--port', String(port)]);
    await w.waitFor(/gated: paused at a checkpoint — resume, stop, abort or halt/, 'the pause in words');
    await runCli(['resume', '--port', String(port)]);
    s.gate.open();
    assert.equal(await paused.code(), 0);
    await w.waitFor(/state idle \(was running\)/, 'the end of the run');
    const { code } = await w.stop('SIGINT');
    assert.equal(code, 0);
    assert.match(w.out, /state running \(was idle\) plan=gated/);
    assert.match(w.out, /run [0-9a-f]{8} plan=gated/);
    assert.doesNotMatch(w.out, /RE\.resume\(\)/);
  });
});
