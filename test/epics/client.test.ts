/**
 * Our CA client against the test IOC (itself checked against libca in pyepics.test.ts):
 * every DBR type and form, conversions, arrays, put with and without completion,
 * monitors with value/alarm/property masks, a server restart mid-monitor (reconnects
 * and resumes), and a PV nobody serves (a timeout naming it).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  BASE_TYPES, CaClient, CaRepeater, DBE_ALARM, DBE_PROPERTY, DBE_VALUE, FORMS, startSimIoc, type CaReading, type SimIoc,
} from '../../src/epics/index.js';
import { freeUdpPort } from './helpers.js';

let ioc: SimIoc;
let client: CaClient;

function newClient(port: number): CaClient {
  return new CaClient({ addrList: [{ host: '127.0.0.1', port }], autoAddrList: false, serverPort: port, repeaterPort: port, maxSearchPeriod: 0.25, timeout: 5 });
}

/** Resolve when `pred` holds for a reading pushed to `list` (monitors are asynchronous). */
async function until<T>(what: string, pred: () => T | undefined | false, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = pred();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

before(async () => {
  ioc = await startSimIoc({ port: 0, host: '127.0.0.1' });
  client = newClient(ioc.server.udpPort);
});
after(async () => {
  client.close();
  await ioc.close();
});

describe('CA client: reads', { timeout: 60_000 }, () => {
  const NATIVE: Record<string, string> = { string: 'SIM:str', short: 'SIM:short1', float: 'SIM:float1', enum: 'SIM:bo1', char: 'SIM:char1', long: 'SIM:long1', double: 'SIM:ao1' };

  test('every native type in every form (plain, STS, TIME, GR, CTRL)', async () => {
    for (const base of BASE_TYPES) {
      const name = NATIVE[base] as string;
      const pv = ioc.pvs.get(name);
      assert.ok(pv !== undefined);
      for (const form of FORMS) {
        const r = await client.get(name, { form });
        assert.equal(r.base, base, `${name} ${form}`);
        assert.equal(r.form, form);
        const expected: unknown = pv.maxCount > 1 ? pv.values : pv.value;
        if (base === 'float') assert.equal(r.value, Math.fround(Number(expected)));
        else assert.deepEqual(r.value, expected, `${name} ${form}`);
        if (form !== 'plain') assert.deepEqual([r.severity, r.status], [0, 0]);
        if (form === 'time') assert.ok(Math.abs((r.timestamp ?? 0) - pv.timestamp) < 1e-6, `${name} time stamp`);
        if ((form === 'gr' || form === 'ctrl') && base === 'enum') assert.deepEqual(r.enumStrings, ['Off', 'On']);
        if ((form === 'gr' || form === 'ctrl') && base !== 'enum' && base !== 'string') {
          assert.equal(r.units, pv.meta.units ?? '');
          assert.equal(r.limits?.upperDisp, pv.meta.limits?.upperDisp ?? 0);
          if (form === 'ctrl') assert.equal(r.limits?.upperCtrl, pv.meta.limits?.upperCtrl ?? 0);
          if (base === 'double' || base === 'float') assert.equal(r.precision, pv.meta.precision);
        }
      }
    }
  });

  test('the server converts to the type asked for', async () => {
    assert.equal((await client.get('SIM:bo1', { type: 'string' })).value, 'Off');
    assert.equal((await client.get('SIM:ao1', { type: 'string' })).value, '0.000');
    assert.equal((await client.get('SIM:long1', { type: 'double', form: 'time' })).value, 42);
    assert.equal((await client.get('SIM:ao1', { type: 'short' })).value, 0);
    await assert.rejects(client.get('SIM:str', { type: 'double' }), { code: 'EPICS_GET_FAILED' });
  });

  test('arrays: the whole waveform, a prefix of it, and the current length after a shorter put', async () => {
    const all = await client.get('SIM:wave', { form: 'time' });
    assert.equal(all.count, 1024);
    assert.ok(Math.abs((all.value as number[])[32] as number - Math.sin(1)) < 1e-12);
    const ten = await client.get('SIM:wave', { count: 10 });
    assert.equal((ten.value as number[]).length, 10);
    await client.put('SIM:wave', [1, 2, 3], { wait: true });
    assert.deepEqual((await client.get('SIM:wave')).value, [1, 2, 3]);
    assert.deepEqual((await client.get('SIM:char1')).value, [...Buffer.from('beamline')]);
  });

  test('many channels at once: one search datagram carries many names', async () => {
    const names = [...ioc.pvs.keys()];
    const readings = await Promise.all(names.map((n) => client.get(n)));
    assert.equal(readings.length, names.length);
    assert.equal(client.circuitCount, 1, 'one TCP circuit per server');
  });
});

describe('CA client: writes', { timeout: 60_000 }, () => {
  test('put with completion waits for the record (a motor move), without it returns at once', async () => {
    const velo = Number((await client.get('SIM:m2.VELO')).value);
    const t0 = performance.now();
    await client.put('SIM:m2', 1, { wait: true });
    const took = (performance.now() - t0) / 1000;
    assert.ok(took >= 0.8 / velo, `1 mm at ${velo} mm/s took ${took} s`);
    assert.deepEqual([(await client.get('SIM:m2.RBV')).value, (await client.get('SIM:m2.DMOV')).value], [1, 1]);
    await client.put('SIM:m2', -4);
    assert.equal((await client.get('SIM:m2.DMOV')).value, 0, 'a put without completion does not wait for the 2.5 s move');
    await client.put('SIM:m2', 0, { wait: true });
  });

  test('each type: numbers, enum by name or index, strings, float rounding', async () => {
    await client.put('SIM:bo1', 'On', { wait: true });
    assert.equal((await client.get('SIM:bo1')).value, 1);
    await client.put('SIM:bo1', 0, { wait: true });
    await client.put('SIM:str', 'a longer string', { wait: true });
    assert.equal((await client.get('SIM:str')).value, 'a longer string');
    await client.put('SIM:long1', 123456, { wait: true });
    await client.put('SIM:short1', -300, { wait: true });
    await client.put('SIM:float1', 0.1, { wait: true });
    assert.deepEqual([(await client.get('SIM:long1')).value, (await client.get('SIM:short1')).value, (await client.get('SIM:float1')).value], [123456, -300, Math.fround(0.1)]);
    await client.put('SIM:ao1', '2.5', { wait: true });
    assert.equal((await client.get('SIM:ao1')).value, 2.5);
  });

  test('refusals: read-only PV, bad enum name, too many elements', async () => {
    await assert.rejects(client.put('SIM:ai1', 1), { code: 'EPICS_NO_WRITE_ACCESS', pv: 'SIM:ai1' });
    await assert.rejects(client.put('SIM:bo1', 'Maybe', { wait: true }), { code: 'EPICS_PUT_FAILED', pv: 'SIM:bo1' });
    await assert.rejects(client.put('SIM:ao1', [1, 2]), { code: 'EPICS_BAD_VALUE' });
  });
});

describe('CA client: monitors', { timeout: 60_000 }, () => {
  test('value and alarm masks select which changes arrive', async () => {
    const values: CaReading[] = [];
    const alarms: CaReading[] = [];
    const v = client.monitor('SIM:ai1', (r) => values.push(r), { mask: DBE_VALUE });
    const a = client.monitor('SIM:ai1', (r) => alarms.push(r), { mask: DBE_ALARM });
    await until('first updates', () => values.length === 1 && alarms.length === 1);
    for (const x of [1, 2, 6, 7, 9, 0]) await client.put('SIM:ao1', x, { wait: true });
    await until('value updates', () => values.length >= 7);
    await until('alarm updates', () => alarms.length >= 4);
    assert.deepEqual(values.map((r) => r.value), [2.5, 1, 2, 6, 7, 9, 0].slice(0, values.length));
    assert.deepEqual(alarms.map((r) => [r.value, r.severity]), [[2.5, 0], [6, 1], [9, 2], [0, 0]], 'only severity changes reach an alarm monitor');
    v.cancel();
    a.cancel();
  });

  test('a property monitor sees the limits change', async () => {
    const seen: CaReading[] = [];
    const sub = client.monitor('SIM:m1.VAL', (r) => seen.push(r), { form: 'ctrl', mask: DBE_PROPERTY });
    await until('first', () => seen.length === 1);
    await client.put('SIM:m1.HLM', 50, { wait: true });
    await until('property update', () => seen.length === 2);
    assert.equal(seen[1]?.limits?.upperCtrl, 50);
    await client.put('SIM:m1.HLM', 100, { wait: true });
    sub.cancel();
  });

  test('a moving motor: the readback passes through, DMOV goes 1 → 0 → 1', async () => {
    const rbv: number[] = [];
    const dmov: number[] = [];
    const s1 = client.monitor('SIM:m1.RBV', (r) => rbv.push(Number(r.value)));
    const s2 = client.monitor('SIM:m1.DMOV', (r) => dmov.push(Number(r.value)));
    await until('first', () => rbv.length >= 1 && dmov.length >= 1);
    await client.put('SIM:m1', 1, { wait: true });
    await until('DMOV back to 1', () => dmov.length >= 3);
    assert.deepEqual(dmov, [1, 0, 1]);
    assert.ok(rbv.length >= 3 && rbv.at(-1) === 1 && rbv.some((x) => x > 0 && x < 1), rbv.join(','));
    s1.cancel();
    s2.cancel();
    await client.put('SIM:m1', 0, { wait: true });
  });
});

describe('CA client: connection', { timeout: 60_000 }, () => {
  test('a PV nobody serves: a timeout error naming it and where it was searched', async () => {
    const t0 = performance.now();
    await assert.rejects(client.get('SIM:does_not_exist', { timeout: 0.5 }), (e: unknown) => {
      const err = e as { code: string; pv: string; message: string };
      assert.equal(err.code, 'EPICS_CONNECT_TIMEOUT');
      assert.equal(err.pv, 'SIM:does_not_exist');
      assert.match(err.message, /SIM:does_not_exist.*127\.0\.0\.1:\d+/);
      return true;
    });
    assert.ok(performance.now() - t0 < 3000);
  });

  test('the server restarts mid-monitor: the channel reconnects and the monitor resumes', async () => {
    const port = ioc.server.udpPort;
    const seen: number[] = [];
    const states: boolean[] = [];
    const ch = client.channel('SIM:long1');
    const off = ch.onConnection((up) => states.push(up));
    const sub = ch.monitor((r) => seen.push(Number(r.value)));
    await until('first value', () => seen.length >= 1);
    await client.put('SIM:long1', 7, { wait: true });
    await until('7', () => seen.includes(7));
    // Settled at once into an outcome, so its rejection is never unhandled while we wait.
    const pending = client.get('SIM:str', { timeout: 30 }).then((r) => r.value, (e: unknown) => e);
    await ioc.close();
    await until('disconnect noticed', () => states.includes(false));
    ioc = await startSimIoc({ port, host: '127.0.0.1' });
    await until('reconnected', () => states.at(-1) === true);
    // A fresh IOC: long1 is back at its initial 42, and the monitor delivers it.
    await until('value after restart', () => seen.at(-1) === 42);
    await client.put('SIM:long1', 8, { wait: true });
    await until('8 after restart', () => seen.at(-1) === 8);
    assert.deepEqual(states, [false, true], 'one disconnection, one reconnection');
    // A get that was waiting when the server went away either failed naming the PV or completed afterwards.
    const outcome = await pending;
    if (outcome !== 'hello') assert.deepEqual([(outcome as { code: string }).code, (outcome as { pv: string }).pv], ['EPICS_DISCONNECTED', 'SIM:str']);
    sub.cancel();
    off();
  });

  test('beacons relayed by the repeater restart the search at once when an IOC comes back', async () => {
    const rp = await freeUdpPort();
    const repeater = await CaRepeater.start(rp);
    let own = await startSimIoc({ port: 0, host: '127.0.0.1', beacons: [{ host: '127.0.0.1', port: rp }] });
    const port = own.server.udpPort;
    // A long search back-off: without the beacon, the next search after the restart would be seconds away.
    const c = new CaClient({ addrList: [{ host: '127.0.0.1', port }], autoAddrList: false, serverPort: port, repeaterPort: rp, maxSearchPeriod: 60 });
    try {
      const ch = c.channel('SIM:short1');
      await ch.waitConnected(5);
      await until('registered with the repeater', () => repeater.clientCount === 1);
      await own.close();
      await until('disconnected', () => !ch.connected);
      // Let the back-off grow past 3 s (searches at about 0.05, 0.15, 0.35, 0.75, 1.55, 3.15, then 6.35 s).
      await new Promise((r) => setTimeout(r, 3300));
      own = await startSimIoc({ port, host: '127.0.0.1', beacons: [{ host: '127.0.0.1', port: rp }] });
      const t0 = performance.now();
      await ch.waitConnected(10);
      const took = performance.now() - t0;
      assert.ok(took < 1500, `reconnected ${took.toFixed(0)} ms after the restart (the next scheduled search was ~3 s away)`);
    } finally {
      c.close();
      await own.close();
      await repeater.close();
    }
  });

  test('closing the client fails what is pending with EPICS_CLOSED', async () => {
    const other = newClient(ioc.server.udpPort);
    const pending = other.get('SIM:never', { timeout: 10 });
    other.close();
    await assert.rejects(pending, { code: 'EPICS_CLOSED' });
  });
});
