/** The engine host contract against the in-process host. @module */
import { testEngine } from '../helpers/engine.js';
import { runHostContract } from './contract.js';

runHostContract('in process', { make: () => testEngine('inprocess') });
