/** The panel's enabled buttons agree with the engine's transition table. @module */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { type RunEngineState, STATES, canTransition } from '../../src/engine/state.js';
import { ACTIONS, TARGET, isLegal } from '../../src/web/actions.js';

it('a control button is enabled exactly where the engine can make its transition', () => {
  for (const state of STATES) {
    for (const action of ACTIONS) {
      if (action === 'start') continue;
      const engine = action === 'resume' ? state === 'paused' : action === 'stop' ? canTransition(state, 'stopping') : canTransition(state, TARGET[action] as RunEngineState);
      assert.equal(isLegal(action, state, state !== 'idle'), engine, `${action} in ${state}`);
    }
  }
});

it('start only when idle and not busy (the dispatcher refuses a start while a scan is in progress or paused)', () => {
  assert.equal(isLegal('start', 'idle', false), true);
  assert.equal(isLegal('start', 'idle', true), false);
  for (const s of STATES.filter((x) => x !== 'idle')) assert.equal(isLegal('start', s, true), false, s);
});
