/**
 * Issue 15, "validation before anything is emitted": metadata that would make
 * an invalid start document and devices in the wrong role are refused by
 * validate/start; a refused start emits nothing and uses up no scan id; the
 * engine never emits a stop document without its start; user plans' errors
 * name the value and type received, with the built-in plans' JSON-pointer paths.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hw } from '../../src/devices/index.js';
import { Dispatcher, type InProcessHost, registerStandardPlans } from '../../src/dispatcher/index.js';
import { RunEngine } from '../../src/engine/index.js';
import type { Readable } from '../../src/model/index.js';
import { count, scan, validatePlanParams } from '../../src/plans/index.js';

function dispatcher(): { d: Dispatcher; docs: string[] } {
  const d = new Dispatcher({ devices: hw().devices });
  registerStandardPlans(d);
  const docs: string[] = [];
  d.subscribeCallback((name) => { docs.push(name); });
  return { d, docs };
}

describe('start metadata', () => {
  it('{"scan_id":"x"} as start md: refused by check and start, nothing emitted, no scan id used', async () => {
    const { d, docs } = dispatcher();
    const params = { detectors: ['det'], num: 1 };
    const checked = await d.checkScan('count', params, { scan_id: 'x' });
    assert.equal(checked.ok, false);
    assert.ok(!checked.ok && checked.reason === 'invalid');
    assert.deepEqual(checked.errors.map((e) => e.path), ['/md/scan_id']);
    assert.match(checked.errors[0]?.message ?? '', /parameter "md\.scan_id" would make an invalid start document: must be integer, got "x" \(string\)/);
    assert.equal((await d.startScan('count', params, { scan_id: 'x' })).ok, false);
    assert.equal(d.busy, false);
    assert.deepEqual(docs, []);
    assert.equal((d.engineHost as InProcessHost).engine.md.scan_id, undefined);
    // The next good start is scan 1.
    assert.equal((await d.startScan('count', params, { operator: 'ada' })).ok, true);
    await d.whenIdle();
    assert.equal((d.engineHost as InProcessHost).engine.md.scan_id, 1);
    assert.deepEqual(docs, ['start', 'descriptor', 'event', 'stop']);
  });

  it('md as a standard plan parameter, uid/time, keys with dots and non-finite numbers are refused', async () => {
    const devs = hw().devices;
    assert.deepEqual(validatePlanParams('count', { detectors: ['det'], md: { scan_id: 'x' } }, devs).map((e) => e.path), ['/md/scan_id']);
    assert.deepEqual(validatePlanParams('count', { detectors: ['det'], md: { uid: 'mine' } }, devs).map((e) => e.path), ['/md/uid']);
    assert.deepEqual(validatePlanParams('count', { detectors: ['det'], md: { 'a.b': 1 } }, devs).map((e) => e.path), ['/md/a.b']);
    assert.deepEqual(validatePlanParams('count', { detectors: ['det'], md: { sample: 'x', scan_id: 3 } }, devs), []);
    const { d } = dispatcher();
    const bad = await d.checkScan('count', { detectors: ['det'] }, JSON.parse('{"x":1e999}') as unknown);
    assert.ok(!bad.ok && bad.reason === 'invalid' && bad.errors[0]?.path === '/md/x');
  });

  it('the engine: a start document that fails validation, or that JSON cannot encode, leaves no stop behind and uses up no scan id', async () => {
    const { det } = hw();
    const re = new RunEngine();
    const docs: string[] = [];
    re.subscribe((name) => { docs.push(name); });
    await assert.rejects(re.run(count([det]), null, { scan_id: 'x' }), (e: unknown) => (e as { code?: string }).code === 'ENGINE_DOCUMENT_INVALID');
    await assert.rejects(re.run(count([det]), null, { uid: 'mine' }), (e: unknown) => (e as { code?: string }).code === 'ENGINE_DOCUMENT_INVALID');
    // Metadata JSON cannot encode (every document is stored and streamed as JSON), named by its path.
    const unencodable = (path: string, cause: RegExp) => (e: unknown): boolean => {
      const err = e as { code?: string; message?: string; details?: Array<{ path: string }> };
      assert.equal(err.code, 'ENGINE_DOCUMENT_INVALID');
      assert.match(err.message ?? '', cause);
      assert.deepEqual(err.details?.map((d) => d.path), [path]);
      return true;
    };
    await assert.rejects(re.run(count([det]), null, { sample: { dose: 10n } }), unencodable('/sample/dose', /cannot be encoded as JSON \(Do not know how to serialize a BigInt\)/));
    await assert.rejects(re.run(count([det]), null, { note: { toJSON: () => { throw new Error('no text for this'); } } }), unencodable('/note', /no text for this/));
    const loop: Record<string, unknown> = { name: 'loop' };
    loop.self = loop;
    // Metadata that contains itself is refused where it is copied, naming where (it overflowed the stack).
    await assert.rejects(re.run(count([det]), null, { cfg: loop }), (e: unknown) => {
      assert.equal((e as { code?: string }).code, 'ENGINE_METADATA_INVALID');
      assert.match((e as Error).message, /metadata may not contain itself: \/cfg\/self refers back/);
      return true;
    });
    assert.deepEqual(docs, []);
    assert.equal(re.md.scan_id, undefined);
    assert.equal(re.state, 'idle');
    await re.run(count([det]));
    assert.deepEqual(docs, ['start', 'descriptor', 'event', 'stop']);
    assert.equal(re.md.scan_id, 1);
  });
});

describe('device roles', () => {
  it('a standard plan: {"motor": "det"} in scan args and log_scan is refused (det cannot be moved)', async () => {
    const devs = hw().devices;
    const [e] = validatePlanParams('log_scan', { detectors: ['det'], motor: 'det', start: 0, stop: 1, num: 2 }, devs);
    assert.equal(e?.path, '/motor');
    assert.match(e?.message ?? '', /parameter "motor": device "det" cannot be moved/);
    assert.equal(validatePlanParams('scan', { detectors: ['det'], args: ['det', 0, 1], num: 2 }, devs)[0]?.path, '/args/0');
  });

  it('a user plan with x-device: movable refuses {"motor": "det"} before starting', async () => {
    const d = new Dispatcher({ devices: hw().devices });
    d.addPlan('sweep', (p, devs) => scan([devs.get('det') as Readable], [devs.get(String(p.motor)), -1, 1], { num: 3 }), {
      type: 'object',
      properties: { motor: { type: 'string', 'x-device': 'movable' }, detectors: { type: 'array', items: { type: 'string', 'x-device': 'readable' } } },
      required: ['motor'],
    });
    const out = await d.checkScan('sweep', { motor: 'det', detectors: ['det', 'motor', 'dte'] });
    assert.ok(!out.ok && out.reason === 'invalid');
    assert.deepEqual(out.errors.map((e) => e.path), ['/motor', '/detectors/2']);
    assert.match(out.errors[0]?.message ?? '', /device "det" cannot be moved/);
    assert.match(out.errors[1]?.message ?? '', /parameter "detectors\[2\]": unknown device "dte" \(did you mean "det"\?\)/);
    assert.equal((await d.startScan('sweep', { motor: 'det' })).ok, false);
    assert.equal(d.busy, false);
  });
});

describe("user plans' errors", () => {
  it('show the value and type received, with JSON-pointer paths', async () => {
    const d = new Dispatcher({ devices: hw().devices });
    d.addScan('wait', () => undefined, {
      type: 'object',
      properties: { seconds: { type: 'number', minimum: 0 }, tags: { type: 'array', items: { type: 'string' } }, mode: { enum: ['a', 'b'] } },
    });
    const out = await d.checkScan('wait', { seconds: 'five', tags: ['x', 3], mode: 'c', secnds: 1 });
    assert.ok(!out.ok && out.reason === 'invalid');
    const byPath = Object.fromEntries(out.errors.map((e) => [e.path, e]));
    assert.deepEqual(Object.keys(byPath).sort(), ['/mode', '/secnds', '/seconds', '/tags/1']);
    assert.equal(byPath['/seconds']?.message, 'parameter "seconds" must be a number >= 0, got "five" (string)');
    assert.equal(byPath['/seconds']?.got, '"five" (string)');
    assert.equal(byPath['/tags/1']?.message, 'parameter "tags[1]" must be a string, got 3 (number)');
    assert.match(byPath['/mode']?.message ?? '', /must be one of: "a", "b", got "c" \(string\)/);
    assert.match(byPath['/secnds']?.message ?? '', /unknown parameter "secnds" \(did you mean "seconds"\?\)/);
    for (const e of out.errors) assert.doesNotMatch(`${e.message} ${e.got ?? ''}`, /undefined/);
    const neg = await d.checkScan('wait', { seconds: -1 });
    assert.ok(!neg.ok && neg.reason === 'invalid' && neg.errors[0]?.message === 'parameter "seconds" must be at least 0, got -1 (number)');
  });
});
