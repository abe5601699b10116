/**
 * EPICS Channel Access: our client against the test IOC (a separate process), each
 * figure beside pyepics' (EPICS's own libca) on the same IOC in the same run.
 * `ca_get_rtt_us`: p50 of sequential gets of one PV; `ca_monitor_updates_per_s`: updates
 * received from a PV the IOC changes as fast as it can send. The IOC runs on core 0,
 * each client on core 1. Without pyepics the `_pyepics` figures are left out.
 * @module
 */
import { spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { CaClient } from '../src/epics/index.js';

const MAIN = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
const PY = fileURLToPath(new URL('./epics_pyepics.py', import.meta.url));
const PYTHON = '/usr/bin/python3';
const GETS = 5000;
const MONITOR_S = 3;

async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', () => resolve()));
  const { port } = s.address();
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

function pyepics(env: NodeJS.ProcessEnv, mode: 'get' | 'monitor', arg: number): Record<string, number> | null {
  const r = spawnSync('taskset', ['-c', '1', PYTHON, PY, mode, String(arg)], { env, encoding: 'utf8', timeout: 120_000 });
  const last = r.stdout?.trim().split('\n').at(-1) ?? '';
  return r.status === 0 && last.startsWith('{') ? JSON.parse(last) as Record<string, number> : null;
}

async function ourGets(client: CaClient): Promise<number> {
  const ch = client.channel('SIM:ai1');
  await ch.waitConnected(5);
  for (let i = 0; i < 200; i++) await ch.get();
  const samples: number[] = [];
  for (let i = 0; i < GETS; i++) {
    const t0 = performance.now();
    await ch.get();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return (samples[Math.floor(samples.length / 2)] ?? NaN) * 1000;
}

async function ourMonitor(client: CaClient): Promise<number> {
  let n = 0;
  const sub = client.monitor('SIM:fast', () => { n++; });
  await new Promise((r) => setTimeout(r, 500));
  const start = n;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, MONITOR_S * 1000));
  const rate = (n - start) / ((performance.now() - t0) / 1000);
  sub.cancel();
  return rate;
}

export async function benchEpics(): Promise<Record<string, number>> {
  const repeaterPort = await freeUdpPort();
  const ioc = spawn('taskset', ['-c', '0', process.execPath, '--import', 'tsx', MAIN, 'sim-ioc', '--port', '0', '--host', '127.0.0.1'], {
    env: { ...process.env, EPICS_CA_REPEATER_PORT: String(repeaterPort) }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  while (!/udp [\d.]+:\d+/.test(out)) out += String((await once(ioc.stdout, 'data') as [Buffer])[0]);
  const port = Number(/udp [\d.]+:(\d+)/.exec(out)?.[1]);
  const env = { ...process.env, EPICS_CA_ADDR_LIST: '127.0.0.1', EPICS_CA_AUTO_ADDR_LIST: 'NO', EPICS_CA_SERVER_PORT: String(port), EPICS_CA_REPEATER_PORT: String(repeaterPort) };
  const before = spawnSync('taskset', ['-p', String(process.pid)], { encoding: 'utf8' }).stdout.trim().split(' ').at(-1) ?? 'ffffffff';
  spawnSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)]);
  const client = new CaClient({ addrList: [{ host: '127.0.0.1', port }], autoAddrList: false, serverPort: port, repeaterPort });
  const figures: Record<string, number> = {};
  try {
    figures.ca_get_rtt_us = Math.round(await ourGets(client));
    const pyGet = pyepics(env, 'get', GETS);
    if (pyGet !== null) figures.ca_get_rtt_us_pyepics = Math.round(pyGet.rtt_us_p50 as number);
    await client.put('SIM:fast:period', 0, { wait: true });
    figures.ca_monitor_updates_per_s = Math.round(await ourMonitor(client));
    const pyMon = pyepics(env, 'monitor', MONITOR_S);
    if (pyMon !== null) figures.ca_monitor_updates_per_s_pyepics = Math.round(pyMon.updates_per_s as number);
    await client.put('SIM:fast:period', 0.1, { wait: true });
  } finally {
    client.close();
    ioc.kill('SIGTERM');
    spawnSync('taskset', ['-a', '-p', before, String(process.pid)]);
  }
  return figures;
}
