/**
 * Wire a RunEngine to a store: every document it emits is appended (write-ahead),
 * and its persistent `md.scan_id` continues from the store's last one.
 * @module
 */
import type { DocumentCallback } from '../model/documents.js';
import type { DocumentMeta, RunStore } from './types.js';

/** The part of a RunEngine the store needs (kept structural: store/ does not import engine/). */
export interface DocumentSource {
  subscribe(cb: DocumentCallback): number;
  unsubscribe(token: number): void;
  md: Record<string, unknown>;
}

export interface AttachOptions {
  /** Meta for the next start document(s): item id, plan name, parameters. Read at each start. */
  readonly meta?: () => DocumentMeta | undefined;
}

/**
 * Append every document `re` emits to `store` and seed `re.md.scan_id`. Attach
 * before other subscribers. Returns the detach function (which resolves once everything is committed).
 */
export function attachStore(re: DocumentSource, store: RunStore, options: AttachOptions = {}): () => Promise<void> {
  const known = typeof re.md.scan_id === 'number' ? re.md.scan_id : 0;
  re.md.scan_id = Math.max(known, store.lastScanId());
  const token = re.subscribe((name, doc) => {
    store.appendDocument(name, doc, name === 'start' ? options.meta?.() : undefined);
  });
  return () => {
    re.unsubscribe(token);
    return store.commit();
  };
}
