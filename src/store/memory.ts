/**
 * MemoryStore: the RunStore contract held in arrays, for tests and for a
 * server started without a data directory. Nothing survives the process.
 * @module
 */
import {
  type BackendState, type DocumentPage, type DocumentRow, EVENT_ROW_OVERHEAD, type EventRow, type PendingDocument, type PendingEvent,
  type RetentionRule, type StoreBackend, type WriteBatch,
} from './backend.js';
import { BaseStore, type StoreOptions } from './base.js';
import type { ListRunsQuery, RunSummary } from './types.js';

/** The memory backend; exported for tests that need a backend to wrap (e.g. one that fails on demand). */
export class MemoryBackend implements StoreBackend {
  readonly location: string = 'memory';
  readonly #runs = new Map<string, RunSummary>();
  readonly #documents = new Map<number, PendingDocument>();
  readonly #byRun = new Map<string, PendingDocument[]>();
  #events: PendingEvent[] = [];

  async state(): Promise<BackendState> { return this.stateNow(); }
  stateNow(): BackendState {
    let maxScanId = 0;
    for (const r of this.#runs.values()) if (!r.imported && r.scanId !== null && r.scanId > maxScanId) maxScanId = r.scanId;
    let maxDocumentId = 0;
    for (const id of this.#documents.keys()) if (id > maxDocumentId) maxDocumentId = id;
    return { maxSeq: this.#events.at(-1)?.seq ?? 0, oldestSeq: this.#events[0]?.seq ?? null, maxDocumentId, maxScanId };
  }

  async write(batch: WriteBatch): Promise<void> {
    // Validate before mutating, so a failed write leaves nothing behind (as a rolled-back transaction).
    for (const s of batch.starts) if (this.#runs.has(s.uid)) throw new Error(`UNIQUE constraint failed: runs.uid (${s.uid})`);
    for (const { firstDocId: _first, ...s } of batch.starts) this.#runs.set(s.uid, s);
    for (const d of batch.documents) {
      this.#documents.set(d.id, d);
      if (d.runUid === null) continue;
      let list = this.#byRun.get(d.runUid);
      if (list === undefined) this.#byRun.set(d.runUid, list = []);
      list.push(d);
    }
    for (const e of batch.events) this.#events.push(e);
    for (const s of batch.stops) {
      const run = this.#runs.get(s.uid);
      if (run === undefined) continue;
      this.#runs.set(s.uid, {
        ...run, stopTime: s.stopTime, exitStatus: s.exitStatus, reason: s.reason, numEvents: s.numEvents, interrupted: s.interrupted,
      });
    }
  }

  async hasRun(uid: string): Promise<boolean> { return this.#runs.has(uid); }
  async getRun(uid: string): Promise<RunSummary | undefined> { return this.#runs.get(uid); }

  async listRuns(q: ListRunsQuery): Promise<RunSummary[]> {
    // Newest first, like the SQLite index (start time, then insertion order).
    const all = [...this.#runs.values()].reverse().filter((r) =>
      (q.plan === undefined || r.planName === q.plan) && (q.since === undefined || r.startTime >= q.since) &&
      (q.uidPrefix === undefined || r.uid.startsWith(q.uidPrefix)));
    all.sort((a, b) => b.startTime - a.startTime);
    const offset = q.offset ?? 0;
    return all.slice(offset, offset + (q.limit ?? 100));
  }

  async documents(runUid: string, page: DocumentPage): Promise<DocumentRow[]> {
    const list = this.#byRun.get(runUid) ?? [];
    if (page.afterId === undefined) return list.slice(page.offset ?? 0, (page.offset ?? 0) + page.limit);
    const after = page.afterId;
    // Ids ascend within a run: binary search for the first one past `after`.
    let lo = 0;
    let hi = list.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if ((list[mid]?.id ?? 0) <= after) lo = mid + 1; else hi = mid; }
    return list.slice(lo, lo + page.limit);
  }

  async readEvents(sinceSeq: number, limit: number, throughSeq = Number.MAX_SAFE_INTEGER): Promise<EventRow[]> {
    const out: EventRow[] = [];
    // seq ascends but has gaps (transient events are not written): binary search for the first one past `sinceSeq`.
    let lo = 0;
    let hi = this.#events.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if ((this.#events[mid]?.seq ?? 0) <= sinceSeq) lo = mid + 1; else hi = mid; }
    for (let i = lo; i < this.#events.length && out.length < limit; i++) {
      const e = this.#events[i];
      if (e === undefined || e.seq > throughSeq) break;
      const doc = e.docId === null ? undefined : this.#documents.get(e.docId);
      out.push({ seq: e.seq, topic: e.topic, time: e.time, dataJson: e.dataJson, docName: doc?.name ?? null, docJson: doc?.json ?? null });
    }
    return out;
  }

  async unclosedRuns(): Promise<string[]> {
    return [...this.#runs.values()].filter((r) => r.stopTime === null && !r.imported).map((r) => r.uid);
  }

  async pruneEvents(rule: RetentionRule): Promise<number | null> {
    let drop = 0;
    if (rule.minTime !== undefined) {
      const keep = this.#events.findIndex((e) => e.time >= (rule.minTime ?? 0));
      drop = keep === -1 ? this.#events.length : keep;
    }
    if (rule.maxBytes !== undefined) {
      let kept = 0;
      for (let i = this.#events.length - 1; i >= drop; i--) {
        kept += (this.#events[i]?.dataJson?.length ?? 0) + EVENT_ROW_OVERHEAD;
        if (kept > rule.maxBytes) { drop = i + 1; break; }
      }
    }
    if (drop > 0) this.#events = this.#events.slice(drop);
    return this.#events[0]?.seq ?? null;
  }

  async close(): Promise<void> { /* nothing to release */ }
}

/** A RunStore in memory: same contract as SqliteStore, without durability. */
export class MemoryStore extends BaseStore {
  constructor(options: StoreOptions = {}, backend = new MemoryBackend()) { super(backend, backend.stateNow(), options); }
}
