/**
 * `--store postgres://USER[:PASSWORD]@HOST[:PORT]/DB`: checked before anything
 * connects, and named without its password in logs, errors and /healthz.
 * @module
 */
import { StoreError } from '../errors.js';

export interface PgUrl {
  /** What pg connects with (the URL as given). */
  readonly connectionString: string;
  /** The URL without its password. */
  readonly location: string;
}

export function parsePgUrl(text: string, option = '--store'): PgUrl {
  let u: URL;
  try { u = new URL(text); } catch {
    throw new StoreError('STORE_OPEN_FAILED', `${option} must be a URL like postgres://USER@HOST:PORT/DB, got ${JSON.stringify(text)}`);
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
    throw new StoreError('STORE_OPEN_FAILED', `${option} must use postgres:// (SQLite is the default: --data DIR), got ${JSON.stringify(u.protocol.replace(/:$/, ''))}`);
  }
  if (u.hostname === '' && !u.searchParams.has('host')) throw new StoreError('STORE_OPEN_FAILED', `${option} needs a host: postgres://USER@HOST:PORT/DB`);
  if (u.pathname.replace(/^\//, '') === '') throw new StoreError('STORE_OPEN_FAILED', `${option} needs a database name: postgres://USER@HOST:PORT/DB`);
  const shown = new URL(u.href);
  if (shown.password !== '') shown.password = '***';
  return { connectionString: text, location: shown.href };
}
