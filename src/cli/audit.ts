/**
 * `bluesky-dispatcher audit`: the audit log of a data directory (or of the
 * PostgreSQL database of `--store`, every server's unless `--instance`),
 * newest first — who started, controlled, locked or stopped what, and how it
 * went. Reads the database directly (like `runs`), so it works whether or not
 * the server runs. Any failure prints one line and sets exit code 2.
 * @module
 */
import type { Command } from 'commander';
import { type AuditEntry, type AuditQuery, FACILITY, PgAuditLog, SqliteAuditLog } from '../audit/index.js';
import { DEFAULT_DATA_DIR, SqliteStore, openPostgres } from '../store/index.js';
import { isoTime, textTable } from './format.js';
import { writeOut } from './output.js';

interface AuditOpts { data: string; json?: boolean; limit?: string; op?: string; who?: string; store?: string; instance?: string }

export interface AuditIo { out: (text: string) => void; err: (text: string) => void }
const stdio: AuditIo = { out: (t) => { writeOut(t); }, err: (t) => { process.stderr.write(t); } };

/** The entries as an aligned table, one line each. */
export function auditTable(entries: readonly AuditEntry[]): string {
  // A shared store's entries name their server (instance); a data directory's have one server.
  if (entries.some((e) => e.instance !== undefined)) {
    const rows = entries.map((e) => [isoTime(e.time), e.instance ?? '', e.who, e.op, e.outcome, e.params === '{}' ? '' : e.params, e.message ?? '']);
    return textTable(['time', 'instance', 'who', 'op', 'outcome', 'params', 'message'], rows);
  }
  const rows = entries.map((e) => [isoTime(e.time), e.who, e.op, e.outcome, e.params === '{}' ? '' : e.params, e.message ?? '']);
  return textTable(['time', 'who', 'op', 'outcome', 'params', 'message'], rows);
}

/** The entries of `--store URL`: every server's, or one `--instance`'s and the facility's (key changes). */
async function fromPostgres(url: string, query: AuditQuery): Promise<AuditEntry[]> {
  const backend = await openPostgres(url, { instance: FACILITY });
  try {
    return await new PgAuditLog(backend.pool, FACILITY).list(query);
  } finally {
    await backend.close();
  }
}

/** The entries of data directory `dir`. */
async function fromDataDir(dir: string, query: AuditQuery): Promise<AuditEntry[]> {
  // Opening the store first gives its one-line errors for a missing or foreign directory.
  const store = SqliteStore.open(dir, { readonly: true });
  const path = store.path;
  store.close();
  const log = new SqliteAuditLog(path, { readonly: true });
  try {
    return await log.list(query);
  } finally {
    await log.close();
  }
}

export function addAuditCommand(program: Command, io: AuditIo = stdio): Command {
  return program.command('audit').description('the audit log of a data directory, newest first: every operation that changed something (or tried to)')
    .option('--data <dir>', `data directory (default ${DEFAULT_DATA_DIR})`, DEFAULT_DATA_DIR)
    .option('--limit <n>', 'at most N entries (default 100)').option('--op <name>', 'only this operation (start, abort, stop_all, lock.acquire, ...)')
    .option('--who <name>', 'only this caller (a key name, "v1 from ADDRESS", "anonymous")').option('--json', 'one JSON array instead of a table')
    .option('--store <url>', 'the audit log in PostgreSQL (postgres://USER@HOST:PORT/DB), every server\'s, instead of --data')
    .option('--instance <name>', 'with --store: only this server\'s entries (and the facility-wide key changes)')
    .action(async (o: AuditOpts) => {
      try {
        const limit = o.limit === undefined ? 100 : Number(o.limit);
        if (!Number.isInteger(limit) || limit < 1) throw new Error(`--limit expects a positive integer, got '${String(o.limit)}'`);
        const query: AuditQuery = { limit, ...(o.op === undefined ? {} : { op: o.op }), ...(o.who === undefined ? {} : { who: o.who }) };
        const entries = o.store === undefined ? await fromDataDir(o.data, query) : await fromPostgres(o.store, { ...query, instance: o.instance ?? FACILITY });
        io.out(o.json === true ? `${JSON.stringify(entries)}\n` : auditTable(entries));
      } catch (e) {
        io.err(`error: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exitCode = 2;
      }
    });
}
