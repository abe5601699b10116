/**
 * Reload and provenance over protocol v2, on the worker host: `plans_sha256` in
 * every start document; `reload` picks up edited plans (busy while a plan runs);
 * a plans module that no longer loads is `load_failed` and the old plans stay.
 * @module
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { createEngineHost } from '../../src/host/index.js';
import type { Event } from '../../src/protocol/v2/types.js';
import { createDispatcher, createLogger, serverOf } from '../../src/server/index.js';
import { V2Conn } from '../protocol-v2/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'bluesky-reload-'));
after(() => { rmSync(dir, { recursive: true, force: true }); });

const PLANS = (name: string, num: number): string => `import { count } from 'bluesky-dispatcher/plans';
export function register(d) {
  d.addPlan(${JSON.stringify(name)}, () => count([d.devices.get('det')], { num: ${String(num)}, delay: 0.05 }), { type: 'object', properties: {} });
}
`;

it('start documents carry plans_sha256; reload swaps the code when idle, refuses while busy, keeps the old code when the new fails', { timeout: 60_000 }, async () => {
  const file = join(dir, 'beamline.mjs');
  writeFileSync(file, PLANS('sweep', 3));
  const sha = (): string => createHash('sha256').update(PLANS('sweep', 3)).digest('hex');
  const d = createDispatcher({
    engine: createEngineHost({ kind: 'worker', simulatedDevices: true, plans: [file] }),
    server: { port: 0, logger: createLogger({ level: 'silent' }) },
  });
  await d.start();
  const c = await V2Conn.connect(`${serverOf(d)?.url ?? ''}v2`);
  try {
    await c.ok('subscribe', { topics: ['document', 'state'] });
    await c.ok('start', { plan: 'sweep' });
    const busy = await c.request('reload');
    assert.ok(!busy.ok && busy.error.code === 'busy', JSON.stringify(busy));
    const stopAt = await c.waitEvent((e) => e.topic === 'document' && (e.data as { name: string }).name === 'stop');
    const start = c.events.slice(0, stopAt).find((e: Event) => e.topic === 'document' && (e.data as { name: string }).name === 'start');
    assert.equal((start?.data as { doc: { plans_sha256?: string } }).doc.plans_sha256, sha());
    await d.whenIdle();

    writeFileSync(file, PLANS('wide_sweep', 2));
    const r = await c.ok<{ plans: string[]; plans_sha256: string; modules: string[] }>('reload');
    assert.deepEqual(r.plans, ['wide_sweep']);
    assert.equal(r.plans_sha256, createHash('sha256').update(PLANS('wide_sweep', 2)).digest('hex'));
    assert.deepEqual(r.modules, [file]);
    assert.deepEqual(d.scanNames, ['wide_sweep']);

    writeFileSync(file, 'export function register() { throw new Error("half-edited file"); }\n');
    const bad = await c.request('reload');
    assert.ok(!bad.ok && bad.error.code === 'load_failed' && /half-edited file/.test(bad.error.message), JSON.stringify(bad));
    const from = c.events.length;
    await c.ok('start', { plan: 'wide_sweep' });
    const end = await c.waitEvent((e) => e.topic === 'document' && (e.data as { name: string }).name === 'stop', from);
    assert.equal((c.events[end]?.data as unknown as { doc: { exit_status: string } }).doc.exit_status, 'success');
  } finally {
    await c.close();
    await d.stop('test over');
  }
});
