/**
 * Device configuration files (`serve --devices FILE`): YAML or JSON naming each device,
 * its ophyd class and ophyd's argument names, e.g.
 * `devices: {m1: {class: EpicsMotor, prefix: "SIM:m1"}}`. Parsing and validation are
 * pure; {@link createDevicesFromConfig} connects them and reports the ones that did not.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { CaClient } from '../ca/client.js';
import { caSettings, parseAddrList, type CaSettings } from '../ca/env.js';
import { ConfigError, EpicsError } from '../errors.js';
import { EpicsCounter } from './counter.js';
import { EpicsMotor } from './motor.js';
import { EpicsSignal, EpicsSignalRO } from './signal.js';

/** Any device a configuration file can create. */
export type EpicsDevice = EpicsSignalRO | EpicsSignal | EpicsMotor | EpicsCounter;

type ArgType = 'string' | 'boolean' | 'number' | 'number|string' | 'string|map';
interface ClassSpec { required: Record<string, ArgType>; optional: Record<string, ArgType> }

/** The classes and their ophyd argument names (plus `timeout`, seconds per get). */
export const DEVICE_CLASSES: Readonly<Record<string, ClassSpec>> = {
  EpicsSignalRO: { required: { read_pv: 'string' }, optional: { string: 'boolean', timeout: 'number' } },
  EpicsSignal: { required: { read_pv: 'string' }, optional: { write_pv: 'string', put_complete: 'boolean', tolerance: 'number', string: 'boolean', timeout: 'number' } },
  EpicsMotor: { required: { prefix: 'string' }, optional: { put_complete: 'boolean', timeout: 'number' } },
  EpicsCounter: { required: { trigger_pv: 'string', read_pvs: 'string|map' }, optional: { trigger_value: 'number|string', count_time_pv: 'string', timeout: 'number' } },
};

/** One device entry as written in the file (snake_case: ophyd's names). */
export interface DeviceSpec {
  class: string;
  [arg: string]: unknown;
}

/** The `ca:` section: overrides of the EPICS_CA_* environment for these devices. */
export interface CaConfig {
  addr_list?: string;
  auto_addr_list?: boolean;
  server_port?: number;
  repeater_port?: number;
  /** Seconds to wait for every device to connect at start-up. Default 2. */
  connection_timeout?: number;
  /** Seconds for each get/put reply. Default 2. */
  timeout?: number;
}

/** A parsed, validated configuration file. */
export interface DeviceConfig {
  ca: CaConfig;
  devices: Record<string, DeviceSpec>;
}

const CA_KEYS: Record<keyof CaConfig, 'string' | 'boolean' | 'number'> = {
  addr_list: 'string', auto_addr_list: 'boolean', server_port: 'number', repeater_port: 'number', connection_timeout: 'number', timeout: 'number',
};
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function closest(word: string, choices: readonly string[]): string | null {
  const dist = (a: string, b: string): number => {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) (d[0] as number[])[j] = j;
    for (let i = 1; i <= a.length; i++) for (let j = 1; j <= b.length; j++) {
      const row = d[i] as number[];
      const prev = d[i - 1] as number[];
      row[j] = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + (a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1));
    }
    return (d[a.length] as number[])[b.length] as number;
  };
  let best: string | null = null;
  let bestD = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const c of choices) { const dd = dist(word, c); if (dd < bestD) { best = c; bestD = dd; } }
  return best;
}

function typeOk(value: unknown, type: ArgType): boolean {
  switch (type) {
    case 'string': return typeof value === 'string' && value !== '';
    case 'boolean': return typeof value === 'boolean';
    case 'number': return typeof value === 'number' && Number.isFinite(value);
    case 'number|string': return typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
    case 'string|map': return (typeof value === 'string' && value !== '') || (isRecord(value) && Object.keys(value).length > 0 && Object.entries(value).every(([k, v]) => NAME.test(k) && typeof v === 'string' && v !== ''));
  }
}

const TYPE_TEXT: Record<ArgType, string> = {
  string: 'a non-empty string', boolean: 'true or false', number: 'a number', 'number|string': 'a number or a string',
  'string|map': 'a PV name or a mapping {field: PV name}',
};

