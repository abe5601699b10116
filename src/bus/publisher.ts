/**
 * RedisBus: publishes the committed stream on Redis Streams, after commit and
 * in commit order. Documents go to `bluesky:INSTANCE:documents` (fields `name`,
 * `doc`), state/progress/exception events to `bluesky:INSTANCE:events` (fields
 * `topic`, `data`, `time`). Entry ids are the committed seq (`SEQ-0`): a retry
 * after an unknown outcome cannot duplicate an entry (Redis refuses an id at or
 * below the stream's top), and a consumer's resume point means the same thing
 * after a Redis restart.
 *
 * The bus never slows or fails a run: the commit listener only queues; one
 * pipeline at a time drains the queue; while Redis is away the queue is bounded
 * (PendingEntries) and what it drops is counted, logged, shown in /healthz and
 * marked in the events stream (`bus_gap`).
 * @module
 */
import type { Redis as RedisClient } from 'ioredis';
import { BusError } from './errors.js';
import { type StreamKeys, checkInstance, entryId, parseBusUrl, streamKeys } from './names.js';
import { type BusEntry, type LostRange, PendingEntries } from './pending.js';

/** One committed event of the dispatcher's stream; `document` events carry `{name, doc}`. */
export interface CommittedEvent { readonly seq: number; readonly topic: string; readonly time: number; readonly data: unknown }

/** Where committed entries come from (the run store today: structurally its `onCommit`). */
export interface CommittedSource {
  onCommit(listener: (batch: { readonly events: readonly CommittedEvent[] }) => void): () => void;
}

/** The logger calls the bus makes (pino's shape). */
export interface BusLogger {
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
  debug(fields: object, msg: string): void;
}

export interface BusOptions {
  /** redis://HOST[:PORT][/DB] */
  readonly url: string;
  /** Names the streams: `bluesky:INSTANCE:…`. */
  readonly instance: string;
  /** Approximate most entries kept per stream (XADD MAXLEN ~). Default 100 000. */
  readonly maxlen?: number;
  /** Most entries waiting while Redis is unreachable. Default 100 000. */
  readonly bufferEntries?: number;
  /** Most bytes (of field values) waiting. Default 64 MiB. */
  readonly bufferBytes?: number;
  /** Entries per pipeline. Default 1000. */
  readonly batch?: number;
  /** Event topics published on the events stream. Default state, progress, exception. */
  readonly topics?: readonly string[];
  readonly logger?: BusLogger;
}

/** /healthz's `bus`: how far behind the bus is and what it lost (snake_case, like the rest of the wire). */
export interface BusHealth {
  url: string;
  instance: string;
  streams: StreamKeys;
  connected: boolean;
  /** Entries committed and not yet in Redis. */
  pending: number;
  pending_bytes: number;
  /** Age of the oldest waiting entry, seconds (0 when none waits). */
  behind_s: number;
  last_committed_seq: number;
  last_published_seq: number;
  published: number;
  /** Entries dropped because the buffer was full while Redis was away. */
  lost: number;
  lost_ranges: Array<{ first_seq: number; last_seq: number; count: number }>;
  /** Entries Redis refused (e.g. a stream already past this seq: another server with the same instance, or a reset store). */
  rejected: number;
  last_error: string | null;
  maxlen: number;
  buffer: { max_entries: number; max_bytes: number };
}

const DEFAULT_TOPICS = ['state', 'progress', 'exception'];
/** Redis answers meaning "not now": keep the entry and retry. */
const TRANSIENT = /^(OOM|LOADING|BUSY|MASTERDOWN|READONLY|TRYAGAIN|NOREPLICAS|CLUSTERDOWN|NOSCRIPT)\b/;
const BEHIND_TOP = /equal or smaller than the target stream top item/;
const RETRY_MS = 500;

const SILENT: BusLogger = { info() {}, warn() {}, debug() {} };

function positiveInt(name: string, value: number | undefined, fallback: number): number {
  const n = value ?? fallback;
  if (!Number.isSafeInteger(n) || n < 1) throw new BusError('BUS_BAD_OPTION', `${name} must be a whole number >= 1, got ${String(value)}`);
  return n;
}

