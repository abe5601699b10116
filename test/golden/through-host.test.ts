/**
 * The golden comparisons again, with the standard plans started by name through
 * the dispatcher on the worker host, as `serve` runs them: the seam must not
 * change a document (only `plans_sha256` is added to the start).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Dispatcher } from '../../src/dispatcher/index.js';
import { createEngineHost } from '../../src/host/index.js';
import { DocCollector } from '../helpers/collect.js';
import { assertMatchesRecording } from '../helpers/golden.js';

const CASES: Array<{ name: string; params: Record<string, unknown> }> = [
  { name: 'count', params: { detectors: ['det1', 'det2'], num: 3 } },
  { name: 'scan', params: { detectors: ['det'], args: ['motor', -1, 1], num: 5 } },
  { name: 'list_scan', params: { detectors: ['det'], args: ['motor', [0.0, 0.5, -0.25, 2.0]] } },
  { name: 'grid_scan', params: { detectors: ['det4'], args: ['motor1', -1, 1, 3, 'motor2', -2, 2, 4], snake_axes: true } },
];

let d: Dispatcher;
before(async () => {
  d = new Dispatcher({ engine: createEngineHost({ kind: 'worker', simulatedDevices: true, standardPlans: true }) });
  await d.open();
});
after(async () => { await d.stop('test over'); });

for (const c of CASES) {
  test(`${c.name} through the worker host: documents match the recording`, async () => {
    const docs = new DocCollector();
    const token = d.subscribeCallback(docs.callback);
    try {
      const started = await d.startScan(c.name, c.params);
      assert.ok(started.ok, JSON.stringify(started));
      await d.whenIdle();
    } finally { d.unsubscribeCallback(token); }
    assert.deepEqual(docs.invalid, []);
    // One dispatcher runs every case, so scan_id counts on; each recording was a fresh engine's scan 1.
    const fresh = docs.docs.map((x) => (x.name === 'start' ? { ...x, doc: { ...x.doc, scan_id: 1 } } : x));
    assertMatchesRecording(c.name, fresh, ['plans_sha256']);
  });
}
