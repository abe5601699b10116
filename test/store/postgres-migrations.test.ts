/**
 * The PostgreSQL schema against a real PostgreSQL 15: created from nothing,
 * recorded in bluesky_migrations, applied once when two servers start together,
 * a newer schema refused, bad URLs refused without printing the password.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { StoreError } from '../../src/store/index.js';
import { MIGRATIONS, SCHEMA_VERSION, migrate } from '../../src/store/pg/migrations.js';
import { parsePgUrl } from '../../src/store/pg/url.js';
import { TestPostgres, postgresSkip } from '../helpers/postgres.js';

const skip = postgresSkip();

describe('PostgreSQL schema migrations (real PostgreSQL)', { skip, timeout: 180_000 }, () => {
  let server: TestPostgres;
  before(async () => { server = await TestPostgres.start(); });
  after(async () => { await server?.stop(); });

  async function client(url: string): Promise<pg.Client> {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    return c;
  }

  test('an empty database gets every migration, recorded; a second open applies none', async () => {
    const url = await server.createDatabase();
    const c = await client(url);
    try {
      assert.deepEqual(await migrate(c, url), MIGRATIONS.map((m) => m.version));
      const { rows } = await c.query<{ version: number; name: string }>('SELECT version, name FROM bluesky_migrations ORDER BY version');
      assert.deepEqual(rows.map((r) => r.version), MIGRATIONS.map((m) => m.version));
      const tables = await c.query<{ t: string }>("SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1");
      assert.deepEqual(tables.rows.map((r) => r.t), ['bluesky_migrations', 'documents', 'events', 'runs']
        .concat(['api_keys', 'audit_log', 'control_lock', 'queue_history', 'queue_items', 'queue_meta', 'queue_running']).sort());
      assert.deepEqual(await migrate(c, url), []);
    } finally { await c.end(); }
  });

  test('servers starting together: the migration runs once', async () => {
    const url = await server.createDatabase();
    const clients = await Promise.all([1, 2, 3, 4].map(() => client(url)));
    try {
      const applied = await Promise.all(clients.map((c) => migrate(c, url)));
      assert.equal(applied.filter((a) => a.length > 0).length, 1);
      const { rows } = await clients[0]!.query<{ n: string }>('SELECT count(*) AS n FROM bluesky_migrations');
      assert.equal(Number(rows[0]?.n), MIGRATIONS.length);
    } finally { await Promise.all(clients.map((c) => c.end())); }
  });

  test('a database migrated by a newer version is refused (STORE_SCHEMA_MISMATCH)', async () => {
    const url = await server.createDatabase();
    const c = await client(url);
    try {
      await migrate(c, url);
      await c.query("INSERT INTO bluesky_migrations (version, name) VALUES ($1, 'from the future')", [SCHEMA_VERSION + 1]);
      await assert.rejects(migrate(c, url), (e: unknown) => e instanceof StoreError && e.code === 'STORE_SCHEMA_MISMATCH'
        && e.message.includes(`schema version ${String(SCHEMA_VERSION + 1)}`) && e.message.includes(`reads up to ${String(SCHEMA_VERSION)}`));
    } finally { await c.end(); }
  });

  test('URLs: checked before connecting; the password never printed', () => {
    assert.equal(parsePgUrl('postgres://u:secret@db.example:5433/runs').location, 'postgres://u:***@db.example:5433/runs');
    for (const [text, re] of [['mysql://h/db', /must use postgres:\/\//], ['postgres://h:5432/', /needs a database name/], ['nonsense', /must be a URL like postgres:\/\/USER@HOST:PORT\/DB/]] as const) {
      assert.throws(() => parsePgUrl(text), (e: unknown) => e instanceof StoreError && e.code === 'STORE_OPEN_FAILED' && re.test(e.message));
    }
    assert.throws(() => parsePgUrl('redis://u:secret@h/db'), (e: unknown) => e instanceof Error && !e.message.includes('secret'));
  });
});
