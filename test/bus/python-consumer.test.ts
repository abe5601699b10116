/**
 * docs/scale-out.md's Python consumer, run as written (extracted from the doc)
 * with Debian's python3-redis against a real server and Redis: it rebuilds the
 * runs from the documents stream, and what it prints matches the run index.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { type ServeChild, TestChild, runCli, startServe } from '../helpers/child.js';
import { TestRedis, redisSkip } from '../helpers/redis.js';

const PYTHON = '/usr/bin/python3';
const DOC = fileURLToPath(new URL('../../docs/scale-out.md', import.meta.url));

function pythonRedisSkip(): string | undefined {
  const r = spawnSync(PYTHON, ['-c', 'import redis'], { encoding: 'utf8', timeout: 20_000 });
  if (r.status === 0) return undefined;
  const why = `redis-py not importable by ${PYTHON} (apt-get install python3-redis): ${(r.stderr ?? String(r.error)).trim().split('\n').at(-1) ?? ''}`;
  if (process.env.CI === 'true') throw new Error(`CI=true and ${why}`);
  return why;
}

const skip = redisSkip() ?? pythonRedisSkip();

/** The script between the doc's python-consumer markers. */
function scriptFromDoc(): string {
  const m = /<!-- python-consumer:begin -->\s*```python\n([\s\S]*?)```\s*<!-- python-consumer:end -->/.exec(readFileSync(DOC, 'utf8'));
  assert.ok(m !== null, 'docs/scale-out.md has the python-consumer block');
  return m[1] ?? '';
}

interface Summary { uid: string; scan_id: number; plan_name: string; exit_status: string; num_events: Record<string, number>; matches_stop: boolean }

describe('the Python consumer of docs/scale-out.md (python3-redis, real Redis)', { skip, timeout: 240_000 }, () => {
  let redis: TestRedis;
  let dir: string;
  let served: ServeChild;

  before(async () => {
    redis = await TestRedis.start();
    dir = mkdtempSync(join(tmpdir(), 'bluesky-pyconsumer-'));
    writeFileSync(join(dir, 'rebuild_runs.py'), scriptFromDoc());
    served = await startServe(['--port', '0', '--data', join(dir, 'data'), '--bus', redis.url, '--instance', 'py', '--log-format', 'json']);
  });
  after(async () => {
    await served?.child.stop();
    await redis?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  test('rebuilds every run from the stream: uid, plan, scan_id, exit status and events per stream as the server recorded them', async () => {
    // Following from the start, while the runs happen.
    const py = new TestChild(PYTHON, [join(dir, 'rebuild_runs.py'), '--url', redis.url, '--instance', 'py'], { deadlineMs: 180_000 });
    try {
      for (const params of [{ detectors: ['det'], num: 7 }, { detectors: ['det'], args: ['motor', -1, 1], num: 5 }]) {
        const plan = 'args' in params ? 'scan' : 'count';
        const r = await runCli(['start', plan, '--params', JSON.stringify(params), '--url', served.url], { deadlineMs: 30_000 });
        assert.equal(r.code, 0, r.stderr);
        // Waits for the run's summary line: the stop has reached Redis and Python.
        await py.waitFor(new RegExp(`"plan_name": "${plan}"`), `python saw the ${plan}`, 60_000, 'out');
      }
    } finally {
      await py.stop('SIGTERM', 5_000);
    }
    const seen = py.out.trim().split('\n').map((l) => JSON.parse(l) as Summary);
    const listed = await runCli(['runs', 'list', '--json', '--data', join(dir, 'data')]);
    const runs = (JSON.parse(listed.stdout) as Array<{ uid: string; scan_id: number; plan_name: string; exit_status: string; num_events: Record<string, number> }>).reverse();
    assert.equal(seen.length, 2);
    assert.deepEqual(seen.map((s) => ({ uid: s.uid, scan_id: s.scan_id, plan_name: s.plan_name, exit_status: s.exit_status, num_events: s.num_events })),
      runs.map((r) => ({ uid: r.uid, scan_id: r.scan_id, plan_name: r.plan_name, exit_status: r.exit_status, num_events: r.num_events })));
    assert.ok(seen.every((s) => s.matches_stop));
    // Later, from the beginning of the stream, to its end: the same runs again.
    const again = new TestChild(PYTHON, [join(dir, 'rebuild_runs.py'), '--url', redis.url, '--instance', 'py', '--no-follow'], { deadlineMs: 60_000 });
    assert.equal(await again.code(), 0, again.err);
    assert.deepEqual(again.out.trim().split('\n').map((l) => (JSON.parse(l) as Summary).uid), seen.map((s) => s.uid));
  });
});
