/** The RunStore contract against the SQLite backend, each store in its own temp directory. @module */
import { openSqliteBackend } from '../../src/store/index.js';
import { runContract } from './contract.js';
import { TempDirs } from './tmp.js';

const dirs = new TempDirs();
let last = '';
runContract('SqliteStore', {
  openBackend: () => openSqliteBackend(last = dirs.make()),
  reopenBackend: () => openSqliteBackend(last),
  cleanup: () => { dirs.cleanup(); },
});
