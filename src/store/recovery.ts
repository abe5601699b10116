/**
 * The stop document for a run the server never closed: exit_status "abort",
 * a fixed reason, and the events that did reach the store, counted per stream.
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { DocumentMap, DocumentName } from '../model/documents.js';
import type { AnyDocument } from './types.js';

export const INTERRUPTED_REASON = 'interrupted: the server stopped before the run closed';

/** Count events and event-page rows per stream name, as `num_events` reports them. */
export function countEvents(documents: ReadonlyArray<readonly [DocumentName, AnyDocument]>): Record<string, number> {
  const streamOf = new Map<string, string>();
  const counts: Record<string, number> = {};
  for (const [name, doc] of documents) {
    const d = doc as unknown as Record<string, unknown>;
    if (name === 'descriptor' && typeof d.uid === 'string') {
      const stream = typeof d.name === 'string' ? d.name : 'primary';
      streamOf.set(d.uid, stream);
      counts[stream] ??= 0;
    } else if (name === 'event' || name === 'event_page') {
      const stream = streamOf.get(String(d.descriptor));
      if (stream === undefined) continue;
      const n = name === 'event' ? 1 : Array.isArray(d.seq_num) ? d.seq_num.length : 0;
      counts[stream] = (counts[stream] ?? 0) + n;
    }
  }
  return counts;
}

/** Compose the stop of an interrupted run from its stored documents. */
export function composeInterruptedStop(runUid: string, documents: ReadonlyArray<readonly [DocumentName, AnyDocument]>,
  time = Date.now() / 1000, reason = INTERRUPTED_REASON): DocumentMap['stop'] {
  return {
    uid: randomUUID(), time, run_start: runUid, exit_status: 'abort', reason,
    num_events: countEvents(documents),
  };
}
