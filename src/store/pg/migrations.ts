/**
 * The PostgreSQL schema, as numbered migrations the server applies at open
 * (`bluesky_migrations` records each one). Several servers share one database:
 * every row belongs to an `instance`, and each instance numbers its own
 * documents (`id`) and events (`seq`), as a SQLite file does on its own.
 * Documents keep their JSON text verbatim (`text`, not `jsonb`, which would
 * reorder keys): export stays byte-faithful.
 * @module
 */
import type pg from 'pg';
import { StoreError, causeText } from '../errors.js';

export interface Migration { readonly version: number; readonly name: string; readonly sql: string }

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'runs, documents and events, per instance',
    sql: `
CREATE TABLE runs (
  uid         text PRIMARY KEY,
  instance    text NOT NULL,
  scan_id     bigint,
  plan_name   text,
  item_id     text,
  params      text,              -- JSON
  start_time  double precision NOT NULL,
  stop_time   double precision,  -- NULL while the run is open
  exit_status text,
  reason      text,
  num_events  text,              -- JSON {stream: count}
  interrupted boolean NOT NULL DEFAULT false,
  imported    boolean NOT NULL DEFAULT false,
  first_doc   bigint NOT NULL,   -- documents.id of the start document (in its instance)
  last_doc    bigint,            -- documents.id of the stop document
  seq         bigserial          -- insertion order: ties of start_time list newest first
);
CREATE INDEX runs_by_start ON runs (start_time DESC, seq DESC);
CREATE INDEX runs_by_instance ON runs (instance, start_time DESC, seq DESC);
CREATE INDEX runs_by_plan ON runs (plan_name, start_time DESC);
CREATE INDEX runs_open ON runs (instance) WHERE stop_time IS NULL AND NOT imported;

-- A run's documents: its instance's rows with its run_uid between first_doc and last_doc
-- (a primary-key range scan, as in SQLite: no per-document secondary index to update).
CREATE TABLE documents (
  instance text NOT NULL,
  id       bigint NOT NULL,
  run_uid  text,
  name     text NOT NULL,
  doc      text NOT NULL,
  PRIMARY KEY (instance, id)
);

-- The v2 event log of each instance. A 'document' event points at its document.
CREATE TABLE events (
  instance text NOT NULL,
  seq      bigint NOT NULL,
  topic    text NOT NULL,
  time     double precision NOT NULL,
  data     text,                 -- JSON, NULL when doc_id is set
  doc_id   bigint,
  PRIMARY KEY (instance, seq)
);
`,
  },
  // -- the server's own tables beside the runs (queue, keys, audit log, control lock) --
  {
    version: 2,
    name: 'queue, API keys, audit log and control lock',
    sql: `
-- API keys are the facility's: one list for every instance (a key works on every server).
CREATE TABLE api_keys (
  id        bigserial PRIMARY KEY,
  name      text NOT NULL,
  hash      text NOT NULL UNIQUE,   -- SHA-256 of the key, hex (the key itself is never stored)
  scopes    text NOT NULL,          -- comma-separated
  created   double precision NOT NULL,
  last_used double precision,
  revoked   double precision        -- NULL while active
);
CREATE UNIQUE INDEX api_keys_active_name ON api_keys (name) WHERE revoked IS NULL;

-- The plan queue is each instance's own (one beamline, one queue): items, the running item, mode, history.
CREATE TABLE queue_items (
  instance text NOT NULL,
  item_uid text NOT NULL,
  pos      double precision NOT NULL,  -- the scheduler's ordering key
  item     text NOT NULL,              -- JSON
  PRIMARY KEY (instance, item_uid)
);
CREATE INDEX queue_items_by_pos ON queue_items (instance, pos);
CREATE TABLE queue_running (instance text PRIMARY KEY, entry text NOT NULL);
CREATE TABLE queue_meta (instance text NOT NULL, key text NOT NULL, value text NOT NULL, PRIMARY KEY (instance, key));
CREATE TABLE queue_history (
  id       bigserial PRIMARY KEY,
  instance text NOT NULL,
  item_uid text NOT NULL,
  entry    text NOT NULL               -- JSON
);
CREATE INDEX queue_history_by_instance ON queue_history (instance, id);

-- Who did what, on which server; instance '*' marks facility-wide changes (keys from the command line).
CREATE TABLE audit_log (
  id       bigserial PRIMARY KEY,
  instance text NOT NULL,
  time     double precision NOT NULL,
  who      text NOT NULL,
  protocol text NOT NULL,
  op       text NOT NULL,
  params   text NOT NULL,
  outcome  text NOT NULL,
  message  text
);
CREATE INDEX audit_log_by_instance ON audit_log (instance, id DESC);

-- The control lock: one per instance (one beamline's lock holds back only that server).
CREATE TABLE control_lock (instance text PRIMARY KEY, holder text NOT NULL, note text NOT NULL, since double precision NOT NULL);
`,
  },
];

export const SCHEMA_VERSION = MIGRATIONS.at(-1)?.version ?? 0;

/** Any number: the advisory lock that serialises migrations of servers starting together. */
const MIGRATION_LOCK = 0x626c7565; // "blue"

/**
 * Bring the database to SCHEMA_VERSION, one transaction per migration, under an
 * advisory lock (two servers starting at once migrate once). Refuses a database
 * migrated by a newer version.
 * @returns the versions applied now (empty when up to date)
 */
export async function migrate(client: pg.ClientBase, location: string): Promise<number[]> {
  const applied: number[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
  } catch (e) {
    throw new StoreError('STORE_OPEN_FAILED', `cannot lock ${location} for its schema migration: ${causeText(e)}`, { cause: e });
  }
  try {
    await client.query(`CREATE TABLE IF NOT EXISTS bluesky_migrations (
      version    integer PRIMARY KEY,
      name       text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM bluesky_migrations');
    const current = rows[0]?.v ?? 0;
    if (current > SCHEMA_VERSION) {
      throw new StoreError('STORE_SCHEMA_MISMATCH', `${location} has schema version ${String(current)}; this version of bluesky-dispatcher reads up to ${String(SCHEMA_VERSION)}`);
    }
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query('INSERT INTO bluesky_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
        await client.query('COMMIT');
      } catch (e) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw new StoreError('STORE_OPEN_FAILED', `cannot migrate ${location} to schema version ${String(m.version)} (${m.name}): ${causeText(e)}`, { cause: e });
      }
      applied.push(m.version);
    }
  } catch (e) {
    throw e instanceof StoreError ? e : new StoreError('STORE_OPEN_FAILED', `cannot read the schema version of ${location}: ${causeText(e)}`, { cause: e });
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
  }
  return applied;
}
