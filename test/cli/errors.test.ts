/**
 * Usage and environment errors are one line on stderr and exit code 2, never
 * a stack trace; a reader that closes stdout ends the output quietly; `serve`
 * says where it listens in one human line. Real child processes (issue 15).
 * @module
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { cliChild, runCli, startServe } from '../helpers/child.js';

const dir = mkdtempSync(join(tmpdir(), 'bsd-cli-errors-'));
after(() => { rmSync(dir, { recursive: true, force: true }); });

/** Exit 2 with exactly one line on stderr, and no stack trace. */
function usageError(r: { code: number | null; stderr: string; stdout: string }, pattern: RegExp): void {
  assert.equal(r.code, 2, `exit code\n${r.stderr}`);
  assert.equal(r.stderr.trim().split('\n').length, 1, `one line expected:\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  assert.match(r.stderr, pattern);
}

describe('run: files and pipes', { timeout: 120_000 }, () => {
  test('--jsonl or --msgs in a directory that does not exist: one line, exit 2, before anything runs', async () => {
    usageError(await runCli(['run', 'count', '--params', '{"detectors":["det"],"num":3}', '--jsonl', '/nonexistent/x.jsonl']),
      /^error: cannot write --jsonl \/nonexistent\/x\.jsonl: no such file or directory \(ENOENT\)$/m);
    usageError(await runCli(['run', 'count', '--params', '{"detectors":["det"],"num":3}', '--msgs', dir]),
      /^error: cannot write --msgs .*: is a directory \(EISDIR\)$/m);
  });

  test('run --jsonl - | head: the reader closes stdout, the run ends quietly (no EPIPE), exit 0', async () => {
    const c = cliChild(['run', 'count', '--params', '{"detectors":["det"],"num":100000}', '--jsonl', '-'], { deadlineMs: 60_000 });
    await c.waitFor(/"descriptor"/, 'the first documents', 30_000, 'out');
    c.proc.stdout?.destroy(); // what `head` does once it has its lines
    const { code, signal } = await c.exited;
    assert.equal(signal, null, 'ended by itself, quickly');
    assert.equal(code, 0, c.err);
    assert.equal(c.err, '');
  });

  test('the live table piped into a reader that stops: quiet too', async () => {
    const c = cliChild(['run', 'count', '--params', '{"detectors":["det"],"num":100000}'], { deadlineMs: 60_000 });
    await c.waitFor(/seq_num/, 'the table header', 30_000, 'out');
    c.proc.stdout?.destroy();
    assert.equal(await c.code(), 0, c.err);
    assert.equal(c.err, '');
  });

  test('a slow reader is waited for (no EAGAIN failure)', async () => {
    const c = cliChild(['run', 'count', '--params', '{"detectors":["det"],"num":3000}', '--jsonl', '-'], { deadlineMs: 60_000 });
    c.proc.stdout?.pause();
    await new Promise((r) => setTimeout(r, 1500)); // the pipe fills while nobody reads
    c.proc.stdout?.resume();
    assert.equal(await c.code(), 0, c.err);
    assert.equal(c.out.trim().split('\n').length, 3003);
  });
});

describe('serve', { timeout: 120_000 }, () => {
  test('a port in use, or out of range: one line, exit 2', async () => {
    const first = await startServe(['--port', '0', '--no-data']);
    try {
      usageError(await runCli(['serve', '--port', String(first.port), '--no-data']),
        new RegExp(`^bluesky-dispatcher serve: cannot listen on 127\\.0\\.0\\.1:${String(first.port)}: the port is in use`));
    } finally {
      await first.child.stop();
    }
    usageError(await runCli(['serve', '--port', '99999', '--no-data']), /^error: --port must be an integer 0\.\.65535, got '99999'$/m);
    usageError(await runCli(['serve', '--log-format', 'fancy', '--no-data']), /--log-format must be human or json/);
    usageError(await runCli(['serve', '--max-points', '0', '--no-data']), /--max-points must be a whole number >= 1, got '0'/);
    usageError(await runCli(['serve', '--port', '0', '--no-data', '--plans', '/nonexistent/plans.ts']), /^bluesky-dispatcher serve: cannot load plans module \/nonexistent\/plans\.ts: /m);
  });

  test('--log-format human: one line with the panel, v1 and v2 addresses; SIGTERM exits 0', async () => {
    const c = cliChild(['serve', '--port', '0', '--no-data', '--log-format', 'human'], { deadlineMs: 60_000 });
    const m = await c.waitFor(/^bluesky-dispatcher \S+ ready: panel (http:\/\/127\.0\.0\.1:(\d+)\/) · v1 ws:\/\/127\.0\.0\.1:\2\/ · v2 ws:\/\/127\.0\.0\.1:\2\/v2 · no data kept \(Ctrl-C stops\)$/m, 'the ready line', 30_000, 'err');
    assert.equal(c.err.trim(), m[0], 'nothing but the ready line');
    const res = await fetch(m[1] as string);
    assert.equal(res.status, 200, 'the panel is where the line says');
    assert.equal((await c.stop('SIGTERM')).code, 0);
  });

  test('not a terminal (default): JSON lines, the ready line carrying panel and v2', async () => {
    const s = await startServe(['--port', '0', '--no-data']);
    try {
      const ready = s.child.err.split('\n').find((l) => l.includes('"msg":"ready"')) ?? '';
      const o = JSON.parse(ready) as { url: string; panel: string; v2: string };
      assert.equal(o.panel, `http://127.0.0.1:${String(s.port)}/`);
      assert.equal(o.v2, `ws://127.0.0.1:${String(s.port)}/v2`);
      assert.equal(o.url, `ws://127.0.0.1:${String(s.port)}/`);
    } finally {
      await s.child.stop();
    }
  });
});
