/** The RunStore contract against SqliteStore, each store in its own temp directory. @module */
import { SqliteStore } from '../../src/store/index.js';
import { runContract } from './contract.js';
import { TempDirs } from './tmp.js';

const dirs = new TempDirs();
runContract('SqliteStore', { open: () => SqliteStore.open(dirs.make()), cleanup: () => { dirs.cleanup(); } });
