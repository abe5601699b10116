/**
 * The EPICS_CA_* settings as EPICS users know them, read from an environment object the
 * caller passes in (never `process.env` directly): where to search, which ports, and the
 * broadcast addresses of this host's interfaces for EPICS_CA_AUTO_ADDR_LIST.
 * @module
 */
import { networkInterfaces } from 'node:os';
import { ConfigError } from '../errors.js';
import { DEFAULT_REPEATER_PORT, DEFAULT_SERVER_PORT, intToIp, ipToInt } from './proto.js';

/** A UDP destination. */
export interface CaAddress {
  host: string;
  port: number;
}

/** Settings shared by the client and the server, with EPICS's defaults. */
export interface CaSettings {
  /** EPICS_CA_ADDR_LIST: where searches go (besides the automatic list). */
  addrList: CaAddress[];
  /** EPICS_CA_AUTO_ADDR_LIST: also search the broadcast address of every interface. Default true. */
  autoAddrList: boolean;
  /** EPICS_CA_SERVER_PORT: the servers' UDP search port. Default 5064. */
  serverPort: number;
  /** EPICS_CA_REPEATER_PORT: the repeater's port (beacons). Default 5065. */
  repeaterPort: number;
  /** EPICS_CAS_BEACON_ADDR_LIST (else EPICS_CA_ADDR_LIST): where a server sends beacons. */
  beaconAddrList: CaAddress[];
  /** EPICS_CA_CONN_TMO: seconds of silence before a circuit is probed with an echo. Default 30. */
  connTimeout: number;
  /** EPICS_CA_MAX_SEARCH_PERIOD: the longest pause between searches for a missing PV, seconds. Default 5 here (EPICS: 300, but we also follow beacons). */
  maxSearchPeriod: number;
}

type Env = Readonly<Record<string, string | undefined>>;

function port(env: Env, key: string, fallback: number): number {
  const raw = env[key];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new ConfigError(`${key} must be a port number 1..65535, got ${JSON.stringify(raw)}`);
  return n;
}

function seconds(env: Env, key: string, fallback: number): number {
  const raw = env[key];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!(n > 0)) throw new ConfigError(`${key} must be a positive number of seconds, got ${JSON.stringify(raw)}`);
  return n;
}

/**
 * Parse an address list: whitespace-separated `host` or `host:port` entries.
 * @throws ConfigError (EPICS_CONFIG_INVALID) for a bad port.
 * @example parseAddrList('127.0.0.1 10.0.0.255:5070', 5064)
 */
export function parseAddrList(text: string, defaultPort: number, key = 'EPICS_CA_ADDR_LIST'): CaAddress[] {
  return text.split(/\s+/).filter((s) => s !== '').map((entry) => {
    const colon = entry.lastIndexOf(':');
    if (colon === -1) return { host: entry, port: defaultPort };
    const p = Number(entry.slice(colon + 1));
    if (!Number.isInteger(p) || p < 1 || p > 65535) throw new ConfigError(`${key}: bad port in ${JSON.stringify(entry)} (expected host or host:port)`);
    return { host: entry.slice(0, colon), port: p };
  });
}

/**
 * The CA settings from `env` (pass `process.env`), with EPICS's defaults.
 * @throws ConfigError for malformed values.
 * @example caSettings({ EPICS_CA_ADDR_LIST: '127.0.0.1', EPICS_CA_AUTO_ADDR_LIST: 'NO' })
 */
export function caSettings(env: Env = {}): CaSettings {
  const serverPort = port(env, 'EPICS_CA_SERVER_PORT', DEFAULT_SERVER_PORT);
  const repeaterPort = port(env, 'EPICS_CA_REPEATER_PORT', DEFAULT_REPEATER_PORT);
  const addrList = parseAddrList(env.EPICS_CA_ADDR_LIST ?? '', serverPort);
  const auto = (env.EPICS_CA_AUTO_ADDR_LIST ?? 'YES').trim().toUpperCase();
  const beaconText = env.EPICS_CAS_BEACON_ADDR_LIST ?? env.EPICS_CA_ADDR_LIST ?? '';
  return {
    addrList,
    autoAddrList: auto !== 'NO',
    serverPort,
    repeaterPort,
    beaconAddrList: parseAddrList(beaconText, repeaterPort, 'EPICS_CAS_BEACON_ADDR_LIST').map((a) => ({ host: a.host, port: repeaterPort })),
    connTimeout: seconds(env, 'EPICS_CA_CONN_TMO', 30),
    maxSearchPeriod: seconds(env, 'EPICS_CA_MAX_SEARCH_PERIOD', 5),
  };
}

/** The broadcast address of each up, non-loopback IPv4 interface (EPICS_CA_AUTO_ADDR_LIST). */
export function broadcastAddresses(): string[] {
  const out = new Set<string>();
  for (const list of Object.values(networkInterfaces())) {
    for (const nic of list ?? []) {
      if (nic.family !== 'IPv4' || nic.internal) continue;
      const addr = ipToInt(nic.address);
      const mask = ipToInt(nic.netmask);
      out.add(intToIp((addr | ~mask) >>> 0));
    }
  }
  return [...out];
}

/** Where a client's searches go: the address list, plus broadcasts when automatic. */
export function searchDestinations(settings: CaSettings): CaAddress[] {
  const auto = settings.autoAddrList ? broadcastAddresses().map((host) => ({ host, port: settings.serverPort })) : [];
  const seen = new Set<string>();
  return [...settings.addrList, ...auto].filter((a) => {
    const key = `${a.host}:${a.port}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Where a server's beacons go: the beacon list, plus broadcasts when automatic. */
export function beaconDestinations(settings: CaSettings): CaAddress[] {
  const auto = settings.autoAddrList ? broadcastAddresses().map((host) => ({ host, port: settings.repeaterPort })) : [];
  const list = [...settings.beaconAddrList, ...auto];
  // With nothing else configured, the local repeater still hears us (as rsrv's loopback beacon does).
  return list.length > 0 ? list : [{ host: '127.0.0.1', port: settings.repeaterPort }];
}
