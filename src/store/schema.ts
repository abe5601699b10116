/**
 * The SQLite schema (version 1). Documents keep their JSON text exactly as
 * emitted so export is byte-faithful; the run index is derived on write.
 * @module
 */

export const SCHEMA_VERSION = 1;

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE IF NOT EXISTS runs (
  uid         TEXT PRIMARY KEY,
  scan_id     INTEGER,
  plan_name   TEXT,
  item_id     TEXT,
  params      TEXT,              -- JSON
  start_time  REAL NOT NULL,     -- start document time, s since the epoch
  stop_time   REAL,              -- NULL while the run is open
  exit_status TEXT,
  reason      TEXT,
  num_events  TEXT,              -- JSON {stream: count}
  interrupted INTEGER NOT NULL DEFAULT 0,
  imported    INTEGER NOT NULL DEFAULT 0,
  first_doc   INTEGER NOT NULL,  -- documents.id of the start document
  last_doc    INTEGER            -- documents.id of the stop document
);
CREATE INDEX IF NOT EXISTS runs_by_start ON runs (start_time);
CREATE INDEX IF NOT EXISTS runs_by_plan ON runs (plan_name, start_time);

-- id is the store-wide emission order. A run's documents are the rows with its run_uid
-- between runs.first_doc and runs.last_doc: a primary-key range scan, so no secondary
-- index has to be updated per document (that index cost 40% of write throughput).
CREATE TABLE IF NOT EXISTS documents (
  id      INTEGER PRIMARY KEY,
  run_uid TEXT,
  name    TEXT NOT NULL,
  doc     TEXT NOT NULL          -- JSON.stringify(doc)
);

-- The v2 event log. A 'document' event points at its document instead of copying it.
CREATE TABLE IF NOT EXISTS events (
  seq    INTEGER PRIMARY KEY,
  topic  TEXT NOT NULL,
  time   REAL NOT NULL,
  data   TEXT,                   -- JSON, NULL when doc_id is set
  doc_id INTEGER
);
`;
