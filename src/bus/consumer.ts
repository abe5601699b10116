/**
 * Reading documents back from the bus: what `bluesky-dispatcher consume` and the
 * bench use. Entries after a resume point, oldest first; with `follow`, waits for
 * new ones (and rides out a Redis restart: ids are seqs, so the resume point
 * keeps its meaning).
 * @module
 */
import type { Redis as RedisClient } from 'ioredis';
import { BusError } from './errors.js';
import { checkSinceId, parseBusUrl, streamKeys } from './names.js';

export interface ConsumedDocument { readonly id: string; readonly name: string; readonly doc: unknown }

export interface ReadOptions {
  readonly url: string;
  readonly instance: string;
  /** Read entries after this id: `0` (default: everything the stream keeps), `$` (only new ones), `SEQ` or `SEQ-N`. */
  readonly since?: string;
  /** Keep waiting for new entries (default true); false ends once caught up. */
  readonly follow?: boolean;
  /** Entries per read. Default 1000. */
  readonly count?: number;
  /** Ends the read (a pending wait included). */
  readonly signal?: AbortSignal;
  /** An entry that is not a document entry (missing or non-JSON fields): told, then skipped. */
  readonly onBadEntry?: (id: string, why: string) => void;
  /** Told when the connection drops while following (it reconnects by itself). */
  readonly onReconnecting?: (error: string) => void;
}

const NAME = /^[a-z_]{1,32}$/;

/** Documents from `bluesky:INSTANCE:documents`. Throws BusError BUS_UNREACHABLE when Redis cannot be reached at the start. */
export async function* readDocuments(options: ReadOptions): AsyncGenerator<ConsumedDocument> {
  const url = parseBusUrl(options.url);
  const key = streamKeys(options.instance).documents;
  let last = checkSinceId(options.since ?? '0');
  const follow = options.follow ?? true;
  const count = options.count ?? 1000;
  const { Redis } = await import('ioredis');
  let connectedOnce = false;
  const redis: RedisClient = new Redis(url.url, {
    lazyConnect: true,
    connectTimeout: 5_000,
    // The first connection fails fast (a wrong URL is one line, not a hang); later drops are ridden out.
    retryStrategy: (times) => (connectedOnce ? Math.min(100 * times, 2_000) : null),
    maxRetriesPerRequest: null,
  });
  let lastError = '';
  redis.on('error', (e: Error) => { lastError = e.message; });
  redis.on('close', () => { if (connectedOnce && !aborted()) options.onReconnecting?.(lastError); });
  // A function, not a field read: TypeScript would narrow `aborted` across the awaits that change it.
  let finished = false;
  const aborted = (): boolean => finished || options.signal?.aborted === true;
  const abort = (): void => { redis.disconnect(); };
  options.signal?.addEventListener('abort', abort, { once: true });
  try {
    try {
      await redis.connect();
      connectedOnce = true;
    } catch (e) {
      throw new BusError('BUS_UNREACHABLE', `cannot reach Redis at ${url.display}: ${lastError !== '' ? lastError : e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    if (last === '$') {
      // Pin "now" once: a later read with `$` would miss what arrived between two reads.
      const top = await redis.xrevrange(key, '+', '-', 'COUNT', 1);
      last = top[0]?.[0] ?? '0';
    }
    while (!aborted()) {
      let reply: Array<[string, Array<[string, string[]]>]> | null;
      try {
        reply = follow
          ? await redis.xread('COUNT', count, 'BLOCK', 5_000, 'STREAMS', key, last) as typeof reply
          : await redis.xread('COUNT', count, 'STREAMS', key, last) as typeof reply;
      } catch (e) {
        if (aborted()) return;
        if (!follow) throw new BusError('BUS_UNREACHABLE', `lost Redis at ${url.display}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
        continue; // ioredis reconnects; the read is made again from the same id
      }
      const entries = reply?.[0]?.[1] ?? [];
      if (entries.length === 0) {
        if (!follow) return;
        continue;
      }
      for (const [id, fields] of entries) {
        last = id;
        const doc = documentOf(fields);
        if (typeof doc === 'string') options.onBadEntry?.(id, doc);
        else yield { id, name: doc.name, doc: doc.doc };
      }
    }
  } finally {
    finished = true;
    options.signal?.removeEventListener('abort', abort);
    redis.disconnect();
  }
}

/** The name and parsed doc of a document entry, or why it is not one. */
function documentOf(fields: readonly string[]): { name: string; doc: unknown } | string {
  let name: string | undefined;
  let json: string | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === 'name') name = fields[i + 1];
    else if (fields[i] === 'doc') json = fields[i + 1];
  }
  if (name === undefined || !NAME.test(name)) return `field 'name' must be a document name (start, descriptor, event, …), got ${JSON.stringify(name ?? null)?.slice(0, 60)}`;
  if (json === undefined) return `field 'doc' is missing`;
  let doc: unknown;
  try { doc = JSON.parse(json); } catch { return `field 'doc' is not JSON (${JSON.stringify(json.slice(0, 40))}…)`; }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return `field 'doc' must be a JSON object`;
  return { name, doc };
}
