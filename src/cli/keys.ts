/**
 * `bluesky-dispatcher keys create NAME --scopes read,control | list | revoke NAME [--data DIR]`:
 * the API keys of `serve --auth`, in the data directory's database. `create`
 * prints the key once, as its last line (only its hash is kept). Creating and
 * revoking are recorded in the audit log (`bluesky-dispatcher audit`).
 * @module
 */
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { SqliteAuditLog } from '../audit/index.js';
import { AuthError, type KeyRecord, SqliteKeyStore, parseScopes } from '../auth/index.js';
import { DB_FILE, DEFAULT_DATA_DIR } from '../store/index.js';
import { UsageError } from './errors.js';
import { isoTime } from './format.js';

async function withStore<T>(dir: string, run: (s: SqliteKeyStore) => Promise<T>): Promise<T> {
  let store: SqliteKeyStore;
  try { store = SqliteKeyStore.open(dir); } catch (e) { throw new UsageError((e as Error).message); }
  try {
    return await run(store);
  } catch (e) {
    if (e instanceof AuthError) throw new UsageError(e.message);
    throw e;
  } finally {
    await store.close();
  }
}

/**
 * Key changes go into the data directory's audit log like the server's operations do,
 * named for who ran the command on which machine (the CLI has no key of its own).
 */
function audit(dir: string, op: string, params: Record<string, unknown>, outcome: string, message: string | null): void {
  let who = 'cli';
  try { who = `cli as ${userInfo().username}@${hostname()}`; } catch { /* no user database: plain "cli" */ }
  const log = new SqliteAuditLog(join(dir, DB_FILE));
  try { log.record({ time: Date.now() / 1000, who, protocol: 'cli', op, params: JSON.stringify(params), outcome, message }); } finally { log.close(); }
}

function row(k: KeyRecord): string {
  return [k.name.padEnd(20), k.scopes.join(',').padEnd(26), isoTime(k.created).padEnd(21), isoTime(k.lastUsed).padEnd(21), k.revoked === null ? 'active' : `revoked ${isoTime(k.revoked)}`].join(' ');
}

export function addKeysCommand(program: Command): Command {
  const keys = program.command('keys').description('API keys for serve --auth (stored hashed in the data directory; see docs/api.md)');
  keys.command('create <name>')
    .description('create a key; prints it once, as the last line (it cannot be shown again)')
    .requiredOption('--scopes <scopes>', 'comma-separated: read, control, queue, admin')
    .option('--data <dir>', 'data directory', DEFAULT_DATA_DIR)
    .action(async (name: string, o: { scopes: string; data: string }) => {
      let scopes;
      try { scopes = parseScopes(o.scopes); } catch (e) { throw new UsageError(`--scopes: ${(e as Error).message}`); }
      const { key, record } = await withStore(o.data, (s) => s.create(name, scopes));
      audit(o.data, 'keys.create', { name, scopes: record.scopes }, 'ok', null);
      process.stderr.write(`created key '${record.name}' with scopes ${record.scopes.join(',')}; store it now, it is not shown again:\n`);
      process.stdout.write(`${key}\n`);
    });
  keys.command('list')
    .description('the keys (names, scopes, when created and last used, revoked), never the secrets')
    .option('--data <dir>', 'data directory', DEFAULT_DATA_DIR)
    .option('--json', 'one JSON array')
    .action(async (o: { data: string; json?: boolean }) => {
      const all = await withStore(o.data, (s) => s.list());
      if (o.json === true) { process.stdout.write(`${JSON.stringify(all.map((k) => ({ name: k.name, scopes: k.scopes, created: k.created, last_used: k.lastUsed, revoked: k.revoked })))}\n`); return; }
      process.stdout.write(`${['NAME'.padEnd(20), 'SCOPES'.padEnd(26), 'CREATED'.padEnd(21), 'LAST USED'.padEnd(21), 'STATE'].join(' ')}\n`);
      for (const k of all) process.stdout.write(`${row(k)}\n`);
    });
  keys.command('revoke <name>')
    .description('revoke a key: it (and the panel sessions made with it) stops working at once')
    .option('--data <dir>', 'data directory', DEFAULT_DATA_DIR)
    .action(async (name: string, o: { data: string }) => {
      const done = await withStore(o.data, (s) => s.revoke(name));
      if (!done) throw new UsageError(`no active key named '${name}' (see: bluesky-dispatcher keys list)`);
      audit(o.data, 'keys.revoke', { name }, 'ok', null);
      process.stdout.write(`revoked '${name}'\n`);
    });
  return keys;
}