function checkDevice(file: string, name: string, spec: unknown): DeviceSpec {
  const where = `${file}: devices.${name}`;
  if (!NAME.test(name)) throw new ConfigError(`${where}: a device name must be letters, digits and _ (it becomes a data key), got ${JSON.stringify(name)}`, [{ path: `devices.${name}`, expected: 'an identifier', got: name }]);
  if (!isRecord(spec)) throw new ConfigError(`${where}: expected a mapping with a "class" key, got ${JSON.stringify(spec)}`);
  const cls = spec.class;
  const classes = Object.keys(DEVICE_CLASSES);
  if (typeof cls !== 'string' || DEVICE_CLASSES[cls] === undefined) {
    const hint = typeof cls === 'string' ? closest(cls, classes) : null;
    throw new ConfigError(`${where}.class: unknown class ${JSON.stringify(cls)}${hint === null ? '' : ` (did you mean ${hint}?)`}; expected one of ${classes.join(', ')}`, [
      { path: `devices.${name}.class`, expected: classes.join(' | '), got: String(cls) },
    ]);
  }
  const { required, optional } = DEVICE_CLASSES[cls] as ClassSpec;
  const allowed = { ...required, ...optional };
  for (const [key, value] of Object.entries(spec)) {
    if (key === 'class') continue;
    const type = allowed[key];
    if (type === undefined) {
      const hint = closest(key, Object.keys(allowed));
      throw new ConfigError(`${where}: ${cls} has no argument "${key}"${hint === null ? '' : ` (did you mean ${hint}?)`}; it takes ${Object.keys(allowed).join(', ')}`, [
        { path: `devices.${name}.${key}`, expected: Object.keys(allowed).join(' | '), got: key },
      ]);
    }
    if (!typeOk(value, type)) throw new ConfigError(`${where}.${key}: expected ${TYPE_TEXT[type]}, got ${JSON.stringify(value)}`, [{ path: `devices.${name}.${key}`, expected: TYPE_TEXT[type], got: JSON.stringify(value) }]);
  }
  for (const key of Object.keys(required)) {
    if (!(key in spec)) throw new ConfigError(`${where}: ${cls} needs "${key}" (${TYPE_TEXT[required[key] as ArgType]})`, [{ path: `devices.${name}.${key}`, expected: TYPE_TEXT[required[key] as ArgType], got: 'nothing' }]);
  }
  return spec as DeviceSpec;
}

/**
 * Validate a configuration object (already parsed from YAML or JSON).
 * @throws ConfigError (EPICS_CONFIG_INVALID) naming the file and the key at fault.
 */
export function validateDeviceConfig(raw: unknown, file = 'device configuration'): DeviceConfig {
  if (!isRecord(raw)) throw new ConfigError(`${file}: expected a mapping with a "devices" key`);
  for (const key of Object.keys(raw)) {
    if (key !== 'devices' && key !== 'ca') throw new ConfigError(`${file}: unknown top-level key "${key}" (expected "devices" and optionally "ca")`);
  }
  if (!isRecord(raw.devices)) throw new ConfigError(`${file}: "devices" must be a mapping of device name to {class: …, …}`);
  const ca = raw.ca ?? {};
  if (!isRecord(ca)) throw new ConfigError(`${file}: "ca" must be a mapping (${Object.keys(CA_KEYS).join(', ')})`);
  for (const [key, value] of Object.entries(ca)) {
    const type = CA_KEYS[key as keyof CaConfig];
    if (type === undefined) throw new ConfigError(`${file}: ca.${key} is not a setting (expected ${Object.keys(CA_KEYS).join(', ')})`);
    if (!typeOk(value, type)) throw new ConfigError(`${file}: ca.${key}: expected ${TYPE_TEXT[type]}, got ${JSON.stringify(value)}`);
  }
  const devices = Object.fromEntries(Object.entries(raw.devices).map(([name, spec]) => [name, checkDevice(file, name, spec)]));
  return { ca: ca as CaConfig, devices };
}

/**
 * Parse configuration text: JSON when `file` ends in `.json`, else YAML (a superset of JSON).
 * @throws ConfigError for bad syntax or content.
 */
