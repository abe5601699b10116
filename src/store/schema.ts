/**
 * The SQLite schema (version 2) and the upgrade of a version-1 file. Documents
 * keep their JSON text exactly as emitted so export is byte-faithful; the run
 * index is derived on write.
 * @module
 */

export const SCHEMA_VERSION = 2;

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE IF NOT EXISTS runs (
  id          INTEGER PRIMARY KEY, -- what documents.run refers to (an integer: 1-3 bytes a document, not a 36-byte uid)
  uid         TEXT NOT NULL UNIQUE,
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

-- id is the store-wide emission order. A run's documents are the rows with its run
-- between runs.first_doc and runs.last_doc: a primary-key range scan, so no secondary
-- index has to be updated per document (that index cost 40% of write throughput).
CREATE TABLE IF NOT EXISTS documents (
  id      INTEGER PRIMARY KEY,
  run     INTEGER,               -- runs.id; NULL for a document no run claims
  name    TEXT NOT NULL,
  doc     TEXT NOT NULL          -- JSON.stringify(doc)
);

-- The names of the log's topics other than 'document', numbered on first use.
CREATE TABLE IF NOT EXISTS topics (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);

-- The v2 event log. A 'document' event (topic NULL) points at its document instead of copying it.
-- Transient events (progress) are not written, so seq has gaps.
CREATE TABLE IF NOT EXISTS events (
  seq    INTEGER PRIMARY KEY,
  topic  INTEGER,                -- topics.id; NULL: 'document'
  time   REAL NOT NULL,
  data   TEXT,                   -- JSON, NULL when doc_id is set
  doc_id INTEGER
);
`;

/**
 * Version 1 → 2, in the transaction that opens the file: the run reference of a document becomes
 * the run's integer id instead of its uid, and an event's topic a number (NULL for 'document').
 * The three tables are rewritten once (the old indexes go first: their names are reused).
 */
export const UPGRADE_FROM_V1_SQL = `
DROP INDEX IF EXISTS runs_by_start;
DROP INDEX IF EXISTS runs_by_plan;
ALTER TABLE runs RENAME TO v1_runs;
ALTER TABLE documents RENAME TO v1_documents;
ALTER TABLE events RENAME TO v1_events;
${SCHEMA_SQL}
INSERT INTO runs (uid, scan_id, plan_name, item_id, params, start_time, stop_time, exit_status, reason, num_events, interrupted, imported, first_doc, last_doc)
  SELECT uid, scan_id, plan_name, item_id, params, start_time, stop_time, exit_status, reason, num_events, interrupted, imported, first_doc, last_doc
  FROM v1_runs ORDER BY rowid;
INSERT INTO documents (id, run, name, doc)
  SELECT d.id, r.id, d.name, d.doc FROM v1_documents d LEFT JOIN runs r ON r.uid = d.run_uid ORDER BY d.id;
INSERT OR IGNORE INTO topics (name) SELECT DISTINCT topic FROM v1_events WHERE topic <> 'document' ORDER BY topic;
INSERT INTO events (seq, topic, time, data, doc_id)
  SELECT e.seq, t.id, e.time, e.data, e.doc_id FROM v1_events e LEFT JOIN topics t ON t.name = e.topic ORDER BY e.seq;
DROP TABLE v1_runs;
DROP TABLE v1_documents;
DROP TABLE v1_events;
`;
