/**
 * Which run each document belongs to, and the run-index rows that start and
 * stop documents produce. Pure bookkeeping shared by every backend and by import.
 * @module
 */
import type { DocumentName } from '../model/documents.js';
import { StoreError } from './errors.js';
import type { AnyDocument, DocumentMeta, RunSummary } from './types.js';

/** A run's stop, as the index records it. */
export interface RunStopUpdate {
  readonly uid: string;
  readonly stopTime: number;
  readonly exitStatus: string | null;
  readonly reason: string | null;
  readonly numEvents: Record<string, number>;
  readonly interrupted: boolean;
}

/** What one document changes: its run, and possibly a new or closed index row. */
export interface Observation {
  readonly runUid: string | null;
  readonly start?: RunSummary;
  readonly stop?: RunStopUpdate;
}

interface OpenRun { readonly counts: Record<string, number>; readonly descriptors: Set<string>; readonly resources: Set<string> }

type Loose = Record<string, unknown>;

function str(x: unknown): string | null { return typeof x === 'string' ? x : null; }
function num(x: unknown): number | null { return typeof x === 'number' && Number.isFinite(x) ? x : null; }

/** Build the index row of a start document. */
export function startSummary(doc: Loose, meta: DocumentMeta | undefined, imported: boolean): RunSummary {
  const uid = str(doc.uid);
  if (uid === null) throw new StoreError('STORE_BAD_DOCUMENT', 'a start document needs a string uid');
  return {
    uid, scanId: num(doc.scan_id), planName: meta?.planName ?? str(doc.plan_name), itemId: meta?.itemId ?? null,
    params: meta?.params ?? null, startTime: num(doc.time) ?? 0, stopTime: null, exitStatus: null, reason: null,
    numEvents: null, interrupted: false, imported,
  };
}

export class RunTracker {
  /** descriptor uid → [run uid, stream name]; resource uid → run uid. Pruned when the run stops. */
  readonly #descriptors = new Map<string, readonly [string, string]>();
  readonly #resources = new Map<string, string>();
  readonly #open = new Map<string, OpenRun>();
  readonly #imported: boolean;

  constructor(options: { imported?: boolean } = {}) { this.#imported = options.imported ?? false; }

  isOpen(uid: string): boolean { return this.#open.has(uid); }
  openRuns(): string[] { return [...this.#open.keys()]; }

  /** File one document; `interrupted` marks a stop composed by recovery. */
  observe(name: DocumentName, doc: AnyDocument, meta?: DocumentMeta, interrupted = false): Observation {
    const d = doc as unknown as Loose;
    switch (name) {
      case 'start': return this.#start(d, meta);
      case 'stop': return this.#stop(d, interrupted);
      case 'descriptor': return this.#descriptor(d);
      case 'event': return { runUid: this.#count(str(d.descriptor), 1) };
      case 'event_page': return { runUid: this.#count(str(d.descriptor), Array.isArray(d.seq_num) ? d.seq_num.length : 0) };
      case 'stream_datum': return { runUid: this.#descriptors.get(str(d.descriptor) ?? '')?.[0] ?? null };
      case 'resource': case 'stream_resource': return this.#resource(d);
      case 'datum': case 'datum_page': return { runUid: this.#resources.get(str(d.resource) ?? '') ?? this.#soleOpenRun() };
      default: return { runUid: str(d.run_start) ?? this.#soleOpenRun() };
    }
  }

  #start(d: Loose, meta: DocumentMeta | undefined): Observation {
    const summary = startSummary(d, meta, this.#imported);
    if (this.#open.has(summary.uid)) throw new StoreError('STORE_DUPLICATE_RUN', `run ${summary.uid} is already open`);
    this.#open.set(summary.uid, { counts: {}, descriptors: new Set(), resources: new Set() });
    return { runUid: summary.uid, start: summary };
  }

  #stop(d: Loose, interrupted: boolean): Observation {
    const runUid = str(d.run_start);
    if (runUid === null) throw new StoreError('STORE_BAD_DOCUMENT', 'a stop document needs a string run_start');
    const open = this.#open.get(runUid);
    const given = d.num_events;
    const numEvents = typeof given === 'object' && given !== null ? { ...(given as Record<string, number>) } : { ...open?.counts };
    if (open !== undefined) {
      for (const u of open.descriptors) this.#descriptors.delete(u);
      for (const u of open.resources) this.#resources.delete(u);
      this.#open.delete(runUid);
    }
    const stop: RunStopUpdate = {
      uid: runUid, stopTime: num(d.time) ?? 0, exitStatus: str(d.exit_status), reason: str(d.reason), numEvents, interrupted,
    };
    return { runUid, stop };
  }

  #descriptor(d: Loose): Observation {
    const runUid = str(d.run_start);
    const uid = str(d.uid);
    const open = runUid === null ? undefined : this.#open.get(runUid);
    if (runUid !== null && uid !== null && open !== undefined) {
      const stream = str(d.name) ?? 'primary';
      this.#descriptors.set(uid, [runUid, stream]);
      open.descriptors.add(uid);
      open.counts[stream] ??= 0;
    }
    return { runUid };
  }

  #resource(d: Loose): Observation {
    const runUid = str(d.run_start) ?? this.#soleOpenRun();
    const uid = str(d.uid);
    const open = runUid === null ? undefined : this.#open.get(runUid);
    if (runUid !== null && uid !== null && open !== undefined) {
      this.#resources.set(uid, runUid);
      open.resources.add(uid);
    }
    return { runUid };
  }

  #count(descriptor: string | null, n: number): string | null {
    const entry = descriptor === null ? undefined : this.#descriptors.get(descriptor);
    if (entry === undefined) return null;
    const counts = this.#open.get(entry[0])?.counts;
    if (counts !== undefined) counts[entry[1]] = (counts[entry[1]] ?? 0) + n;
    return entry[0];
  }

  /** Legacy resources carry no run_start; with one run open the owner is unambiguous. */
  #soleOpenRun(): string | null {
    if (this.#open.size !== 1) return null;
    for (const uid of this.#open.keys()) return uid;
    return null;
  }
}
