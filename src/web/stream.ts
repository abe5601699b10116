/**
 * The panel's event stream, received apart from drawing: a protocol-v2
 * subscription (its own connection) whose events are handed on in batches, at
 * most one batch per ~frame, with the connection's life (open, close,
 * subscribed, resync) in order among them. In the browser it runs in a Web
 * Worker, so parsing tens of thousands of frames a second never delays a click
 * or a frame; where workers are unavailable (and in Node tests) it runs in the
 * calling thread with the same batching.
 * @module
 */
import { DispatcherClient, type Event, type SubscribeResult, type Topic } from '../protocol/v2/client.js';

/** One thing the stream says, in the order it happened. */
export type StreamMessage =
  | { kind: 'open' }
  | { kind: 'close'; code: number; reason: string; lastSeq: number | null }
  | { kind: 'subscribed'; result: SubscribeResult }
  | { kind: 'resync'; result: SubscribeResult }
  /** Refused by the server or unreachable (retried by itself). */
  | { kind: 'retrying'; why: string }
  | { kind: 'events'; events: Event[] };

/** A running stream: it calls `onBatch` with what happened since the last batch. */
export interface EventStream {
  /** Where the socket is read: a worker, or this thread. */
  readonly where: () => 'worker' | 'page';
  close(): void;
}
export type BatchListener = (batch: StreamMessage[]) => void;

/**
 * The topics the panel needs. `progress` is left out: the panel counts the run's own events
 * (so progress cannot outlive the run), and a fast scan sends half as many frames.
 */
export const PANEL_TOPICS: Topic[] = ['state', 'document', 'exception', 'log', 'queue'];

/** Longest a message waits before its batch is handed on (about one frame). */
export const BATCH_MS = 16;

/** Collects messages and hands them on at most once per {@link BATCH_MS}. */
export class Batcher {
  #queue: StreamMessage[] = [];
  #timer: ReturnType<typeof setTimeout> | null = null;
  #last = 0;
  readonly #deliver: BatchListener;

  constructor(deliver: BatchListener) { this.#deliver = deliver; }

  push(m: StreamMessage): void {
    // Consecutive events share one message, so a batch of 300 events is one array, not 300 entries.
    const tail = this.#queue[this.#queue.length - 1];
    if (m.kind === 'events' && tail?.kind === 'events') tail.events.push(...m.events);
    else this.#queue.push(m);
    if (this.#timer !== null) return;
    const wait = Math.max(0, BATCH_MS - (performance.now() - this.#last));
    this.#timer = setTimeout(() => this.flush(), wait);
  }

  flush(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#last = performance.now();
    const batch = this.#queue;
    if (batch.length === 0) return;
    this.#queue = [];
    this.#deliver(batch);
  }

  dispose(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#queue = [];
  }
}

/**
 * Subscribe with `client` (retrying until the server answers) and report everything to `batcher`.
 * Returns the stop function.
 */
export function pump(client: DispatcherClient, batcher: Batcher): () => void {
  const undo = [
    client.on('open', () => batcher.push({ kind: 'open' })),
    client.on('close', (e) => batcher.push({ kind: 'close', code: e.code, reason: e.reason, lastSeq: client.lastSeq })),
    client.on('subscribed', (result) => batcher.push({ kind: 'subscribed', result })),
    client.on('resync', (result) => batcher.push({ kind: 'resync', result })),
    client.on('event', (e) => batcher.push({ kind: 'events', events: [e] })),
  ];
  let stopped = false;
  let retry: ReturnType<typeof setTimeout> | null = null;
  const first = (): void => {
    client.subscribe(PANEL_TOPICS).catch((e: unknown) => {
      // The server is not up yet: the client has no subscription to resume, so retry here.
      if (stopped) return;
      batcher.push({ kind: 'retrying', why: e instanceof Error ? e.message : String(e) });
      retry = setTimeout(first, 1000);
    });
  };
  first();
  return () => {
    stopped = true;
    if (retry !== null) clearTimeout(retry);
    for (const u of undo) u();
    client.close();
    batcher.dispose();
  };
}

/** The stream in this thread (no worker). */
export function localStream(url: string, onBatch: BatchListener): EventStream {
  const client = new DispatcherClient(url, { backoff: { initialMs: 200, maxMs: 3000 }, batch: true });
  return { where: () => 'page', close: pump(client, new Batcher(onBatch)) };
}

/** What the page says to its worker, and the worker's only answer (batches). */
export interface WorkerStart { url: string }

/**
 * The stream in a Web Worker running `script` (this same bundle: see main.tsx), or in this
 * thread if the browser cannot start one.
 */
export function workerStream(url: string, script: string | URL, onBatch: BatchListener): EventStream {
  let worker: Worker;
  try {
    worker = new Worker(script, { type: 'module', name: 'panel-stream' });
  } catch {
    return localStream(url, onBatch);
  }
  worker.onmessage = (e: MessageEvent<StreamMessage[]>) => onBatch(e.data);
  // A worker that fails to load (e.g. a browser without module workers) leaves the stream to us.
  let fallback: EventStream | null = null;
  worker.onerror = (e) => {
    e.preventDefault();
    worker.terminate();
    fallback ??= localStream(url, onBatch);
  };
  worker.postMessage({ url } satisfies WorkerStart);
  return { where: () => (fallback === null ? 'worker' : 'page'), close: () => { worker.terminate(); fallback?.close(); } };
}

/** Inside the worker: wait for the page's {@link WorkerStart}, then stream to it. */
export function serveWorker(scope: { onmessage: ((e: MessageEvent<WorkerStart>) => void) | null; postMessage(batch: StreamMessage[]): void }): void {
  scope.onmessage = (e) => {
    scope.onmessage = null;
    const client = new DispatcherClient(e.data.url, { backoff: { initialMs: 200, maxMs: 3000 }, batch: true });
    pump(client, new Batcher((batch) => scope.postMessage(batch)));
  };
}
