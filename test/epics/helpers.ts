/**
 * Plumbing for the EPICS tests: a test IOC as a child process (`sim-ioc --port 0`, so
 * parallel test files never share a port), the EPICS_CA_* environment that points a
 * client at it, and pyepics (Debian's, on EPICS's own libca) as a child. Children come
 * from test/helpers/child.ts: deadlines, and killed when the test process exits.
 * @module
 */
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { cliChild, TestChild } from '../helpers/child.js';

/** Debian's python3 with python3-pyepics (the `python3` on PATH may be another one). */
export const PYTHON = '/usr/bin/python3';

/** A UDP port nobody uses right now (for a repeater). */
export async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', () => resolve()));
  const { port } = s.address();
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** EPICS_CA_* for a client that must find only the IOC on `port` of this host. */
export function caEnv(port: number, repeaterPort: number): Record<string, string> {
  return {
    EPICS_CA_ADDR_LIST: '127.0.0.1',
    EPICS_CA_AUTO_ADDR_LIST: 'NO',
    EPICS_CA_SERVER_PORT: String(port),
    EPICS_CA_REPEATER_PORT: String(repeaterPort),
  };
}

/**
 * Skip (returns the one-line reason) when pyepics is missing outside CI; under CI=true
 * its absence throws, failing the file. Returns undefined when pyepics can run.
 */
export function pyepicsSkip(): string | undefined {
  const r = spawnSync(PYTHON, ['-c', 'import epics, epics.ca; epics.ca.find_libca()'], { encoding: 'utf8', timeout: 20_000 });
  if (r.status === 0) return undefined;
  const why = `pyepics not usable at ${PYTHON} (apt-get install python3-pyepics): ${(r.stderr ?? String(r.error)).trim().split('\n').at(-1) ?? ''}`;
  if (process.env.CI === 'true') throw new Error(`CI=true and ${why}`);
  return why;
}

/** Run pyepics' script with `input` on stdin in the IOC's environment. */
export function python(script: string, env: Record<string, string>, input: string, deadlineMs = 100_000): TestChild {
  return new TestChild(PYTHON, [script], { env: { ...process.env, ...env }, input, deadlineMs });
}

export interface IocChild {
  child: TestChild;
  port: number;
  repeaterPort: number;
  /** EPICS_CA_* for clients of this IOC. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** Start `bluesky-dispatcher sim-ioc` on a free port of 127.0.0.1, with its repeater on another. */
export async function startIocChild(extra: string[] = [], port = 0, repeaterPort?: number): Promise<IocChild> {
  const rp = repeaterPort ?? await freeUdpPort();
  const child = cliChild(['sim-ioc', '--port', String(port), '--host', '127.0.0.1', ...extra], {
    env: { ...process.env, EPICS_CA_REPEATER_PORT: String(rp), EPICS_CA_ADDR_LIST: '127.0.0.1', EPICS_CA_AUTO_ADDR_LIST: 'NO' },
    deadlineMs: 300_000,
  });
  const m = await child.waitFor(/udp [\d.]+:(\d+)/, 'sim-ioc listening', 30_000, 'out');
  const udp = Number(m[1]);
  return {
    child, port: udp, repeaterPort: rp, env: caEnv(udp, rp),
    stop: async () => { await child.stop('SIGTERM'); },
  };
}
