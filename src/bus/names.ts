/**
 * What names a bus: the Redis URL (checked, and printed without its password),
 * the instance name, the two stream keys, and stream entry ids.
 * @module
 */
import { hostname } from 'node:os';
import { BusError } from './errors.js';

/** `bluesky:INSTANCE:documents` and `bluesky:INSTANCE:events`. */
export interface StreamKeys { readonly documents: string; readonly events: string }

export interface BusUrl {
  /** What ioredis connects to (the URL as given). */
  readonly url: string;
  /** The URL without its password: for logs and /healthz. */
  readonly display: string;
}

const INSTANCE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Stream keys carry the instance between colons: keep it to a host-name alphabet. */
export function checkInstance(name: string, option = '--instance'): string {
  if (!INSTANCE.test(name)) {
    throw new BusError('BUS_BAD_INSTANCE', `${option} must be 1-64 characters of letters, digits, '.', '_' or '-' (starting with a letter or digit), got ${JSON.stringify(name)}`);
  }
  return name;
}

/** The default instance: this host's name (its first label if the full name does not fit). */
export function defaultInstance(): string {
  const host = hostname();
  if (INSTANCE.test(host)) return host;
  const first = host.split('.')[0] ?? '';
  return INSTANCE.test(first) ? first : 'bluesky';
}

export function streamKeys(instance: string): StreamKeys {
  checkInstance(instance);
  return { documents: `bluesky:${instance}:documents`, events: `bluesky:${instance}:events` };
}

/** Check `redis://[USER:PASSWORD@]HOST[:PORT][/DB]` (or `rediss://`) before anything connects. */
export function parseBusUrl(text: string, option = '--bus'): BusUrl {
  let u: URL;
  try { u = new URL(text); } catch {
    throw new BusError('BUS_BAD_URL', `${option} must be a URL like redis://HOST:PORT, got ${JSON.stringify(text)}`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new BusError('BUS_BAD_URL', `${option} must use redis:// or rediss://, got ${JSON.stringify(u.protocol.replace(/:$/, ''))} in ${JSON.stringify(redact(u))}`);
  }
  if (u.hostname === '') throw new BusError('BUS_BAD_URL', `${option} needs a host, as in redis://HOST:PORT, got ${JSON.stringify(redact(u))}`);
  const db = u.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d{1,2}$/.test(db)) throw new BusError('BUS_BAD_URL', `${option}: the path must be a database number (redis://HOST:PORT/0), got /${db}`);
  if (u.search !== '' || u.hash !== '') throw new BusError('BUS_BAD_URL', `${option} takes no query or fragment, got ${JSON.stringify(redact(u))}`);
  return { url: text, display: redact(u) };
}

function redact(u: URL): string {
  if (u.password === '') return u.href;
  const copy = new URL(u.href);
  copy.password = '***';
  return copy.href;
}

const ENTRY_ID = /^(\d{1,19})(?:-(\d{1,19}))?$/;

/** The id of the stream entry for the committed entry `seq`: `SEQ-0`, so ids are seqs and resume points survive a Redis restart. */
export function entryId(seq: number, sub = 0): string { return `${String(seq)}-${String(sub)}`; }

/** The seq an entry id stands for (its first part). */
export function seqOfId(id: string): number {
  const m = ENTRY_ID.exec(id);
  return m === null ? Number.NaN : Number(m[1]);
}

/** A resume point for XREAD: `0` (everything kept), `$` (only new entries), `SEQ` or `SEQ-N` (after that entry). */
export function checkSinceId(text: string, option = '--since'): string {
  if (text === '0' || text === '$') return text;
  const m = ENTRY_ID.exec(text);
  if (m === null) throw new BusError('BUS_BAD_ID', `${option} must be a stream entry id (SEQ or SEQ-N, as consume prints), 0 (everything kept) or $ (only new entries), got ${JSON.stringify(text)}`);
  return m[2] === undefined ? `${m[1] ?? '0'}-0` : text;
}
