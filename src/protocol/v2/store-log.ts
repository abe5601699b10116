/**
 * The v2 event log backed by the run store: events are numbered by the store (seq
 * continues across restarts), shown only once committed, and replayed from disk.
 * @module
 */
import type { DocumentName } from '../../model/documents.js';
import type { AnyDocument, DocumentMeta, RunStore } from '../../store/index.js';
import { type EventLog, MemoryEventLog, type MemoryLogOptions } from './event-log.js';
import type { DocumentData, Event, Topic, TopicData } from './types.js';

export interface StoreLogOptions extends Omit<MemoryLogOptions, 'startAfter'> {
  /** Item id, plan name and params of the run a start document opens. */
  readonly meta?: () => DocumentMeta | undefined;
  /** True when something sees documents synchronously (dispatcher callbacks): commit each document before returning. */
  readonly syncDocuments?: () => boolean;
}

/** Events read from disk per query while replaying. */
const DISK_PAGE = 1000;

export class StoreEventLog implements EventLog {
  readonly store: RunStore;
  /** The newest committed events, for replay without touching the disk. */
  readonly memory: MemoryEventLog;
  readonly #options: StoreLogOptions;
  #listeners: Array<() => void> = [];
  readonly #off: () => void;

  constructor(store: RunStore, options: StoreLogOptions = {}) {
    this.store = store;
    this.#options = options;
    this.memory = new MemoryEventLog({
      ...(options.maxEvents === undefined ? {} : { maxEvents: options.maxEvents }),
      ...(options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes }),
      startAfter: store.latestSeq(),
    });
    this.#off = store.onCommit((batch) => {
      if (batch.events.length === 0) return;
      for (const e of batch.events) this.memory.push(e as Event);
      for (const fn of this.#listeners) fn();
    });
  }

  /** Queue the event in the store; it becomes visible (`since`, `latest`) once committed. */
  append<T extends Topic>(topic: T, data: TopicData[T]): Event<T> {
    const time = Date.now() / 1000;
    let seq: number;
    if (topic === 'document') {
      const { name, doc } = data as DocumentData;
      const meta = name === 'start' ? this.#options.meta?.() : undefined;
      seq = this.store.appendDocumentEvent(name as DocumentName, doc as unknown as AnyDocument, time, meta);
      if (this.#options.syncDocuments?.() === true) this.store.flush();
    } else {
      seq = this.store.appendEvent({ topic, time, data });
    }
    return { seq, topic, time, data } as Event<T>;
  }

  since(seq: number): Iterable<Event> | 'too_old' {
    if (seq > this.latest()) return 'too_old';
    if (seq >= this.memory.oldest() - 1) return this.memory.since(seq);
    const oldest = this.store.oldestSeq();
    if (oldest === null || seq < oldest - 1) return 'too_old';
    return this.#fromDisk(seq);
  }

  oldest(): number { return this.store.oldestSeq() ?? this.latest() + 1; }
  latest(): number { return this.memory.latest(); }

  onCommitted(listener: () => void): () => void {
    this.#listeners = [...this.#listeners, listener];
    return () => { this.#listeners = this.#listeners.filter((f) => f !== listener); };
  }

  /** Stop listening to the store (the store itself stays open). */
  dispose(): void { this.#off(); this.#listeners = []; }

  *#fromDisk(seq: number): Generator<Event> {
    let cursor = seq;
    for (;;) {
      if (cursor >= this.memory.oldest() - 1) {
        const rest = this.memory.since(cursor);
        if (rest !== 'too_old') yield* rest;
        return;
      }
      const page = this.store.readEvents(cursor, DISK_PAGE);
      if (page.length === 0) return;
      for (const e of page) {
        if (e.seq > this.latest()) return;
        cursor = e.seq;
        yield e as Event;
      }
    }
  }
}