type Command = { kind: 'entry'; entry: BusEntry } | { kind: 'gap'; gap: LostRange };

export class RedisBus {
  readonly keys: StreamKeys;
  readonly instance: string;
  readonly #display: string;
  readonly #redis: RedisClient;
  readonly #pending: PendingEntries;
  readonly #maxlen: string;
  readonly #batch: number;
  readonly #topics: ReadonlySet<string>;
  readonly #log: BusLogger;
  #detach: (() => void) | null = null;
  #sending = false;
  #retry: NodeJS.Timeout | null = null;
  #closed = false;
  /** Largest seq ever placed in a pipeline: a refusal at or below it is our own earlier write. */
  #sentUpTo = 0;
  #lastCommitted = 0;
  #lastPublished = 0;
  #published = 0;
  #rejected = 0;
  #lastError: string | null = null;
  /** Was ready at least once, and lost since: the next 'ready' ends an outage. */
  #outage = false;
  /** Lost count when the current overflow episode began (null: not overflowing). */
  #overflowFrom: number | null = null;
  #drained: Array<() => void> = [];

  private constructor(Redis: typeof RedisClient, options: BusOptions) {
    const url = parseBusUrl(options.url);
    this.instance = checkInstance(options.instance);
    this.keys = streamKeys(this.instance);
    this.#display = url.display;
    this.#maxlen = String(positiveInt('--bus-maxlen', options.maxlen, 100_000));
    this.#pending = new PendingEntries({
      maxEntries: positiveInt('--bus-buffer', options.bufferEntries, 100_000),
      maxBytes: positiveInt('bus buffer bytes', options.bufferBytes, 64 * 1024 * 1024),
    });
    this.#batch = positiveInt('bus batch', options.batch, 1000);
    this.#topics = new Set(options.topics ?? DEFAULT_TOPICS);
    this.#log = options.logger ?? SILENT;
    this.#redis = new Redis(url.url, {
      lazyConnect: true,
      // The bus keeps its own bounded queue: ioredis must neither queue while offline nor
      // resend on reconnect (a resend could overtake entries queued meanwhile).
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 0,
      // A hung Redis must not hold a pipeline (and the queue behind it) forever.
      commandTimeout: 10_000,
      connectTimeout: 5_000,
      retryStrategy: (times) => Math.min(100 * times, 2_000),
    });
    this.#redis.on('ready', () => this.#onReady());
    this.#redis.on('close', () => this.#onClose());
    this.#redis.on('error', (e: Error) => { this.#lastError = e.message; this.#log.debug({ err: e.message }, 'bus: redis error'); });
  }

  /** A bus on `options.url`; ioredis is loaded only when a bus is asked for. Connects in the background (never fails because Redis is down). */
  static async create(options: BusOptions): Promise<RedisBus> {
    parseBusUrl(options.url);
    checkInstance(options.instance);
    const { Redis } = await import('ioredis');
    const bus = new RedisBus(Redis, options);
    bus.#redis.connect().catch(() => { /* retried by retryStrategy; reported through 'error' and /healthz */ });
    return bus;
  }

  /** Publish everything `source` commits from now on. Attach before the source commits anything you want published. */
  attach(source: CommittedSource): void {
    if (this.#detach !== null) throw new Error('internal: the bus is already attached');
    this.#detach = source.onCommit((batch) => { this.#onCommit(batch.events); });
  }

  get connected(): boolean { return this.#redis.status === 'ready'; }

  health(): BusHealth {
    const at = this.#pending.oldestAt();
    return {
      url: this.#display, instance: this.instance, streams: this.keys, connected: this.connected,
      pending: this.#pending.size, pending_bytes: this.#pending.bytes,
      behind_s: at === null ? 0 : Math.round(performance.now() - at) / 1000,
      last_committed_seq: this.#lastCommitted, last_published_seq: this.#lastPublished,
      published: this.#published, lost: this.#pending.lost,
      lost_ranges: this.#pending.lostRanges.map((r) => ({ first_seq: r.first, last_seq: r.last, count: r.count })),
      rejected: this.#rejected, last_error: this.#lastError, maxlen: Number(this.#maxlen),
      buffer: { max_entries: this.#pending.maxEntries, max_bytes: this.#pending.maxBytes },
    };
  }

  /** Resolves when nothing waits (at once if nothing does), or after `timeoutMs`; true if drained. */
  drain(timeoutMs: number): Promise<boolean> {
    if (this.#pending.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (): void => { clearTimeout(timer); resolve(true); };
      const timer = setTimeout(() => { this.#drained = this.#drained.filter((f) => f !== done); resolve(false); }, timeoutMs);
      this.#drained.push(done);
    });
  }

  /** Stop listening, give waiting entries up to `drainMs` to reach Redis, say what did not, and disconnect. */
  async close(drainMs = 3_000): Promise<void> {
    if (this.#closed) return;
    this.#detach?.();
    this.#detach = null;
    if (this.connected) await this.drain(drainMs);
    this.#closed = true;
    if (this.#retry !== null) clearTimeout(this.#retry);
    const left = this.#pending.size;
    if (left > 0) {
      this.#log.warn({ bus: this.#display, not_published: left, first_seq: this.#pending.oldestSeq(), last_seq: this.#lastCommitted },
        'bus closing with committed entries not published to Redis (they are in the run store)');
    }
    if (this.connected) await this.#redis.quit().catch(() => this.#redis.disconnect());
    else this.#redis.disconnect();
  }

  #onCommit(events: readonly CommittedEvent[]): void {
    if (this.#closed) return;
    const now = performance.now();
    let dropped = 0;
    for (const e of events) {
      const entry = this.#entryOf(e, now);
      if (entry === null) continue;
      this.#lastCommitted = e.seq;
      dropped += this.#pending.push(entry);
    }
    if (dropped > 0 && this.#overflowFrom === null) {
      this.#overflowFrom = this.#pending.lost - dropped;
      this.#log.warn({ bus: this.#display, buffer_entries: this.#pending.maxEntries, buffer_bytes: this.#pending.maxBytes, first_lost_seq: this.#pending.lostRanges.at(-1)?.first },
        'bus buffer full while Redis is unreachable: dropping the oldest waiting entries (the run store keeps them; consumers see a bus_gap entry)');
    }
    this.#kick();
  }

  #entryOf(e: CommittedEvent, at: number): BusEntry | null {
    if (e.topic === 'document') {
      const { name, doc } = e.data as { name: string; doc: unknown };
      const json = JSON.stringify(doc);
      return { seq: e.seq, stream: 'documents', fields: ['name', name, 'doc', json], bytes: name.length + json.length, at };
    }
    if (!this.#topics.has(e.topic)) return null;
    const json = JSON.stringify(e.data ?? null);
    return { seq: e.seq, stream: 'events', fields: ['topic', e.topic, 'data', json, 'time', String(e.time)], bytes: e.topic.length + json.length + 20, at };
  }

  #kick(): void {
    if (!this.#sending && this.#retry === null && this.connected && this.#pending.size > 0) void this.#send();
  }

  async #send(): Promise<void> {
    this.#sending = true;
    try {
      while (!this.#closed && this.connected && this.#pending.size > 0) {
        if (!await this.#sendBatch()) break;
      }
    } finally {
      this.#sending = false;
    }
    if (this.#pending.size === 0) this.#caughtUp();
  }

  /** One pipeline; false when it must stop (connection lost or Redis says "not now"). */
  async #sendBatch(): Promise<boolean> {
    const items = this.#pending.take(this.#batch);
    const pipe = this.#redis.pipeline();
    const commands: Command[] = [];
    const sentBefore = this.#sentUpTo;
    for (const { entry, gapBefore } of items) {
      if (gapBefore !== null) {
        // Just below the entry after the gap: the consumer reads it exactly where the entries are missing.
        const data = JSON.stringify({ first_seq: gapBefore.first, last_seq: gapBefore.last, count: gapBefore.count, reason: 'bus buffer full while Redis was unreachable' });
        pipe.xadd(this.keys.events, 'MAXLEN', '~', this.#maxlen, entryId(gapBefore.last, 1), 'topic', 'bus_gap', 'data', data, 'time', String(Date.now() / 1000));
        commands.push({ kind: 'gap', gap: gapBefore });
      }
      pipe.xadd(this.keys[entry.stream], 'MAXLEN', '~', this.#maxlen, entryId(entry.seq), ...entry.fields);
      commands.push({ kind: 'entry', entry });
      if (entry.seq > this.#sentUpTo) this.#sentUpTo = entry.seq;
    }
    let results: Array<[Error | null, unknown]> | null;
    try { results = await pipe.exec(); } catch (e) {
      this.#lastError = e instanceof Error ? e.message : String(e);
      results = null;
    }
    if (results === null) {
      // No answer at all: everything goes back, in order; a resend of what did land is refused as at/below the top.
      this.#pending.settle(0);
      this.#retryLater();
      return false;
    }
    let settled = 0;
    let ok = true;
    for (let i = 0; i < commands.length; i++) {
      const command = commands[i];
      if (command === undefined) break;
      const err = results[i]?.[0] ?? null;
      if (err !== null && !BEHIND_TOP.test(err.message)) {
        if (TRANSIENT.test(err.message) || !this.connected || isConnectionError(err)) {
          this.#lastError = err.message;
          ok = false;
          this.#retryLater();
          break;
        }
      }
      if (command.kind === 'gap') continue;
      const entry = command.entry;
      settled++;
      if (err === null || entry.seq <= sentBefore) {
        // Published now, or (refused as at/below the top) by an earlier attempt whose answer was lost.
        this.#published++;
        this.#lastPublished = entry.seq;
      } else {
        this.#rejected++;
        this.#lastError = err.message;
        if (this.#rejected === 1 || this.#rejected % 10_000 === 0) {
          this.#log.warn({ bus: this.#display, stream: this.keys[entry.stream], seq: entry.seq, rejected: this.#rejected, err: err.message },
            BEHIND_TOP.test(err.message)
              ? 'Redis refused a bus entry: the stream is already past this seq (another server with the same --instance, or a store that was reset); delete the stream or pick another --instance'
              : 'Redis refused a bus entry');
        }
      }
    }
    this.#pending.settle(settled);
    return ok;
  }

  /** Connected but refused ("not now"): try again shortly; disconnected: the next 'ready' kicks. */
  #retryLater(): void {
    if (this.connected && this.#retry === null && !this.#closed) this.#retry = setTimeout(() => { this.#retry = null; this.#kick(); }, RETRY_MS);
  }

  #caughtUp(): void {
    for (const f of this.#drained.splice(0)) f();
    if (this.#overflowFrom !== null) {
      const lost = this.#pending.lost - this.#overflowFrom;
      const last = this.#pending.lostRanges.at(-1);
      this.#log.warn({ bus: this.#display, lost, lost_total: this.#pending.lost, last_lost_seq: last?.last },
        'bus caught up after an overflow: entries were lost from Redis (still in the run store); see /healthz bus.lost_ranges');
      this.#overflowFrom = null;
    }
  }

  #onReady(): void {
    if (this.#outage) {
      this.#outage = false;
      this.#log.info({ bus: this.#display, pending: this.#pending.size, lost: this.#pending.lost }, 'bus: Redis reachable again; publishing the waiting entries in order');
    } else {
      this.#log.info({ bus: this.#display, streams: this.keys }, 'bus connected');
    }
    this.#kick();
  }

  #onClose(): void {
    if (this.#closed || this.#outage) return;
    this.#outage = true;
    this.#log.warn({ bus: this.#display, pending: this.#pending.size, buffer_entries: this.#pending.maxEntries },
      'bus: Redis unreachable; committed entries wait in the bus buffer (runs go on)');
  }
}

function isConnectionError(e: Error): boolean {
  return /Connection is closed|Stream isn't writeable|ECONNRESET|ECONNREFUSED|EPIPE|Command timed out|ETIMEDOUT/.test(e.message);
}
