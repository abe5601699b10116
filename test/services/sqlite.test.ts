/** The queue, key, audit and lock contracts (contracts.ts) against SQLite, each store in the data directory's database file of its own temp directory. @module */
import { join } from 'node:path';
import { SqliteAuditLog } from '../../src/audit/index.js';
import { SqliteKeyStore } from '../../src/auth/index.js';
import { SqliteLockStore } from '../../src/lock/index.js';
import { SqliteQueueStore } from '../../src/queue/index.js';
import { DB_FILE } from '../../src/store/index.js';
import { TempDirs } from '../store/tmp.js';
import { type Target, runAuditContract, runKeyStoreContract, runLockContract, runQueueStoreContract } from './contracts.js';

const dirs = new TempDirs();
function target<S>(open: (dir: string) => S): Target<S> {
  let last = '';
  return {
    open: async () => open(last = dirs.make()),
    reopen: async () => open(last),
    cleanup: async () => { dirs.cleanup(); },
  };
}

runQueueStoreContract('SQLite', target((dir) => SqliteQueueStore.open(dir)));
runKeyStoreContract('SQLite', target((dir) => SqliteKeyStore.open(dir)));
runAuditContract('SQLite', target((dir) => new SqliteAuditLog(join(dir, DB_FILE))));
runLockContract('SQLite', target((dir) => new SqliteLockStore(join(dir, DB_FILE))));
