/**
 * The one entry point servers and CLIs use: a data directory gives a
 * SqliteStore; no directory gives a MemoryStore (an explicit choice, never a fallback).
 * @module
 */
import type { BaseStore } from './base.js';
import { MemoryStore } from './memory.js';
import { SqliteStore, type SqliteStoreOptions } from './sqlite.js';

export const DEFAULT_DATA_DIR = './bluesky-data';

/** `dir` null → MemoryStore; otherwise SqliteStore.open(dir) (which throws StoreError rather than fall back). */
export function openStore(dir: string | null, options: SqliteStoreOptions = {}): BaseStore {
  return dir === null ? new MemoryStore(options) : SqliteStore.open(dir, options);
}
