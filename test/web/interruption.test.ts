/** Interruptions in words, from the engine's transitions (never bluesky's prompt text). @module */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { INTERRUPTIONS, PAUSED_TEXT, interruptionText } from '../../src/web/interruption.js';

it('a pause: the way out, in words', () => {
  assert.equal(PAUSED_TEXT, 'paused at a checkpoint — resume, stop, abort or halt');
  assert.equal(interruptionText('pausing', 'paused'), PAUSED_TEXT);
});

it('stop, abort and halt: named by the state the engine went idle from', () => {
  assert.equal(interruptionText('stopping', 'idle'), 'stopped by request');
  assert.equal(interruptionText('aborting', 'idle', 'sample drifted'), 'aborted by request: sample drifted');
  assert.equal(interruptionText('aborting', 'idle'), 'aborted by request');
  assert.equal(interruptionText('halting', 'idle'), 'halted by request');
});

it('other transitions are no interruption', () => {
  for (const [old, now] of [['running', 'idle'], ['idle', 'running'], ['paused', 'running'], [null, 'paused'], ['running', 'pausing']] as const) {
    assert.equal(interruptionText(old, now), null, `${String(old)} → ${now}`);
  }
});

it('the exceptions that mean an interruption, not a failure', () => {
  for (const t of ['RunEngineInterrupted', 'RequestStop', 'RequestAbort', 'PlanHalt']) assert.ok(INTERRUPTIONS.has(t));
  assert.ok(!INTERRUPTIONS.has('FailedStatus'));
});
