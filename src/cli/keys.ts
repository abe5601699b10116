/**
 * `bluesky-dispatcher keys create NAME --scopes read,control | list | revoke NAME [--data DIR | --store URL]`:
 * the API keys of `serve --auth`, in the data directory's database or in the
 * PostgreSQL database several servers share (`--store`: one key list for every
 * instance). `create` prints the key once, as its last line (only its hash is
 * kept). Creating and revoking are recorded in the audit log (`bluesky-dispatcher
 * audit`; in PostgreSQL as facility-wide entries, instance `*`).
 * @module
 */
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { type AuditLog, FACILITY, PgAuditLog, SqliteAuditLog } from '../audit/index.js';
import { AuthError, type KeyRecord, type KeyStore, PgKeyStore, SqliteKeyStore, parseScopes } from '../auth/index.js';
import { DB_FILE, DEFAULT_DATA_DIR, StoreError, openPostgres } from '../store/index.js';
import { UsageError } from './errors.js';
import { isoTime } from './format.js';

interface Where { data: string; store?: string }

/** The key table and the audit log of `--store URL` (PostgreSQL) or `--data DIR` (SQLite). */
async function open(o: Where): Promise<{ keys: KeyStore; log: () => AuditLog; end: () => Promise<void> }> {
  try {
    if (o.store !== undefined) {
      const backend = await openPostgres(o.store, { instance: FACILITY });
      const log = new PgAuditLog(backend.pool, FACILITY);
      return { keys: new PgKeyStore(backend.pool, backend.location), log: () => log, end: async () => { await log.close(); await backend.close(); } };
    }
    const keys = SqliteKeyStore.open(o.data);
    let log: AuditLog | null = null;
    return {
      keys, log: () => (log ??= new SqliteAuditLog(join(o.data, DB_FILE))),
      end: async () => { await log?.close(); await keys.close(); },
    };
  } catch (e) {
    if (e instanceof AuthError || e instanceof StoreError) throw new UsageError(e.message);
    throw e;
  }
}

async function withStore<T>(o: Where, run: (s: KeyStore, audit: (op: string, params: Record<string, unknown>) => void) => Promise<T>): Promise<T> {
  const { keys, log, end } = await open(o);
  try {
    return await run(keys, (op, params) => { audit(log(), op, params); });
  } catch (e) {
    if (e instanceof AuthError) throw new UsageError(e.message);
    throw e;
  } finally {
    await end();
  }
}

/**
 * Key changes go into the audit log like the server's operations do,
 * named for who ran the command on which machine (the CLI has no key of its own).
 */
function audit(log: AuditLog, op: string, params: Record<string, unknown>): void {
  let who = 'cli';
  try { who = `cli as ${userInfo().username}@${hostname()}`; } catch { /* no user database: plain "cli" */ }
  log.record({ time: Date.now() / 1000, who, protocol: 'cli', op, params: JSON.stringify(params), outcome: 'ok', message: null });
}

function row(k: KeyRecord): string {
  return [k.name.padEnd(20), k.scopes.join(',').padEnd(26), isoTime(k.created).padEnd(21), isoTime(k.lastUsed).padEnd(21), k.revoked === null ? 'active' : `revoked ${isoTime(k.revoked)}`].join(' ');
}

const STORE_HELP = 'the keys in PostgreSQL (postgres://USER@HOST:PORT/DB), shared by every server of that --store, instead of --data';

export function addKeysCommand(program: Command): Command {
  const keys = program.command('keys').description('API keys for serve --auth (stored hashed in the data directory, or the --store database; see docs/api.md)');
  keys.command('create <name>')
    .description('create a key; prints it once, as the last line (it cannot be shown again)')
    .requiredOption('--scopes <scopes>', 'comma-separated: read, control, queue, admin')
    .option('--data <dir>', 'data directory', DEFAULT_DATA_DIR)
    .option('--store <url>', STORE_HELP)
    .action(async (name: string, o: { scopes: string } & Where) => {
      let scopes;
      try { scopes = parseScopes(o.scopes); } catch (e) { throw new UsageError(`--scopes: ${(e as Error).message}`); }
      const { key, record } = await withStore(o, async (s, record) => {
        const made = await s.create(name, scopes);
        record('keys.create', { name, scopes: made.record.scopes });
        return made;
      });
      process.stderr.write(`created key '${record.name}' with scopes ${record.scopes.join(',')}; store it now, it is not shown again:\n`);
      process.stdout.write(`${key}\n`);
    });
  keys.command('list')
    .description('the keys (names, scopes, when created and last used, revoked), never the secrets')
    .option('--data <dir>', 'data directory', DEFAULT_DATA_DIR)
    .option('--store <url>', STORE_HELP)
    .option('--json', 'one JSON array')
    .action(async (o: Where & { json?: boolean }) => {
      const all = await withStore(o, (s) => s.list());
      if (o.json === true) { process.stdout.write(`${JSON.stringify(all.map((k) => ({ name: k.name, scopes: k.scopes, created: k.created, last_used: k.lastUsed, revoked: k.revoked })))}\n`); return; }
      process.stdout.write(`${['NAME'.padEnd(20), 'SCOPES'.padEnd(26), 'CREATED'.padEnd(21), 'LAST USED'.padEnd(21), 'STATE'].join(' ')}\n`);
      for (const k of all) process.stdout.write(`${row(k)}\n`);
    });
  keys.command('revoke <name>')
    .description('revoke a key: it (and the panel sessions made with it) stops working at once')
    .option('--data <dir>', 'data directory', DEFAULT_DATA_DIR)
    .option('--store <url>', STORE_HELP)
    .action(async (name: string, o: Where) => {
      const done = await withStore(o, async (s, record) => {
        const revoked = await s.revoke(name);
        if (revoked) record('keys.revoke', { name });
        return revoked;
      });
      if (!done) throw new UsageError(`no active key named '${name}' (see: bluesky-dispatcher keys list)`);
      process.stdout.write(`revoked '${name}'\n`);
    });
  return keys;
}
