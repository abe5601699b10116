/**
 * MemoryStore: the RunStore contract held in arrays, for tests and for a
 * server started without a data directory. Nothing survives the process.
 * @module
 */
import type { EventRow, DocumentRow, PendingDocument, PendingEvent, StoreBackend, WriteBatch } from './backend.js';
import { BaseStore, type StoreOptions } from './base.js';
import type { ListRunsQuery, RunSummary } from './types.js';

class MemoryBackend implements StoreBackend {
  readonly location = 'memory';
  readonly #runs = new Map<string, RunSummary>();
  readonly #documents: PendingDocument[] = [];
  readonly #byRun = new Map<string, PendingDocument[]>();
  readonly #events: PendingEvent[] = [];

  write(batch: WriteBatch): void {
    // Validate before mutating, so a failed write leaves nothing behind (as a rolled-back transaction).
    for (const s of batch.starts) if (this.#runs.has(s.uid)) throw new Error(`UNIQUE constraint failed: runs.uid (${s.uid})`);
    for (const { firstDocId: _first, ...s } of batch.starts) this.#runs.set(s.uid, s);
    for (const d of batch.documents) {
      this.#documents.push(d);
      if (d.runUid === null) continue;
      let list = this.#byRun.get(d.runUid);
      if (list === undefined) this.#byRun.set(d.runUid, list = []);
      list.push(d);
    }
    this.#events.push(...batch.events);
    for (const s of batch.stops) {
      const run = this.#runs.get(s.uid);
      if (run === undefined) continue;
      this.#runs.set(s.uid, {
        ...run, stopTime: s.stopTime, exitStatus: s.exitStatus, reason: s.reason, numEvents: s.numEvents, interrupted: s.interrupted,
      });
    }
  }

  hasRun(uid: string): boolean { return this.#runs.has(uid); }
  getRun(uid: string): RunSummary | undefined { return this.#runs.get(uid); }

  listRuns(q: ListRunsQuery): RunSummary[] {
    // Newest first, like the SQLite index (start time, then insertion order).
    const all = [...this.#runs.values()].reverse().filter((r) =>
      (q.plan === undefined || r.planName === q.plan) && (q.since === undefined || r.startTime >= q.since) &&
      (q.uidPrefix === undefined || r.uid.startsWith(q.uidPrefix)));
    all.sort((a, b) => b.startTime - a.startTime);
    const offset = q.offset ?? 0;
    return all.slice(offset, offset + (q.limit ?? 100));
  }

  documents(runUid: string, offset: number, limit: number): DocumentRow[] {
    return (this.#byRun.get(runUid) ?? []).slice(offset, offset + limit);
  }

  readEvents(sinceSeq: number, limit: number): EventRow[] {
    const out: EventRow[] = [];
    // seq is dense from the first one stored, so the start index is arithmetic.
    const first = this.#events[0]?.seq ?? 1;
    for (let i = Math.max(0, sinceSeq + 1 - first); i < this.#events.length && out.length < limit; i++) {
      const e = this.#events[i];
      if (e === undefined) break;
      const doc = e.docId === null ? undefined : this.#documentById(e.docId);
      out.push({ seq: e.seq, topic: e.topic, time: e.time, dataJson: e.dataJson, docName: doc?.name ?? null, docJson: doc?.json ?? null });
    }
    return out;
  }

  #documentById(id: number): PendingDocument | undefined {
    // Ids are dense and start at 1 in memory.
    const d = this.#documents[id - 1];
    return d?.id === id ? d : this.#documents.find((x) => x.id === id);
  }

  oldestSeq(): number | null { return this.#events[0]?.seq ?? null; }
  maxSeq(): number { return this.#events[this.#events.length - 1]?.seq ?? 0; }
  maxDocumentId(): number { return this.#documents[this.#documents.length - 1]?.id ?? 0; }

  maxScanId(): number {
    let max = 0;
    for (const r of this.#runs.values()) if (!r.imported && r.scanId !== null && r.scanId > max) max = r.scanId;
    return max;
  }

  unclosedRuns(): string[] {
    return [...this.#runs.values()].filter((r) => r.stopTime === null && !r.imported).map((r) => r.uid);
  }

  close(): void { /* nothing to release */ }
}

/** A RunStore in memory: same contract as SqliteStore, without durability. */
export class MemoryStore extends BaseStore {
  constructor(options: StoreOptions = {}) { super(new MemoryBackend(), options); }
}