export function parseDeviceConfig(text: string, file = 'device configuration'): DeviceConfig {
  let raw: unknown;
  try {
    raw = file.toLowerCase().endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new ConfigError(`${file}: not valid ${file.toLowerCase().endsWith('.json') ? 'JSON' : 'YAML'}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
  return validateDeviceConfig(raw, file);
}

/** Read and parse a configuration file. @throws ConfigError (also for a file that cannot be read). */
export async function loadDeviceConfig(path: string): Promise<DeviceConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read the device file ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
  return parseDeviceConfig(text, path);
}

/** A device that did not connect at start-up. */
export interface DeviceProblem {
  device: string;
  class: string;
  code: string;
  message: string;
}

/** What {@link createDevicesFromConfig} returns. */
export interface ConfiguredDevices {
  /** The devices that connected, by name, in file order. */
  devices: Map<string, EpicsDevice>;
  /** The ones that did not (skipped). */
  problems: DeviceProblem[];
  /** The CA client they share. */
  client: CaClient;
  /** Release the devices and close the client. */
  close(): void;
}

export interface CreateDevicesOptions {
  /** The environment for EPICS_CA_* (pass `process.env`); the file's `ca:` section wins. Default {}. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Fail (EPICS_DEVICES_UNAVAILABLE) when any device does not connect. Default false: skip it. */
  require?: boolean;
  /** Seconds to wait for the connections; default the file's ca.connection_timeout, else 2. */
  connectionTimeout?: number;
}

/** CA settings: the environment, then the file's overrides. */
export function settingsFor(config: DeviceConfig, env: Readonly<Record<string, string | undefined>> = {}): CaSettings {
  const s = caSettings(env);
  const ca = config.ca;
  const serverPort = ca.server_port ?? s.serverPort;
  return {
    ...s,
    serverPort,
    repeaterPort: ca.repeater_port ?? s.repeaterPort,
    addrList: ca.addr_list === undefined ? s.addrList : parseAddrList(ca.addr_list, serverPort, 'ca.addr_list'),
    autoAddrList: ca.auto_addr_list ?? s.autoAddrList,
  };
}

function build(name: string, spec: DeviceSpec, client: CaClient, timeout: number | undefined): EpicsDevice {
  const t = (typeof spec.timeout === 'number' ? spec.timeout : timeout);
  const common = { name, client, ...(t === undefined ? {} : { timeout: t }) };
  const str = (k: string): string => spec[k] as string;
  const opt = <T>(k: string): Record<string, T> => (spec[k] === undefined ? {} : { [camel(k)]: spec[k] as T });
  switch (spec.class) {
    case 'EpicsSignalRO': return new EpicsSignalRO({ ...common, readPv: str('read_pv'), ...opt<boolean>('string') });
    case 'EpicsSignal': return new EpicsSignal({ ...common, readPv: str('read_pv'), ...opt<string>('write_pv'), ...opt<boolean>('put_complete'), ...opt<number>('tolerance'), ...opt<boolean>('string') });
    case 'EpicsMotor': return new EpicsMotor({ ...common, prefix: str('prefix'), ...opt<boolean>('put_complete') });
    default: return new EpicsCounter({
      ...common, triggerPv: str('trigger_pv'), readPvs: spec.read_pvs as string | Record<string, string>,
      ...opt<number | string>('trigger_value'), ...opt<string>('count_time_pv'),
    });
  }
}

function camel(key: string): string {
  return key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

/**
 * Create the configured devices on one CA client and connect them in parallel. A device
 * that does not connect in time is left out and reported in `problems` (or, with
 * `require`, everything is closed and an error lists them all).
 * @throws EpicsError (EPICS_DEVICES_UNAVAILABLE) with `require` when any device is missing.
 * @example
 * const { devices, problems } = await createDevicesFromConfig(await loadDeviceConfig('beamline.yaml'), { env: process.env });
 */
export async function createDevicesFromConfig(config: DeviceConfig, options: CreateDevicesOptions = {}): Promise<ConfiguredDevices> {
  const client = new CaClient({ ...settingsFor(config, options.env ?? {}), timeout: config.ca.timeout ?? 2 });
  const timeout = options.connectionTimeout ?? config.ca.connection_timeout ?? 2;
  const built = Object.entries(config.devices).map(([name, spec]) => ({ name, spec, device: build(name, spec, client, config.ca.timeout) }));
  const results = await Promise.allSettled(built.map((b) => b.device.connect(timeout)));
  const devices = new Map<string, EpicsDevice>();
  const problems: DeviceProblem[] = [];
  built.forEach((b, i) => {
    const r = results[i] as PromiseSettledResult<void>;
    if (r.status === 'fulfilled') { devices.set(b.name, b.device); return; }
    b.device.destroy();
    const e = r.reason as { code?: unknown; message?: unknown };
    problems.push({ device: b.name, class: b.spec.class, code: typeof e.code === 'string' ? e.code : 'EPICS_CONNECT_TIMEOUT', message: String(e.message ?? e) });
  });
  const close = (): void => { for (const d of devices.values()) d.destroy(); client.close(); };
  if (options.require === true && problems.length > 0) {
    close();
    throw new EpicsError('EPICS_DEVICES_UNAVAILABLE', `${problems.length} of ${built.length} devices did not connect: ${problems.map((p) => `${p.device} (${p.message})`).join('; ')}`, {
      details: problems.map((p) => ({ path: `devices.${p.device}`, expected: 'connected', got: p.message })),
    });
  }
  return { devices, problems, client, close };
}
