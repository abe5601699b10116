/** The RunStore contract against the memory backend. @module */
import { MemoryBackend } from '../../src/store/index.js';
import { runContract } from './contract.js';

runContract('MemoryStore', { openBackend: () => new MemoryBackend(), cleanup: () => {} });
