/**
 * Where keys live: the `KeyStore` contract (asynchronous, so a network
 * database such as PostgreSQL can implement it) and the in-memory store for
 * tests and embedding. The SQLite store is in sqlite-key-store.ts.
 * @module
 */
import type { Scope } from '../ops/index.js';
import { type KeyRecord, issueKey, nameTaken } from './keys.js';

export interface KeyStore {
  /** A new key named `name` (unique among the keys not revoked); the secret is returned once and never stored. */
  create(name: string, scopes: readonly Scope[]): Promise<{ key: string; record: KeyRecord }>;
  /** Every key, revoked ones included, by name. */
  list(): Promise<KeyRecord[]>;
  /** Revoke the active key `name`; false if there is none. */
  revoke(name: string): Promise<boolean>;
  /** The active key whose SHA-256 is `hash`, or undefined. Marks it used (at most once a minute). */
  find(hash: string): Promise<KeyRecord | undefined>;
  close(): Promise<void>;
}

interface Row { record: KeyRecord; hash: string }

export class MemoryKeyStore implements KeyStore {
  readonly #rows: Row[] = [];

  async create(name: string, scopes: readonly Scope[]): Promise<{ key: string; record: KeyRecord }> {
    if (this.#rows.some((r) => r.record.name === name && r.record.revoked === null)) throw nameTaken(name);
    const made = issueKey(name, scopes);
    this.#rows.push({ record: made.record, hash: made.hash });
    return { key: made.key, record: made.record };
  }

  async list(): Promise<KeyRecord[]> { return this.#rows.map((r) => r.record); }

  async revoke(name: string): Promise<boolean> {
    const i = this.#rows.findIndex((r) => r.record.name === name && r.record.revoked === null);
    const row = this.#rows[i];
    if (row === undefined) return false;
    this.#rows[i] = { ...row, record: { ...row.record, revoked: Date.now() / 1000 } };
    return true;
  }

  async find(hash: string): Promise<KeyRecord | undefined> {
    return this.#rows.find((r) => r.hash === hash && r.record.revoked === null)?.record;
  }

  async close(): Promise<void> { /* nothing held */ }
}
