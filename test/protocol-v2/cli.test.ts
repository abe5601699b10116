/**
 * `watch` and `start` as real child processes against a real server: exit
 * codes 0 (success), 1 (failure/abort), 2 (bad input), and watch's plain lines.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type V2TestServer, startV2Server } from './helpers.js';

const BIN = fileURLToPath(new URL('../../bin/bluesky-dispatcher.js', import.meta.url));
let s: V2TestServer;
const children: ChildProcess[] = [];
before(async () => { s = await startV2Server(); });
after(async () => { for (const c of children) if (c.exitCode === null) c.kill('SIGKILL'); await s.close(); });

interface Run { child: ChildProcess; out: () => string; err: () => string; exit: Promise<number> }

function cli(args: string[]): Run {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
  const exit = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
  return { child, out: () => out, err: () => err, exit };
}

describe('start', { timeout: 60_000 }, () => {
  test('--wait follows a successful plan to its end: exit 0', async () => {
    const r = cli(['start', 'scan', '--params', '{"detectors":["det"],"args":["motor",-1,1],"num":5}', '--url', s.url, '--wait']);
    assert.equal(await r.exit, 0, r.err());
    assert.match(r.out(), /started scan item [0-9a-f-]{36}/);
    assert.match(r.out(), /progress \[#+\] 100% 5\/5/);
    assert.match(r.out(), /run finished: success/);
  });

  test('a failing plan: exit 1', async () => {
    const r = cli(['start', 'failing', '--url', s.url, '--wait']);
    assert.equal(await r.exit, 1);
    assert.match(r.out(), /run finished: fail/);
  });

  test('bad input: exit 2 (unknown plan, invalid params, bad JSON)', async () => {
    for (const args of [['cuont'], ['count', '--params', '{"nmu":1}'], ['count', '--params', '{nope']]) {
      const r = cli(['start', ...args, '--url', s.url]);
      assert.equal(await r.exit, 2, r.err());
      assert.match(r.err(), /error \((unknown_plan|invalid_params|bad_request)\)/);
    }
  });

  test('without --wait: prints the item id and exits 0 at once', async () => {
    const r = cli(['start', 'fast_count', '--url', s.url]);
    assert.equal(await r.exit, 0, r.err());
    assert.match(r.out(), /started fast_count item/);
    await s.dispatcher.whenIdle();
  });
});

describe('watch', { timeout: 60_000 }, () => {
  test('plain lines when not a TTY: status, state changes, progress; SIGINT exits 0', async () => {
    const w = cli(['watch', '--url', s.url]);
    while (!w.out().includes('status idle')) await new Promise((r) => w.child.stdout?.once('data', r));
    const r = cli(['start', 'scan', '--params', '{"detectors":["det"],"args":["motor",-1,1],"num":3}', '--url', s.url, '--wait']);
    assert.equal(await r.exit, 0);
    while (!/state idle \(was running\)/.test(w.out())) await new Promise((res) => w.child.stdout?.once('data', res));
    w.child.kill('SIGINT');
    assert.equal(await w.exit, 0);
    assert.match(w.out(), /state running \(was idle\) plan=scan/);
    assert.match(w.out(), /progress \[#+\] 100% 3\/3/);
  });
});
