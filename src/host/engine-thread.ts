/**
 * One worker thread running worker-main.ts, seen from the main thread: spawn it
 * (registering the TypeScript loader first when this package runs from its
 * sources), pair requests with replies, notice its pulse, end it.
 * @module
 */
import { Worker } from 'node:worker_threads';
import { CodedError } from '../model/errors.js';
import type { Catalog, ErrorInfo } from './types.js';
import { workerEntry } from './worker-entry.js';
import { FLOW_LOW, type FromWorker, type FromWorkerItem, type ToWorker, type WorkerBoot, type WorkerRequest } from './wire.js';

/** An eval'd bootstrap: a worker's first module is loaded before any --import hook would apply. */
function bootstrap(): string {
  const entry = workerEntry();
  const steps = entry.typescript
    ? `(await import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})).register(); (await import(${JSON.stringify(import.meta.resolve('tsx/cjs/api'))})).register(); await import(${JSON.stringify(entry.url)});`
    : `await import(${JSON.stringify(entry.url)});`;
  return `(async () => { ${steps} })().catch((e) => { setImmediate(() => { throw e; }); });`;
}

/** A request the thread could not answer: it ended, or did not answer in time. */
export class ThreadError extends CodedError {
  constructor(code: 'HOST_THREAD_ENDED' | 'HOST_UNRESPONSIVE', message: string) { super(code, message); }
}

export interface ThreadOptions {
  readonly boot: WorkerBoot;
  /** V8 old-generation heap limit of the worker, in MiB. */
  readonly maxMemoryMb: number;
  /** Every item the worker sends (events, ready, failed), in order; replies and pongs are handled here. */
  readonly onItem: (item: FromWorkerItem) => void;
  /** The worker ended (by itself or by {@link EngineThread.terminate}); `error` is why, if it failed. */
  readonly onExit: (error: Error | null) => void;
}

/**
 * How long a request may wait for its reply: without limit (null), until a fixed deadline, or
 * for as long as the thread keeps talking (`silentMs`: it is given up only after the thread
 * has sent nothing at all, not even a pong, for that long since the request was sent).
 */
export type Patience = null | { readonly deadlineMs: number } | { readonly silentMs: number };

interface Pending { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout | null }

/** Items handled before the worker is credited: its low mark, the most that may be held back (wire.ts). */
const ACK_EVERY = FLOW_LOW;

export class EngineThread {
  readonly worker: Worker;
  /** Resolves with the catalog once the worker has loaded its plans; rejects with the load error. */
  readonly ready: Promise<Catalog>;
  /** performance.now() of the last message from the worker: its event loop turned then. */
  lastSeen = performance.now();
  #ended = false;
  #nextId = 1;
  #acked = 0;
  #ackPending = false;
  readonly #pending = new Map<number, Pending>();
  #readyResolve!: (c: Catalog) => void;
  #readyReject!: (e: Error) => void;
  readonly #exited: Promise<void>;

