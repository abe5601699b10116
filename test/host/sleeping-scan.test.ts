/**
 * A scan function waiting with its engine idle (the seed's `simulated` in its artificial "running"
 * state): the item is busy, so stop, abort and halt with `endWait` (what v2, HTTP and the library's
 * ops ask) end the wait, as stop_all does. Before, each answered "RunEngine is already idle" and
 * nothing but stop_all (or a shutdown) ended the scan: `simulated` with `duration: 1e9` held the
 * server, and a queue behind it, for 30 years. Without it (v1, as the Python dispatcher) the refusal stays.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { hw } from '../../src/devices/index.js';
import { Dispatcher, registerSimulated } from '../../src/dispatcher/index.js';
import { until } from '../helpers/wait.js';

for (const verb of ['stop', 'abort', 'halt'] as const) {
  it(`${verb} ends a scan function's wait while its engine is idle`, { timeout: 30_000 }, async () => {
    const d = new Dispatcher({ devices: hw().devices });
    registerSimulated(d);
    await d.open();
    const ended: Array<{ name: string; message: string }> = [];
    let countDone = false;
    const unlistenDocs = d.listenDocuments((name) => { if (name === 'stop') countDone = true; });
    let announced = '';
    const { unlisten } = d.listen((e) => {
      if (e.kind === 'exception') ended.push({ name: e.error.name, message: e.error.message });
      if (e.kind === 'state') announced = e.state;
    });
    try {
      const started = await d.startScan('simulated', { duration: 1e9 });
      assert.ok(started.ok);
      // Its count has ended (stop document): what runs now is the scan function's own wait.
      await until('the scan function is in its artificial running state', () => countDone && announced === 'running' && d.busy);
      const ask = (endWait: boolean) => verb === 'stop' ? d.requestStop({ endWait }) : verb === 'abort' ? d.requestAbort('sample moved', { endWait }) : d.requestHalt({ endWait });
      // As the Python dispatcher answers (v1 keeps it): the engine is idle.
      const asV1 = await ask(false);
      assert.equal(asV1.ok, false);
      assert.match(asV1.ok ? '' : asV1.reason === 'error' ? asV1.error.message : '', /already idle/);
      assert.equal(d.busy, true);
      // As v2, HTTP and the library's endWait ask: the wait ends.
      const outcome = await ask(true);
      assert.deepEqual(outcome, { ok: true });
      await until('the item ended', () => !d.busy, 10_000);
      assert.equal(announced, 'idle');
      assert.equal(ended[0]?.name, 'ScanInterrupted');
      assert.match(ended[0]?.message ?? '', new RegExp(`^${verb} requested while the scan function waited`));
      if (verb === 'abort') assert.match(ended[0]?.message ?? '', /sample moved/);
      // With the engine idle and no item, the verbs are refused as before.
      const again = await d.requestStop({ endWait: true });
      assert.equal(again.ok, false);
    } finally {
      unlisten();
      unlistenDocs();
      await d.shutdown();
    }
  });
}
