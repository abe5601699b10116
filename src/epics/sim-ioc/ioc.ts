/**
 * The test IOC: simulated records behind a {@link CaServer} — two motor records, a
 * detector that peaks at m1 = 0 (ophyd.sim's `det`), analog out/in with alarm limits,
 * a binary with enum strings, a string, a 1024-element waveform, one PV of each other
 * native type, a counting scaler and a fast counter for benchmarks.
 * @module
 */
import { CaRepeater } from '../ca/repeater.js';
import { CaServer } from '../ca/server.js';
import { AlarmStatus, ServerPv, Severity } from '../ca/server-pv.js';
import type { CaAddress } from '../ca/env.js';
import { EpicsError } from '../errors.js';
import { SimMotor } from './motor.js';

export interface SimIocOptions {
  /** Prepended to every PV name. Default 'SIM:'. */
  prefix?: string;
  /** UDP search port; 0 picks a free one. Default 5064. */
  port?: number;
  /** Interface to bind. Default '0.0.0.0'. */
  host?: string;
  /** Where beacons go (repeater ports). Default none. */
  beacons?: CaAddress[];
  /** Also run a CA repeater on this port when it is free (as `caRepeater` would). Default: none. */
  repeaterPort?: number | null;
}

/** A running test IOC. */
export interface SimIoc {
  readonly server: CaServer;
  /** The repeater this IOC runs, or null (none asked for, or one already ran). */
  readonly repeater: CaRepeater | null;
  readonly pvs: ReadonlyMap<string, ServerPv>;
  readonly motors: readonly SimMotor[];
  close(): Promise<void>;
}

/** ophyd.sim's `det`: Imax·exp(-(x - center)² / 2σ²) with center 0, Imax 1, σ 1. */
export function simDetValue(x: number): number {
  return Math.exp(-(x * x) / 2);
}

interface Built {
  pvs: Map<string, ServerPv>;
  motors: SimMotor[];
  stop: () => void;
}

/** ai record alarm limits: HIHI/LOLO major, HIGH/LOW minor. */
const AI_LIMITS = { upperAlarm: 8, upperWarning: 5, lowerWarning: -5, lowerAlarm: -8, upperDisp: 10, lowerDisp: -10, upperCtrl: 10, lowerCtrl: -10 };

function analogAlarm(v: number): { severity: number; status: number } {
  if (v >= AI_LIMITS.upperAlarm) return { severity: Severity.MAJOR, status: AlarmStatus.HIHI };
  if (v <= AI_LIMITS.lowerAlarm) return { severity: Severity.MAJOR, status: AlarmStatus.LOLO };
  if (v >= AI_LIMITS.upperWarning) return { severity: Severity.MINOR, status: AlarmStatus.HIGH };
  if (v <= AI_LIMITS.lowerWarning) return { severity: Severity.MINOR, status: AlarmStatus.LOW };
  return { severity: Severity.NO_ALARM, status: AlarmStatus.NO_ALARM };
}

/** Build the records (no sockets): every PV by name, with its aliases (`SIM:ai1` = `SIM:ai1.VAL`). */
export function buildSimPvs(prefix = 'SIM:'): Built {
  const pvs = new Map<string, ServerPv>();
  const add = (pv: ServerPv, alias = true): ServerPv => {
    pvs.set(pv.name, pv);
    if (alias && !pv.name.includes('.')) pvs.set(`${pv.name}.VAL`, pv);
    return pv;
  };
  const m1 = new SimMotor(`${prefix}m1`);
  const m2 = new SimMotor(`${prefix}m2`, { velocity: 2 });
  for (const m of [m1, m2]) for (const [name, pv] of m.fields) pvs.set(name, pv);

  const det = add(new ServerPv(`${prefix}det`, { type: 'double', value: simDetValue(0), writable: false, meta: { units: 'counts', precision: 4, limits: { upperDisp: 1, lowerDisp: 0 } } }));
  m1.rbv.listen(() => det.post(simDetValue(Number(m1.rbv.value))));

  const ai1 = add(new ServerPv(`${prefix}ai1`, { type: 'double', value: 0, writable: false, meta: { units: 'V', precision: 3, limits: AI_LIMITS } }));
  add(new ServerPv(`${prefix}ao1`, {
    type: 'double', value: 0, meta: { units: 'V', precision: 3, limits: { upperDisp: 10, lowerDisp: -10, upperCtrl: 10, lowerCtrl: -10 } },
    // An ao record clamps to DRVH/DRVL; its readback (ai1) follows and raises alarms.
    onPut: ([v], pv) => {
      const value = Math.min(10, Math.max(-10, Number(v)));
      pv.post(value, undefined, true);
      ai1.post(value, analogAlarm(value));
    },
  }));
  add(new ServerPv(`${prefix}bo1`, { type: 'enum', value: 0, meta: { enumStrings: ['Off', 'On'] } }));
  add(new ServerPv(`${prefix}str`, { type: 'string', value: 'hello' }));
  add(new ServerPv(`${prefix}wave`, {
    type: 'double', count: 1024, value: Array.from({ length: 1024 }, (_, i) => Math.sin(i / 32)),
    meta: { units: 'arb', precision: 3, limits: { upperDisp: 1, lowerDisp: -1 } },
  }));
  add(new ServerPv(`${prefix}long1`, { type: 'long', value: 42, meta: { units: 'counts', limits: { upperDisp: 1000, lowerDisp: -1000, upperCtrl: 1000, lowerCtrl: -1000 } } }));
  add(new ServerPv(`${prefix}short1`, { type: 'short', value: 7, meta: { units: 'steps', limits: { upperDisp: 100, lowerDisp: -100, upperCtrl: 100, lowerCtrl: -100 } } }));
  add(new ServerPv(`${prefix}float1`, { type: 'float', value: 2.5, meta: { units: 'mA', precision: 2, limits: { upperDisp: 500, lowerDisp: 0, upperCtrl: 500, lowerCtrl: 0 } } }));
  add(new ServerPv(`${prefix}char1`, { type: 'char', count: 64, value: [...Buffer.from('beamline')] }));

  const stopScaler = addScaler(`${prefix}scaler1`, pvs, () => Number(det.value));
  const stopFast = addFastCounter(`${prefix}fast`, pvs);
  return { pvs, motors: [m1, m2], stop: () => { m1.close(); m2.close(); stopScaler(); stopFast(); } };
}

