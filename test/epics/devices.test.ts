/**
 * The EPICS devices on the test IOC, alone and under the RunEngine: ophyd's describe(),
 * motor moves (put-callback and DMOV), limits refused before moving, stop, pause /
 * resume / abort mid-move, a disconnect failing the move with the PV's name, the
 * counting detector, and device configuration files.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RunEngine } from '../../src/engine/index.js';
import {
  CaClient, createDevicesFromConfig, EpicsCounter, EpicsMotor, EpicsSignal, EpicsSignalRO, parseDeviceConfig, simDetValue, startSimIoc, type SimIoc,
} from '../../src/epics/index.js';
import { RunEngineInterrupted } from '../../src/model/errors.js';
import type { Status } from '../../src/model/status.js';
import { count, scan } from '../../src/plans/index.js';
import { until as waitUntil } from '../helpers/wait.js';

/** This file's wait: 15,000 ms. */
const until = (what: string, test: () => boolean, ms = 15_000): Promise<void> => waitUntil(what, test, ms);

let ioc: SimIoc;
let client: CaClient;

function clientFor(i: SimIoc): CaClient {
  const port = i.server.udpPort;
  return new CaClient({ addrList: [{ host: '127.0.0.1', port }], autoAddrList: false, serverPort: port, repeaterPort: port, maxSearchPeriod: 0.25 });
}

function done(status: Status): Promise<void> {
  return new Promise((resolve, reject) => status.addCallback((s) => (s.success ? resolve() : reject(s.exception()))));
}

before(async () => {
  ioc = await startSimIoc({ port: 0, host: '127.0.0.1' });
  client = clientFor(ioc);
});
after(async () => {
  client.close();
  await ioc.close();
});

