/**
 * The worker's warm-up (serve's default): it yields to the first plan at once
 * and nothing of it leaves the thread — no document, no state, no scan id.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createEngineHost } from '../../src/host/index.js';
import { EventLog } from './contract.js';

test('a plan started while the worker warms up runs alone: only its own events, scan_id 1', { timeout: 60_000 }, async () => {
  const host = createEngineHost({ kind: 'worker', simulatedDevices: true, standardPlans: true, warmUp: true });
  try {
    const log = new EventLog(host);
    await host.open();
    // At once: the warm-up has just begun (a check does not stop it; the start does).
    assert.equal((await host.validate('count', { detectors: ['det'] })).ok, true);
    const r = await host.start({ itemId: 'i1', name: 'count', params: { detectors: ['det'], num: 3 }, md: {} });
    assert.ok(r.ok);
    await log.ended('i1');
    const docs = log.docs();
    assert.deepEqual(docs.map((d) => d.name), ['start', 'descriptor', 'event', 'event', 'event', 'stop']);
    assert.equal(docs[0]?.doc.scan_id, 1);
    assert.equal(docs.at(-1)?.doc.exit_status, 'success');
    assert.ok(log.events.every((e) => e.kind !== 'document' || e.doc.run_start === undefined || e.doc.run_start === docs[0]?.doc.uid), 'no document of the warm-up');
    // Later runs go on from there, as without a warm-up.
    assert.ok((await host.start({ itemId: 'i2', name: 'count', params: { detectors: ['det'], num: 1 }, md: {} })).ok);
    await log.ended('i2');
    assert.deepEqual(log.docs().filter((d) => d.name === 'start').map((d) => d.doc.scan_id), [1, 2]);
  } finally {
    await host.shutdown('test over');
    await host.close();
  }
});
