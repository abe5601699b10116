/**
 * The run a host has open, followed from the documents that crossed the seam,
 * so that when the engine's thread has to be ended the run is still closed
 * honestly: a stop document with `exit_status` "abort", the reason, and the
 * events that were emitted, counted per stream. Also remembers the last
 * `scan_id`, so a fresh thread carries on counting.
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { DocumentName } from '../model/documents.js';

interface Open { uid: string; streams: Map<string, string>; counts: Record<string, number> }

export class OpenRunTracker {
  #open: Open | null = null;
  #lastScanId = 0;

  /** The uid of the run with a start and no stop yet, or null. */
  get uid(): string | null { return this.#open?.uid ?? null; }
  /** The largest scan_id seen in a start document (0 if none). */
  get lastScanId(): number { return this.#lastScanId; }

  /** Follow one document, in emission order. */
  observe(name: DocumentName, doc: Readonly<Record<string, unknown>>): void {
    if (name === 'start') {
      this.#open = { uid: String(doc.uid), streams: new Map(), counts: {} };
      if (typeof doc.scan_id === 'number') this.#lastScanId = Math.max(this.#lastScanId, doc.scan_id);
      return;
    }
    const run = this.#open;
    if (run === null) return;
    if (name === 'descriptor' && doc.run_start === run.uid) {
      const stream = typeof doc.name === 'string' ? doc.name : 'primary';
      run.streams.set(String(doc.uid), stream);
      run.counts[stream] ??= 0;
    } else if (name === 'event' || name === 'event_page') {
      const stream = run.streams.get(String(doc.descriptor));
      if (stream === undefined) return;
      const n = name === 'event' ? 1 : Array.isArray(doc.seq_num) ? doc.seq_num.length : 0;
      run.counts[stream] = (run.counts[stream] ?? 0) + n;
    } else if (name === 'stop' && doc.run_start === run.uid) {
      this.#open = null;
    }
  }

  /** The stop document that closes the open run with `reason` (null when none is open); the run is then closed. */
  close(reason: string, time = Date.now() / 1000): Record<string, unknown> | null {
    const run = this.#open;
    if (run === null) return null;
    this.#open = null;
    return { run_start: run.uid, time, uid: randomUUID(), exit_status: 'abort', reason, num_events: { ...run.counts } };
  }
}
