/**
 * The listeners of a host's event stream, shared by both hosts. Copy-on-write:
 * a listener that adds or removes listeners while an event is delivered does
 * not change who receives that event.
 * @module
 */
import type { HostEvent, HostEventListener } from './types.js';

export class HostListeners {
  #list: HostEventListener[] = [];

  /** Add `listener`; returns its removal. */
  add(listener: HostEventListener): () => void {
    this.#list = [...this.#list, listener];
    return () => { this.#list = this.#list.filter((l) => l !== listener); };
  }

  /** Give `event` to every listener, in the order they were added. */
  deliver(event: HostEvent): void {
    for (const l of this.#list) l(event);
  }
}
