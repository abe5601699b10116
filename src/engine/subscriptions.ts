/**
 * Document fan-out (bluesky's `Dispatcher`, renamed: that word belongs to the
 * server). Integer tokens from 0; callbacks per document name in subscription
 * order; `ignoreCallbackExceptions` decides whether a throwing callback stops
 * the dispatch (and fails the plan) or only warns.
 * @module
 */
import { DOCUMENT_NAMES, type DocumentCallback, type DocumentName } from '../model/documents.js';
import { CodedError } from '../model/errors.js';

export type SubscriptionName = DocumentName | 'all';

export class UnknownDocumentName extends CodedError {
  constructor(name: string) {
    super('ENGINE_UNKNOWN_DOCUMENT_NAME', `'${name}' is not a document name; expected 'all' or one of ${DOCUMENT_NAMES.join(', ')}`);
  }
}

interface Registration { readonly token: number; readonly cb: DocumentCallback }

export class Subscriptions {
  #nextToken = 0;
  readonly #byName = new Map<DocumentName, Registration[]>(DOCUMENT_NAMES.map((n) => [n, []]));
  readonly #names = new Map<number, DocumentName[]>();
  ignoreCallbackExceptions = false;
  /** Called with the warning text when a callback error is ignored. */
  onWarning: (text: string, error: unknown) => void = () => {};

  /** @throws UnknownDocumentName for anything but 'all' and the twelve document names. */
  subscribe(cb: DocumentCallback, name: SubscriptionName = 'all'): number {
    if (typeof cb !== 'function') throw new TypeError(`subscribe expects a function (name, doc) => void, got ${typeof cb}`);
    const names = name === 'all' ? [...DOCUMENT_NAMES] : [name];
    if (name !== 'all' && !this.#byName.has(name)) throw new UnknownDocumentName(name);
    const token = this.#nextToken++;
    for (const n of names) this.#byName.get(n)?.push({ token, cb });
    this.#names.set(token, names);
    return token;
  }

  /** Remove every registration made by `token`; an unknown token is ignored (as in bluesky). */
  unsubscribe(token: number): void {
    const names = this.#names.get(token);
    if (names === undefined) return;
    for (const n of names) {
      const list = this.#byName.get(n);
      if (list === undefined) continue;
      const i = list.findIndex((r) => r.token === token);
      if (i >= 0) list.splice(i, 1);
    }
    this.#names.delete(token);
  }

  unsubscribeAll(): void {
    for (const token of [...this.#names.keys()]) this.unsubscribe(token);
  }

  get size(): number { return this.#names.size; }

  /** Deliver one document to its callbacks, synchronously and in order. */
  emit(name: DocumentName, doc: object): void {
    const list = this.#byName.get(name);
    if (list === undefined || list.length === 0) return;
    // Iterate a snapshot: a callback may (un)subscribe while we deliver.
    for (const { cb } of list.length === 1 ? list : [...list]) {
      if (!this.ignoreCallbackExceptions) {
        (cb as (n: DocumentName, d: object) => void)(name, doc);
        continue;
      }
      try {
        (cb as (n: DocumentName, d: object) => void)(name, doc);
      } catch (e) {
        this.onWarning(`A ${errorName(e)} was raised during the processing of a ${name} Document. The error will be ignored to avoid interrupting data collection. To investigate, set RunEngine.ignoreCallbackExceptions = false and run again.`, e);
      }
    }
  }
}

function errorName(e: unknown): string {
  return e instanceof Error ? `${e.name}(${JSON.stringify(e.message)})` : String(e);
}
