/** Interruptions in words, from the exception's type and the engine's state (never bluesky's prompt text). @module */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { PAUSED_TEXT, interruptionText } from '../../src/web/interruption.js';

it('a pause: the way out, in words', () => {
  assert.equal(PAUSED_TEXT, 'paused at a checkpoint — resume, stop, abort or halt');
  assert.equal(interruptionText('RunEngineInterrupted', 'paused', null), PAUSED_TEXT);
  assert.equal(interruptionText('RunEngineInterrupted', 'pausing', null), PAUSED_TEXT);
});

it('stop, abort and halt, reported as RunEngineInterrupted once idle: named by the state the engine left', () => {
  assert.equal(interruptionText('RunEngineInterrupted', 'idle', 'stopping'), 'stopped by request');
  assert.equal(interruptionText('RunEngineInterrupted', 'idle', 'aborting', 'sample drifted'), 'aborted by request: sample drifted');
  assert.equal(interruptionText('RunEngineInterrupted', 'idle', 'halting'), 'halted by request');
  assert.equal(interruptionText('RunEngineInterrupted', 'idle', null), 'interrupted by request');
});

it('the control exceptions by their own type; anything else is a failure (null: show its message)', () => {
  assert.equal(interruptionText('RequestStop', 'stopping', null), 'stopped by request');
  assert.equal(interruptionText('RequestAbort', 'aborting', null), 'aborted by request');
  assert.equal(interruptionText('PlanHalt', 'halting', null), 'halted by request');
  assert.equal(interruptionText('FailedStatus', 'idle', 'running'), null);
});
