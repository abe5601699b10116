/**
 * The test IOC checked against EPICS's own client library: Debian's pyepics (libca)
 * reads, writes (with and without put-callback) and monitors every PV of
 * `bluesky-dispatcher sim-ioc`, and sees the right values, native types, counts, units,
 * precision, limits, enum strings and alarm severities. This is what makes the IOC a
 * trustworthy server for testing our own client.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildSimPvs } from '../../src/epics/index.js';
import { pyepicsSkip, python, startIocChild, type IocChild } from './helpers.js';

const SCRIPT = fileURLToPath(new URL('./pyepics_check.py', import.meta.url));
const skip = pyepicsSkip();

interface Seen {
  connected: boolean; type: string; count: number; write_access: boolean; value: unknown; as_string: string;
  units: string | null; precision: number | null; lower_ctrl_limit: number | null; upper_ctrl_limit: number | null;
  lower_disp_limit: number | null; upper_disp_limit: number | null; upper_alarm_limit: number | null; upper_warning_limit: number | null;
  enum_strs: string[] | null; severity: number; status: number; timestamp: number;
}
interface Step { ret: number; dt: number; read: Record<string, unknown> }
interface Report { pvs: Record<string, Seen>; steps: Step[]; monitors: Record<string, Array<[unknown, number]>> }

/** Every PV name the IOC serves, and what each should report (from the records themselves). */
const built = buildSimPvs('SIM:');
built.stop();
const NAMES = [...built.pvs.keys()];

const STEPS = [
  { put: 'SIM:m1', value: 2.0, wait: true, read: ['SIM:m1.RBV', 'SIM:m1.DMOV', 'SIM:m1.MOVN', 'SIM:det'] },
  { put: 'SIM:m1.VAL', value: -3, wait: false, read: ['SIM:m1.DMOV'] },
  { put: 'SIM:m1.VAL', value: 0, wait: true, read: ['SIM:m1.RBV', 'SIM:m1.DMOV', 'SIM:det'] },
  { put: 'SIM:ao1', value: 6, wait: false, read: ['SIM:ai1', 'SIM:ao1'] },
  { put: 'SIM:ao1', value: 9, wait: true, read: ['SIM:ai1'] },
  { put: 'SIM:ao1', value: -6, wait: true, read: ['SIM:ai1'] },
  { put: 'SIM:ao1', value: 0, wait: true, read: ['SIM:ai1'] },
  { put: 'SIM:bo1', value: 'On', wait: true, read: ['SIM:bo1'] },
  { put: 'SIM:str', value: 'world', wait: true, read: ['SIM:str'] },
  { put: 'SIM:wave', value: [1.5, 2.5, 3.5], wait: true, read: ['SIM:wave'] },
  { put: 'SIM:long1', value: -5, wait: true, read: ['SIM:long1'] },
  { put: 'SIM:short1', value: 3, wait: false, read: ['SIM:short1'] },
  { put: 'SIM:float1', value: 1.25, wait: true, read: ['SIM:float1'] },
  { put: 'SIM:char1', value: [65, 66, 67], wait: true, read: ['SIM:char1'] },
  { put: 'SIM:scaler1.CNT', value: 1, wait: true, read: ['SIM:scaler1.S1', 'SIM:scaler1.S2', 'SIM:scaler1.CNT'] },
  { put: 'SIM:m1', value: 1000, wait: true, read: ['SIM:m1', 'SIM:m1.RBV', 'SIM:m1.LVIO'] },
  { put: 'SIM:m2.VELO', value: 4, wait: true, read: ['SIM:m2.VELO'] },
];

