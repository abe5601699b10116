/**
 * Which scheduler serves a dispatcher. The operation handlers receive the
 * Dispatcher; the queue is found from it here, so the protocol adapters (v1,
 * v2, HTTP) that build the operations' context need no change for the queue.
 * @module
 */
import type { Dispatcher } from '../dispatcher/index.js';
import type { QueueScheduler } from './scheduler.js';

const SCHEDULERS = new WeakMap<Dispatcher, QueueScheduler>();

/** Make `scheduler` the queue of its dispatcher (the server does, at construction). */
export function attachQueue(scheduler: QueueScheduler): void { SCHEDULERS.set(scheduler.dispatcher, scheduler); }
export function detachQueue(scheduler: QueueScheduler): void {
  if (SCHEDULERS.get(scheduler.dispatcher) === scheduler) SCHEDULERS.delete(scheduler.dispatcher);
}
/** The queue of `dispatcher`, or undefined (a dispatcher used as a library, without a server). */
export function queueOf(dispatcher: Dispatcher): QueueScheduler | undefined { return SCHEDULERS.get(dispatcher); }
