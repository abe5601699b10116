/**
 * The ordered event stream: every state transition, run-uid update and
 * exception, numbered and delivered synchronously to every listener in the
 * order it happened, so no listener can miss or reorder one.
 * @module
 */
import type { DispatcherEvent, DispatcherEventListener } from './types.js';

/** Distributive Omit, so each event kind keeps its own fields. */
export type EventBody = DispatcherEvent extends infer E ? E extends DispatcherEvent ? Omit<E, 'seq'> : never : never;

export class EventBus {
  #seq = 0;
  #listeners: DispatcherEventListener[] = [];
  /** Called when a listener throws; the other listeners still get the event. */
  onListenerError: (error: unknown) => void = () => {};

  get seq(): number { return this.#seq; }
  get size(): number { return this.#listeners.length; }

  /** Add a listener; returns its removal function. */
  listen(fn: DispatcherEventListener): () => void {
    // Copy-on-write: an emit in progress keeps iterating the list it started with.
    this.#listeners = [...this.#listeners, fn];
    return () => { this.#listeners = this.#listeners.filter((f) => f !== fn); };
  }

  emit(body: EventBody): DispatcherEvent {
    const event = { ...body, seq: ++this.#seq } as DispatcherEvent;
    for (const fn of this.#listeners) {
      try { fn(event); } catch (e) { this.onListenerError(e); }
    }
    return event;
  }
}
