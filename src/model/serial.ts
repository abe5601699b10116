/**
 * One step at a time: async work that must not interleave (a store's writes,
 * the control lock's changes, the queue's changes) runs in the order it was
 * asked, each step after the one before has settled.
 * @module
 */

const settle = (): void => undefined;

export class Serial {
  /** Settles when the last step asked so far has; never rejects, so one failed step does not stop the ones after it. */
  #tail: Promise<void> = Promise.resolve();

  /** Run `fn` after every step asked before it has settled; the returned promise is `fn`'s own outcome, rejection included. */
  run<T>(fn: () => Promise<T> | T): Promise<T> {
    const step = this.#tail.then(fn);
    this.#tail = step.then(settle, settle);
    return step;
  }

  /** Resolves (never rejects) once every step asked so far has settled. */
  settled(): Promise<void> { return this.#tail; }
}
