/** The RunStore contract against MemoryStore. @module */
import { MemoryStore } from '../../src/store/index.js';
import { runContract } from './contract.js';

runContract('MemoryStore', { open: () => new MemoryStore(), cleanup: () => {} });