/**
 * A counting scaler: write 1 to `.CNT` (put-callback completes when counting ends)
 * and after `.TP` seconds `.S1` holds clock ticks (10 MHz) and `.S2` counts
 * proportional to `det`.
 */
function addScaler(name: string, pvs: Map<string, ServerPv>, signal: () => number): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const tp = new ServerPv(`${name}.TP`, { type: 'double', value: 0.1, meta: { units: 's', precision: 3 } });
  const s1 = new ServerPv(`${name}.S1`, { type: 'long', value: 0, writable: false, meta: { units: 'ticks' } });
  const s2 = new ServerPv(`${name}.S2`, { type: 'long', value: 0, writable: false, meta: { units: 'counts' } });
  const cnt: ServerPv = new ServerPv(`${name}.CNT`, {
    type: 'enum', value: 0, meta: { enumStrings: ['Done', 'Count'] },
    onPut: ([v]) => {
      if (Number(v) === 0 || timer !== null) return undefined;
      cnt.post(1);
      const seconds = Math.max(0, Number(tp.value));
      return new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          timer = null;
          s1.post(Math.round(seconds * 1e7), undefined, true);
          s2.post(Math.round(signal() * seconds * 1e4), undefined, true);
          cnt.post(0);
          resolve();
        }, seconds * 1000);
      });
    },
  });
  for (const pv of [cnt, tp, s1, s2]) pvs.set(pv.name, pv);
  return () => { if (timer !== null) clearTimeout(timer); timer = null; };
}

/**
 * A LONG counter that increments every `:period` seconds (default 0.1) while anyone
 * monitors it; period 0 posts as fast as the server can send (benchmarks).
 */
function addFastCounter(name: string, pvs: Map<string, ServerPv>): () => void {
  const counter = new ServerPv(name, { type: 'long', value: 0, writable: false });
  let timer: ReturnType<typeof setTimeout> | ReturnType<typeof setImmediate> | null = null;
  let stopped = false;
  const period = new ServerPv(`${name}:period`, {
    type: 'double', value: 0.1, meta: { units: 's', precision: 3 },
    onPut: ([v], pv) => { pv.post(Math.max(0, Number(v)), undefined, true); },
  });
  const tick = (): void => {
    timer = null;
    if (stopped) return;
    const p = Number(period.value);
    if (counter.listenerCount > 0) {
      // Flooding: a batch per turn of the loop, so the sockets, not the timer, set the pace.
      const batch = p === 0 ? 64 : 1;
      for (let i = 0; i < batch; i++) counter.post((Number(counter.value) + 1) | 0);
    }
    timer = p === 0 && counter.listenerCount > 0 ? setImmediate(tick) : setTimeout(tick, Math.max(p, 0.01) * 1000);
  };
  tick();
  for (const pv of [counter, period]) pvs.set(pv.name, pv);
  pvs.set(`${name}.VAL`, counter);
  return () => {
    stopped = true;
    if (timer !== null) { clearTimeout(timer as ReturnType<typeof setTimeout>); clearImmediate(timer as ReturnType<typeof setImmediate>); }
  };
}

/**
 * Start the test IOC.
 * @throws EpicsError (EPICS_LISTEN_FAILED) when the port is taken.
 * @example const ioc = await startSimIoc({ port: 0 }); console.log(ioc.server.udpPort);
 */
export async function startSimIoc(options: SimIocOptions = {}): Promise<SimIoc> {
  const built = buildSimPvs(options.prefix ?? 'SIM:');
  let repeater: CaRepeater | null = null;
  if (options.repeaterPort !== undefined && options.repeaterPort !== null) {
    repeater = await CaRepeater.start(options.repeaterPort).catch((e: unknown) => {
      if (e instanceof EpicsError) return null; // one already runs: beacons reach it anyway
      throw e;
    });
  }
  let server: CaServer;
  try {
    server = await CaServer.start({
      pvs: built.pvs, port: options.port ?? 5064, host: options.host ?? '0.0.0.0',
      ...(options.beacons === undefined ? {} : { beacons: options.beacons }),
    });
  } catch (e) {
    built.stop();
    await repeater?.close();
    throw e;
  }
  return {
    server, repeater, pvs: built.pvs, motors: built.motors,
    close: async () => {
      built.stop();
      await server.close();
      await repeater?.close();
    },
  };
}