describe('EpicsMotor', { timeout: 60_000 }, () => {
  let m1: EpicsMotor;
  before(async () => {
    m1 = new EpicsMotor({ name: 'm1', prefix: 'SIM:m1', client });
    await m1.connect(5);
  });
  after(() => m1.destroy());

  test('describe(), read() and configuration as ophyd gives them', async () => {
    const d = m1.describe();
    assert.deepEqual(Object.keys(d), ['m1', 'm1_user_setpoint']);
    assert.equal(d.m1?.source, 'PV:SIM:m1.RBV');
    assert.equal(d.m1_user_setpoint?.source, 'PV:SIM:m1.VAL');
    assert.deepEqual([d.m1?.dtype, d.m1?.shape, d.m1?.units, d.m1?.precision, d.m1?.dtype_numpy], ['number', [], 'mm', 3, '<f8']);
    assert.deepEqual([d.m1?.lower_ctrl_limit, d.m1?.upper_ctrl_limit], [-100, 100]);
    assert.deepEqual(d.m1?.limits, { control: { low: -100, high: 100 }, display: { low: -100, high: 100 }, warning: { low: 0, high: 0 }, alarm: { low: 0, high: 0 } });
    const r = await m1.read();
    assert.deepEqual(Object.keys(r), ['m1', 'm1_user_setpoint']);
    assert.equal(r.m1?.value, 0);
    assert.ok(Math.abs((r.m1?.timestamp ?? 0) - Date.now() / 1000) < 60);
    assert.deepEqual(Object.keys(await m1.readConfiguration()), ['m1_user_offset', 'm1_user_offset_dir', 'm1_velocity', 'm1_acceleration', 'm1_motor_egu']);
    assert.equal((await m1.readConfiguration()).m1_motor_egu?.value, 'mm');
    assert.equal(m1.describeConfiguration().m1_velocity?.units, 'mm/s');
    assert.deepEqual(m1.hints, { fields: ['m1'] });
    assert.deepEqual(m1.limits, [-100, 100]);
    assert.match(m1.repr(), /^EpicsMotor\(prefix='SIM:m1', name='m1'/);
  });

  test('set() moves at VELO and completes on arrival (put-callback)', async () => {
    const t0 = performance.now();
    const st = m1.set(1);
    assert.equal(st.done, false);
    await until('moving', () => m1.moving);
    await done(st);
    assert.ok(performance.now() - t0 >= 150, 'a 1 mm move at 5 mm/s takes about 0.2 s');
    assert.equal(m1.position, 1);
    assert.equal(m1.moving, false);
    await done(m1.set(0));
  });

  test('a setpoint outside HLM/LLM is refused before anything moves', async () => {
    assert.throws(() => m1.set(150), (e: unknown) => {
      const err = e as { code: string; pv: string; message: string };
      assert.equal(err.code, 'EPICS_LIMIT');
      assert.equal(err.pv, 'SIM:m1.VAL');
      assert.match(err.message, /150.*\[-100, 100\]/);
      return true;
    });
    assert.equal((await client.get('SIM:m1.DMOV')).value, 1);
    assert.equal(m1.position, 0);
  });

  test('stop(): halts where it is; the move fails unless success is asked for', async () => {
    await client.put('SIM:m1.VELO', 2, { wait: true });
    const st = m1.set(5);
    await until('half a mm out', () => m1.position > 0.3);
    await m1.stop();
    await assert.rejects(done(st), { code: 'EPICS_MOVE_STOPPED' });
    await until('stopped', () => !m1.moving);
    const where = m1.position;
    assert.ok(where > 0.3 && where < 5, `stopped at ${where}`);
    assert.equal((await client.get('SIM:m1.VAL')).value, where, 'VAL takes the readback, as the motor record does');
    const st2 = m1.set(0);
    await until('moving back', () => m1.moving);
    await m1.stop({ success: true });
    await done(st2);
    await done(m1.set(0));
    await client.put('SIM:m1.VELO', 5, { wait: true });
  });

  test('without put-callback, the move completes when DMOV returns to 1', async () => {
    const m2 = new EpicsMotor({ name: 'm2', prefix: 'SIM:m2', client, putComplete: false });
    await m2.connect(5);
    await done(m2.set(0.5));
    assert.equal(m2.position, 0.5);
    await done(m2.set(0));
    m2.destroy();
  });
});

describe('EpicsSignal, EpicsSignalRO, EpicsCounter', { timeout: 60_000 }, () => {
  test('an analog setpoint with its readback: set() completes when the readback arrives', async () => {
    const ao = new EpicsSignal({ name: 'ao1', readPv: 'SIM:ai1', writePv: 'SIM:ao1', client });
    await ao.connect(5);
    await done(ao.set(3.25));
    const r = await ao.read();
    assert.deepEqual([r.ao1?.value, r.ao1?.alarm_severity], [3.25, 0]);
    await done(ao.set(6));
    assert.equal((await ao.read()).ao1?.alarm_severity, 1, 'MINOR above HIGH');
    const d = ao.describe().ao1;
    assert.deepEqual([d?.source, d?.units, d?.precision], ['PV:SIM:ai1', 'V', 3]);
    assert.deepEqual(d?.limits?.alarm, { low: -8, high: 8 });
    assert.deepEqual(d?.limits?.warning, { low: -5, high: 5 });
    await done(ao.set(0));
    ao.destroy();
  });

  test('enum, string and array PVs describe as ophyd does; put_complete; subscribe', async () => {
    const bo = new EpicsSignal({ name: 'bo1', readPv: 'SIM:bo1', putComplete: true, client });
    const str = new EpicsSignalRO({ name: 'str', readPv: 'SIM:str', client });
    const wave = new EpicsSignalRO({ name: 'wave', readPv: 'SIM:wave', client });
    await Promise.all([bo.connect(5), str.connect(5), wave.connect(5)]);
    assert.deepEqual(bo.describe().bo1, { source: 'PV:SIM:bo1', dtype: 'integer', shape: [], dtype_numpy: '<u2', enum_strs: ['Off', 'On'], choices: ['Off', 'On'], units: null });
    assert.deepEqual(str.describe().str, { source: 'PV:SIM:str', dtype: 'string', shape: [] });
    assert.deepEqual([wave.describe().wave?.dtype, wave.describe().wave?.shape], ['array', [1024]]);
    const seen: unknown[] = [];
    const cb = (r: Record<string, { value: unknown }>): void => { seen.push(r.bo1?.value); };
    bo.subscribe(cb);
    await until('first', () => seen.length === 1);
    await done(bo.set('On'));
    assert.equal(await bo.get(), 1);
    await until('monitor', () => seen.length === 2);
    await done(bo.set(0));
    bo.clearSub(cb);
    for (const d of [bo, str, wave]) d.destroy();
  });

  test('EpicsCounter: trigger() counts for TP seconds, then read() has the counts', async () => {
    const sc = new EpicsCounter({ name: 'sc', client, triggerPv: 'SIM:scaler1.CNT', readPvs: { time: 'SIM:scaler1.S1', counts: 'SIM:scaler1.S2' }, countTimePv: 'SIM:scaler1.TP' });
    await sc.connect(5);
    await client.put('SIM:m1', 0, { wait: true });
    const t0 = performance.now();
    await done(sc.trigger());
    assert.ok(performance.now() - t0 >= 80);
    const r = await sc.read();
    assert.deepEqual([r.sc_time?.value, r.sc_counts?.value], [1_000_000, 1000]);
    assert.deepEqual(Object.keys(sc.describe()), ['sc_time', 'sc_counts']);
    assert.equal((await sc.readConfiguration()).sc_count_time?.value, 0.1);
    assert.deepEqual(sc.hints, { fields: ['sc_time', 'sc_counts'] });
    sc.destroy();
  });
});

describe('under the RunEngine', { timeout: 120_000 }, () => {
  let m1: EpicsMotor;
  let det: EpicsSignalRO;
  before(async () => {
    m1 = new EpicsMotor({ name: 'm1', prefix: 'SIM:m1', client });
    det = new EpicsSignalRO({ name: 'det', readPv: 'SIM:det', client });
    await Promise.all([m1.connect(5), det.connect(5)]);
  });
  after(() => { m1.destroy(); det.destroy(); });

  test('scan(det, m1, -1, 1, 5): readbacks equal setpoints, det peaks at 0, documents valid', async () => {
    const re = new RunEngine();
    const docs: Array<[string, Record<string, unknown>]> = [];
    re.subscribe((name, doc) => docs.push([name, doc as Record<string, unknown>]));
    await re.run(scan([det], [m1, -1, 1], { num: 5 }));
    const events = docs.filter(([n]) => n === 'event').map(([, d]) => d.data as Record<string, number>);
    assert.deepEqual(events.map((e) => e.m1), [-1, -0.5, 0, 0.5, 1]);
    assert.deepEqual(events.map((e) => e.m1_user_setpoint), [-1, -0.5, 0, 0.5, 1]);
    for (const e of events) assert.ok(Math.abs((e.det as number) - simDetValue(e.m1 as number)) < 1e-12);
    const desc = docs.find(([n]) => n === 'descriptor')?.[1] as { data_keys: Record<string, { source: string }>; configuration: Record<string, unknown> };
    assert.equal(desc.data_keys.det?.source, 'PV:SIM:det');
    assert.equal(desc.data_keys.m1?.source, 'PV:SIM:m1.RBV');
    assert.ok('m1' in desc.configuration);
    assert.equal((docs.at(-1)?.[1] as { exit_status: string }).exit_status, 'success');
  });

  test('pause mid-move stops the motor; resume finishes the scan', async () => {
    await client.put('SIM:m1.VELO', 1, { wait: true });
    try {
      const re = new RunEngine();
      const docs: Array<[string, Record<string, unknown>]> = [];
      re.subscribe((name, doc) => docs.push([name, doc as Record<string, unknown>]));
      const running = re.run(scan([det], [m1, 0, 2], { num: 2 }));
      await until('moving to 2', () => m1.moving && m1.position > 0.2);
      re.requestPause();
      await assert.rejects(running, (e: unknown) => e instanceof RunEngineInterrupted);
      assert.equal(re.state, 'paused');
      await until('stopped', () => !m1.moving);
      const at = m1.position;
      assert.ok(at > 0.2 && at < 2, `paused mid-move at ${at}`);
      await re.resume();
      const events = docs.filter(([n]) => n === 'event').map(([, d]) => d.data as Record<string, number>);
      assert.deepEqual(events.map((e) => e.m1).slice(-1), [2]);
      assert.equal((docs.at(-1)?.[1] as { exit_status: string }).exit_status, 'success');
    } finally {
      await client.put('SIM:m1.VELO', 5, { wait: true });
      await client.put('SIM:m1', 0, { wait: true });
    }
  });

  test('abort mid-move stops the motor and closes the run as aborted', async () => {
    await client.put('SIM:m1.VELO', 1, { wait: true });
    try {
      const re = new RunEngine();
      const docs: Array<[string, Record<string, unknown>]> = [];
      re.subscribe((name, doc) => docs.push([name, doc as Record<string, unknown>]));
      const running = re.run(scan([det], [m1, 0, 3], { num: 2 }));
      await until('moving to 3', () => m1.moving && m1.position > 0.2);
      re.requestPause();
      await assert.rejects(running);
      await re.abort('stop that motor');
      await until('stopped', () => !m1.moving);
      assert.ok(m1.position < 3);
      const stop = docs.find(([n]) => n === 'stop')?.[1] as { exit_status: string; reason: string };
      assert.deepEqual([stop.exit_status, stop.reason], ['abort', 'stop that motor']);
    } finally {
      await client.put('SIM:m1.VELO', 5, { wait: true });
      await client.put('SIM:m1', 0, { wait: true });
    }
  });

  test('count of a counting detector triggers it each time', async () => {
    const sc = new EpicsCounter({ name: 'sc', client, triggerPv: 'SIM:scaler1.CNT', readPvs: 'SIM:scaler1.S2' });
    await sc.connect(5);
    const re = new RunEngine();
    const events: Array<Record<string, unknown>> = [];
    re.subscribe((name, doc) => { if (name === 'event') events.push((doc as { data: Record<string, unknown> }).data); });
    await re.run(count([sc], { num: 3 }));
    assert.deepEqual(events.map((e) => e.sc), [1000, 1000, 1000]);
    sc.destroy();
  });
});

describe('a disconnect during a move', { timeout: 60_000 }, () => {
  test('fails the move with an error naming the PV', async () => {
    const own = await startSimIoc({ port: 0, host: '127.0.0.1' });
    const c = clientFor(own);
    try {
      const m = new EpicsMotor({ name: 'mx', prefix: 'SIM:m2', client: c });
      await m.connect(5);
      const st = m.set(50);
      await until('moving', () => m.moving);
      await own.close();
      await assert.rejects(done(st), (e: unknown) => {
        const err = e as { code: string; pv: string; message: string };
        assert.equal(err.code, 'EPICS_DISCONNECTED');
        assert.match(err.pv, /^SIM:m2\.(VAL|DMOV)$/);
        assert.match(err.message, /SIM:m2\.(VAL|DMOV): disconnected/);
        return true;
      });
      m.destroy();
    } finally {
      c.close();
      await own.close();
    }
  });
});

describe('device configuration', { timeout: 60_000 }, () => {
  const port = (): number => ioc.server.udpPort;
  const yaml = (extra = ''): string => `
ca: {addr_list: "127.0.0.1:${port()}", auto_addr_list: false, connection_timeout: 1}
devices:
  m1: {class: EpicsMotor, prefix: "SIM:m1"}
  det: {class: EpicsSignalRO, read_pv: "SIM:det"}
  ao1: {class: EpicsSignal, read_pv: "SIM:ai1", write_pv: "SIM:ao1", tolerance: 0.01}
  sc: {class: EpicsCounter, trigger_pv: "SIM:scaler1.CNT", read_pvs: {counts: "SIM:scaler1.S2"}}
${extra}`;

  test('creates and connects the devices, in file order', async () => {
    const made = await createDevicesFromConfig(parseDeviceConfig(yaml(), 'beamline.yaml'));
    try {
      assert.deepEqual([...made.devices.keys()], ['m1', 'det', 'ao1', 'sc']);
      assert.deepEqual(made.problems, []);
      assert.ok(made.devices.get('m1') instanceof EpicsMotor);
      assert.equal((await (made.devices.get('det') as EpicsSignalRO).read()).det?.value, 1);
    } finally {
      made.close();
    }
  });

  test('a device that does not connect is reported and skipped, or refused with require', async () => {
    const cfg = parseDeviceConfig(yaml('  ghost: {class: EpicsMotor, prefix: "NOPE:m9"}'), 'beamline.yaml');
    const made = await createDevicesFromConfig(cfg);
    try {
      assert.deepEqual([...made.devices.keys()], ['m1', 'det', 'ao1', 'sc']);
      assert.equal(made.problems.length, 1);
      assert.deepEqual([made.problems[0]?.device, made.problems[0]?.class, made.problems[0]?.code], ['ghost', 'EpicsMotor', 'EPICS_CONNECT_TIMEOUT']);
      assert.match(made.problems[0]?.message ?? '', /NOPE:m9\.RBV/);
    } finally {
      made.close();
    }
    await assert.rejects(createDevicesFromConfig(cfg, { require: true }), (e: unknown) => {
      const err = e as { code: string; message: string };
      assert.equal(err.code, 'EPICS_DEVICES_UNAVAILABLE');
      assert.match(err.message, /ghost/);
      return true;
    });
  });

  test('mistakes in the file are named with the key and a suggestion', () => {
    const bad = (text: string, re: RegExp, file = 'b.yaml'): void => {
      assert.throws(() => parseDeviceConfig(text, file), (e: unknown) => {
        assert.equal((e as { code: string }).code, 'EPICS_CONFIG_INVALID');
        assert.match((e as Error).message, re);
        return true;
      });
    };
    bad('devices: {m1: {class: EpicsMotr, prefix: "X"}}', /b\.yaml: devices\.m1\.class: unknown class "EpicsMotr" \(did you mean EpicsMotor\?\)/);
    bad('devices: {m1: {class: EpicsMotor, prefx: "X"}}', /EpicsMotor has no argument "prefx" \(did you mean prefix\?\)/);
    bad('devices: {m1: {class: EpicsMotor}}', /EpicsMotor needs "prefix"/);
    bad('devices: {d: {class: EpicsSignalRO, read_pv: 5}}', /devices\.d\.read_pv: expected a non-empty string, got 5/);
    bad('devices: {"a.b": {class: EpicsSignalRO, read_pv: "X"}}', /a device name must be/);
    bad('devices: [1, 2]', /"devices" must be a mapping/);
    bad('devices: {m1: {class: EpicsMotor, prefix: "X"}', /not valid YAML/);
    bad('{"devices": {}', /not valid JSON/, 'b.json');
    bad('ca: {adr_list: "x"}\ndevices: {}', /ca\.adr_list is not a setting/);
    assert.deepEqual(parseDeviceConfig('{"devices": {"d": {"class": "EpicsSignalRO", "read_pv": "X"}}}', 'b.json').devices.d, { class: 'EpicsSignalRO', read_pv: 'X' });
  });
});
