/**
 * A real PostgreSQL 15 for a test: `initdb` into a temp directory, `postgres` on
 * a free loopback port with its unix socket in that directory and `fsync=off`
 * (speed; durability is not what these tests measure), stopped and removed by
 * `stop()`. PostgreSQL refuses to run as root: as root, both run as `nobody`
 * through `runuser` (the directory is handed to that user). Skip with one line
 * when the binaries are missing; under CI=true that is a failure.
 * @module
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { TestChild } from './child.js';
import { freePort } from './redis.js';

const BIN = process.env.BLUESKY_PG_BIN ?? '/usr/lib/postgresql/15/bin';
const RUN_AS = 'nobody';
const isRoot = (): boolean => process.getuid?.() === 0;

/** The one-line reason to skip, or undefined when PostgreSQL can run here. */
export function postgresSkip(): string | undefined {
  let why: string | undefined;
  if (!existsSync(join(BIN, 'initdb')) || !existsSync(join(BIN, 'postgres'))) why = `PostgreSQL binaries not found in ${BIN} (apt-get install postgresql-15)`;
  else if (isRoot() && spawnSync('runuser', ['--help'], { timeout: 10_000 }).status !== 0) why = 'running as root and runuser is missing (PostgreSQL refuses root)';
  if (why === undefined) return undefined;
  if (process.env.CI === 'true') throw new Error(`CI=true and ${why}`);
  return why;
}

/** `cmd args` as the user PostgreSQL runs as. */
function asPgUser(cmd: string, args: readonly string[]): [string, string[]] {
  return isRoot() ? ['runuser', ['-u', RUN_AS, '--', cmd, ...args]] : [cmd, [...args]];
}

export class TestPostgres {
  readonly dir: string;
  port = 0;
  #child: TestChild | null = null;
  #dbs = 0;

  readonly #settings: readonly string[];

  private constructor(dir: string, settings: readonly string[]) { this.dir = dir; this.#settings = settings; }

  /** The superuser's URL of database `db`. */
  url(db = 'postgres'): string { return `postgres://postgres@127.0.0.1:${String(this.port)}/${db}`; }

  /** `settings`: extra `-c` settings (the bench turns fsync back on and sets synchronous_commit=off, SQLite's NORMAL). */
  static async start(settings: readonly string[] = ['fsync=off', 'full_page_writes=off']): Promise<TestPostgres> {
    const dir = mkdtempSync(join(tmpdir(), 'bluesky-pg-'));
    const t = new TestPostgres(dir, settings);
    try {
      const data = join(dir, 'data');
      mkdirSync(data);
      mkdirSync(join(dir, 'sock'));
      if (isRoot()) {
        chmodSync(dir, 0o755);
        const id = spawnSync('id', ['-u', RUN_AS], { encoding: 'utf8' });
        const gid = spawnSync('id', ['-g', RUN_AS], { encoding: 'utf8' });
        for (const p of [data, join(dir, 'sock')]) chownSync(p, Number(id.stdout.trim()), Number(gid.stdout.trim()));
      }
      const [cmd, args] = asPgUser(join(BIN, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions']);
      const init = spawnSync(cmd, args, { encoding: 'utf8', timeout: 120_000 });
      if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.stdout || String(init.error)}`);
      for (let attempt = 0; ; attempt++) {
        t.port = await freePort();
        try { await t.#spawn(); break; } catch (e) { if (attempt >= 4) throw e; }
      }
      return t;
    } catch (e) {
      await t.stop();
      throw e;
    }
  }

  async #spawn(): Promise<void> {
    const [cmd, args] = asPgUser(join(BIN, 'postgres'), [
      '-D', join(this.dir, 'data'), '-p', String(this.port), '-k', join(this.dir, 'sock'),
      '-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', ...this.#settings.flatMap((x) => ['-c', x]),
    ]);
    // Its own process group: runuser does not pass every signal on, and postgres has children of its own.
    const child = new TestChild(cmd, args, { deadlineMs: 900_000, group: true });
    try {
      await child.waitFor(/database system is ready to accept connections/, 'postgres ready', 60_000, 'err');
    } catch (e) {
      await child.stop('SIGKILL');
      throw e;
    }
    this.#child = child;
  }

  /** A new empty database; returns its URL. */
  async createDatabase(prefix = 't'): Promise<string> {
    const name = `${prefix}_${String(++this.#dbs)}`;
    const c = new pg.Client({ connectionString: this.url() });
    await c.connect();
    try { await c.query(`CREATE DATABASE ${name}`); } finally { await c.end(); }
    return this.url(name);
  }

  /** Fast shutdown (SIGINT), SIGKILL to the group if it lingers; the directory is removed. */
  async stop(): Promise<void> {
    await this.#child?.stop('SIGINT', 10_000);
    this.#child = null;
    rmSync(this.dir, { recursive: true, force: true });
  }
}
