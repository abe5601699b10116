/**
 * Golden checks of the simulated devices against the Python reference recordings
 * (test/fixtures/python-reference/docs): describe/configuration shapes, reprs, values.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { hw } from './index.js';
import type { SimHardware } from './index.js';

const DOCS = new URL('../../test/fixtures/python-reference/docs/', import.meta.url);

type Doc = Record<string, unknown>;

function documents(plan: string): Array<[string, Doc]> {
  return readFileSync(new URL(`${plan}.jsonl`, DOCS), 'utf8').split('\n').filter(Boolean)
    .map((line) => JSON.parse(line) as [string, Doc]);
}

function descriptor(plan: string): Doc {
  const found = documents(plan).find(([name]) => name === 'descriptor');
  assert.ok(found, `${plan} has a descriptor`);
  return found[1];
}

const stripTimestamps = (cfg: Doc): Doc => ({ data: cfg['data'], data_keys: cfg['data_keys'] });

/** What bluesky puts in a descriptor for one device (data_keys with object_name, configuration). */
function deviceEntry(h: SimHardware, name: string): { dataKeys: Doc; config: Doc } {
  const dev = h.devices.get(name) as unknown as {
    describe(): Doc; readConfiguration(): Record<string, { value: unknown }>; describeConfiguration(): Doc;
  };
  const dataKeys: Doc = {};
  for (const [k, v] of Object.entries(dev.describe())) dataKeys[k] = { ...(v as Doc), object_name: name };
  const data: Doc = {};
  for (const [k, r] of Object.entries(dev.readConfiguration())) data[k] = r.value;
  return { dataKeys, config: { data, data_keys: dev.describeConfiguration() } };
}

for (const [plan, names] of [
  ['count', ['det1', 'det2']],
  ['scan', ['det', 'motor']],
  ['grid_scan', ['det4', 'motor1', 'motor2']],
] as const) {
  test(`describe() and configuration match the ${plan} descriptor`, () => {
    const desc = descriptor(plan);
    const h = hw({ exactExp: true });
    const expectedKeys = desc['data_keys'] as Record<string, Doc>;
    const configuration = desc['configuration'] as Record<string, Doc>;
    const hints = desc['hints'] as Record<string, unknown>;
    for (const name of names) {
      const { dataKeys, config } = deviceEntry(h, name);
      for (const [k, v] of Object.entries(dataKeys)) assert.deepEqual(v, expectedKeys[k], `${plan} ${k}`);
      assert.deepEqual(Object.keys(dataKeys), (desc['object_keys'] as Record<string, string[]>)[name]);
      assert.deepEqual(config, stripTimestamps(configuration[name] ?? {}), `${plan} configuration of ${name}`);
      assert.deepEqual(Object.keys(config['data'] as Doc), Object.keys((configuration[name] ?? {})['data'] as Doc));
      assert.deepEqual((h.devices.get(name) as { hints?: unknown } | undefined)?.hints, hints[name]);
    }
  });
}

test('repr() matches the strings recorded in plan_args', () => {
  const recorded = new Set<string>();
  for (const plan of ['count', 'scan', 'grid_scan', 'list_scan', 'rel_scan']) {
    const text = readFileSync(new URL(`${plan}.msgs.jsonl`, DOCS), 'utf8');
    for (const m of text.matchAll(/"((?:SynAxis|SynGauss|Syn2DGauss)\(prefix=[^"]*\))"/g)) recorded.add(m[1] ?? '');
  }
  const h = hw({ exactExp: true });
  const ours = new Set(['motor', 'motor1', 'motor2', 'det', 'det1', 'det2', 'det4']
    .map((n) => (h.devices.get(n) as unknown as { repr(): string }).repr()));
  assert.deepEqual(ours, recorded);
  assert.equal(String(h.det1), h.det1.repr());
});

/** Replay every recorded event: put the motors where they were, trigger, compare values bit for bit. */
for (const plan of ['count', 'scan', 'rel_scan', 'list_scan', 'grid_scan']) {
  test(`detector values reproduce the ${plan} events exactly`, () => {
    const h = hw({ exactExp: true });
    let events = 0;
    for (const [name, doc] of documents(plan)) {
      if (name !== 'event') continue;
      const data = doc['data'] as Record<string, number>;
      for (const motor of [h.motor, h.motor1, h.motor2]) {
        const position = data[motor.name];
        if (position !== undefined) motor.set(position);
      }
      for (const det of [h.det, h.det1, h.det2, h.det4]) {
        if (!(det.name in data)) continue;
        det.trigger();
        assert.equal(det.read()[det.name]?.value, data[det.name], `${plan} event ${String(doc['seq_num'])} ${det.name}`);
        events += 1;
      }
    }
    assert.ok(events > 0);
  });
}
