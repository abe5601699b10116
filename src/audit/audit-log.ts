/**
 * The audit log: who changed what, when, and how it went. Every operation that
 * changes something is recorded by `invoke` (src/ops) whatever the protocol,
 * refusals included (a `forbidden` attempt is exactly what an operator wants to
 * see). Secrets never reach it: parameters are summarised with keys redacted.
 * @module
 */

/** One recorded operation. */
export interface AuditEntry {
  /** Increasing id (the order of recording). */
  readonly id: number;
  /** Seconds since the epoch. */
  readonly time: number;
  /** A key's name, `v1 from ADDRESS`, or `anonymous`. */
  readonly who: string;
  readonly protocol: string;
  readonly op: string;
  /** The parameters as compact JSON, secrets redacted, cut at 300 characters. */
  readonly params: string;
  /** `ok`, or the error code it was refused or failed with. */
  readonly outcome: string;
  /** The error's message, when it failed. */
  readonly message: string | null;
  /** The server that recorded it, in a store several servers share (PostgreSQL); absent in a data directory's. */
  readonly instance?: string;
}

export type AuditRecord = Omit<AuditEntry, 'id' | 'instance'>;

export interface AuditQuery {
  readonly limit?: number;
  readonly offset?: number;
  readonly op?: string;
  readonly who?: string;
  /** Only entries at or after this time (seconds since the epoch). */
  readonly since?: number;
  /** In a shared store: only this server's entries (default: the reading server's own); `*`: every server's. A data directory has one server: ignored. */
  readonly instance?: string;
}

/** Where entries go: memory (no data directory), the data directory's database, or PostgreSQL (`--store`). */
export interface AuditLog {
  /** Record an entry; never throws and never waits (a failing disk or network must not block an emergency stop). */
  record(entry: AuditRecord): void;
  /** Newest first; includes every entry recorded before the call. */
  list(query?: AuditQuery): Promise<AuditEntry[]>;
  /** Recording failures since start (reported by /healthz and the log). */
  readonly failures: number;
  /** Waits for the entries still being written, then releases the connection. */
  close(): Promise<void>;
}

const SECRET = /^(key|secret|password|token|api_key|authorization)$/i;
const MAX_PARAMS = 300;

/** `params` as compact JSON for the log: values of secret-looking keys replaced, long text cut. */
export function summariseParams(params: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(params ?? {}, (k, v: unknown) => (SECRET.test(k) ? '[redacted]' : v)) ?? '';
  } catch {
    text = '[unprintable]';
  }
  return text.length > MAX_PARAMS ? `${text.slice(0, MAX_PARAMS - 3)}...` : text;
}

/** Entries matching `q`, newest first (shared by the implementations that filter in memory). */
export function select(entries: readonly AuditEntry[], q: AuditQuery = {}): AuditEntry[] {
  const out: AuditEntry[] = [];
  const offset = q.offset ?? 0;
  const limit = q.limit ?? 100;
  let skipped = 0;
  for (let i = entries.length - 1; i >= 0 && out.length < limit; i--) {
    const e = entries[i] as AuditEntry;
    if ((q.op !== undefined && e.op !== q.op) || (q.who !== undefined && e.who !== q.who) || (q.since !== undefined && e.time < q.since)) continue;
    if (skipped < offset) { skipped++; continue; }
    out.push(e);
  }
  return out;
}

/** The audit log of a server without a data directory: bounded, gone at exit. */
export class MemoryAuditLog implements AuditLog {
  readonly #entries: AuditEntry[] = [];
  readonly #max: number;
  #next = 1;
  readonly failures = 0;
  constructor(max = 10_000) { this.#max = max; }
  record(entry: AuditRecord): void {
    this.#entries.push({ id: this.#next++, ...entry });
    if (this.#entries.length > this.#max) this.#entries.splice(0, this.#entries.length - this.#max);
  }
  async list(query?: AuditQuery): Promise<AuditEntry[]> { return select(this.#entries, query); }
  async close(): Promise<void> {}
}
