/** The engine host contract against the worker host. @module */
import { testEngine } from '../helpers/engine.js';
import { runHostContract } from './contract.js';

runHostContract('worker thread', { make: () => testEngine('worker') });
