/**
 * Dispatcher benchmark for `npm run bench`: latency from sending `start` to a
 * subscriber seeing `running` (100 subscribers connected), and the fan-out rate
 * of state messages to them over back-to-back quick runs. The clients
 * (bench/dispatcher-clients.ts) run in two placements, both reported:
 *
 * - `realtime` (the headline figures, where the kernel allows it): the server
 *   runs as `serve --rt-priority 10` runs it; the timed client (and the control
 *   connection) is a process of its own at a higher real-time priority, standing
 *   in for a client on a machine of its own; the other 99 are a process at
 *   normal priority. Real clients are elsewhere; on this 2-core machine a client
 *   woken on the core where the server is still busy otherwise waits out a
 *   3–4 ms time slice (docs/protocol-v1.md, "Benchmark and latency").
 * - `default` (`*_default`): everything at normal priority, the clients on
 *   worker threads of the server's process, free to run on any core.
 * @module
 */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { setRealtimePriority } from '../src/cli/realtime.js';
import { hw } from '../src/devices/index.js';
import type { Readable } from '../src/model/protocols.js';
import { count } from '../src/plans/index.js';
import { createDispatcher, createLogger, serverOf } from '../src/server/index.js';
import { percentile } from './stats.js';

const SUBSCRIBERS = 100;
// 2000 samples: with 500 the p99 is the 5th-worst sample and swings by a millisecond from run to run.
const LATENCY_RUNS = 2000;
const FANOUT_RUNS = 300;

const round = (x: number): number => Math.round(x * 1000) / 1000;

type FromWorker = { kind: 'ready' | 'armed' | 'fanout-done' } | { kind: 'latency'; samples: number[] };

/** Where a group of clients runs: a worker thread of this process, or a process with a scheduling of its own. */
type Placement = { kind: 'thread' } | { kind: 'process'; fifo: number | null };

/** Some of the benchmark's websocket clients. */
class ClientsWorker {
  readonly #post: (msg: object) => void;
  readonly #exited: Promise<unknown>;
  readonly #inbox: FromWorker[] = [];
  #wake: (() => void) | null = null;

  constructor(url: string, subscribers: number, control: boolean, where: Placement) {
    const entry = new URL('./dispatcher-clients.ts', import.meta.url);
    const onMessage = (m: FromWorker): void => { this.#inbox.push(m); this.#wake?.(); };
    if (where.kind === 'thread') {
      // A JS bootstrap: the worker registers tsx itself (a .ts worker entry needs a loader).
      const worker = new Worker(`import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); })`, {
        eval: true, workerData: { url, subscribers, control },
      });
      worker.on('message', onMessage);
      this.#post = (msg) => worker.postMessage(msg);
      this.#exited = new Promise((r) => worker.once('exit', r));
    } else {
      // chrt sets the child's policy explicitly: a child of a real-time process would inherit it.
      const policy = where.fifo === null ? ['--other', '0'] : ['--fifo', String(where.fifo)];
      const child = spawn('chrt', [...policy, process.execPath, '--import', 'tsx', fileURLToPath(entry)], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, BENCH_CLIENTS: JSON.stringify({ url, subscribers, control }) },
      });
      child.on('message', onMessage);
      this.#post = (msg) => child.send(msg);
      this.#exited = new Promise((r) => child.once('exit', r));
    }
  }

  post(msg: object): void { this.#post(msg); }

  async receive(kind: FromWorker['kind']): Promise<FromWorker> {
    for (;;) {
      const i = this.#inbox.findIndex((m) => m.kind === kind);
      if (i >= 0) return this.#inbox.splice(i, 1)[0] as FromWorker;
      await new Promise<void>((r) => { this.#wake = r; });
    }
  }

  async close(): Promise<void> {
    this.post({ kind: 'close' });
    await this.#exited;
  }
}

type Figures = { start_to_running_p50_ms: number; start_to_running_p99_ms: number; fanout_msgs_per_s: number };

const SERVER_RT_PRIORITY = 10;
const CLIENT_RT_PRIORITY = 20;

/** Both placements; `server_rt_priority` is 0 when the kernel refused real-time scheduling (then only `default` ran). */
export async function benchDispatcher(subscribers = SUBSCRIBERS): Promise<Record<string, number>> {
  const def = await benchOnce(subscribers, false);
  const refused = setRealtimePriority(SERVER_RT_PRIORITY);
  if (refused !== null) {
    console.error(`dispatcher bench: real-time placement skipped: ${refused}`);
    return { ...def, server_rt_priority: 0 };
  }
  try {
    const rt = await benchOnce(subscribers, true);
    return {
      ...rt, server_rt_priority: SERVER_RT_PRIORITY,
      start_to_running_p50_ms_default: def.start_to_running_p50_ms,
      start_to_running_p99_ms_default: def.start_to_running_p99_ms,
      fanout_msgs_per_s_default: def.fanout_msgs_per_s,
    };
  } finally {
    spawnSync('chrt', ['--all-tasks', '--other', '--pid', '0', String(process.pid)]);
  }
}

async function benchOnce(subscribers: number, realtime: boolean): Promise<Figures> {
  const d = createDispatcher({ devices: hw().devices, server: { port: 0, logger: createLogger({ level: 'silent' }) } });
  const det = d.devices.get('det1') as Readable;
  d.addPlan('quick', () => count([det]), { type: 'object', additionalProperties: false, properties: {} });
  await d.start();
  const url = serverOf(d)?.url ?? '';
  // The timed subscriber and the control connection get a thread (or process) of their own; the other 99 share one.
  // The observer subscribes first, so it is the first the server writes to.
  const observer = new ClientsWorker(url, 1, true, realtime ? { kind: 'process', fifo: CLIENT_RT_PRIORITY } : { kind: 'thread' });
  await observer.receive('ready');
  const crowd = new ClientsWorker(url, subscribers - 1, false, realtime ? { kind: 'process', fifo: null } : { kind: 'thread' });
  await crowd.receive('ready');

  observer.post({ kind: 'latency', runs: LATENCY_RUNS });
  const lat = await observer.receive('latency');
  const samples = (lat.kind === 'latency' ? lat.samples : []).slice(50); // drop warm-up

  // Fan-out: every quick run sends 3 state messages to each subscriber.
  observer.post({ kind: 'arm', expected: FANOUT_RUNS * 3 });
  crowd.post({ kind: 'arm', expected: FANOUT_RUNS * 3 * (subscribers - 1) });
  await Promise.all([observer.receive('armed'), crowd.receive('armed')]);
  const t0 = performance.now();
  for (let i = 0; i < FANOUT_RUNS; i++) {
    d.startScan('quick');
    await d.whenIdle();
  }
  await Promise.all([observer.receive('fanout-done'), crowd.receive('fanout-done')]);
  const seconds = (performance.now() - t0) / 1000;

  await Promise.all([observer.close(), crowd.close()]);
  await d.stop('bench over');
  return {
    start_to_running_p50_ms: round(percentile(samples, 50)),
    start_to_running_p99_ms: round(percentile(samples, 99)),
    fanout_msgs_per_s: Math.round((FANOUT_RUNS * 3 * subscribers) / seconds),
  };
}
