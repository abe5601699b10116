/**
 * The durable v2 event log for a dispatcher: run index meta from the scan in
 * progress, and a commit per document only when callbacks see documents synchronously.
 * @module
 */
import type { Dispatcher } from '../dispatcher/index.js';
import { StoreEventLog } from '../protocol/v2/store-log.js';
import type { RunStore } from '../store/index.js';
import type { V2Options } from './v2-endpoint.js';

export function storeEventLog(dispatcher: Dispatcher, store: RunStore, options: V2Options = {}): StoreEventLog {
  return new StoreEventLog(store, {
    ...(options.logMaxEvents === undefined ? {} : { maxEvents: options.logMaxEvents }),
    ...(options.logMaxBytes === undefined ? {} : { maxBytes: options.logMaxBytes }),
    meta: () => {
      const scan = dispatcher.activeScan;
      return scan === null ? undefined : { itemId: scan.itemId, planName: scan.name, params: scan.params };
    },
    syncDocuments: () => dispatcher.callbackCount > 0,
  });
}
