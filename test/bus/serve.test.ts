/**
 * `serve --bus` as users run it (a real server process, a real redis-server):
 * every committed document reaches the stream and `consume` prints the same run
 * `runs export` does; Redis killed and restarted while a plan runs: the run goes
 * on, /healthz says how far behind the bus is, and the backlog is published in
 * order when Redis is back; bad flags are one line and exit 2.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type ServeChild, runCli, startServe } from '../helpers/child.js';
import { TestRedis, redisSkip } from '../helpers/redis.js';
import { until as waitUntil } from '../helpers/wait.js';

/** This file's wait: 30,000 ms, polled every 100 ms. */
const until = (what: string, test: () => Promise<boolean>, ms = 30_000): Promise<void> => waitUntil(what, test, ms, 100);

const skip = redisSkip();

interface BusHealth { connected: boolean; pending: number; published: number; lost: number; last_committed_seq: number; last_published_seq: number; behind_s: number }

async function health(s: ServeChild): Promise<{ bus: BusHealth; state: string }> {
  const r = await fetch(`http://127.0.0.1:${String(s.port)}/healthz`);
  return await r.json() as { bus: BusHealth; state: string };
}

/** Start a count and wait for the server to be idle again with the run's stop committed (polling /healthz, not `start --wait`). */
async function runPlan(s: ServeChild, num: number): Promise<void> {
  const before = (await health(s)).bus.last_committed_seq;
  const run = await runCli(['start', 'count', '--params', JSON.stringify({ detectors: ['det'], num }), '--url', s.url], { deadlineMs: 30_000 });
  assert.equal(run.code, 0, run.stderr);
  // A count of N commits 2 states, start, descriptor, N events, progress, stop, …: well over N + 3 entries.
  await until('the plan ran', async () => { const h = await health(s); return h.state === 'idle' && h.bus.last_committed_seq >= before + num + 3; });
}

const lines = (text: string): unknown[] => text.trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as unknown);

