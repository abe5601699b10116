/**
 * A real Redis for a test: `redis-server` on a free loopback port in a temp
 * directory, nothing persisted (`--save '' --appendonly no`), stopped (and the
 * directory removed) by `stop()`; `restart()` brings it back empty on the same
 * port, as a Redis without persistence comes back. Skip with one line when
 * redis-server is missing; under CI=true that is a failure.
 * @module
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestChild } from './child.js';

const BIN = 'redis-server';

/** The one-line reason to skip, or undefined when redis-server runs here. */
export function redisSkip(): string | undefined {
  const r = spawnSync(BIN, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  if (r.status === 0) return undefined;
  const why = `redis-server not found (apt-get install redis-server): ${r.error?.message ?? r.stderr.trim()}`;
  if (process.env.CI === 'true') throw new Error(`CI=true and ${why}`);
  return why;
}

/** A port nobody listens on right now (the OS's pick). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export class TestRedis {
  readonly dir: string;
  port = 0;
  #child: TestChild | null = null;

  private constructor(dir: string) { this.dir = dir; }

  get url(): string { return `redis://127.0.0.1:${String(this.port)}`; }
  get running(): boolean { return this.#child?.running === true; }

  static async start(): Promise<TestRedis> {
    const r = new TestRedis(mkdtempSync(join(tmpdir(), 'bluesky-redis-')));
    try {
      // Another process may take the port between our probe and redis's bind: try a few.
      for (let attempt = 0; ; attempt++) {
        r.port = await freePort();
        try { await r.#spawn(); return r; } catch (e) { if (attempt >= 4) throw e; }
      }
    } catch (e) {
      rmSync(r.dir, { recursive: true, force: true });
      throw e;
    }
  }

  async #spawn(): Promise<void> {
    const child = new TestChild(BIN, [
      '--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', '--appendonly', 'no',
      '--daemonize', 'no', '--protected-mode', 'yes', '--logfile', '',
    ], { deadlineMs: 600_000 });
    try {
      await child.waitFor(/Ready to accept connections/, 'redis-server ready', 20_000, 'out');
    } catch (e) {
      await child.stop('SIGKILL');
      throw e;
    }
    this.#child = child;
  }

  /** Kill it (SIGKILL: an outage, not a shutdown). */
  async kill(): Promise<void> {
    await this.#child?.stop('SIGKILL');
    this.#child = null;
  }

  /** Start it again on the same port (empty, as without persistence). */
  async restart(): Promise<void> {
    if (this.running) await this.kill();
    // The old socket may linger a moment on a loaded machine.
    for (let attempt = 0; ; attempt++) {
      try { await this.#spawn(); return; } catch (e) {
        if (attempt >= 10) throw e;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  async stop(): Promise<void> {
    await this.#child?.stop('SIGTERM', 5_000);
    this.#child = null;
    rmSync(this.dir, { recursive: true, force: true });
  }
}
