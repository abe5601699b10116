/** The PostgreSQL run store: several servers (instances) in one database. Loaded only when `--store postgres://…` is given. @module */
import { BaseStore, type StoreOptions } from '../base.js';
import { PostgresBackend, type PostgresBackendOptions } from './backend.js';

export { PostgresBackend } from './backend.js';
export type { PostgresBackendOptions } from './backend.js';
export { MIGRATIONS, SCHEMA_VERSION, migrate } from './migrations.js';
export { parsePgUrl } from './url.js';

/**
 * Connect, create or migrate the schema, and open the store of `instance`.
 * @throws StoreError STORE_OPEN_FAILED, STORE_SCHEMA_MISMATCH
 */
export async function openPostgresStore(url: string, options: PostgresBackendOptions & StoreOptions): Promise<BaseStore> {
  const backend = await PostgresBackend.open(url, options);
  try {
    return await BaseStore.over(backend, options);
  } catch (e) {
    await backend.close();
    throw e;
  }
}
