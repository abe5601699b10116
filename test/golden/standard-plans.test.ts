/**
 * Golden comparisons with the Python recordings: the message sequences of
 * count, scan, rel_scan, list_scan and grid_scan command for command (random
 * group ids aside), and their documents' structure and deterministic values.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RunEngine } from '../../src/engine/index.js';
import { hw } from '../../src/devices/index.js';
import { count, gridScan, listScan, relScan, scan } from '../../src/plans/index.js';
import type { Msg, Plan } from '../../src/model/msg.js';
import { msgRecord } from '../../src/cli/records.js';
import { DocCollector } from '../helpers/collect.js';
import { assertMatchesRecording } from '../helpers/golden.js';
import { normaliseIds, readJsonl } from '../helpers/reference.js';

type Hw = ReturnType<typeof hw>;
interface Case { name: string; plan: (d: Hw) => Plan; before?: (d: Hw) => void }

const CASES: Case[] = [
  { name: 'count', plan: (d) => count([d.det1, d.det2], { num: 3 }) },
  { name: 'scan', plan: (d) => scan([d.det], [d.motor, -1, 1], { num: 5 }) },
  { name: 'rel_scan', plan: (d) => relScan([d.det], [d.motor, -1, 1], { num: 5 }), before: (d) => { d.motor.set(1.0); } },
  { name: 'list_scan', plan: (d) => listScan([d.det], [d.motor, [0.0, 0.5, -0.25, 2.0]]) },
  { name: 'grid_scan', plan: (d) => gridScan([d.det4], [d.motor1, -1, 1, 3, d.motor2, -2, 2, 4], { snakeAxes: true }) },
];

async function record(c: Case): Promise<{ msgs: unknown[]; docs: DocCollector; states: Array<[string, string]> }> {
  const devices = hw();
  c.before?.(devices);
  const msgs: unknown[] = [];
  const states: Array<[string, string]> = [];
  const re = new RunEngine({ msgHook: (m: Msg) => msgs.push(msgRecord(m)), stateHook: (n, o) => states.push([n, o]) });
  const docs = new DocCollector();
  re.subscribe(docs.callback);
  await re.run(c.plan(devices));
  return { msgs, docs, states };
}

for (const c of CASES) {
  test(`${c.name}: message sequence matches the Python recording`, async () => {
    const { msgs } = await record(c);
    const expected = readJsonl(`python-reference/docs/${c.name}.msgs.jsonl`);
    assert.deepEqual(normaliseIds(msgs), normaliseIds(expected));
  });

  test(`${c.name}: documents match the recording in structure and deterministic values`, async () => {
    const { docs, states } = await record(c);
    assert.deepEqual(docs.invalid, []);
    assertMatchesRecording(c.name, docs.docs);
    const wantStates = readJsonl<{ new_state: string; old_state: string }>(`python-reference/docs/${c.name}.states.jsonl`);
    assert.deepEqual(states, wantStates.map((s) => [s.new_state, s.old_state]));
  });
}
