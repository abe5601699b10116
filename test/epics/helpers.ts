/**
 * Plumbing for the EPICS tests: a test IOC as a child process (`sim-ioc --port 0`, so
 * parallel test files never share a port), the EPICS_CA_* environment that points a
 * client at it, pyepics (Debian's, on EPICS's own libca) as a child, and cleanup.
 * @module
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/bluesky-dispatcher.js', import.meta.url));
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

/** Whether pyepics can be used; under CI=true its absence is a failure (the caller asserts). */
export function pyepicsStatus(): { ok: true } | { ok: false; why: string } {
  const r = spawnSync(PYTHON, ['-c', 'import epics, epics.ca; epics.ca.find_libca()'], { encoding: 'utf8', timeout: 20_000 });
  if (r.status === 0) return { ok: true };
  return { ok: false, why: `pyepics not usable at ${PYTHON} (apt-get install python3-pyepics): ${(r.stderr ?? String(r.error)).trim().split('\n').at(-1) ?? ''}` };
}

/** Skip (one line) without pyepics outside CI; fail under CI=true. Returns the skip reason, or undefined to run. */
export function pyepicsSkip(): string | undefined {
  const s = pyepicsStatus();
  if (s.ok) return undefined;
  if (process.env.CI === 'true') throw new Error(`CI=true and ${s.why}`);
  return s.why;
}

export interface ChildRun {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exit: Promise<number>;
}

const children = new Set<ChildProcess>();

/** Spawn a process, recording its output; every child is killed by {@link killChildren}. */
export function run(command: string, args: string[], env: Record<string, string> = {}, input?: string): ChildRun {
  const child = spawn(command, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
  if (input !== undefined) child.stdin?.end(input);
  const exit = new Promise<number>((resolve) => child.on('close', (code) => { children.delete(child); resolve(code ?? -1); }));
  return { child, out: () => out, err: () => err, exit };
}

/** Kill whatever is still running (after hooks). */
export async function killChildren(): Promise<void> {
  const waits = [...children].map((c) => new Promise<void>((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null) { resolve(); return; }
    c.once('close', () => resolve());
    c.kill('SIGKILL');
  }));
  await Promise.all(waits);
}

/** Wait until `pred(stdout)` holds, or fail after `ms` naming what was awaited. */
export async function waitForOutput(r: ChildRun, pred: (out: string) => boolean, what: string, ms = 30_000): Promise<string> {
  const deadline = Date.now() + ms;
  while (!pred(r.out())) {
    if (r.child.exitCode !== null) throw new Error(`${what}: the process exited (${r.child.exitCode}): ${r.err()}`);
    if (Date.now() > deadline) throw new Error(`${what}: not seen within ${ms} ms; stdout: ${r.out()} stderr: ${r.err()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return r.out();
}

export interface IocChild {
  run: ChildRun;
  port: number;
  repeaterPort: number;
  env: Record<string, string>;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>;
}

/** Start `bluesky-dispatcher sim-ioc` on a free port of 127.0.0.1 (and a repeater on a free port). */
export async function startIocChild(extra: string[] = [], port = 0, repeaterPort?: number): Promise<IocChild> {
  const rp = repeaterPort ?? await freeUdpPort();
  const r = run(process.execPath, [BIN, 'sim-ioc', '--port', String(port), '--host', '127.0.0.1', ...extra], { EPICS_CA_REPEATER_PORT: String(rp), EPICS_CA_ADDR_LIST: '127.0.0.1', EPICS_CA_AUTO_ADDR_LIST: 'NO' });
  const out = await waitForOutput(r, (o) => /udp [\d.]+:\d+/.test(o), 'sim-ioc start');
  const udp = Number(/udp [\d.]+:(\d+)/.exec(out)?.[1]);
  return {
    run: r, port: udp, repeaterPort: rp, env: caEnv(udp, rp),
    stop: async () => {
      if (r.child.exitCode === null) r.child.kill('SIGTERM');
      await r.exit;
    },
  };
}
