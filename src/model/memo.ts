/**
 * A value computed from an object, kept on the object itself under a symbol,
 * non-enumerable: JSON, structuredClone and deepEqual see only the object's own
 * data. Used for encodings of events (their JSON) that several readers want.
 * Not a WeakMap: with the v2 ring's 100,000 live events, each growth of a
 * WeakMap's table rehashed all of them on the server's thread (138 ms for one
 * append in the stall bench).
 * @module
 */

/** The value kept on `obj` under `key`, if any. */
export function memoOf<T>(obj: object, key: symbol): T | undefined {
  return (obj as Record<symbol, T | undefined>)[key];
}

/** The value kept on `obj` under `key`, which `obj` then lets go (for a memo only its first reader needs). */
export function takeMemo<T>(obj: object, key: symbol): T | undefined {
  const value = memoOf<T>(obj, key);
  // A plain store: the property exists and is writable (keepMemo made it), so no defineProperty again.
  if (value !== undefined) (obj as Record<symbol, T | undefined>)[key] = undefined;
  return value;
}

/** Keep `value` on `obj` under `key` (a frozen object keeps nothing: readers compute it again). */
export function keepMemo(obj: object, key: symbol, value: unknown): void {
  if (Object.isExtensible(obj)) Object.defineProperty(obj, key, { value, writable: true, configurable: true });
}

/**
 * A document's JSON, when it was encoded where the document was made: the
 * engine's thread encodes each document it hands over, so the server's
 * thread, which stores and frames it, does not encode it again (the store
 * takes it with {@link takeMemo}).
 */
export const DOCUMENT_JSON: unique symbol = Symbol('document JSON');