describe('serve --bus (real redis-server)', { skip, timeout: 240_000 }, () => {
  let redis: TestRedis;
  let dir: string;
  let served: ServeChild;

  before(async () => {
    redis = await TestRedis.start();
    dir = mkdtempSync(join(tmpdir(), 'bluesky-bus-serve-'));
    served = await startServe(['--port', '0', '--data', join(dir, 'data'), '--bus', redis.url, '--instance', 'e2e', '--log-format', 'json']);
  });
  after(async () => {
    await served?.child.stop();
    await redis?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  test('consume prints the run exactly as runs export does; /healthz has the bus', async () => {
    await runPlan(served, 20);
    await until('bus caught up', async () => { const h = (await health(served)).bus; return h.pending === 0 && h.last_published_seq === h.last_committed_seq && h.published > 0; });
    const consumed = await runCli(['consume', '--bus', redis.url, '--instance', 'e2e', '--no-follow'], { deadlineMs: 20_000 });
    assert.equal(consumed.code, 0, `${consumed.stderr}\n${consumed.stdout.slice(-3000)}`);
    const docs = lines(consumed.stdout) as Array<[string, { uid?: string }]>;
    assert.equal(docs[0]?.[0], 'start');
    assert.deepEqual(docs.map((d) => d[0]), ['start', 'descriptor', ...Array<string>(20).fill('event'), 'stop']);
    const exported = await runCli(['runs', 'export', docs[0]?.[1].uid ?? '', '--data', join(dir, 'data')]);
    assert.equal(exported.code, 0, exported.stderr);
    assert.deepEqual(docs, lines(exported.stdout));
    assert.match(consumed.stderr, /last entry id: \d+-0 \(resume with --since \d+-0\)/);
    // Resume after the start document: everything but it.
    const id = /last entry id: (\d+-0)/.exec(consumed.stderr)?.[1] ?? '';
    const again = await runCli(['consume', '--bus', redis.url, '--instance', 'e2e', '--no-follow', '--since', id]);
    assert.equal(again.stdout, '');
    const h = await health(served);
    assert.equal(h.bus.connected, true);
    assert.equal(h.bus.lost, 0);
  });

  test('Redis killed while a plan runs: the run goes on, /healthz shows the backlog, which is published in order when Redis is back', async () => {
    await redis.kill();
    await until('bus sees the outage', async () => !(await health(served)).bus.connected);
    await runPlan(served, 30);
    const during = (await health(served)).bus;
    assert.equal(during.connected, false);
    assert.ok(during.pending >= 33, `pending ${String(during.pending)}`);
    assert.ok(during.last_committed_seq > during.last_published_seq);
    await served.child.waitFor(/Redis unreachable; committed entries wait/, 'outage logged', 10_000, 'err');
    await redis.restart();
    await until('bus caught up', async () => { const h = (await health(served)).bus; return h.connected && h.pending === 0; });
    await served.child.waitFor(/Redis reachable again/, 'recovery logged', 10_000, 'err');
    // The restarted Redis came back empty: it holds exactly the run committed while it was away, in order.
    const consumed = await runCli(['consume', '--bus', redis.url, '--instance', 'e2e', '--no-follow']);
    const docs = lines(consumed.stdout) as Array<[string, { seq_num?: number }]>;
    assert.deepEqual(docs.map((d) => d[0]), ['start', 'descriptor', ...Array<string>(30).fill('event'), 'stop']);
    assert.deepEqual(docs.filter((d) => d[0] === 'event').map((d) => d[1].seq_num), Array.from({ length: 30 }, (_, i) => i + 1));
    assert.equal((await health(served)).bus.lost, 0);
  });
});

describe('serve --bus / consume: bad flags (one line, exit 2)', { skip, timeout: 120_000 }, () => {
  test('serve --bus with --no-data, a non-redis URL, a bad instance', async () => {
    const noData = await runCli(['serve', '--port', '0', '--no-data', '--bus', 'redis://127.0.0.1:1']);
    assert.equal(noData.code, 2);
    assert.match(noData.stderr, /--bus publishes what the run store committed: it needs --data/);
    const dir = mkdtempSync(join(tmpdir(), 'bluesky-bus-flags-'));
    try {
      const badUrl = await runCli(['serve', '--port', '0', '--data', dir, '--bus', 'http://127.0.0.1:1']);
      assert.equal(badUrl.code, 2);
      assert.match(badUrl.stderr, /--bus must use redis:\/\/ or rediss:\/\/, got "http".*\(BUS_BAD_URL\)/);
      const badInstance = await runCli(['serve', '--port', '0', '--data', dir, '--bus', 'redis://127.0.0.1:1', '--instance', 'a b']);
      assert.equal(badInstance.code, 2);
      assert.match(badInstance.stderr, /--instance must be 1-64 characters/);
      const badMaxlen = await runCli(['serve', '--port', '0', '--data', dir, '--bus', 'redis://127.0.0.1:1', '--bus-maxlen', 'lots']);
      assert.equal(badMaxlen.code, 2);
      assert.match(badMaxlen.stderr, /--bus-maxlen must be a whole number >= 1, got 'lots'/);
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });

  test('consume: bad --since, unreachable Redis', async () => {
    const since = await runCli(['consume', '--bus', 'redis://127.0.0.1:1', '--instance', 'x', '--since', 'yesterday']);
    assert.equal(since.code, 2);
    assert.match(since.stderr, /^error: --since must be a stream entry id/);
    const down = await runCli(['consume', '--bus', 'redis://127.0.0.1:1', '--instance', 'x']);
    assert.equal(down.code, 2);
    assert.match(down.stderr, /^error: cannot reach Redis at redis:\/\/127\.0\.0\.1:1/);
    assert.equal(down.stderr.trim().split('\n').length, 1);
  });
});
