/** A promise with its resolve/reject exposed (run permits, caller blocking). @module */
export class Deferred<T> {
  readonly promise: Promise<T>;
  resolve!: (value: T) => void;
  reject!: (error: unknown) => void;
  settled = false;
  constructor() {
    this.promise = new Promise<T>((resolve, reject) => {
      this.resolve = (v) => { this.settled = true; resolve(v); };
      this.reject = (e) => { this.settled = true; reject(e); };
    });
  }
}

export function isPromiseLike(x: unknown): x is PromiseLike<unknown> {
  return typeof x === 'object' && x !== null && typeof (x as PromiseLike<unknown>).then === 'function';
}
