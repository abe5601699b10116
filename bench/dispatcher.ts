/**
 * Dispatcher benchmark for `npm run bench`: latency from sending `start` to a
 * subscriber seeing `running` (100 subscribers connected), and the fan-out rate
 * of state messages to them over back-to-back quick runs. The clients run on a
 * worker thread (bench/dispatcher-clients.ts), as remote clients would.
 * @module
 */
import { Worker } from 'node:worker_threads';
import { hw } from '../src/devices/index.js';
import type { Readable } from '../src/model/protocols.js';
import { count } from '../src/plans/index.js';
import { createDispatcher, createLogger, serverOf } from '../src/server/index.js';

const SUBSCRIBERS = 100;
// 2000 samples: with 500 the p99 is the 5th-worst sample and swings by a millisecond from run to run.
const LATENCY_RUNS = 2000;
const FANOUT_RUNS = 300;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

const round = (x: number): number => Math.round(x * 1000) / 1000;

type FromWorker = { kind: 'ready' | 'armed' | 'fanout-done' } | { kind: 'latency'; samples: number[] };

/** A worker thread holding some of the benchmark's websocket clients. */
class ClientsWorker {
  readonly #worker: Worker;
  readonly #inbox: FromWorker[] = [];
  #wake: (() => void) | null = null;

  constructor(url: string, subscribers: number, control: boolean) {
    // A JS bootstrap: the worker registers tsx itself (a .ts worker entry needs a loader).
    const entry = JSON.stringify(new URL('./dispatcher-clients.ts', import.meta.url).href);
    this.#worker = new Worker(`import('tsx/esm/api').then((m) => { m.register(); return import(${entry}); })`, {
      eval: true, workerData: { url, subscribers, control },
    });
    this.#worker.on('message', (m: FromWorker) => { this.#inbox.push(m); this.#wake?.(); });
  }

  post(msg: object): void { this.#worker.postMessage(msg); }

  async receive(kind: FromWorker['kind']): Promise<FromWorker> {
    for (;;) {
      const i = this.#inbox.findIndex((m) => m.kind === kind);
      if (i >= 0) return this.#inbox.splice(i, 1)[0] as FromWorker;
      await new Promise<void>((r) => { this.#wake = r; });
    }
  }

  async close(): Promise<void> {
    const exited = new Promise((r) => this.#worker.once('exit', r));
    this.post({ kind: 'close' });
    await exited;
  }
}

export async function benchDispatcher(subscribers = SUBSCRIBERS): Promise<{ start_to_running_p50_ms: number; start_to_running_p99_ms: number; fanout_msgs_per_s: number }> {
  const d = createDispatcher({ devices: hw().devices, server: { port: 0, logger: createLogger({ level: 'silent' }) } });
  const det = d.devices.get('det1') as Readable;
  d.addPlan('quick', () => count([det]), { type: 'object', additionalProperties: false, properties: {} });
  await d.start();
  const url = serverOf(d)?.url ?? '';
  // The timed subscriber and the control connection get a thread of their own; the other 99 share one.
  // The observer subscribes first, so it is the first the server writes to.
  const observer = new ClientsWorker(url, 1, true);
  await observer.receive('ready');
  const crowd = new ClientsWorker(url, subscribers - 1, false);
  await crowd.receive('ready');

  observer.post({ kind: 'latency', runs: LATENCY_RUNS });
  const lat = await observer.receive('latency');
  const samples = (lat.kind === 'latency' ? lat.samples : []).slice(50).sort((a, b) => a - b); // drop warm-up

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