  constructor(options: ThreadOptions) {
    this.ready = new Promise<Catalog>((resolve, reject) => { this.#readyResolve = resolve; this.#readyReject = reject; });
    this.ready.catch(() => undefined); // observed by whoever awaits it; never an unhandled rejection
    this.worker = new Worker(bootstrap(), {
      eval: true, workerData: options.boot,
      resourceLimits: { maxOldGenerationSizeMb: options.maxMemoryMb },
    });
    let failure: Error | null = null;
    this.worker.on('message', (items: FromWorker) => {
      if (this.#ended) return;
      this.lastSeen = performance.now();
      for (const item of items) this.#receive(item, options.onItem);
      this.#ack(items.length);
    });
    this.worker.on('error', (e) => { failure = e; });
    this.#exited = new Promise((resolve) => {
      this.worker.once('exit', () => {
        const first = !this.#ended;
        this.#ended = true;
        const why = failure ?? new ThreadError('HOST_THREAD_ENDED', 'the engine thread ended');
        this.#readyReject(why);
        this.#failPending(new ThreadError('HOST_THREAD_ENDED', `the engine thread ended: ${why.message}`));
        if (first || failure !== null) options.onExit(failure);
        resolve();
      });
    });
  }

  get ended(): boolean { return this.#ended; }

  /**
   * Send a request; resolves with the reply, rejects if the thread ends or runs out of `patience`.
   * Patience is checked after the port's waiting messages (a check in `setImmediate`, after the
   * poll phase): when this thread itself was held up, a reply that came in the meantime wins.
   */
  request(req: WorkerRequest, patience: Patience): Promise<unknown> {
    if (this.#ended) return Promise.reject(new ThreadError('HOST_THREAD_ENDED', 'the engine thread has ended'));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const entry: Pending = { resolve, reject, timer: null };
      this.#pending.set(id, entry);
      if (patience !== null) this.#expire(id, entry, patience, performance.now());
      this.worker.postMessage({ t: 'req', id, req } satisfies ToWorker);
    });
  }

  /** Give up on request `id` once `patience` runs out (see {@link Patience}). */
  #expire(id: number, entry: Pending, patience: Exclude<Patience, null>, sent: number): void {
    const giveUp = (message: string): void => {
      this.#pending.delete(id);
      entry.reject(new ThreadError('HOST_UNRESPONSIVE', message));
    };
    const check = (): void => {
      entry.timer = null;
      setImmediate(() => {
        if (this.#pending.get(id) !== entry) return; // answered, or the thread ended
        if ('deadlineMs' in patience) {
          giveUp(`the engine did not answer within ${String(patience.deadlineMs / 1000)} s (a plan may be blocking its thread)`);
          return;
        }
        const quiet = performance.now() - Math.max(sent, this.lastSeen);
        if (quiet >= patience.silentMs) giveUp(`the engine thread has said nothing for ${String(patience.silentMs / 1000)} s (a plan may be blocking its thread)`);
        else entry.timer = setTimeout(check, patience.silentMs - quiet);
      });
    };
    entry.timer = setTimeout(check, 'deadlineMs' in patience ? patience.deadlineMs : patience.silentMs);
  }

  /** Ask the worker's event loop for a sign of life (updates {@link lastSeen} when it answers). */
  ping(): void {
    if (!this.#ended) this.worker.postMessage({ t: 'ping', id: 0 } satisfies ToWorker);
  }

  /** End the thread now (even in the middle of a busy loop); resolves once it has exited. */
  async terminate(): Promise<void> {
    this.#ended = true;
    await this.worker.terminate();
    await this.#exited;
  }

  /**
   * Credit the worker once this turn's other work (socket pumps woken by these items) has
   * had its go: the engine then runs no further ahead than the dispatcher can serve.
   */
  #ack(n: number): void {
    this.#acked += n;
    // Credit in blocks: each message wakes the worker's thread (most of the main thread's cost of an
    // ack). Holding back fewer than ACK_EVERY is safe: the worker only waits with more than
    // FLOW_HIGH items unacknowledged and resumes at FLOW_LOW — every one of those reaches this thread.
    if (this.#ackPending || this.#acked < ACK_EVERY) return;
    this.#ackPending = true;
    setImmediate(() => {
      this.#ackPending = false;
      const count = this.#acked;
      this.#acked = 0;
      if (!this.#ended && count > 0) this.worker.postMessage({ t: 'ack', n: count } satisfies ToWorker);
    });
  }

  #receive(item: FromWorkerItem, onItem: (item: FromWorkerItem) => void): void {
    if (typeof item === 'string') { onItem(item); return; } // a document
    switch (item.t) {
      case 'pong': return;
      case 'reply': {
        const p = this.#pending.get(item.id);
        if (p === undefined) return; // timed out already
        this.#pending.delete(item.id);
        if (p.timer !== null) clearTimeout(p.timer);
        p.resolve(item.result);
        return;
      }
      case 'ready': this.#readyResolve(item.catalog); break;
      case 'failed': this.#readyReject(errorFrom(item.error)); break;
      case 'event': break;
    }
    onItem(item);
  }

  #failPending(e: Error): void {
    for (const p of this.#pending.values()) {
      if (p.timer !== null) clearTimeout(p.timer);
      p.reject(e);
    }
    this.#pending.clear();
  }
}

/** An Error carrying the name and message of an {@link ErrorInfo}. */
export function errorFrom(info: ErrorInfo): Error {
  const e = new Error(info.message) as Error & { code?: string };
  e.name = info.name;
  if (info.code !== undefined) e.code = info.code;
  return e;
}