describe('pyepics (EPICS libca) against the test IOC', { skip, timeout: 120_000 }, () => {
  let ioc: IocChild;
  let report: Report;
  before(async () => {
    ioc = await startIocChild();
    const py = python(SCRIPT, ioc.env, JSON.stringify({ pvs: NAMES, monitors: NAMES, steps: STEPS }));
    assert.equal(await py.code(), 0, `pyepics failed: ${py.err}`);
    report = JSON.parse(py.out.trim().split('\n').at(-1) ?? '{}') as Report;
  });
  after(async () => { await ioc?.stop(); });

  test('every PV connects with its native type, element count and access rights', () => {
    for (const [name, pv] of built.pvs) {
      const seen = report.pvs[name];
      assert.ok(seen?.connected, `${name} connected`);
      // pyepics names the type it used (time_double, time_enum, …) after the native type.
      assert.ok(seen.type.endsWith(pv.type === 'short' ? 'short' : pv.type), `${name}: type ${seen.type}, native ${pv.type}`);
      assert.equal(seen.count, pv.maxCount, `${name} count`);
      assert.equal(seen.write_access, pv.writable, `${name} write access`);
    }
  });

  test('every PV gives its value, units, precision, limits and enum strings', () => {
    for (const [name, pv] of built.pvs) {
      const seen = report.pvs[name] as Seen;
      const m = pv.meta;
      if (pv.type === 'string') assert.equal(seen.value, pv.value, name);
      else if (pv.maxCount > 1) assert.deepEqual(seen.value, pv.values.map((v) => (pv.type === 'double' ? v : Number(v))), name);
      else if (name !== 'SIM:fast') assert.ok(Math.abs(Number(seen.value) - Number(pv.value)) < 1e-6, `${name}: ${String(seen.value)} vs ${String(pv.value)}`);
      if (pv.type === 'enum') {
        assert.deepEqual(seen.enum_strs, m.enumStrings, `${name} enum strings`);
        assert.equal(seen.as_string, m.enumStrings?.[Number(pv.value)], `${name} as string`);
        continue;
      }
      if (pv.type === 'string') continue;
      assert.equal(seen.units, m.units ?? '', `${name} units`);
      if (pv.type === 'double' || pv.type === 'float') assert.equal(seen.precision, m.precision ?? 0, `${name} precision`);
      assert.equal(seen.lower_ctrl_limit, m.limits?.lowerCtrl ?? 0, `${name} lower ctrl limit`);
      assert.equal(seen.upper_ctrl_limit, m.limits?.upperCtrl ?? 0, `${name} upper ctrl limit`);
      assert.equal(seen.upper_disp_limit, m.limits?.upperDisp ?? 0, `${name} upper display limit`);
      assert.equal(seen.severity, 0, `${name} severity`);
      assert.ok(Math.abs(seen.timestamp - Date.now() / 1000) < 600, `${name} time stamp ${seen.timestamp}`);
    }
    // A few by hand, as a beamline scientist would look at them.
    const pvs = report.pvs;
    assert.deepEqual([pvs['SIM:m1']?.units, pvs['SIM:m1']?.precision, pvs['SIM:m1']?.lower_ctrl_limit, pvs['SIM:m1']?.upper_ctrl_limit], ['mm', 3, -100, 100]);
    assert.deepEqual(pvs['SIM:bo1']?.enum_strs, ['Off', 'On']);
    assert.deepEqual([pvs['SIM:ai1']?.upper_alarm_limit, pvs['SIM:ai1']?.upper_warning_limit], [8, 5]);
    assert.equal(pvs['SIM:char1']?.as_string, 'beamline');
    assert.equal((pvs['SIM:wave']?.value as number[]).length, 1024);
    assert.equal(pvs['SIM:det']?.value, 1);
  });

  test('caput with wait completes when the record has finished (a motor move takes time at VELO)', () => {
    const [move, noWait, back] = report.steps;
    assert.equal(move?.ret, 1);
    assert.ok((move?.dt ?? 0) >= 0.3, `a 2 mm move at 5 mm/s took ${move?.dt} s`);
    assert.deepEqual(move?.read['SIM:m1.RBV'], 2);
    assert.deepEqual([move?.read['SIM:m1.DMOV'], move?.read['SIM:m1.MOVN']], [1, 0]);
    assert.ok(Math.abs(Number(move?.read['SIM:det']) - Math.exp(-2)) < 1e-9);
    assert.ok((noWait?.dt ?? 1) < 0.5, `caput without wait returns at once, not after the 1 s move (${noWait?.dt} s)`);
    assert.equal(noWait?.read['SIM:m1.DMOV'], 0, 'still moving 0.2 s into a 1 s move');
    assert.deepEqual([back?.read['SIM:m1.RBV'], back?.read['SIM:m1.DMOV'], back?.read['SIM:det']], [0, 1, 1]);
  });

  test('caput of every type is read back (ao → ai with alarms, enum by name, string, arrays, scaler)', () => {
    const reads = report.steps.map((s) => s.read);
    assert.deepEqual([reads[3]?.['SIM:ai1'], reads[3]?.['SIM:ao1'], reads[4]?.['SIM:ai1'], reads[5]?.['SIM:ai1'], reads[6]?.['SIM:ai1']], [6, 6, 9, -6, 0]);
    assert.equal(reads[7]?.['SIM:bo1'], 1);
    assert.equal(reads[8]?.['SIM:str'], 'world');
    assert.deepEqual(reads[9]?.['SIM:wave'], [1.5, 2.5, 3.5]);
    assert.deepEqual([reads[10]?.['SIM:long1'], reads[11]?.['SIM:short1'], reads[12]?.['SIM:float1']], [-5, 3, 1.25]);
    assert.deepEqual(reads[13]?.['SIM:char1'], [65, 66, 67]);
    const scaler = report.steps[14];
    assert.ok((scaler?.dt ?? 0) >= 0.09, `counting for TP = 0.1 s took ${scaler?.dt} s`);
    assert.deepEqual([scaler?.read['SIM:scaler1.S1'], scaler?.read['SIM:scaler1.S2'], scaler?.read['SIM:scaler1.CNT']], [1_000_000, 1000, 0]);
    assert.deepEqual(reads[15], { 'SIM:m1': 0, 'SIM:m1.RBV': 0, 'SIM:m1.LVIO': 1 }, 'a setpoint beyond HLM is refused');
    assert.equal(reads[16]?.['SIM:m2.VELO'], 4);
    assert.ok(report.steps.every((s) => s.ret === 1), 'every caput returned 1');
  });

  test('every PV can be monitored; updates carry values and alarm severities', () => {
    for (const name of NAMES) assert.ok((report.monitors[name]?.length ?? 0) >= 1, `${name}: no monitor update`);
    const mon = report.monitors;
    const rbv = (mon['SIM:m1.RBV'] ?? []).map(([v]) => Number(v));
    assert.ok(rbv.length >= 5, `RBV updates during the moves: ${rbv.join(', ')}`);
    assert.ok(rbv.includes(2) && rbv.some((v) => v > 0 && v < 2), 'RBV passes through intermediate positions to 2');
    assert.deepEqual((mon['SIM:m1.DMOV'] ?? []).map(([v]) => v).slice(0, 3), [1, 0, 1]);
    assert.deepEqual(mon['SIM:ai1'], [[0, 0], [6, 1], [9, 2], [-6, 1], [0, 0]], 'ai1: value and severity (MINOR at HIGH/LOW, MAJOR at HIHI)');
    assert.deepEqual((mon['SIM:bo1'] ?? []).map(([v]) => v), [0, 1]);
    assert.deepEqual((mon['SIM:str'] ?? []).map(([v]) => v), ['hello', 'world']);
    assert.deepEqual((mon['SIM:scaler1.CNT'] ?? []).map(([v]) => v), [0, 1, 0]);
    const fast = (mon['SIM:fast'] ?? []).map(([v]) => Number(v));
    assert.ok(fast.length >= 5 && fast.every((v, i) => i === 0 || v > (fast[i - 1] as number)), `SIM:fast counts up: ${fast.slice(0, 8).join(', ')}…`);
  });
});
