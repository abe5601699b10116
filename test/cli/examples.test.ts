/** The README's plan example runs, pauses at the peak, and resumes to the end. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RunEngine } from '../../src/engine/index.js';
import { hw } from '../../src/devices/index.js';
import { RunEngineInterrupted } from '../../src/model/errors.js';
import { myScan } from '../../examples/my-scan.js';
import { DocCollector } from '../helpers/collect.js';

test('examples/my-scan.ts: pauses when det1 exceeds the threshold, resumes, 3 events', async () => {
  const { det1, motor1 } = hw();
  const re = new RunEngine();
  const docs = new DocCollector();
  re.subscribe(docs.callback);
  await assert.rejects(re.run(myScan(det1, motor1, [-1, 0, 1])), RunEngineInterrupted);
  assert.equal(re.state, 'paused');
  await re.resume();
  assert.deepEqual(docs.invalid, []);
  const start = docs.of('start')[0] as Record<string, unknown>;
  assert.equal(start.plan_name, 'my_scan');
  assert.equal((docs.of('stop')[0] as { num_events: Record<string, number> }).num_events.primary, 3);
});
