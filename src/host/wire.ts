/**
 * The messages between the worker host (main thread) and its worker. The
 * worker sends arrays of items, in order: events, replies, pongs; a reply is
 * sent together with the events before it, so it never overtakes them.
 * @module
 */
import type { DocumentName } from '../model/documents.js';
import type { EngineSetup } from './setup.js';
import type { Catalog, ControlOptions, ControlVerb, ErrorInfo, HostEvent, StartRequest } from './types.js';

/**
 * Flow control: items the worker has posted that the main thread has not yet handled. Above
 * FLOW_HIGH the engine waits at its next yield point until the main thread has caught up to
 * FLOW_LOW, so a plan cannot outrun the dispatcher (and its queue of messages cannot grow
 * without bound). The main thread credits in blocks of at most FLOW_LOW items: a waiting worker
 * always has that many on their way to it, so a held-back credit never leaves it waiting.
 * 1024: the main thread stops now and then for ~10 ms (a collection, a store commit), and a fast
 * plan posts ~70 events a millisecond; at 256 the engine waited out each such stop (a count
 * through the server: 66k against 73k events/s, bench group `store`). A reply waits behind at most
 * this many items on the main thread, ~10 ms.
 */
export const FLOW_HIGH = 1024;
export const FLOW_LOW = 256;

/** `workerData` of the worker: what to load. */
export interface WorkerBoot {
  readonly setup: EngineSetup;
  /** scan_id to continue from (a restarted worker carries on counting). */
  readonly scanId: number;
}

/** A request the main thread sends; `id` pairs it with its reply. */
export type WorkerRequest =
  | { op: 'validate'; name: string; params: unknown; md: unknown }
  | { op: 'start'; request: StartRequest }
  | { op: 'control'; verb: ControlVerb; options: ControlOptions }
  | { op: 'setScanId'; n: number }
  | { op: 'stopAll' }
  | { op: 'shutdown'; reason: string };

export type ToWorker =
  | { t: 'req'; id: number; req: WorkerRequest }
  /** Answered with a pong from the worker's event loop: proof that it turns. */
  | { t: 'ping'; id: number }
  /** The main thread has handled `n` more items: the worker may send that many more (flow control). */
  | { t: 'ack'; n: number };

export type FromWorkerItem =
  /** Any event but a document. */
  | { t: 'event'; event: Exclude<HostEvent, { kind: 'document' }> }
  /**
   * A document, as one string: its name then its JSON, encoded on the engine's thread ({@link packDocument}).
   * The main thread parses it and keeps the text with it (see {@link DOCUMENT_JSON}) for the store and the
   * streams, which would encode it again. A string, not an object around it: an object costs both threads a
   * walk of its keys, the string a copy of its bytes (batches of a count's documents, timed alone: ~0.2 µs a
   * document less to send, ~0.3 less to receive).
   */
  | string
  | { t: 'reply'; id: number; result: unknown }
  | { t: 'pong'; id: number }
  | { t: 'ready'; catalog: Catalog }
  | { t: 'failed'; error: ErrorInfo };

export type FromWorker = FromWorkerItem[];

/** A document as it crosses: its name, then its JSON (which begins with `{`, as no name has one). */
export function packDocument(name: DocumentName, json: string): string {
  return name + json;
}

/** The name and JSON of a document packed by {@link packDocument}. */
export function unpackDocument(item: string): { name: DocumentName; json: string } {
  const brace = item.indexOf('{');
  return { name: item.slice(0, brace) as DocumentName, json: item.slice(brace) };
}
